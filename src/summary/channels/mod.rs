//! Where summaries go: a GitHub issue comment, an Azure DevOps wiki page, a Teams or Slack
//! incoming webhook, or a file. Each channel delivers one [`Message`]; those that can look for
//! their own earlier post (GitHub, the wiki, a file) do so first, so a retry never posts twice.

pub mod file;
pub mod slack;
pub mod teams;

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::model::Summary;
use super::render::Format;
use crate::auth::TokenSource;
use crate::config::{Settings, TargetKind};
use crate::connector::{ErrorKind, RemoteError};
use crate::trackers::azure_boards::wiki::WikiChannel;
use crate::trackers::github::summary::GithubChannel;

/// A summary on its way to a channel.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub summary: &'a Summary,
    /// The summary rendered in the channel's [`Channel::format`] (empty for webhooks).
    pub text: String,
}

impl Message<'_> {
    /// The hidden marker that lets a channel find its own post: audience, period and a digest of
    /// the text, e.g. `<!-- backlog-sync-summary: audience=team period=2026-W45 digest=1a2b… -->`.
    pub fn marker(&self) -> String {
        format!(
            "<!-- {MARKER} audience={} period={} digest={} -->",
            self.summary.audience,
            self.summary.period,
            digest(&self.text)
        )
    }

    /// The text with its marker on the last line.
    pub fn text_with_marker(&self) -> String {
        format!("{}\n\n{}\n", self.text.trim_end(), self.marker())
    }
}

/// The word that starts every summary marker.
pub const MARKER: &str = "backlog-sync-summary:";

/// The first 16 hex digits of the SHA-256 of `text` (line endings normalised).
pub fn digest(text: &str) -> String {
    let normal = text.replace("\r\n", "\n");
    hex::encode(Sha256::digest(normal.trim_end().as_bytes()))[..16].to_string()
}

/// A marker found in a posted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMarker {
    pub audience: String,
    pub period: String,
    pub digest: String,
}

/// Reads the summary marker out of a posted text, if it has one.
pub fn find_marker(text: &str) -> Option<FoundMarker> {
    let start = text.find(&format!("<!-- {MARKER}"))?;
    let rest = &text[start + 5 + MARKER.len()..];
    let inner = &rest[..rest.find("-->")?];
    let field = |name: &str| {
        inner
            .split_whitespace()
            .find_map(|w| w.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .map(str::to_string)
    };
    Some(FoundMarker { audience: field("audience")?, period: field("period")?, digest: field("digest")? })
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A new post, with its reference (URL, id or path) when the channel gives one.
    Created(Option<String>),
    /// An earlier post edited in place.
    Edited(Option<String>),
    /// The post was already there, as it is (e.g. a retry after the answer was lost).
    Unchanged(Option<String>),
}

impl Delivery {
    pub fn remote_ref(&self) -> Option<&str> {
        match self {
            Delivery::Created(r) | Delivery::Edited(r) | Delivery::Unchanged(r) => r.as_deref(),
        }
    }
}

/// One configured channel.
#[derive(Debug)]
pub enum Channel {
    Github(GithubChannel),
    AzureWiki(WikiChannel),
    Teams(teams::TeamsChannel),
    Slack(slack::SlackChannel),
    File(file::FileChannel),
}

/// The channel words a stakeholder can name in `stakeholders.toml`.
pub const CHANNELS: [&str; 5] = ["github-comment", "azure-wiki", "teams", "slack", "file"];

impl Channel {
    /// The channel a stakeholder names, from the settings; `Err` says what to configure.
    pub fn from_settings(name: &str, settings: &Settings) -> Result<Channel, String> {
        let c = &settings.summary.channels;
        match name {
            "github-comment" => GithubChannel::new(&c.github, settings).map(Channel::Github),
            "azure-wiki" => WikiChannel::new(&c.azure_wiki, settings).map(Channel::AzureWiki),
            "teams" => teams::TeamsChannel::new(&c.teams).map(Channel::Teams),
            "slack" => slack::SlackChannel::new(&c.slack).map(Channel::Slack),
            "file" => file::FileChannel::new(&c.file, settings).map(Channel::File),
            other => {
                Err(format!("channel `{other}` is unknown; use one of {} in stakeholders.toml", CHANNELS.join(", ")))
            }
        }
    }

    /// The channel word, as stored with each post.
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Github(_) => "github-comment",
            Channel::AzureWiki(_) => "azure-wiki",
            Channel::Teams(_) => "teams",
            Channel::Slack(_) => "slack",
            Channel::File(_) => "file",
        }
    }

    /// The format the channel posts, when it posts a rendered template.
    pub fn format(&self) -> Option<Format> {
        match self {
            Channel::Github(_) | Channel::AzureWiki(_) => Some(Format::Markdown),
            Channel::File(f) => Some(f.format),
            Channel::Teams(_) | Channel::Slack(_) => None,
        }
    }

    /// Whether the channel can look for its own earlier post, so a retry after an unknown
    /// outcome is safe. Incoming webhooks cannot: after a lost answer they are not sent again.
    pub fn can_look_up(&self) -> bool {
        !matches!(self, Channel::Teams(_) | Channel::Slack(_))
    }

    /// Delivers `msg` once (looking for an earlier post first where the channel can).
    pub async fn deliver(&self, msg: &Message<'_>) -> Result<Delivery, RemoteError> {
        match self {
            Channel::Github(c) => c.deliver(msg).await,
            Channel::AzureWiki(c) => c.deliver(msg).await,
            Channel::Teams(c) => c.deliver(msg).await,
            Channel::Slack(c) => c.deliver(msg).await,
            Channel::File(c) => c.deliver(msg),
        }
    }
}

/// Finds `[[targets]]` entry `name` of `kind` and where its credential comes from.
pub(crate) fn target_of<'a>(
    settings: &'a Settings,
    name: Option<&str>,
    kind: TargetKind,
    key: &str,
) -> Result<(&'a crate::config::TargetSettings, TokenSource), String> {
    let name = name.ok_or_else(|| format!("set `[summary.channels.{key}] target` to the name of a target"))?;
    let target = settings.targets.iter().find(|t| t.name == name && t.kind() == kind).ok_or_else(|| {
        format!("`[summary.channels.{key}] target` names `{name}`, which is not a target of that kind")
    })?;
    let source = TokenSource::from_settings(target).map_err(|e| e.to_string())?;
    Ok((target, source))
}

/// An HTTP client for channels: bounded time per request, no proxy surprises in tests.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("backlog-sync/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("an HTTP client builds")
}

/// A transport error as a [`RemoteError`]: not connected means nothing was sent (transient);
/// anything after that leaves the outcome unknown.
pub fn send_error(channel: &str, operation: &str, e: &reqwest::Error) -> RemoteError {
    let kind = if e.is_connect() { ErrorKind::Transient } else { ErrorKind::UnknownOutcome };
    RemoteError {
        target: channel.to_string(),
        operation: operation.to_string(),
        kind,
        status: None,
        message: without_url(e),
    }
}

/// The error text without the URL (a webhook URL is a secret).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// An error status as a [`RemoteError`]: 429 and 5xx are transient, 409/412 a conflict.
pub fn status_error(channel: &str, operation: &str, status: u16, retry_after: Option<u64>, body: &str) -> RemoteError {
    let kind = match status {
        429 => ErrorKind::RateLimited(Duration::from_secs(retry_after.unwrap_or(1))),
        500..=599 => ErrorKind::Transient,
        404 | 410 => ErrorKind::NotFound,
        409 | 412 => ErrorKind::Conflict,
        _ => ErrorKind::Fatal,
    };
    let message: String = body.chars().take(300).collect();
    RemoteError { target: channel.to_string(), operation: operation.to_string(), kind, status: Some(status), message }
}

/// Sends a request and returns the answer when its status is a success.
pub async fn send(
    channel: &str,
    operation: &str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, RemoteError> {
    let response = request.send().await.map_err(|e| send_error(channel, operation, &e))?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Ok(response);
    }
    let retry_after =
        response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let body = response.text().await.unwrap_or_default();
    Err(status_error(channel, operation, status, retry_after, &body))
}

/// Sends `request` with the current credential of `source`; a refused one (401: expired on the
/// way, or revoked) is renewed and the request sent once more.
pub async fn send_as(
    channel: &str,
    operation: &str,
    request: reqwest::RequestBuilder,
    source: &crate::auth::TokenSource,
) -> Result<reqwest::Response, RemoteError> {
    let credential = credential_of(channel, operation, source).await?;
    let again = request.try_clone();
    let first =
        send(channel, operation, request.header(reqwest::header::AUTHORIZATION, credential.authorization())).await;
    match (first, again) {
        (Err(e), Some(again)) if e.status == Some(401) && source.refused(&credential).await => {
            let credential = credential_of(channel, operation, source).await?;
            send(channel, operation, again.header(reqwest::header::AUTHORIZATION, credential.authorization())).await
        }
        (first, _) => first,
    }
}

async fn credential_of(
    channel: &str,
    operation: &str,
    source: &crate::auth::TokenSource,
) -> Result<crate::auth::Credential, RemoteError> {
    source.credential().await.map_err(|e| RemoteError {
        target: channel.into(),
        operation: operation.into(),
        kind: if e.transient { ErrorKind::Transient } else { ErrorKind::Fatal },
        status: None,
        message: e.reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_ignore_other_comments() {
        type Want<'a> = Option<(&'a str, &'a str, &'a str)>;
        let cases: &[(&str, Want)] = &[
            (
                "text\n<!-- backlog-sync-summary: audience=team period=2026-W45 digest=abc -->\n",
                Some(("team", "2026-W45", "abc")),
            ),
            ("<!-- backlog-sync: ST-14 -->", None),
            ("<!-- backlog-sync-summary: audience=team -->", None),
            ("no marker", None),
        ];
        for (text, want) in cases {
            let found = find_marker(text);
            let want = want.map(|(a, p, d)| FoundMarker { audience: a.into(), period: p.into(), digest: d.into() });
            assert_eq!(found, want, "{text}");
        }
        assert_eq!(digest("a\r\nb\n"), digest("a\nb"), "line endings and trailing space do not change the digest");
        assert_ne!(digest("a"), digest("b"));
    }

    #[test]
    fn statuses_say_whether_to_retry() {
        let cases = [
            (429, ErrorKind::RateLimited(Duration::from_secs(7))),
            (503, ErrorKind::Transient),
            (404, ErrorKind::NotFound),
            (412, ErrorKind::Conflict),
            (401, ErrorKind::Fatal),
        ];
        for (status, kind) in cases {
            assert_eq!(status_error("slack", "post", status, Some(7), "").kind, kind, "{status}");
        }
    }
}
