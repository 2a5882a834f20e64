//! A GitHub target's own settings: the keys of a `[[targets]]` table with `kind = "github"`
//! beside the ones every target has (`name`, `token_env`, `token_file`, `mapping`).

use std::path::PathBuf;

use serde::Deserialize;

/// GitHub's REST API root when `api_url` is absent.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// `kind = "github"`: a repository's issues.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GithubSettings {
    /// `owner/name`.
    pub repository: String,
    /// The REST API root; absent, [`DEFAULT_API_URL`].
    #[serde(default)]
    pub api_url: Option<String>,
    /// Content-creating requests to allow a minute and an hour (GitHub's secondary limits are 80
    /// and 500); writes wait rather than be refused. Raise only for a twin.
    #[serde(default)]
    pub write_limit_per_minute: Option<u32>,
    #[serde(default)]
    pub write_limit_per_hour: Option<u32>,
    /// A GitHub App: the App ID (instead of `token_env` / `token_file`).
    #[serde(default)]
    pub app_id: Option<u64>,
    /// The app's private key (PEM file), or `app_key_env`, a variable holding it.
    #[serde(default)]
    pub app_key_file: Option<PathBuf>,
    #[serde(default)]
    pub app_key_env: Option<String>,
    /// The app's installation; absent, found from `repository`.
    #[serde(default)]
    pub installation_id: Option<u64>,
}

impl GithubSettings {
    /// The GitHub settings of `target`, if it is a GitHub target.
    pub fn of(target: &crate::config::TargetSettings) -> Option<&GithubSettings> {
        match &target.tracker {
            crate::trackers::TrackerSettings::Github(g) => Some(g),
            _ => None,
        }
    }

    /// What each key holds, for a message naming a missing or misplaced one.
    pub const KEYS: [(&'static str, &'static str); 8] = [
        ("repository", "the repository as `owner/name`, e.g. `repository = \"contoso/onboarding\"`"),
        ("api_url", "the REST API root, e.g. `https://api.github.com`"),
        ("write_limit_per_minute", "content-creating requests a minute (80)"),
        ("write_limit_per_hour", "content-creating requests an hour (500)"),
        ("app_id", "a GitHub App's App ID"),
        ("app_key_file", "a GitHub App's private key (PEM file)"),
        ("app_key_env", "the variable holding a GitHub App's private key"),
        ("installation_id", "a GitHub App's installation"),
    ];

    /// The REST API root, without a trailing `/`.
    pub fn api_url(&self) -> &str {
        self.api_url.as_deref().unwrap_or(DEFAULT_API_URL).trim_end_matches('/')
    }

    /// Whether the target signs in as a GitHub App.
    pub fn uses_app(&self) -> bool {
        self.app_id.is_some()
            || self.app_key_file.is_some()
            || self.app_key_env.is_some()
            || self.installation_id.is_some()
    }

    /// What serde cannot check: a repository that is not blank, an app's settings complete. `token`:
    /// whether the target also names a token. The key to fix and why otherwise.
    pub fn check(&self, name: &str, token: bool) -> Result<(), (&'static str, String)> {
        if self.repository.trim().is_empty() {
            return Err(("repository", format!("target `{name}` needs `repository`: {}", Self::KEYS[0].1)));
        }
        if !self.uses_app() {
            return Ok(());
        }
        if token {
            return Err((
                "token_env",
                format!("target `{name}` names both a token and `app_id`; keep one way to sign in"),
            ));
        }
        if self.app_id.is_none() {
            return Err((
                "app_id",
                format!(
                    "target `{name}` has GitHub App settings but no `app_id`; set the App ID from the app's settings"
                ),
            ));
        }
        match (&self.app_key_file, &self.app_key_env) {
            (None, None) => Err((
                "app_key_file",
                format!("target `{name}` needs the app's private key: set `app_key_file` or `app_key_env`"),
            )),
            (Some(_), Some(_)) => {
                Err(("app_key_file", format!("target `{name}`: set one of `app_key_file` and `app_key_env`, not both")))
            }
            _ => Ok(()),
        }
    }
}
