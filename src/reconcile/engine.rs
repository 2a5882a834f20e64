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
use super::plan::{Action, CanonicalItem, Plan, PlanInput, plan};
pub use super::read::Keys;
use super::read::{self, Reading, Scope};
use super::remote::Remote;
use crate::auth::TokenSource;
use crate::backlog::{Backlog, BacklogError};
use crate::config::{Process, Secret, Settings, TargetSettings, parse_max_removals};
use crate::connector::RemoteError;
use crate::mapping::fields::item_fields;
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
    /// Read only what these keys name (a webhook's items), not every target's listing; the plan
    /// touches only those items. `None`: everything (ignored with `full`).
    pub only: Option<Keys>,
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
    /// Writes that found their item changed there since it was read, which was then read again
    /// and planned again (once per item and round).
    pub replanned: usize,
    /// With [`RunOptions::only`]: the item keys that failed in this run (see `failed_keys`).
    pub failed_keys: BTreeSet<(String, String)>,
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

/// A file a run skipped because it could not be read as an item.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub line: usize,
    pub reason: String,
}

/// Builds the remote of one target from its settings, with identities beside its mapping file.
pub fn connect(target: &TargetSettings) -> Result<Remote, SyncError> {
    connect_in(target, None, target.tracker.process())
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

    let conflicts = store.open_conflicts()?;
    for remote in remotes {
        remote.take_notes();
    }
    let scope = match &opts.only {
        Some(keys) if !opts.full => Scope::of(keys, &store)?,
        _ => Scope::All,
    };
    let identities: BTreeMap<String, String> =
        remotes.iter().map(|r| (r.name().to_string(), r.identities_fingerprint())).collect();
    let relist = identities_changed(&store, &identities)?;
    let reading = Reading {
        backlog: &backlog,
        store: &store,
        remotes,
        conflicts: &conflicts,
        full: opts.full,
        relist: &relist,
        follow_moves: !opts.dry_run,
        list_beyond: Some(read::ONE_BY_ONE),
    };
    let read = read::read(&reading, &scope).await?;
    let mut input = plan_input(settings, opts, &backlog, read.inputs)?;
    let mut the_plan = plan_run(opts, &mut input)?;
    if let Some(ids) = &read.scope {
        keep_only(&mut the_plan, ids);
    }
    // An item whose read failed waits for the next run, also when every item was read.
    let unread: BTreeSet<ItemId> = read.failed.iter().map(|(id, _)| id.clone()).collect();
    the_plan.actions.retain(|a| !unread.contains(subject(a)));
    the_plan.conflicts.retain(|c| !unread.contains(&c.id));
    let skipped = backlog
        .invalid
        .iter()
        .map(|f| Skipped { path: f.path.display().to_string(), line: f.line, reason: f.reason.clone() })
        .collect();
    let fetched = read.fetched;
    let not_adopted = fetched.values().flat_map(|f| f.not_adopted.iter().cloned()).collect();
    let mut report = RunReport {
        plan: the_plan,
        skipped,
        stripped: read.stripped,
        not_adopted,
        moved: read.moved,
        ..RunReport::default()
    };
    let mut adapted = read.adapted;
    let held_back = read.held_back;
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
    // Comments are read for the items whose remote changed since the last run (a comment moves an
    // issue's `updated_at` and a work item's revision), not for every item a watermark's overlap
    // listed again: known before this run's writes move the stored versions.
    let mut changed_remotely: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, got) in &fetched {
        let known: BTreeMap<String, Option<String>> =
            store.links(name)?.into_iter().map(|l| (l.remote_id, l.remote_version)).collect();
        let changed = got
            .listed
            .keys()
            .filter(|rid| match (known.get(*rid), got.meta.get(*rid)) {
                (Some(Some(stored)), Some(read)) => read.version.as_ref() != Some(stored),
                _ => true,
            })
            .cloned()
            .collect();
        changed_remotely.insert(name.clone(), changed);
    }
    let (to_apply, waiting) = super::kept::without_waiting(&store, &report.plan, now, opts.full)?;
    // Before the first write, so that a run killed after it leaves no ETag either (finding 47).
    let mut wrote = written_targets(&to_apply);
    for name in &wrote {
        forget_etag(&store, name)?;
    }
    let world = apply::World { backlog: &backlog, store: &store, remotes, fetched: &fetched };
    let mut outcome = match apply::apply(world, &to_apply, run_id, opts.progress.as_ref()).await {
        Ok(done) => done,
        Err(e) => {
            store.finish_run(run_id, &RunCounts::default(), RunOutcome::Failed, Some(&e.to_string()))?;
            return Err(e);
        }
    };
    let mut failed: BTreeSet<String> = read.failed.iter().map(|(id, _)| id.to_string()).collect();
    outcome
        .errors
        .extend(read.failed.into_iter().map(|(id, message)| apply::Failure { item: Some(id.to_string()), message }));
    if let Err(e) = replan(settings, opts, &store, remotes, &conflicts, run_id, &mut outcome, &mut report).await {
        store.finish_run(run_id, &RunCounts::default(), RunOutcome::Failed, Some(&e.to_string()))?;
        return Err(e);
    }
    let apply::Outcome { applied, counts, errors: failures, refused, .. } = outcome;
    failed.extend(failures.iter().filter_map(|f| f.item.clone()));
    let mut errors_of_the_run = failures.iter().filter(|f| f.item.is_none()).count();
    let mut errors: Vec<String> = failures.into_iter().map(|f| f.message).collect();
    // Comments flow between the targets once the items are in step (src/comments/).
    let scope = crate::comments::Scope { full: opts.full, changed: changed_remotely, touched: opts.touched.clone() };
    report.comments = crate::comments::mirror(&store, remotes, &scope).await?;
    errors.extend(report.comments.errors.iter().cloned());
    super::kept::keep(&store, &report.plan, &refused, &waiting, &names, now)?;
    errors.extend(milestones.errors.iter().cloned());
    errors_of_the_run += report.comments.errors.len() + milestones.errors.len();
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
    failed.extend(refused.iter().map(|r| r.item.clone()));
    if let Some(keys) = &opts.only {
        report.failed_keys = failed_keys(&store, keys, &failed, errors_of_the_run > 0, !errors.is_empty())?;
    }
    // A re-plan's writes, and comments mirrored (which target they went to is not kept: all).
    wrote.extend(applied.iter().filter_map(|a| a.target.clone()));
    if report.comments.posted + report.comments.edited + report.comments.deleted > 0 {
        wrote.extend(remotes.iter().map(|r| r.name().to_string()));
    }
    if errors.is_empty() {
        for (name, got) in &fetched {
            match (held_back.get(name), got.watermark.as_ref(), identities.get(name)) {
                // Held back, it keeps the identities it was listed with too: a listing in full
                // owed for new identities is owed still.
                (Some(old), ..) => {
                    if let Some(wm) = old {
                        store.set_watermark(name, wm)?;
                    }
                }
                (None, Some(wm), Some(fingerprint)) => store.set_watermark_listed_with(name, wm, fingerprint)?,
                (None, Some(wm), None) => store.set_watermark(name, wm)?,
                (None, None, _) => {}
            }
        }
    }
    // Also where the watermark just saved kept the ETag of this run's listing.
    for name in &wrote {
        forget_etag(&store, name)?;
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

/// The targets a plan writes to: creates, updates, closes, and an import's marker.
fn written_targets(plan: &Plan) -> BTreeSet<String> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateRemote { target, .. }
            | Action::UpdateRemote { target, .. }
            | Action::CloseRemote { target, .. }
            | Action::Import { target, .. } => Some(target.clone()),
            _ => None,
        })
        .collect()
}

/// A listing's ETag stands for the answer as it was read, before this run wrote there. A person
/// who then puts an issue back as that answer showed it within the same second (GitHub's
/// `updated_at` has whole seconds) makes the same bytes, so the next listing would be answered
/// 304 and the person's edit never read (finding 47). A target a run writes to keeps no ETag: its
/// next listing is answered in full, as it would be anyway (the writes moved `updated_at`).
fn forget_etag(store: &Store, target: &str) -> Result<(), StoreError> {
    match store.watermark(target)? {
        Some(wm) if wm.etag.is_some() => store.set_watermark(target, &crate::store::Watermark { etag: None, ..wm }),
        _ => Ok(()),
    }
}

/// The targets whose identities differ from those their last listing read owners with (or
/// whose watermark predates keeping them): each is listed in full before its watermark moves, so
/// an assignee that names a person only now (added to `identities.toml`) reaches the file and the
/// other targets, and one whose identity changed is read as it now reads (finding 24). A target
/// with no watermark is listed in full anyway.
fn identities_changed(store: &Store, identities: &BTreeMap<String, String>) -> Result<BTreeSet<String>, SyncError> {
    let mut out = BTreeSet::new();
    for (name, fingerprint) in identities {
        if store.watermark(name)?.is_some() && store.listed_with(name)?.as_deref() != Some(fingerprint.as_str()) {
            tracing::info!(target = %name, "the identities differ from those of the last listing: listing it in full");
            out.insert(name.clone());
        }
    }
    Ok(out)
}

fn requests_since(remotes: &[Remote], before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    remotes.iter().map(|r| (r.name().to_string(), r.requests() - before.get(r.name()).copied().unwrap_or(0))).collect()
}

/// The plan's input: the backlog's items beside what was read of the targets.
fn plan_input(
    settings: &Settings,
    opts: &RunOptions,
    backlog: &Backlog,
    targets: Vec<super::plan::TargetInput>,
) -> Result<PlanInput, SyncError> {
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
    Ok(PlanInput {
        items,
        unreadable: backlog.invalid.iter().filter_map(|f| f.id.clone()).collect(),
        targets,
        policies: Policies { default: settings.sync.conflict_policy, per_field: settings.sync.field_policies.clone() },
        max_removals,
        allow_mass_removal: opts.allow_mass_removal,
        next_ids: Kind::ALL.into_iter().map(|k| (k, backlog.next_id(k))).collect(),
    })
}

/// Keeps the actions and conflicts of the items a scoped run read (and of the items its listings
/// import or adopt, which only a listing brings); the others wait for a run that reads them.
fn keep_only(plan: &mut Plan, ids: &BTreeSet<ItemId>) {
    let mut ids = ids.clone();
    for action in &plan.actions {
        if let Action::Import { id, .. } | Action::Adopt { id, .. } = action {
            ids.insert(id.clone());
        }
    }
    plan.actions.retain(|a| ids.contains(subject(a)));
    plan.conflicts.retain(|c| ids.contains(&c.id));
}

/// A create that failed in this run may still have made the item (its answer lost, or a later
/// step of it failed, as GitHub's sub-issue after the issue was made): the item is not linked, so
/// a replan would create it a second time. An item whose action failed is created nowhere again
/// in this run; the next run's listing finds what the create made by its marker and adopts it.
fn no_second_create(plan: &mut Plan, errors: &[apply::Failure]) {
    let failed: BTreeSet<&str> = errors.iter().filter_map(|f| f.item.as_deref()).collect();
    plan.actions.retain(|a| !matches!(a, Action::CreateRemote { id, .. } if failed.contains(id.to_string().as_str())));
}

fn subject(action: &Action) -> &ItemId {
    match action {
        Action::UpdateCanonical { id, .. }
        | Action::Import { id, .. }
        | Action::MarkRemoved { id, .. }
        | Action::Adopt { id, .. }
        | Action::CreateRemote { id, .. }
        | Action::UpdateRemote { id, .. }
        | Action::CloseRemote { id, .. }
        | Action::Rebase { id, .. }
        | Action::Conflicts { id, .. } => id,
    }
}

/// The pure planner, or in review mode the hook that plans around the values waiting for review
/// (src/backlog_git/review): the first plan of a run and every re-plan of a stale item alike.
fn plan_run(opts: &RunOptions, input: &mut PlanInput) -> Result<Plan, SyncError> {
    Ok(match &opts.review {
        Some(hold) => hold.plan(input, opts.dry_run)?,
        None => plan(input),
    })
}

/// How many times an item whose write found it changed there is read and planned again in one
/// run; after that it fails for this run (the next run starts from what it then reads).
pub const REPLANS: usize = 3;

/// Items whose write found them changed there since the run read them ([`apply::Outcome::stale`])
/// are read again, on every target they are linked on, planned again by the pure planner from
/// what they hold now, and that plan is applied: at most [`REPLANS`] rounds.
#[allow(clippy::too_many_arguments)]
async fn replan(
    settings: &Settings,
    opts: &RunOptions,
    store: &Store,
    remotes: &[Remote],
    conflicts: &[crate::store::Conflict],
    run_id: i64,
    outcome: &mut apply::Outcome,
    report: &mut RunReport,
) -> Result<(), SyncError> {
    let mut stale = std::mem::take(&mut outcome.stale);
    let mut deleted = std::mem::take(&mut outcome.deleted_meanwhile);
    for round in 1..=REPLANS {
        if stale.is_empty() && deleted.is_empty() {
            return Ok(());
        }
        let ids: BTreeSet<ItemId> = stale.iter().chain(&deleted).map(|(_, id)| id.clone()).collect();
        for (target, id) in &stale {
            let what =
                format!("changed on {target} after it was read (a concurrent edit): read again and planned again");
            tracing::info!(target = %target, item = %id, round, "{what}");
            outcome.applied.push(Applied { target: Some(target.clone()), item: id.to_string(), what });
        }
        for (target, id) in &deleted {
            let what = format!(
                "found deleted on {target} when written: read again and planned again, so that the other targets close it too"
            );
            tracing::info!(target = %target, item = %id, round, "{what}");
            outcome.applied.push(Applied { target: Some(target.clone()), item: id.to_string(), what });
        }
        report.replanned += stale.len() + deleted.len();
        // The files as the first pass left them.
        let backlog = Backlog::load(&settings.backlog.path)?;
        let reading = Reading {
            backlog: &backlog,
            store,
            remotes,
            conflicts,
            full: false,
            relist: &BTreeSet::new(),
            follow_moves: false,
            list_beyond: None,
        };
        let read = read::read(&reading, &Scope::Some { list: BTreeSet::new(), items: ids }).await?;
        let mut again = plan_run(opts, &mut plan_input(settings, opts, &backlog, read.inputs)?)?;
        keep_only(&mut again, &read.scope.unwrap_or_default());
        no_second_create(&mut again, &outcome.errors);
        report.stripped.extend(read.stripped);
        outcome.errors.extend(
            read.failed.into_iter().map(|(id, message)| apply::Failure { item: Some(id.to_string()), message }),
        );
        let world = apply::World { backlog: &backlog, store, remotes, fetched: &read.fetched };
        let more = apply::apply(world, &again, run_id, None).await?;
        outcome.applied.extend(more.applied);
        outcome.counts += more.counts;
        outcome.errors.extend(more.errors);
        outcome.refused.extend(more.refused);
        stale = more.stale;
        deleted = more.deleted_meanwhile;
    }
    for (target, id) in stale {
        let message = format!(
            "`{id}` changed on `{target}` while it was written, {REPLANS} times in this run; the next run reads it again"
        );
        outcome.errors.push(apply::Failure { item: Some(id.to_string()), message });
    }
    Ok(())
}

/// The item keys of a scoped run that failed: their item failed (a read, a write, a refusal), or
/// the run had an error that is no one item's, or the key was found by listing its target (a new
/// item) and anything failed.
fn failed_keys(
    store: &Store,
    keys: &Keys,
    failed: &BTreeSet<String>,
    errors_of_the_run: bool,
    any_error: bool,
) -> Result<BTreeSet<(String, String)>, SyncError> {
    let mut out = BTreeSet::new();
    for (target, remote_id) in &keys.items {
        let fails = match store.link_by_remote(target, remote_id)? {
            _ if errors_of_the_run => true,
            Some(link) => failed.contains(&link.item_id),
            None => any_error,
        };
        if fails {
            out.insert((target.clone(), remote_id.clone()));
        }
    }
    Ok(out)
}
