//! Issue comments on GitHub: an issue's comments (every page), the repository's comments changed
//! since a time, and create, edit and delete one comment.

use ::http::Method;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::json;

use super::types::User;
use super::{GithubConnector, next_link, path_of};
use crate::connector::{ErrorKind, RemoteError};

/// An issue comment as GitHub answers it (the fields this connector reads).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct IssueComment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub issue_url: String,
}

impl IssueComment {
    /// The number of the issue it is on (from `issue_url`).
    pub fn issue_number(&self) -> Option<u64> {
        self.issue_url.rsplit('/').next()?.parse().ok()
    }
}

impl GithubConnector {
    async fn comment_pages(&self, op: &str, first: String) -> Result<Vec<IssueComment>, RemoteError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        while let Some(page) = next.take() {
            let reply = self.call(op, Method::GET, &page, None, None).await?;
            let batch: Vec<IssueComment> = self.parse(op, &reply)?;
            out.extend(batch);
            next = reply.header("link").and_then(next_link).map(|url| path_of(&url));
        }
        Ok(out)
    }

    /// The comments of issue `number`, oldest first.
    pub async fn comments(&self, number: u64) -> Result<Vec<IssueComment>, RemoteError> {
        let path = format!("/repos/{}/issues/{number}/comments?per_page=100", self.repo);
        self.comment_pages("list comments", path).await
    }

    /// The repository's comments created or edited at or after `since` (deletions do not show).
    pub async fn comments_since(&self, since: DateTime<Utc>) -> Result<Vec<IssueComment>, RemoteError> {
        let path = format!(
            "/repos/{}/issues/comments?sort=updated&direction=asc&per_page=100&since={}",
            self.repo,
            since.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        self.comment_pages("list changed comments", path).await
    }

    /// Comments on issue `number`. Never retried blindly: the caller finds a comment whose answer
    /// was lost by its marker.
    pub async fn add_comment(&self, number: u64, body: &str) -> Result<IssueComment, RemoteError> {
        let path = format!("/repos/{}/issues/{number}/comments", self.repo);
        let reply = self.http.send("add comment", Method::POST, &path, Some(&json!({ "body": body })), None).await?;
        self.parse("add comment", &reply)
    }

    /// Rewrites comment `id`.
    pub async fn edit_comment(&self, id: &str, body: &str) -> Result<IssueComment, RemoteError> {
        let path = format!("/repos/{}/issues/comments/{id}", self.repo);
        let reply = self.call("edit comment", Method::PATCH, &path, Some(&json!({ "body": body })), None).await?;
        self.parse("edit comment", &reply)
    }

    /// Deletes comment `id`; one already gone is fine.
    pub async fn delete_comment(&self, id: &str) -> Result<(), RemoteError> {
        let path = format!("/repos/{}/issues/comments/{id}", self.repo);
        match self.call("delete comment", Method::DELETE, &path, None, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}
