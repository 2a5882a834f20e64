//! Pull request endpoints the backlog's review mode uses: `POST/GET /repos/{o}/{r}/pulls`,
//! `GET/PATCH /repos/{o}/{r}/pulls/{n}`, `PUT /repos/{o}/{r}/pulls/{n}/merge` and the reviews
//! (`POST/GET …/pulls/{n}/reviews`, `PUT …/reviews/{id}`: a review's summary). Pull requests
//! share the issue number space like GitHub's; GitHub's refusals are kept (a second open pull
//! request for the same head and base, a missing title/head/base, an unknown state, merging a
//! closed one). The twin has no git: branches are taken as named and "merge" only records it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::GithubState;
use super::api::{self, number, object, opt_string};
use super::errors::ApiError;
use super::pagination::parse_query;
use super::store::iso;

const D: &str = "https://docs.github.com/rest/pulls/pulls";

/// One pull request.
#[derive(Debug, Clone)]
pub struct Pull {
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: Option<String>,
    pub head: String,
    pub base: String,
    pub open: bool,
    pub merged_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub user: String,
    pub reviews: Vec<Review>,
}

/// A submitted review (its summary; line comments are not emulated).
#[derive(Debug, Clone)]
pub struct Review {
    pub id: u64,
    pub body: String,
    /// `COMMENTED`, `APPROVED`, `CHANGES_REQUESTED`.
    pub state: String,
    pub user: String,
    pub submitted_at: i64,
}

/// Pull requests by repository (`owner/name`, lower case) and number.
#[derive(Debug, Default)]
pub struct Pulls(BTreeMap<String, BTreeMap<u64, Pull>>);

fn key(owner: &str, name: &str) -> String {
    format!("{owner}/{name}").to_ascii_lowercase()
}

fn render(base: &str, owner: &str, name: &str, p: &Pull) -> Value {
    let url = format!("{base}/repos/{owner}/{name}/pulls/{}", p.number);
    let side =
        |r: &str| json!({"ref": r, "label": format!("{owner}:{r}"), "repo": {"full_name": format!("{owner}/{name}")}});
    json!({
        "id": p.id,
        "number": p.number,
        "url": url,
        "html_url": format!("{base}/{owner}/{name}/pull/{}", p.number),
        "state": if p.open { "open" } else { "closed" },
        "title": p.title,
        "body": p.body,
        "head": side(&p.head),
        "base": side(&p.base),
        "merged": p.merged_at.is_some(),
        "merged_at": p.merged_at.map(iso),
        "closed_at": p.closed_at.map(iso),
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
        "draft": false,
        "user": {"login": p.user},
    })
}

/// `head` as GitHub takes it: `branch` or `owner:branch` → the branch.
fn branch_of(head: &str) -> &str {
    head.split_once(':').map(|(_, b)| b).unwrap_or(head)
}

/// `POST /repos/{owner}/{repo}/pulls` `{title, head, base, body?}`.
pub async fn create(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object(&body, D)?;
    let field = |f: &str| -> Result<String, ApiError> {
        opt_string(&body, f, "PullRequest", D)?
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| ApiError::invalid("PullRequest", "missing_field", f, None, D))
    };
    let (title, head, base) = (field("title")?, field("head")?, field("base")?);
    let text = opt_string(&body, "body", "PullRequest", D)?;
    let head = branch_of(&head).to_string();
    if head == base {
        return Err(ApiError::custom("PullRequest", "base", &format!("No commits between {base} and {head}"), D));
    }
    let mut store = state.store.lock().expect("store lock");
    let repo_key = key(&owner, &name);
    let (number, login) = {
        api::repo(&store, &owner, &name, D)?;
        let login = state.config.login.clone();
        let repo = store.repos.get_mut(&repo_key).expect("checked");
        let n = repo.next_number;
        repo.next_number += 1;
        (n, login)
    };
    let now = store.now();
    let mut pulls = state.pulls.lock().expect("pulls lock");
    let list = pulls.0.entry(repo_key).or_default();
    if list.values().any(|p| p.open && p.head == head && p.base == base) {
        return Err(ApiError::custom(
            "PullRequest",
            "head",
            &format!("A pull request already exists for {owner}:{head}."),
            D,
        ));
    }
    let pull = Pull {
        number,
        id: 9_000_000 + number,
        title,
        body: text,
        head,
        base,
        open: true,
        merged_at: None,
        closed_at: None,
        created_at: now,
        updated_at: now,
        user: login,
        reviews: Vec::new(),
    };
    let out = render(&state.base, &owner, &name, &pull);
    list.insert(number, pull);
    Ok(api::created(&out))
}

/// `GET /repos/{owner}/{repo}/pulls?state=&head=&base=`.
pub async fn list(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_query(raw.as_deref());
    let get = |k: &str| query.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let wanted = match get("state").as_deref() {
        None | Some("open") => Some(true),
        Some("closed") => Some(false),
        Some("all") => None,
        Some(other) => return Err(ApiError::invalid("PullRequest", "invalid", "state", Some(json!(other)), D)),
    };
    let head = get("head").map(|h| branch_of(&h).to_string());
    let base = get("base");
    {
        let store = state.store.lock().expect("store lock");
        api::repo(&store, &owner, &name, D)?;
    }
    let pulls = state.pulls.lock().expect("pulls lock");
    let mut found: Vec<Pull> =
        pulls.0.get(&key(&owner, &name)).map(|l| l.values().cloned().collect()).unwrap_or_default();
    found.retain(|p| {
        wanted.is_none_or(|o| p.open == o)
            && head.as_ref().is_none_or(|h| &p.head == h)
            && base.as_ref().is_none_or(|b| &p.base == b)
    });
    found.reverse(); // newest first, like GitHub's default sort
    let path = format!("/repos/{owner}/{name}/pulls");
    Ok(api::paged(&state, &path, raw.as_deref(), found, |p| render(&state.base, &owner, &name, &p)))
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}`.
pub async fn get(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, n)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let n = number(&n, D)?;
    let pulls = state.pulls.lock().expect("pulls lock");
    let pull = pulls.0.get(&key(&owner, &name)).and_then(|l| l.get(&n)).ok_or_else(|| ApiError::not_found(D))?;
    Ok(api::json(StatusCode::OK, &render(&state.base, &owner, &name, pull)))
}

/// `PATCH /repos/{owner}/{repo}/pulls/{pull_number}` `{title?, body?, state?, base?}`.
pub async fn update(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n = number(&n, D)?;
    let body = object(&body, D)?;
    let title = opt_string(&body, "title", "PullRequest", D)?;
    let text = opt_string(&body, "body", "PullRequest", D)?;
    let new_state = opt_string(&body, "state", "PullRequest", D)?;
    let base = opt_string(&body, "base", "PullRequest", D)?;
    if let Some(s) = &new_state
        && s != "open"
        && s != "closed"
    {
        return Err(ApiError::invalid("PullRequest", "invalid", "state", Some(json!(s)), D));
    }
    let now = state.store.lock().expect("store lock").now();
    let mut pulls = state.pulls.lock().expect("pulls lock");
    let list = pulls.0.get_mut(&key(&owner, &name)).ok_or_else(|| ApiError::not_found(D))?;
    let reopen_conflict = new_state.as_deref() == Some("open")
        && list
            .get(&n)
            .is_some_and(|p| !p.open && list.values().any(|o| o.open && o.head == p.head && o.base == p.base));
    let pull = list.get_mut(&n).ok_or_else(|| ApiError::not_found(D))?;
    if pull.merged_at.is_some() && new_state.is_some() {
        return Err(ApiError::simple("Cannot change the state of a merged pull request", D));
    }
    if reopen_conflict {
        return Err(ApiError::custom(
            "PullRequest",
            "state",
            "A pull request already exists for this head and base.",
            D,
        ));
    }
    if let Some(t) = title.filter(|t| !t.trim().is_empty()) {
        pull.title = t;
    }
    if text.is_some() {
        pull.body = text;
    }
    if let Some(b) = base {
        pull.base = b;
    }
    match new_state.as_deref() {
        Some("closed") if pull.open => {
            pull.open = false;
            pull.closed_at = Some(now);
        }
        Some("open") if !pull.open => {
            pull.open = true;
            pull.closed_at = None;
        }
        _ => {}
    }
    pull.updated_at = now;
    Ok(api::json(StatusCode::OK, &render(&state.base, &owner, &name, pull)))
}

/// `PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge`: records the merge (the twin has no git;
/// the commits are expected to be in the base branch already).
pub async fn merge(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, n)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let n = number(&n, D)?;
    let now = state.store.lock().expect("store lock").now();
    let mut pulls = state.pulls.lock().expect("pulls lock");
    let pull =
        pulls.0.get_mut(&key(&owner, &name)).and_then(|l| l.get_mut(&n)).ok_or_else(|| ApiError::not_found(D))?;
    if pull.merged_at.is_some() || !pull.open {
        return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Pull Request is not mergeable", D));
    }
    pull.open = false;
    pull.merged_at = Some(now);
    pull.closed_at = Some(now);
    pull.updated_at = now;
    Ok(api::json(
        StatusCode::OK,
        &json!({"sha": format!("{:040x}", n), "merged": true, "message": "Pull Request successfully merged"}),
    ))
}

const RD: &str = "https://docs.github.com/rest/pulls/reviews";

fn render_review(base: &str, owner: &str, name: &str, n: u64, r: &Review) -> Value {
    json!({
        "id": r.id,
        "node_id": format!("PRR_{}", r.id),
        "user": {"login": r.user},
        "body": r.body,
        "state": r.state,
        "html_url": format!("{base}/{owner}/{name}/pull/{n}#pullrequestreview-{}", r.id),
        "pull_request_url": format!("{base}/repos/{owner}/{name}/pulls/{n}"),
        "submitted_at": iso(r.submitted_at),
        "commit_id": format!("{:040x}", n),
    })
}

/// `POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews` `{body?, event?}`. GitHub's refusals
/// kept: approving or requesting changes on one's own pull request, and a comment or a request
/// for changes without a body. A review without `event` stays pending (not emulated: refused).
pub async fn create_review(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n = number(&n, RD)?;
    let body = object(&body, RD)?;
    let text = opt_string(&body, "body", "PullRequestReview", RD)?.unwrap_or_default();
    let event = opt_string(&body, "event", "PullRequestReview", RD)?;
    let now = state.store.lock().expect("store lock").now();
    let login = state.config.login.clone();
    let mut pulls = state.pulls.lock().expect("pulls lock");
    let pull =
        pulls.0.get_mut(&key(&owner, &name)).and_then(|l| l.get_mut(&n)).ok_or_else(|| ApiError::not_found(RD))?;
    let unprocessable = |what: &str| ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: "Unprocessable Entity".into(),
        documentation_url: RD,
        errors: Some(json!([what])),
    };
    let review_state = match event.as_deref() {
        Some("COMMENT") => "COMMENTED",
        Some("APPROVE") if pull.user == login => {
            return Err(unprocessable("Review Can not approve your own pull request"));
        }
        Some("APPROVE") => "APPROVED",
        Some("REQUEST_CHANGES") if pull.user == login => {
            return Err(unprocessable("Review Can not request changes on your own pull request"));
        }
        Some("REQUEST_CHANGES") => "CHANGES_REQUESTED",
        None => return Err(unprocessable("the twin does not keep pending reviews; send `event`")),
        Some(other) => return Err(ApiError::invalid("PullRequestReview", "invalid", "event", Some(json!(other)), RD)),
    };
    if review_state != "APPROVED" && text.trim().is_empty() {
        return Err(unprocessable("Review Body can't be blank"));
    }
    let id = 80_000_000 + n * 1000 + pull.reviews.len() as u64 + 1;
    let review = Review { id, body: text, state: review_state.into(), user: login, submitted_at: now };
    let out = render_review(&state.base, &owner, &name, n, &review);
    pull.reviews.push(review);
    Ok(api::json(StatusCode::OK, &out))
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews`, oldest first like GitHub.
pub async fn list_reviews(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, n)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let n = number(&n, RD)?;
    let pulls = state.pulls.lock().expect("pulls lock");
    let pull = pulls.0.get(&key(&owner, &name)).and_then(|l| l.get(&n)).ok_or_else(|| ApiError::not_found(RD))?;
    let path = format!("/repos/{owner}/{name}/pulls/{n}/reviews");
    Ok(api::paged(&state, &path, raw.as_deref(), pull.reviews.clone(), |r| {
        render_review(&state.base, &owner, &name, n, &r)
    }))
}

/// `PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}` `{body}`: a new summary.
pub async fn update_review(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, n, id)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n = number(&n, RD)?;
    let id = number(&id, RD)?;
    let body = object(&body, RD)?;
    let text = opt_string(&body, "body", "PullRequestReview", RD)?
        .ok_or_else(|| ApiError::invalid("PullRequestReview", "missing_field", "body", None, RD))?;
    let mut pulls = state.pulls.lock().expect("pulls lock");
    let pull =
        pulls.0.get_mut(&key(&owner, &name)).and_then(|l| l.get_mut(&n)).ok_or_else(|| ApiError::not_found(RD))?;
    let review = pull.reviews.iter_mut().find(|r| r.id == id).ok_or_else(|| ApiError::not_found(RD))?;
    review.body = text;
    let review = review.clone();
    Ok(api::json(StatusCode::OK, &render_review(&state.base, &owner, &name, n, &review)))
}
