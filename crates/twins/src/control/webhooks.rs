//! Webhook delivery for twins: where to post (`POST /_twin/webhooks`), an ordered background sender
//! with a bounded retry that never blocks the API response, and a log of deliveries for tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Attempts per delivery (first try + retries) on a connection error or a 5xx answer.
pub const DELIVERY_ATTEMPTS: u32 = 3;

/// Where a twin posts its webhooks, as posted to `POST /_twin/webhooks`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTarget {
    /// The receiver's URL.
    pub url: String,
    /// The shared secret (GitHub: HMAC key; Azure: the basic-auth password or header value).
    #[serde(default)]
    pub secret: String,
    /// Basic-auth user name (Azure DevOps service hooks); `{url, username, password}` is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Basic-auth password (Azure DevOps service hooks); takes precedence over `secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl std::fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// One webhook a twin wants sent: the event name (for the log), headers and the exact body bytes.
#[derive(Debug, Clone)]
pub struct OutgoingWebhook {
    /// Event name, e.g. `issues` or `workitem.updated`.
    pub event: String,
    /// Headers besides `content-type: application/json`, which is always sent.
    pub headers: Vec<(String, String)>,
    /// The raw body (signatures are computed over these bytes).
    pub body: Vec<u8>,
}

/// The record of one delivery, kept in order of sending.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// Event name.
    pub event: String,
    /// Where it was posted.
    pub url: String,
    /// Headers sent (besides content-type).
    pub headers: Vec<(String, String)>,
    /// The body as JSON (or a string when it is not JSON).
    pub payload: serde_json::Value,
    /// Attempts made.
    pub attempts: u32,
    /// The receiver's final status, if it answered.
    pub status: Option<u16>,
    /// The last connection error, if it never answered.
    pub error: Option<String>,
}

/// The webhook side of a twin's [`Control`](super::Control).
#[derive(Debug, Default)]
pub struct Webhooks {
    target: Mutex<Option<WebhookTarget>>,
    log: Arc<Mutex<Vec<Delivery>>>,
    queue: Mutex<Option<mpsc::UnboundedSender<(String, OutgoingWebhook)>>>,
    pending: Arc<AtomicUsize>,
}

impl Webhooks {
    /// The configured target, if any.
    pub fn target(&self) -> Option<WebhookTarget> {
        self.target.lock().expect("webhook target lock").clone()
    }

    /// Sets (or with `None` clears) the target.
    pub fn set_target(&self, target: Option<WebhookTarget>) {
        *self.target.lock().expect("webhook target lock") = target;
    }

    /// Queues a delivery to `url`. Returns at once; deliveries are sent one at a time in the order
    /// queued, each retried up to [`DELIVERY_ATTEMPTS`] times. Must be called inside a tokio
    /// runtime (any request handler is).
    pub fn send(&self, url: &str, webhook: OutgoingWebhook) {
        let mut queue = self.queue.lock().expect("webhook queue lock");
        let sender = queue.get_or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(deliver_all(rx, self.log.clone(), self.pending.clone()));
            tx
        });
        self.pending.fetch_add(1, Ordering::SeqCst);
        if sender.send((url.to_string(), webhook)).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Every delivery finished so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.log.lock().expect("webhook log lock").clone()
    }

    /// Waits until every queued delivery has finished (or `timeout` passes); true when idle.
    pub async fn settle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.pending.load(Ordering::SeqCst) > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Forgets the delivery log (the target stays).
    pub fn clear_log(&self) {
        self.log.lock().expect("webhook log lock").clear();
    }
}

async fn deliver_all(
    mut rx: mpsc::UnboundedReceiver<(String, OutgoingWebhook)>,
    log: Arc<Mutex<Vec<Delivery>>>,
    pending: Arc<AtomicUsize>,
) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
    while let Some((url, webhook)) = rx.recv().await {
        let delivery = deliver(&client, url, webhook).await;
        log.lock().expect("webhook log lock").push(delivery);
        pending.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn deliver(client: &reqwest::Client, url: String, webhook: OutgoingWebhook) -> Delivery {
    let mut delivery = Delivery {
        event: webhook.event.clone(),
        url: url.clone(),
        headers: webhook.headers.clone(),
        payload: serde_json::from_slice(&webhook.body)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&webhook.body).into_owned())),
        attempts: 0,
        status: None,
        error: None,
    };
    for attempt in 1..=DELIVERY_ATTEMPTS {
        delivery.attempts = attempt;
        let mut request = client.post(&url).header("content-type", "application/json").body(webhook.body.clone());
        for (name, value) in &webhook.headers {
            request = request.header(name, value);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                delivery.status = Some(status.as_u16());
                delivery.error = None;
                if !status.is_server_error() {
                    break;
                }
            }
            Err(error) => delivery.error = Some(error.to_string()),
        }
        if attempt < DELIVERY_ATTEMPTS {
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
        }
    }
    if delivery.status.is_none_or(|s| s >= 300) {
        tracing::warn!(event = %delivery.event, url = %delivery.url, status = ?delivery.status,
            error = ?delivery.error, "twin webhook delivery failed");
    }
    delivery
}
