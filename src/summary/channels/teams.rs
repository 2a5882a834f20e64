//! The Microsoft Teams channel: an incoming webhook (or a Workflows "post to a channel" URL) that
//! takes a message with one Adaptive Card. A webhook cannot be searched for an earlier post, so a
//! delivery whose answer was lost is not sent again (see `post.rs`).

use serde_json::{Value, json};

use super::{Delivery, Message, send};
use crate::config::{Secret, WebhookChannel};
use crate::connector::RemoteError;
use crate::summary::model::Summary;
use crate::summary::svg::num;

const NAME: &str = "teams";

pub struct TeamsChannel {
    http: reqwest::Client,
    url: Secret,
}

impl std::fmt::Debug for TeamsChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamsChannel").field("url", &self.url).finish()
    }
}

/// Reads a webhook URL (a secret) from the variable or file the settings name.
pub(super) fn webhook_url(c: &WebhookChannel, key: &str) -> Result<Secret, String> {
    match (&c.webhook_url_file, &c.webhook_url_env) {
        (Some(file), _) => Secret::from_file(file),
        (None, Some(var)) => Secret::from_env(var),
        (None, None) => Err(format!(
            "set `[summary.channels.{key}] webhook_url_env` (or `webhook_url_file`) to where the webhook URL is kept"
        )),
    }
}

impl TeamsChannel {
    pub fn new(c: &WebhookChannel) -> Result<TeamsChannel, String> {
        Ok(TeamsChannel { http: super::http_client(), url: webhook_url(c, "teams")? })
    }

    pub async fn deliver(&self, msg: &Message<'_>) -> Result<Delivery, RemoteError> {
        let request = self.http.post(self.url.expose()).json(&card_message(msg.summary));
        send(NAME, "post the summary card", request).await?;
        Ok(Delivery::Created(None))
    }
}

fn text(text: impl Into<String>) -> Value {
    json!({ "type": "TextBlock", "text": text.into(), "wrap": true })
}

fn heading(text: &str) -> Value {
    json!({ "type": "TextBlock", "text": text, "weight": "Bolder", "size": "Medium", "spacing": "Medium", "wrap": true })
}

fn facts(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    let facts: Vec<Value> = pairs.into_iter().map(|(t, v)| json!({ "title": t, "value": v })).collect();
    json!({ "type": "FactSet", "facts": facts })
}

fn bullets(lines: impl IntoIterator<Item = String>) -> String {
    lines.into_iter().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\n")
}

/// The Teams message: one Adaptive Card (schema 1.4) with progress, top risks and decisions;
/// the `team` audience (anything but `executive`) also gets changes, drift and sync health.
pub fn card_message(s: &Summary) -> Value {
    let p = &s.progress;
    let mut body = vec![
        json!({ "type": "TextBlock", "text": format!("{} — {} summary, {}", s.project, s.audience, s.period),
                "weight": "Bolder", "size": "Large", "wrap": true }),
        text(format!(
            "**{}% done**: {} of {} points, {} of {} stories. **{} decisions needed.**",
            p.percent,
            num(p.points_done),
            num(p.points_total),
            p.stories_done,
            p.stories_total,
            s.decisions.len()
        )),
        heading("Progress"),
        facts(s.epics.iter().map(|e| {
            let q = &e.progress;
            (
                format!("{} {}", e.id, e.title),
                format!("{}% · {} of {} points · {}", q.percent, num(q.points_done), num(q.points_total), e.state),
            )
        })),
    ];
    if !s.milestones.is_empty() {
        body.push(facts(s.milestones.iter().map(|m| {
            let due = m.due.map(|d| format!("due {d} · ")).unwrap_or_default();
            (m.name.clone(), format!("{due}{} of {} epics done · {}", m.epics_done, m.epics_total, m.status))
        })));
    }
    body.push(heading(&format!("Top {} risks", s.top_risks.len())));
    body.push(facts(s.top_risks.iter().map(|r| {
        (
            format!("{} ({})", r.id, r.exposure.unwrap_or(0)),
            format!("{} — {}", r.title, r.mitigation.as_deref().unwrap_or("no mitigation")),
        )
    })));
    body.push(heading("Decisions needed"));
    body.push(text(if s.decisions.is_empty() {
        "Nothing needs a decision.".to_string()
    } else {
        bullets(s.decisions.iter().map(|d| d.text.clone()))
    }));
    if s.audience != "executive" {
        let c = &s.changes;
        body.push(heading(&format!("Since {}", c.since)));
        body.push(text(format!(
            "{} new, {} done, {} moved, {} removed. Drift: {} errors, {} warnings.",
            c.new.len(),
            c.done.len(),
            c.moved.len(),
            c.removed.len(),
            s.drift.errors,
            s.drift.warnings
        )));
        if !s.sync.is_empty() {
            body.push(facts(s.sync.iter().map(|t| {
                let last = t.last_success.clone().unwrap_or_else(|| "never".into());
                (t.target.clone(), format!("{} · last success {last} · {} open conflicts", t.status, t.open_conflicts))
            })));
        }
    }
    body.push(json!({ "type": "TextBlock", "text": format!("Generated {} by backlog-sync", s.generated_at),
                      "isSubtle": true, "size": "Small", "wrap": true }));
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "msteams": { "width": "Full" },
                "body": body,
            }
        }]
    })
}
