//! API economy: the requests a sync sends to each target, counted by the twins' `/_twin/stats`,
//! for a 1,000-item initial sync, the sync after it, a no-change sync, 1 % changed in the backlog,
//! 1 % changed on the remote and a full reconcile. Run with `cargo bench --bench api_economy`;
//! prints a table per target and checks the budgets.
//!
//! GitHub's secondary limits (80 content-creating requests a minute, 500 an hour) make a real
//! 1,000-item initial sync take hours. The GitHub twin and the connector's pacer both run those
//! windows on a clock a hundred times faster here (a 0.6 s "minute", a 36 s "hour"): the same
//! pacing code, the same twin limiter, a paced hour in 36 s. Every refusal the twin makes is
//! counted; the budget is zero.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backlog_sync::backlog::synthetic::{self, Shape};
use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::{self, RunOptions};
use backlog_sync::reconcile::remote::Remote;
use backlog_sync::trackers::github::GithubTracker;
use backlog_sync::trackers::github::connector::Pacer;
use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process};
use backlog_twins::github::{GithubTwin, GithubTwinConfig};
use serde_json::{Value, json};

const TOKEN: &str = "bench-token";
const ITEMS: usize = 1000;
const REPO: &str = "contoso/onboarding";
/// GitHub's secondary limits, and the minute they run on in this bench (real: 60 s).
const PER_MINUTE: u32 = 80;
const PER_HOUR: u32 = 500;
const MINUTE: Duration = Duration::from_millis(600);
const SCALE: f64 = 100.0;

/// What a twin counted between two snapshots.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    requests: u64,
    writes: u64,
    refused: u64,
    quota: u64,
}

struct Row {
    run: &'static str,
    counts: Counts,
    seconds: f64,
}

/// Either twin, for counting and for editing items the way a person would.
enum Twin {
    Github(GithubTwin),
    Azure(AzureTwin),
}

impl Twin {
    async fn counts(&self, http: &reqwest::Client) -> Counts {
        let quota = match self {
            // `GET /rate_limit` is free: it reads the primary quota without spending it. It is read
            // before the stats, so the stats count it at the start of the next run's window.
            Twin::Github(t) => {
                let limits: Value = http
                    .get(format!("{}/rate_limit", t.base_url()))
                    .header("authorization", format!("token {TOKEN}"))
                    .header("user-agent", "bench")
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                limits["resources"]["core"]["used"].as_u64().unwrap()
            }
            Twin::Azure(_) => 0,
        };
        let stats = match self {
            Twin::Github(t) => t.stats(),
            Twin::Azure(t) => t.stats(),
        };
        // Azure's queries (WIQL, the batch read) are POSTs that change nothing.
        let writes = stats
            .by_operation
            .iter()
            .filter(|(op, _)| !op.starts_with("GET ") && !op.contains("wiql") && !op.contains("workitemsbatch"))
            .map(|(_, n)| n)
            .sum();
        Counts { requests: stats.requests, writes, refused: stats.rate_limited, quota }
    }

    /// Retitles `n` items on the remote, as a person editing in the web UI would.
    async fn edit(&self, http: &reqwest::Client, n: usize) {
        for k in 1..=n {
            let sent = match self {
                Twin::Github(t) => http
                    .patch(format!("{}/repos/{REPO}/issues/{}", t.base_url(), k * 7))
                    .header("authorization", format!("token {TOKEN}"))
                    .header("user-agent", "a-person")
                    .json(&json!({"title": format!("Retitled on GitHub {k}")})),
                Twin::Azure(t) => http
                    .patch(format!("{}/Onboarding/_apis/wit/workitems/{}?api-version=7.1", t.organization_url(), k * 7))
                    .basic_auth("", Some(TOKEN))
                    .header("content-type", "application/json-patch+json")
                    .body(
                        json!([{"op": "add", "path": "/fields/System.Title", "value": format!("Retitled in Boards {k}")}])
                            .to_string(),
                    ),
            }
            .send()
            .await
            .unwrap();
            assert!(sent.status().is_success(), "edit {k}: {}", sent.text().await.unwrap());
        }
    }
}

/// Retitles `n` story files, as a person editing the backlog would.
fn edit_files(backlog: &Path, n: usize) {
    for k in 1..=n {
        let path = backlog.join(format!("stories/ST-{}.md", k * 11));
        let text = std::fs::read_to_string(&path).unwrap();
        let edited: String =
            text.lines()
                .map(|l| {
                    if l.starts_with("title: ") { format!("title: Retitled in the backlog {k}") } else { l.to_string() }
                })
                .collect::<Vec<_>>()
                .join("\n");
        std::fs::write(&path, edited + "\n").unwrap();
    }
}

fn settings_for(dir: &Path, target: &str) -> (PathBuf, Settings) {
    let backlog = synthetic::write(dir, Shape::of(ITEMS)).unwrap();
    let token = dir.join("token");
    std::fs::write(&token, TOKEN).unwrap();
    let config = dir.join("settings.toml");
    std::fs::write(
        &config,
        format!("[backlog]\npath = {backlog:?}\n\n{target}\n[sync]\nconflict_policy = \"manual\"\n"),
    )
    .unwrap();
    (backlog, Settings::load(Some(&config)).unwrap())
}

async fn github() -> (Twin, tempfile::TempDir, PathBuf, Settings) {
    let twin = GithubTwin::start(GithubTwinConfig {
        token: TOKEN.into(),
        collaborators: vec!["alice-contoso".into()],
        repositories: vec![REPO.into()],
        content_limit_per_minute: PER_MINUTE,
        content_limit_per_hour: PER_HOUR,
        content_minute: MINUTE,
        ..GithubTwinConfig::default()
    })
    .await
    .expect("GitHub twin starts");
    let tmp = tempfile::tempdir().unwrap();
    let mapping = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/github/default.toml");
    let target = format!(
        "[[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"{REPO}\"\napi_url = \"{}\"\ntoken_file = {:?}\nmapping = {mapping:?}\n",
        twin.base_url(),
        tmp.path().join("token")
    );
    let (backlog, settings) = settings_for(tmp.path(), &target);
    (Twin::Github(twin), tmp, backlog, settings)
}

async fn azure() -> (Twin, tempfile::TempDir, PathBuf, Settings) {
    let twin = AzureTwin::start(AzureTwinConfig {
        token: TOKEN.into(),
        members: vec!["alice@contoso.com".into(), "grace.hopper@contoso.com".into(), "someone@fabrikam.example".into()],
        projects: vec![("Onboarding".into(), Process::Agile)],
        rate_limit: None,
        ..AzureTwinConfig::default()
    })
    .await
    .expect("Azure twin starts");
    let tmp = tempfile::tempdir().unwrap();
    let mapping = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/azure-boards/agile.toml");
    let target = format!(
        "[[targets]]\nname = \"boards\"\nkind = \"azure-boards\"\norganization_url = \"{}\"\nproject = \"Onboarding\"\ntoken_file = {:?}\nmapping = {mapping:?}\n",
        twin.organization_url(),
        tmp.path().join("token")
    );
    let (backlog, settings) = settings_for(tmp.path(), &target);
    (Twin::Azure(twin), tmp, backlog, settings)
}

/// The target's remote, its GitHub pacer on the bench's shortened clock.
fn remote(settings: &Settings) -> Remote {
    let mut remote = engine::connect(&settings.targets[0]).expect("target connects");
    if let Some(g) = remote.tracker_mut::<GithubTracker>() {
        g.connector.set_pacer(Pacer::with_minute(PER_MINUTE as usize, PER_HOUR as usize, MINUTE));
    }
    remote
}

async fn scenarios(twin: Twin, backlog: PathBuf, settings: Settings) -> Vec<Row> {
    let http = reqwest::Client::new();
    let remotes = [remote(&settings)];
    let mut rows = Vec::new();
    let runs: [(&str, bool); 7] = [
        ("initial sync", false),
        ("next sync", false),
        ("first quiet sync", false),
        ("no-change sync", false),
        ("1 % changed in the backlog", false),
        ("1 % changed on the remote", false),
        ("full reconcile", true),
    ];
    for (run, full) in runs {
        match run {
            // Azure stamps a burst of writes up to a millisecond apart, ahead of the clock its
            // queries answer `asOf` with; the next sync starts after it caught up.
            "next sync" => tokio::time::sleep(Duration::from_secs(3)).await,
            // Edits with the sync's own token count against the same secondary limit the pacer
            // keeps: let the (shortened) hour after the initial sync pass first.
            "1 % changed in the backlog" => {
                tokio::time::sleep(MINUTE * 61).await;
                edit_files(&backlog, ITEMS / 100);
            }
            "1 % changed on the remote" => {
                tokio::time::sleep(Duration::from_secs(2)).await;
                twin.edit(&http, ITEMS / 100).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            _ => tokio::time::sleep(Duration::from_secs(2)).await,
        }
        let before = twin.counts(&http).await;
        let started = Instant::now();
        let opts = RunOptions { full, ..RunOptions::default() };
        let report = engine::run_with(&settings, &remotes, &opts).await.expect("sync runs");
        assert!(report.errors.is_empty(), "{run}: {:?}", report.errors);
        let seconds = started.elapsed().as_secs_f64();
        let after = twin.counts(&http).await;
        let counts = Counts {
            // Less the `/rate_limit` read that `counts` made before its snapshot.
            requests: after.requests - before.requests - u64::from(matches!(twin, Twin::Github(_))),
            writes: after.writes - before.writes,
            refused: after.refused - before.refused,
            quota: after.quota.saturating_sub(before.quota),
        };
        rows.push(Row { run, counts, seconds });
    }
    match twin {
        Twin::Github(t) => t.shutdown().await,
        Twin::Azure(t) => t.shutdown().await,
    }
    rows
}

fn print(title: &str, rows: &[Row], github: bool) {
    println!("\n{title}");
    println!("{:<28} {:>9} {:>7} {:>8} {:>6} {:>9}", "run", "requests", "writes", "refused", "quota", "seconds");
    for r in rows {
        let quota = if github { r.counts.quota.to_string() } else { "-".into() };
        println!(
            "{:<28} {:>9} {:>7} {:>8} {:>6} {:>9.2}",
            r.run, r.counts.requests, r.counts.writes, r.counts.refused, quota, r.seconds
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (gh, az) = rt.block_on(async {
        let (twin, _tmp, backlog, settings) = azure().await;
        let az = scenarios(twin, backlog, settings).await;
        let (twin, _tmp, backlog, settings) = github().await;
        let gh = scenarios(twin, backlog, settings).await;
        (gh, az)
    });
    print(&format!("Azure Boards (Agile), {ITEMS} synthetic items"), &az, false);
    print(
        &format!(
            "GitHub, {ITEMS} synthetic items; secondary limits {PER_MINUTE}/minute and {PER_HOUR}/hour on a {SCALE}x clock"
        ),
        &gh,
        true,
    );
    let paced_hours = gh[0].seconds * SCALE / 3600.0;
    println!(
        "\nGitHub initial sync: {} writes in {:.0} s here, about {paced_hours:.1} h against the real limits",
        gh[0].counts.writes, gh[0].seconds
    );
    let checks = [
        ("Azure initial sync of 1,000 items: at most 1,020 requests", az[0].counts.requests <= 1020),
        ("Azure no-change sync: at most 1 request", az[3].counts.requests <= 1),
        ("GitHub initial sync: no rate-limit refusal", gh.iter().all(|r| r.counts.refused == 0)),
        (
            "GitHub no-change sync: 1 request, answered 304 at no quota",
            gh[3].counts.requests <= 1 && gh[3].counts.quota == 0,
        ),
    ];
    println!();
    for (what, ok) in checks {
        println!("{} {what}", verdict(ok));
    }
}
