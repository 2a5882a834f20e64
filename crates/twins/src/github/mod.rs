//! The GitHub twin: a stateful emulator of the GitHub REST API for issues, comments, labels,
//! milestones, sub-issues and issue types, with GitHub's auth, rate limits, pagination, error
//! bodies and webhooks, served on 127.0.0.1 beside the shared `/_twin/*` control routes.

mod api;
mod apps;
mod comments;
mod errors;
mod issue_edit;
mod issues;
mod labels;
mod milestones;
mod pagination;
mod pulls;
mod ratelimit;
mod render;
mod repos;
mod seed;
mod store;
mod sub_issues;
mod user;
mod webhooks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};

pub use webhooks::sign_github_payload;

use super::control::{Control, SeedError, Stats, Twin, twin_router};
use super::server::{ServeError, TwinServer};
use errors::{ApiError, DOCS};
use ratelimit::RateLimits;
use store::Store;

/// How to start a GitHub twin.
#[derive(Debug, Clone)]
pub struct GithubTwinConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The personal access token every request must carry (`token T` or `Bearer T`).
    pub token: String,
    /// The login of the token's user (author of what the API creates, webhook `sender`).
    pub login: String,
    /// Repositories that exist from the start, as `owner/name`; others answer 404 until seeded.
    pub repositories: Vec<String>,
    /// Collaborators of every repository above (who can be assigned), besides the owner and
    /// `login`; more come with the seed's `collaborators` or `PUT …/collaborators/{username}`.
    pub collaborators: Vec<String>,
    /// Primary limit: requests per hour for the token.
    pub primary_limit_per_hour: u32,
    /// Secondary limit: content-creating requests per minute.
    pub content_limit_per_minute: u32,
    /// Secondary limit: content-creating requests per hour.
    pub content_limit_per_hour: u32,
    /// How long the secondary limits' minute lasts (60 s); their hour is sixty of these. Only a
    /// benchmark shortens it, to run a paced hour of writes quickly.
    pub content_minute: Duration,
}

impl Default for GithubTwinConfig {
    fn default() -> GithubTwinConfig {
        GithubTwinConfig {
            port: 0,
            token: String::new(),
            login: "octocat".into(),
            repositories: Vec::new(),
            collaborators: Vec::new(),
            primary_limit_per_hour: 5000,
            content_limit_per_minute: 80,
            content_limit_per_hour: 500,
            content_minute: Duration::from_secs(60),
        }
    }
}

/// Why a GitHub twin could not start.
#[derive(Debug, thiserror::Error)]
pub enum GithubTwinError {
    /// The port could not be bound.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The token is empty.
    #[error("the github twin needs a `token`; pass `--token T` (any non-empty string)")]
    MissingToken,
    /// A repository name is not `owner/name`.
    #[error("repository `{0}` is not `owner/name`; write it like `contoso/onboarding`")]
    BadRepository(String),
}

/// Everything the twin's handlers share.
pub(crate) struct GithubState {
    config: GithubTwinConfig,
    /// `http://127.0.0.1:PORT`: the prefix of every URL in bodies and `Link` headers.
    base: String,
    store: Mutex<Store>,
    /// Pull requests (review mode of a backlog repository), beside the issues.
    pulls: Mutex<pulls::Pulls>,
    limits: Mutex<RateLimits>,
    control: Control,
    hook_id: u64,
    hookshot: String,
    /// Registered GitHub Apps and the installation tokens they were issued.
    apps: apps::Apps,
}

impl GithubState {
    /// Who the current request acts as: the app's `<slug>[bot]` for an installation token, else
    /// the token's user.
    fn actor(&self) -> String {
        apps::ACTOR.try_with(Clone::clone).unwrap_or_else(|_| self.config.login.clone())
    }

    fn fresh_store(config: &GithubTwinConfig) -> Result<Store, GithubTwinError> {
        let mut store = Store::default();
        store.user_id(&config.login);
        for repo in &config.repositories {
            let key = store.add_repo(repo).ok_or_else(|| GithubTwinError::BadRepository(repo.clone()))?;
            let people = std::iter::once(&config.login).chain(&config.collaborators);
            let logins: Vec<String> = people.map(|l| l.to_ascii_lowercase()).collect();
            for login in &logins {
                store.user_id(login);
            }
            store.repos.get_mut(&key).expect("just added").collaborators.extend(logins);
        }
        Ok(store)
    }

    fn fresh_limits(config: &GithubTwinConfig) -> RateLimits {
        RateLimits::new(config.primary_limit_per_hour, config.content_limit_per_minute, config.content_limit_per_hour)
            .with_minute(config.content_minute)
    }
}

impl Twin for GithubState {
    fn control(&self) -> &Control {
        &self.control
    }

    fn reset_data(&self) {
        let store = GithubState::fresh_store(&self.config).unwrap_or_default();
        *self.store.lock().expect("store lock") = store;
        *self.pulls.lock().expect("pulls lock") = pulls::Pulls::default();
        *self.limits.lock().expect("rate limit lock") = GithubState::fresh_limits(&self.config);
    }

    fn seed(&self, body: serde_json::Value) -> Result<serde_json::Value, SeedError> {
        let mut store = self.store.lock().expect("store lock");
        seed::apply(&mut store, &self.config.login, &body)
    }

    fn error_response(&self, status: StatusCode, message: &str) -> Response {
        let mut response = ApiError::new(status, message, DOCS).into_response();
        ratelimit::current_headers(self, &mut response);
        response
    }
}

/// A running GitHub twin.
pub struct GithubTwin {
    state: Arc<GithubState>,
    server: TwinServer,
}

impl GithubTwin {
    /// Starts a twin on `127.0.0.1:config.port` and returns once it accepts connections.
    pub async fn start(config: GithubTwinConfig) -> Result<GithubTwin, GithubTwinError> {
        if config.token.is_empty() {
            return Err(GithubTwinError::MissingToken);
        }
        let store = GithubState::fresh_store(&config)?;
        let listener = TwinServer::bind(config.port).await?;
        let base = format!(
            "http://{}",
            listener.local_addr().map_err(|source| { ServeError::Bind { port: config.port, source } })?
        );
        let state = Arc::new(GithubState {
            limits: Mutex::new(GithubState::fresh_limits(&config)),
            config,
            base,
            store: Mutex::new(store),
            pulls: Mutex::new(pulls::Pulls::default()),
            control: Control::new(),
            hook_id: 1000 + u64::from(rand::random::<u16>()),
            hookshot: format!("{:07x}", rand::random::<u32>() & 0x0fff_ffff),
            apps: apps::Apps::default(),
        });
        let server = TwinServer::serve_on(listener, router(state.clone()))?;
        Ok(GithubTwin { state, server })
    }

    /// `http://127.0.0.1:PORT`: the API root to give octocrab as `base_uri`.
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

    /// Loads data as `POST /_twin/seed` does: `{"repositories", "labels", "milestones",
    /// "issues"}` (each issue may carry `comments` and a `parent` number); all or nothing.
    pub fn seed(&self, body: serde_json::Value) -> Result<serde_json::Value, SeedError> {
        self.state.seed(body)
    }

    /// Stops the server, letting in-flight requests finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// The API routes behind auth and rate limits, wrapped with the control middleware, plus the
/// control routes (and the twin-only `DELETE /_twin/repos/{owner}/{repo}/issues/{number}`, which
/// deletes an issue as a person would in the web UI).
fn router(state: Arc<GithubState>) -> Router {
    let repo = "/repos/{owner}/{repo}";
    let api = Router::new()
        .route("/rate_limit", get(ratelimit::get_rate_limit))
        .route("/user", get(user::get))
        .route(repo, get(repos::get))
        .route(&format!("{repo}/collaborators/{{username}}"), get(repos::is_collaborator).put(repos::add_collaborator))
        .route(&format!("{repo}/assignees/{{assignee}}"), get(repos::can_be_assigned))
        .route(&format!("{repo}/issues"), get(issues::list).post(issues::create))
        .route(&format!("{repo}/issues/comments"), get(comments::list_repo))
        .route(
            &format!("{repo}/issues/comments/{{comment_id}}"),
            get(comments::get).patch(comments::update).delete(comments::delete),
        )
        .route(&format!("{repo}/issues/{{issue_number}}"), get(issues::get).patch(issues::update))
        .route(&format!("{repo}/issues/{{issue_number}}/comments"), get(comments::list_issue).post(comments::create))
        .route(
            &format!("{repo}/issues/{{issue_number}}/labels"),
            get(labels::list_on_issue)
                .post(labels::add_to_issue)
                .put(labels::set_on_issue)
                .delete(labels::clear_on_issue),
        )
        .route(&format!("{repo}/issues/{{issue_number}}/labels/{{name}}"), delete(labels::remove_from_issue))
        .route(&format!("{repo}/issues/{{issue_number}}/parent"), get(sub_issues::parent))
        .route(&format!("{repo}/issues/{{issue_number}}/sub_issues"), get(sub_issues::list).post(sub_issues::add))
        .route(&format!("{repo}/issues/{{issue_number}}/sub_issue"), delete(sub_issues::remove))
        .route(&format!("{repo}/issues/{{issue_number}}/sub_issues/priority"), patch(sub_issues::reprioritize))
        .route(&format!("{repo}/pulls"), get(pulls::list).post(pulls::create))
        .route(&format!("{repo}/pulls/{{pull_number}}"), get(pulls::get).patch(pulls::update))
        .route(&format!("{repo}/pulls/{{pull_number}}/merge"), put(pulls::merge))
        .route(&format!("{repo}/pulls/{{pull_number}}/reviews"), get(pulls::list_reviews).post(pulls::create_review))
        .route(&format!("{repo}/pulls/{{pull_number}}/reviews/{{review_id}}"), put(pulls::update_review))
        .route(&format!("{repo}/labels"), get(labels::list).post(labels::create))
        .route(&format!("{repo}/labels/{{name}}"), get(labels::get).patch(labels::update).delete(labels::delete))
        .route(&format!("{repo}/milestones"), get(milestones::list).post(milestones::create))
        .route(
            &format!("{repo}/milestones/{{milestone_number}}"),
            get(milestones::get).patch(milestones::update).delete(milestones::delete),
        )
        .route(&format!("{repo}/issue-types"), get(milestones::list_issue_types))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), repos::redirect_moved))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::github_layer))
        .with_state(state.clone());
    let twin_only = Router::new()
        .route("/_twin/repos/{owner}/{repo}/issues/{issue_number}", delete(issues::delete_as_person))
        .route("/_twin/repos/{owner}/{repo}/rename", post(repos::rename))
        .route("/_twin/apps", get(apps::report).post(apps::register))
        .route("/_twin/clock", post(apps::advance))
        .route("/app", get(apps::get_app))
        .route("/repos/{owner}/{repo}/installation", get(apps::repo_installation))
        .route("/app/installations/{installation_id}/access_tokens", post(apps::access_token))
        .route("/_twin/repos/{owner}/{repo}/issues/{issue_number}/transfer", post(repos::transfer))
        .with_state(state.clone());
    twin_router(state, api).merge(twin_only)
}
