//! The Slack channel: an incoming webhook that takes Block Kit blocks with `mrkdwn` text (and a
//! plain `text` fallback for notifications). Like Teams, it cannot be searched for an earlier post.

use serde_json::{Value, json};

use super::teams::webhook_url;
use super::{Delivery, Message, send};
use crate::config::{Secret, WebhookChannel};
use crate::connector::RemoteError;
use crate::summary::model::Summary;
use crate::summary::svg::num;

const NAME: &str = "slack";
/// Slack's limits: header text 150 characters, section text 3000, ten fields per section.
const HEADER_MAX: usize = 150;
const SECTION_MAX: usize = 3000;
const FIELDS_MAX: usize = 10;

pub struct SlackChannel {
    http: reqwest::Client,
    url: Secret,
}

impl std::fmt::Debug for SlackChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackChannel").field("url", &self.url).finish()
    }
}

impl SlackChannel {
    pub fn new(c: &WebhookChannel) -> Result<SlackChannel, String> {
        Ok(SlackChannel { http: super::http_client(), url: webhook_url(c, "slack")? })
    }

    pub async fn deliver(&self, msg: &Message<'_>) -> Result<Delivery, RemoteError> {
        let request = self.http.post(self.url.expose()).json(&blocks_message(msg.summary));
        send(NAME, "post the summary message", request).await?;
        Ok(Delivery::Created(None))
    }
}

/// Escapes the three characters Slack's mrkdwn reserves.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn clip(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…")
}

fn section(text: String) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": clip(text, SECTION_MAX) } })
}

fn bullets(lines: impl IntoIterator<Item = String>) -> String {
    lines.into_iter().map(|l| format!("• {l}")).collect::<Vec<_>>().join("\n")
}

/// The Slack message: header, headline, epics as fields, top risks, decisions; the `team`
/// audience (anything but `executive`) also gets changes, drift and sync health.
pub fn blocks_message(s: &Summary) -> Value {
    let p = &s.progress;
    let title = format!("{} — {} summary, {}", s.project, s.audience, s.period);
    let headline = format!(
        "{}% done: {} of {} points, {} of {} stories. {} decisions needed.",
        p.percent,
        num(p.points_done),
        num(p.points_total),
        p.stories_done,
        p.stories_total,
        s.decisions.len()
    );
    let fields: Vec<Value> = s
        .epics
        .iter()
        .take(FIELDS_MAX)
        .map(|e| {
            let q = &e.progress;
            let text = format!(
                "*{}* {}\n{}% · {} of {} points",
                e.id,
                escape(&e.title),
                q.percent,
                num(q.points_done),
                num(q.points_total)
            );
            json!({ "type": "mrkdwn", "text": text })
        })
        .collect();
    let mut blocks = vec![
        json!({ "type": "header", "text": { "type": "plain_text", "text": clip(title.clone(), HEADER_MAX) } }),
        section(format!("*{}*", escape(&headline))),
    ];
    if !fields.is_empty() {
        blocks.push(json!({ "type": "section", "fields": fields }));
    }
    blocks.push(json!({ "type": "divider" }));
    let risks = bullets(s.top_risks.iter().map(|r| {
        format!(
            "*{}* {} (exposure {}) — {}",
            r.id,
            escape(&r.title),
            r.exposure.unwrap_or(0),
            escape(r.mitigation.as_deref().unwrap_or("no mitigation"))
        )
    }));
    blocks.push(section(format!(
        "*Top {} risks*\n{}",
        s.top_risks.len(),
        if risks.is_empty() { "none".into() } else { risks }
    )));
    let decisions = if s.decisions.is_empty() {
        "Nothing needs a decision.".to_string()
    } else {
        bullets(s.decisions.iter().map(|d| escape(&d.text)))
    };
    blocks.push(section(format!("*Decisions needed*\n{decisions}")));
    if s.audience != "executive" {
        let c = &s.changes;
        blocks.push(section(format!(
            "*Since {}*\n{} new, {} done, {} moved, {} removed. Drift: {} errors, {} warnings.",
            escape(&c.since),
            c.new.len(),
            c.done.len(),
            c.moved.len(),
            c.removed.len(),
            s.drift.errors,
            s.drift.warnings
        )));
        if !s.sync.is_empty() {
            blocks.push(section(format!(
                "*Sync health*\n{}",
                bullets(s.sync.iter().map(|t| format!(
                    "{}: {} (last success {}, {} open conflicts)",
                    escape(&t.target),
                    t.status,
                    t.last_success.as_deref().unwrap_or("never"),
                    t.open_conflicts
                )))
            )));
        }
    }
    blocks.push(json!({ "type": "context", "elements": [
        { "type": "mrkdwn", "text": format!("Generated {} by backlog-sync", s.generated_at) }
    ] }));
    json!({ "text": format!("{title}: {headline}"), "blocks": blocks })
}
