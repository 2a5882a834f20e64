//! Requests a sync sends to Azure Boards: a 1,000-item initial sync, the sync after it (which
//! reads its own writes back once) and a sync with nothing changed, counted by the Azure twin's
//! `/_twin/stats`. Run with `cargo bench --bench azure_requests`; prints a table.

use std::path::{Path, PathBuf};
use std::time::Instant;

use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::{self, RunOptions};
use backlog_sync::twin::azure::{AzureTwin, AzureTwinConfig, Process};

const TOKEN: &str = "bench-pat";
const ITEMS: usize = 1000;

/// A backlog of `ITEMS` items: 20 epics, 950 stories under them, 30 risks. `in_progress` of
/// every hundred stories are active (a state Boards cannot create an item in).
fn write_backlog(dir: &Path, in_progress: usize) -> PathBuf {
    let root = dir.join("backlog");
    for sub in ["epics", "stories", "risks"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("backlog.toml"), "name = \"Bench\"\n").unwrap();
    let (epics, risks) = (20, 30);
    let stories = ITEMS - epics - risks;
    for e in 1..=epics {
        let text = format!(
            "---\nid: EP-{e}\ntitle: Epic {e}\nstate: new\npriority: {}\n---\nWhat epic {e} delivers.\n",
            e % 4 + 1
        );
        std::fs::write(root.join(format!("epics/EP-{e}.md")), text).unwrap();
    }
    for s in 1..=stories {
        let state = if s % 100 < in_progress { "active" } else { "new" };
        let text = format!(
            "---\nid: ST-{s}\ntitle: Story {s}\nepic: EP-{}\npersona: planner\nactivity: plan shift {s}\nbenefit: the team knows when to work\nstate: {state}\npriority: {}\npoints: {}\ntags: [bench]\n---\nDetails of story {s}, with **emphasis** and `code`.\n\n## Acceptance criteria\n- [ ] shift {s} is planned\n- [ ] nobody is double-booked\n",
            (s - 1) % epics + 1,
            s % 4 + 1,
            s % 8 + 1
        );
        std::fs::write(root.join(format!("stories/ST-{s}.md")), text).unwrap();
    }
    for r in 1..=risks {
        let text = format!(
            "---\nid: RK-{r}\ntitle: Risk {r}\nlikelihood: medium\nseverity: high\nmitigation: watch it closely\nowner: alice@contoso.com\nreview_by: 2027-01-31\nstate: active\npriority: 2\n---\nWhy risk {r} matters.\n"
        );
        std::fs::write(root.join(format!("risks/RK-{r}.md")), text).unwrap();
    }
    root
}

async fn requests(http: &reqwest::Client, twin: &AzureTwin) -> (u64, u64) {
    let stats: serde_json::Value =
        http.get(format!("{}/_twin/stats", twin.base_url())).send().await.unwrap().json().await.unwrap();
    let ops = stats["by_operation"].as_object().unwrap();
    let writes = ops
        .iter()
        .filter(|(op, _)| op.starts_with("PATCH ") || (op.starts_with("POST ") && op.contains("/workitems/$")))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum();
    (stats["requests"].as_u64().unwrap(), writes)
}

struct Row {
    scenario: String,
    run: &'static str,
    requests: u64,
    writes: u64,
    seconds: f64,
}

async fn scenario(in_progress: usize, rows: &mut Vec<Row>) {
    let twin = AzureTwin::start(AzureTwinConfig {
        token: TOKEN.into(),
        projects: vec![("Onboarding".into(), Process::Agile)],
        rate_limit: None,
        ..AzureTwinConfig::default()
    })
    .await
    .expect("twin starts");
    let tmp = tempfile::tempdir().unwrap();
    let backlog = write_backlog(tmp.path(), in_progress);
    let token = tmp.path().join("token");
    std::fs::write(&token, TOKEN).unwrap();
    let config = tmp.path().join("settings.toml");
    let mapping = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/azure-boards/agile.toml");
    std::fs::write(
        &config,
        format!(
            "[backlog]\npath = {backlog:?}\n\n[[targets]]\nname = \"boards\"\nkind = \"azure-boards\"\norganization_url = \"{}\"\nproject = \"Onboarding\"\ntoken_file = {token:?}\nmapping = {mapping:?}\n\n[sync]\nconflict_policy = \"manual\"\n",
            twin.organization_url()
        ),
    )
    .unwrap();
    let settings = Settings::load(Some(&config)).unwrap();
    let http = reqwest::Client::new();
    let name = format!("{ITEMS} items, {in_progress}% of stories active");
    for run in ["initial sync", "next sync", "no-change sync"] {
        if run != "initial sync" {
            // The twin stamps a burst of writes up to a millisecond apart, ahead of the wall clock
            // its queries answer `asOf` with (each story's parent link is a revision of its epic too); a
            // later sync starts after it caught up.
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        }
        let (before, w0) = requests(&http, &twin).await;
        let started = Instant::now();
        let report = engine::run(&settings, &RunOptions::default()).await.expect("sync runs");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let (after, w1) = requests(&http, &twin).await;
        rows.push(Row {
            scenario: name.clone(),
            run,
            requests: after - before,
            writes: w1 - w0,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    twin.shutdown().await;
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut rows = Vec::new();
    rt.block_on(async {
        scenario(0, &mut rows).await;
        scenario(10, &mut rows).await;
    });
    println!("{:<38} {:<15} {:>9} {:>7} {:>8}", "scenario", "run", "requests", "writes", "seconds");
    for r in &rows {
        println!("{:<38} {:<15} {:>9} {:>7} {:>8.2}", r.scenario, r.run, r.requests, r.writes, r.seconds);
    }
    let initial = rows[0].requests;
    let quiet = rows[2].requests;
    println!("\ninitial sync of {ITEMS} items: {initial} requests (budget 1020); no-change sync: {quiet} (budget 2)");
    assert!(initial <= 1020 && quiet <= 2, "over budget");
}
