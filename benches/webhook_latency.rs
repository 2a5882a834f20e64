//! Webhook to remote update latency: a real `backlog-sync serve` process takes the GitHub twin's
//! signed webhooks while issues are edited at a steady 10 and then 100 events a second; the time
//! from each edit until the Azure work item (and the canonical file) shows it, as p50 / p99 / max.
//! Run with `cargo bench --bench webhook_latency`; it stops by itself (about a minute and a half).
//!
//! Knobs (environment): `WEBHOOK_LATENCY_DEBOUNCE_MS` (2000, the default `debounce_ms`),
//! `WEBHOOK_LATENCY_SECONDS` (15 per rate), `BACKLOG_SYNC_BIN` (the daemon binary; by default the
//! one Cargo builds beside this bench, `CARGO_BIN_EXE_backlog-sync`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::{self, RunOptions};
use backlog_sync::store::Store;
use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process};
use backlog_twins::github::{GithubTwin, GithubTwinConfig};
use serde_json::json;

#[path = "webhook_latency/observe.rs"]
mod observe;
use observe::{Edit, POLL, Seen, latencies, ms, pct, poll_azure, poll_files, slowest};

const GH_TOKEN: &str = "ghp_bench_token";
const AZ_TOKEN: &str = "bench-pat";
const REPO: &str = "contoso/onboarding";
const PROJECT: &str = "Onboarding";
const SECRET_VAR: &str = "BACKLOG_SYNC_BENCH_HOOK_SECRET";
const SECRET: &str = "bench-hook-secret";
const EPICS: usize = 10;
const STORIES: usize = 390;

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `EPICS` epics and `STORIES` stories under them, titled `Story N`.
fn write_backlog(dir: &Path) -> PathBuf {
    let root = dir.join("backlog");
    for sub in ["epics", "stories", "risks"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("backlog.toml"), "name = \"Bench\"\n").unwrap();
    for e in 1..=EPICS {
        let text =
            format!("---\nid: EP-{e}\ntitle: Epic {e}\nstate: active\npriority: 2\n---\nWhat epic {e} delivers.\n");
        std::fs::write(root.join(format!("epics/EP-{e}.md")), text).unwrap();
    }
    for s in 1..=STORIES {
        let text = format!(
            "---\nid: ST-{s}\ntitle: Story {s}\nepic: EP-{}\npersona: planner\nactivity: plan shift {s}\nbenefit: the team knows when to work\nstate: new\npriority: {}\npoints: 3\n---\nDetails of story {s}.\n\n## Acceptance criteria\n- [ ] shift {s} is planned\n",
            (s - 1) % EPICS + 1,
            s % 4 + 1
        );
        std::fs::write(root.join(format!("stories/ST-{s}.md")), text).unwrap();
    }
    root
}

fn write_settings(dir: &Path, backlog: &Path, gh: &GithubTwin, az: &AzureTwin, debounce_ms: u64) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (gh_token, az_token) = (dir.join("gh-token"), dir.join("az-token"));
    std::fs::write(&gh_token, GH_TOKEN).unwrap();
    std::fs::write(&az_token, AZ_TOKEN).unwrap();
    let config = dir.join("settings.toml");
    let text = format!(
        r#"[backlog]
path = {backlog:?}

[[targets]]
name = "github"
kind = "github"
repository = "{REPO}"
api_url = "{gh_url}"
token_file = {gh_token:?}
mapping = {gh_mapping:?}
# the initial sync of 400 items is not paced at GitHub's 80 writes a minute
write_limit_per_minute = 100000
write_limit_per_hour = 1000000

[[targets]]
name = "boards"
kind = "azure-boards"
organization_url = "{az_url}"
project = "{PROJECT}"
token_file = {az_token:?}
mapping = {az_mapping:?}

[sync]
conflict_policy = "manual"

[server]
listen = "127.0.0.1:0"
debounce_ms = {debounce_ms}
queue_capacity = 4096

[schedule]
sync = "off"
reconcile = "off"
summary = "off"
jitter_ms = 0

[webhooks.github]
secret_env = "{SECRET_VAR}"

[webhooks.azure_devops]
username = "backlog-sync"
password_env = "{SECRET_VAR}"
"#,
        gh_url = gh.base_url(),
        gh_mapping = root.join("mappings/github/default.toml"),
        az_url = az.organization_url(),
        az_mapping = root.join("mappings/azure-boards/agile.toml"),
    );
    std::fs::write(&config, text).unwrap();
    config
}

/// The daemon as a real process.
struct Daemon {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Daemon {
    fn start(config: &Path, log: PathBuf) -> Daemon {
        let bin = std::env::var("BACKLOG_SYNC_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_backlog-sync").to_string());
        let err = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(&bin)
            .args(["serve", "--config", config.to_str().unwrap()])
            .env(SECRET_VAR, SECRET)
            .env("RUST_LOG", "backlog_sync=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{bin}`: {e}; build it or set BACKLOG_SYNC_BIN"));
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "serve printed {url:?}; see {}", log.display());
        Daemon { child, url: url.trim().to_string(), log }
    }

    /// Run durations in ms logged after the first `skip` runs.
    fn runs_ms(&self, skip: usize) -> Vec<u64> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter(|l| l.contains("run finished"))
            .skip(skip)
            .filter_map(|l| l.split(" ms=").nth(1)?.split(' ').next()?.parse().ok())
            .collect()
    }

    async fn idle(&self, http: &reqwest::Client) -> bool {
        let text = http.get(format!("{}/metrics", self.url)).send().await.unwrap().text().await.unwrap();
        let value =
            |name: &str| text.lines().find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok()).unwrap_or(-1.0);
        let started = text.lines().any(|l| l.starts_with("backlog_sync_runs_total{kind=\"startup\""));
        started && value("backlog_sync_queue_depth") == 0.0 && value("backlog_sync_run_in_progress") == 0.0
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct World {
    gh: GithubTwin,
    numbers: HashMap<usize, u64>,
    latest: Arc<Mutex<HashMap<usize, u64>>>,
    azure: Seen,
    files: Seen,
    next_seq: u64,
}

/// Edits at `rate` a second for `seconds`, each story in turn (a stride through them), then waits
/// until every edit is seen in Boards and in the files, or a timeout.
async fn phase(world: &mut World, rate: u64, seconds: u64, drain: Duration) -> Vec<Edit> {
    let edits = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::new();
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sends = Vec::new();
    for k in 0..total {
        tick.tick().await;
        world.next_seq += 1;
        let (seq, story) = (world.next_seq, (world.next_seq as usize * 7) % STORIES + 1);
        world.latest.lock().unwrap().insert(story, seq);
        let url = format!("{}/repos/{REPO}/issues/{}", world.gh.base_url(), world.numbers[&story]);
        let (client, edits) = (client.clone(), edits.clone());
        sends.push(tokio::spawn(async move {
            let answer = client
                .patch(url)
                .header("authorization", format!("token {GH_TOKEN}"))
                .header("user-agent", "a-person")
                .json(&json!({"title": format!("Story {story} edit {seq}")}))
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "edit {k}: {}", answer.status());
            edits.lock().unwrap().push(Edit { story, seq, at: Instant::now() });
        }));
    }
    for s in sends {
        s.await.unwrap();
    }
    let edits = edits.lock().unwrap().clone();
    let started = Instant::now();
    while started.elapsed() < drain {
        let (_, lost_az) = latencies(&edits, &world.azure);
        let (_, lost_files) = latencies(&edits, &world.files);
        if lost_az == 0 && lost_files == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    edits
}

fn main() {
    let debounce = Duration::from_millis(knob("WEBHOOK_LATENCY_DEBOUNCE_MS", 2000));
    let seconds = knob("WEBHOOK_LATENCY_SECONDS", 15);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let gh = GithubTwin::start(GithubTwinConfig {
            token: GH_TOKEN.into(),
            collaborators: vec!["alice-contoso".into()],
            repositories: vec![REPO.into()],
            primary_limit_per_hour: 1_000_000,
            content_limit_per_minute: 100_000,
            content_limit_per_hour: 1_000_000,
            ..GithubTwinConfig::default()
        })
        .await
        .expect("github twin starts");
        let az = AzureTwin::start(AzureTwinConfig {
            token: AZ_TOKEN.into(),
            members: vec!["alice@contoso.com".into(), "grace.hopper@contoso.com".into(), "someone@fabrikam.example".into()],
            projects: vec![(PROJECT.into(), Process::Agile)],
            rate_limit: None,
            ..AzureTwinConfig::default()
        })
        .await
        .expect("azure twin starts");
        let tmp = tempfile::tempdir().unwrap();
        let backlog = write_backlog(tmp.path());
        let config = write_settings(tmp.path(), &backlog, &gh, &az, debounce.as_millis() as u64);
        let settings = Settings::load(Some(&config)).unwrap();
        let synced = Instant::now();
        for _ in 0..2 {
            let report = engine::run(&settings, &RunOptions::default()).await.expect("sync runs");
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            // The next run starts after the twins' clocks passed this run's writes.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        eprintln!("initial sync of {} items to both twins: {:.1} s", EPICS + STORIES, synced.elapsed().as_secs_f64());
        let store = Store::open(&settings.state_path()).unwrap();
        let story_of = |item: &str| item.strip_prefix("ST-").and_then(|n| n.parse::<usize>().ok());
        let numbers: HashMap<usize, u64> = store
            .links("github")
            .unwrap()
            .iter()
            .filter_map(|l| Some((story_of(&l.item_id)?, l.remote_id.parse().ok()?)))
            .collect();
        let work_items: HashMap<i64, usize> = store
            .links("boards")
            .unwrap()
            .iter()
            .filter_map(|l| Some((l.remote_id.parse().ok()?, story_of(&l.item_id)?)))
            .collect();
        drop(store);
        assert_eq!((numbers.len(), work_items.len()), (STORIES, STORIES), "every story linked on both");

        let daemon = Daemon::start(&config, tmp.path().join("serve.log"));
        eprintln!("daemon: pid {} at {}", daemon.child.id(), daemon.url);
        let http = reqwest::Client::new();
        let waited = Instant::now();
        while !daemon.idle(&http).await {
            assert!(waited.elapsed() < Duration::from_secs(60), "the startup run never ended");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let hooked = [
            (format!("{}/_twin/webhooks", gh.base_url()), json!({"url": format!("{}/webhooks/github", daemon.url), "secret": SECRET})),
            (
                format!("{}/_twin/webhooks", az.base_url()),
                json!({"url": format!("{}/webhooks/azure-devops", daemon.url), "username": "backlog-sync", "password": SECRET}),
            ),
        ];
        for (url, body) in hooked {
            assert!(http.post(url).json(&body).send().await.unwrap().status().is_success());
        }

        let stop = Arc::new(AtomicBool::new(false));
        let mut world = World {
            gh,
            numbers,
            latest: Arc::new(Mutex::new(HashMap::new())),
            azure: Seen::default(),
            files: Seen::default(),
            next_seq: 0,
        };
        let pollers = [
            tokio::spawn(poll_azure(az.organization_url(), work_items, world.azure.clone(), stop.clone())),
            tokio::spawn(poll_files(backlog.clone(), world.latest.clone(), world.files.clone(), stop.clone())),
        ];
        let drain = debounce * 2 + Duration::from_secs(15);
        let mut rows = Vec::new();
        for rate in [10, 100] {
            let runs_before = daemon.runs_ms(0).len();
            let edits = phase(&mut world, rate, seconds, drain).await;
            let runs = daemon.runs_ms(runs_before);
            let (az_lat, az_lost) = latencies(&edits, &world.azure);
            let (file_lat, file_lost) = latencies(&edits, &world.files);
            slowest(&edits, &world.azure, rate);
            rows.push((rate, edits.len(), az_lat, az_lost, file_lat, file_lost, runs));
            let waited = Instant::now();
            while !daemon.idle(&http).await && waited.elapsed() < drain {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        stop.store(true, Ordering::Relaxed);
        for p in pollers {
            p.await.unwrap();
        }

        println!(
            "\nwebhook → remote update, debounce {} ms, {} stories ({} epics) on both twins, {seconds} s per rate",
            ms(debounce),
            STORIES,
            EPICS
        );
        println!("GitHub twin limits raised for the editor: 100,000 content writes a minute, 1,000,000 requests an hour");
        println!("GitHub and Azure twins post their webhooks to a real `backlog-sync serve`; pollers every {} ms", ms(POLL));
        println!(
            "\n{:>6} {:<13} {:>6} {:>8} {:>8} {:>8} {:>5}   {:>4} {:>12}",
            "rate/s", "seen in", "count", "p50 ms", "p99 ms", "max ms", "lost", "runs", "run p50/max"
        );
        let mut verdict = None;
        for (rate, count, az_lat, az_lost, file_lat, file_lost, runs) in &rows {
            let mut run_ms = runs.clone();
            run_ms.sort();
            let run_text = format!("{}/{}", run_ms.get(run_ms.len() / 2).unwrap_or(&0), run_ms.last().unwrap_or(&0));
            for (place, lat, lost) in [("Azure Boards", az_lat, az_lost), ("the file", file_lat, file_lost)] {
                println!(
                    "{rate:>6} {place:<13} {count:>6} {:>8} {:>8} {:>8} {lost:>5}   {:>4} {run_text:>12}",
                    ms(pct(lat, 0.50)),
                    ms(pct(lat, 0.99)),
                    ms(pct(lat, 1.0)),
                    runs.len()
                );
            }
            if *rate == 100 {
                verdict = Some((pct(az_lat, 0.99), *az_lost));
            }
        }
        let (p99, lost) = verdict.unwrap();
        let target = debounce + Duration::from_millis(500);
        let pass = p99 <= target && lost == 0;
        println!(
            "\n{}: p99 at 100/s {} ms, target at most the debounce plus 500 ms = {} ms{}",
            if pass { "PASS" } else { "MISS" },
            ms(p99),
            ms(target),
            if lost > 0 { format!(" ({lost} edits never reached Azure Boards)") } else { String::new() }
        );
        let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/webhook_latency-serve.log");
        if std::fs::copy(&daemon.log, &kept).is_ok() {
            println!("the daemon's log: {}", kept.display());
        }
        drop(daemon);
        az.shutdown().await;
        world.gh.shutdown().await;
    });
}
