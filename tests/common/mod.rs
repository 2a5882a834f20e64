//! Helpers shared by the integration suites: where the shared reference data lives.

use std::path::PathBuf;

/// The shared folder (`../shared` next to the crate), or `None` when it is absent.
///
/// Suites that need it print a one-line reason and skip on `None`. With
/// `BACKLOG_SYNC_REQUIRE_SHARED=1` an absent folder is a failure instead of a skip.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("BACKLOG_SYNC_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
        panic!(
            "`{}` is missing and BACKLOG_SYNC_REQUIRE_SHARED=1; mount the shared folder there",
            dir.display()
        );
    }
    None
}
