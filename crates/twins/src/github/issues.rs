//! Issue endpoints: list a repository's issues (filters, sort, pagination), get, create, update,
//! and the twin-only deletion a person would do in the web UI.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::GithubState;
use super::api::{self, check_issue, number, object};
use super::errors::{ApiError, docs};
use super::issue_edit::{self, Changes, Happened};
use super::pagination::parse_query;
use super::render::Render;
use super::store::{IdKind, Issue, IssueRef, IssueState, Repo, parse_time};
use super::sub_issues;
use super::webhooks::{Events, deliver};

/// `GET /repos/{owner}/{repo}/issues`.
pub async fn list(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_query(raw.as_deref());
    let filter = Filter::read(&query)?;
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, docs::LIST_ISSUES)?;
    let mut issues: Vec<&Issue> = repo.issues.values().filter(|i| filter.keeps(repo, i)).collect();
    let mut comment_counts = std::collections::HashMap::new();
    if filter.sort == Sort::Comments {
        for c in repo.comments.values() {
            *comment_counts.entry(c.issue_number).or_insert(0i64) += 1;
        }
    }
    issues.sort_by_key(|i| match filter.sort {
        Sort::Created => (i.created_at, i.id),
        Sort::Updated => (i.updated_at, i.id),
        Sort::Comments => (comment_counts.get(&i.number).copied().unwrap_or(0), i.id),
    });
    if filter.descending {
        issues.reverse();
    }
    let render = Render { base: &state.base, store: &store };
    let path = format!("/repos/{owner}/{name}/issues");
    Ok(api::paged(&state, &path, raw.as_deref(), issues, |i| render.issue(repo, i)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Created,
    Updated,
    Comments,
}

/// The list filters GitHub applies.
#[derive(Debug)]
struct Filter {
    state: Option<IssueState>,
    labels: Vec<String>,
    since: Option<i64>,
    sort: Sort,
    descending: bool,
    milestone: Option<String>,
    assignee: Option<String>,
    creator: Option<String>,
    issue_type: Option<String>,
}

impl Filter {
    fn read(query: &[(String, String)]) -> Result<Filter, ApiError> {
        let get = |k: &str| query.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let invalid = |field: &str, value: String| {
            ApiError::invalid("Issue", "invalid", field, Some(json!(value)), docs::LIST_ISSUES)
        };
        let state = match get("state").as_deref() {
            None | Some("open") => Some(IssueState::Open),
            Some("closed") => Some(IssueState::Closed),
            Some("all") => None,
            Some(other) => return Err(invalid("state", other.into())),
        };
        let sort = match get("sort").as_deref() {
            None | Some("created") => Sort::Created,
            Some("updated") => Sort::Updated,
            Some("comments") => Sort::Comments,
            Some(other) => return Err(invalid("sort", other.into())),
        };
        let descending = match get("direction").as_deref() {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(other) => return Err(invalid("direction", other.into())),
        };
        let since = match get("since") {
            Some(text) => Some(parse_time(&text).ok_or_else(|| invalid("since", text))?),
            None => None,
        };
        Ok(Filter {
            state,
            labels: get("labels")
                .map(|l| l.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            since,
            sort,
            descending,
            milestone: get("milestone"),
            assignee: get("assignee"),
            creator: get("creator"),
            issue_type: get("type"),
        })
    }

    fn keeps(&self, repo: &Repo, issue: &Issue) -> bool {
        let star_none = |wanted: &Option<String>, has: Option<String>, matches: &dyn Fn(&str, &str) -> bool| {
            match wanted.as_deref() {
                None => true,
                Some("*") => has.is_some(),
                Some("none") => has.is_none(),
                Some(w) => has.is_some_and(|h| matches(w, &h)),
            }
        };
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        self.state.is_none_or(|s| issue.state == s)
            && self.since.is_none_or(|t| issue.updated_at >= t)
            && self
                .labels
                .iter()
                .all(|wanted| issue.labels.iter().filter_map(|id| repo.label(*id)).any(|l| same(&l.name, wanted)))
            && star_none(&self.milestone, issue.milestone.map(|m| m.to_string()), &|w, h| w == h)
            && (self.assignee.as_deref().is_none_or(|w| match w {
                "*" => !issue.assignees.is_empty(),
                "none" => issue.assignees.is_empty(),
                login => issue.assignees.iter().any(|a| same(a, login)),
            }))
            && self.creator.as_deref().is_none_or(|c| same(c, &issue.user))
            && star_none(
                &self.issue_type,
                issue.issue_type.and_then(|id| repo.issue_types.iter().find(|t| t.id == id)).map(|t| t.name.clone()),
                &same,
            )
    }
}

/// `GET /repos/{owner}/{repo}/issues/{issue_number}`.
pub async fn get(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let n = number(&number_text, docs::GET_ISSUE)?;
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, docs::GET_ISSUE)?;
    check_issue(repo, n, docs::GET_ISSUE)?;
    let render = Render { base: &state.base, store: &store };
    Ok(api::json(StatusCode::OK, &render.issue(repo, &repo.issues[&n])))
}

/// `POST /repos/{owner}/{repo}/issues`.
pub async fn create(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let d = docs::CREATE_ISSUE;
    let body = object(&body, d)?;
    let changes = issue_edit::read(&body, true, d)?;
    let parent_id = match body.get("parent_issue_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64().ok_or_else(|| ApiError::invalid("Issue", "invalid", "parent_issue_id", Some(v.clone()), d))?,
        ),
    };
    let login = state.actor();
    let mut store = state.store.lock().expect("store lock");
    let key = api::repo(&store, &owner, &name, d)?.full_name().to_ascii_lowercase();
    let parent = match parent_id {
        Some(id) => Some(
            store
                .find_issue(id)
                .ok_or_else(|| ApiError::invalid("Issue", "invalid", "parent_issue_id", Some(json!(id)), d))?,
        ),
        None => None,
    };
    // Refuse a bad body before anything is created.
    issue_edit::validate(&store.repos[&key], &changes, d)?;
    if let Some(parent) = &parent {
        sub_issues::check_room(&store, parent, d)?;
    }
    let at = open_issue(&mut store, &key, changes.title.clone().unwrap_or_default(), &login);
    // Creation sets the other fields; only labels, assignees and milestone are reported (as
    // `labeled`, `assigned`, `milestoned` after `opened`), as GitHub does.
    let creation = Changes { title: None, state: None, state_reason: None, ..changes };
    let mut happened = issue_edit::apply(&mut store, &at, creation, &login, d)?;
    happened.retain(|h| !matches!(h, Happened::Edited { .. }));
    let mut events = {
        let render = Render { base: &state.base, store: &store };
        let repo = &store.repos[&key];
        let opened = Events { render, sender: &login }.issue(repo, &repo.issues[&at.number], "opened", json!({}));
        let mut events = vec![opened];
        events.extend(issue_edit::events(&store, &state.base, &login, &at, &happened));
        events
    };
    if let Some(parent) = parent {
        events.extend(sub_issues::link(&mut store, &state.base, &login, &parent, &at, false, d)?);
    }
    let render = Render { base: &state.base, store: &store };
    let repo = &store.repos[&key];
    let response = api::created(&render.issue(repo, &repo.issues[&at.number]));
    drop(store);
    deliver(&state, events);
    Ok(response)
}

/// Adds a new open issue with only a title; numbers are shared per repository, ids are global.
fn open_issue(store: &mut super::store::Store, key: &str, title: String, login: &str) -> IssueRef {
    let id = store.next_id(IdKind::Issue);
    let now = store.now();
    store.user_id(login);
    let number = store.repos[key].next_number;
    store.insert_issue(
        key,
        Issue {
            id,
            number,
            title,
            body: None,
            state: IssueState::Open,
            state_reason: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            milestone: None,
            issue_type: None,
            user: login.to_string(),
            locked: false,
            created_at: now,
            updated_at: now,
            closed_at: None,
            closed_by: None,
            parent: None,
            sub_issues: Vec::new(),
        },
    )
}

/// `PATCH /repos/{owner}/{repo}/issues/{issue_number}`.
pub async fn update(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let d = docs::UPDATE_ISSUE;
    let n = number(&number_text, d)?;
    let body = object(&body, d)?;
    let changes = issue_edit::read(&body, false, d)?;
    let login = state.actor();
    let mut store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, d)?;
    check_issue(repo, n, d)?;
    let at = IssueRef { repo: repo.full_name().to_ascii_lowercase(), number: n };
    let happened = issue_edit::apply(&mut store, &at, changes, &login, d)?;
    let events = issue_edit::events(&store, &state.base, &login, &at, &happened);
    let render = Render { base: &state.base, store: &store };
    let repo = &store.repos[&at.repo];
    let response = api::json(StatusCode::OK, &render.issue(repo, &repo.issues[&n]));
    drop(store);
    deliver(&state, events);
    Ok(response)
}

/// `DELETE /_twin/repos/{owner}/{repo}/issues/{issue_number}` (control): deletes an issue as a
/// person with admin rights would; later reads answer 410 Gone; sends `issues` `deleted`.
pub async fn delete_as_person(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let d = docs::GET_ISSUE;
    let n = number(&number_text, d)?;
    let login = state.actor();
    let mut store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, d)?;
    check_issue(repo, n, d)?;
    let key = repo.full_name().to_ascii_lowercase();
    let at = IssueRef { repo: key.clone(), number: n };
    let mut events = Vec::new();
    let issue = store.repos[&key].issues[&n].clone();
    if let Some(parent) = issue.parent.and_then(|id| store.find_issue(id)) {
        events.extend(sub_issues::unlink(&mut store, &state.base, &login, &parent, &at)?);
    }
    let subs: Vec<IssueRef> = issue.sub_issues.iter().filter_map(|id| store.find_issue(*id)).collect();
    for sub in subs {
        events.extend(sub_issues::unlink(&mut store, &state.base, &login, &at, &sub)?);
    }
    let render = Render { base: &state.base, store: &store };
    let repo = &store.repos[&key];
    events.push(Events { render, sender: &login }.issue(repo, &repo.issues[&n], "deleted", json!({})));
    store.remove_issue(&at);
    drop(store);
    deliver(&state, events);
    Ok(StatusCode::NO_CONTENT.into_response())
}
