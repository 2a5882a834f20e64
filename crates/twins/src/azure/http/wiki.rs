//! Wiki endpoints: list/get wikis and create, edit, read and delete pages by path or id, with the
//! page version in `ETag` and `If-Match` deciding between create (201), edit (200) and conflict.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{Params, PathParams, json_body, list_body, path_number, route_project};
use crate::azure::errors::AzureError;
use crate::azure::state::AzureState;
use crate::azure::store::Store;
use crate::azure::wiki::{Recursion, Wiki, normalize_path};

type Answer = Result<Response, AzureError>;

fn wiki_index(store: &Store, params: &PathParams) -> Result<usize, AzureError> {
    let project = route_project(store, params)?;
    let name = params.get("wikiIdentifier").cloned().unwrap_or_default();
    store
        .wikis
        .iter()
        .position(|w| w.answers_to(&name) && project.as_ref().is_none_or(|p| p.id == w.project_id))
        .ok_or(AzureError::WikiNotFound { name })
}

fn with_etag(status: StatusCode, body: Value, version: &str) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert("etag", value);
    }
    response
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers.get("if-match").and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn content_of(body: &Bytes) -> Result<String, AzureError> {
    let body = json_body(body)?;
    Ok(body.get("content").and_then(Value::as_str).unwrap_or_default().to_string())
}

/// `GET …/wiki/wikis` (organization or project).
pub async fn list(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let store = state.store();
    let project = route_project(&store, &params)?;
    let values = store
        .wikis
        .iter()
        .filter(|w| project.as_ref().is_none_or(|p| p.id == w.project_id))
        .map(|w| w.to_json(&store.base_url))
        .collect();
    Ok(Json(list_body(values)).into_response())
}

/// `GET …/wiki/wikis/{wikiIdentifier}`.
pub async fn get(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let store = state.store();
    let index = wiki_index(&store, &params)?;
    Ok(Json(store.wikis[index].to_json(&store.base_url)).into_response())
}

fn read(store: &Store, wiki: &Wiki, path: &str, q: &Params, headers: &HeaderMap) -> Answer {
    let path = normalize_path(path);
    let version = if path == "/" {
        wiki.root_version()
    } else {
        wiki.page(&path).ok_or_else(|| AzureError::WikiPageNotFound { path: path.clone() })?.version.clone()
    };
    let wants_text = headers.get("accept").and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/plain"));
    if wants_text {
        let content = wiki.page(&path).map(|p| p.content.clone()).unwrap_or_default();
        let mut response = (StatusCode::OK, content).into_response();
        response.headers_mut().insert("content-type", HeaderValue::from_static("text/plain; charset=utf-8"));
        if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
            response.headers_mut().insert("etag", value);
        }
        return Ok(response);
    }
    let depth = Recursion::parse(q.get("recursionLevel"));
    let body = wiki
        .page_json(&store.base_url, &path, depth, q.flag("includeContent"))
        .ok_or(AzureError::WikiPageNotFound { path })?;
    Ok(with_etag(StatusCode::OK, body, &version))
}

/// `GET …/pages?path=…`.
pub async fn get_page(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    headers: HeaderMap,
) -> Answer {
    let store = state.store();
    let index = wiki_index(&store, &params)?;
    read(&store, &store.wikis[index], q.get("path").unwrap_or("/"), &q, &headers)
}

/// `GET …/pages/{id}`.
pub async fn get_page_by_id(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    headers: HeaderMap,
) -> Answer {
    let store = state.store();
    let index = wiki_index(&store, &params)?;
    let wiki = &store.wikis[index];
    let id = path_number(&params, "id")?;
    let path =
        wiki.page_by_id(id).map(|p| p.path.clone()).ok_or(AzureError::WikiPageNotFound { path: id.to_string() })?;
    read(&store, wiki, &path, &q, &headers)
}

fn write(state: &AzureState, params: &PathParams, path: Option<String>, headers: &HeaderMap, body: &Bytes) -> Answer {
    let content = content_of(body)?;
    let mut store = state.store();
    let index = wiki_index(&store, params)?;
    let path = match path {
        Some(path) => path,
        None => {
            let id = path_number(params, "id")?;
            store.wikis[index]
                .page_by_id(id)
                .map(|p| p.path.clone())
                .ok_or(AzureError::WikiPageNotFound { path: id.to_string() })?
        }
    };
    let base = store.base_url.clone();
    let wiki = &mut store.wikis[index];
    let (page, created) = wiki.put(&path, &content, if_match(headers).as_deref())?;
    let body = wiki.page_json(&base, &page.path, Recursion::None, true).expect("page just written");
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(with_etag(status, body, &page.version))
}

/// `PUT …/pages?path=…` (no `If-Match`: create; `If-Match: <ETag>`: edit).
pub async fn put_page(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let path = q
        .get("path")
        .map(str::to_string)
        .ok_or_else(|| AzureError::BadArgument { message: "Value cannot be null.\r\nParameter name: path".into() })?;
    write(&state, &params, Some(path), &headers, &body)
}

/// `PATCH …/pages/{id}` (edit by id; `If-Match` required).
pub async fn patch_page(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    if if_match(&headers).is_none() {
        return Err(AzureError::WikiIfMatchInvalid);
    }
    write(&state, &params, None, &headers, &body)
}

fn remove(state: &AzureState, params: &PathParams, path: Option<String>) -> Answer {
    let mut store = state.store();
    let index = wiki_index(&store, params)?;
    let path = match path {
        Some(path) => path,
        None => {
            let id = path_number(params, "id")?;
            store.wikis[index]
                .page_by_id(id)
                .map(|p| p.path.clone())
                .ok_or(AzureError::WikiPageNotFound { path: id.to_string() })?
        }
    };
    let base = store.base_url.clone();
    let wiki = &mut store.wikis[index];
    let mut body = wiki
        .page_json(&base, &path, Recursion::None, false)
        .ok_or_else(|| AzureError::WikiPageNotFound { path: normalize_path(&path) })?;
    wiki.delete(&path)?;
    body["content"] = Value::from("");
    Ok(with_etag(StatusCode::OK, body, ""))
}

/// `DELETE …/pages?path=…`.
pub async fn delete_page(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, q: Params) -> Answer {
    let path = q
        .get("path")
        .map(str::to_string)
        .ok_or_else(|| AzureError::BadArgument { message: "Value cannot be null.\r\nParameter name: path".into() })?;
    remove(&state, &params, Some(path))
}

/// `DELETE …/pages/{id}`.
pub async fn delete_page_by_id(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    remove(&state, &params, None)
}
