//! Runs one generated sequence against the world and the model, checking every property after
//! every run; counts what it did for the campaign's figures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use backlog_sync::mapping::FieldMap;
use backlog_sync::reconcile::engine::RunReport;
use backlog_sync::reconcile::plan::Action;
use backlog_sync::store::{Conflict, Store};

use super::model::Model;
use super::ops::{Fault, ITEMS, Op, policy_name};
use super::people::{self, Saved};
use super::world::{Side, Twins, View, World};

/// What the checker did, over all sequences.
#[derive(Default)]
pub struct Figures {
    pub sequences: AtomicU64,
    pub operations: AtomicU64,
    pub runs: AtomicU64,
    pub kills: AtomicU64,
    pub faulty_runs: AtomicU64,
    pub violations: AtomicU64,
    /// Sequences whose last clean run left a further `plan` planning something (see [`settled`]).
    pub unsettled: AtomicU64,
}

impl Figures {
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "sequences {}, operations {}, runs {}, kills {}, runs under faults {}, violations {}, unsettled {}",
            g(&self.sequences),
            g(&self.operations),
            g(&self.runs),
            g(&self.kills),
            g(&self.faulty_runs),
            g(&self.violations),
            g(&self.unsettled)
        )
    }
}

/// Properties switched off in a set, each naming the finding it waits for.
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    /// A run with unreadable files says which files it skipped (finding 3).
    pub skipped_files_reported: bool,
    /// Under `manual`, a field left in conflict keeps the file's value (finding 4).
    pub manual_keeps_file: bool,
    /// ST-3 starts owned by dana, whom no target knows, and people may name dana (finding 8);
    /// without it dana is alice.
    pub unknown_owners: bool,
    /// After the last clean run, a further `plan` plans nothing (finding 63); without it an
    /// unsettled sequence is only counted (`unsettled` in the figures).
    pub settled: bool,
}

impl Checks {
    pub const ALL: Checks =
        Checks { skipped_files_reported: true, manual_keeps_file: true, unknown_owners: true, settled: true };
}

/// Runs `ops` under `policy`; returns the violations (empty: the sequence passed).
pub async fn check(
    twins: &Twins,
    binary: &Path,
    policy: u8,
    ops: &[Op],
    checks: Checks,
    figures: &Figures,
) -> Vec<String> {
    let world = World::new(twins, policy_name(policy), binary, checks.unknown_owners).await;
    let mut model = Model::default();
    let mut saved = Saved::default();
    let (files, _) = world.read_files();
    model.record(0, Side::File, &files, &files);
    let mut fault: Option<Fault> = None;
    if verbose() {
        eprintln!("  policy: {}", policy_name(policy));
    }
    for (i, op) in ops.iter().enumerate() {
        let seq = i + 1;
        figures.operations.fetch_add(1, Ordering::Relaxed);
        if verbose() {
            eprintln!("  op {seq}: {op}");
        }
        match op {
            Op::File(item, edit) => {
                people::file_edit(&world, *item, &people::known(edit, checks.unknown_owners), &mut saved);
                let (files, _) = world.read_files();
                model.record(seq, Side::File, &files, &files);
            }
            Op::Github(item, edit) => {
                people::github_edit(&world, *item, &people::known_gh(edit, checks.unknown_owners)).await;
                record_remotes(&world, &mut model, seq, Side::Github).await;
            }
            Op::Boards(item, edit) => {
                people::boards_edit(&world, *item, edit, &mut saved).await;
                record_remotes(&world, &mut model, seq, Side::Boards).await;
            }
            Op::Identities => {
                world.add_identity();
                // An assignee a person set before anyone knew them (left out as unknown) shows
                // now: that person's edit, made earlier.
                record_remotes(&world, &mut model, seq, Side::Github).await;
                record_remotes(&world, &mut model, seq, Side::Boards).await;
            }
            Op::LoseState => world.lose_state(),
            Op::Faults(f) => fault = Some(*f),
            Op::Pause(ms) => tokio::time::sleep(std::time::Duration::from_millis(u64::from(*ms))).await,
            Op::Sync | Op::Reconcile | Op::ProcessSync | Op::Kill(_) => {
                run(&world, &mut model, op, fault.take(), checks, figures, seq).await;
            }
        }
        if !model.violations.is_empty() {
            break;
        }
    }
    if model.violations.is_empty() {
        // No new edits: one more clean run settles everything.
        run(&world, &mut model, &Op::Sync, None, checks, figures, ops.len() + 1).await;
        if model.violations.is_empty() {
            settled(&world, &mut model, checks, figures).await;
        }
    }
    twins.calm().await;
    if verbose() {
        eprintln!("sequence done: {:?}", model.violations);
    }
    figures.sequences.fetch_add(1, Ordering::Relaxed);
    figures.violations.fetch_add(model.violations.len() as u64, Ordering::Relaxed);
    model.violations
}

/// The revision of the work item of each of `ids` on Boards (none: no live work item carries
/// its marker).
async fn revisions(world: &World<'_>, ids: &BTreeSet<String>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for id in ids {
        if let Some(rev) = world.work_item_of(id).await.and_then(|w| w["rev"].as_i64()) {
            out.insert(id.clone(), rev);
        }
    }
    out
}

/// Whether `id`'s item differs between `before` and `after` (one remote side, as it holds them)
/// only by a parent it shows again: no epic before, now an epic this side did not hold before
/// and holds now. Boards hides the links to a work item in the recycle bin and shows them again
/// when it is restored (finding 40's model rule for a person's restore); a run that revives an
/// epic restores its work item (finding 42), and its stories' parent reappears with it, their
/// work items not written (the caller checks their revision). A story whose file is unreadable
/// is then left alone all the same: its link is the one it held before the epic was deleted, and
/// one a person replaced meanwhile does not come back (finding 62).
fn parent_shown_again(id: &str, before: &View, after: &View) -> bool {
    let (Some(was), Some(now)) = (before.get(id), after.get(id)) else { return false };
    let others = |f: &FieldMap| {
        f.iter()
            .filter(|(k, _)| k.as_ref() as &str != "epic")
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<Vec<_>>()
    };
    let epic = now.get("epic").map(String::as_str).unwrap_or_default();
    others(was) == others(now)
        && was.get("epic").is_none_or(|e| e.is_empty())
        && !epic.is_empty()
        && !before.contains_key(epic)
        && after.contains_key(epic)
}

/// The sides settle (issue 13): after a clean run with no edit since, a further `plan` plans
/// nothing for any item — no file, remote or base to write. Otherwise every later run makes (or
/// at least plans and counts) the same change though nothing changed (finding 63). Restating the
/// open conflicts of `manual` is left out: it writes nothing anywhere.
async fn settled(world: &World<'_>, model: &mut Model, checks: Checks, figures: &Figures) {
    let planned = match world.plan().await {
        Ok(report) => report
            .plan
            .actions
            .iter()
            .filter(|a| !matches!(a, Action::Conflicts { .. }))
            .map(|a| {
                let v = serde_json::to_value(a).unwrap_or_default();
                let changes = v.get("changes").map(|c| format!(" {c}")).unwrap_or_default();
                format!(
                    "{} {} {}{changes}",
                    v["action"].as_str().unwrap_or(""),
                    v["target"].as_str().unwrap_or("file"),
                    v["id"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>(),
        Err(e) => vec![format!("`plan` failed: {e}")],
    };
    if planned.is_empty() {
        return;
    }
    figures.unsettled.fetch_add(1, Ordering::Relaxed);
    if verbose() || !checks.settled {
        eprintln!("    unsettled: {planned:?}");
    }
    if verbose()
        && let Ok(report) = world.plan().await
    {
        eprintln!("    unsettled plan: {}", serde_json::to_string(&report.plan.actions).unwrap_or_default());
    }
    if checks.settled {
        model.violation(format!(
            "the sides did not settle: after a clean run with no edit since, `plan` plans {planned:?}"
        ));
    }
}

fn verbose() -> bool {
    std::env::var_os("MODEL_CHECK_VERBOSE").is_some()
}

/// Reads both remotes and records what people changed there.
async fn record_remotes(world: &World<'_>, model: &mut Model, seq: usize, side: Side) {
    let files = model.views.get(&Side::File).cloned().unwrap_or_default();
    for (side, read) in world.read_remotes(&files, Some(side)).await {
        model.record(seq, side, &read.view, &read.raw);
    }
}

fn store_conflicts(world: &World<'_>) -> Vec<Conflict> {
    let path = world.dir.join(".backlog-sync/state.db");
    if !path.exists() {
        return Vec::new();
    }
    let Ok(store) = Store::open(&path) else { return Vec::new() };
    store.open_conflicts().unwrap_or_default()
}

fn name_plan(model: &mut Model, report: &RunReport) {
    for c in &report.plan.conflicts {
        model.name(&c.id.to_string(), &c.conflict.field, &c.conflict.canonical);
        model.name(&c.id.to_string(), &c.conflict.field, &c.conflict.remote);
    }
}

async fn run(
    world: &World<'_>,
    model: &mut Model,
    op: &Op,
    fault: Option<Fault>,
    checks: Checks,
    figures: &Figures,
    seq: usize,
) {
    figures.runs.fetch_add(1, Ordering::Relaxed);
    let outside = world.outside();
    let (files_now, unreadable) = world.read_files();
    let unreadable: BTreeSet<String> = unreadable.into_iter().collect();
    for id in ITEMS {
        if !world.file_path(id).exists() {
            model.gone.insert(id.to_string());
        }
    }
    let file_before: View = files_now;
    let broken_bytes: BTreeMap<String, Vec<u8>> =
        unreadable.iter().map(|id| (id.clone(), std::fs::read(world.file_path(id)).unwrap_or_default())).collect();
    // As the sides hold it: the engine's view of an owner follows the file, which is unreadable.
    let remote_before: BTreeMap<Side, View> = model.raw_remotes();
    // Which revision each unreadable item's work item is at: a run that restores an epic from
    // Boards' recycle bin shows its stories' parent again without writing them (finding 62).
    let revisions_before = revisions(world, &unreadable).await;

    // What a process run will decide, as `plan` shows it (a killed run leaves no report).
    if matches!(op, Op::ProcessSync | Op::Kill(_))
        && let Ok(plan) = world.plan().await
    {
        name_plan(model, &plan);
    }
    if let Some(f) = fault {
        figures.faulty_runs.fetch_add(1, Ordering::Relaxed);
        world.twins.arm(f, seq as u64).await;
    }
    let mut clean = fault.is_none();
    match op {
        Op::Sync | Op::Reconcile => match world.run(matches!(op, Op::Reconcile)).await {
            Ok(report) => {
                if verbose() {
                    eprintln!("    plan: {}", serde_json::to_string(&report.plan.actions).unwrap_or_default());
                    eprintln!("    errors: {:?}", report.errors);
                    if let Some(reason) = &report.plan.blocked {
                        eprintln!("    blocked: {reason}");
                    }
                }
                name_plan(model, &report);
                if clean && !report.errors.is_empty() {
                    model.violation(format!("a clean {op} failed items: {:?}", report.errors));
                }
                // The fixture allows every removal (`max_removals = "100%"`): a clean run the
                // mass-removal guard stopped changed nothing, and says why (finding 60).
                if clean && let Some(reason) = &report.plan.blocked {
                    model.violation(format!("a clean {op} was stopped: {reason}"));
                }
            }
            Err(e) => {
                if clean {
                    model.violation(format!("a clean {op} failed: {e}"));
                }
            }
        },
        Op::ProcessSync => {
            let out = world.process_sync(None).await.expect("ran to the end");
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            if checks.skipped_files_reported {
                for id in &unreadable {
                    if !text.contains(&format!("{id}.md")) {
                        model.violation(format!("`sync` skipped the unreadable {id}.md without saying so: {text}"));
                    }
                }
            }
            clean = false; // its report is not read: only the safety properties are checked
        }
        Op::Kill(ms) => {
            figures.kills.fetch_add(1, Ordering::Relaxed);
            world.twins.slow().await;
            // The generated delay in milliseconds, as requests held 3 ms each.
            world.process_sync(Some(u64::from(*ms) / 3)).await;
            clean = false;
        }
        _ => unreachable!("not a run"),
    }
    world.twins.calm().await;

    // Safety, after every run.
    let (files, now_unreadable) = world.read_files();
    for id in now_unreadable.iter().filter(|id| !unreadable.contains(*id)) {
        model.violation(format!("{id}.md was written by the run and no longer reads back"));
    }
    if world.outside() != outside {
        model.violation("a file outside the backlog's item folders changed".into());
    }
    let remotes = world.read_remotes(&files, None).await;
    for (side, read) in &remotes {
        for (id, n) in read.counts.iter().filter(|(_, n)| **n > 1) {
            model.violation(format!("{id}: {n} remote items on {side:?} carry its marker"));
        }
    }
    let revisions_after = if unreadable.is_empty() { BTreeMap::new() } else { revisions(world, &unreadable).await };
    for id in &unreadable {
        if std::fs::read(world.file_path(id)).unwrap_or_default() != broken_bytes[id] {
            model.violation(format!("the unreadable {id}.md was changed by the run"));
        }
        for (side, before) in &remote_before {
            let now = remotes.get(side).and_then(|r| r.raw.get(id));
            let unwritten = revisions_before.get(id).is_some_and(|r| revisions_after.get(id) == Some(r));
            let empty = View::new();
            let after = remotes.get(side).map_or(&empty, |r| &r.raw);
            if before.get(id) != now && !(*side == Side::Boards && unwritten && parent_shown_again(id, before, after)) {
                model.violation(format!(
                    "the unreadable {id}.md's item changed on {side:?}: {:?} -> {now:?}",
                    before.get(id)
                ));
            }
        }
    }
    for c in store_conflicts(world) {
        model.name(&c.item_id, &c.field, c.canonical.as_deref().unwrap_or_default());
        model.name(&c.item_id, &c.field, c.remote.as_deref().unwrap_or_default());
    }
    let mut sides: BTreeMap<Side, View> = BTreeMap::new();
    let mut raws: BTreeMap<Side, View> = BTreeMap::new();
    sides.insert(Side::File, files.clone());
    raws.insert(Side::File, files.clone());
    for (side, read) in &remotes {
        sides.insert(*side, read.view.clone());
        raws.insert(*side, read.raw.clone());
    }
    if clean && model.violations.is_empty() {
        let open: BTreeSet<(String, String)> =
            store_conflicts(world).into_iter().map(|c| (c.item_id, c.field)).collect();
        let manual = checks.manual_keeps_file
            && world.settings().sync.conflict_policy == backlog_sync::config::ConflictPolicy::Manual;
        model.check_clean(&sides, &unreadable, &open, &file_before, manual);
    }
    if !model.violations.is_empty() {
        let last = model.violations.len();
        model.violations[last - 1].push_str(&format!(" (after op {seq}: {op})"));
    }
    for (side, view) in sides {
        model.merge_view(side, &view, &raws[&side]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One side's view: ST-2 with `epic` and `title`, and the epics it holds.
    fn side(epic: &str, title: &str, epics: &[&str]) -> View {
        let st2: FieldMap =
            [("epic".to_string(), epic.to_string()), ("title".to_string(), title.to_string())].into_iter().collect();
        let mut v = View::from([("ST-2".to_string(), st2)]);
        for e in epics {
            v.insert(e.to_string(), [("title".to_string(), e.to_string())].into_iter().collect());
        }
        v
    }

    #[test]
    fn a_parent_shown_again_is_only_an_epic_that_came_back_and_nothing_else() {
        let cases = [
            // (before, after, shown again)
            (side("", "T", &["EP-2"]), side("EP-1", "T", &["EP-1", "EP-2"]), true),
            (side("", "T", &["EP-2"]), side("EP-1", "T 2", &["EP-1", "EP-2"]), false), // another field changed
            (side("", "T", &["EP-1", "EP-2"]), side("EP-1", "T", &["EP-1", "EP-2"]), false), // the epic was there
            (side("EP-2", "T", &["EP-2"]), side("EP-1", "T", &["EP-1", "EP-2"]), false), // a move
            (side("", "T", &[]), side("EP-1", "T", &[]), false),                       // an epic not held after
            (side("EP-1", "T", &["EP-1"]), side("", "T", &[]), false),                 // a parent hidden
        ];
        for (i, (before, after, want)) in cases.iter().enumerate() {
            assert_eq!(parent_shown_again("ST-2", before, after), *want, "case {i}");
        }
    }
}
