//! The Azure DevOps twin: a stateful emulator of Work Item Tracking 7.1 and Wiki 7.1 (the subset
//! backlog-sync uses), served over HTTP on 127.0.0.1 with PAT/bearer auth, a request budget,
//! service hooks and the shared `/_twin/*` control API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), backlog_twins::azure::AzureTwinError> {
//! use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process};
//! let twin = AzureTwin::start(AzureTwinConfig {
//!     token: "pat".into(),
//!     projects: vec![("Onboarding".into(), Process::Agile)],
//!     ..AzureTwinConfig::default()
//! })
//! .await?;
//! println!("{}", twin.organization_url()); // http://127.0.0.1:PORT/contoso
//! twin.shutdown().await;
//! # Ok(()) }
//! ```

pub mod comments;
pub mod draft;
pub mod edit;
pub(crate) mod entra;
pub mod errors;
pub mod fields;
pub mod hooks;
pub mod http;
pub mod identity;
pub mod iterations;
pub mod links;
pub mod patch;
pub mod process;
pub mod relations;
pub mod render;
pub mod rules;
pub mod seed;
pub mod state;
pub mod store;
pub mod templates;
pub mod throttle;
pub mod wiki;
pub mod wiql;

use std::sync::Arc;

pub use process::Process;
pub use throttle::RateLimit;

use super::control::{Control, SeedError, Stats, Twin};
use super::server::{ServeError, TwinServer};
use identity::Identity;
use state::AzureState;

/// How to start an Azure DevOps twin.
#[derive(Debug, Clone)]
pub struct AzureTwinConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The personal access token (or bearer token) every request must carry.
    pub token: String,
    /// The organization name in every URL (`contoso`).
    pub organization: String,
    /// Projects that exist from the start, with their process.
    pub projects: Vec<(String, Process)>,
    /// The token's user as `Name <mail>`: the author of what the API writes.
    pub user: String,
    /// The request budget; `None` never throttles.
    pub rate_limit: Option<RateLimit>,
    /// Members of the organization as `Name <mail>` or a mail: who can be assigned (besides
    /// `user`); more come with the seed's `people`.
    pub members: Vec<String>,
}

impl Default for AzureTwinConfig {
    fn default() -> AzureTwinConfig {
        AzureTwinConfig {
            port: 0,
            token: String::new(),
            organization: "contoso".into(),
            projects: Vec::new(),
            user: "Backlog Sync <backlog-sync@example.com>".into(),
            rate_limit: Some(RateLimit::default()),
            members: Vec::new(),
        }
    }
}

/// Why an Azure twin could not start.
#[derive(Debug, thiserror::Error)]
pub enum AzureTwinError {
    /// The port could not be bound.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The token is empty.
    #[error("the azure twin needs a `token`; pass `--token T` (any non-empty string)")]
    MissingToken,
    /// The organization name cannot appear in a URL path.
    #[error("organization `{0}` is not a valid name; use letters, digits and dashes, e.g. `contoso`")]
    BadOrganization(String),
    /// The user is not `Name <mail>` or a mail.
    #[error("user `{0}` is not `Name <mail>` or a mail address; write it like `Alice <alice@contoso.com>`")]
    BadUser(String),
}

/// A running Azure DevOps twin.
pub struct AzureTwin {
    state: Arc<AzureState>,
    server: TwinServer,
}

impl AzureTwin {
    /// Starts a twin on `127.0.0.1:config.port` and returns once it accepts connections.
    pub async fn start(config: AzureTwinConfig) -> Result<AzureTwin, AzureTwinError> {
        if config.token.is_empty() {
            return Err(AzureTwinError::MissingToken);
        }
        let organization = config.organization.trim().to_string();
        let valid =
            !organization.is_empty() && organization.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid || organization.starts_with('_') {
            return Err(AzureTwinError::BadOrganization(config.organization));
        }
        let user = Identity::parse(&config.user).ok_or_else(|| AzureTwinError::BadUser(config.user.clone()))?;
        let listener = TwinServer::bind(config.port).await?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind { port: config.port, source })?;
        let base = format!("http://{addr}/{organization}");
        let mut members = Vec::new();
        for member in &config.members {
            members.push(Identity::parse(member).ok_or_else(|| AzureTwinError::BadUser(member.clone()))?);
        }
        let state = Arc::new(
            AzureState::new(&organization, &base, &config.token, user, config.projects, config.rate_limit)
                .with_members(members),
        );
        let server = TwinServer::serve_on(listener, http::router(state.clone()))?;
        Ok(AzureTwin { state, server })
    }

    /// `http://127.0.0.1:PORT/ORG`: what clients use as the organization URL.
    pub fn organization_url(&self) -> String {
        self.state.base.clone()
    }

    /// `http://127.0.0.1:PORT`: where the `/_twin/*` control routes live.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// What the twin has been asked so far.
    pub fn stats(&self) -> Stats {
        self.state.control.stats()
    }

    /// Counters, faults and webhooks.
    pub fn control(&self) -> &Control {
        &self.state.control
    }

    /// Loads data as `POST /_twin/seed` does (see [`seed`] for the shape).
    pub fn seed(&self, body: serde_json::Value) -> Result<serde_json::Value, SeedError> {
        self.state.seed(body)
    }

    /// Stops the server, letting in-flight requests finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
