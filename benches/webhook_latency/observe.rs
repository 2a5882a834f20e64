//! What the webhook latency bench observes: pollers that record when Azure Boards and the
//! canonical files first show each edit, and the latencies and percentiles drawn from them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use crate::{AZ_TOKEN, PROJECT};

/// How often the pollers look at Azure Boards and at the files.
pub const POLL: Duration = Duration::from_millis(20);

pub fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// What has been seen where: story → (edit sequence number, first seen) in order.
pub type Seen = Arc<Mutex<HashMap<usize, Vec<(u64, Instant)>>>>;

/// The sequence number in a title `Story N edit SEQ` (0 for the initial title).
fn seq_of(title: &str) -> u64 {
    title.rsplit_once(" edit ").and_then(|(_, s)| s.parse().ok()).unwrap_or(0)
}

fn record(seen: &Seen, story: usize, seq: u64, at: Instant) {
    let mut seen = seen.lock().unwrap();
    let list = seen.entry(story).or_default();
    if list.last().is_none_or(|(s, _)| *s < seq) {
        list.push((seq, at));
    }
}

/// Polls Azure Boards: a WIQL query for what changed since the last answer (less a margin), then
/// the titles of those items in one batch read.
pub async fn poll_azure(twin_url: String, stories: HashMap<i64, usize>, seen: Seen, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::new();
    let mut since: Option<String> = None;
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let mut q = String::from("SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project");
        if let Some(s) = &since {
            q.push_str(&format!(" AND [System.ChangedDate] >= '{s}'"));
        }
        let url = format!("{twin_url}/{PROJECT}/_apis/wit/wiql?timePrecision=true&api-version=7.1");
        let found: Value = http
            .post(url)
            .basic_auth("", Some(AZ_TOKEN))
            .json(&json!({"query": q}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let as_of = chrono::DateTime::parse_from_rfc3339(found["asOf"].as_str().unwrap()).unwrap();
        since = Some(
            (as_of - chrono::Duration::milliseconds(200)).to_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        );
        let ids: Vec<i64> = found["workItems"].as_array().unwrap().iter().filter_map(|w| w["id"].as_i64()).collect();
        for chunk in ids.chunks(200) {
            let url = format!("{twin_url}/{PROJECT}/_apis/wit/workitemsbatch?api-version=7.1");
            let body = json!({"ids": chunk, "fields": ["System.Title"]});
            let got: Value =
                http.post(url).basic_auth("", Some(AZ_TOKEN)).json(&body).send().await.unwrap().json().await.unwrap();
            let now = Instant::now();
            for item in got["value"].as_array().unwrap() {
                let (Some(id), Some(title)) = (item["id"].as_i64(), item["fields"]["System.Title"].as_str()) else {
                    continue;
                };
                if let Some(story) = stories.get(&id) {
                    record(&seen, *story, seq_of(title), now);
                }
            }
        }
    }
}

/// Polls the story files that have an edit not seen in them yet; reads a file only when its
/// modification time moved.
pub async fn poll_files(backlog: PathBuf, latest: Arc<Mutex<HashMap<usize, u64>>>, seen: Seen, stop: Arc<AtomicBool>) {
    let mut stamps: HashMap<usize, SystemTime> = HashMap::new();
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let outstanding: Vec<usize> = {
            let latest = latest.lock().unwrap();
            let seen = seen.lock().unwrap();
            latest
                .iter()
                .filter(|(s, seq)| seen.get(s).and_then(|l| l.last()).is_none_or(|(got, _)| got < seq))
                .map(|(s, _)| *s)
                .collect()
        };
        for story in outstanding {
            let path = backlog.join(format!("stories/ST-{story}.md"));
            let Ok(modified) = std::fs::metadata(&path).and_then(|m| m.modified()) else { continue };
            if stamps.get(&story) == Some(&modified) {
                continue;
            }
            stamps.insert(story, modified);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(title) = text.lines().find_map(|l| l.strip_prefix("title: ")) {
                record(&seen, story, seq_of(title), Instant::now());
            }
        }
    }
}

/// One edit made on the GitHub twin: which story, its sequence number, when the twin took it.
#[derive(Clone, Copy)]
pub struct Edit {
    pub story: usize,
    pub seq: u64,
    pub at: Instant,
}

/// Latencies of `edits` to where `seen` first shows them (or a later edit of the same story);
/// the count of edits never seen.
pub fn latencies(edits: &[Edit], seen: &Seen) -> (Vec<Duration>, usize) {
    let seen = seen.lock().unwrap();
    let mut out = Vec::new();
    let mut lost = 0;
    for e in edits {
        match seen.get(&e.story).and_then(|l| l.iter().find(|(s, _)| *s >= e.seq)) {
            Some((_, at)) => out.push(at.saturating_duration_since(e.at)),
            None => lost += 1,
        }
    }
    out.sort();
    (out, lost)
}

/// Prints the slowest edits of a phase to stderr: when each was made and seen, from the first edit.
pub fn slowest(edits: &[Edit], seen: &Seen, rate: u64) {
    let Some(t0) = edits.iter().map(|e| e.at).min() else { return };
    let seen = seen.lock().unwrap();
    let mut timed: Vec<(Duration, &Edit, Option<Instant>)> = edits
        .iter()
        .map(|e| {
            let at = seen.get(&e.story).and_then(|l| l.iter().find(|(s, _)| *s >= e.seq)).map(|(_, at)| *at);
            (at.map_or(Duration::MAX, |a| a.saturating_duration_since(e.at)), e, at)
        })
        .collect();
    timed.sort_by_key(|(d, ..)| std::cmp::Reverse(*d));
    for (d, e, at) in timed.iter().take(3) {
        eprintln!(
            "{rate}/s slowest: story {} edit {} made at {} ms, seen at {:?} ms ({} ms)",
            e.story,
            e.seq,
            ms(e.at - t0),
            at.map(|a| ms(a - t0)),
            ms(*d)
        );
    }
}

/// The nearest-rank percentile of sorted values.
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}
