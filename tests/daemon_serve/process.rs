//! A real `backlog-sync serve` process on 127.0.0.1 beside a GitHub twin: start, read its URL,
//! read its metrics, wait for it to go idle, SIGKILL or SIGTERM it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::github_env::GhEnv;

pub const SECRET_VAR: &str = "BACKLOG_SYNC_TEST_HOOK_SECRET";
pub const SECRET: &str = "daemon-test-secret";
/// A cron time that will not come during a test.
pub const NEVER: &str = "0 0 0 1 1 * 2099";

/// Appends the daemon's settings to the GhEnv settings file.
pub fn configure(env: &GhEnv, extra: &str) {
    let mut text = std::fs::read_to_string(&env.config).unwrap();
    text.push_str(&format!("\n[webhooks.github]\nsecret_env = \"{SECRET_VAR}\"\n\n{extra}"));
    std::fs::write(&env.config, text).unwrap();
}

/// `[server]` and `[schedule]` tables for a test.
pub fn tables(debounce_ms: u64, capacity: usize, sync: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndebounce_ms = {debounce_ms}\nqueue_capacity = {capacity}\n\n[schedule]\nsync = \"{sync}\"\nreconcile = \"off\"\nsummary = \"off\"\njitter_ms = 0\n"
    )
}

pub struct Served {
    pub child: Child,
    pub url: String,
    /// The dashboard's base URL (its own listener, 127.0.0.1).
    pub dashboard: String,
    pub log: PathBuf,
    _stdout: ChildStdout,
    http: reqwest::Client,
}

impl Served {
    /// Starts `backlog-sync serve --config CONFIG` and waits for its URL on stdout.
    pub fn start(config: &Path, log: PathBuf) -> Served {
        let err = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
            .args(["serve", "--config", config.to_str().unwrap()])
            .env(SECRET_VAR, SECRET)
            .env("RUST_LOG", "backlog_sync=info")
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .expect("backlog-sync serve starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut url = String::new();
        stdout.read_line(&mut url).unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "serve printed its URL, got {url:?}; log:\n{}", read(&log));
        let mut dashboard = String::new();
        stdout.read_line(&mut dashboard).unwrap();
        let dashboard = dashboard.trim().strip_prefix("dashboard: ").unwrap_or("").trim_end_matches('/').to_string();
        assert!(dashboard.starts_with("http://127.0.0.1:"), "serve printed the dashboard's URL; log:\n{}", read(&log));
        Served {
            child,
            url: url.trim().to_string(),
            dashboard,
            log,
            _stdout: stdout.into_inner(),
            http: reqwest::Client::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.url)).send().await.unwrap()
    }

    /// A GET on the dashboard's listener.
    pub async fn get_dashboard(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.dashboard)).send().await.unwrap()
    }

    pub async fn metrics(&self) -> String {
        self.get("/metrics").await.text().await.unwrap()
    }

    /// Points the twin's webhooks at this daemon.
    pub async fn hook_twin(&self, env: &GhEnv) {
        let r = env
            .http
            .post(env.url("/_twin/webhooks"))
            .json(&json!({"url": format!("{}/webhooks/github", self.url), "secret": SECRET}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// Waits until `runs_total` of `kind` reaches `n` and nothing is queued or running.
    pub async fn wait_runs(&self, kind: &str, n: u64, timeout: Duration) -> String {
        let started = Instant::now();
        loop {
            let text = self.metrics().await;
            let runs = runs(&text, kind);
            if runs >= n
                && metric(&text, "backlog_sync_queue_depth") == 0.0
                && metric(&text, "backlog_sync_run_in_progress") == 0.0
            {
                return text;
            }
            assert!(started.elapsed() < timeout, "{runs} `{kind}` run(s) after {timeout:?}; log:\n{}", read(&self.log));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn terminate(&self) {
        let ok = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().unwrap();
        assert!(ok.success());
    }

    /// The resident memory of the process in KiB (`VmRSS`, or `VmHWM` for the peak).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.trim_start_matches(':').split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The value of one sample line (`name{labels}`), 0 when absent.
pub fn metric(text: &str, sample: &str) -> f64 {
    text.lines()
        .filter_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .find_map(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Runs of a kind, any outcome.
pub fn runs(text: &str, kind: &str) -> u64 {
    let prefix = format!("backlog_sync_runs_total{{kind=\"{kind}\",");
    text.lines()
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}
