//! The GitHub channel: comments on one summary issue (found by its hidden marker, or created).
//! In `edit` mode each audience has one comment, edited in place each period; in `per-period`
//! mode each period gets a new comment. The comment's marker makes a retry find it first.

use std::sync::Mutex;

use reqwest::header::ACCEPT;
use serde_json::{Value, json};

use super::settings::GithubSettings;
use crate::auth::TokenSource;
use crate::config::{GithubSummaryChannel, PostMode, Settings, TargetKind};
use crate::connector::{ErrorKind, RemoteError};
use crate::summary::channels::{Delivery, Message, find_marker, send_as, target_of};

const NAME: &str = "github-comment";
/// The marker in the body of the summary issue.
pub const ISSUE_MARKER: &str = "<!-- backlog-sync-summary: issue -->";

pub struct GithubChannel {
    http: reqwest::Client,
    api_url: String,
    repository: String,
    token: TokenSource,
    title: String,
    mode: PostMode,
    /// The summary issue, once known (from the settings, the store or a lookup).
    issue: Mutex<Option<u64>>,
}

impl std::fmt::Debug for GithubChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubChannel").field("repository", &self.repository).field("issue", &self.issue).finish()
    }
}

impl GithubChannel {
    pub fn new(c: &GithubSummaryChannel, settings: &Settings) -> Result<GithubChannel, String> {
        let (target, token) = target_of(settings, c.target.as_deref(), TargetKind::Github, "github")?;
        let target = GithubSettings::of(target).ok_or("`[summary.channels.github] target` is not a github target")?;
        Ok(GithubChannel {
            http: crate::summary::channels::http_client(),
            api_url: target.api_url().into(),
            repository: target.repository.clone(),
            token,
            title: c.title.clone().unwrap_or_else(|| "Stakeholder summaries".into()),
            mode: c.mode,
            issue: Mutex::new(c.issue),
        })
    }

    /// The summary issue's number, when known.
    pub fn issue(&self) -> Option<u64> {
        *self.issue.lock().expect("issue lock")
    }

    /// Remembers the summary issue (e.g. from the store) so no lookup is needed.
    pub fn remember_issue(&self, number: u64) {
        self.issue.lock().expect("issue lock").get_or_insert(number);
    }

    fn url(&self, path: &str) -> String {
        format!("{}/repos/{}{path}", self.api_url, self.repository)
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
    }

    /// Every page of a listing, following `Link: rel="next"`.
    async fn list(&self, operation: &str, first: String) -> Result<Vec<Value>, RemoteError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let response = send_as(NAME, operation, self.request(reqwest::Method::GET, &url), &self.token).await?;
            next = response.headers().get("link").and_then(|v| v.to_str().ok()).and_then(next_link);
            let page: Vec<Value> =
                response.json().await.map_err(|e| crate::summary::channels::send_error(NAME, operation, &e))?;
            out.extend(page);
        }
        Ok(out)
    }

    /// The summary issue: the known one, else the one carrying the marker, else a new one.
    async fn summary_issue(&self, msg: &Message<'_>) -> Result<u64, RemoteError> {
        if let Some(n) = self.issue() {
            return Ok(n);
        }
        let issues = self.list("find the summary issue", self.url("/issues?state=all&per_page=100")).await?;
        let found = issues
            .iter()
            .filter(|i| i.get("pull_request").is_none())
            .find(|i| i["body"].as_str().is_some_and(|b| b.contains(ISSUE_MARKER)))
            .and_then(|i| i["number"].as_u64());
        let number = match found {
            Some(n) => n,
            None => {
                let body = format!(
                    "Stakeholder summaries of **{}**, posted by backlog-sync: one comment per audience.\n\n{ISSUE_MARKER}\n",
                    msg.summary.project
                );
                let create = self.request(reqwest::Method::POST, &self.url("/issues")).json(&json!({
                    "title": self.title,
                    "body": body,
                }));
                let issue: Value =
                    send_as(NAME, "create the summary issue", create, &self.token)
                        .await?
                        .json()
                        .await
                        .map_err(|e| crate::summary::channels::send_error(NAME, "create the summary issue", &e))?;
                issue["number"].as_u64().ok_or_else(|| bad_answer("create the summary issue"))?
            }
        };
        self.remember_issue(number);
        Ok(number)
    }

    /// Posts or edits the audience's comment, unless it already says this.
    pub async fn deliver(&self, msg: &Message<'_>) -> Result<Delivery, RemoteError> {
        let issue = self.summary_issue(msg).await?;
        let comments =
            match self.list("list summary comments", self.url(&format!("/issues/{issue}/comments?per_page=100"))).await
            {
                Err(e) if e.kind == ErrorKind::NotFound => {
                    // The summary issue is gone: forget it, so the retry finds or creates another.
                    *self.issue.lock().expect("issue lock") = None;
                    return Err(RemoteError { kind: ErrorKind::Transient, ..e });
                }
                other => other?,
            };
        let (audience, period) = (&msg.summary.audience, &msg.summary.period);
        let ours = comments.iter().rev().find(|c| {
            let Some(m) = c["body"].as_str().and_then(find_marker) else { return false };
            &m.audience == audience && (self.mode == PostMode::Edit || &m.period == period)
        });
        let body = msg.text_with_marker();
        let wanted = crate::summary::channels::digest(&msg.text);
        match ours {
            Some(c) => {
                let url = c["html_url"].as_str().map(str::to_string);
                let same =
                    c["body"].as_str().and_then(find_marker).is_some_and(|m| m.digest == wanted && &m.period == period);
                if same {
                    return Ok(Delivery::Unchanged(url));
                }
                let id = c["id"].as_u64().ok_or_else(|| bad_answer("list summary comments"))?;
                let edit = self
                    .request(reqwest::Method::PATCH, &self.url(&format!("/issues/comments/{id}")))
                    .json(&json!({ "body": body }));
                send_as(NAME, "edit the summary comment", edit, &self.token).await?;
                Ok(Delivery::Edited(url))
            }
            None => {
                let post = self
                    .request(reqwest::Method::POST, &self.url(&format!("/issues/{issue}/comments")))
                    .json(&json!({ "body": body }));
                let answer: Value = send_as(NAME, "post the summary comment", post, &self.token)
                    .await?
                    .json()
                    .await
                    .map_err(|e| crate::summary::channels::send_error(NAME, "post the summary comment", &e))?;
                Ok(Delivery::Created(answer["html_url"].as_str().map(str::to_string)))
            }
        }
    }
}

fn bad_answer(operation: &str) -> RemoteError {
    RemoteError {
        target: NAME.into(),
        operation: operation.into(),
        kind: ErrorKind::Fatal,
        status: None,
        message: "the answer has no `number` or `id`; check that `api_url` of the target is a GitHub REST API".into(),
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_next_link_only() {
        let h = r#"<https://api.github.com/repos/a/b/issues?page=2>; rel="next", <https://api.github.com/repos/a/b/issues?page=5>; rel="last""#;
        assert_eq!(next_link(h).as_deref(), Some("https://api.github.com/repos/a/b/issues?page=2"));
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
    }
}
