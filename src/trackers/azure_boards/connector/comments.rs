//! Work item comments on Azure Boards (Comments API 7.1-preview.4): list every page oldest first,
//! add and edit in Markdown (`format=markdown`), delete.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::AzureConnector;
use crate::connector::{ErrorKind, RemoteError};

/// The comments API is a preview: its version is asked for explicitly.
const COMMENTS_API: &str = "api-version=7.1-preview.4";

/// Who wrote a comment.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CommentAuthor {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub unique_name: String,
}

/// A work item comment as Azure DevOps answers it (the fields this connector reads).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WorkItemComment {
    #[serde(alias = "commentId")]
    pub id: i64,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub created_by: CommentAuthor,
    pub created_date: DateTime<Utc>,
    /// `markdown` or `html` (older comments and the web editor's default).
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub is_deleted: bool,
}

impl WorkItemComment {
    pub fn is_markdown(&self) -> bool {
        self.format.as_deref().is_some_and(|f| f.eq_ignore_ascii_case("markdown"))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentList {
    #[serde(default)]
    comments: Vec<WorkItemComment>,
    #[serde(default)]
    continuation_token: Option<String>,
}

impl AzureConnector {
    fn comments_url(&self, id: i64, rest: &str) -> String {
        self.project_url(&format!("workItems/{id}/comments{rest}"))
    }

    /// Where people read work item `id` in the web.
    pub fn web_item_url(&self, id: i64) -> String {
        format!("{}/{}/_workitems/edit/{id}", self.organization_url, super::encode_segment(&self.project))
    }

    /// The live comments of work item `id`, oldest first.
    pub async fn comments(&self, id: i64) -> Result<Vec<WorkItemComment>, RemoteError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = self.comments_url(id, &format!("?$top=200&order=asc&{COMMENTS_API}"));
            if let Some(t) = &token {
                url.push_str(&format!("&continuationToken={t}"));
            }
            let reply = self.call("list comments", Method::GET, &url, None).await?;
            let page: CommentList = self.parse("list comments", &reply)?;
            out.extend(page.comments.into_iter().filter(|c| !c.is_deleted));
            match page.continuation_token.filter(|t| !t.is_empty()) {
                Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Adds a Markdown comment to work item `id`. Never retried blindly: the caller finds a
    /// comment whose answer was lost by its marker.
    pub async fn add_comment(&self, id: i64, text: &str) -> Result<WorkItemComment, RemoteError> {
        let url = self.comments_url(id, &format!("?format=markdown&{COMMENTS_API}"));
        let body = json!({ "text": text }).to_string();
        let reply = self.http.send("add comment", Method::POST, &url, Some(("application/json", body))).await?;
        self.parse("add comment", &reply)
    }

    /// Rewrites comment `comment` of work item `id` as Markdown.
    pub async fn edit_comment(&self, id: i64, comment: &str, text: &str) -> Result<WorkItemComment, RemoteError> {
        let url = self.comments_url(id, &format!("/{comment}?format=markdown&{COMMENTS_API}"));
        let body = json!({ "text": text }).to_string();
        let reply = self.call("edit comment", Method::PATCH, &url, Some(("application/json", body))).await?;
        self.parse("edit comment", &reply)
    }

    /// Deletes comment `comment` of work item `id`; one already gone is fine.
    pub async fn delete_comment(&self, id: i64, comment: &str) -> Result<(), RemoteError> {
        let url = self.comments_url(id, &format!("/{comment}?{COMMENTS_API}"));
        match self.call("delete comment", Method::DELETE, &url, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}
