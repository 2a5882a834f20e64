//! The GitHub Issues connector on the shared reqwest transport: incremental listing with a `since` watermark and
//! conditional requests, full listing, create / update / close, sub-issue links, finding an issue
//! by its marker, retries, and writes paced under the content-creation limit.

pub mod comments;
mod http;
pub mod milestones;
pub mod types;

use std::time::Duration;

use ::http::Method;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

pub use self::http::Pacer;
use self::http::{Http, Reply};
use crate::auth::TokenSource;
use crate::config::Secret;
use crate::connector::retry::RetryPolicy;
use crate::connector::{Budget, ErrorKind, RemoteError};
use crate::trackers::github::mapping::IssueContent;
pub use types::{Issue, IssueWrite};

/// How far back an incremental listing reaches before the watermark, for clock skew and for
/// changes that landed in the same second.
pub const WATERMARK_OVERLAP: Duration = Duration::from_secs(5);

/// The result of a listing.
#[derive(Debug)]
pub enum Listing {
    /// Nothing changed since the ETag was taken (a 304 that costs no quota).
    NotModified,
    Issues {
        issues: Vec<Issue>,
        /// The first page's ETag.
        etag: Option<String>,
        /// How many pages the listing took.
        pages: usize,
    },
}

/// One GitHub repository.
pub struct GithubConnector {
    http: Http,
    repo: String,
    retry: RetryPolicy,
    /// Milestone title → number, filled by the first listing (see `milestones.rs`).
    milestone_numbers: std::sync::Mutex<Option<std::collections::BTreeMap<String, u64>>>,
    /// The login of the token's user, once asked.
    login: tokio::sync::OnceCell<String>,
}

fn parse_error(target: &str, operation: &str, e: serde_json::Error) -> RemoteError {
    RemoteError {
        target: target.into(),
        operation: operation.into(),
        kind: ErrorKind::Fatal,
        status: None,
        message: format!("unexpected answer: {e}"),
    }
}

impl GithubConnector {
    /// A connector for `repository` (`owner/name`) at `api_url`.
    pub fn new(target: &str, api_url: &str, repository: &str, token: &Secret) -> Result<GithubConnector, RemoteError> {
        let source = TokenSource::fixed(target, crate::config::TargetKind::Github, token.clone());
        GithubConnector::with_source(target, api_url, repository, source)
    }

    /// A connector that asks `source` for a current token before each request (and again after a 401).
    pub fn with_source(
        target: &str,
        api_url: &str,
        repository: &str,
        source: TokenSource,
    ) -> Result<GithubConnector, RemoteError> {
        let fail = |message: String| RemoteError {
            target: target.into(),
            operation: "connect".into(),
            kind: ErrorKind::Fatal,
            status: None,
            message,
        };
        if repository.split('/').count() != 2 || repository.starts_with('/') || repository.ends_with('/') {
            return Err(fail(format!("`{repository}` is not `owner/name`; set `repository` of target `{target}`")));
        }
        let http = Http::new(target, api_url, Pacer::new(80, 500), source)?;
        Ok(GithubConnector {
            http,
            repo: repository.to_string(),
            retry: RetryPolicy::default(),
            milestone_numbers: std::sync::Mutex::new(None),
            login: Default::default(),
        })
    }

    /// Paces writes under other limits than GitHub's 80 a minute and 500 an hour.
    pub fn with_write_limits(self, per_minute: u32, per_hour: u32) -> Self {
        self.with_pacer(Pacer::new(per_minute as usize, per_hour as usize))
    }

    /// Paces writes with `pacer` (a benchmark's pacer runs on a shortened clock).
    pub fn with_pacer(mut self, pacer: Pacer) -> Self {
        self.set_pacer(pacer);
        self
    }

    /// Paces writes with `pacer`, in place.
    pub fn set_pacer(&mut self, pacer: Pacer) {
        self.http.set_pacer(pacer);
    }

    /// Replaces the retry policy (tests and benchmarks use shorter waits).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.set_retry(retry);
        self
    }

    /// Replaces the retry policy in place.
    pub fn set_retry(&mut self, retry: RetryPolicy) {
        self.retry = retry;
    }

    pub fn target(&self) -> &str {
        self.http.target()
    }

    pub fn budget(&self) -> Budget {
        self.http.budget()
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.http.requests()
    }

    async fn call(
        &self,
        op: &str,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        etag: Option<&str>,
    ) -> Result<Reply, RemoteError> {
        self.retry.run(|| self.http.send(op, method.clone(), path, body, etag)).await
    }

    /// A 404 on the repository's listing: it does not exist or the token cannot see it.
    pub fn repository_not_found(&self, e: RemoteError) -> RemoteError {
        if e.kind != ErrorKind::NotFound {
            return e;
        }
        RemoteError {
            kind: ErrorKind::Fatal,
            message: format!(
                "the repository `{}` does not exist at `{}` or {} cannot see it ({}); check `repository` and `api_url` of target `{}`, and that {} has access to the repository",
                self.repo,
                self.http.api_url(),
                self.http.source().describe(),
                e.message,
                self.target(),
                self.http.source().describe(),
            ),
            ..e
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&self, op: &str, reply: &Reply) -> Result<T, RemoteError> {
        serde_json::from_str(&reply.body).map_err(|e| parse_error(self.target(), op, e))
    }

    /// Issues (not pull requests) updated at or after `since` (all when `None`), every state,
    /// oldest change first. The pages are asked newest first: an issue changed while they are
    /// read moves to the first page, already read, rather than shifting one not yet read onto a
    /// page already read (which would miss it until the next run). With `etag`, the first page
    /// is asked conditionally.
    pub async fn list(&self, since: Option<DateTime<Utc>>, etag: Option<&str>) -> Result<Listing, RemoteError> {
        let mut path = format!("/repos/{}/issues?state=all&sort=updated&direction=desc&per_page=100", self.repo);
        if let Some(s) = since {
            path.push_str(&format!("&since={}", s.to_rfc3339_opts(SecondsFormat::Secs, true)));
        }
        let mut issues = Vec::new();
        let mut first_etag = None;
        let mut next = Some(path);
        let mut first = true;
        let mut pages = 0;
        while let Some(page) = next.take() {
            pages += 1;
            let reply = self
                .call("list issues", Method::GET, &page, None, if first { etag } else { None })
                .await
                .map_err(|e| self.repository_not_found(e))?;
            if first && reply.status == ::http::StatusCode::NOT_MODIFIED {
                return Ok(Listing::NotModified);
            }
            if first {
                first_etag = reply.header("etag").map(str::to_string);
            }
            first = false;
            let batch: Vec<Issue> = self.parse("list issues", &reply)?;
            issues.extend(batch.into_iter().filter(|i| i.pull_request.is_none()));
            next = reply.header("link").and_then(next_link).map(|url| path_of(&url));
        }
        // A change while reading shifts the rest by one: the next page repeats an issue.
        let mut listed = std::collections::HashSet::new();
        issues.retain(|i| listed.insert(i.number));
        issues.reverse();
        Ok(Listing::Issues { issues, etag: first_etag, pages })
    }

    /// One issue; `None` when it is gone (404, 410).
    pub async fn get(&self, number: u64) -> Result<Option<Issue>, RemoteError> {
        let path = format!("/repos/{}/issues/{number}", self.repo);
        match self.call("get issue", Method::GET, &path, None, None).await {
            Ok(reply) => self.parse("get issue", &reply).map(Some),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates an issue. Never retried blindly: a failure of unknown outcome is for the caller to
    /// settle by looking for the marker (see [`GithubConnector::find_by_marker`]).
    pub async fn create(&self, content: &IssueContent) -> Result<Issue, RemoteError> {
        let mut write = IssueWrite::from_content(content, true);
        write.milestone = self.milestone_number(content.milestone.as_deref()).await?.map(Some);
        let body = serde_json::to_value(write).expect("issue body serializes");
        let path = format!("/repos/{}/issues", self.repo);
        let reply = self.http.send("create issue", Method::POST, &path, Some(&body), None).await?;
        let mut issue: Issue = self.parse("create issue", &reply)?;
        if content.state == "closed" {
            issue = self.update(issue.number, content).await?;
        }
        Ok(issue)
    }

    /// Brings an issue to `content`: title, body, state and reason, labels, milestone, and assignees
    /// when known.
    pub async fn update(&self, number: u64, content: &IssueContent) -> Result<Issue, RemoteError> {
        let mut write = IssueWrite::from_content(content, false);
        write.milestone = Some(self.milestone_number(content.milestone.as_deref()).await?);
        let body = serde_json::to_value(write).expect("issue body serializes");
        let path = format!("/repos/{}/issues/{number}", self.repo);
        let reply = self.call("update issue", Method::PATCH, &path, Some(&body), None).await?;
        self.parse("update issue", &reply)
    }

    /// Whether `login` can be assigned issues in the repository (`GET …/assignees/{login}`: 204
    /// yes, 404 no).
    pub async fn can_assign(&self, login: &str) -> Result<bool, RemoteError> {
        let path = format!("/repos/{}/assignees/{login}", self.repo);
        match self.call("check assignee", Method::GET, &path, None, None).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Makes `child_id` (the child's issue *id*) a sub-issue of issue `parent`, moving it from any
    /// other parent.
    pub async fn set_parent(&self, parent: u64, child_id: u64) -> Result<(), RemoteError> {
        let path = format!("/repos/{}/issues/{parent}/sub_issues", self.repo);
        let body = json!({"sub_issue_id": child_id, "replace_parent": true});
        self.call("add sub-issue", Method::POST, &path, Some(&body), None).await.map(|_| ())
    }

    /// Removes `child_id` from issue `parent`'s sub-issues.
    pub async fn remove_parent(&self, parent: u64, child_id: u64) -> Result<(), RemoteError> {
        let path = format!("/repos/{}/issues/{parent}/sub_issue", self.repo);
        let body = json!({"sub_issue_id": child_id});
        match self.call("remove sub-issue", Method::DELETE, &path, Some(&body), None).await {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The issues whose body carries `marker`, among issues updated since `since`.
    pub async fn find_by_marker(&self, marker: &str, since: Option<DateTime<Utc>>) -> Result<Vec<Issue>, RemoteError> {
        let since = since.map(|s| s - chrono::Duration::from_std(WATERMARK_OVERLAP).unwrap_or_default());
        match self.list(since, None).await? {
            Listing::Issues { issues, .. } => {
                Ok(issues.into_iter().filter(|i| i.body.as_deref().is_some_and(|b| b.contains(marker))).collect())
            }
            Listing::NotModified => Ok(Vec::new()),
        }
    }

    /// The app's `<slug>[bot]` when this connector signs in as a GitHub App and has had a token;
    /// never a request. A person's token gives `None`: that person's edits are people's edits.
    pub fn app_login(&self) -> Option<String> {
        self.http.source().login()
    }

    /// The login the sync writes as: a GitHub App's `<slug>[bot]`, else the token's user (`GET /user`),
    /// asked once per connector. Issues carrying our marker are adopted only when this login made them.
    pub async fn login(&self) -> Result<String, RemoteError> {
        self.login
            .get_or_try_init(|| async {
                // A GitHub App is its `<slug>[bot]` (an installation token cannot read `/user`).
                if let Some(bot) = self.http.source().login() {
                    return Ok(bot);
                }
                let reply = self.call("read the token's user", Method::GET, "/user", None, None).await?;
                let user: types::User = self.parse("read the token's user", &reply)?;
                Ok(user.login)
            })
            .await
            .cloned()
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// The path and query of an absolute URL (the connector adds its API URL again).
pub(crate) fn path_of(url: &str) -> String {
    match url.find("://").and_then(|i| url[i + 3..].find('/').map(|j| i + 3 + j)) {
        Some(start) => url[start..].to_string(),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next_is_found() {
        let h = "<https://api.github.com/repositories/1/issues?page=2&per_page=100>; rel=\"next\", <https://api.github.com/repositories/1/issues?page=5&per_page=100>; rel=\"last\"";
        assert_eq!(next_link(h).as_deref(), Some("https://api.github.com/repositories/1/issues?page=2&per_page=100"));
        assert_eq!(path_of(&next_link(h).unwrap()), "/repositories/1/issues?page=2&per_page=100");
        assert_eq!(next_link("<https://x/y?page=1>; rel=\"prev\""), None);
    }
}
