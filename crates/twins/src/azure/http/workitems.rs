//! Work item endpoints: get one, get many (`?ids=` and `workitemsbatch`, at most 200), create
//! (`$Type`), update (JSON Patch), delete/destroy, revisions, updates, and the recycle bin.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::guard::ApiVersion;
use super::{Params, PathParams, json_body, list_body, media_type, path_number, route_project};
use crate::azure::edit::{self, WriteOptions};
use crate::azure::errors::AzureError;
use crate::azure::fields::parse_date;
use crate::azure::patch;
use crate::azure::render::{self, Expand, View};
use crate::azure::state::AzureState;
use crate::azure::store::{Snapshot, Store, WorkItem};

/// The most ids one request may ask for.
pub const BATCH_LIMIT: usize = 200;

type Answer = Result<Response, AzureError>;

fn at_time<'a>(item: &'a WorkItem, as_of: Option<&str>) -> Result<&'a Snapshot, AzureError> {
    let Some(text) = as_of else { return Ok(item.current()) };
    let at = parse_date(text).ok_or_else(|| AzureError::BadArgument {
        message: format!(
            "The value '{text}' is not valid for parameter 'asOf'; use a date such as 2024-01-02T10:00:00Z."
        ),
    })?;
    item.revisions.iter().rev().find(|s| s.changed_date() <= at).ok_or(AzureError::WorkItemNotFound { id: item.id })
}

/// `GET …/workitems/{id}`.
pub async fn get(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, q: Params) -> Answer {
    let store = state.store();
    let project = route_project(&store, &params)?;
    let item = store.live(path_number(&params, "id")?, project.as_ref())?;
    let view = View::new(Expand::parse(q.get("$expand"))?, q.list("fields"), true)?.at(q.1);
    let snapshot = at_time(item, q.get("asOf"))?;
    Ok(Json(render::work_item(&store, item, snapshot, &view, &render::item_url(&store, item))).into_response())
}

fn many(
    store: &Store,
    project: Option<&crate::azure::store::Project>,
    ids: &[i64],
    view: &View,
    omit: bool,
    as_of: Option<&str>,
) -> Answer {
    if ids.is_empty() {
        return Err(AzureError::BadArgument {
            message: "Value cannot be null or empty.\r\nParameter name: ids".into(),
        });
    }
    if ids.len() > BATCH_LIMIT {
        return Err(AzureError::BadArgument {
            message: format!(
                "The number of work item ids in the request ({}) exceeds the limit of {BATCH_LIMIT}.\r\nParameter name: ids",
                ids.len()
            ),
        });
    }
    let mut values = Vec::new();
    for id in ids {
        match store.live(*id, project) {
            Ok(item) => {
                let snapshot = at_time(item, as_of)?;
                values.push(render::work_item(store, item, snapshot, view, &render::item_url(store, item)));
            }
            Err(_) if omit => values.push(Value::Null),
            Err(error) => return Err(error),
        }
    }
    Ok(Json(list_body(values)).into_response())
}

fn error_policy(text: Option<&str>) -> Result<bool, AzureError> {
    match text.map(str::to_ascii_lowercase).as_deref() {
        None | Some("fail") => Ok(false),
        Some("omit") => Ok(true),
        Some(other) => Err(AzureError::BadArgument {
            message: format!("The value '{other}' is not valid for 'errorPolicy'; use Fail or Omit."),
        }),
    }
}

fn parse_ids(values: &[String]) -> Result<Vec<i64>, AzureError> {
    values
        .iter()
        .map(|v| {
            v.parse().map_err(|_| AzureError::BadArgument {
                message: format!("The id '{v}' is not a valid work item id.\r\nParameter name: ids"),
            })
        })
        .collect()
}

/// `GET …/workitems?ids=…`.
pub async fn list(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, q: Params) -> Answer {
    let store = state.store();
    let project = route_project(&store, &params)?;
    let ids = parse_ids(&q.list("ids").unwrap_or_default())?;
    let view = View::new(Expand::parse(q.get("$expand"))?, q.list("fields"), false)?.at(q.1);
    many(&store, project.as_ref(), &ids, &view, error_policy(q.get("errorPolicy"))?, q.get("asOf"))
}

/// `POST …/workitemsbatch`.
pub async fn batch(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    body: Bytes,
) -> Answer {
    let request = json_body(&body)?;
    let store = state.store();
    let project = route_project(&store, &params)?;
    let ids: Vec<i64> = match request.get("ids").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .map(|v| {
                v.as_i64().ok_or_else(|| AzureError::BadArgument {
                    message: format!("The id '{v}' is not a valid work item id."),
                })
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let fields = request
        .get("fields")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|f| f.as_str().map(String::from)).collect());
    let expand = Expand::parse(request.get("$expand").and_then(Value::as_str))?;
    let view = View::new(expand, fields, false)?.at(q.1);
    let omit = error_policy(request.get("errorPolicy").and_then(Value::as_str))?;
    many(&store, project.as_ref(), &ids, &view, omit, request.get("asOf").and_then(Value::as_str))
}

fn require_patch_document(headers: &HeaderMap, method: &str) -> Result<(), AzureError> {
    let given = media_type(headers);
    if given == "application/json-patch+json" {
        Ok(())
    } else {
        Err(AzureError::UnsupportedContentType { given, method: method.to_string() })
    }
}

fn write_view(q: &Params) -> Result<View, AzureError> {
    let expand = match q.get("$expand") {
        None => Expand::Relations,
        some => Expand::parse(some)?,
    };
    Ok(View::new(expand, None, true)?.at(q.1))
}

fn options(state: &AzureState, q: &Params) -> WriteOptions {
    WriteOptions {
        actor: state.user.clone(),
        bypass_rules: q.flag("bypassRules"),
        validate_only: q.flag("validateOnly"),
    }
}

/// `POST …/workitems/${type}`.
pub async fn create(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    require_patch_document(&headers, "POST")?;
    let ops = patch::parse_document(&json_body(&body)?)?;
    let view = write_view(&q)?;
    let options = options(&state, &q);
    let (answer, notices) = {
        let mut store = state.store();
        let project = route_project(&store, &params)?.ok_or(AzureError::RouteNotFound)?;
        let type_name = params.get("type").cloned().unwrap_or_default();
        if options.validate_only {
            let mut trial = store.clone();
            let outcome = edit::create(
                &mut trial,
                &project.name,
                &type_name,
                &ops,
                &WriteOptions { validate_only: false, ..options },
            )?;
            let item = &trial.items[&outcome.id];
            return Ok(Json(render::current(&trial, item, &view)).into_response());
        }
        let outcome = edit::create(&mut store, &project.name, &type_name, &ops, &options)?;
        let notices = if q.flag("suppressNotifications") { Vec::new() } else { state.notices(&store, &outcome.events) };
        (render::current(&store, &store.items[&outcome.id], &view), notices)
    };
    state.deliver(notices);
    Ok(Json(answer).into_response())
}

/// `PATCH …/workitems/{id}`.
pub async fn update(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    require_patch_document(&headers, "PATCH")?;
    let ops = patch::parse_document(&json_body(&body)?)?;
    let view = write_view(&q)?;
    let options = options(&state, &q);
    let (answer, notices) = {
        let mut store = state.store();
        let project = route_project(&store, &params)?;
        let id = path_number(&params, "id")?;
        let outcome = edit::update(&mut store, id, project.as_ref().map(|p| p.name.as_str()), &ops, &options)?;
        let notices = if q.flag("suppressNotifications") { Vec::new() } else { state.notices(&store, &outcome.events) };
        (render::current(&store, &store.items[&id], &view), notices)
    };
    state.deliver(notices);
    Ok(Json(answer).into_response())
}

/// `DELETE …/workitems/{id}` (`?destroy=true` removes it for good).
pub async fn delete(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    Extension(version): Extension<ApiVersion>,
) -> Answer {
    let destroy = q.flag("destroy");
    let (answer, notices) = {
        let mut store = state.store();
        let project = route_project(&store, &params)?;
        let id = path_number(&params, "id")?;
        let events = edit::delete(&mut store, id, project.as_ref().map(|p| p.name.as_str()), destroy, &state.user)?;
        let notices = state.notices(&store, &events);
        let body = store.items.get(&id).map(|item| render::deleted(&store, item, Some(200)));
        if destroy {
            edit::purge(&mut store, id);
        }
        (body, notices)
    };
    state.deliver(notices);
    match answer {
        Some(body) if !destroy && !version.before(4, 1) => Ok(Json(body).into_response()),
        _ => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

fn page<T>(items: Vec<T>, q: &Params) -> Result<Vec<T>, AzureError> {
    let skip = q.number("$skip")?.unwrap_or(0);
    let top = q.number("$top")?.unwrap_or(usize::MAX);
    Ok(items.into_iter().skip(skip).take(top).collect())
}

/// `GET …/workitems/{id}/revisions`.
pub async fn revisions(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, q: Params) -> Answer {
    let store = state.store();
    let project = route_project(&store, &params)?;
    let item = store.live(path_number(&params, "id")?, project.as_ref())?;
    let view = View::new(Expand::parse(q.get("$expand"))?, None, false)?.at(q.1);
    let values = item.revisions.iter().map(|s| render::revision(&store, item, s, &view)).collect();
    Ok(Json(list_body(page(values, &q)?)).into_response())
}

/// `GET …/workitems/{id}/revisions/{revisionNumber}`.
pub async fn revision(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, q: Params) -> Answer {
    let store = state.store();
    let project = route_project(&store, &params)?;
    let item = store.live(path_number(&params, "id")?, project.as_ref())?;
    let number = path_number(&params, "revisionNumber")?;
    let snapshot = usize::try_from(number - 1)
        .ok()
        .and_then(|i| item.revisions.get(i))
        .ok_or(AzureError::WorkItemNotFound { id: item.id })?;
    let view = View::new(Expand::parse(q.get("$expand"))?, None, true)?.at(q.1);
    Ok(Json(render::revision(&store, item, snapshot, &view)).into_response())
}

/// `GET …/workitems/{id}/updates`.
pub async fn updates(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, q: Params) -> Answer {
    let store = state.store();
    let project = route_project(&store, &params)?;
    let item = store.live(path_number(&params, "id")?, project.as_ref())?;
    let values: Vec<Value> = (1..=item.rev())
        .filter_map(|rev| render::update(&store, item, rev))
        .map(|mut u| {
            if let Some(map) = u.as_object_mut() {
                map.remove("_links");
            }
            u
        })
        .collect();
    Ok(Json(list_body(page(values, &q)?)).into_response())
}

/// `GET …/workitems/{id}/updates/{updateNumber}`.
pub async fn update_by_number(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let store = state.store();
    let project = route_project(&store, &params)?;
    let item = store.live(path_number(&params, "id")?, project.as_ref())?;
    let number = u32::try_from(path_number(&params, "updateNumber")?).unwrap_or(0);
    let body = render::update(&store, item, number).ok_or(AzureError::WorkItemNotFound { id: item.id })?;
    Ok(Json(body).into_response())
}

/// `GET …/recyclebin`: "Get Deleted Work Item Shallow References" (Work Item Tracking 7.1,
/// `Recyclebin - Get Deleted Work Item Shallow References`): every work item in the project's
/// recycle bin as a `WorkItemDeleteShallowReference` (`id` and `url`, the `recyclebin/{id}` URL),
/// in the service's list body `{count, value}`, with no paging. Without a project in the route,
/// the organization's. Ascending ids (the service documents no order).
pub async fn recycle_bin_list(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let store = state.store();
    let project = route_project(&store, &params)?;
    let values: Vec<Value> = store
        .items
        .values()
        .filter(|item| item.deleted.is_some())
        .filter(|item| project.as_ref().is_none_or(|p| p.name.eq_ignore_ascii_case(&item.project)))
        .map(|item| json!({ "id": item.id, "url": render::deleted_url(&store, item) }))
        .collect();
    Ok(Json(list_body(values)).into_response())
}

/// `GET …/recyclebin/{id}`.
pub async fn recycle_bin(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let store = state.store();
    let project = route_project(&store, &params)?;
    let item = store.deleted(path_number(&params, "id")?, project.as_ref())?;
    Ok(Json(render::deleted(&store, item, None)).into_response())
}

/// `PATCH …/recyclebin/{id}` with `{"isDeleted": false}`.
pub async fn restore(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, body: Bytes) -> Answer {
    let request = json_body(&body)?;
    if request.get("isDeleted") != Some(&json!(false)) {
        return Err(AzureError::BadArgument {
            message: "To restore a work item, send {\"isDeleted\": false}.\r\nParameter name: payload".into(),
        });
    }
    let (answer, notices) = {
        let mut store = state.store();
        let project = route_project(&store, &params)?;
        let id = path_number(&params, "id")?;
        if store.live(id, project.as_ref()).is_ok() {
            return Err(AzureError::NotDeleted { id });
        }
        let mut answer = store.deleted(id, project.as_ref()).map(|item| render::deleted(&store, item, Some(200)))?;
        let events = edit::restore(&mut store, id, project.as_ref().map(|p| p.name.as_str()))?;
        let item = &store.items[&id];
        answer["url"] = json!(render::item_url(&store, item));
        answer["resource"] = render::current(&store, item, &View { links_by_default: true, ..View::default() });
        (answer, state.notices(&store, &events))
    };
    state.deliver(notices);
    Ok(Json(answer).into_response())
}
