//! The webhook listener holds under abuse: with 1,100 idle connections and 300 stalled uploads held
//! against a real `serve`, it keeps answering `/healthz` and signed webhooks, its memory does not
//! grow by the stalled bodies, and connections beyond `[server] max_connections` are closed at
//! once rather than exhausting its descriptors. The dashboard is not on the webhook listener.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use backlog_twins::github::sign_github_payload;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::process::{NEVER, SECRET, Served, configure, tables};
use crate::common::sample_backlog;
use crate::support::github_env::GhEnv;

const IDLE: usize = 1100;
const STALLED: usize = 300;
/// Each stalled upload declares 1 MiB and sends this much of it, then stops.
const SENT: usize = 900 * 1024;

/// Raises this test process's open-file limit so it can hold the connections.
fn raise_own_open_files(wanted: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// The daemon's settings with extra `[server]` keys.
fn server_tables(extra: &str) -> String {
    tables(500, 1024, NEVER).replacen("\n[schedule]", &format!("{extra}\n[schedule]"), 1)
}

fn addr(daemon: &Served) -> String {
    daemon.url.trim_start_matches("http://").to_string()
}

/// Opens a POST that declares a 1 MiB body, sends `SENT` bytes of it and keeps the socket.
async fn stalled_upload(addr: String, path: &str, auth: &str) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(&addr).await.ok()?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-github-event: issues\r\nx-github-delivery: stalled\r\n{auth}\r\n",
        1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.ok()?;
    // A refused upload is closed by the daemon; the write then fails or blocks: either is fine.
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.write_all(&vec![b' '; SENT])).await;
    Some(stream)
}

/// A signed `ping` delivery; returns the status.
async fn signed_ping(daemon: &Served, delivery: &str) -> u16 {
    let body = br#"{"zen":"Keep it logically awesome.","hook_id":1}"#;
    reqwest::Client::new()
        .post(format!("{}/webhooks/github", daemon.url))
        .header("content-type", "application/json")
        .header("x-github-event", "ping")
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", sign_github_payload(SECRET.as_bytes(), body))
        .body(body.to_vec())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_keeps_answering_under_idle_connections_and_stalled_uploads() {
    raise_own_open_files(8192);
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    configure(&env, &server_tables("max_connections = 2000\nheader_timeout_ms = 600000\nbody_timeout_ms = 600000\n"));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(60)).await;
    let before_kib = daemon.memory_kib("VmHWM");

    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(addr(&daemon)).await.expect("the daemon accepts an idle connection"));
    }
    // Forged but well-formed signatures (read, within `max_uploads`), missing ones and Azure's
    // missing basic auth (refused before a byte of the body is read).
    let forged = format!("x-hub-signature-256: sha256={}\r\n", "0".repeat(64));
    let held = Arc::new(Mutex::new(Vec::new()));
    let mut uploads = Vec::new();
    for i in 0..STALLED {
        let (path, auth) = match i % 3 {
            0 => ("/webhooks/github", forged.clone()),
            1 => ("/webhooks/github", String::new()),
            _ => ("/webhooks/azure-devops", String::new()),
        };
        let (addr, held) = (addr(&daemon), held.clone());
        uploads.push(tokio::spawn(async move {
            if let Some(s) = stalled_upload(addr, path, &auth).await {
                held.lock().unwrap().push(s);
            }
        }));
    }
    for u in uploads {
        u.await.unwrap();
    }

    let health = daemon.get("/healthz").await;
    assert_eq!(health.status(), 200, "/healthz answers while {IDLE} idle connections and {STALLED} uploads are held");
    assert_eq!(signed_ping(&daemon, "ping-under-load").await, 200, "a signed webhook is answered");
    let after_kib = daemon.memory_kib("VmHWM");
    let grown_mib = after_kib.saturating_sub(before_kib) / 1024;
    eprintln!(
        "figure: peak memory grew by {grown_mib} MiB with {STALLED} stalled uploads of {} KiB held (unbounded: ~{} MiB)",
        SENT / 1024,
        STALLED * SENT / (1024 * 1024)
    );
    // At most `max_uploads` (64) forged bodies are read; the others are refused from the headers.
    assert!(grown_mib < 150, "the stalled uploads pinned {grown_mib} MiB");
    let text = daemon.metrics().await;
    assert!(text.contains("outcome=\"unauthorized\""), "uploads refused from their headers:\n{text}");
    drop((idle, held));
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_max_connections_are_closed_and_serve_keeps_answering() {
    raise_own_open_files(4096);
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    configure(&env, &server_tables("max_connections = 100\nheader_timeout_ms = 1000\n"));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(60)).await;

    let mut idle = Vec::new();
    for _ in 0..1100 {
        idle.push(TcpStream::connect(addr(&daemon)).await.expect("the kernel accepts the connection"));
    }
    // The ones beyond the limit are closed by the daemon without a word: reading gives EOF.
    let mut closed = 0;
    for stream in idle.iter_mut().rev().take(200) {
        let mut buf = [0u8; 16];
        if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await {
            closed += 1;
        }
    }
    assert!(closed > 0, "connections beyond `max_connections` are closed");
    // The held ones are closed after `header_timeout_ms`; then the daemon answers again.
    let mut status = 0;
    for attempt in 0..600 {
        status = signed_ping(&daemon, &format!("ping-{attempt}")).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "a signed webhook is answered once idle connections time out");
    assert_eq!(daemon.get("/healthz").await.status(), 200);
    drop(idle);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_is_not_served_on_the_webhook_listener() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    configure(&env, &tables(500, 1024, NEVER));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    let on_hooks = daemon.get("/").await;
    assert_eq!(on_hooks.status(), 404);
    let text = on_hooks.text().await.unwrap();
    assert!(text.contains("dashboard_listen"), "says where the dashboard is: {text}");
    assert!(!text.contains("<html"), "{text}");
    let page = daemon.get_dashboard("/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("backlog-sync"));
    assert_ne!(daemon.url, daemon.dashboard, "a listener of its own");
    // The probes stay where the HEALTHCHECK and Prometheus look: the webhook listener.
    assert_eq!(daemon.get("/healthz").await.status(), 200);
    assert_eq!(daemon.get("/metrics").await.status(), 200);
}
