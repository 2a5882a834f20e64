//! What the process defines, read-only: relation types, fields, work item types (with their
//! fields, states and transitions) and type categories.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{PathParams, list_body, route_project};
use crate::azure::errors::AzureError;
use crate::azure::fields::{self, CORE_FIELDS, FieldDef, FieldKind};
use crate::azure::process::WorkItemTypeDef;
use crate::azure::relations::{self, RELATION_TYPES};
use crate::azure::state::AzureState;
use crate::azure::store::Project;

type Answer = Result<Response, AzureError>;

/// `GET …/workitemrelationtypes`.
pub async fn relation_types(State(state): State<Arc<AzureState>>) -> Answer {
    Ok(Json(list_body(RELATION_TYPES.iter().map(|r| r.to_json(&state.base)).collect())).into_response())
}

/// `GET …/workitemrelationtypes/{relation}`.
pub async fn relation_type(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let name = params.get("relation").cloned().unwrap_or_default();
    let def = relations::find(&name).ok_or(AzureError::UnknownRelationType { rel: name })?;
    Ok(Json(def.to_json(&state.base)).into_response())
}

fn field_json(base: &str, def: &FieldDef) -> Value {
    let operations: &[(&str, &str)] = match def.kind {
        FieldKind::Html | FieldKind::PlainText | FieldKind::History => {
            &[("SupportedOperations.Contains", "Contains"), ("SupportedOperations.NotContains", "Does Not Contain")]
        }
        FieldKind::TreePath => &[
            ("SupportedOperations.Equals", "="),
            ("SupportedOperations.NotEquals", "<>"),
            ("SupportedOperations.Under", "Under"),
            ("SupportedOperations.NotUnder", "Not Under"),
        ],
        _ => &[
            ("SupportedOperations.Equals", "="),
            ("SupportedOperations.NotEquals", "<>"),
            ("SupportedOperations.GreaterThan", ">"),
            ("SupportedOperations.LessThan", "<"),
            ("SupportedOperations.In", "In"),
        ],
    };
    json!({
        "name": def.name,
        "referenceName": def.reference_name,
        "type": def.kind.api_name(),
        "usage": "workItem",
        "readOnly": def.read_only,
        "canSortBy": !matches!(def.kind, FieldKind::Html | FieldKind::PlainText | FieldKind::History),
        "isQueryable": true,
        "isIdentity": def.kind == FieldKind::Identity,
        "isPicklist": !def.allowed.is_empty(),
        "isPicklistSuggested": false,
        "isLocked": false,
        "supportedOperations": operations.iter().map(|(r, n)| json!({ "referenceName": r, "name": n })).collect::<Vec<_>>(),
        "url": format!("{base}/_apis/wit/fields/{}", def.reference_name),
    })
}

fn find_field(name: &str) -> Result<&'static FieldDef, AzureError> {
    fields::find(name).ok_or_else(|| AzureError::FieldNotFound { name: name.to_string() })
}

/// `GET …/fields`.
pub async fn fields(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    route_project(&state.store(), &params)?;
    Ok(Json(list_body(fields::FIELDS.iter().map(|f| field_json(&state.base, f)).collect())).into_response())
}

/// `GET …/fields/{fieldNameOrRefName}`.
pub async fn field(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    route_project(&state.store(), &params)?;
    let def = find_field(params.get("field").map(String::as_str).unwrap_or_default())?;
    Ok(Json(field_json(&state.base, def)).into_response())
}

fn project_and_type(
    state: &AzureState,
    params: &PathParams,
) -> Result<(Project, Option<&'static WorkItemTypeDef>), AzureError> {
    let project = route_project(&state.store(), params)?.ok_or(AzureError::RouteNotFound)?;
    let ty = match params.get("type") {
        None => None,
        Some(name) => Some(
            project.process.find_type(name).ok_or_else(|| AzureError::WorkItemTypeNotFound { name: name.clone() })?,
        ),
    };
    Ok((project, ty))
}

fn type_url(base: &str, project: &Project, ty: &WorkItemTypeDef) -> String {
    format!("{base}/{}/_apis/wit/workItemTypes/{}", project.id, ty.name.replace(' ', "%20"))
}

fn fields_of(ty: &WorkItemTypeDef) -> impl Iterator<Item = &'static FieldDef> + '_ {
    fields::FIELDS
        .iter()
        .filter(move |f| CORE_FIELDS.contains(&f.reference_name) || ty.has_extra_field(f.reference_name))
}

/// A field of a type; `references` is the shape of the type-field endpoints (a missing default
/// is `null` there), otherwise the `fieldInstances` of the type (no default at all).
fn instance(base: &str, def: &FieldDef, ty: &WorkItemTypeDef, expand: bool, references: bool) -> Value {
    let mut body = json!({
        "alwaysRequired": matches!(def.reference_name, "System.Title" | "System.State" | "System.WorkItemType"),
        "referenceName": def.reference_name,
        "name": def.name,
        "url": format!("{base}/_apis/wit/fields/{}", def.reference_name),
        "helpText": format!("The {} of the {}", def.name.to_lowercase(), ty.name.to_lowercase()),
    });
    let default = match def.reference_name {
        "System.State" => Some(ty.initial_state().name.to_string()),
        "System.Reason" => Some(ty.initial_state().reason.to_string()),
        "Microsoft.VSTS.Common.Priority" => Some("2".to_string()),
        _ => None,
    };
    match default {
        Some(default) => body["defaultValue"] = Value::from(default),
        None if references => body["defaultValue"] = Value::Null,
        None => {}
    }
    let allowed: Vec<&str> = if def.reference_name == "System.State" {
        ty.states.iter().map(|s| s.name).collect()
    } else {
        def.allowed.to_vec()
    };
    if expand || def.reference_name == "System.State" {
        body["allowedValues"] = json!(allowed);
    }
    if expand {
        body["dependentFields"] = json!([]);
    }
    body
}

/// One `WorkItemStateTransition`: `actions` (the check-in action on the way into `Resolved`)
/// where the transition has some; the service leaves null properties out of its bodies.
fn transition(to: &str) -> Value {
    if to == "Resolved" {
        json!({ "to": to, "actions": ["Microsoft.VSTS.Actions.Checkin"] })
    } else {
        json!({ "to": to })
    }
}

fn type_json(base: &str, project: &Project, ty: &WorkItemTypeDef) -> Value {
    let instances: Vec<Value> = fields_of(ty).map(|f| instance(base, f, ty, false, false)).collect();
    let mut transitions = Map::new();
    transitions.insert(String::new(), json!([transition(ty.initial_state().name)]));
    for from in ty.states {
        let to: Vec<Value> = ty.states.iter().map(|s| transition(s.name)).collect();
        transitions.insert(from.name.to_string(), json!(to));
    }
    let url = type_url(base, project, ty);
    json!({
        "name": ty.name,
        "referenceName": ty.reference_name,
        "description": ty.description,
        "color": ty.color,
        "icon": { "id": ty.icon, "url": format!("{base}/_apis/wit/workItemIcons/{}?color={}&v=2", ty.icon, ty.color) },
        "isDisabled": false,
        "xmlForm": "",
        "fields": instances,
        "fieldInstances": instances,
        "transitions": transitions,
        "states": ty.states.iter().map(|s| json!({ "name": s.name, "color": s.color, "category": s.category })).collect::<Vec<_>>(),
        "_links": { "self": { "href": url } },
        "url": url,
    })
}

/// `GET …/workitemtypes`.
pub async fn types(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let (project, _) = project_and_type(&state, &params)?;
    Ok(Json(list_body(project.process.types().iter().map(|t| type_json(&state.base, &project, t)).collect()))
        .into_response())
}

/// `GET …/workitemtypes/{type}`.
pub async fn work_item_type(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let (project, ty) = project_and_type(&state, &params)?;
    Ok(Json(type_json(&state.base, &project, ty.expect("route has a type"))).into_response())
}

/// `GET …/workitemtypes/{type}/fields`.
pub async fn type_fields(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: super::Params,
) -> Answer {
    let (_, ty) = project_and_type(&state, &params)?;
    let ty = ty.expect("route has a type");
    let expand = q.get("$expand").is_some_and(|e| !e.eq_ignore_ascii_case("none"));
    Ok(Json(list_body(fields_of(ty).map(|f| instance(&state.base, f, ty, expand, true)).collect())).into_response())
}

/// `GET …/workitemtypes/{type}/fields/{field}`.
pub async fn type_field(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: super::Params,
) -> Answer {
    let (_, ty) = project_and_type(&state, &params)?;
    let ty = ty.expect("route has a type");
    let name = params.get("field").map(String::as_str).unwrap_or_default();
    let def = find_field(name)?;
    if !fields_of(ty).any(|f| f.reference_name == def.reference_name) {
        return Err(AzureError::FieldNotFound { name: name.to_string() });
    }
    let expand = q.get("$expand").is_some_and(|e| !e.eq_ignore_ascii_case("none"));
    Ok(Json(instance(&state.base, def, ty, expand, true)).into_response())
}

/// `GET …/workitemtypes/{type}/states`.
pub async fn states(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let (_, ty) = project_and_type(&state, &params)?;
    let values = ty
        .expect("route has a type")
        .states
        .iter()
        .map(|s| json!({ "name": s.name, "color": s.color, "category": s.category }))
        .collect();
    Ok(Json(list_body(values)).into_response())
}

/// `GET …/workitemtypecategories`.
pub async fn categories(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let (project, _) = project_and_type(&state, &params)?;
    let mut names: Vec<&str> = project.process.types().iter().map(|t| t.category).collect();
    names.dedup();
    let values = names
        .into_iter()
        .map(|category| {
            let members: Vec<Value> = project
                .process
                .types()
                .iter()
                .filter(|t| t.category == category)
                .map(|t| json!({ "name": t.name, "url": type_url(&state.base, &project, t) }))
                .collect();
            let label = category.trim_start_matches("Microsoft.").replace("Category", " Category");
            json!({
                "name": label,
                "referenceName": category,
                "defaultWorkItemType": members[0],
                "workItemTypes": members,
                "url": format!("{}/{}/_apis/wit/workItemTypeCategories/{category}", state.base, project.id),
            })
        })
        .collect();
    Ok(Json(list_body(values)).into_response())
}
