//! Posting summaries to Microsoft Teams and Slack incoming webhooks, played by a local axum
//! receiver on 127.0.0.1 that records every request it reads — and can drop the first one after
//! reading it, or answer it with 503.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use backlog_sync::config::Settings;
use backlog_sync::summary::post::{PostOptions, PostOutcome, post_with};
use backlog_twins::server::{ConnectionKill, TwinServer};
use serde_json::Value;

use crate::common::{copy_tree, sample_backlog};
use crate::summary_post::{only, quick, stakeholders, week};

/// What the receiver does with the first request.
#[derive(Clone, Copy, PartialEq)]
enum First {
    Answer,
    /// Read it, then close the connection without an answer.
    Drop,
    /// Answer 503 (nothing posted).
    Unavailable,
}

struct Receiver {
    first: First,
    /// Every body read, and whether it was accepted (answered 2xx).
    seen: Mutex<Vec<(Value, bool)>>,
}

async fn receive(
    State(r): State<Arc<Receiver>>,
    axum::Extension(kill): axum::Extension<ConnectionKill>,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let json: Value = serde_json::from_slice(&body).expect("the webhook gets JSON");
    let n = {
        let mut seen = r.seen.lock().unwrap();
        let accepted = !(seen.is_empty() && r.first != First::Answer);
        seen.push((json, accepted));
        seen.len()
    };
    match (n, r.first) {
        (1, First::Drop) => {
            // Teams or Slack took the message, but the answer never reaches the client.
            kill.kill();
            std::future::pending::<()>().await;
            unreachable!()
        }
        (1, First::Unavailable) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        _ => (StatusCode::OK, "ok"),
    }
}

async fn receiver(first: First) -> (TwinServer, Arc<Receiver>) {
    let state = Arc::new(Receiver { first, seen: Mutex::new(Vec::new()) });
    let router = Router::new().route("/hook", post(receive)).with_state(state.clone());
    (TwinServer::serve(router, 0).await.unwrap(), state)
}

/// A backlog whose team hears through `channel`, and settings whose webhook URL file points at `url`.
fn world(channel: &str, url: &str) -> (tempfile::TempDir, Settings) {
    let (tmp, dir) = copy_tree(&sample_backlog());
    stakeholders(&dir, &[("team", channel, "weekly")]);
    std::fs::write(tmp.path().join("hook-url"), format!("{url}\n")).unwrap();
    let config = tmp.path().join("settings.toml");
    std::fs::write(
        &config,
        format!("[backlog]\npath = {dir:?}\n\n[summary.channels.{channel}]\nwebhook_url_file = \"hook-url\"\n"),
    )
    .unwrap();
    let settings = Settings::load(Some(&config)).unwrap();
    (tmp, settings)
}

#[tokio::test]
async fn a_dropped_webhook_answer_is_not_sent_again() {
    for channel in ["teams", "slack"] {
        let (server, r) = receiver(First::Drop).await;
        let (_tmp, settings) = world(channel, &format!("{}/hook", server.base_url()));
        let first = only(post_with(&settings, week(0), &quick(4)).await.unwrap());
        assert_eq!(first.outcome, PostOutcome::Unconfirmed, "{channel}: {first:?}");
        assert!(first.note.as_deref().unwrap().contains("not sent again"), "{first:?}");
        assert!(!first.note.as_deref().unwrap().contains("/hook"), "the secret URL stays out of messages");
        let retry = only(post_with(&settings, week(0), &quick(4)).await.unwrap());
        assert_eq!(retry.outcome, PostOutcome::Unconfirmed, "a later run does not resend either");
        assert_eq!(r.seen.lock().unwrap().len(), 1, "{channel}: exactly one post arrived");
        let resend = PostOptions { resend_unconfirmed: true, ..quick(4) };
        let again = only(post_with(&settings, week(0), &resend).await.unwrap());
        assert_eq!(again.outcome, PostOutcome::Posted, "a person who checked asks for it again");
        assert_eq!(r.seen.lock().unwrap().len(), 2);
        let done = only(post_with(&settings, week(0), &resend).await.unwrap());
        assert_eq!(done.outcome, PostOutcome::AlreadyPosted, "and once it is confirmed, never again");
        let next = only(post_with(&settings, week(1), &quick(4)).await.unwrap());
        assert_eq!(next.outcome, PostOutcome::Posted, "the next period posts as usual");
        assert_eq!(r.seen.lock().unwrap().len(), 3);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_refused_webhook_call_is_retried_until_it_is_taken() {
    for channel in ["teams", "slack"] {
        let (server, r) = receiver(First::Unavailable).await;
        let (_tmp, settings) = world(channel, &format!("{}/hook", server.base_url()));
        let posted = only(post_with(&settings, week(0), &quick(4)).await.unwrap());
        assert_eq!(posted.outcome, PostOutcome::Posted, "{channel}: {posted:?}");
        let seen = r.seen.lock().unwrap().clone();
        let accepted: Vec<bool> = seen.iter().map(|(_, ok)| *ok).collect();
        assert_eq!(accepted, [false, true], "{channel}: refused once, then taken once");
        assert_eq!(seen[0].0, seen[1].0, "the retry sends the same message");
        let body = &seen[1].0;
        match channel {
            "teams" => {
                let card = &body["attachments"][0];
                assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
                assert_eq!(card["content"]["type"], "AdaptiveCard");
                let text = card["content"].to_string();
                assert!(text.contains("Contoso Onboarding Revamp — team summary, 2026-W45"), "{text}");
                assert!(text.contains("RK-2 (9)") && text.contains("review RK-5"), "{text}");
            }
            _ => {
                assert_eq!(body["blocks"][0]["type"], "header");
                let text = body.to_string();
                assert!(text.contains("*Top 3 risks*") && text.contains("*RK-2* Mail providers"), "{text}");
            }
        }
        assert_eq!(only(post_with(&settings, week(0), &quick(4)).await.unwrap()).outcome, PostOutcome::AlreadyPosted);
        assert_eq!(r.seen.lock().unwrap().len(), 2);
        server.shutdown().await;
    }
}
