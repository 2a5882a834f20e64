//! A long sync says what it waits for: a real process against a GitHub twin whose secondary
//! limit runs on a fast clock prints "waiting … for GitHub's secondary limit" on stderr as plain
//! lines (stderr is not a terminal here), and no WARN lines.

use std::time::Duration;

use backlog_twins::github::{GithubTwin, GithubTwinConfig};

use crate::common::{root, run_cli, stderr, stdout, synthetic_backlog};

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_held_by_the_secondary_limit_says_what_it_waits_for_without_warnings() {
    let twin = GithubTwin::start(GithubTwinConfig {
        token: "t0k".into(),
        repositories: vec!["contoso/onboarding".into()],
        content_limit_per_minute: 3,
        content_limit_per_hour: 1000,
        content_minute: Duration::from_millis(1000),
        ..GithubTwinConfig::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let backlog = synthetic_backlog(tmp.path(), 1, 3, 0);
    let token = tmp.path().join("token");
    std::fs::write(&token, "t0k\n").unwrap();
    let config = tmp.path().join("settings.toml");
    std::fs::write(
        &config,
        format!(
            "[backlog]\npath = {backlog:?}\n\n[[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"contoso/onboarding\"\napi_url = \"{}\"\ntoken_file = {token:?}\nmapping = {:?}\n",
            twin.base_url(),
            root().join("mappings/github/default.toml")
        ),
    )
    .unwrap();
    let dir = tmp.path().to_path_buf();
    let config = config.to_string_lossy().into_owned();
    let out = tokio::task::spawn_blocking(move || run_cli(&dir, &["sync", "--config", &config])).await.unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}\n{}", stdout(&out));
    assert!(err.contains("github: waiting ") && err.contains(" s for GitHub's secondary limit"), "{err}");
    assert!(!err.contains("WARN"), "waits are progress, not warnings: {err}");
    assert!(!err.contains('\x1b'), "plain lines on a pipe: {err}");
    assert!(stdout(&out).contains("outbound: 4 created"), "{}", stdout(&out));
}
