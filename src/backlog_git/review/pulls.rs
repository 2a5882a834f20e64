//! The backlog repository's pull requests on GitHub (review mode): find the open one of the
//! review branch, open it, update its text in place, close it, read whether it was merged, and
//! post one review with the drift findings. The `review_target`'s API URL and token.

use serde_json::{Value, json};

use super::super::GitError;
use crate::auth::TokenSource;
use crate::config::Settings;

/// What review mode needs of a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub open: bool,
    pub merged: bool,
    pub body: String,
}

impl Pull {
    fn from(v: &Value) -> Option<Pull> {
        Some(Pull {
            number: v["number"].as_u64()?,
            open: v["state"].as_str() == Some("open"),
            merged: v["merged"].as_bool().unwrap_or(false) || !v["merged_at"].is_null(),
            body: v["body"].as_str().unwrap_or_default().to_string(),
        })
    }
}

/// A client of `POST/GET/PATCH /repos/{owner}/{repo}/pulls…` for the backlog repository.
pub struct Pulls {
    http: reqwest::Client,
    api: String,
    /// `owner/name`.
    pub repository: String,
    source: TokenSource,
}

fn fail(reason: String) -> GitError {
    GitError::Review(reason)
}

impl Pulls {
    /// From `[backlog.git] review_target` and `repository` (checked by the settings).
    pub fn new(settings: &Settings) -> Result<Pulls, GitError> {
        let git = settings.backlog.git.as_ref().ok_or_else(|| fail("`[backlog.git]` is not set".into()))?;
        let name = git.review_target.as_deref().unwrap_or_default();
        let target = settings.targets.iter().find(|t| t.name == name).ok_or_else(|| {
            fail(format!(
                "there is no `[[targets]]` entry `{name}`; set `[backlog.git] review_target` to a github target"
            ))
        })?;
        let source = TokenSource::from_settings(target)
            .map_err(|e| fail(format!("the token of `{}`: {}", e.target, e.reason)))?;
        let api = target.tracker.api_url().to_string();
        let http = reqwest::Client::builder()
            .user_agent(concat!("backlog-sync/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| fail(format!("cannot build the HTTP client: {e}")))?;
        Ok(Pulls {
            http,
            api: api.trim_end_matches('/').to_string(),
            repository: git.repository.clone().unwrap_or_default(),
            source,
        })
    }

    /// The owner part of `repository` (a head is named `owner:branch`).
    pub fn owner(&self) -> &str {
        self.repository.split_once('/').map(|(o, _)| o).unwrap_or(&self.repository)
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, GitError> {
        let credential = self.source.credential().await.map_err(|e| fail(e.to_string()))?;
        let url = format!("{}/repos/{}{path}", self.api, self.repository);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header("Authorization", credential.authorization())
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let what = format!("`{method} /repos/{}{path}`", self.repository);
        let resp = req.send().await.map_err(|e| fail(format!("{what}: {}", e.without_url())))?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(value);
        }
        let message = value["message"].as_str().unwrap_or("");
        let detail: Vec<&str> = value["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["message"].as_str()).collect())
            .unwrap_or_default();
        let hint = match status.as_u16() {
            401 | 403 => "; check the token of `review_target`: it needs pull request write access to `repository`",
            404 => "; check `[backlog.git] repository`",
            _ => "",
        };
        Err(fail(format!("{what} answered {status}: {message} {}{hint}", detail.join("; ")).replace("  ", " ")))
    }

    pub async fn get(&self, number: u64) -> Result<Pull, GitError> {
        let v = self.send(reqwest::Method::GET, &format!("/pulls/{number}"), None).await?;
        Pull::from(&v).ok_or_else(|| fail(format!("pull request #{number} was answered without a number")))
    }

    /// The open pull request from `head` into `base`, if there is one.
    pub async fn find_open(&self, head: &str, base: &str) -> Result<Option<Pull>, GitError> {
        let path = format!("/pulls?state=open&head={}:{head}&base={base}", self.owner());
        let v = self.send(reqwest::Method::GET, &path, None).await?;
        Ok(v.as_array().and_then(|a| a.first()).and_then(Pull::from))
    }

    pub async fn create(&self, head: &str, base: &str, title: &str, body: &str) -> Result<Pull, GitError> {
        let v = self
            .send(
                reqwest::Method::POST,
                "/pulls",
                Some(json!({"title": title, "head": format!("{}:{head}", self.owner()), "base": base, "body": body})),
            )
            .await?;
        Pull::from(&v).ok_or_else(|| fail("the new pull request was answered without a number".into()))
    }

    /// Updates the title and text of pull request `number` in place.
    pub async fn update(&self, number: u64, title: &str, body: &str) -> Result<(), GitError> {
        self.send(reqwest::Method::PATCH, &format!("/pulls/{number}"), Some(json!({"title": title, "body": body})))
            .await
            .map(|_| ())
    }

    pub async fn close(&self, number: u64) -> Result<(), GitError> {
        self.send(reqwest::Method::PATCH, &format!("/pulls/{number}"), Some(json!({"state": "closed"})))
            .await
            .map(|_| ())
    }

    /// Posts `body` as the pull request's review (a comment: GitHub refuses approving or
    /// requesting changes on one's own pull request), or updates the review that holds `marker`
    /// when there is one; nothing when it already says `body`, or when there is none and `create`
    /// is false.
    pub async fn upsert_review(&self, number: u64, marker: &str, body: &str, create: bool) -> Result<(), GitError> {
        let path = format!("/pulls/{number}/reviews");
        let reviews = self.send(reqwest::Method::GET, &format!("{path}?per_page=100"), None).await?;
        let ours =
            reviews.as_array().into_iter().flatten().find(|r| r["body"].as_str().is_some_and(|b| b.contains(marker)));
        match ours {
            Some(r) if r["body"].as_str() == Some(body) => Ok(()),
            Some(r) => {
                let id = r["id"].as_u64().unwrap_or_default();
                self.send(reqwest::Method::PUT, &format!("{path}/{id}"), Some(json!({"body": body}))).await.map(|_| ())
            }
            None if !create => Ok(()),
            None => self
                .send(reqwest::Method::POST, &path, Some(json!({"body": body, "event": "COMMENT"})))
                .await
                .map(|_| ()),
        }
    }
}
