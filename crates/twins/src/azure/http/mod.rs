//! The Azure twin's HTTP surface: the route table (Work Item Tracking and Wiki under
//! `/{organization}/…`, path templates as in the spec), the service's case-insensitive path words,
//! and what handlers share (query parameters, list bodies, the request's project).

pub mod batch;
pub mod comments;
pub mod connection;
pub mod discovery;
pub mod guard;
pub mod iterations;
pub mod meta;
pub mod projects;
pub mod queries;
pub mod wiki;
pub mod workitems;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, options, post};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::errors::AzureError;
use super::state::AzureState;
use super::store::{Project, Store};
use crate::control::twin_router;

/// Path words the service matches in any case (`workItems`, `WorkItems`, `recycleBin`, …).
const WORDS: &[&str] = &[
    "_apis",
    "connectiondata",
    "wit",
    "workitems",
    "workitemsbatch",
    "wiql",
    "recyclebin",
    "revisions",
    "updates",
    "comments",
    "workitemtypes",
    "states",
    "fields",
    "workitemrelationtypes",
    "workitemtypecategories",
    "wiki",
    "wikis",
    "pages",
    "projects",
    "resourceareas",
    "classificationnodes",
    "work",
    "teamsettings",
    "iterations",
];

/// Rewrites a path so the route table (lowercase words) matches however a client spelled it.
pub fn canonical_path(path: &str) -> String {
    let mut seen_apis = false;
    let mut previous = String::new();
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| {
            let lower = segment.to_ascii_lowercase();
            let out = if lower == "_apis" {
                seen_apis = true;
                lower.clone()
            } else if seen_apis && WORDS.contains(&lower.as_str()) {
                lower.clone()
            } else if seen_apis && previous == "workitems" && lower.starts_with("%24") {
                format!("${}", &segment[3..])
            } else {
                segment.to_string()
            };
            previous = out.to_ascii_lowercase();
            out
        })
        .collect();
    segments.join("/")
}

fn normalize(mut request: Request) -> Request {
    let path = request.uri().path();
    let canonical = canonical_path(path);
    if canonical != path {
        let rebuilt = match request.uri().query() {
            Some(query) => format!("{canonical}?{query}"),
            None => canonical,
        };
        if let Ok(uri) = rebuilt.parse::<Uri>() {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// The whole twin: API routes behind the guard and control middleware, `/_twin/*`, and the
/// path normalisation in front of routing.
pub fn router(state: Arc<AzureState>) -> Router {
    let o = "/{organization}/_apis/wit";
    let p = "/{organization}/{project}/_apis/wit";
    let w = "/{organization}/{project}/_apis/wiki/wikis";
    let mut api = Router::new()
        .route(&format!("{o}/$batch"), post(batch::update_many_legacy).patch(batch::update_many))
        .route(&format!("{o}/workitemrelationtypes"), get(meta::relation_types))
        .route(&format!("{o}/workitemrelationtypes/{{relation}}"), get(meta::relation_type))
        .route(&format!("{p}/workitemtypecategories"), get(meta::categories))
        .route(&format!("{p}/workitemtypes"), get(meta::types))
        .route(&format!("{p}/workitemtypes/{{type}}"), get(meta::work_item_type))
        .route(&format!("{p}/workitemtypes/{{type}}/fields"), get(meta::type_fields))
        .route(&format!("{p}/workitemtypes/{{type}}/fields/{{field}}"), get(meta::type_field))
        .route(&format!("{p}/workitemtypes/{{type}}/states"), get(meta::states))
        .route(&format!("{p}/workitems/${{type}}"), post(workitems::create))
        .route(&format!("{p}/workitems/{{id}}/comments"), get(comments::list).post(comments::add))
        .route(
            &format!("{p}/workitems/{{id}}/comments/{{commentId}}"),
            get(comments::get).patch(comments::update).delete(comments::delete),
        )
        .route("/{organization}/{project}/{team}/_apis/wit/wiql", post(queries::wiql))
        .route(&format!("{p}/classificationnodes/iterations"), get(iterations::get).post(iterations::create))
        .route(
            &format!("{p}/classificationnodes/iterations/{{*path}}"),
            get(iterations::get).post(iterations::create).patch(iterations::update),
        )
        .route(
            "/{organization}/{project}/{team}/_apis/work/teamsettings/iterations",
            get(iterations::team_list).post(iterations::team_add),
        )
        .route("/{organization}/_apis", options(discovery::locations))
        .route("/{organization}/_apis/resourceareas", get(discovery::areas))
        .route("/{organization}/_apis/resourceareas/{areaId}", get(discovery::area))
        .route("/{organization}/_apis/connectiondata", get(connection::get))
        .route("/{organization}/_apis/projects", get(projects::list))
        .route("/{organization}/_apis/projects/{projectId}", get(projects::get))
        .route("/{organization}/_apis/wiki/wikis", get(wiki::list))
        .route("/{organization}/_apis/wiki/wikis/{wikiIdentifier}", get(wiki::get))
        .route(w, get(wiki::list))
        .route(&format!("{w}/{{wikiIdentifier}}"), get(wiki::get))
        .route(
            &format!("{w}/{{wikiIdentifier}}/pages"),
            get(wiki::get_page).put(wiki::put_page).delete(wiki::delete_page),
        )
        .route(
            &format!("{w}/{{wikiIdentifier}}/pages/{{id}}"),
            get(wiki::get_page_by_id).patch(wiki::patch_page).delete(wiki::delete_page_by_id),
        );
    for scope in [o, p] {
        api = api
            .route(&format!("{scope}/fields"), get(meta::fields))
            .route(&format!("{scope}/fields/{{field}}"), get(meta::field))
            .route(&format!("{scope}/workitems"), get(workitems::list))
            .route(
                &format!("{scope}/workitems/{{id}}"),
                get(workitems::get).patch(workitems::update).delete(workitems::delete),
            )
            .route(&format!("{scope}/workitems/{{id}}/revisions"), get(workitems::revisions))
            .route(&format!("{scope}/workitems/{{id}}/revisions/{{revisionNumber}}"), get(workitems::revision))
            .route(&format!("{scope}/workitems/{{id}}/updates"), get(workitems::updates))
            .route(&format!("{scope}/workitems/{{id}}/updates/{{updateNumber}}"), get(workitems::update_by_number))
            .route(&format!("{scope}/workitemsbatch"), post(workitems::batch))
            .route(&format!("{scope}/recyclebin"), get(workitems::recycle_bin_list))
            .route(&format!("{scope}/recyclebin/{{id}}"), get(workitems::recycle_bin).patch(workitems::restore))
            .route(&format!("{scope}/wiql"), post(queries::wiql));
    }
    let api = api
        .fallback(|| async { AzureError::RouteNotFound.into_response() })
        .layer(from_fn_with_state(state.clone(), guard::guard))
        .with_state(state.clone());
    let entra = Router::new()
        .route("/_twin/entra", get(super::entra::report).post(super::entra::register))
        .route("/_twin/clock", post(super::entra::advance))
        .route("/{organization}/oauth2/v2.0/token", post(super::entra::token))
        .with_state(state.clone());
    let twin = twin_router(state, api).merge(entra);
    Router::new().fallback_service(twin.map_request(normalize))
}

/// Query parameters, looked up ignoring case (`$top`, `api-version`, `ids`, …), and the
/// `api-version` the guard read (from the query or the `Accept` header).
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>, pub Option<guard::ApiVersion>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Params, Response> {
        let axum::extract::Query(pairs) = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|_| {
                AzureError::BadArgument { message: "The query string could not be read.".into() }.into_response()
            })?;
        Ok(Params(pairs, parts.extensions.get::<guard::ApiVersion>().copied()))
    }
}

impl Params {
    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// A `true`/`false` parameter (absent is false).
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// A whole-number parameter.
    pub fn number(&self, name: &str) -> Result<Option<usize>, AzureError> {
        self.get(name)
            .map(|v| {
                v.trim().parse::<usize>().map_err(|_| AzureError::BadArgument {
                    message: format!("The value '{v}' is not valid for parameter '{name}'; use a whole number."),
                })
            })
            .transpose()
    }

    /// A comma-separated list parameter.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
    }
}

/// Path parameters by name.
pub type PathParams = HashMap<String, String>;

/// The project a route names, when it names one.
pub fn route_project(store: &Store, params: &PathParams) -> Result<Option<Project>, AzureError> {
    params.get("project").map(|p| store.project(p).cloned()).transpose()
}

/// A path number (`{id}`, `{revisionNumber}`…); a non-number is the service's 400.
pub fn path_number(params: &PathParams, name: &str) -> Result<i64, AzureError> {
    let raw = params.get(name).map(String::as_str).unwrap_or_default();
    raw.parse().map_err(|_| AzureError::BadArgument {
        message: format!("The value '{raw}' is not valid for '{name}'; it must be a whole number."),
    })
}

/// `{count, value}`, the service's list body.
pub fn list_body(values: Vec<Value>) -> Value {
    json!({ "count": values.len(), "value": values })
}

/// The `Content-Type` media type of a request, lowercased without parameters.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Parses a JSON request body.
pub fn json_body(bytes: &[u8]) -> Result<Value, AzureError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AzureError::BadArgument { message: "Value cannot be null.\r\nParameter name: body".into() });
    }
    serde_json::from_slice(bytes)
        .map_err(|e| AzureError::BadArgument { message: format!("The request body is not valid JSON: {e}.") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_words_match_in_any_case() {
        let cases = [
            ("/contoso/P/_apis/wit/workItems/5", "/contoso/P/_apis/wit/workitems/5"),
            ("/contoso/_apis/wit/WorkItems/5/Revisions/2", "/contoso/_apis/wit/workitems/5/revisions/2"),
            ("/contoso/P/_apis/wit/workitems/%24User%20Story", "/contoso/P/_apis/wit/workitems/$User%20Story"),
            ("/contoso/P/_apis/wit/recycleBin/4", "/contoso/P/_apis/wit/recyclebin/4"),
            ("/Contoso/Fields/_apis/wit/fields/System.Title", "/Contoso/Fields/_apis/wit/fields/System.Title"),
            ("/_twin/stats", "/_twin/stats"),
        ];
        for (path, want) in cases {
            assert_eq!(canonical_path(path), want, "{path}");
        }
    }
}
