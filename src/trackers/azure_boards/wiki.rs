//! The Azure DevOps wiki channel: one page per audience (or per period, when the path names
//! `{period}`), created with `PUT` and edited with `PUT` + `If-Match: <ETag>`. The page is read
//! first, so a retry after a lost answer finds its own content and writes nothing.

use reqwest::Url;

use super::settings::AzureBoardsSettings;
use reqwest::header::IF_MATCH;
use serde_json::json;

use crate::auth::TokenSource;
use crate::config::{AzureWikiChannel, Settings, TargetKind};
use crate::connector::{ErrorKind, RemoteError};
use crate::summary::channels::{Delivery, Message, find_marker, send_as, target_of};

const NAME: &str = "azure-wiki";
const API_VERSION: &str = "7.1";

pub struct WikiChannel {
    http: reqwest::Client,
    organization_url: String,
    project: String,
    wiki: String,
    path: String,
    token: TokenSource,
}

impl std::fmt::Debug for WikiChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WikiChannel").field("project", &self.project).field("wiki", &self.wiki).finish()
    }
}

/// A page as read: its content and version (`ETag`).
struct Page {
    content: String,
    etag: String,
}

impl WikiChannel {
    pub fn new(c: &AzureWikiChannel, settings: &Settings) -> Result<WikiChannel, String> {
        let (target, token) = target_of(settings, c.target.as_deref(), TargetKind::AzureBoards, "azure_wiki")?;
        let target = AzureBoardsSettings::of(target)
            .ok_or("`[summary.channels.azure_wiki] target` is not an azure-boards target")?;
        let project = target.project.clone();
        Ok(WikiChannel {
            http: crate::summary::channels::http_client(),
            organization_url: target.organization_url().into(),
            wiki: c.wiki.clone().unwrap_or_else(|| format!("{project}.wiki")),
            project,
            path: c.path.clone().unwrap_or_else(|| "/Stakeholder summaries/{audience}".into()),
            token,
        })
    }

    /// The page path for a message, e.g. `/Stakeholder summaries/executive`.
    pub fn page_path(&self, msg: &Message<'_>) -> String {
        self.path.replace("{audience}", &msg.summary.audience).replace("{period}", &msg.summary.period)
    }

    fn pages_url(&self, path: &str) -> Result<Url, RemoteError> {
        let mut url = Url::parse(&self.organization_url).map_err(|e| RemoteError {
            target: NAME.into(),
            operation: "build the wiki URL".into(),
            kind: ErrorKind::Fatal,
            status: None,
            message: format!("`organization_url` `{}` is not a URL: {e}", self.organization_url),
        })?;
        url.path_segments_mut().map_err(|_| fatal("`organization_url` cannot hold a path"))?.extend([
            self.project.as_str(),
            "_apis",
            "wiki",
            "wikis",
            self.wiki.as_str(),
            "pages",
        ]);
        url.query_pairs_mut()
            .append_pair("path", path)
            .append_pair("includeContent", "true")
            .append_pair("api-version", API_VERSION);
        Ok(url)
    }

    fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        self.http.request(method, url)
    }

    /// The page at `path`, or `None` when there is none.
    async fn read(&self, path: &str) -> Result<Option<Page>, RemoteError> {
        let request = self.request(reqwest::Method::GET, self.pages_url(path)?);
        let response = match send_as(NAME, "read the wiki page", request, &self.token).await {
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_default();
        let body: serde_json::Value =
            response.json().await.map_err(|e| crate::summary::channels::send_error(NAME, "read the wiki page", &e))?;
        Ok(Some(Page { content: body["content"].as_str().unwrap_or_default().to_string(), etag }))
    }

    async fn write(&self, path: &str, content: &str, etag: Option<&str>) -> Result<Option<String>, RemoteError> {
        let mut request =
            self.request(reqwest::Method::PUT, self.pages_url(path)?).json(&json!({ "content": content }));
        if let Some(etag) = etag {
            request = request.header(IF_MATCH, format!("\"{etag}\""));
        }
        let operation = if etag.is_some() { "edit the wiki page" } else { "create the wiki page" };
        let response = send_as(NAME, operation, request, &self.token).await?;
        let body: serde_json::Value =
            response.json().await.map_err(|e| crate::summary::channels::send_error(NAME, operation, &e))?;
        Ok(body["remoteUrl"].as_str().or(body["url"].as_str()).map(str::to_string))
    }

    /// Creates missing parent pages of `path`, each with a short note.
    async fn ensure_parents(&self, path: &str) -> Result<(), RemoteError> {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.trim().is_empty()).collect();
        for depth in 1..parts.len() {
            let parent = format!("/{}", parts[..depth].join("/"));
            if self.read(&parent).await?.is_none() {
                self.write(&parent, "Stakeholder summaries posted by backlog-sync.\n", None).await?;
            }
        }
        Ok(())
    }

    /// Creates the page, or edits it when it does not already hold this summary.
    pub async fn deliver(&self, msg: &Message<'_>) -> Result<Delivery, RemoteError> {
        let path = self.page_path(msg);
        let content = msg.text_with_marker();
        match self.read(&path).await? {
            None => {
                self.ensure_parents(&path).await?;
                Ok(Delivery::Created(self.write(&path, &content, None).await?.or(Some(path))))
            }
            Some(page) => {
                let same = find_marker(&page.content).is_some_and(|m| {
                    m.digest == crate::summary::channels::digest(&msg.text) && m.period == msg.summary.period
                });
                if same {
                    return Ok(Delivery::Unchanged(Some(path)));
                }
                Ok(Delivery::Edited(self.write(&path, &content, Some(&page.etag)).await?.or(Some(path))))
            }
        }
    }
}

fn fatal(message: &str) -> RemoteError {
    RemoteError {
        target: NAME.into(),
        operation: "build the wiki URL".into(),
        kind: ErrorKind::Fatal,
        status: None,
        message: message.into(),
    }
}
