//! What both webhook endpoints share: who may call them (a GitHub HMAC secret, Azure DevOps basic
//! auth or a secret header, compared in constant time), reading a bounded body, and taking a
//! delivery — dedupe in the store, then keys offered to the queue all or none.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::queue::{Offer, WorkKey};
use super::server::AppState;
use crate::config::{Secret, Settings};

/// Seconds a webhook refused for a full queue is told to wait.
pub const RETRY_AFTER_SECS: u64 = 10;

/// Why the webhook settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HookConfigError {
    #[error("`{key}` names the environment variable `{var}`, which is not set; export it with the secret")]
    MissingSecret { key: &'static str, var: String },
}

/// Who may post to the webhook endpoints; `None` turns an endpoint off.
#[derive(Clone, Debug, Default)]
pub struct HookAuth {
    /// The HMAC key of `X-Hub-Signature-256`.
    pub github: Option<Secret>,
    pub azure: Option<AzureAuth>,
    /// `--insecure-webhooks`: an endpoint without a secret takes unauthenticated deliveries.
    pub insecure: bool,
}

/// Azure DevOps service hooks: basic auth (`username` when set, and the password), or the
/// password as the value of `secret_header`.
#[derive(Clone, Debug)]
pub struct AzureAuth {
    pub username: Option<String>,
    pub password: Secret,
    pub secret_header: Option<String>,
}

impl HookAuth {
    /// Reads the secrets the settings name from the environment.
    pub fn from_settings(settings: &Settings, insecure: bool) -> Result<HookAuth, HookConfigError> {
        let read = |key: &'static str, var: &Option<String>| -> Result<Option<Secret>, HookConfigError> {
            match var {
                None => Ok(None),
                Some(var) => Secret::from_env(var)
                    .map(Some)
                    .map_err(|_| HookConfigError::MissingSecret { key, var: var.clone() }),
            }
        };
        let github = read("webhooks.github.secret_env", &settings.webhooks.github.secret_env)?;
        let hooks = &settings.webhooks.azure_devops;
        let azure = read("webhooks.azure_devops.password_env", &hooks.password_env)?.map(|password| AzureAuth {
            username: hooks.username.clone(),
            password,
            secret_header: hooks.secret_header.clone(),
        });
        Ok(HookAuth { github, azure, insecure })
    }
}

/// Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` in constant time.
pub fn github_signature_ok(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(sent) = header.and_then(|h| h.trim().strip_prefix("sha256=")).and_then(|h| hex::decode(h).ok()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("hmac takes keys of any length");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    sent.len() == expected.len() && bool::from(expected.as_slice().ct_eq(&sent))
}

/// Checks `Authorization: Basic …` (and the secret header, when configured) in constant time.
pub fn azure_auth_ok(auth: &AzureAuth, headers: &HeaderMap) -> bool {
    let password = auth.password.expose().as_bytes();
    let by_header = auth
        .secret_header
        .as_deref()
        .and_then(|name| headers.get(name))
        .is_some_and(|v| bool::from(v.as_bytes().ct_eq(password)));
    let by_basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|raw| {
            let at = raw.iter().position(|&c| c == b':')?;
            Some((raw[..at].to_vec(), raw[at + 1..].to_vec()))
        })
        .is_some_and(|(user, pass)| {
            let user_ok = auth.username.as_deref().is_none_or(|u| bool::from(u.as_bytes().ct_eq(&user)));
            let pass_ok = bool::from(pass.as_slice().ct_eq(password));
            user_ok & pass_ok
        });
    by_header || by_basic
}

/// What a verified, parsed delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Look at these keys (`true`: with a full comparison).
    Enqueue(Vec<(WorkKey, bool)>),
    /// GitHub's `ping` on hook creation.
    Ping,
    /// Valid, but nothing backlog-sync acts on.
    Ignore(String),
}

/// A JSON answer with a status.
pub fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The endpoint is off: no secret is configured and `--insecure-webhooks` was not given.
pub fn endpoint_off(how: &str) -> Response {
    answer(
        StatusCode::FORBIDDEN,
        json!({"error": format!("this webhook endpoint is off: {how}, or start `serve --insecure-webhooks` for a local test")}),
    )
}

/// A body declared at most this long is read without an upload slot (64 KiB).
pub const SMALL_BODY: usize = 64 * 1024;

/// Whether `X-Hub-Signature-256` has the shape `sha256=<64 hex digits>`: checked before the body
/// is read, so a request that cannot be signed is refused without buffering anything.
pub fn github_signature_well_formed(header: Option<&str>) -> bool {
    header
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Reads the body up to the limit, within `[server] body_timeout_ms`, while at most
/// `[server] max_uploads` bodies larger than [`SMALL_BODY`] are read at once: an oversized one is answered 413, a slow one
/// 408, one beyond the uploads 503 with `Retry-After`.
pub async fn read_body(
    state: &AppState,
    source: &str,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<axum::body::Bytes, Response> {
    let limit = state.body_limit;
    let too_large = || {
        state.metrics.webhook(source, "too_large");
        answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": format!("the body is larger than {limit} bytes; raise `[server] body_limit` if deliveries are this big")}),
        )
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    if declared.is_some_and(|n: usize| n > limit) {
        return Err(too_large());
    }
    // A body declared small (most deliveries) is read at once; a large or undeclared one needs one
    // of `max_uploads` slots, so stalled uploads pin at most `max_uploads × body_limit`.
    let small = declared.is_some_and(|n: usize| n <= SMALL_BODY);
    let slot = if small { None } else { state.uploads.clone().try_acquire_owned().ok() };
    if !small && slot.is_none() {
        state.metrics.webhook(source, "busy");
        let mut r = answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "too many webhook bodies are being read at once; retry later, or raise `[server] max_uploads`"}),
        );
        r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        return Err(r);
    }
    let read = tokio::time::timeout(state.body_timeout, axum::body::to_bytes(body, limit)).await;
    drop(slot);
    match read {
        Ok(bytes) => bytes.map_err(|_| too_large()),
        Err(_) => {
            state.metrics.webhook(source, "timeout");
            Err(answer(
                StatusCode::REQUEST_TIMEOUT,
                json!({"error": format!("the body did not arrive within {:?}; raise `[server] body_timeout_ms` for slow senders", state.body_timeout)}),
            ))
        }
    }
}

/// Takes a verified delivery: a redelivery is ignored; otherwise every key is offered, and either
/// all are taken (202, delivery recorded) or none (503 with `Retry-After`, delivery not recorded so
/// a redelivery is taken later).
pub fn take(state: &AppState, source: &str, delivery: &str, verdict: Verdict) -> Response {
    let keys = match verdict {
        Verdict::Ping => {
            state.metrics.webhook(source, "ping");
            return answer(StatusCode::OK, json!({"status": "pong"}));
        }
        Verdict::Ignore(reason) => {
            state.metrics.webhook(source, "ignored");
            return answer(StatusCode::OK, json!({"status": "ignored", "reason": reason}));
        }
        Verdict::Enqueue(keys) => keys,
    };
    enum Taken {
        Queued(Vec<Offer>),
        Duplicate,
        Full,
        StoreFailed(String),
    }
    let taken = state.queue.with_pending(|pending, limits| {
        let mut trial = pending.clone();
        let now = std::time::Instant::now();
        let offers: Vec<Offer> =
            keys.iter().map(|(k, full)| trial.offer(limits, k.clone(), *full, "webhook", now)).collect();
        if offers.contains(&Offer::Full) {
            // The next run lists the target instead: a refused webhook's edit is not left behind.
            for (k, _) in &keys {
                pending.refused(k, now);
            }
            return Taken::Full;
        }
        match state.record_delivery(source, delivery) {
            Ok(false) => Taken::Duplicate,
            Ok(true) => {
                *pending = trial;
                Taken::Queued(offers)
            }
            Err(e) => Taken::StoreFailed(e),
        }
    });
    let depth = state.queue.depth();
    match taken {
        Taken::Queued(offers) => {
            for offer in &offers {
                state.metrics.offered(*offer, depth);
            }
            state.metrics.webhook(source, "accepted");
            let keys: Vec<String> = keys.iter().map(|(k, _)| k.to_string()).collect();
            answer(StatusCode::ACCEPTED, json!({"status": "accepted", "keys": keys}))
        }
        Taken::Duplicate => {
            state.metrics.webhook(source, "duplicate");
            answer(StatusCode::OK, json!({"status": "duplicate", "delivery": delivery}))
        }
        Taken::Full => {
            state.metrics.offered(Offer::Full, depth);
            state.metrics.webhook(source, "queue_full");
            let mut r = answer(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "the work queue is full; redeliver later — the next scheduled sync picks the change up anyway"}),
            );
            r.headers_mut().insert(header::RETRY_AFTER, RETRY_AFTER_SECS.into());
            r
        }
        Taken::StoreFailed(e) => {
            state.metrics.webhook(source, "error");
            answer(StatusCode::INTERNAL_SERVER_ERROR, json!({"error": e}))
        }
    }
}

/// The sync's own app login per target name (`<slug>[bot]`), learnt by the worker after a run.
pub type OwnLogins = std::sync::Arc<std::sync::RwLock<std::collections::BTreeMap<String, String>>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_github_signature_that_cannot_match_is_refused_before_the_body() {
        let good = format!("sha256={}", "ab".repeat(32));
        let cases: &[(Option<&str>, bool)] = &[
            (Some(good.as_str()), true),
            (None, false),
            (Some(""), false),
            (Some("sha1=abcdef"), false),
            (Some("sha256=abc"), false),
            (Some(&good[..good.len() - 1]), false),
        ];
        for (header, want) in cases {
            assert_eq!(github_signature_well_formed(*header), *want, "{header:?}");
        }
        assert!(!github_signature_well_formed(Some(&format!("sha256={}", "zz".repeat(32)))));
    }

    #[test]
    fn github_signatures_are_checked_against_the_documented_vector() {
        let secret = b"It's a Secret to Everybody";
        let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        let cases: &[(&[u8], Option<&str>, bool)] = &[
            (b"Hello, World!", Some(good), true),
            (b"Hello, World?", Some(good), false),
            (b"Hello, World!", Some(&good[..good.len() - 2]), false),
            (b"Hello, World!", Some("sha1=757107ea0eb2509fc211221cce984b8a37570b6d"), false),
            (b"Hello, World!", Some("sha256=not-hex"), false),
            (b"Hello, World!", None, false),
        ];
        for (body, header, want) in cases {
            assert_eq!(github_signature_ok(secret, body, *header), *want, "{header:?}");
        }
    }

    #[test]
    fn a_secret_named_but_not_set_stops_the_start_with_the_variable_named() {
        let mut settings = Settings::load(None).unwrap();
        assert!(HookAuth::from_settings(&settings, false).unwrap().github.is_none(), "no secret: endpoint off");
        settings.webhooks.github.secret_env = Some("BACKLOG_SYNC_SURELY_UNSET_SECRET".into());
        let err = HookAuth::from_settings(&settings, false).unwrap_err().to_string();
        assert_eq!(
            err,
            "`webhooks.github.secret_env` names the environment variable `BACKLOG_SYNC_SURELY_UNSET_SECRET`, which is not set; export it with the secret"
        );
    }

    #[test]
    fn azure_takes_basic_auth_or_the_secret_header() {
        let auth = AzureAuth {
            username: Some("backlog-sync".into()),
            password: Secret::new("s3cret"),
            secret_header: Some("x-backlog-sync-secret".into()),
        };
        let basic = |u: &str, p: &str| {
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")))
        };
        let cases: Vec<(Vec<(&str, String)>, bool)> = vec![
            (vec![("authorization", basic("backlog-sync", "s3cret"))], true),
            (vec![("authorization", basic("backlog-sync", "wrong"))], false),
            (vec![("authorization", basic("someone", "s3cret"))], false),
            (vec![("authorization", "Bearer s3cret".into())], false),
            (vec![("x-backlog-sync-secret", "s3cret".into())], true),
            (vec![("x-backlog-sync-secret", "s3cre".into())], false),
            (vec![], false),
        ];
        for (pairs, want) in cases {
            let mut headers = HeaderMap::new();
            for (k, v) in &pairs {
                headers.insert(axum::http::HeaderName::from_static(k), v.parse().unwrap());
            }
            assert_eq!(azure_auth_ok(&auth, &headers), want, "{pairs:?}");
        }
    }
}
