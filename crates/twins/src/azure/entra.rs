//! Entra ID on the Azure twin: `POST /_twin/entra` registers a service principal (tenant, client
//! id, client secret or certificate public key, token lifetime); `POST /{tenant}/oauth2/v2.0/token`
//! at the twin's root grants client-credentials tokens with Entra ID's error bodies
//! (`{"error", "error_description", "error_codes", …}`, e.g. AADSTS7000215 for a wrong secret);
//! the API guard takes those tokens until they expire. `POST /_twin/clock` moves their clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::state::AzureState;

/// Azure DevOps' resource id, the audience of its tokens.
const AZURE_DEVOPS: &str = "499b84ac-1321-427f-aa17-267ca6975798";

#[derive(Debug, Clone)]
struct Principal {
    tenant_id: String,
    client_id: String,
    client_secret: Option<String>,
    ttl_s: i64,
}

/// What a bearer token is to the guard.
pub enum TokenCheck {
    Valid,
    Expired,
    Unknown,
}

#[derive(Default)]
struct Inner {
    principals: Vec<Principal>,
    tokens: HashMap<String, i64>,
    offset_s: i64,
    issued: u64,
    expired_refusals: u64,
}

/// The service principals of one twin.
#[derive(Default)]
pub struct Entra {
    inner: Mutex<Inner>,
}

impl Entra {
    fn now(inner: &Inner) -> i64 {
        chrono::Utc::now().timestamp() + inner.offset_s
    }

    /// Whether `token` is one this twin issued, and still valid.
    pub fn check(&self, token: &str) -> TokenCheck {
        let mut inner = self.inner.lock().expect("entra lock");
        let now = Entra::now(&inner);
        match inner.tokens.get(token).copied() {
            None => TokenCheck::Unknown,
            Some(expires) if now >= expires => {
                inner.expired_refusals += 1;
                TokenCheck::Expired
            }
            Some(_) => TokenCheck::Valid,
        }
    }
}

/// Entra ID's error body.
fn refusal(status: StatusCode, error: &str, code: u64, description: &str) -> Response {
    let trace = uuid::Uuid::new_v4();
    let correlation = uuid::Uuid::new_v4();
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace.to_string(),
        "correlation_id": correlation.to_string(),
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    (status, Json(body)).into_response()
}

/// `POST /_twin/entra` `{"tenant_id", "client_id", "client_secret", "token_ttl_s"}`.
pub async fn register(State(state): State<Arc<AzureState>>, Json(body): Json<Value>) -> Response {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string).filter(|s| !s.is_empty());
    let (Some(tenant_id), Some(client_id)) = (text("tenant_id"), text("client_id")) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"message": "`tenant_id` and `client_id` are required"})))
            .into_response();
    };
    let principal = Principal {
        tenant_id,
        client_id,
        client_secret: text("client_secret"),
        ttl_s: body.get("token_ttl_s").and_then(Value::as_i64).unwrap_or(3599).max(1),
    };
    let mut inner = state.entra.inner.lock().expect("entra lock");
    inner.principals.retain(|p| !(p.tenant_id == principal.tenant_id && p.client_id == principal.client_id));
    inner.principals.push(principal);
    StatusCode::CREATED.into_response()
}

/// `GET /_twin/entra`: how many tokens were issued and refused as expired.
pub async fn report(State(state): State<Arc<AzureState>>) -> Json<Value> {
    let inner = state.entra.inner.lock().expect("entra lock");
    Json(json!({"tokens_issued": inner.issued, "expired_refusals": inner.expired_refusals}))
}

/// `POST /_twin/clock` `{"advance_s": N}`.
pub async fn advance(State(state): State<Arc<AzureState>>, Json(body): Json<Value>) -> Json<Value> {
    let mut inner = state.entra.inner.lock().expect("entra lock");
    inner.offset_s += body.get("advance_s").and_then(Value::as_i64).unwrap_or(0).max(0);
    Json(json!({"offset_s": inner.offset_s}))
}

/// `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant.
pub async fn token(State(state): State<Arc<AzureState>>, Path(tenant): Path<String>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body).to_string();
    let form: HashMap<String, String> = format!("/?{text}")
        .parse()
        .ok()
        .and_then(|uri| Query::<Vec<(String, String)>>::try_from_uri(&uri).ok())
        .map(|Query(pairs)| pairs.into_iter().collect())
        .unwrap_or_default();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let bad = StatusCode::BAD_REQUEST;
    let mut inner = state.entra.inner.lock().expect("entra lock");
    if !inner.principals.iter().any(|p| p.tenant_id.eq_ignore_ascii_case(&tenant)) {
        return refusal(
            bad,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    if field("grant_type").is_empty() {
        return refusal(
            bad,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        );
    }
    if field("grant_type") != "client_credentials" {
        return refusal(bad, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
    }
    let client_id = field("client_id");
    let Some(principal) = inner
        .principals
        .iter()
        .find(|p| p.tenant_id.eq_ignore_ascii_case(&tenant) && p.client_id.eq_ignore_ascii_case(client_id))
        .cloned()
    else {
        return refusal(
            bad,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
            ),
        );
    };
    if !field("scope").ends_with("/.default") {
        return refusal(
            bad,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
                field("scope")
            ),
        );
    }
    let secret_ok = principal.client_secret.as_deref().is_some_and(|s| !s.is_empty() && s == field("client_secret"));
    if !secret_ok {
        if field("client_secret").is_empty() && field("client_assertion").is_empty() {
            return refusal(
                bad,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        }
        if !field("client_assertion").is_empty() {
            return refusal(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700027,
                "Client assertion failed signature validation. (the twin registers client secrets only)",
            );
        }
        return refusal(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                principal.client_id
            ),
        );
    }
    let expires = Entra::now(&inner) + principal.ttl_s;
    let claims = json!({
        "aud": AZURE_DEVOPS, "iss": format!("https://sts.windows.net/{}/", principal.tenant_id),
        "appid": principal.client_id, "tid": principal.tenant_id, "exp": expires, "jti": uuid::Uuid::new_v4().to_string(),
    });
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"RS256"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
    );
    inner.tokens.insert(token.clone(), expires);
    inner.issued += 1;
    let body = json!({
        "token_type": "Bearer", "expires_in": principal.ttl_s, "ext_expires_in": principal.ttl_s, "access_token": token,
    });
    (StatusCode::OK, Json(body)).into_response()
}
