//! The backlog as a git repository (`[backlog.git]`): clone, fetch, fast-forward, commit, push,
//! review branches — by running the `git` command.
//!
//! **Why the `git` command and not git2 or gix.** The machine and the container image already have
//! git (2.47); it speaks every transport a product owner's repository uses (https with a token,
//! ssh with a key, a path) with the user's own config, and its `rebase`, `push` (non-fast-forward
//! refusal) and lock files behave exactly as the product owner's git does — the behaviour this
//! module must take part in. git2 would add libgit2 and OpenSSL/libssh2 builds to the image and
//! has no rebase of its own that matches git's; gix does not push yet. Each call is a short
//! process run in the clone with `LC_ALL=C` and no prompt.
//!
//! **Secrets.** A token never appears on a command line, in a URL, or in a log: git asks a
//! credential helper set through `GIT_CONFIG_*` environment variables, and the helper (a tiny
//! `sh` function) prints the token from an environment variable of the child process only.
//! Messages from git are passed through [`redact`] before they reach an error or a log.
//!
//! `message` (the commit message of a run, pure) · `session` (before and after a run: recover,
//! fetch, rebase, commit, push with retry) · `review` (review mode: a branch and a pull request).

pub mod message;
pub mod review;
pub mod session;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::config::{GitSettings, Secret};

pub use session::{GitRun, Published, Style, finish_run, start_run};

/// Why the backlog repository could not be brought up to date or published.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run `git`: {0}; install git (2.30 or newer) and make sure it is on PATH")]
    Spawn(String),
    #[error("`git {command}` failed in `{dir}`: {message}")]
    Failed { command: String, dir: PathBuf, message: String },
    #[error(
        "`{0}` exists and is not a clone of the backlog repository; move it away or point `[backlog] path` elsewhere"
    )]
    NotAClone(PathBuf),
    #[error(
        "the push to `{branch}` was refused {attempts} time(s) in a row (others kept pushing); the commit is kept and the next run pushes it"
    )]
    PushRefused { branch: String, attempts: u32 },
    #[error("the backlog repository's credentials: {0}")]
    Credentials(String),
    #[error("review mode: {0}")]
    Review(String),
}

/// A clone of the backlog repository and how to reach its remote.
#[derive(Debug, Clone)]
pub struct Repo {
    pub dir: PathBuf,
    pub settings: GitSettings,
    token: Option<Secret>,
    /// A person's clone (`sync --commit`): their identity, hooks and config are left alone.
    pub(crate) hand: bool,
}

/// The environment variable of a git child process that holds the token for the helper.
const TOKEN_VAR: &str = "BACKLOG_SYNC_GIT_TOKEN";
const USER_VAR: &str = "BACKLOG_SYNC_GIT_USER";

impl Repo {
    pub fn new(dir: &Path, settings: &GitSettings) -> Result<Repo, GitError> {
        let token = settings.token().map_err(GitError::Credentials)?;
        Ok(Repo { dir: dir.to_path_buf(), settings: settings.clone(), token, hand: false })
    }

    /// A `git` command in `dir`, with the credentials in its environment and no prompts.
    fn command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir)
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "true")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .stdin(Stdio::null());
        let mut config: Vec<(&str, String)> = Vec::new();
        if !self.hand {
            let (name, email) = self.settings.author();
            for (k, v) in [
                ("GIT_AUTHOR_NAME", &name),
                ("GIT_AUTHOR_EMAIL", &email),
                ("GIT_COMMITTER_NAME", &name),
                ("GIT_COMMITTER_EMAIL", &email),
            ] {
                cmd.env(k, v);
            }
            // The sync's own clone runs no hooks a checkout may bring.
            config.push(("core.hooksPath", "/dev/null".into()));
        }
        if let Some(token) = &self.token {
            // The first empty value clears helpers from the user's config; the helper prints the
            // token from its own environment, so it is never an argument of any process.
            config.push(("credential.helper", String::new()));
            config.push((
                "credential.helper",
                format!("!f() {{ test \"$1\" = get && printf 'username=%s\\npassword=%s\\n' \"${USER_VAR}\" \"${TOKEN_VAR}\"; }}; f"),
            ));
            cmd.env(TOKEN_VAR, token.expose()).env(USER_VAR, &self.settings.token_user);
        }
        if let Some(key) = &self.settings.ssh_key_file {
            let quoted = key.display().to_string().replace('\'', "'\\''");
            cmd.env("GIT_SSH_COMMAND", format!("ssh -i '{quoted}' -o IdentitiesOnly=yes -o BatchMode=yes"));
        }
        cmd.env("GIT_CONFIG_COUNT", config.len().to_string());
        for (i, (k, v)) in config.iter().enumerate() {
            cmd.env(format!("GIT_CONFIG_KEY_{i}"), k).env(format!("GIT_CONFIG_VALUE_{i}"), v);
        }
        cmd
    }

    /// Runs `git args` in the clone; an error carries git's message, redacted.
    pub fn git(&self, args: &[&str]) -> Result<String, GitError> {
        self.git_in(&self.dir, args)
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> Result<String, GitError> {
        let out = self.output_in(dir, args)?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        Err(self.failed(dir, args, &out))
    }

    /// Runs `git args` and returns its output whatever its exit status.
    pub fn output(&self, args: &[&str]) -> Result<Output, GitError> {
        self.output_in(&self.dir, args)
    }

    fn output_in(&self, dir: &Path, args: &[&str]) -> Result<Output, GitError> {
        tracing::debug!(?args, dir = %dir.display(), "git");
        self.command(dir).args(args).output().map_err(|e| GitError::Spawn(e.to_string()))
    }

    fn failed(&self, dir: &Path, args: &[&str], out: &Output) -> GitError {
        let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
        let message = self.redact(text.trim());
        GitError::Failed {
            command: args.first().copied().unwrap_or_default().to_string(),
            dir: dir.to_path_buf(),
            message: if message.is_empty() { format!("exit status {}", out.status) } else { message },
        }
    }

    /// `text` with the token (and any `user:password@` of a URL) replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = redact(text);
        if let Some(t) = &self.token {
            out = out.replace(t.expose(), "***");
        }
        out
    }

    /// The remote as shown in messages: without credentials.
    pub fn remote_shown(&self) -> String {
        redact(&self.settings.remote)
    }
}

/// `scheme://user:secret@host` → `scheme://***@host`, wherever it occurs in `text`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest.find(|c: char| c.is_whitespace() || c == '/' || c == '\'' || c == '"').unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            out.push_str("***");
            rest = &rest[at..];
        }
    }
    out.push_str(rest);
    out
}

/// One run of the engine on a backlog repository: [`start_run`] before it (skipped for a dry
/// run), [`finish_run`] after it; in review mode also [`review::before`] and [`review::after`].
/// Without `[backlog.git]` and without `hand` it is the engine's run alone. The git steps run on
/// a blocking thread (they are processes).
pub async fn run(
    settings: &crate::config::Settings,
    remotes: Option<&[crate::reconcile::remote::Remote]>,
    opts: &crate::reconcile::engine::RunOptions,
    hand: Option<Style>,
) -> Result<(crate::reconcile::engine::RunReport, Option<Published>), crate::reconcile::engine::SyncError> {
    use crate::reconcile::engine;
    let reviewing = settings.backlog.git.as_ref().is_some_and(|g| g.mode == crate::config::GitMode::PullRequest);
    let git = if opts.dry_run {
        None
    } else {
        let s = settings.clone();
        tokio::task::spawn_blocking(move || start_run(&s, hand)).await.map_err(|e| GitError::Spawn(e.to_string()))??
    };
    let mut opts = opts.clone();
    let pulls = if reviewing { Some(review::Pulls::new(settings)?) } else { None };
    if let Some(pulls) = &pulls {
        opts.review = Some(match git {
            Some(_) => review::before(settings, pulls).await?,
            // `plan` / `--dry-run`: the waiting values as they are, nothing saved.
            None => std::sync::Arc::new(review::Hold::load(settings)?),
        });
    }
    let report = match remotes {
        Some(remotes) => engine::run_with(settings, remotes, &opts).await?,
        None => engine::run(settings, &opts).await?,
    };
    let Some(git) = git else { return Ok((report, None)) };
    let r = report.clone();
    let (git, mut published) = tokio::task::spawn_blocking(move || finish_run(&git, &r).map(|p| (git, p)))
        .await
        .map_err(|e| GitError::Spawn(e.to_string()))??;
    if let Some(commit) = &published.commit {
        tracing::info!(commit = %commit, pushed = published.pushed, "backlog committed");
    }
    if let (Some(pulls), Some(hold)) = (&pulls, &opts.review) {
        published.pull_request = review::after(&git, &report, hold, pulls).await?;
    }
    Ok((report, Some(published)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_redacted() {
        let cases = [
            ("fatal: https://x:ghs_abc@github.com/o/r.git", "fatal: https://***@github.com/o/r.git"),
            ("https://github.com/o/r.git", "https://github.com/o/r.git"),
            ("ssh://git@host/r and https://u:p@h/x", "ssh://***@host/r and https://***@h/x"),
            ("no url here", "no url here"),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want);
        }
    }

    #[test]
    fn the_token_is_in_no_argument_of_git() {
        let settings = GitSettings {
            remote: "https://example.invalid/o/r.git".into(),
            branch: "main".into(),
            author: None,
            token_env: None,
            token_file: None,
            token_user: "x-access-token".into(),
            ssh_key_file: None,
            push_attempts: 3,
            mode: Default::default(),
            review_branch: "backlog-sync/inbound".into(),
            review_target: None,
            repository: None,
        };
        let repo = Repo { dir: ".".into(), settings, token: Some(Secret::new("ghs_very_secret_value")), hand: false };
        let mut cmd = repo.command(Path::new("."));
        cmd.args(["fetch", "origin"]);
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(args.iter().all(|a| !a.contains("ghs_very")), "{args:?}");
        let envs: Vec<(String, String)> = cmd
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_string_lossy().into_owned(), v?.to_string_lossy().into_owned())))
            .collect();
        let holders: Vec<&str> = envs.iter().filter(|(_, v)| v.contains("ghs_very")).map(|(k, _)| k.as_str()).collect();
        assert_eq!(holders, [TOKEN_VAR], "only the helper's variable holds the token");
        assert_eq!(repo.redact("oops ghs_very_secret_value"), "oops ***");
    }
}
