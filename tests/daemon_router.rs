//! The daemon's router called with `oneshot` (no socket): every real GitHub webhook and Azure DevOps
//! service-hook payload in `../shared` is taken; bad signatures, wrong passwords, replays, oversized
//! bodies and a full queue are refused — and nothing is enqueued for them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use backlog_sync::config::{Secret, Settings};
use backlog_sync::daemon::queue::{QueueLimits, WorkKey};
use backlog_sync::daemon::webhooks::{AzureAuth, HookAuth};
use backlog_sync::daemon::{AppState, WorkQueue, router};
use backlog_sync::store::Store;
use backlog_twins::github::sign_github_payload;
use base64::Engine;
use tower::ServiceExt;

use crate::common::{copy_tree, sample_backlog, shared_dir};

pub const GH_SECRET: &str = "It's a Secret to Everybody";
pub const AZ_PASSWORD: &str = "hook-pass-1";

pub struct Fixture {
    pub state: AppState,
    _tmp: tempfile::TempDir,
}

/// A router state whose targets are the repository and project the shared payloads name.
pub fn fixture(capacity: usize, hooks: HookAuth) -> Fixture {
    fixture_for(capacity, hooks, "http://127.0.0.1:9/fabrikam", "FabrikamCloud")
}

/// The same with the azure-boards target at `organization_url` / `project`.
pub fn fixture_for(capacity: usize, hooks: HookAuth, organization_url: &str, project: &str) -> Fixture {
    let (tmp, backlog) = copy_tree(&sample_backlog());
    let config = tmp.path().join("settings.toml");
    std::fs::write(
        &config,
        format!(
            "[backlog]\npath = {backlog:?}\n\n[[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"Codertocat/Hello-World\"\napi_url = \"http://127.0.0.1:9\"\ntoken_env = \"BACKLOG_SYNC_NO_SUCH_TOKEN\"\nmapping = \"m.toml\"\n\n[[targets]]\nname = \"boards\"\nkind = \"azure-boards\"\norganization_url = \"{organization_url}\"\nproject = \"{project}\"\ntoken_env = \"BACKLOG_SYNC_NO_SUCH_TOKEN\"\nmapping = \"m.toml\"\n\n[server]\nlisten = \"127.0.0.1:0\"\nqueue_capacity = {capacity}\ndebounce_ms = 60000\n"
        ),
    )
    .unwrap();
    let settings = Arc::new(Settings::load(Some(&config)).unwrap());
    let limits = QueueLimits::new(Duration::from_millis(settings.server.debounce_ms), settings.server.queue_capacity);
    let queue = Arc::new(WorkQueue::new(limits));
    let state = AppState::new(settings, queue, Store::open_in_memory().unwrap(), hooks);
    Fixture { state, _tmp: tmp }
}

pub fn auth() -> HookAuth {
    HookAuth {
        github: Some(Secret::new(GH_SECRET)),
        azure: Some(AzureAuth {
            username: Some("backlog-sync".into()),
            password: Secret::new(AZ_PASSWORD),
            secret_header: Some("x-backlog-sync-secret".into()),
        }),
        insecure: false,
    }
}

pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// A GitHub delivery: event, delivery id, body and the signature header (if any).
pub fn github(event: &str, delivery: &str, body: &[u8], signature: Option<String>) -> Request<Body> {
    let mut r = Request::post("/webhooks/github")
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery);
    if let Some(s) = signature {
        r = r.header("x-hub-signature-256", s);
    }
    r.body(Body::from(body.to_vec())).unwrap()
}

pub fn signed(event: &str, delivery: &str, body: &[u8]) -> Request<Body> {
    github(event, delivery, body, Some(sign_github_payload(GH_SECRET.as_bytes(), body)))
}

pub fn azure(body: &[u8], authorization: Option<String>) -> Request<Body> {
    let mut r = Request::post("/webhooks/azure-devops").header("content-type", "application/json");
    if let Some(a) = authorization {
        r = r.header("authorization", a);
    }
    r.body(Body::from(body.to_vec())).unwrap()
}

pub async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, serde_json::Value, Option<String>) {
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null), retry)
}

fn payloads(dir: &std::path::Path, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

#[tokio::test]
async fn every_real_github_payload_is_taken_when_signed() {
    let Some(shared) = shared_dir() else { return };
    let f = fixture(16, auth());
    let all = payloads(&shared.join("specs/github/webhooks"), "");
    assert!(all.len() >= 7, "the shared GitHub payloads are there: {}", all.len());
    for (name, body) in &all {
        let event = name.split('.').next().unwrap();
        let (status, answer, _) = send(&f.state, signed(event, &uuid::Uuid::new_v4().to_string(), body)).await;
        let want = if event == "ping" { StatusCode::OK } else { StatusCode::ACCEPTED };
        assert_eq!(status, want, "{name}: {answer}");
    }
    // issues.* and issue_comment name issue #1; issues.deleted and label.* widen it to the target.
    assert_eq!(f.state.queue.depth(), 1, "all coalesced into one key");
    let taken = f.state.metrics.webhook_count("github", "accepted");
    assert_eq!(taken, all.len() as u64 - 1, "every payload but ping was accepted");
    assert_eq!(f.state.metrics.webhook_count("github", "ping"), 1);
}

#[tokio::test]
async fn every_real_azure_devops_payload_is_taken_with_basic_auth_or_the_header() {
    let Some(shared) = shared_dir() else { return };
    let f = fixture(16, auth());
    let all = payloads(&shared.join("specs/azure-devops/service-hooks"), "workitem.");
    assert!(all.len() >= 3, "the shared service-hook payloads are there");
    for (name, body) in &all {
        let (status, answer, _) = send(&f.state, azure(body, Some(basic("backlog-sync", AZ_PASSWORD)))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{name}: {answer}");
    }
    assert_eq!(f.state.metrics.webhook_count("azure-devops", "accepted"), all.len() as u64);
    // The same notification again is a redelivery, even when it comes with the secret header.
    let mut again = azure(&all[0].1, None);
    again.headers_mut().insert("x-backlog-sync-secret", AZ_PASSWORD.parse().unwrap());
    let (status, answer, _) = send(&f.state, again).await;
    assert_eq!((status, answer["status"].as_str()), (StatusCode::OK, Some("duplicate")), "{answer}");
}

#[tokio::test]
async fn bad_signatures_wrong_passwords_and_replays_enqueue_nothing() {
    let f = fixture(16, auth());
    let body = br#"{"action":"edited","issue":{"number":5},"repository":{"full_name":"Codertocat/Hello-World"}}"#;
    let wrong = sign_github_payload(b"not the secret", body);
    let work = br#"{"id":"n-1","eventType":"workitem.updated","resource":{"workItemId":5,"revision":{"id":5,"fields":{"System.TeamProject":"FabrikamCloud"}}}}"#;
    let refused: Vec<(&str, Request<Body>)> = vec![
        ("wrong signature", github("issues", "d-1", body, Some(wrong))),
        ("missing signature", github("issues", "d-2", body, None)),
        (
            "signature of another body",
            github("issues", "d-3", body, Some(sign_github_payload(GH_SECRET.as_bytes(), b"{}"))),
        ),
        ("wrong basic-auth password", azure(work, Some(basic("backlog-sync", "guess")))),
        ("wrong basic-auth user", azure(work, Some(basic("mallory", AZ_PASSWORD)))),
        ("no credentials", azure(work, None)),
    ];
    for (what, request) in refused {
        let (status, answer, _) = send(&f.state, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains("missing or wrong"), "{what}: {answer}");
    }
    assert_eq!(f.state.queue.depth(), 0, "nothing enqueued for refused deliveries");
    assert_eq!(f.state.metrics.webhook_count("github", "unauthorized"), 3);
    assert_eq!(f.state.metrics.webhook_count("azure-devops", "unauthorized"), 3);

    // A replayed delivery: the first is taken, the same id again is ignored.
    let (first, ..) = send(&f.state, signed("issues", "d-9", body)).await;
    let (again, answer, _) = send(&f.state, signed("issues", "d-9", body)).await;
    assert_eq!((first, again), (StatusCode::ACCEPTED, StatusCode::OK));
    assert_eq!(answer["status"], "duplicate");
    let (first, ..) = send(&f.state, azure(work, Some(basic("backlog-sync", AZ_PASSWORD)))).await;
    let (again, ..) = send(&f.state, azure(work, Some(basic("backlog-sync", AZ_PASSWORD)))).await;
    assert_eq!((first, again), (StatusCode::ACCEPTED, StatusCode::OK));
    assert_eq!(f.state.metrics.offer_count("queued"), 2, "one key per taken delivery, none for the replays");
    assert_eq!(
        f.state.metrics.webhook_count("github", "duplicate")
            + f.state.metrics.webhook_count("azure-devops", "duplicate"),
        2
    );
    assert_eq!(f.state.queue.depth(), 2);
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_and_takes_the_redelivery_later() {
    let f = fixture(3, auth());
    let body = |n: u32| {
        format!(
            r#"{{"action":"edited","issue":{{"number":{n}}},"repository":{{"full_name":"Codertocat/Hello-World"}}}}"#
        )
    };
    for n in 1..=3 {
        let (status, ..) = send(&f.state, signed("issues", &format!("d-{n}"), body(n).as_bytes())).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (status, _, coalesced) = send(&f.state, signed("issues", "d-1b", body(2).as_bytes())).await;
    assert_eq!((status, coalesced), (StatusCode::ACCEPTED, None), "a pending item still coalesces");
    let (status, answer, retry) = send(&f.state, signed("issues", "d-4", body(4).as_bytes())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(retry.as_deref(), Some("10"));
    assert_eq!(f.state.queue.depth(), 3, "the queue did not grow");
    // The worker takes the batch: it lists the refused key's target instead of its three items,
    // so the refused edit is caught by this run. GitHub's redelivery (same id) is then taken.
    let batch = f.state.queue.with_pending(|p, l| p.take_ready(l, Instant::now() + Duration::from_secs(3600)));
    let keys: Vec<WorkKey> = batch.map(|b| b.keys.into_iter().collect()).unwrap_or_default();
    assert_eq!(keys, vec![WorkKey::Target("github".into())]);
    let (status, ..) = send(&f.state, signed("issues", "d-4", body(4).as_bytes())).await;
    assert_eq!(status, StatusCode::ACCEPTED, "a refused delivery was not recorded as seen");
}

#[tokio::test]
async fn oversized_bodies_get_413_and_endpoints_without_a_secret_are_off() {
    let f = fixture(16, auth());
    let big = vec![b' '; 1024 * 1024 + 1];
    let (status, answer, _) = send(&f.state, signed("issues", "d-big", &big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let (status, ..) = send(&f.state, azure(&big, Some(basic("backlog-sync", AZ_PASSWORD)))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(f.state.queue.depth(), 0);

    let off = fixture(16, HookAuth::default());
    let body = br#"{"action":"edited","issue":{"number":5},"repository":{"full_name":"Codertocat/Hello-World"}}"#;
    let (status, answer, _) = send(&off.state, signed("issues", "d-1", body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(answer["error"].as_str().unwrap().contains("`[webhooks.github] secret_env`"), "{answer}");
    let (status, answer, _) = send(&off.state, azure(body, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(answer["error"].as_str().unwrap().contains("password_env"), "{answer}");
    assert_eq!(off.state.queue.depth(), 0);

    let insecure = fixture(16, HookAuth { insecure: true, ..HookAuth::default() });
    let (status, ..) = send(&insecure.state, github("issues", "d-1", body, None)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "--insecure-webhooks takes unsigned deliveries");
}

#[tokio::test]
async fn health_metrics_and_readiness_answer() {
    let f = fixture(16, auth());
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let (status, ..) = send(&f.state, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, ready, _) = send(&f.state, get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "targets without a token are not ready: {ready}");
    assert_eq!(ready["store"], "ok");
    assert!(ready["targets"]["github"].as_str().unwrap().contains("BACKLOG_SYNC_NO_SUCH_TOKEN"), "{ready}");
    f.state.close_store();
    let (_, ready, _) = send(&f.state, get("/readyz")).await;
    assert!(ready["store"].as_str().unwrap().contains("closed"), "{ready}");

    let response = router(f.state.clone()).oneshot(get("/metrics")).await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text =
        String::from_utf8(axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap();
    assert!(text.contains("# TYPE backlog_sync_queue_depth gauge") && text.ends_with("# EOF\n"), "{text}");
}

#[tokio::test]
async fn form_encoded_deliveries_are_taken_and_an_empty_delivery_id_is_refused() {
    let f = fixture(16, auth());
    let json = br#"{"zen": "Keep it logically awesome.", "hook_id": 1}"#;
    let mut form = b"payload=".to_vec();
    for b in json {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => form.push(*b),
            b' ' => form.push(b'+'),
            other => form.extend(format!("%{other:02X}").bytes()),
        }
    }
    let request = Request::post("/webhooks/github")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-github-event", "ping")
        .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
        .header("x-hub-signature-256", sign_github_payload(GH_SECRET.as_bytes(), &form))
        .body(Body::from(form.clone()))
        .unwrap();
    let (status, answer, _) = send(&f.state, request).await;
    assert_eq!(status, StatusCode::OK, "a form-encoded ping is read: {answer}");
    let (status, answer, _) = send(&f.state, signed("ping", " ", json)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an empty delivery id is no id: {answer}");
}

#[tokio::test]
async fn readyz_says_degraded_while_a_remote_refuses_an_item() {
    let f = fixture(16, auth());
    let get = || Request::get("/readyz").body(Body::empty()).unwrap();
    let (_, ready, _) = send(&f.state, get()).await;
    assert_eq!((ready["degraded"].as_bool(), ready["refused_items"].as_u64()), (Some(false), Some(0)), "{ready}");
    let refusal = backlog_sync::store::NewRefusal {
        target: "github",
        item_id: "ST-2",
        status: Some(422),
        message: "Validation Failed",
        hint: "shorten the tag",
        fingerprint: "x",
    };
    f.state.with_store(|s| s.record_refusal(&refusal, chrono::Utc::now())).unwrap();
    let (_, ready, _) = send(&f.state, get()).await;
    assert_eq!((ready["degraded"].as_bool(), ready["refused_items"].as_u64()), (Some(true), Some(1)), "{ready}");
}
