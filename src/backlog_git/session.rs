//! Before and after a run on a backlog repository. Before: make the clone (first run), recover
//! from an interrupted one (a rebase in progress, a stale lock, files written but not committed),
//! fetch and fast-forward — rebasing the daemon's own unpushed commits. After: one commit listing
//! what the run changed, then a push; a refused push is fetched, rebased and retried, never forced.

use std::collections::BTreeMap;
use std::path::Path;

use super::{GitError, Repo, message};
use crate::config::{GitMode, Settings};
use crate::reconcile::engine::RunReport;

/// Who owns the clone, which decides how much a run may do in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `[backlog.git]`: the clone is the sync's own; it commits everything there and pushes.
    Owned,
    /// `sync --commit` / `--push` in a person's clone: commit only the files the run wrote.
    Hand { push: bool },
}

/// A run in progress on a backlog repository.
#[derive(Debug)]
pub struct GitRun {
    pub repo: Repo,
    pub style: Style,
    /// Hand style: files that were already changed before the run, with their content hash.
    dirty_before: BTreeMap<String, String>,
    /// `mappings/identities.toml`: the people `Co-authored-by` trailers name by their email.
    pub people: crate::mapping::Identities,
}

/// What the repository got from a run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Published {
    /// The commit made for this run, if it wrote files.
    pub commit: Option<String>,
    /// Whether the branch was pushed (it held commits the remote did not have).
    pub pushed: bool,
    /// Review mode: the pull request that carries inbound changes.
    pub pull_request: Option<u64>,
}

/// Brings the backlog repository up to date before a run reads the files. `None` when the
/// settings have no `[backlog.git]` and `hand` is not asked for.
pub fn start_run(settings: &Settings, hand: Option<Style>) -> Result<Option<GitRun>, GitError> {
    let dir = &settings.backlog.path;
    if let Some(git) = &settings.backlog.git {
        let repo = Repo::new(dir, git)?;
        clone_if_missing(&repo)?;
        exclude_state(&repo, &settings.state_path())?;
        recover(&repo)?;
        commit_leftovers(&repo)?;
        fetch_and_rebase(&repo)?;
        let people = crate::reconcile::engine::identities_of(settings).unwrap_or_default();
        return Ok(Some(GitRun { repo, style: Style::Owned, dirty_before: BTreeMap::new(), people }));
    }
    let Some(style) = hand else { return Ok(None) };
    let git = crate::config::GitSettings {
        remote: String::new(),
        branch: String::new(),
        author: None,
        token_env: None,
        token_file: None,
        token_user: String::new(),
        ssh_key_file: None,
        push_attempts: 3,
        mode: GitMode::Push,
        review_branch: String::new(),
        review_target: None,
        repository: None,
    };
    let mut repo = Repo::new(dir, &git)?;
    repo.hand = true;
    let top = repo.git(&["rev-parse", "--show-toplevel"]).map_err(|_| GitError::NotAClone(dir.clone()))?;
    repo.dir = top.trim().into();
    exclude_state(&repo, &settings.state_path())?;
    let dirty_before = changed_files(&repo)?.into_iter().map(|p| (hash(&repo, &p), p)).map(|(h, p)| (p, h)).collect();
    let people = crate::reconcile::engine::identities_of(settings).unwrap_or_default();
    Ok(Some(GitRun { repo, style, dirty_before, people }))
}

/// After a run: commit what it wrote and push (owned clone, or `--push`).
pub fn finish_run(run: &GitRun, report: &RunReport) -> Result<Published, GitError> {
    let repo = &run.repo;
    let mut published = Published::default();
    let mut paths = changed_files(repo)?;
    if let Style::Hand { .. } = run.style {
        paths.retain(|p| run.dirty_before.get(p).is_none_or(|h| *h != hash(repo, p)));
    }
    if !paths.is_empty() {
        let lines = message::lines(report);
        let editors = |item: &str, target: &str| report.editors.get(item).and_then(|t| t.get(target));
        let trailers = message::trailers(&lines, &editors, &run.people);
        let text = message::render_with(&lines, &trailers).unwrap_or_else(|| message::leftovers(&paths));
        published.commit = Some(commit(repo, &paths, &text)?);
    }
    match run.style {
        Style::Owned => published.pushed = push_with_retry(repo, &repo.settings.branch)?,
        Style::Hand { push: true } => published.pushed = push_upstream(repo)?,
        Style::Hand { push: false } => {}
    }
    Ok(published)
}

fn clone_if_missing(repo: &Repo) -> Result<(), GitError> {
    let dir = &repo.dir;
    if dir.join(".git").exists() {
        let url = repo.output(&["remote", "get-url", "origin"])?;
        if !url.status.success() {
            repo.git(&["remote", "add", "origin", &repo.settings.remote])?;
        }
        return Ok(());
    }
    let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(true);
    if !empty {
        return Err(GitError::NotAClone(dir.clone()));
    }
    std::fs::create_dir_all(dir).map_err(|e| GitError::Spawn(format!("cannot create `{}`: {e}", dir.display())))?;
    tracing::info!(remote = %repo.remote_shown(), dir = %dir.display(), "cloning the backlog repository");
    repo.git(&["clone", "--no-checkout", "--origin", "origin", "--", &repo.settings.remote, "."])?;
    let branch = &repo.settings.branch;
    if has_remote_branch(repo)? {
        repo.git(&["checkout", "-B", branch, "--track", &format!("origin/{branch}")])?;
    } else {
        // An empty repository: the first commit starts the branch.
        repo.git(&["symbolic-ref", "HEAD", &format!("refs/heads/{branch}")])?;
    }
    Ok(())
}

/// Keeps the sync state (SQLite, its lock) out of git when it lives inside the clone.
fn exclude_state(repo: &Repo, state: &Path) -> Result<(), GitError> {
    let top = std::fs::canonicalize(&repo.dir).unwrap_or_else(|_| repo.dir.clone());
    let parent = state.parent().unwrap_or(Path::new("."));
    let parent = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    let Ok(rel) = parent.strip_prefix(&top) else { return Ok(()) };
    let line = if rel.as_os_str().is_empty() {
        format!("/{}*", state.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
    } else {
        format!("/{}/", rel.display())
    };
    let git_dir = repo.git(&["rev-parse", "--git-dir"])?;
    let exclude = repo.dir.join(git_dir.trim()).join("info/exclude");
    let text = std::fs::read_to_string(&exclude).unwrap_or_default();
    if text.lines().any(|l| l == line) {
        return Ok(());
    }
    let _ = std::fs::create_dir_all(exclude.parent().unwrap_or(Path::new(".")));
    std::fs::write(
        &exclude,
        format!("{text}{}{line}\n", if text.is_empty() || text.ends_with('\n') { "" } else { "\n" }),
    )
    .map_err(|e| GitError::Spawn(format!("cannot write `{}`: {e}", exclude.display())))
}

/// Undoes what an interrupted run left half done: a rebase, a stale index lock, another branch.
fn recover(repo: &Repo) -> Result<(), GitError> {
    let git_dir = repo.dir.join(repo.git(&["rev-parse", "--git-dir"])?.trim());
    if git_dir.join("rebase-merge").exists() || git_dir.join("rebase-apply").exists() {
        tracing::warn!("a rebase was left in progress by an interrupted run; aborting it");
        repo.git(&["rebase", "--abort"])?;
    }
    // The clone is the sync's own and runs hold the sync lock: a lock file is a killed git's.
    let lock = git_dir.join("index.lock");
    if lock.exists() {
        tracing::warn!(lock = %lock.display(), "removing the index lock an interrupted git left");
        let _ = std::fs::remove_file(&lock);
    }
    let branch = &repo.settings.branch;
    let head = repo.output(&["symbolic-ref", "--quiet", "--short", "HEAD"])?;
    if String::from_utf8_lossy(&head.stdout).trim() != branch {
        repo.git(&["checkout", "-B", branch])?;
    }
    Ok(())
}

/// Files written but not committed (a run killed before its commit): committed now, so the
/// rebase has a clean tree and the next push carries them.
fn commit_leftovers(repo: &Repo) -> Result<(), GitError> {
    let paths = changed_files(repo)?;
    if !paths.is_empty() {
        tracing::warn!(files = paths.len(), "committing files an interrupted run wrote");
        commit(repo, &paths, &message::leftovers(&paths))?;
    }
    Ok(())
}

fn has_remote_branch(repo: &Repo) -> Result<bool, GitError> {
    let r =
        repo.output(&["rev-parse", "--verify", "--quiet", &format!("refs/remotes/origin/{}", repo.settings.branch)])?;
    Ok(r.status.success())
}

/// Fetches and fast-forwards, rebasing the sync's own unpushed commits over what others pushed.
/// A rebase that conflicts (a person edited the same line) keeps the sync's commits on a branch
/// `backlog-sync/unmerged-…`, takes the remote's version and says so: the next run sees the
/// difference again as a change to merge, and nothing is lost.
pub fn fetch_and_rebase(repo: &Repo) -> Result<(), GitError> {
    repo.git(&["fetch", "--prune", "origin"])?;
    if !has_remote_branch(repo)? {
        return Ok(());
    }
    let upstream = format!("origin/{}", repo.settings.branch);
    let has_head = repo.output(&["rev-parse", "--verify", "--quiet", "HEAD"])?.status.success();
    if !has_head {
        repo.git(&["reset", "--hard", &upstream])?;
        return Ok(());
    }
    let rebase = repo.output(&["rebase", &upstream])?;
    if rebase.status.success() {
        return Ok(());
    }
    let _ = repo.output(&["rebase", "--abort"]);
    let head = repo.git(&["rev-parse", "--short", "HEAD"])?;
    let keep = format!("backlog-sync/unmerged-{}", head.trim());
    repo.git(&["branch", "-f", &keep, "HEAD"])?;
    let _ = repo.output(&["push", "origin", &format!("{keep}:refs/heads/{keep}")]);
    repo.git(&["reset", "--hard", &upstream])?;
    tracing::warn!(branch = %keep, "the sync's commits conflict with pushed edits; kept on a branch, the pushed edits win in the files");
    Ok(())
}

/// Changed and untracked paths of the working tree (git's own ignores and excludes apply).
fn changed_files(repo: &Repo) -> Result<Vec<String>, GitError> {
    let out = repo.git(&["status", "--porcelain=v1", "-z", "--untracked-files=all"])?;
    let mut paths = Vec::new();
    let mut parts = out.split('\0');
    while let Some(entry) = parts.next() {
        if entry.len() < 4 {
            continue;
        }
        let (status, path) = entry.split_at(3);
        if status.starts_with('R') || status.starts_with('C') {
            parts.next(); // the rename's source
        }
        paths.push(path.to_string());
    }
    paths.sort();
    Ok(paths)
}

fn hash(repo: &Repo, path: &str) -> String {
    repo.git(&["hash-object", "--", path]).unwrap_or_default().trim().to_string()
}

fn commit(repo: &Repo, paths: &[String], text: &str) -> Result<String, GitError> {
    let mut add = vec!["add", "--all", "--"];
    add.extend(paths.iter().map(String::as_str));
    repo.git(&add)?;
    let mut args = vec!["commit", "--quiet"];
    if !repo.hand {
        args.push("--no-verify");
    }
    args.extend(["-m", text, "--"]);
    args.extend(paths.iter().map(String::as_str));
    repo.git(&args)?;
    Ok(repo.git(&["rev-parse", "HEAD"])?.trim().to_string())
}

/// Pushes `branch` without force; a refusal fetches, rebases and tries again `push_attempts`
/// times. Returns whether anything was pushed.
fn push_with_retry(repo: &Repo, branch: &str) -> Result<bool, GitError> {
    let attempts = repo.settings.push_attempts;
    for attempt in 1..=attempts {
        if !ahead(repo, &format!("origin/{branch}"))? {
            return Ok(attempt > 1);
        }
        let out = repo.output(&["push", "--porcelain", "origin", &format!("HEAD:refs/heads/{branch}")])?;
        if out.status.success() {
            return Ok(true);
        }
        let text = repo.redact(&String::from_utf8_lossy(&out.stderr));
        let refused = ["rejected", "non-fast-forward", "fetch first", "failed to update ref", "stale info"]
            .iter()
            .any(|w| text.contains(w) || String::from_utf8_lossy(&out.stdout).contains(w));
        if !refused {
            return Err(GitError::Failed {
                command: "push".into(),
                dir: repo.dir.clone(),
                message: text.trim().into(),
            });
        }
        tracing::info!(attempt, attempts, "the push was refused (someone pushed first); rebasing and trying again");
        fetch_and_rebase(repo)?;
    }
    Err(GitError::PushRefused { branch: branch.to_string(), attempts })
}

/// Whether HEAD has commits `upstream` lacks (true when `upstream` does not exist yet).
fn ahead(repo: &Repo, upstream: &str) -> Result<bool, GitError> {
    if !repo.output(&["rev-parse", "--verify", "--quiet", "HEAD"])?.status.success() {
        return Ok(false);
    }
    let exists = repo.output(&["rev-parse", "--verify", "--quiet", upstream])?.status.success();
    if !exists {
        return Ok(true);
    }
    Ok(repo.git(&["rev-list", "--count", &format!("{upstream}..HEAD")])?.trim() != "0")
}

/// `sync --push` in a person's clone: push the current branch to its upstream, rebasing over
/// what others pushed (with the person's uncommitted edits stashed and put back).
fn push_upstream(repo: &Repo) -> Result<bool, GitError> {
    let attempts = repo.settings.push_attempts;
    for _ in 0..attempts {
        let Ok(upstream) = repo.git(&["rev-parse", "--abbrev-ref", "@{upstream}"]) else {
            return Err(GitError::Failed {
                command: "push".into(),
                dir: repo.dir.clone(),
                message: "the current branch has no upstream; run `git push -u origin BRANCH` once".into(),
            });
        };
        let upstream = upstream.trim().to_string();
        if !ahead(repo, &upstream)? {
            return Ok(false);
        }
        let (remote, branch) = upstream.split_once('/').unwrap_or(("origin", &upstream));
        let out = repo.output(&["push", remote, &format!("HEAD:refs/heads/{branch}")])?;
        if out.status.success() {
            return Ok(true);
        }
        repo.git(&["fetch", remote])?;
        repo.git(&["-c", "rebase.autoStash=true", "rebase", &upstream])?;
    }
    Err(GitError::PushRefused { branch: "the current branch".into(), attempts })
}
