//! `sync --commit` / `--push` in a person's own clone, and the https token: it reaches the git
//! server through the credential helper and never an argument, an output or an error.

use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::world::git;
use crate::common::{stderr, stdout, synthetic_backlog};
use crate::support::github_env::GhEnv;

#[tokio::test(flavor = "multi_thread")]
async fn sync_push_in_a_persons_clone_commits_only_what_the_run_wrote_and_pushes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let env = GhEnv::new(&synthetic_backlog(tmp.path(), 1, 2, 0), "manual").await;
    let bare = tmp.path().join("remote.git");
    git(tmp.path(), &["init", "--quiet", "--bare", "-b", "main", bare.to_str().unwrap()]);
    let dir = &env.dir;
    git(dir, &["init", "--quiet", "-b", "main"]);
    git(dir, &["config", "user.name", "Pat Person"]);
    git(dir, &["config", "user.email", "pat@contoso.com"]);
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "--quiet", "-m", "my backlog"]);
    git(dir, &["remote", "add", "origin", bare.to_str().unwrap()]);
    git(dir, &["push", "--quiet", "-u", "origin", "main"]);

    let out = env.cli(&["sync", "--commit"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(git(dir, &["status", "--porcelain"]).trim(), "", "the sync state is kept out of the person's git");

    // The person has an edit of their own in progress; GitHub has another.
    let epic = dir.join("epics/EP-1.md");
    std::fs::write(&epic, std::fs::read_to_string(&epic).unwrap().replace("What epic 1", "What the first epic"))
        .unwrap();
    let issue = env.issue_of("ST-1").await;
    env.edit_issue(issue["number"].as_u64().unwrap(), json!({"title": "Story one, edited on GitHub"})).await;
    let out = env.cli(&["sync", "--push"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("git: pushed"), "{}", stdout(&out));

    assert_eq!(git(&bare, &["log", "-1", "--format=%s", "main"]).trim(), "backlog-sync: ST-1 title from github");
    assert_eq!(git(&bare, &["show", "--name-only", "--format=", "main"]).trim(), "stories/ST-1.md");
    assert_eq!(git(&bare, &["log", "-1", "--format=%an", "main"]).trim(), "Pat Person", "the person's own identity");
    assert_eq!(git(dir, &["status", "--porcelain"]).trim(), "M epics/EP-1.md", "their own edit is left to them");
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_commit_outside_a_git_clone_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let env = GhEnv::new(&synthetic_backlog(tmp.path(), 1, 1, 0), "manual").await;
    let out = env.cli(&["sync", "--commit"]).await;
    assert_eq!(out.status.code(), Some(3), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("is not a clone of the backlog repository"), "{}", stderr(&out));
}

/// A git "server" that asks for credentials, records what came, and refuses.
async fn recording_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap| {
        let record = record.clone();
        async move {
            match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
                None => {
                    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"backlog\"")]).into_response()
                }
                Some(auth) => {
                    record.lock().unwrap().push(auth.to_string());
                    StatusCode::FORBIDDEN.into_response()
                }
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{}/contoso/backlog.git", addr.port()), seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_https_token_reaches_the_server_but_no_output_log_or_argument() {
    const TOKEN: &str = "ghs_backlogGitTokenThatMustNotLeak123";
    let (url, seen) = recording_server().await;
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("settings.toml");
    std::fs::write(
        &config,
        format!(
            "[backlog]\npath = {:?}\n\n[backlog.git]\nremote = \"{url}\"\ntoken_env = \"BACKLOG_TEST_GIT_TOKEN\"\n",
            tmp.path().join("clone")
        ),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
            .args(["-vv", "sync", "--config", config.to_str().unwrap()])
            .env("BACKLOG_TEST_GIT_TOKEN", TOKEN)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(3), "{o}{e}");
    assert!(e.contains("`git clone` failed") && e.contains("403"), "the error says what failed: {e}");
    assert!(!o.contains(TOKEN) && !e.contains(TOKEN), "the token leaked:\n{o}\n{e}");
    assert!(!e.contains("backlogGitToken"), "not even a part of it: {e}");
    use base64::Engine;
    let sent: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|a| a.strip_prefix("Basic "))
        .map(|b| String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap()).unwrap())
        .collect();
    assert!(sent.contains(&format!("x-access-token:{TOKEN}")), "the helper sent the token: {sent:?}");
}
