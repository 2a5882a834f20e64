//! Helpers shared by the integration suites: the `../shared` folder, the binary, temp backlogs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared` beside the crate when it exists. When it does not, prints a one-line reason and
/// returns `None` so the caller can skip — unless `BACKLOG_SYNC_REQUIRE_SHARED=1`, then it panics.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("BACKLOG_SYNC_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("`../shared` is missing but BACKLOG_SYNC_REQUIRE_SHARED=1 requires it");
    }
    eprintln!("skipped: `../shared` (specs and story data) is not beside this checkout");
    None
}

/// The crate's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `examples/backlog`.
pub fn sample_backlog() -> PathBuf {
    root().join("examples/backlog")
}

/// Copies a folder tree into a new temporary folder and returns it (kept alive by the guard).
pub fn copy_tree(from: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let to = tmp.path().join(from.file_name().expect("folder name"));
    copy_dir(from, &to);
    (tmp, to)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy file");
        }
    }
}

/// Runs the real `backlog-sync` binary with `args` in `dir`.
pub fn run_cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("run backlog-sync")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
