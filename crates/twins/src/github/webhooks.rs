//! GitHub webhook deliveries from the twin: payloads for `issues`, `issue_comment`, `label` and
//! `sub_issues` events, GitHub's delivery headers, and the `X-Hub-Signature-256` HMAC.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::GithubState;
use super::render::{Render, webhook_issue};
use super::store::{Issue, Repo};
use crate::control::OutgoingWebhook;

/// `sha256=` + hex HMAC-SHA256 of the raw body keyed with the webhook secret, as GitHub signs
/// deliveries in `X-Hub-Signature-256`.
pub fn sign_github_payload(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("hmac takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A webhook to send once the store lock is released: event name, repository id, payload.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: &'static str,
    pub repo_id: u64,
    pub payload: Value,
}

/// Builds event payloads with the common keys (`repository`, `sender`).
pub struct Events<'a> {
    pub render: Render<'a>,
    pub sender: &'a str,
}

impl Events<'_> {
    fn event(&self, name: &'static str, repo: &Repo, action: &str, body: Map<String, Value>) -> Event {
        let mut payload = Map::new();
        payload.insert("action".into(), json!(action));
        payload.extend(body);
        payload.insert("repository".into(), self.render.repository(repo));
        payload.insert("sender".into(), self.render.user(self.sender));
        Event { name, repo_id: repo.id, payload: Value::Object(payload) }
    }

    /// An `issues` event; `extra` adds `changes`, `label`, `assignee` or `milestone`.
    pub fn issue(&self, repo: &Repo, issue: &Issue, action: &str, extra: Value) -> Event {
        let mut body = Map::new();
        body.insert("issue".into(), webhook_issue(&self.render.issue(repo, issue)));
        if let Value::Object(extra) = extra {
            body.extend(extra);
        }
        self.event("issues", repo, action, body)
    }

    /// An `issue_comment` event; `changes` only for `edited`.
    pub fn comment(&self, repo: &Repo, issue: &Issue, comment: &Value, action: &str, changes: Option<Value>) -> Event {
        let mut body = Map::new();
        body.insert("issue".into(), webhook_issue(&self.render.issue(repo, issue)));
        body.insert("comment".into(), comment.clone());
        if let Some(changes) = changes {
            body.insert("changes".into(), changes);
        }
        self.event("issue_comment", repo, action, body)
    }

    /// A `milestone` event (`created`, `edited` with `changes`, `closed`, `opened`, `deleted`).
    pub fn milestone(&self, repo: &Repo, milestone: &Value, action: &str, changes: Option<Value>) -> Event {
        let mut body = Map::new();
        body.insert("milestone".into(), milestone.clone());
        if let Some(changes) = changes {
            body.insert("changes".into(), changes);
        }
        self.event("milestone", repo, action, body)
    }

    /// A `label` event; `changes` only for `edited`.
    pub fn label(&self, repo: &Repo, label: &Value, action: &str, changes: Option<Value>) -> Event {
        let mut body = Map::new();
        body.insert("label".into(), label.clone());
        if let Some(changes) = changes {
            body.insert("changes".into(), changes);
        }
        self.event("label", repo, action, body)
    }

    /// The pair of `sub_issues` events for a link made (`added`) or undone: `sub_issue_added` /
    /// `sub_issue_removed` on the parent's repository and `parent_issue_added` /
    /// `parent_issue_removed` on the sub-issue's.
    pub fn sub_issue(&self, parent: (&Repo, &Issue), sub: (&Repo, &Issue), added: bool) -> [Event; 2] {
        let verb = if added { "added" } else { "removed" };
        let parent_json = self.render.issue(parent.0, parent.1);
        let sub_json = self.render.issue(sub.0, sub.1);
        let mut on_parent = Map::new();
        on_parent.insert("sub_issue_id".into(), json!(sub.1.id));
        on_parent.insert("sub_issue".into(), sub_json.clone());
        on_parent.insert("sub_issue_repo".into(), self.render.repository(sub.0));
        on_parent.insert("parent_issue_id".into(), json!(parent.1.id));
        on_parent.insert("parent_issue".into(), parent_json.clone());
        let mut on_sub = Map::new();
        on_sub.insert("parent_issue_id".into(), json!(parent.1.id));
        on_sub.insert("parent_issue".into(), parent_json);
        on_sub.insert("parent_issue_repo".into(), self.render.repository(parent.0));
        on_sub.insert("sub_issue_id".into(), json!(sub.1.id));
        on_sub.insert("sub_issue".into(), sub_json);
        [
            self.event("sub_issues", parent.0, &format!("sub_issue_{verb}"), on_parent),
            self.event("sub_issues", sub.0, &format!("parent_issue_{verb}"), on_sub),
        ]
    }
}

/// Sends events to the configured target (if any), signed, in order, without waiting.
pub fn deliver(state: &GithubState, events: Vec<Event>) {
    let Some(target) = state.control.webhooks().target() else {
        return;
    };
    for event in events {
        let body = serde_json::to_vec(&event.payload).unwrap_or_default();
        let headers = vec![
            ("user-agent".into(), format!("GitHub-Hookshot/{}", state.hookshot)),
            ("x-github-event".into(), event.name.to_string()),
            ("x-github-delivery".into(), uuid::Uuid::new_v4().to_string()),
            ("x-github-hook-id".into(), state.hook_id.to_string()),
            ("x-github-hook-installation-target-id".into(), event.repo_id.to_string()),
            ("x-github-hook-installation-target-type".into(), "repository".into()),
            ("x-hub-signature-256".into(), sign_github_payload(target.secret.as_bytes(), &body)),
        ];
        state.control.webhooks().send(&target.url, OutgoingWebhook { event: event.name.to_string(), headers, body });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_githubs_documented_test_vector() {
        assert_eq!(
            sign_github_payload(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }
}
