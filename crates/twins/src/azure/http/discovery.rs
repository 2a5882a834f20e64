//! Resource-location discovery, which Microsoft's SDKs (Python, .NET, Node) call before anything
//! else: `OPTIONS {organization}/_apis` (the `ApiResourceLocation` list: id, area, resource name,
//! route template and versions) and `GET {organization}/_apis/ResourceAreas[/{areaId}]` (where
//! each area is served), for the areas the twin serves (wit, core projects, wiki, location).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{PathParams, list_body};
use crate::azure::errors::AzureError;
use crate::azure::state::AzureState;

/// One resource location: (id, area, resource name, route template, resource version, min version).
type Location = (&'static str, &'static str, &'static str, &'static str, u32, &'static str);

/// The locations the twin serves; ids are the service's, so clients find them by id.
pub const LOCATIONS: &[Location] = &[
    ("72c7ddf8-2cdc-4f60-90cd-ab71c14a399b", "wit", "workItems", "{project}/_apis/{area}/{resource}/{id}", 3, "1.0"),
    ("62d3d110-0047-428c-ad3c-4fe872c91c74", "wit", "workItems", "{project}/_apis/{area}/{resource}/${type}", 3, "1.0"),
    ("908509b6-4248-4475-a1cd-829139ba419f", "wit", "workItemsBatch", "{project}/_apis/{area}/{resource}", 1, "4.1"),
    ("1a9c53f7-f243-4447-b110-35ef023636e4", "wit", "wiql", "{project}/{team}/_apis/{area}/{resource}/{id}", 2, "1.0"),
    (
        "608aac0a-32e1-4493-a863-b9cf4566d257",
        "wit",
        "comments",
        "{project}/_apis/{area}/workItems/{workItemId}/{resource}/{commentId}",
        4,
        "5.0",
    ),
    (
        "7c8d7a76-4a09-43e8-b5df-bd792f4ac6aa",
        "wit",
        "workItemTypes",
        "{project}/_apis/{area}/{resource}/{type}",
        2,
        "1.0",
    ),
    (
        "7c9d7a76-4a09-43e8-b5df-bd792f4ac6aa",
        "wit",
        "workItemTypeStates",
        "{project}/_apis/{area}/workitemtypes/{type}/states",
        1,
        "5.0",
    ),
    (
        "bd293ce5-3d25-4192-8e67-e8092e879efb",
        "wit",
        "workItemTypesField",
        "{project}/_apis/{area}/workitemtypes/{type}/fields/{field}",
        3,
        "5.0",
    ),
    (
        "9b9f5734-36c8-415e-ba67-f83b45c31408",
        "wit",
        "workItemTypeCategories",
        "{project}/_apis/{area}/{resource}/{category}",
        2,
        "1.0",
    ),
    (
        "b51fd764-e5c2-4b9b-aaf7-3395cf4bdd94",
        "wit",
        "fields",
        "{project}/_apis/{area}/{resource}/{fieldNameOrRefName}",
        3,
        "1.0",
    ),
    (
        "f5d33bc9-5b49-4a3c-a9bd-f3cd46dd2165",
        "wit",
        "workItemRelationTypes",
        "_apis/{area}/{resource}/{relation}",
        2,
        "1.0",
    ),
    (
        "a00c85a5-80fa-4565-99c3-bcd2181434bb",
        "wit",
        "revisions",
        "{project}/_apis/{area}/workItems/{id}/{resource}/{revisionNumber}",
        3,
        "1.0",
    ),
    (
        "6570bf97-d02c-4a91-8d93-3abe9895b1a9",
        "wit",
        "updates",
        "{project}/_apis/{area}/workItems/{id}/{resource}/{updateNumber}",
        3,
        "1.0",
    ),
    ("b70d8d39-926c-465e-b927-b1bf0e5ca0e0", "wit", "recycleBin", "{project}/_apis/{area}/{resource}/{id}", 2, "2.0"),
    ("603fe2ac-9723-48b9-88ad-09305aa6c6e1", "core", "projects", "_apis/{resource}/{*projectId}", 4, "1.0"),
    (
        "288d122c-dbd4-451d-aa5f-7dbbba070728",
        "wiki",
        "wikis",
        "{project}/_apis/{area}/{resource}/{*wikiIdentifier}",
        2,
        "4.0",
    ),
    (
        "25d3fbc7-fe3d-46cb-b5a5-0b6f79caf27b",
        "wiki",
        "pages",
        "{project}/_apis/{area}/wikis/{wikiIdentifier}/{resource}",
        1,
        "4.0",
    ),
    ("e81700f7-3be2-46de-8624-2eb35882fcaa", "Location", "ResourceAreas", "_apis/{resource}/{areaId}", 1, "3.2"),
];

/// The resource areas the twin serves: (id, name).
pub const AREAS: &[(&str, &str)] = &[
    ("5264459e-e5e0-4bd8-b118-0985e68a4ec5", "wit"),
    ("79134c72-4a58-4b42-976c-04e7115f32bf", "core"),
    ("bf7d82a0-8aa5-4613-94ef-6172a5ea01f3", "wiki"),
];

/// The newest version each location serves (the twin's [`super::guard::LATEST`]) and the
/// released one (the connector's and the documentation's 7.1).
const MAX_VERSION: &str = "7.2";
const RELEASED_VERSION: &str = "7.1";

fn location_json((id, area, resource, template, resource_version, min): &Location) -> Value {
    json!({
        "id": id,
        "area": area,
        "resourceName": resource,
        "routeTemplate": template,
        "resourceVersion": resource_version,
        "minVersion": min,
        "maxVersion": MAX_VERSION,
        "releasedVersion": RELEASED_VERSION,
    })
}

/// `OPTIONS {organization}/_apis`: every resource location, as a collection.
pub async fn locations() -> Response {
    Json(list_body(LOCATIONS.iter().map(location_json).collect())).into_response()
}

fn area_json(base: &str, (id, name): &(&str, &str)) -> Value {
    json!({ "id": id, "name": name, "locationUrl": format!("{}/", base.trim_end_matches('/')) })
}

/// `GET {organization}/_apis/ResourceAreas`.
pub async fn areas(State(state): State<Arc<AzureState>>) -> Response {
    Json(list_body(AREAS.iter().map(|a| area_json(&state.base, a)).collect())).into_response()
}

/// `GET {organization}/_apis/ResourceAreas/{areaId}`: one area by id or name; an unknown one is
/// the service's 404.
pub async fn area(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Response {
    let wanted = params.get("areaId").cloned().unwrap_or_default();
    match AREAS.iter().find(|(id, name)| id.eq_ignore_ascii_case(&wanted) || name.eq_ignore_ascii_case(&wanted)) {
        Some(found) => Json(area_json(&state.base, found)).into_response(),
        None => AzureError::RouteNotFound.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_ids_are_unique_and_templates_name_their_resource() {
        let mut ids: Vec<&str> = LOCATIONS.iter().map(|l| l.0).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), LOCATIONS.len());
        for (id, _, _, template, _, _) in LOCATIONS {
            assert!(template.contains("_apis/"), "{id}: {template}");
        }
    }
}
