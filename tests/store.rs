//! The state database on real SQLite files: migrations, reopening, and every record round-tripping.

mod lock;

use backlog_sync::store::{
    Budget, Change, Conflict, Direction, FieldMap, Link, Post, RunCounts, RunOutcome, SCHEMA_VERSION, Store,
    StoreError, Watermark,
};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_746_000_000 + secs, 123_456_789).unwrap()
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("state.db")).unwrap();
    (dir, store)
}

fn link(target: &str, item: &str, remote: &str) -> Link {
    let base: FieldMap = [("title", format!("Title of {item}")), ("state", "active".to_string())]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Link {
        target: target.into(),
        item_id: item.into(),
        remote_id: remote.into(),
        remote_key: Some(format!("I_kw{remote}")),
        remote_url: Some(format!("https://example.test/issues/{remote}")),
        base,
        remote_version: Some("2025-05-01T10:00:00Z".into()),
        synced_at: at(0),
        file_owner: None,
    }
}

#[test]
fn open_creates_the_file_and_folders_migrated_and_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".backlog-sync/nested/state.db");
    let store = Store::open(&path).unwrap();
    assert!(path.is_file());
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    assert_eq!(store.journal_mode().unwrap(), "wal");
    let raw = rusqlite::Connection::open(&path).unwrap();
    let mode: String = raw.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal", "WAL is a property of the file, seen by other connections too");
}

#[test]
fn reopening_keeps_data_and_does_not_migrate_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        let store = Store::open(&path).unwrap();
        store.upsert_link(&link("github", "ST-1", "7")).unwrap();
        store.record_delivery("github", "d-1").unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    assert_eq!(store.link("github", "ST-1").unwrap(), Some(link("github", "ST-1", "7")));
    assert!(!store.record_delivery("github", "d-1").unwrap());
}

#[test]
fn a_database_from_a_newer_backlog_sync_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 5).unwrap();
    drop(raw);
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, supported, .. } if found == SCHEMA_VERSION + 5 && supported == SCHEMA_VERSION)
    );
    let msg = err.to_string();
    assert!(msg.contains(&format!("schema version {}", SCHEMA_VERSION + 5)), "{msg}");
    assert!(msg.contains("upgrade backlog-sync"), "{msg}");
    assert!(msg.contains(&format!("`{}`", path.display())), "{msg}");
}

#[test]
fn a_file_that_is_not_a_database_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    std::fs::write(&path, "this is not sqlite, just some text long enough to fill a header").unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("`[state] path`"), "{err}");
}

#[test]
fn links_round_trip_sorted_naturally_and_are_replaced_by_item() {
    let (_dir, store) = temp_store();
    for (item, remote) in [("ST-10", "10"), ("ST-2", "2"), ("EP-1", "1"), ("ST-1", "3")] {
        store.upsert_link(&link("github", item, remote)).unwrap();
    }
    store.upsert_link(&link("boards", "ST-2", "2")).unwrap();
    let ids = |links: Vec<Link>| links.into_iter().map(|l| format!("{}:{}", l.target, l.item_id)).collect::<Vec<_>>();
    assert_eq!(ids(store.links("github").unwrap()), ["github:EP-1", "github:ST-1", "github:ST-2", "github:ST-10"]);
    assert_eq!(
        ids(store.all_links().unwrap()),
        ["boards:ST-2", "github:EP-1", "github:ST-1", "github:ST-2", "github:ST-10"]
    );
    assert_eq!(store.link_by_remote("github", "10").unwrap().unwrap().item_id, "ST-10");
    assert_eq!(store.link_by_remote("github", "99").unwrap(), None);
    assert_eq!(store.link("gitlab", "ST-1").unwrap(), None);

    let mut moved = link("github", "ST-2", "22");
    moved.base.insert("description".into(), "multi\nline \"quoted\" ✓".into());
    moved.remote_key = None;
    moved.remote_version = None;
    moved.synced_at = at(60);
    store.upsert_link(&moved).unwrap();
    assert_eq!(store.link("github", "ST-2").unwrap(), Some(moved));
    assert_eq!(store.link_by_remote("github", "2").unwrap(), None, "the old remote id is free again");
    assert_eq!(store.link("boards", "ST-2").unwrap().unwrap().remote_id, "2", "other targets untouched");

    store.delete_link("github", "ST-2").unwrap();
    store.delete_link("github", "ST-2").unwrap();
    assert_eq!(store.link("github", "ST-2").unwrap(), None);
    assert_eq!(store.links("github").unwrap().len(), 3);
}

#[test]
fn one_remote_item_links_to_one_canonical_item_per_target() {
    let (_dir, store) = temp_store();
    store.upsert_link(&link("github", "ST-1", "7")).unwrap();
    let err = store.upsert_link(&link("github", "ST-2", "7")).unwrap_err();
    assert!(matches!(&err, StoreError::RemoteAlreadyLinked { linked_to, .. } if linked_to == "ST-1"));
    assert!(err.to_string().contains("remote item `7` of target `github` is already linked to `ST-1`"), "{err}");
    assert_eq!(store.link("github", "ST-2").unwrap(), None);
    store.upsert_link(&link("boards", "ST-2", "7")).unwrap();
    assert_eq!(store.link_by_remote("boards", "7").unwrap().unwrap().item_id, "ST-2");
}

#[test]
fn the_schema_itself_enforces_unique_links() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    Store::open(&path).unwrap().upsert_link(&link("github", "ST-1", "7")).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    let insert = "INSERT INTO links (target, item_id, remote_id, synced_at) VALUES (?1, ?2, ?3, 'x')";
    assert!(raw.execute(insert, ["github", "ST-1", "8"]).is_err(), "(target, item_id) is unique");
    assert!(raw.execute(insert, ["github", "ST-2", "7"]).is_err(), "(target, remote_id) is unique");
    assert!(raw.execute(insert, ["boards", "ST-1", "7"]).is_ok());
}

#[test]
fn intents_keep_their_first_time_until_cleared() {
    let (_dir, store) = temp_store();
    let before = Utc::now();
    store.record_intent("github", "ST-10", &FieldMap::new()).unwrap();
    store.record_intent("github", "ST-9", &FieldMap::new()).unwrap();
    store.record_intent("boards", "ST-9", &FieldMap::new()).unwrap();
    let first = store.intents("github").unwrap();
    assert_eq!(first.iter().map(|i| i.item_id.as_str()).collect::<Vec<_>>(), ["ST-9", "ST-10"]);
    assert!(first.iter().all(|i| i.target == "github" && i.created_at >= before && i.created_at <= Utc::now()));
    std::thread::sleep(std::time::Duration::from_millis(5));
    store.record_intent("github", "ST-9", &FieldMap::new()).unwrap();
    assert_eq!(store.intents("github").unwrap(), first);
    store.clear_intent("github", "ST-9").unwrap();
    store.clear_intent("github", "ST-9").unwrap();
    assert_eq!(store.intents("github").unwrap().len(), 1);
    assert_eq!(store.intents("boards").unwrap().len(), 1);
}

#[test]
fn an_intent_keeps_the_fields_its_latest_create_sent() {
    let (_dir, store) = temp_store();
    let sent: FieldMap = [("title".to_string(), "First".to_string())].into();
    store.record_intent("github", "ST-1", &sent).unwrap();
    let first = store.intents("github").unwrap();
    assert_eq!(first[0].sent, sent);
    let again: FieldMap = [("title".to_string(), "Second".to_string())].into();
    store.record_intent("github", "ST-1", &again).unwrap();
    let now = store.intents("github").unwrap();
    assert_eq!((now[0].created_at, &now[0].sent), (first[0].created_at, &again), "first time, latest fields");
}

#[test]
fn watermarks_round_trip_per_target() {
    let (_dir, store) = temp_store();
    assert_eq!(store.watermark("github").unwrap(), None);
    let wm = Watermark { since: at(5), etag: Some("W/\"abc\"".into()), query: Some("labels=backlog".into()) };
    store.set_watermark("github", &wm).unwrap();
    assert_eq!(store.watermark("github").unwrap(), Some(wm));
    let later = Watermark { since: at(50), etag: None, query: None };
    store.set_watermark("github", &later).unwrap();
    assert_eq!(store.watermark("github").unwrap(), Some(later));
    assert_eq!(store.watermark("boards").unwrap(), None);
    store.clear_watermark("github").unwrap();
    assert_eq!(store.watermark("github").unwrap(), None);
}

#[test]
fn a_watermark_keeps_the_identities_its_listing_read_owners_with() {
    let (_dir, store) = temp_store();
    assert_eq!(store.listed_with("github").unwrap(), None, "no watermark, no identities");
    let wm = Watermark { since: at(5), etag: None, query: None };
    store.set_watermark("github", &wm).unwrap();
    assert_eq!(store.listed_with("github").unwrap(), None, "a watermark set without them names none");
    store.set_watermark_listed_with("github", &wm, "abc").unwrap();
    assert_eq!(
        (store.watermark("github").unwrap(), store.listed_with("github").unwrap()),
        (Some(wm), Some("abc".into()))
    );
    // A watermark held back moves alone: the identities stay those of the last full reading.
    let held = Watermark { since: at(9), etag: None, query: None };
    store.set_watermark("github", &held).unwrap();
    assert_eq!(store.listed_with("github").unwrap().as_deref(), Some("abc"));
    assert_eq!(store.listed_with("boards").unwrap(), None);
    store.clear_watermark("github").unwrap();
    assert_eq!(store.listed_with("github").unwrap(), None);
}

#[test]
fn a_link_keeps_the_file_owner_it_was_saved_with() {
    let (_dir, store) = temp_store();
    let mut held = link("github", "ST-1", "7");
    held.base.insert("owner".into(), "alice@contoso.com".into());
    held.file_owner = Some("dana@contoso.com".into());
    store.upsert_link(&held).unwrap();
    assert_eq!(store.link("github", "ST-1").unwrap(), Some(held.clone()));
    // Saved again by a path that does not know the file: not known from then on.
    let unknown = Link { file_owner: None, ..held };
    store.upsert_link(&unknown).unwrap();
    assert_eq!(store.links("github").unwrap(), [unknown]);
}

#[test]
fn runs_record_counts_and_outcomes_newest_first() {
    let (_dir, store) = temp_store();
    let first = store.start_run("sync").unwrap();
    let second = store.start_run_for("webhook", &["github", "github"]).unwrap();
    let third = store.start_run("reconcile").unwrap();
    let running = store.last_runs(1).unwrap();
    assert_eq!(running[0].id, third);
    assert_eq!((running[0].outcome, running[0].finished_at), (RunOutcome::Running, None));

    let counts = RunCounts {
        inbound_created: 1,
        inbound_updated: 2,
        outbound_created: 3,
        outbound_updated: 4,
        removed: 5,
        conflicts: 6,
    };
    store.finish_run(first, &counts, RunOutcome::Success, None).unwrap();
    store.finish_run(second, &RunCounts::default(), RunOutcome::Success, None).unwrap();
    store.finish_run(third, &RunCounts::default(), RunOutcome::Failed, Some("`github` answered 502")).unwrap();

    let runs = store.last_runs(10).unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [third, second, first]);
    assert_eq!((runs[0].outcome, runs[0].error.as_deref()), (RunOutcome::Failed, Some("`github` answered 502")));
    assert_eq!(runs[1].targets, Some(vec!["github".to_string()]));
    assert_eq!((runs[2].kind.as_str(), runs[2].counts, runs[2].targets.clone()), ("sync", counts, None));
    assert!(runs[2].finished_at.unwrap() >= runs[2].started_at);
    assert_eq!(store.run(first).unwrap().as_ref(), Some(&runs[2]));

    assert_eq!(store.last_success(None).unwrap().unwrap().id, second);
    assert_eq!(store.last_success(Some("github")).unwrap().unwrap().id, second);
    assert_eq!(store.last_success(Some("boards")).unwrap().unwrap().id, first, "the webhook run skipped boards");
    assert!(matches!(store.finish_run(999, &counts, RunOutcome::Stopped, None), Err(StoreError::UnknownRun(999))));
}

#[test]
fn no_success_yet_means_none() {
    let (_dir, store) = temp_store();
    assert_eq!(store.last_success(None).unwrap(), None);
    let run = store.start_run("sync").unwrap();
    store.finish_run(run, &RunCounts::default(), RunOutcome::Stopped, Some("mass removal")).unwrap();
    assert_eq!(store.last_success(Some("github")).unwrap(), None);
    assert!(store.last_runs(0).unwrap().is_empty());
}

fn change(secs: i64, item: &str, field: Option<&str>) -> Change {
    Change {
        at: at(secs),
        item_id: item.into(),
        target: Some("boards".into()),
        direction: Direction::Inbound,
        action: "updated".into(),
        field: field.map(Into::into),
        old: Some("old".into()),
        new: None,
    }
}

#[test]
fn changes_since_returns_what_changed_at_or_after_in_time_order() {
    let (_dir, store) = temp_store();
    let run = store.start_run("sync").unwrap();
    let local =
        Change { target: None, direction: Direction::Local, action: "imported".into(), ..change(20, "ST-3", None) };
    for c in
        [change(30, "ST-1", Some("title")), change(10, "ST-2", None), local.clone(), change(30, "ST-1", Some("state"))]
    {
        store.record_change(run, &c).unwrap();
    }
    let since = store.changes_since(at(20)).unwrap();
    assert_eq!(since, vec![local, change(30, "ST-1", Some("title")), change(30, "ST-1", Some("state"))]);
    assert_eq!(store.changes_since(at(31)).unwrap(), vec![]);
    assert_eq!(store.run_changes(run).unwrap().len(), 4);
    let err = store.record_change(4242, &change(1, "ST-1", None)).unwrap_err();
    assert!(matches!(err, StoreError::UnknownRun(4242)), "{err}");
}

fn conflict(item: &str, field: &str, remote: &str, secs: i64) -> Conflict {
    Conflict {
        target: "github".into(),
        item_id: item.into(),
        field: field.into(),
        base: Some("base".into()),
        canonical: Some("ours".into()),
        remote: Some(remote.into()),
        detected_at: at(secs),
    }
}

#[test]
fn conflicts_are_one_open_row_per_field_updated_then_resolved() {
    let (_dir, store) = temp_store();
    store.record_conflict(&conflict("ST-10", "title", "theirs", 0)).unwrap();
    store.record_conflict(&conflict("ST-2", "state", "closed", 1)).unwrap();
    store.record_conflict(&conflict("ST-10", "title", "theirs again", 9)).unwrap();
    let open = store.open_conflicts().unwrap();
    assert_eq!(open.len(), 2);
    assert_eq!(open[0], conflict("ST-2", "state", "closed", 1));
    assert_eq!(open[1].remote.as_deref(), Some("theirs again"), "re-recording updates the values");
    assert_eq!(open[1].detected_at, at(0), "and keeps when it was first detected");

    store.resolve_conflict("github", "ST-10", "title").unwrap();
    store.resolve_conflict("github", "ST-10", "title").unwrap();
    store.resolve_conflict("boards", "ST-2", "state").unwrap();
    assert_eq!(store.open_conflicts().unwrap(), vec![conflict("ST-2", "state", "closed", 1)]);
}

#[test]
fn deliveries_are_deduplicated_per_source_and_pruned_by_age() {
    let (_dir, store) = temp_store();
    assert!(store.record_delivery("github", "72d3162e").unwrap());
    assert!(!store.record_delivery("github", "72d3162e").unwrap());
    assert!(store.record_delivery("azure-devops", "72d3162e").unwrap());
    assert_eq!(store.prune_deliveries(Utc::now() - Duration::days(7)).unwrap(), 0);
    assert_eq!(store.prune_deliveries(Utc::now() + Duration::seconds(1)).unwrap(), 2);
    assert!(store.record_delivery("github", "72d3162e").unwrap(), "a pruned id counts as new");
}

#[test]
fn budgets_round_trip_sorted_by_target() {
    let (_dir, store) = temp_store();
    let gh = Budget { remaining: Some(4990), limit: Some(5000), reset_at: Some(at(3600)), updated_at: at(0) };
    let boards = Budget { remaining: None, limit: None, reset_at: None, updated_at: at(1) };
    store.set_budget("github", &gh).unwrap();
    store.set_budget("boards", &boards).unwrap();
    let gh2 = Budget { remaining: Some(4000), ..gh };
    store.set_budget("github", &gh2).unwrap();
    assert_eq!(store.budgets().unwrap(), vec![("boards".to_string(), boards), ("github".to_string(), gh2)]);
}

#[test]
fn posts_are_recorded_once_per_channel_audience_and_period() {
    let (_dir, store) = temp_store();
    assert_eq!(store.post("teams", "sponsors", "2025-W19").unwrap(), None);
    let pending = Post {
        channel: "teams".into(),
        audience: "sponsors".into(),
        period: "2025-W19".into(),
        remote_ref: None,
        posted_at: at(0),
        state: "pending".into(),
    };
    store.record_post(&pending).unwrap();
    assert_eq!(store.post("teams", "sponsors", "2025-W19").unwrap(), Some(pending.clone()));
    let done = Post { remote_ref: Some("msg-1".into()), posted_at: at(2), state: "done".into(), ..pending };
    store.record_post(&done).unwrap();
    assert_eq!(store.post("teams", "sponsors", "2025-W19").unwrap(), Some(done));
    assert_eq!(store.post("teams", "team", "2025-W19").unwrap(), None);
}

#[test]
fn atomically_rolls_back_every_write_when_one_step_fails() {
    let (_dir, store) = temp_store();
    store.upsert_link(&link("github", "ST-1", "7")).unwrap();
    store.record_intent("github", "ST-2", &FieldMap::new()).unwrap();
    let result: Result<(), StoreError> = store.atomically(|s| {
        s.clear_intent("github", "ST-2")?;
        s.upsert_link(&link("github", "ST-2", "7"))
    });
    assert!(matches!(result, Err(StoreError::RemoteAlreadyLinked { .. })));
    assert_eq!(store.intents("github").unwrap().len(), 1, "the intent survives the failed step");
    store
        .atomically(|s| {
            s.upsert_link(&link("github", "ST-2", "8"))?;
            s.clear_intent("github", "ST-2")
        })
        .unwrap();
    assert!(store.intents("github").unwrap().is_empty());
    assert!(store.link("github", "ST-2").unwrap().is_some());
}

#[test]
fn two_handles_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let (a, b) = (Store::open(&path).unwrap(), Store::open(&path).unwrap());
    a.upsert_link(&link("github", "ST-1", "7")).unwrap();
    assert!(b.link("github", "ST-1").unwrap().is_some());
    let writer = std::thread::spawn(move || {
        for i in 0..50 {
            a.record_delivery("github", &format!("a-{i}")).unwrap();
        }
    });
    for i in 0..50 {
        b.record_delivery("github", &format!("b-{i}")).unwrap();
    }
    writer.join().unwrap();
    assert_eq!(b.prune_deliveries(Utc::now() + Duration::seconds(1)).unwrap(), 100);
}

#[test]
fn records_serialise_for_status_json() {
    let json = serde_json::to_value(link("github", "ST-1", "7")).unwrap();
    assert_eq!(json["base"]["state"], "active");
    assert_eq!(json["remote_id"], "7");
    assert_eq!(serde_json::to_value(change(0, "ST-1", None)).unwrap()["direction"], "inbound");
    assert_eq!(serde_json::to_value(RunOutcome::Stopped).unwrap(), "stopped");
}

#[test]
fn in_memory_store_works_like_a_file() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    store.upsert_link(&link("github", "ST-1", "7")).unwrap();
    assert_eq!(store.links("github").unwrap().len(), 1);
}
