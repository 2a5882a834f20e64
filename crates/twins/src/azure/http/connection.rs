//! `GET {organization}/_apis/connectionData` (the location service's connection data, preview
//! only): who the credentials act as (`authenticatedUser`, `authorizedUser`) and where the
//! organization is served. Clients ask it to learn their own identity; backlog-sync adopts a work
//! item carrying its marker tag only when that identity created it (`System.CreatedBy`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::guard::ApiVersion;
use crate::azure::errors::AzureError;
use crate::azure::identity::Identity;
use crate::azure::state::AzureState;

/// The identity as the location service describes it.
fn described(person: &Identity) -> Value {
    json!({
        "id": person.id.to_string(),
        "descriptor": format!("Microsoft.IdentityModel.Claims.ClaimsIdentity;{}", person.unique_name),
        "subjectDescriptor": person.descriptor(),
        "providerDisplayName": person.display_name,
        "isActive": true,
        "members": [],
        "memberOf": [],
        "properties": {
            "Account": {"$type": "System.String", "$value": person.unique_name},
        },
        "resourceVersion": 2,
        "metaTypeId": 0,
    })
}

/// `GET {organization}/_apis/connectionData`.
pub async fn get(State(state): State<Arc<AzureState>>, Extension(version): Extension<ApiVersion>) -> Response {
    if !version.preview {
        return AzureError::PreviewRequired { version: format!("{}.{}", version.major, version.minor) }.into_response();
    }
    let me = described(&state.user);
    let instance = crate::azure::store::stable_uuid(&format!("instance:{}", state.organization));
    Json(json!({
        "authenticatedUser": me,
        "authorizedUser": me,
        "instanceId": instance.to_string(),
        "deploymentId": instance.to_string(),
        "deploymentType": "hosted",
        "locationServiceData": {
            "serviceOwner": "00025394-6065-48ca-87d9-7f5672854ef7",
            "defaultAccessMappingMoniker": "PublicAccessMapping",
            "lastChangeId": 1,
            "lastChangeId64": 1,
        },
    }))
    .into_response()
}
