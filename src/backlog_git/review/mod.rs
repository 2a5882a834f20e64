//! Review mode (`[backlog.git] mode = "pull-request"`): inbound changes wait on the review branch
//! in one pull request, updated in place while it is open; only what is merged into `branch` is
//! canonical and flows out to the trackers.
//!
//! One run: [`before`] (after the fetch) asks what became of the pull request — merged: the
//! targets' bases take the values it carried; closed unmerged: each value becomes an open
//! conflict — then the engine plans with a [`Hold`] (see `held`), then [`after`] commits the
//! values on the review branch (in a worktree inside the clone's git directory), pushes it and
//! opens or updates the pull request. The review branch is the sync's own: while its pull
//! request is open it grows by fast-forward, one commit per run with that run's new values (a
//! reviewer's own commits on it stay); a new pull request starts it again on top of `branch`,
//! pushed with `--force-with-lease` (that branch only; `branch` is never forced).

pub mod held;
pub mod pulls;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{GitError, Repo, message};
use crate::backlog::Backlog;
use crate::config::Settings;
use crate::mapping::FieldMap;
use crate::mapping::fields::{apply_fields, item_fields};
use crate::model::ItemId;
use crate::reconcile::plan::{Plan, PlanInput};
use crate::store::{Conflict, Store};
pub use held::{Entry, Held};
pub use pulls::Pulls;

/// The values waiting for review, shared with the engine's run (`RunOptions::review`).
#[derive(Debug)]
pub struct Hold {
    path: PathBuf,
    held: Mutex<Held>,
    /// Values proposed or changed by this run (the review commit names them).
    proposed: Mutex<Vec<Entry>>,
}

impl Hold {
    /// The waiting values kept beside the sync state of `settings`.
    pub fn load(settings: &Settings) -> Result<Hold, GitError> {
        let path = held::path_for(&settings.state_path());
        let held = Held::load(&path).map_err(GitError::Review)?;
        Ok(Hold { path, held: Mutex::new(held), proposed: Mutex::new(Vec::new()) })
    }

    /// The engine's hook: plans `input` leaving the waiting values alone (see `held`), and keeps
    /// the new ones before anything is applied, so a run killed afterwards loses none.
    pub fn plan(&self, input: &mut PlanInput, dry_run: bool) -> Result<Plan, GitError> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let before = held.clone();
        let (plan, proposed) = held::plan(input, &mut held);
        if !dry_run && *held != before {
            held.save(&self.path).map_err(GitError::Review)?;
        }
        self.proposed.lock().unwrap_or_else(|p| p.into_inner()).extend(proposed);
        Ok(plan)
    }

    pub fn held(&self) -> Held {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, held: Held) -> Result<(), GitError> {
        held.save(&self.path).map_err(GitError::Review)?;
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = held;
        Ok(())
    }
}

/// Before the engine's run: what became of the pull request since the last run.
pub async fn before(settings: &Settings, pulls: &Pulls) -> Result<Arc<Hold>, GitError> {
    let hold = Hold::load(settings)?;
    let mut held = hold.held();
    let Some(n) = held.pull_request else { return Ok(Arc::new(hold)) };
    let pull = pulls.get(n).await?;
    if pull.open {
        return Ok(Arc::new(hold));
    }
    let state = settings.state_path();
    let store = Store::open(&state).map_err(|e| GitError::Review(e.to_string()))?;
    let store_err = |e: crate::store::StoreError| GitError::Review(e.to_string());
    if pull.merged {
        // The values it carried are what the targets hold and what was agreed on: the files now
        // say what was merged, and the next merge sends out only what the reviewer changed.
        store
            .atomically(|s| -> Result<(), crate::store::StoreError> {
                for e in held.waiting() {
                    if let Some(mut link) = s.link(&e.target, &e.item)? {
                        link.base.insert(e.field.clone(), e.value.clone());
                        if e.field == "owner" {
                            link.file_owner = Some(e.value.clone());
                        }
                        s.upsert_link(&link)?;
                    }
                }
                Ok(())
            })
            .map_err(store_err)?;
        tracing::info!(pull_request = n, values = held.waiting().count(), "the review pull request was merged");
        held.entries.retain(|e| e.rejected);
    } else {
        // Closed unmerged: the backlog stays as it was; each value is a conflict for a person.
        let backlog = Backlog::load(&settings.backlog.path).map_err(|e| GitError::Review(e.to_string()))?;
        for e in held.entries.iter_mut().filter(|e| !e.rejected) {
            let canonical = e
                .item
                .parse::<ItemId>()
                .ok()
                .and_then(|id| backlog.get(&id).map(|f| item_fields(&f.item)))
                .and_then(|f| f.get(&e.field).cloned());
            store
                .record_conflict(&Conflict {
                    target: e.target.clone(),
                    item_id: e.item.clone(),
                    field: e.field.clone(),
                    base: Some(e.base.clone()),
                    canonical,
                    remote: Some(e.value.clone()),
                    detected_at: chrono::Utc::now(),
                })
                .map_err(store_err)?;
            e.rejected = true;
        }
        tracing::warn!(
            pull_request = n,
            "the review pull request was closed unmerged; its values are open conflicts (`backlog-sync resolve --list`)"
        );
    }
    held.pull_request = None;
    hold.set(held)?;
    Ok(Arc::new(hold))
}

/// After the engine's run: the review branch and its pull request carry every waiting value.
/// Returns the open pull request, if any.
pub async fn after(
    run: &super::GitRun,
    report: &crate::reconcile::engine::RunReport,
    hold: &Hold,
    pulls: &Pulls,
) -> Result<Option<u64>, GitError> {
    let repo = &run.repo;
    let mut held = hold.held();
    let git = &repo.settings;
    let (head, base) = (git.review_branch.clone(), git.branch.clone());
    let open = pulls.find_open(&head, &base).await?;
    if held.waiting().next().is_none() {
        if let Some(p) = open {
            // Every value it carried was changed back on its tracker: nothing is left to review.
            pulls.close(p.number).await?;
            tracing::info!(pull_request = p.number, "closed the review pull request: nothing waits any more");
        }
        if held.pull_request.take().is_some() {
            hold.set(held)?;
        }
        return Ok(None);
    }
    let proposed = hold.proposed.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (r, h, keep) = (repo.clone(), held.clone(), open.is_some());
    let (editors, people) = (report.editors.clone(), run.people.clone());
    tokio::task::spawn_blocking(move || {
        let by = |item: &str, target: &str| editors.get(item).and_then(|t| t.get(target));
        publish(&r, &h, &proposed, keep, &|lines| message::trailers(lines, &by, &people))
    })
    .await
    .map_err(|e| GitError::Spawn(e.to_string()))??;
    let (title, body) = describe(&held);
    let had = open.is_some();
    let number = match open {
        Some(p) => {
            if p.body != body {
                pulls.update(p.number, &title, &body).await?;
            }
            p.number
        }
        None => pulls.create(&head, &base, &title, &body).await?.number,
    };
    // The drift findings of the items it carries, as they would be once merged: one review,
    // updated in place by later runs. A review that cannot be posted is logged, not fatal.
    let dir = worktree(repo)?;
    let items: std::collections::BTreeSet<String> = held.waiting().map(|e| e.item.clone()).collect();
    let findings = tokio::task::spawn_blocking(move || drift_of(&dir, &items))
        .await
        .map_err(|e| GitError::Spawn(e.to_string()))?;
    if had || !findings.is_empty() {
        let text = review_text(&findings);
        if let Err(e) = pulls.upsert_review(number, REVIEW_MARKER, &text, !findings.is_empty()).await {
            tracing::warn!(pull_request = number, error = %e, "could not post the drift findings as a review");
        }
    }
    if held.pull_request != Some(number) {
        held.pull_request = Some(number);
        hold.set(held)?;
    }
    Ok(Some(number))
}

/// Marks the review that holds the drift findings, so later runs update it.
pub const REVIEW_MARKER: &str = "<!-- backlog-sync:drift -->";

/// The local drift rules over the review branch's files, for the items in `items`.
fn drift_of(dir: &Path, items: &std::collections::BTreeSet<String>) -> Vec<crate::drift::Finding> {
    let Ok(backlog) = Backlog::load(dir) else { return Vec::new() };
    let today = chrono::Utc::now().date_naive();
    let mut found: Vec<crate::drift::Finding> = crate::drift::lint::lint_backlog(&backlog, today)
        .into_iter()
        .filter(|f| f.item.as_ref().is_some_and(|i| items.contains(i)))
        .collect();
    crate::drift::sort_findings(&mut found);
    found
}

/// The review's text: the findings, or that there are none (any more).
pub fn review_text(findings: &[crate::drift::Finding]) -> String {
    let mut out = format!("{REVIEW_MARKER}\n**Drift findings of the items in this pull request**, once merged:\n\n");
    if findings.is_empty() {
        out.push_str("none.\n");
    }
    for f in findings {
        let hint = f.hint.as_deref().map(|h| format!(" — {h}")).unwrap_or_default();
        out.push_str(&format!(
            "- `{}` {:?} {}: {}{hint}\n",
            f.rule,
            f.severity,
            f.item.as_deref().unwrap_or(""),
            f.message
        ));
    }
    out
}

/// The pull request's title and text: every waiting value, by item.
pub fn describe(held: &Held) -> (String, String) {
    let waiting: Vec<&Entry> = held.waiting().collect();
    let items: std::collections::BTreeSet<&str> = waiting.iter().map(|e| e.item.as_str()).collect();
    let title = format!("backlog-sync: {} inbound change(s) to {} item(s)", waiting.len(), items.len());
    let mut body = String::from(
        "Edits made in the trackers, waiting for review. Merge to make them canonical (they then go on to \
         the other targets); close to keep the backlog as it is (each becomes a conflict to settle with \
         `backlog-sync resolve`). Updated in place by backlog-sync while it is open.\n\n\
         | item | field | from | new value | was |\n|---|---|---|---|---|\n",
    );
    for e in waiting {
        body.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            e.item,
            e.field,
            e.target,
            cell(&e.value),
            cell(&e.base)
        ));
    }
    (title, body)
}

fn cell(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|");
    if one.chars().count() > 80 { format!("{}…", one.chars().take(80).collect::<String>()) } else { one }
}

/// The review branch's worktree, inside the clone's git directory (never in the backlog's tree).
fn worktree(repo: &Repo) -> Result<PathBuf, GitError> {
    let git_dir = repo.git(&["rev-parse", "--absolute-git-dir"])?;
    Ok(Path::new(git_dir.trim()).join("backlog-sync-review"))
}

fn rev(repo: &Repo, name: &str) -> Result<Option<String>, GitError> {
    let out = repo.output(&["rev-parse", "--verify", "--quiet", &format!("{name}^{{commit}}")])?;
    Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

/// Commits the waiting values on the review branch and pushes it. While its pull request is open
/// the branch grows: a commit on top of it with this run's new values only, so whatever a
/// reviewer pushed to it stays (and `branch` moving under it is the pull request's business, as
/// for any pull request). Otherwise it is made again: `branch` + every waiting value, pushed with
/// `--force-with-lease` (the branch is the sync's own; `branch` itself is never forced).
fn publish(
    repo: &Repo,
    held: &Held,
    proposed: &[Entry],
    open: bool,
    trailers: &dyn Fn(&[message::Line]) -> Vec<String>,
) -> Result<(), GitError> {
    let git = &repo.settings;
    let main = rev(repo, &format!("refs/remotes/origin/{}", git.branch))?.ok_or_else(|| {
        GitError::Review(format!("`{}` does not exist on the remote yet; push the backlog to it first", git.branch))
    })?;
    let remote_review = rev(repo, &format!("refs/remotes/origin/{}", git.review_branch))?;
    let grows = open && remote_review.is_some();
    let parent = if grows { remote_review.clone().expect("grows") } else { main.clone() };
    let dir = worktree(repo)?;
    if dir.join(".git").exists() {
        repo.git_in(&dir, &["checkout", "--quiet", "--detach", "--force", &parent])?;
        repo.git_in(&dir, &["clean", "-fdq"])?;
    } else {
        let _ = repo.output(&["worktree", "prune"]);
        let shown = dir.display().to_string();
        repo.git(&["worktree", "add", "--quiet", "--force", "--detach", &shown, &parent])?;
    }
    let values: Vec<&Entry> = if grows { proposed.iter().collect() } else { held.waiting().collect() };
    write_values(&dir, &values)?;
    repo.git_in(&dir, &["add", "--all"])?;
    let tree = repo.git_in(&dir, &["write-tree"])?.trim().to_string();
    let parent_tree = repo.git(&["rev-parse", &format!("{parent}^{{tree}}")])?.trim().to_string();
    if tree == parent_tree {
        return Ok(());
    }
    let text = commit_message(&values, trailers);
    let commit = repo.git(&["commit-tree", &tree, "-p", &parent, "-m", &text])?.trim().to_string();
    let refspec = format!("{commit}:refs/heads/{}", git.review_branch);
    let lease = format!("--force-with-lease=refs/heads/{}:{}", git.review_branch, remote_review.unwrap_or_default());
    let mut args = vec!["push", "--porcelain", "origin"];
    if !grows {
        args.push(&lease);
    }
    args.push(&refspec);
    repo.git(&args)?;
    tracing::info!(branch = %git.review_branch, commit = %commit, rewritten = !grows, "pushed the review branch");
    Ok(())
}

/// `values` written into the files of `dir` (the minimal writers: one line each).
fn write_values(dir: &Path, values: &[&Entry]) -> Result<(), GitError> {
    let backlog = Backlog::load(dir).map_err(|e| GitError::Review(e.to_string()))?;
    let mut by_item: BTreeMap<ItemId, FieldMap> = BTreeMap::new();
    for e in values {
        let Ok(id) = e.item.parse::<ItemId>() else { continue };
        by_item.entry(id).or_default().insert(e.field.clone(), e.value.clone());
    }
    let mut updates = Vec::new();
    for (id, changes) in &by_item {
        let Some(file) = backlog.get(id) else { continue };
        match apply_fields(&file.item, changes) {
            Ok(new) => updates.push((file, new)),
            Err(e) => {
                tracing::warn!(item = %id, error = %e, "a waiting value does not fit the file; left out of the review")
            }
        }
    }
    for written in Backlog::update_items(&updates) {
        written.map_err(|e| GitError::Review(e.to_string()))?;
    }
    Ok(())
}

/// The review commit's message: the values it writes.
fn commit_message(values: &[&Entry], trailers: &dyn Fn(&[message::Line]) -> Vec<String>) -> String {
    let mut lines: Vec<message::Line> = values
        .iter()
        .map(|e| message::Line { item: e.item.clone(), field: e.field.clone(), from: e.target.clone() })
        .collect();
    lines.sort();
    lines.dedup();
    message::render_with(&lines, &trailers(&lines))
        .unwrap_or_else(|| "backlog-sync: inbound changes waiting for review\n".into())
}
