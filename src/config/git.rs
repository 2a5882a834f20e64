//! `[backlog.git]`: the backlog folder as a clone of a git repository — remote, branch, author,
//! credentials and review mode — and the checks serde cannot make.

use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, Secret};

/// How inbound changes (edits made in the trackers) land in the backlog repository.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum GitMode {
    /// Committed to `branch` and pushed.
    #[default]
    Push,
    /// Committed to a branch of their own and proposed as one pull request on the backlog
    /// repository; only what is merged into `branch` is canonical.
    PullRequest,
}

impl TryFrom<String> for GitMode {
    type Error = String;
    fn try_from(s: String) -> Result<GitMode, String> {
        match s.trim() {
            "push" => Ok(GitMode::Push),
            "pull-request" => Ok(GitMode::PullRequest),
            _ => Err(format!("`{s}` is not a git mode; use one of push, pull-request")),
        }
    }
}

/// `[backlog.git]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GitSettings {
    /// Any git URL: `https://…`, `ssh://…`, `git@host:owner/repo.git`, a path or `file://…`.
    pub remote: String,
    #[serde(default = "main")]
    pub branch: String,
    /// `Name <email>` of the daemon's commits; default `backlog-sync <backlog-sync@localhost>`.
    #[serde(default)]
    pub author: Option<String>,
    /// An https token (a GitHub App installation token works for GitHub) from this environment
    /// variable…
    #[serde(default)]
    pub token_env: Option<String>,
    /// …or from the first line of this file.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// The user name sent with the token (GitHub accepts any; Azure Repos too).
    #[serde(default = "token_user")]
    pub token_user: String,
    /// An ssh private key for `ssh://` and `git@…` remotes.
    #[serde(default)]
    pub ssh_key_file: Option<PathBuf>,
    /// How often a rejected push (someone pushed meanwhile) is fetched, rebased and tried again.
    #[serde(default = "three")]
    pub push_attempts: u32,
    #[serde(default)]
    pub mode: GitMode,
    /// Review mode: the branch inbound changes are proposed from.
    #[serde(default = "review_branch")]
    pub review_branch: String,
    /// Review mode: the `[[targets]]` name of kind github whose API serves the backlog
    /// repository's pull requests (its `api_url` and token).
    #[serde(default)]
    pub review_target: Option<String>,
    /// The backlog repository as its host names it: `owner/name` on GitHub, `name` or
    /// `project/name` on Azure Repos. Its push webhooks (GitHub `push`, Azure Repos `git.push`)
    /// trigger a sync under `serve`, and review mode opens its pull requests there. Absent: push
    /// webhooks are matched against `remote`.
    #[serde(default)]
    pub repository: Option<String>,
}

fn main() -> String {
    "main".into()
}

fn token_user() -> String {
    "x-access-token".into()
}

fn three() -> u32 {
    3
}

fn review_branch() -> String {
    "backlog-sync/inbound".into()
}

/// The default author of the daemon's commits.
pub const DEFAULT_AUTHOR: &str = "backlog-sync <backlog-sync@localhost>";

impl GitSettings {
    /// `(name, email)` of the daemon's commits.
    pub fn author(&self) -> (String, String) {
        split_author(self.author.as_deref().unwrap_or(DEFAULT_AUTHOR))
            .unwrap_or_else(|| split_author(DEFAULT_AUTHOR).expect("default parses"))
    }

    /// The https token, if one is configured.
    pub fn token(&self) -> Result<Option<Secret>, String> {
        match (&self.token_env, &self.token_file) {
            (_, Some(file)) => Secret::from_file(file).map(Some),
            (Some(var), None) => Secret::from_env(var).map(Some),
            (None, None) => Ok(None),
        }
    }

    pub fn validate(&self, targets: &[super::TargetSettings]) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| ConfigError::Invalid { key: format!("backlog.git.{key}"), reason };
        if self.remote.trim().is_empty() {
            return Err(invalid("remote", "is empty; set the backlog repository's URL".into()));
        }
        if self.branch.trim().is_empty() || self.branch.starts_with('-') {
            return Err(invalid("branch", format!("`{}` is not a branch name; use e.g. `main`", self.branch)));
        }
        if let Some(a) = &self.author
            && split_author(a).is_none()
        {
            return Err(invalid(
                "author",
                format!("`{a}` is not `Name <email>`; e.g. `backlog-sync <bot@contoso.com>`"),
            ));
        }
        if self.push_attempts == 0 {
            return Err(invalid("push_attempts", "must be at least 1".into()));
        }
        if self.mode == GitMode::PullRequest {
            let Some(name) = &self.review_target else {
                return Err(invalid(
                    "review_target",
                    "review mode needs `review_target`: the name of a `[[targets]]` entry of kind github".into(),
                ));
            };
            if !targets.iter().any(|t| &t.name == name && t.kind() == super::TargetKind::Github) {
                return Err(invalid(
                    "review_target",
                    format!("there is no `[[targets]]` entry `{name}` of kind github"),
                ));
            }
            if self.repository.as_deref().is_none_or(|r| !r.contains('/')) {
                return Err(invalid("repository", "review mode needs the backlog repository as `owner/name`".into()));
            }
            if self.review_branch == self.branch {
                return Err(invalid("review_branch", "must differ from `branch`".into()));
            }
        }
        Ok(())
    }
}

/// `Name <email>` → (name, email).
fn split_author(text: &str) -> Option<(String, String)> {
    let (name, rest) = text.split_once('<')?;
    let email = rest.strip_suffix('>')?.trim();
    let name = name.trim();
    (!name.is_empty() && email.contains('@')).then(|| (name.to_string(), email.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_are_name_and_email() {
        let cases = [
            ("Ann Lee <ann@contoso.com>", Some(("Ann Lee", "ann@contoso.com"))),
            ("bot<bot@x.io>", Some(("bot", "bot@x.io"))),
            ("no email", None),
            ("<a@b.c>", None),
            ("name <not-an-email>", None),
        ];
        for (text, want) in cases {
            let got = split_author(text);
            assert_eq!(got.as_ref().map(|(n, e)| (n.as_str(), e.as_str())), want, "{text}");
        }
    }

    #[test]
    fn review_mode_needs_a_github_target_and_the_repository() {
        let target: super::super::TargetSettings = toml::from_str(
            "name = \"github\"\nkind = \"github\"\nrepository = \"contoso/onboarding\"\ntoken_env = \"T\"\n",
        )
        .unwrap();
        let git = |extra: &str| toml::from_str::<GitSettings>(&format!("remote = \"/srv/b.git\"\n{extra}")).unwrap();
        let cases = [
            ("", None),
            ("mode = \"pull-request\"", Some("backlog.git.review_target")),
            ("mode = \"pull-request\"\nreview_target = \"boards\"", Some("backlog.git.review_target")),
            ("mode = \"pull-request\"\nreview_target = \"github\"", Some("backlog.git.repository")),
            ("mode = \"pull-request\"\nreview_target = \"github\"\nrepository = \"contoso/backlog\"", None),
            ("author = \"nobody\"", Some("backlog.git.author")),
            ("push_attempts = 0", Some("backlog.git.push_attempts")),
        ];
        for (extra, want) in cases {
            let got = git(extra).validate(std::slice::from_ref(&target)).err().map(|e| match e {
                ConfigError::Invalid { key, .. } => key,
                other => other.to_string(),
            });
            assert_eq!(got.as_deref(), want, "{extra}");
        }
    }

    #[test]
    fn modes_parse_and_unknown_ones_say_which_exist() {
        assert_eq!(GitMode::try_from("pull-request".to_string()), Ok(GitMode::PullRequest));
        assert!(GitMode::try_from("merge".to_string()).unwrap_err().contains("push, pull-request"));
    }
}
