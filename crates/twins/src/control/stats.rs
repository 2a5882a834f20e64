//! Request counters a twin keeps for `GET /_twin/stats`: requests, writes, rate-limited answers and
//! a count per operation (`"METHOD path-template"`).

use std::collections::BTreeMap;

use axum::http::Method;
use serde::{Deserialize, Serialize};

/// What a twin has been asked, as `GET /_twin/stats` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests to the emulated API (control routes excluded).
    pub requests: u64,
    /// Requests whose method is not GET, HEAD or OPTIONS.
    pub writes: u64,
    /// Requests refused by a rate limit (and 429 faults).
    pub rate_limited: u64,
    /// Requests per `"METHOD path-template"`, e.g. `"GET /repos/{owner}/{repo}/issues"`.
    pub by_operation: BTreeMap<String, u64>,
}

impl Stats {
    /// Counts one request to `operation` (`"METHOD path-template"`).
    pub fn record(&mut self, method: &Method, operation: String) {
        self.requests += 1;
        if is_write(method) {
            self.writes += 1;
        }
        *self.by_operation.entry(operation).or_insert(0) += 1;
    }
}

/// Whether a request with this method counts as a write.
pub fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_writes_and_operations() {
        let mut stats = Stats::default();
        stats.record(&Method::GET, "GET /a/{x}".into());
        stats.record(&Method::GET, "GET /a/{x}".into());
        stats.record(&Method::PATCH, "PATCH /a/{x}".into());
        stats.record(&Method::HEAD, "HEAD /a/{x}".into());
        assert_eq!(stats.requests, 4);
        assert_eq!(stats.writes, 1);
        assert_eq!(stats.by_operation["GET /a/{x}"], 2);
        let json = serde_json::to_value(&stats).unwrap();
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["by_operation", "rate_limited", "requests", "writes"]);
    }
}
