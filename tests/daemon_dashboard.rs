//! The read-only dashboard: served by a running daemon (last runs, an open conflict, drift) and
//! rendered by headless Chromium into a screenshot; the latest-summary slot shows what it is given.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use backlog_sync::daemon::dashboard_router;
use serde_json::json;
use tower::ServiceExt;

use crate::common::sample_backlog;
use crate::daemon_router::{auth, fixture};
use crate::daemon_serve::process::{NEVER, Served, configure, tables};
use crate::support::github_env::GhEnv;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium, or `None` with a one-line reason — unless `BACKLOG_SYNC_REQUIRE_BROWSER=1`.
fn chromium() -> Option<PathBuf> {
    if Path::new(CHROMIUM).is_file() {
        return Some(PathBuf::from(CHROMIUM));
    }
    if std::env::var("BACKLOG_SYNC_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("`{CHROMIUM}` is missing but BACKLOG_SYNC_REQUIRE_BROWSER=1 requires it");
    }
    eprintln!("skipped: no Chromium at `{CHROMIUM}` (apt-get install -y chromium)");
    None
}

fn screenshot(browser: &Path, url: &str, out: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            &format!("--screenshot={}", out.display()),
            "--window-size=1280,900",
            url,
        ])
        .output()
        .expect("chromium runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_runs_conflicts_and_drift_and_renders_in_chromium() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    env.write(
        "stories/ST-1.md",
        &env.read("stories/ST-1.md").replace("title: Invite teammates by email", "title: Invite by email"),
    );
    let n1 = env.issue_of("ST-1").await["number"].as_u64().unwrap();
    env.edit_issue(n1, json!({"title": "Invite people by email"})).await;
    configure(&env, &tables(500, 64, NEVER));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(30)).await;

    let page = daemon.get_dashboard("/").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    for want in [
        "backlog-sync — Contoso Onboarding Revamp",
        "<td>startup</td>",
        "<td>ST-1</td><td>github</td><td>title</td><td>Invite by email</td><td>Invite people by email</td>",
        "risk-missing-mitigation",
        "<iframe title=\"latest summary\"",
    ] {
        assert!(html.contains(want), "missing `{want}` in the dashboard:\n{html}");
    }

    let Some(browser) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let shot = tmp.path().join("dashboard.png");
    // The dashboard has a listener of its own (the webhook port answers 404 on `/`).
    let url = format!("{}/", daemon.dashboard);
    let out = tokio::task::spawn_blocking({
        let shot = shot.clone();
        move || screenshot(&browser, &url, &shot)
    })
    .await
    .unwrap();
    let png = std::fs::read(&shot).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "a real screenshot ({} bytes): {}",
        png.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    // 1280 × 900, as asked: the PNG header's width and height.
    let (w, h) =
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((w, h), (1280, 900));
    if let Ok(keep) = std::env::var("BACKLOG_SYNC_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

#[tokio::test]
async fn the_latest_summary_slot_shows_the_html_it_is_given() {
    let f = fixture(8, auth());
    let get = || Request::get("/").body(Body::empty()).unwrap();
    let page = |r: axum::response::Response| async {
        String::from_utf8(axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap()
    };
    let before = page(dashboard_router(f.state.clone()).oneshot(get()).await.unwrap()).await;
    assert!(before.contains("No summary yet"));
    f.state.summary.set(Some("<h3>Week 47</h3><p>3 stories done</p>".into()));
    let after = page(dashboard_router(f.state.clone()).oneshot(get()).await.unwrap()).await;
    assert!(
        after.contains(
            "<h2>Latest summary</h2><iframe title=\"latest summary\" srcdoc=\"<h3>Week 47</h3><p>3 stories done</p>\""
        ),
        "the summary page is framed as given: {after}"
    );
}
