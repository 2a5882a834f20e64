//! What the commands print to terminals and pipes, as real processes: tables fit the width,
//! no colour off a terminal or with `NO_COLOR`, a closed pipe ends a command quietly, and `plan`
//! and `sync` end with the open conflicts.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::json;

use crate::common::{sample_backlog, stderr, stdout};
use crate::support::github_env::GhEnv;

fn cli(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_backlog-sync"));
    c.args(args).current_dir(dir).env_remove("RUST_LOG").env_remove("COLUMNS").env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run backlog-sync")
}

/// Runs the binary with a stdout whose reader is already gone, as `… | head -1` leaves it.
fn cli_into_closed_pipe(dir: &Path, args: &[String]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run backlog-sync")
}

#[test]
fn lint_tables_fit_columns_and_keep_rule_names_whole() {
    let dir = sample_backlog();
    let json = cli(&dir, &["lint", ".", "--format", "json"], &[]);
    let findings: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let rules: Vec<&str> =
        findings["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(!rules.is_empty(), "the sample backlog has findings to show");
    for (columns, widest) in [(Some("80"), 80), (Some("0"), 100), (None, 100)] {
        let env: Vec<(&str, &str)> = columns.map(|c| ("COLUMNS", c)).into_iter().collect();
        let out = cli(&dir, &["lint", "."], &env);
        let text = stdout(&out);
        for line in text.lines() {
            assert!(line.chars().count() <= widest, "COLUMNS={columns:?}: a line of {}:\n{text}", line.chars().count());
        }
        for rule in &rules {
            assert!(text.contains(rule), "COLUMNS={columns:?}: `{rule}` is split:\n{text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_color_off_a_terminal_or_with_no_color() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let config = env.config.to_string_lossy().into_owned();
    for no_color in [false, true] {
        let (dir, config) = (env.dir.clone(), config.clone());
        let (sync, lint) = tokio::task::spawn_blocking(move || {
            let extra: Vec<(&str, &str)> = if no_color { vec![("NO_COLOR", "1")] } else { vec![] };
            (cli(&dir, &["-v", "sync", "--config", &config], &extra), cli(&dir, &["lint", "."], &extra))
        })
        .await
        .unwrap();
        let logs = stderr(&sync);
        assert!(logs.contains("took sync lock"), "-v shows our debug lines: {logs}");
        for out in [&sync, &lint] {
            assert!(!out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b), "NO_COLOR={no_color}: {logs}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_commands_quietly() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let config = env.config.to_string_lossy().into_owned();
    let runs = [
        vec!["sync", "--format", "json", "--config", &config],
        vec!["plan", "--config", &config],
        vec!["status", "--config", &config],
        vec!["lint", "."],
        vec!["lint", "--rules"],
    ];
    for args in runs {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let dir = env.dir.clone();
        let out = tokio::task::spawn_blocking(move || cli_into_closed_pipe(&dir, &args)).await.unwrap();
        let err = stderr(&out);
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
        assert!(matches!(out.status.code(), Some(0 | 1)), "{:?}: {err}", out.status);
    }
    assert!(env.writes().await > 0, "the sync ran before its output found no reader");
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_sync_end_with_the_open_conflicts() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let first = env.cli(&["sync"]).await;
    assert!(stdout(&first).ends_with("no open conflicts\n"), "{}", stdout(&first));
    let text = env.read("stories/ST-10.md").replace("title: Import shift templates", "title: From a template");
    env.write("stories/ST-10.md", &text);
    let n = env.issue_of("ST-10").await["number"].as_u64().unwrap();
    env.edit_issue(n, json!({"title": "Templates for shifts"})).await;
    let hint = "1 open conflict(s): settle them with `backlog-sync resolve`";
    let plan = env.cli(&["plan"]).await;
    let last = stdout(&plan).lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with(hint), "{}", stdout(&plan));
    let sync = env.cli(&["sync"]).await;
    assert_eq!(sync.status.code(), Some(1), "{}", stderr(&sync));
    let last = stdout(&sync).lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with(hint), "{}", stdout(&sync));
    let again = env.cli(&["plan"]).await;
    assert!(stdout(&again).lines().last().unwrap_or_default().starts_with(hint), "{}", stdout(&again));
}
