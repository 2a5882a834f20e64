//! The per-target sync lock, held by this process, by threads, and by a real child process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backlog_sync::store::{StoreError, SyncLock};

/// Set in the child process started by `a_lock_held_by_a_killed_process_is_free_again`.
const CHILD_DIR_ENV: &str = "BACKLOG_SYNC_TEST_LOCK_DIR";
/// What the child prints once it holds the lock (libtest may print it after the test's name).
const CHILD_HOLDS: &str = "child-holds-the-sync-lock";

/// Kills the child if the test fails half-way, so no helper process outlives it.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_second_run_is_refused_with_a_clear_message_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let first = SyncLock::acquire(dir.path(), &["github", "boards"], None).unwrap();
    assert_eq!(first.targets(), ["boards", "github"]);
    assert!(dir.path().join("locks/github.lock").is_file());

    let err = SyncLock::acquire(dir.path(), &["github"], None).unwrap_err();
    let StoreError::Locked { target, holder } = &err else { panic!("expected Locked, got {err:?}") };
    assert_eq!(target, "github");
    assert_eq!(holder.pid, Some(std::process::id()));
    assert!(holder.since.is_some());
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("another backlog-sync run (pid {}, since ", std::process::id())), "{msg}");
    assert!(msg.contains("is syncing target `github`"), "{msg}");
    assert!(msg.contains("`--wait"), "{msg}");

    drop(first);
    let again = SyncLock::acquire(dir.path(), &["github"], None).unwrap();
    assert_eq!(again.targets(), ["github"]);
}

#[test]
fn a_failed_acquire_holds_none_of_its_targets() {
    let dir = tempfile::tempdir().unwrap();
    let github = SyncLock::acquire(dir.path(), &["github"], None).unwrap();
    // `boards` sorts first and is taken before `github` turns out to be busy.
    let err = SyncLock::acquire(dir.path(), &["github", "boards"], None).unwrap_err();
    assert!(matches!(&err, StoreError::Locked { target, .. } if target == "github"), "{err}");
    let boards = SyncLock::acquire(dir.path(), &["boards"], None).unwrap();
    assert_eq!(boards.targets(), ["boards"]);
    drop(github);
}

#[test]
fn holder_reports_who_holds_a_target_and_nothing_when_free() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(SyncLock::holder(dir.path(), "github").unwrap(), None);
    let lock = SyncLock::acquire(dir.path(), &["github"], None).unwrap();
    let holder = SyncLock::holder(dir.path(), "github").unwrap().expect("held");
    assert_eq!(holder.pid, Some(std::process::id()));
    drop(lock);
    assert_eq!(SyncLock::holder(dir.path(), "github").unwrap(), None);
}

#[test]
fn wait_succeeds_when_the_holder_releases_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let held = SyncLock::acquire(dir.path(), &["boards"], None).unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
    });
    let start = Instant::now();
    let lock = SyncLock::acquire(dir.path(), &["boards"], Some(Duration::from_secs(20))).unwrap();
    let waited = start.elapsed();
    releaser.join().unwrap();
    assert_eq!(lock.targets(), ["boards"]);
    // It waited for the holder; that it got the lock (not `Locked`) shows it did not wait out its 20 s.
    assert!(waited >= Duration::from_millis(250), "waited only {waited:?}");
}

#[test]
fn wait_gives_up_after_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let _held = SyncLock::acquire(dir.path(), &["boards"], None).unwrap();
    let start = Instant::now();
    let err = SyncLock::acquire(dir.path(), &["boards"], Some(Duration::from_millis(200))).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[test]
fn unsafe_target_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = SyncLock::acquire(dir.path(), &["github", "../etc"], None).unwrap_err();
    assert!(matches!(&err, StoreError::BadTargetName(n) if n == "../etc"), "{err}");
    assert!(err.to_string().contains("`../etc` cannot name a sync lock"), "{err}");
    assert!(!dir.path().join("locks/github.lock").exists(), "names are checked before any lock is taken");
}

/// Not a test of its own: the child process of the test below. It takes the lock, says so on
/// stdout and waits on its stdin (which the parent keeps open) until it is killed.
#[test]
#[ignore = "helper process for a_lock_held_by_a_killed_process_is_free_again"]
fn hold_lock_until_killed() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        eprintln!("skipped: only runs as the child of a_lock_held_by_a_killed_process_is_free_again");
        return;
    };
    let _lock = SyncLock::acquire(std::path::Path::new(&dir), &["github"], None).expect("child takes the lock");
    println!("{CHILD_HOLDS}");
    // Blocks until the parent kills this process; returns only if the parent went away first.
    let mut nothing = String::new();
    let _ = std::io::stdin().read_line(&mut nothing);
    panic!("the parent test should have killed this process");
}

#[test]
fn a_lock_held_by_a_killed_process_is_free_again() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["store::lock::hold_lock_until_killed", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_ENV, dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Reap(child);
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let read = stdout.read_line(&mut line).unwrap();
        assert!(read > 0, "the child exited before taking the lock");
        if line.trim_end().ends_with(CHILD_HOLDS) {
            break;
        }
    }

    let err = SyncLock::acquire(dir.path(), &["github"], None).unwrap_err();
    let StoreError::Locked { holder, .. } = &err else { panic!("expected Locked, got {err:?}") };
    assert_eq!(holder.pid, Some(child.0.id()), "{err}");

    child.0.kill().unwrap(); // SIGKILL on Unix: no destructor runs, the lock file stays behind
    child.0.wait().unwrap();
    let left_behind = std::fs::read_to_string(dir.path().join("locks/github.lock")).unwrap();
    assert!(left_behind.contains(&format!("pid={}", child.0.id())), "{left_behind}");
    let lock = SyncLock::acquire(dir.path(), &["github"], Some(Duration::from_secs(5))).unwrap();
    assert_eq!(lock.targets(), ["github"]);
    let holder = SyncLock::holder(dir.path(), "github").unwrap().expect("we hold it now");
    assert_eq!(holder.pid, Some(std::process::id()));
}
