//! One run of the sync: read the backlog, the store and each target; plan; apply. Used by the
//! `plan`, `sync` and `reconcile` commands, `demo` and the daemon.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::apply::{self, Applied};
use super::merge::Policies;
use super::plan::{Action, CanonicalItem, LinkView, Plan, PlanInput, TargetInput, plan};
use super::remote::{Fetched, Remote};
use crate::auth::TokenSource;
use crate::backlog::{Backlog, BacklogError};
use crate::config::{Process, Secret, Settings, TargetSettings, parse_max_removals};
use crate::connector::RemoteError;
use crate::mapping::fields::{item_fields, strip_control};
use crate::mapping::{Identities, MappingError, builtin};
use crate::model::{ItemId, Kind};
use crate::store::{RunCounts, RunOutcome, Store, StoreError, SyncLock};

/// Why a run could not be done.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Backlog(#[from] BacklogError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The backlog repository (`[backlog.git]`, `sync --commit`) could not be updated or published.
    #[error(transparent)]
    Git(#[from] crate::backlog_git::GitError),
    #[error("target `{target}`: {reason}")]
    Target { target: String, reason: String },
    #[error("no targets are configured; add a `[[targets]]` table to the settings (see config/default.toml)")]
    NoTargets,
}

/// Which run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// Incremental: what changed since the last run.
    Sync,
    /// Everything, both sides, including remote deletions.
    Reconcile,
}

/// Reports progress: (done, total, what).
pub type Progress = Arc<dyn Fn(usize, usize, &str) + Send + Sync>;

/// How to run.
#[derive(Clone, Default)]
pub struct RunOptions {
    pub full: bool,
    /// Plan only: change nothing anywhere.
    pub dry_run: bool,
    pub allow_mass_removal: bool,
    /// Wait this long for another run holding a target's lock.
    pub wait: Option<Duration>,
    pub progress: Option<Progress>,
    /// Recorded as the run's kind (`sync`, `reconcile`, `webhook`, `demo`…).
    pub label: Option<String>,
    /// Remote items a trigger named, as (target, remote id): their comments are read this run.
    pub touched: BTreeSet<(String, String)>,
    /// Review mode (`[backlog.git] mode = "pull-request"`, src/backlog_git/review): inbound values
    /// wait in a pull request, and the plan neither writes them into the files nor sends them on.
    pub review: Option<Arc<crate::backlog_git::review::Hold>>,
}

/// What a run did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RunReport {
    pub run_id: Option<i64>,
    pub plan: Plan,
    pub applied: Vec<Applied>,
    pub counts: RunCounts,
    /// Remote requests sent per target in this run.
    pub requests: BTreeMap<String, u64>,
    /// Items that failed; the rest of the run went on.
    pub errors: Vec<String>,
    /// Items a remote refused for good (`sync-item-refused`); the rest of the run went on.
    pub refused: Vec<super::refusal::Refusal>,
    /// What a target could not hold as it is and was adapted (`sync-tag-unfit`, `sync-body-cut`,
    /// `sync-owner-unassignable`); the items synced, and their files keep everything.
    pub adapted: Vec<crate::mapping::adapt::Adaptation>,
    /// Open manual conflicts after the run.
    pub open_conflicts: usize,
    /// Files the run could not read: their items were left alone everywhere.
    pub skipped: Vec<Skipped>,
    /// Control characters taken out of inbound values (a file cannot hold them).
    pub stripped: Vec<Stripped>,
    /// The milestone step (`[sync] milestones = true`).
    pub milestones: crate::milestones::sync::MilestoneReport,
    /// Comments mirrored between the targets.
    pub comments: crate::comments::Report,
    /// Remote items carrying our marker that were not adopted (`marker-not-adopted`).
    pub not_adopted: Vec<super::trust::NotAdopted>,
    /// Links whose remote item moved (a renamed repository, a transferred issue): their URL followed.
    pub moved: Vec<super::moved::Moved>,
    /// Who last edited each changed item on each target, where the target says so: item → target
    /// → editor. The backlog repository's commit names them (`Co-authored-by`, src/backlog_git).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub editors: BTreeMap<String, BTreeMap<String, crate::backlog_git::message::Editor>>,
}

/// Control characters taken out of one inbound value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Stripped {
    pub target: String,
    pub remote_id: String,
    pub field: String,
    /// Each character as `U+001B`.
    pub characters: Vec<String>,
}

/// Cleans every value of a remote item read in this run, noting what was taken out.
fn clean(target: &str, remote_id: &str, fields: &mut crate::mapping::FieldMap, notes: &mut Vec<Stripped>) {
    for (field, taken) in strip_control(fields) {
        if notes.iter().any(|n| n.target == target && n.remote_id == remote_id && n.field == field) {
            continue;
        }
        notes.push(Stripped {
            target: target.to_string(),
            remote_id: remote_id.to_string(),
            field,
            characters: taken.iter().map(|c| format!("U+{:04X}", *c as u32)).collect(),
        });
    }
}

/// A file a run skipped because it could not be read as an item.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub line: usize,
    pub reason: String,
}

/// Builds the remote of one target from its settings, with identities beside its mapping file.
pub fn connect(target: &TargetSettings) -> Result<Remote, SyncError> {
    connect_in(target, None, target.process)
}

/// Builds the remote of one target through the tracker registry (see [`crate::trackers::connect`]).
pub fn connect_in(
    target: &TargetSettings,
    settings_file: Option<&Path>,
    process: Option<Process>,
) -> Result<Remote, SyncError> {
    crate::trackers::connect(target, settings_file, process).map(Remote::new)
}

/// Where a target's credential comes from: a token, a token file, a GitHub App or Entra ID.
/// Reads what is local (variables, keys) now; nothing is sent until a credential is asked for.
pub fn source_of(target: &TargetSettings) -> Result<TokenSource, SyncError> {
    TokenSource::from_settings(target).map_err(|e| SyncError::Target { target: e.target, reason: e.reason })
}

/// The token of a target, from its file or its environment variable.
pub fn token_of(target: &TargetSettings) -> Result<Secret, SyncError> {
    match (&target.token_env, &target.token_file) {
        (_, Some(file)) => Secret::from_file(file),
        (Some(var), None) => Secret::from_env(var),
        (None, None) => Err("set `token_env` or `token_file`".to_string()),
    }
    .map_err(|reason| SyncError::Target { target: target.name.clone(), reason })
}

/// What a target needs read from the remote before it is built (see [`crate::trackers::prepare`]).
pub async fn process_of(target: &TargetSettings) -> Result<Option<Process>, SyncError> {
    crate::trackers::prepare(target).await
}

/// Builds the remotes of every target, reading Azure Boards processes where needed.
pub async fn connect_all(settings: &Settings) -> Result<Vec<Remote>, SyncError> {
    let mut remotes = Vec::with_capacity(settings.targets.len());
    for t in &settings.targets {
        let process = process_of(t).await?;
        remotes.push(connect_in(t, settings.source.as_deref(), process)?);
    }
    Ok(remotes)
}

/// The identities of the settings' first target (what `drift` and `demo` report on).
pub fn identities_of(settings: &Settings) -> Result<Identities, MappingError> {
    let mapping = settings.targets.first().and_then(|t| t.mapping.as_deref());
    builtin::identities(mapping, settings.source.as_deref())
}

/// `mappings/identities.toml`: beside the folder of the target's mapping file.
pub fn identities_path(mapping: &Path) -> std::path::PathBuf {
    builtin::identities_path(Some(mapping), None).unwrap_or_default()
}

fn modified(path: &Path) -> Option<DateTime<Utc>> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok().map(DateTime::<Utc>::from)
}

/// Runs one sync or reconcile over every configured target.
pub async fn run(settings: &Settings, opts: &RunOptions) -> Result<RunReport, SyncError> {
    if settings.targets.is_empty() {
        return Err(SyncError::NoTargets);
    }
    let remotes = connect_all(settings).await?;
    run_with(settings, &remotes, opts).await
}

/// Runs against remotes already built (the daemon and `demo` keep theirs).
pub async fn run_with(settings: &Settings, remotes: &[Remote], opts: &RunOptions) -> Result<RunReport, SyncError> {
    let backlog = Backlog::load(&settings.backlog.path)?;
    let state_path = settings.state_path();
    let names: Vec<&str> = remotes.iter().map(Remote::name).collect();
    let _lock = if opts.dry_run {
        None
    } else {
        Some(SyncLock::acquire(state_path.parent().unwrap_or(Path::new(".")), &names, opts.wait)?)
    };
    let store = if opts.dry_run && !state_path.exists() { Store::open_in_memory()? } else { Store::open(&state_path)? };
    let before: BTreeMap<String, u64> = remotes.iter().map(|r| (r.name().to_string(), r.requests())).collect();
    // Milestones first, so that the items' milestones exist on every target (and an imported
    // milestone is in the backlog the items are planned from).
    let milestones = if settings.sync.milestones && !opts.dry_run {
        crate::milestones::sync::run(&settings.backlog.path, &backlog.project.milestones, remotes).await
    } else {
        crate::milestones::sync::MilestoneReport::default()
    };
    let backlog = if milestones.imported.is_empty() { backlog } else { Backlog::load(&settings.backlog.path)? };

    let mut inputs = Vec::new();
    let mut fetched: BTreeMap<String, Fetched> = BTreeMap::new();
    let conflicts = store.open_conflicts()?;
    let mut stripped = Vec::new();
    let mut adapted = Vec::new();
    for remote in remotes {
        remote.take_notes();
    }
    let unreadable: BTreeSet<ItemId> = backlog.invalid.iter().filter_map(|f| f.id.clone()).collect();
    // Targets that listed an edit of an item whose file could not be read: their watermark stays
    // where it was (and drops its ETag), so the edit is listed again once the file reads.
    let mut held_back: BTreeMap<String, Option<crate::store::Watermark>> = BTreeMap::new();
    let mut moved = Vec::new();
    for remote in remotes {
        let name = remote.name().to_string();
        let links = store.links(&name)?;
        let parents: BTreeMap<String, ItemId> =
            links.iter().filter_map(|l| Some((l.remote_id.clone(), l.item_id.parse().ok()?))).collect();
        let full = opts.full || store.watermark(&name)?.is_none();
        let mut got = remote.fetch(full, store.watermark(&name)?.as_ref(), &parents).await?;
        epics_found_by_marker(remote, &parents, &mut got).await?;
        for (remote_id, listed) in got.listed.iter_mut() {
            clean(&name, remote_id, &mut listed.fields, &mut stripped);
        }
        for (remote_id, meta) in got.meta.iter_mut() {
            clean(&name, remote_id, &mut meta.fields, &mut stripped);
        }
        // What the target holds in another form than was meant (tags it cannot hold, a cut
        // body, a label's case) reads as meant: never as an edit.
        let bases: BTreeMap<&str, &crate::store::Link> = links.iter().map(|l| (l.remote_id.as_str(), l)).collect();
        for (remote_id, listed) in got.listed.iter_mut() {
            let Some(link) = bases.get(remote_id.as_str()) else { continue };
            let Ok(id) = link.item_id.parse::<ItemId>() else { continue };
            let kind = backlog.project.ids.kind_of(id.prefix()).unwrap_or(Kind::Story);
            remote.restore(kind, &id, &link.base, &mut listed.fields);
        }
        // Owners the target cannot assign now: held like owners with no identity there, noted,
        // and checked again by every run until they can be assigned.
        let mut assignable: BTreeMap<String, bool> = BTreeMap::new();
        let mut unassignable: BTreeSet<ItemId> = BTreeSet::new();
        for link in &links {
            let Ok(id) = link.item_id.parse::<ItemId>() else { continue };
            let Some(owner) = backlog.get(&id).and_then(|f| f.item.owner.clone()).filter(|o| !o.trim().is_empty())
            else {
                continue;
            };
            if !remote.carries_owner(&owner) || link.base.get("owner").is_some_and(|b| *b == owner) {
                continue;
            }
            let can = match assignable.get(&owner) {
                Some(can) => *can,
                None => {
                    let can = remote.can_assign(&owner, link).await;
                    assignable.insert(owner.clone(), can);
                    can
                }
            };
            if !can {
                adapted.push(remote.unassignable(&id, &owner));
                unassignable.insert(id);
            }
        }
        for (remote_id, listed) in got.listed.iter_mut() {
            let Some(id) = parents.get(remote_id) else { continue };
            let owner = backlog.get(id).and_then(|f| f.item.owner.clone());
            if owner.is_some_and(|o| !remote.carries_owner(&o)) || unassignable.contains(id) {
                listed.fields.remove("owner");
            }
        }
        if got.listed.keys().any(|rid| parents.get(rid).is_some_and(|id| unreadable.contains(id))) {
            let old = store.watermark(&name)?.map(|w| crate::store::Watermark { etag: None, ..w });
            held_back.insert(name.clone(), old);
        }
        let mut input = TargetInput { name: name.clone(), listed: got.listed.clone(), ..TargetInput::default() };
        input.creating =
            store.intents(&name)?.into_iter().filter_map(|i| Some((i.item_id.parse().ok()?, i.sent))).collect();
        // Every item, linked or not (a link found again after the state was lost has no base).
        for file in &backlog.items {
            if file.item.owner.as_ref().is_some_and(|o| !remote.carries_owner(o))
                || unassignable.contains(&file.item.id)
            {
                input.uncarried.insert(file.item.id.clone(), ["owner".to_string()].into());
            }
        }
        for link in &links {
            let Ok(id) = link.item_id.parse::<ItemId>() else { continue };
            if full && !got.listed.contains_key(&link.remote_id) {
                let kind = backlog.project.ids.kind_of(id.prefix()).unwrap_or(Kind::Story);
                match remote.get(&link.remote_id, kind, &parents).await? {
                    None => {
                        input.vanished.insert(link.remote_id.clone());
                    }
                    Some(mut w) => {
                        clean(&name, &w.remote_id, &mut w.fields, &mut stripped);
                        remote.restore(kind, &id, &link.base, &mut w.fields);
                        if unassignable.contains(&id) {
                            w.fields.remove("owner");
                        }
                        got.meta.insert(w.remote_id.clone(), w.clone());
                        let item = super::plan::RemoteItem {
                            remote_id: w.remote_id.clone(),
                            kind: Some(kind),
                            fields: w.fields.clone(),
                            marker: None,
                            updated_at: Some(w.updated_at),
                        };
                        input.listed.insert(w.remote_id.clone(), item);
                    }
                }
            }
            let held = conflicts
                .iter()
                .filter(|c| c.target == name && c.item_id == link.item_id)
                .map(|c| (c.field.clone(), c.remote.clone().unwrap_or_default()))
                .collect();
            input
                .links
                .insert(id, LinkView { remote_id: link.remote_id.clone(), base: link.base.clone(), conflicts: held });
        }
        if !opts.dry_run {
            moved.extend(super::moved::follow(&store, &name, &links, &got)?);
        }
        inputs.push(input);
        fetched.insert(name, got);
    }

    let items: Vec<CanonicalItem> = backlog
        .items
        .iter()
        .map(|f| CanonicalItem {
            id: f.item.id.clone(),
            kind: f.item.kind,
            fields: item_fields(&f.item),
            modified: modified(&f.path),
        })
        .collect();
    let max_removals = parse_max_removals(&settings.sync.max_removals)
        .map_err(|reason| SyncError::Target { target: "sync".into(), reason })?;
    let mut input = PlanInput {
        items,
        unreadable,
        targets: inputs,
        policies: Policies { default: settings.sync.conflict_policy, per_field: settings.sync.field_policies.clone() },
        max_removals,
        allow_mass_removal: opts.allow_mass_removal,
        next_ids: Kind::ALL.into_iter().map(|k| (k, backlog.next_id(k))).collect(),
    };
    // Review mode: the hook plans around the values waiting for review (src/backlog_git/review).
    let the_plan = match &opts.review {
        Some(hold) => hold.plan(&mut input, opts.dry_run)?,
        None => plan(&input),
    };
    let skipped = backlog
        .invalid
        .iter()
        .map(|f| Skipped { path: f.path.display().to_string(), line: f.line, reason: f.reason.clone() })
        .collect();
    let not_adopted = fetched.values().flat_map(|f| f.not_adopted.iter().cloned()).collect();
    let mut report = RunReport { plan: the_plan, skipped, stripped, not_adopted, moved, ..RunReport::default() };
    for t in &input.targets {
        for (id, link) in &t.links {
            let by = fetched.get(&t.name).and_then(|f| f.meta.get(&link.remote_id)).and_then(|w| w.changed_by.clone());
            if let Some(by) = by {
                report.editors.entry(id.to_string()).or_default().insert(t.name.clone(), by);
            }
        }
    }
    if opts.dry_run {
        report.requests = requests_since(remotes, &before);
        return Ok(report);
    }
    let label = opts.label.clone().unwrap_or_else(|| if opts.full { "reconcile".into() } else { "sync".into() });
    let run_id = store.start_run_for(&label, &names)?;
    report.run_id = Some(run_id);
    if let Some(reason) = report.plan.blocked.clone() {
        store.finish_run(run_id, &RunCounts::default(), RunOutcome::Stopped, Some(&reason))?;
        report.requests = requests_since(remotes, &before);
        return Ok(report);
    }
    let now = Utc::now();
    let (to_apply, waiting) = super::kept::without_waiting(&store, &report.plan, now, opts.full)?;
    let outcome = apply::apply(
        apply::World { backlog: &backlog, store: &store, remotes, fetched: &fetched, policies: &input.policies },
        &to_apply,
        run_id,
        opts.progress.as_ref(),
    )
    .await;
    let (applied, counts, mut errors, refused) = match outcome {
        Ok(done) => done,
        Err(e) => {
            store.finish_run(run_id, &RunCounts::default(), RunOutcome::Failed, Some(&e.to_string()))?;
            return Err(e);
        }
    };
    // Comments flow between the targets once the items are in step (src/comments/).
    let scope = crate::comments::Scope {
        full: opts.full,
        changed: fetched.iter().map(|(n, got)| (n.clone(), got.listed.keys().cloned().collect())).collect(),
        touched: opts.touched.clone(),
    };
    report.comments = crate::comments::mirror(&store, remotes, &scope).await?;
    errors.extend(report.comments.errors.iter().cloned());
    super::kept::keep(&store, &report.plan, &refused, &waiting, &names, now)?;
    errors.extend(milestones.errors.iter().cloned());
    report.milestones = milestones;
    let mut refused = refused;
    refused.extend(waiting.iter().map(super::kept::reported));
    // What each target adapted in this run: tags it cannot hold and cut bodies of the items
    // written, and owners it could not assign.
    for action in &to_apply.actions {
        let (Action::CreateRemote { target, id, kind, fields } | Action::UpdateRemote { target, id, kind, fields, .. }) =
            action
        else {
            continue;
        };
        if refused.iter().any(|r| r.item == id.to_string() && (r.target == *target || r.target.is_empty())) {
            continue;
        }
        if let Some(remote) = remotes.iter().find(|r| r.name() == target) {
            adapted.extend(remote.adaptations(*kind, id, fields));
        }
    }
    for remote in remotes {
        adapted.extend(remote.take_notes());
    }
    adapted.sort();
    adapted.dedup();
    errors.extend(refused.iter().map(ToString::to_string));
    if errors.is_empty() {
        for (name, got) in &fetched {
            let wm = match held_back.get(name) {
                Some(old) => old.as_ref(),
                None => got.watermark.as_ref(),
            };
            if let Some(wm) = wm {
                store.set_watermark(name, wm)?;
            }
        }
    }
    for remote in remotes {
        let b = remote.budget();
        let budget = crate::store::Budget {
            remaining: b.remaining,
            limit: b.limit,
            reset_at: b.reset_at,
            updated_at: Utc::now(),
        };
        store.set_budget(remote.name(), &budget)?;
    }
    let open_conflicts = store.open_conflicts()?.len();
    let outcome = match (errors.is_empty(), open_conflicts) {
        (false, _) => RunOutcome::Failed,
        (true, 0) => RunOutcome::Success,
        (true, _) => RunOutcome::Conflicts,
    };
    store.finish_run(run_id, &counts, outcome, (!errors.is_empty()).then(|| errors.join("; ")).as_deref())?;
    report.applied = applied;
    report.counts = counts;
    report.errors = errors;
    report.refused = refused;
    report.adapted = adapted;
    report.open_conflicts = open_conflicts;
    report.requests = requests_since(remotes, &before);
    Ok(report)
}

fn requests_since(remotes: &[Remote], before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    remotes.iter().map(|r| (r.name().to_string(), r.requests() - before.get(r.name()).copied().unwrap_or(0))).collect()
}

/// A story whose parent is not linked lists with no `epic` (unknown, never guessed). When that
/// parent was found by its marker in the same listing (the state was lost, or the epic's create
/// answer), the story is read again knowing it, so that a parent a person changed there is seen
/// (and merged, or named by a conflict) instead of being overwritten by the file's epic.
async fn epics_found_by_marker(
    remote: &Remote,
    parents: &BTreeMap<String, ItemId>,
    got: &mut Fetched,
) -> Result<(), SyncError> {
    let mut found = parents.clone();
    for (rid, r) in &got.listed {
        if let Some(marker) = &r.marker
            && r.kind == Some(Kind::Epic)
            && !found.contains_key(rid)
        {
            found.insert(rid.clone(), marker.clone());
        }
    }
    if found.len() == parents.len() {
        return Ok(());
    }
    let unknown: Vec<String> = got
        .listed
        .iter()
        .filter(|(_, r)| r.kind == Some(Kind::Story) && !r.fields.contains_key("epic"))
        .map(|(rid, _)| rid.clone())
        .collect();
    for rid in unknown {
        let Some(w) = remote.get(&rid, Kind::Story, &found).await? else { continue };
        let Some(epic) = w.fields.get("epic") else { continue };
        if let Some(r) = got.listed.get_mut(&rid) {
            r.fields.insert("epic".into(), epic.clone());
        }
        if let Some(m) = got.meta.get_mut(&rid) {
            m.fields.insert("epic".into(), epic.clone());
        }
    }
    Ok(())
}
