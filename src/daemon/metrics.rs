//! The daemon's Prometheus metrics (`/metrics`): runs, items changed by direction, conflicts,
//! queue depth and offers, webhook outcomes, remote requests, rate-limit budget and refused items
//! (`sync-item-refused`) per target.

use std::sync::atomic::{AtomicUsize, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::queue::Offer;
use crate::store::RunCounts;

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    kind: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChangeLabels {
    direction: String,
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    source: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OfferLabels {
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
}

/// Every metric the daemon exports, registered once.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    runs: Family<RunLabels, Counter>,
    changes: Family<ChangeLabels, Counter>,
    open_conflicts: Gauge,
    running: Gauge,
    queue_depth: Gauge,
    queue_peak: Gauge,
    offers: Family<OfferLabels, Counter>,
    webhooks: Family<WebhookLabels, Counter>,
    requests: Family<TargetLabels, Counter>,
    rate_limit_remaining: Family<TargetLabels, Gauge>,
    refused_items: Family<TargetLabels, Gauge>,
    peak: AtomicUsize,
    last_requests: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    last_success: Gauge<i64, std::sync::atomic::AtomicI64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("backlog_sync");
        let m = Metrics {
            registry: Registry::default(),
            runs: Family::default(),
            changes: Family::default(),
            open_conflicts: Gauge::default(),
            running: Gauge::default(),
            queue_depth: Gauge::default(),
            queue_peak: Gauge::default(),
            offers: Family::default(),
            webhooks: Family::default(),
            requests: Family::default(),
            rate_limit_remaining: Family::default(),
            refused_items: Family::default(),
            peak: AtomicUsize::new(0),
            last_requests: Default::default(),
            last_success: Gauge::default(),
        };
        registry.register("runs", "Engine runs by kind and outcome", m.runs.clone());
        registry.register("items_changed", "Items changed by direction and action", m.changes.clone());
        registry.register("open_conflicts", "Open manual conflicts after the last run", m.open_conflicts.clone());
        registry.register("run_in_progress", "1 while an engine run is going on", m.running.clone());
        registry.register("queue_depth", "Distinct pending keys in the work queue", m.queue_depth.clone());
        registry.register("queue_peak", "The most pending keys the queue has held", m.queue_peak.clone());
        registry.register("queue_offers", "Keys offered to the queue by result", m.offers.clone());
        registry.register("webhooks", "Webhook deliveries by source and outcome", m.webhooks.clone());
        registry.register("remote_requests", "Requests sent to each target", m.requests.clone());
        registry.register(
            "rate_limit_remaining",
            "Rate-limit budget each target last reported",
            m.rate_limit_remaining.clone(),
        );
        registry.register(
            "refused_items",
            "Items a target refused for good and the store keeps until they sync (sync-item-refused)",
            m.refused_items.clone(),
        );
        registry.register(
            "last_success_timestamp_seconds",
            "When the last successful run finished (Unix time)",
            m.last_success.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The text exposition, for `GET /metrics`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }

    /// Counts one webhook by its outcome (`accepted`, `duplicate`, `unauthorized`, …).
    pub fn webhook(&self, source: &str, outcome: &str) {
        self.webhooks.get_or_create(&WebhookLabels { source: source.into(), outcome: outcome.into() }).inc();
    }

    /// How many webhooks of `source` ended with `outcome`.
    pub fn webhook_count(&self, source: &str, outcome: &str) -> u64 {
        self.webhooks.get(&WebhookLabels { source: source.into(), outcome: outcome.into() }).map_or(0, |c| c.get())
    }

    /// Counts one offer to the queue and updates its depth.
    pub fn offered(&self, offer: Offer, depth: usize) {
        let result = match offer {
            Offer::Queued => "queued",
            Offer::Coalesced => "coalesced",
            Offer::Full => "full",
        };
        self.offers.get_or_create(&OfferLabels { result: result.into() }).inc();
        self.depth(depth);
    }

    /// Offers to the queue with `result` (`queued`, `coalesced`, `full`).
    pub fn offer_count(&self, result: &str) -> u64 {
        self.offers.get(&OfferLabels { result: result.into() }).map_or(0, |c| c.get())
    }

    /// Sets the queue depth and keeps its peak.
    pub fn depth(&self, depth: usize) {
        self.queue_depth.set(depth as i64);
        let peak = self.peak.fetch_max(depth, Ordering::SeqCst).max(depth);
        self.queue_peak.set(peak as i64);
    }

    pub fn run_started(&self) {
        self.running.set(1);
    }

    /// Records a finished run: its kind, outcome, counts and the open conflicts after it.
    pub fn run_finished(&self, kind: &str, outcome: &str, counts: &RunCounts, open_conflicts: usize) {
        self.running.set(0);
        self.runs.get_or_create(&RunLabels { kind: kind.into(), outcome: outcome.into() }).inc();
        let rows = [
            ("inbound", "created", counts.inbound_created),
            ("inbound", "updated", counts.inbound_updated),
            ("outbound", "created", counts.outbound_created),
            ("outbound", "updated", counts.outbound_updated),
            ("both", "removed", counts.removed),
        ];
        for (direction, action, n) in rows {
            self.changes
                .get_or_create(&ChangeLabels { direction: direction.into(), action: action.into() })
                .inc_by(u64::from(n));
        }
        self.open_conflicts.set(open_conflicts as i64);
        if outcome == "success" {
            self.last_success.set(chrono::Utc::now().timestamp());
        }
    }

    /// Runs of `kind` that ended with `outcome`.
    pub fn run_count(&self, kind: &str, outcome: &str) -> u64 {
        self.runs.get(&RunLabels { kind: kind.into(), outcome: outcome.into() }).map_or(0, |c| c.get())
    }

    /// Sets the refused items per target (every target named, 0 for one with none).
    pub fn refused(&self, per_target: &std::collections::BTreeMap<String, usize>) {
        for (target, n) in per_target {
            self.refused_items.get_or_create(&TargetLabels { target: target.clone() }).set(*n as i64);
        }
    }

    /// Records a target's request counter (a running total) and its rate-limit budget.
    pub fn target(&self, target: &str, requests_total: u64, remaining: Option<u32>) {
        let labels = TargetLabels { target: target.into() };
        let mut last = self.last_requests.lock().unwrap_or_else(|p| p.into_inner());
        let before = last.insert(target.to_string(), requests_total).unwrap_or(0);
        self.requests.get_or_create(&labels).inc_by(requests_total.saturating_sub(before));
        if let Some(r) = remaining {
            self.rate_limit_remaining.get_or_create(&labels).set(i64::from(r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_prometheus_text_with_every_family() {
        let m = Metrics::new();
        m.webhook("github", "accepted");
        m.webhook("github", "accepted");
        m.offered(Offer::Queued, 3);
        m.offered(Offer::Coalesced, 1);
        m.run_finished("webhook", "success", &RunCounts { inbound_updated: 2, ..RunCounts::default() }, 1);
        m.target("github", 10, Some(4990));
        m.target("github", 15, Some(4985));
        m.refused(&[("github".to_string(), 2), ("boards".to_string(), 0)].into());
        let text = m.render();
        for line in [
            "backlog_sync_webhooks_total{source=\"github\",outcome=\"accepted\"} 2",
            "backlog_sync_queue_peak 3",
            "backlog_sync_queue_depth 1",
            "backlog_sync_runs_total{kind=\"webhook\",outcome=\"success\"} 1",
            "backlog_sync_items_changed_total{direction=\"inbound\",action=\"updated\"} 2",
            "backlog_sync_open_conflicts 1",
            "backlog_sync_remote_requests_total{target=\"github\"} 15",
            "backlog_sync_rate_limit_remaining{target=\"github\"} 4985",
            "backlog_sync_refused_items{target=\"github\"} 2",
            "backlog_sync_refused_items{target=\"boards\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
        assert_eq!((m.webhook_count("github", "accepted"), m.run_count("webhook", "success")), (2, 1));
    }
}
