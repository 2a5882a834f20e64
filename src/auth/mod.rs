//! Who the sync is to each target: a [`TokenSource`] that connectors, the readiness probe and the
//! summary channels ask for a current credential — a fixed token, a token file re-read when it
//! changes, a GitHub App installation token or an Entra ID access token, the last two renewed
//! before they expire and after a refusal (401).

pub mod jwt;
pub(crate) mod renewal;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use futures::future::BoxFuture;

use crate::config::{Secret, TargetKind, TargetSettings};

pub use crate::clock::Clock;
pub use renewal::renew_due;

/// Why no credential could be had. The message names the setting to fix and never the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("target `{target}`: {reason}")]
pub struct AuthError {
    pub target: String,
    pub reason: String,
    /// A passing fault (the identity provider unreachable or failing): worth retrying.
    pub transient: bool,
}

/// How a token goes into the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Bearer T` (GitHub tokens of every kind, Entra ID access tokens).
    Bearer,
    /// HTTP basic auth with the token as the password (an Azure DevOps personal access token).
    Basic,
}

/// A token and how to send it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub token: Secret,
    pub scheme: Scheme,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({:?}, ***)", self.scheme)
    }
}

impl Credential {
    /// The `Authorization` header's value.
    pub fn authorization(&self) -> String {
        use base64::Engine;
        match self.scheme {
            Scheme::Bearer => format!("Bearer {}", self.token.expose()),
            Scheme::Basic => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(":{}", self.token.expose()))
            ),
        }
    }
}

/// How a token read as text is sent to a target of `kind` (see [`TargetKind::token_scheme`]).
pub fn scheme_for(kind: TargetKind, token: &str) -> Scheme {
    kind.token_scheme(token)
}

/// Where a target's credential comes from; cheap to clone (clones share one cache).
#[derive(Clone)]
pub struct TokenSource {
    target: String,
    kind: Arc<Kind>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSource({}, {})", self.target, self.describe())
    }
}

enum Kind {
    Fixed(Credential),
    File(TokenFile),
    /// A tracker's own identity that renews its credential (a GitHub App, Entra ID).
    Renewing(Box<dyn Renews>),
}

/// A credential that a tracker's identity provider hands out and renews (a GitHub App's
/// installation token, an Entra ID access token); built by the tracker registry from the settings.
pub trait Renews: Send + Sync {
    /// A credential valid now, renewed first when it is about to expire.
    fn credential<'a>(&'a self, target: &'a str) -> BoxFuture<'a, Result<Credential, AuthError>>;
    /// Forgets a refused credential; whether a fresh one is worth one more try.
    fn forget<'a>(&'a self, refused: &'a Credential) -> BoxFuture<'a, bool>;
    /// The login the target knows the sync by, once known.
    fn login(&self) -> Option<String> {
        None
    }
    /// Tokens obtained so far (renewals included).
    fn obtained(&self) -> u64;
    /// What kind of identity this is, in words for messages.
    fn describe(&self) -> &'static str;
    /// The settings to check when the remote refuses the credential.
    fn setting_hint(&self) -> &'static str;
}

/// A token file, re-read when its modification time or size changes.
struct TokenFile {
    path: PathBuf,
    kind: TargetKind,
    seen: Mutex<Option<(Option<SystemTime>, u64, Credential)>>,
}

impl TokenFile {
    fn read(&self, target: &str) -> Result<Credential, AuthError> {
        let meta = std::fs::metadata(&self.path).ok();
        let stamp = (meta.as_ref().and_then(|m| m.modified().ok()), meta.as_ref().map_or(0, |m| m.len()));
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((modified, len, credential)) = seen.as_ref()
            && (*modified, *len) == stamp
            && stamp.0.is_some()
        {
            return Ok(credential.clone());
        }
        let token = Secret::from_file(&self.path).map_err(|reason| AuthError {
            target: target.into(),
            reason: format!("{reason}; fix `token_file`"),
            transient: false,
        })?;
        let credential = Credential { scheme: scheme_for(self.kind, token.expose()), token };
        if seen.as_ref().is_some_and(|(_, _, c)| c != &credential) {
            tracing::info!(target = %target, "read the changed token file");
        }
        *seen = Some((stamp.0, stamp.1, credential.clone()));
        Ok(credential)
    }
}

impl TokenSource {
    /// A source that always hands out `token` (tests, `demo`, the twins' own clients).
    pub fn fixed(target: &str, kind: TargetKind, token: Secret) -> TokenSource {
        let scheme = scheme_for(kind, token.expose());
        TokenSource { target: target.into(), kind: Arc::new(Kind::Fixed(Credential { token, scheme })) }
    }

    /// A source that always hands out `credential`.
    pub fn fixed_with(target: &str, credential: Credential) -> TokenSource {
        TokenSource { target: target.into(), kind: Arc::new(Kind::Fixed(credential)) }
    }

    /// The source a target's settings describe. Reads what is local now (environment variables,
    /// the app's key, the certificate) so a bad setting fails before anything is sent.
    pub fn from_settings(t: &TargetSettings) -> Result<TokenSource, AuthError> {
        TokenSource::from_settings_on(t, Clock::system())
    }

    /// [`TokenSource::from_settings`] with a renewing identity judging its tokens' age by `clock`
    /// (a test's [`Clock::movable`]).
    pub fn from_settings_on(t: &TargetSettings, clock: Clock) -> Result<TokenSource, AuthError> {
        let fail = |reason: String| AuthError { target: t.name.clone(), reason, transient: false };
        let kind = if let Some(renewing) = crate::trackers::identity_source(t, clock) {
            Kind::Renewing(renewing.map_err(fail)?)
        } else if let Some(path) = &t.token_file {
            let file = TokenFile { path: path.clone(), kind: t.kind(), seen: Mutex::new(None) };
            file.read(&t.name)?;
            Kind::File(file)
        } else if let Some(var) = &t.token_env {
            let token = Secret::from_env(var).map_err(fail)?;
            Kind::Fixed(Credential { scheme: scheme_for(t.kind(), token.expose()), token })
        } else {
            return Err(fail(
                "set `token_env` or `token_file` (or a GitHub App's `app_id` / an Entra ID `client_id`)".into(),
            ));
        };
        Ok(TokenSource { target: t.name.clone(), kind: Arc::new(kind) })
    }

    /// The target this source serves.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// What kind of identity this is, in words for messages (never the token).
    pub fn describe(&self) -> &'static str {
        match &*self.kind {
            Kind::Fixed(_) => "a token",
            Kind::File(_) => "a token file",
            Kind::Renewing(r) => r.describe(),
        }
    }

    /// The setting to check when the remote refuses the credential.
    pub fn setting_hint(&self) -> &'static str {
        match &*self.kind {
            Kind::Fixed(_) => "the variable named by `token_env`",
            Kind::File(_) => "the file named by `token_file`",
            Kind::Renewing(r) => r.setting_hint(),
        }
    }

    /// A credential valid now, renewed first when it is about to expire.
    pub async fn credential(&self) -> Result<Credential, AuthError> {
        match &*self.kind {
            Kind::Fixed(c) => Ok(c.clone()),
            Kind::File(f) => f.read(&self.target),
            Kind::Renewing(r) => r.credential(&self.target).await,
        }
    }

    /// After the remote refused `refused` (401): forget it, and say whether a fresh credential
    /// is worth one more try (a renewing source, or a token file that changed meanwhile).
    pub async fn refused(&self, refused: &Credential) -> bool {
        match &*self.kind {
            Kind::Fixed(_) => false,
            Kind::File(f) => f.read(&self.target).is_ok_and(|c| &c != refused),
            Kind::Renewing(r) => r.forget(refused).await,
        }
    }

    /// The login the target knows the sync by, when the source can tell: a GitHub App's
    /// `<slug>[bot]` (known once a token has been had).
    pub fn login(&self) -> Option<String> {
        match &*self.kind {
            Kind::Renewing(r) => r.login(),
            _ => None,
        }
    }

    /// How many tokens this source has obtained from an identity provider (renewals included).
    pub fn obtained(&self) -> u64 {
        match &*self.kind {
            Kind::Renewing(r) => r.obtained(),
            _ => 0,
        }
    }
}

/// Reads a secret file named by a setting (a key or a certificate), naming the setting on failure.
pub(crate) fn read_setting_file(path: &Path, key: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read `{key}` `{}`: {e}; fix `{key}`", path.display()))
}

/// The HTTP client both identity providers are asked through (token exchanges are small and quick).
pub(crate) fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("backlog-sync/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_print_their_token() {
        let c = Credential { token: Secret::new("s3cr3t"), scheme: Scheme::Basic };
        assert_eq!(format!("{c:?}"), "Credential(Basic, ***)");
        assert_eq!(c.authorization(), "Basic OnMzY3IzdA==");
        let source = TokenSource::fixed("gh", TargetKind::default(), Secret::new("s3cr3t"));
        assert!(!format!("{source:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_token_file_is_read_again_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "first\n").unwrap();
        let file = TokenFile { path: path.clone(), kind: TargetKind::default(), seen: Mutex::new(None) };
        let first = file.read("gh").unwrap();
        assert_eq!(first.token.expose(), "first");
        std::fs::write(&path, "second-token\n").unwrap();
        assert_eq!(file.read("gh").unwrap().token.expose(), "second-token", "a new size is a new token");
        std::fs::write(&path, "").unwrap();
        let e = file.read("gh").unwrap_err();
        assert!(e.reason.contains("`token_file`"), "{e}");
    }
}
