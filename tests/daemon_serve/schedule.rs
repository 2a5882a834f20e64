//! A scheduled sync fires at its cron time: a seconds-level expression naming one exact second.

use std::time::Duration;

use backlog_sync::store::Store;
use chrono::{DurationRound, Timelike, Utc};

use super::process::{Served, configure, tables};
use crate::common::sample_backlog;
use crate::support::github_env::GhEnv;

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_sync_fires_at_its_cron_second() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    let at = Utc::now().duration_trunc(chrono::Duration::seconds(1)).unwrap() + chrono::Duration::seconds(6);
    let expr = format!("{} {} {} * * *", at.second(), at.minute(), at.hour());
    configure(&env, &tables(2000, 64, &expr));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("schedule", 1, Duration::from_secs(20)).await;

    let store = Store::open(&env.settings().state_path()).unwrap();
    let run = store.last_runs(20).unwrap().into_iter().find(|r| r.kind == "schedule").expect("a schedule run");
    let late = run.started_at - at;
    eprintln!("figure: cron `{expr}` (UTC) fired; the run started {} ms after its second", late.num_milliseconds());
    // Not before its second; how late is a figure (the next firing of the expression is a day away).
    assert!(late >= chrono::Duration::zero(), "started {late} before its second");
    assert_eq!(run.outcome.as_str(), "success");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_schedule_posts_due_summaries_and_the_dashboard_shows_the_latest() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let mut extra = tables(2000, 64, super::process::NEVER).replace("summary = \"off\"", "summary = \"*/2 * * * * *\"");
    extra.push_str("\n[summary.channels.file]\npath = \"summaries/{audience}-{period}.{ext}\"\nformat = \"md\"\n");
    configure(&env, &extra);
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    let folder = env.dir.join("summaries");
    let started = std::time::Instant::now();
    while !folder.is_dir() || std::fs::read_dir(&folder).unwrap().count() == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "no summary file was written");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let file = std::fs::read_dir(&folder).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("Contoso Onboarding Revamp"), "{text}");
    let page = daemon.get_dashboard("/").await.text().await.unwrap();
    assert!(page.contains("<iframe title=\"latest summary\""), "the dashboard shows the latest summary");
}
