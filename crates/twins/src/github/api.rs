//! Small pieces every GitHub twin handler uses: JSON answers, paged answers with `Link`, request
//! bodies read the way GitHub reads them, and path lookups that answer 404/410 like GitHub.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::GithubState;
use super::errors::{ApiError, DOCS};
use super::pagination::{PageRequest, parse_query};
use super::store::{Repo, Store};

/// A JSON answer with GitHub's content type.
pub fn json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, serde_json::to_vec(body).unwrap_or_default()).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

/// 201 with the body and `Location: <url of the created thing>`.
pub fn created(body: &Value) -> Response {
    let mut response = json(StatusCode::CREATED, body);
    if let Some(url) = body.get("url").and_then(Value::as_str)
        && let Ok(location) = HeaderValue::from_str(url)
    {
        response.headers_mut().insert("location", location);
    }
    response
}

/// One page of `items` with GitHub's `Link` header, for a list at `path` (no query); only the
/// items on the page are rendered.
pub fn paged<T>(
    state: &GithubState,
    path: &str,
    raw_query: Option<&str>,
    items: Vec<T>,
    render: impl FnMut(T) -> Value,
) -> Response {
    let query = parse_query(raw_query);
    let request = PageRequest::from_query(&query);
    let total = items.len();
    let range = request.range(total);
    let page: Vec<Value> = items.into_iter().skip(range.start).take(range.len()).map(render).collect();
    let mut response = json(StatusCode::OK, &Value::Array(page));
    let url = format!("{}{}", state.base, path);
    if let Some(link) = request.link_header(&url, &query, total)
        && let Ok(link) = HeaderValue::from_str(&link)
    {
        response.headers_mut().insert("link", link);
    }
    response
}

/// Reads a JSON object body; an empty body is `{}`; anything else is GitHub's 400.
pub fn object(body: &Bytes, docs: &'static str) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "Invalid request.\n\nInvalid input: object is expected.", docs))
        }
        Err(_) => Err(ApiError::bad_json(docs)),
    }
}

/// A string field, `None` when absent or null; 422 `invalid` when it is another type.
pub fn opt_string(
    body: &Map<String, Value>,
    field: &str,
    resource: &str,
    docs: &'static str,
) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::invalid(resource, "invalid", field, Some(other.clone()), docs)),
    }
}

/// A list of strings (or objects with `name`/`login`), for labels and assignees.
pub fn names(
    value: &Value,
    field: &str,
    key: &str,
    resource: &str,
    docs: &'static str,
) -> Result<Vec<String>, ApiError> {
    let invalid = || ApiError::invalid(resource, "invalid", field, Some(value.clone()), docs);
    let Value::Array(items) = value else {
        return Err(invalid());
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => o.get(key).and_then(Value::as_str).map(str::to_string).ok_or_else(invalid),
            _ => Err(invalid()),
        })
        .collect()
}

/// A path number (issue, milestone, comment id); not a number means 404 like GitHub.
pub fn number(text: &str, docs: &'static str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| ApiError::not_found(docs))
}

/// The repository, or GitHub's 404.
pub fn repo<'s>(store: &'s Store, owner: &str, name: &str, docs: &'static str) -> Result<&'s Repo, ApiError> {
    store.repo(owner, name).ok_or_else(|| ApiError::not_found(docs))
}

/// Checks that issue `number` exists: 404 when it never did, 410 when it was deleted.
pub fn check_issue(repo: &Repo, number: u64, docs: &'static str) -> Result<(), ApiError> {
    if repo.issues.contains_key(&number) {
        Ok(())
    } else if repo.deleted.contains(&number) {
        Err(ApiError::gone(docs))
    } else {
        Err(ApiError::not_found(docs))
    }
}

/// Any path the twin does not emulate.
pub async fn not_found() -> ApiError {
    ApiError::not_found(DOCS)
}
