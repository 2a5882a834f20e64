//! Armed faults: which requests (method, path glob, count) get what (an error status, 429 with
//! `Retry-After`, a raw answer such as Azure DevOps' 203 sign-in page, latency, or the connection
//! dropped after the write was applied).

use axum::http::Method;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// One armed fault rule, as posted to `POST /_twin/faults`.
///
/// ```json
/// {"method": "PATCH", "path": "/repos/*/*/issues/*", "count": 2, "status": 503}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// The method it applies to (any when absent); case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Glob over the request path: `*` matches within one segment, `**` across segments.
    #[serde(default = "any_path")]
    pub path: String,
    /// How many matching requests it fires on before it is used up.
    #[serde(default = "one")]
    pub count: u32,
    /// Answer with this status (and the twin's error body) without running the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Seconds for a `Retry-After` header; alone it implies status 429.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The error body's message instead of the status's reason phrase (e.g. GitHub's "You have
    /// exceeded a secondary rate limit…" on a 403 without `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A raw answer body instead of the twin's error body (e.g. the HTML sign-in page Azure DevOps
    /// sends with 203 for missing or expired credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The `Content-Type` of `body` (`application/json` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Delay before the request is answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Run the request (so a write is applied), then close the connection with no response.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop_after_write: bool,
    /// Fire on only this share (0..=1) of matching requests, at random; always when absent.
    /// Several such rules make a fault campaign: each matching rule rolls in turn. Posted with a
    /// `seed` (`{"faults": [...], "seed": 7}`), the rolls repeat from one run to the next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

fn any_path() -> String {
    "/**".to_string()
}

fn one() -> u32 {
    1
}

/// Why a posted fault rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// The status is not an HTTP error status (nor 203 with a `body`).
    #[error("fault `status` {0} is not an error status; use 400..=599, or 203 with a `body`")]
    Status(u16),
    /// The path glob does not start with `/`.
    #[error("fault `path` `{0}` must start with `/`, e.g. `/repos/*/*/issues/*`")]
    Path(String),
    /// A zero count would never fire.
    #[error("fault `count` must be at least 1")]
    Count,
    /// A probability outside 0..=1.
    #[error("fault `probability` must be between 0 and 1")]
    Probability,
}

impl FaultRule {
    /// Checks the rule before it is armed.
    pub fn validate(&self) -> Result<(), FaultError> {
        // 203 is how Azure DevOps refuses credentials (with its sign-in page as the body).
        if let Some(status) = self.status
            && !(400..=599).contains(&status)
            && !(status == 203 && self.body.is_some())
        {
            return Err(FaultError::Status(status));
        }
        if !self.path.starts_with('/') {
            return Err(FaultError::Path(self.path.clone()));
        }
        if self.count == 0 {
            return Err(FaultError::Count);
        }
        if self.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
            return Err(FaultError::Probability);
        }
        Ok(())
    }

    /// Whether the rule applies to a request.
    pub fn matches(&self, method: &Method, path: &str) -> bool {
        let method_ok = self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()));
        method_ok && glob_matches(&self.path, path)
    }

    /// The error status it answers with, if any: `status`, or 429 when only `retry_after` is set.
    pub fn error_status(&self) -> Option<u16> {
        self.status.or(self.retry_after.map(|_| 429))
    }
}

/// The armed rules, consumed as they fire (first matching rule wins).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    /// Where `probability` rolls come from once seeded (until cleared); the thread's generator
    /// otherwise.
    rng: Option<StdRng>,
}

impl Faults {
    /// Arms more rules after the ones already armed.
    pub fn arm(&mut self, rules: impl IntoIterator<Item = FaultRule>) {
        self.rules.extend(rules);
    }

    /// The rules still armed, with their remaining counts.
    pub fn armed(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Makes the `probability` rolls repeatable: they come from a generator seeded with `seed`
    /// until the rules are cleared.
    pub fn seed(&mut self, seed: u64) {
        self.rng = Some(StdRng::seed_from_u64(seed));
    }

    /// Disarms everything (and forgets the seed).
    pub fn clear(&mut self) {
        self.rules.clear();
        self.rng = None;
    }

    /// Fires the first rule matching the request: returns a copy and uses up one of its count.
    pub fn take(&mut self, method: &Method, path: &str) -> Option<FaultRule> {
        let Faults { rules, rng } = self;
        let mut roll = || match rng {
            Some(rng) => rng.random::<f64>(),
            None => rand::random::<f64>(),
        };
        let index = rules.iter().position(|r| r.matches(method, path) && r.probability.is_none_or(|p| roll() < p))?;
        let fired = self.rules[index].clone();
        self.rules[index].count -= 1;
        if self.rules[index].count == 0 {
            self.rules.remove(index);
        }
        Some(fired)
    }
}

/// Glob match of a request path: `*` = any run of characters except `/`, `**` = any run at all.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p {
            [] => s.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=s.len()).any(|i| go(rest, &s[i..])),
            [b'*', rest @ ..] => {
                let segment = s.iter().position(|&c| c == b'/').unwrap_or(s.len());
                (0..=segment).any(|i| go(rest, &s[i..]))
            }
            [c, rest @ ..] => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let cases = [
            ("/repos/*/issues/*", "/repos/x/issues/1", true),
            ("/repos/*/issues/*", "/repos/o/r/issues/1", false),
            ("/repos/*/*/issues/*", "/repos/o/r/issues/1", true),
            ("/repos/*/*/issues/*", "/repos/o/r/issues/1/comments", false),
            ("/repos/**", "/repos/o/r/issues/1/comments", true),
            ("/**", "/", true),
            ("/repos/*/*/issues", "/repos/o/r/issues", true),
            ("/a/*x", "/a/yyx", true),
            ("/a/*x", "/a/yy", false),
        ];
        for (pattern, path, want) in cases {
            assert_eq!(glob_matches(pattern, path), want, "{pattern} vs {path}");
        }
    }

    #[test]
    fn rules_are_consumed_as_they_fire() {
        let rule: FaultRule =
            serde_json::from_str(r#"{"method":"patch","path":"/x/*","count":2,"status":503}"#).unwrap();
        let mut faults = Faults::default();
        faults.arm([rule]);
        assert!(faults.take(&Method::GET, "/x/1").is_none());
        assert_eq!(faults.take(&Method::PATCH, "/x/1").unwrap().status, Some(503));
        assert!(faults.take(&Method::PATCH, "/x/2").is_some());
        assert!(faults.take(&Method::PATCH, "/x/3").is_none());
    }

    #[test]
    fn seeded_rolls_repeat() {
        let rule: FaultRule =
            serde_json::from_str(r#"{"path":"/x","count":1000,"status":503,"probability":0.5}"#).unwrap();
        let fired = |seed: u64| {
            let mut faults = Faults::default();
            faults.arm([rule.clone()]);
            faults.seed(seed);
            (0..64).map(|_| faults.take(&Method::GET, "/x").is_some()).collect::<Vec<_>>()
        };
        assert_eq!(fired(7), fired(7));
        assert_ne!(fired(7), fired(8));
        assert!(fired(7).contains(&true) && fired(7).contains(&false));
    }

    #[test]
    fn retry_after_alone_means_429_and_validation_catches_mistakes() {
        let rule: FaultRule = serde_json::from_str(r#"{"path":"/x","retry_after":3}"#).unwrap();
        assert_eq!(rule.error_status(), Some(429));
        assert_eq!(rule.validate(), Ok(()));
        let bad: FaultRule = serde_json::from_str(r#"{"path":"x","status":200}"#).unwrap();
        assert_eq!(bad.validate(), Err(FaultError::Status(200)));
        assert!(serde_json::from_str::<FaultRule>(r#"{"path":"/x","stauts":500}"#).is_err());
        let bare: FaultRule = serde_json::from_str(r#"{"path":"/x","status":203}"#).unwrap();
        assert_eq!(bare.validate(), Err(FaultError::Status(203)));
        let page: FaultRule =
            serde_json::from_str(r#"{"path":"/x","status":203,"body":"<html></html>","content_type":"text/html"}"#)
                .unwrap();
        assert_eq!(page.validate(), Ok(()));
    }
}
