//! `backlog-sync demo` as a newcomer runs it: a real process, no network beyond 127.0.0.1, no
//! credentials, done in well under a minute.

use std::time::Instant;

use crate::common::{root, run_cli, stderr, stdout};

#[test]
fn the_demo_runs_the_whole_loop_and_explains_each_step() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let started = Instant::now();
    let out = run_cli(&root(), &["demo", "--dir", dir.to_str().unwrap()]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    eprintln!("figure: the demo took {} ms", took.as_millis());
    let text = stdout(&out);
    for step in [
        "First sync: 64 items created remotely (32 on GitHub, 32 in Azure Boards)",
        "file updated from github: state",
        "file updated from boards: priority",
        "conflict on ST-6 `title`",
        "policy `newest-wins` kept",
        "A third sync finds nothing left to do (0 changes",
        "Drift found",
        "To use a real organization",
    ] {
        assert!(text.contains(step), "`{step}` in\n{text}");
    }
    let st6 = std::fs::read_to_string(dir.join("backlog/stories/ST-6.md")).unwrap();
    assert!(st6.contains("title: Pick a role while inviting"), "the newer edit (GitHub's) won:\n{st6}");
    assert!(dir.join("backlog-sync.toml").is_file(), "the settings stay for the user to reuse");
}
