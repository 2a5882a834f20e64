//! GitHub Apps on the twin: `POST /_twin/apps` registers an app (id, slug, public key, token
//! lifetime, the repositories it is installed on), `GET /app`, `GET /repos/{owner}/{repo}/installation`
//! and `POST /app/installations/{id}/access_tokens` check the app JWT as GitHub does (RS256,
//! `iat`, `exp`, `iss`), and installation tokens that answer 401 once expired; what such a token
//! writes is authored by `<slug>[bot]`. `POST /_twin/clock` moves the clock tokens age on.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls_pki_types::SubjectPublicKeyInfoDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

use super::GithubState;
use super::errors::ApiError;

const JWT_DOCS: &str = "https://docs.github.com/rest";

tokio::task_local! {
    /// The login a request acts as when it carries an app's installation token.
    pub static ACTOR: String;
}

/// One registered app.
#[derive(Debug, Clone)]
struct App {
    slug: String,
    /// The RSA public key (PKCS#1 `RSAPublicKey`, DER).
    public_key: Vec<u8>,
    ttl_s: i64,
    installation_id: u64,
    /// `owner/name` in lowercase; `None`: every repository of the twin.
    repositories: Option<Vec<String>>,
}

/// What an installation token says about the request carrying it.
pub enum TokenCheck {
    /// Valid: act as this login.
    Valid(String),
    /// Was issued but has expired.
    Expired,
    /// Not an installation token.
    Unknown,
}

#[derive(Default)]
struct Inner {
    apps: BTreeMap<u64, App>,
    tokens: HashMap<String, (u64, i64)>,
    offset_s: i64,
    issued: u64,
    expired_refusals: u64,
}

/// The apps of one twin.
#[derive(Default)]
pub struct Apps {
    inner: Mutex<Inner>,
}

impl Apps {
    fn now(inner: &Inner) -> i64 {
        chrono::Utc::now().timestamp() + inner.offset_s
    }

    /// Checks a token the API layer did not recognise.
    pub fn check(&self, token: &str) -> TokenCheck {
        let mut inner = self.inner.lock().expect("apps lock");
        let now = Apps::now(&inner);
        let Some((app_id, expires)) = inner.tokens.get(token).copied() else {
            return TokenCheck::Unknown;
        };
        if now >= expires {
            inner.expired_refusals += 1;
            return TokenCheck::Expired;
        }
        inner.apps.get(&app_id).map_or(TokenCheck::Unknown, |a| TokenCheck::Valid(format!("{}[bot]", a.slug)))
    }

    /// Checks an app JWT as GitHub does; the app's id, or GitHub's 401.
    fn verify(&self, headers: &HeaderMap) -> Result<(u64, App), ApiError> {
        let undecodable = || ApiError::new(StatusCode::UNAUTHORIZED, "A JSON web token could not be decoded", JWT_DOCS);
        let claim = |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, message.to_string(), JWT_DOCS);
        let value = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let Some(jwt) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) else {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "A JSON web token could not be decoded", JWT_DOCS));
        };
        let parts: Vec<&str> = jwt.trim().split('.').collect();
        if parts.len() != 3 {
            return Err(undecodable());
        }
        let decode = |p: &str| URL_SAFE_NO_PAD.decode(p).ok();
        let header: Value = decode(parts[0]).and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(undecodable)?;
        let claims: Value = decode(parts[1]).and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(undecodable)?;
        let signature = decode(parts[2]).ok_or_else(undecodable)?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(undecodable());
        }
        let iss = match claims.get("iss") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        let Some(iss) = iss else {
            return Err(claim("'Issuer' claim ('iss') must be an Integer"));
        };
        let inner = self.inner.lock().expect("apps lock");
        let app = inner.apps.get(&iss).cloned().ok_or_else(undecodable)?;
        let key =
            ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &app.public_key);
        let input = format!("{}.{}", parts[0], parts[1]);
        key.verify(input.as_bytes(), &signature).map_err(|_| undecodable())?;
        let now = Apps::now(&inner);
        let (Some(iat), Some(exp)) =
            (claims.get("iat").and_then(Value::as_i64), claims.get("exp").and_then(Value::as_i64))
        else {
            return Err(claim(
                "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
            ));
        };
        if iat > now + 60 {
            return Err(claim("'Issued at' claim ('iat') must be an Integer representing a time in the past"));
        }
        if exp <= now {
            return Err(claim(
                "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
            ));
        }
        if exp - iat > 600 || exp > now + 600 {
            return Err(claim("'Expiration time' claim ('exp') is too far in the future"));
        }
        Ok((iss, app))
    }

    fn installed_on(app: &App, full_name: &str) -> bool {
        app.repositories.as_ref().is_none_or(|r| r.iter().any(|n| n == &full_name.to_ascii_lowercase()))
    }
}

/// `POST /_twin/apps` `{"app_id", "slug", "public_key_pem", "token_ttl_s", "repositories"?}`.
pub async fn register(State(state): State<Arc<GithubState>>, Json(body): Json<Value>) -> Response {
    let bad = |m: &str| (StatusCode::BAD_REQUEST, Json(json!({ "message": m }))).into_response();
    let Some(app_id) = body.get("app_id").and_then(Value::as_u64) else {
        return bad("`app_id` (a number) is required");
    };
    let Some(slug) = body.get("slug").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
        return bad("`slug` is required");
    };
    let pem = body.get("public_key_pem").and_then(Value::as_str).unwrap_or_default();
    let Some(public_key) = rsa_public_key(pem) else {
        return bad("`public_key_pem` must be an RSA public key in PEM (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`)");
    };
    let ttl_s = body.get("token_ttl_s").and_then(Value::as_i64).unwrap_or(3600).max(1);
    let repositories = body
        .get("repositories")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_ascii_lowercase).collect());
    let installation_id = 40_000_000 + app_id;
    let app = App { slug: slug.to_string(), public_key, ttl_s, installation_id, repositories };
    state.apps.inner.lock().expect("apps lock").apps.insert(app_id, app);
    (StatusCode::CREATED, Json(json!({ "app_id": app_id, "slug": slug, "installation_id": installation_id })))
        .into_response()
}

/// `GET /_twin/apps`: what was issued and refused.
pub async fn report(State(state): State<Arc<GithubState>>) -> Json<Value> {
    let inner = state.apps.inner.lock().expect("apps lock");
    let apps: Vec<Value> = inner.apps.iter().map(|(id, a)| json!({"app_id": id, "slug": a.slug})).collect();
    Json(json!({ "apps": apps, "tokens_issued": inner.issued, "expired_refusals": inner.expired_refusals }))
}

/// `POST /_twin/clock` `{"advance_s": N}`: moves the clock that app JWTs and installation tokens
/// are checked on forward, and the clock that stamps issues and comments: the next write is at
/// least N seconds after the last one (so a test crosses GitHub's whole seconds without sleeping).
pub async fn advance(State(state): State<Arc<GithubState>>, Json(body): Json<Value>) -> Response {
    let by = body.get("advance_s").and_then(Value::as_i64).unwrap_or(0).max(0);
    {
        let mut store = state.store.lock().expect("store lock");
        let now = store.now();
        store.observe_time(now + by);
    }
    let mut inner = state.apps.inner.lock().expect("apps lock");
    inner.offset_s += by;
    Json(json!({ "offset_s": inner.offset_s })).into_response()
}

/// `GET /app`: the authenticated app.
pub async fn get_app(State(state): State<Arc<GithubState>>, headers: HeaderMap) -> Response {
    match state.apps.verify(&headers) {
        Ok((id, app)) => Json(json!({
            "id": id, "slug": app.slug, "name": app.slug, "node_id": format!("A_{id}"),
            "owner": {"login": state.config.login, "type": "User"},
            "permissions": {"issues": "write", "metadata": "read"},
            "events": ["issues", "issue_comment", "label", "sub_issues"],
            "html_url": format!("https://github.com/apps/{}", app.slug),
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /repos/{owner}/{repo}/installation`.
pub async fn repo_installation(
    State(state): State<Arc<GithubState>>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (id, app) = match state.apps.verify(&headers) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let full = format!("{owner}/{repo}");
    let exists = state.store.lock().expect("store lock").repo(&owner, &repo).is_some();
    if !exists || !Apps::installed_on(&app, &full) {
        let docs = "https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app";
        return ApiError::not_found(docs).into_response();
    }
    Json(json!({
        "id": app.installation_id, "app_id": id, "app_slug": app.slug, "target_type": "Organization",
        "account": {"login": owner}, "repository_selection": if app.repositories.is_some() { "selected" } else { "all" },
        "permissions": {"issues": "write", "metadata": "read"},
        "access_tokens_url": format!("{}/app/installations/{}/access_tokens", state.base, app.installation_id),
    }))
    .into_response()
}

/// `POST /app/installations/{installation_id}/access_tokens`.
pub async fn access_token(
    State(state): State<Arc<GithubState>>,
    Path(installation): Path<String>,
    headers: HeaderMap,
    _body: Bytes,
) -> Response {
    let (id, app) = match state.apps.verify(&headers) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    if installation.parse::<u64>().ok() != Some(app.installation_id) {
        let docs = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";
        return ApiError::not_found(docs).into_response();
    }
    let token = format!("ghs_{}", uuid::Uuid::new_v4().simple());
    let mut inner = state.apps.inner.lock().expect("apps lock");
    let expires = Apps::now(&inner) + app.ttl_s;
    inner.tokens.insert(token.clone(), (id, expires));
    inner.issued += 1;
    let at = chrono::DateTime::from_timestamp(expires, 0).unwrap_or_default();
    let body = json!({
        "token": token,
        "expires_at": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "permissions": {"issues": "write", "metadata": "read"},
        "repository_selection": if app.repositories.is_some() { "selected" } else { "all" },
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// The PKCS#1 RSA public key in a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY`.
fn rsa_public_key(pem: &str) -> Option<Vec<u8>> {
    if let Ok(spki) = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes()) {
        let (outer, _) = tlv(spki.as_ref(), 0x30)?;
        let (_algorithm, rest) = tlv(outer, 0x30)?;
        let (bits, _) = tlv(rest, 0x03)?;
        return bits.strip_prefix(&[0]).map(<[u8]>::to_vec);
    }
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN RSA PUBLIC KEY-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body.trim()).ok().filter(|d| !d.is_empty())
}

/// One DER element with tag `tag`: its contents and what follows it.
fn tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    if *input.first()? != tag {
        return None;
    }
    let first = *input.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let len = input.get(2..2 + n)?.iter().fold(0usize, |l, b| (l << 8) | *b as usize);
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    Some((input.get(header..end)?, input.get(end..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rsa_public_keys_in_both_pem_forms() {
        let spki = include_str!("../../../../tests/fixtures/auth/app-key.pub.pem");
        let key = rsa_public_key(spki).expect("an SPKI key");
        assert_eq!(key[0], 0x30, "an RSAPublicKey sequence");
        let pkcs1 = format!(
            "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&key)
        );
        assert_eq!(rsa_public_key(&pkcs1), Some(key));
        assert_eq!(rsa_public_key("nothing"), None);
    }
}
