//! An Entra ID service principal for Azure DevOps: access tokens from
//! `{authority_url}/{tenant_id}/oauth2/v2.0/token` by the client-credentials grant, with a client
//! secret or a certificate (an RS256 client assertion), renewed before they expire.

use std::time::Duration;

use serde_json::{Value, json};

use futures::future::BoxFuture;

use super::settings::AzureBoardsSettings;
use crate::auth::jwt::{SigningKey, thumbprints};
use crate::auth::renewal::Renewing;
use crate::auth::{AuthError, Clock, Credential, Renews, Scheme, read_setting_file};
use crate::config::Secret;
use crate::trackers::github::app::without_url;

pub use super::settings::DEFAULT_AUTHORITY;
/// Azure DevOps' resource id with `/.default`: every permission the principal was given.
pub const AZURE_DEVOPS_SCOPE: &str = "499b84ac-1321-427f-aa17-267ca6975798/.default";

enum Proof {
    Secret(Secret),
    Certificate { key: Box<SigningKey>, x5t: String, x5t_s256: String },
}

pub(crate) struct Entra {
    tenant: String,
    client_id: String,
    authority: String,
    proof: Proof,
    client: reqwest::Client,
    renewing: Renewing,
}

impl Renews for Entra {
    fn credential<'a>(&'a self, target: &'a str) -> BoxFuture<'a, Result<Credential, AuthError>> {
        Box::pin(Entra::credential(self, target))
    }

    fn forget<'a>(&'a self, refused: &'a Credential) -> BoxFuture<'a, bool> {
        Box::pin(Entra::forget(self, refused))
    }

    fn obtained(&self) -> u64 {
        Entra::obtained(self)
    }

    fn describe(&self) -> &'static str {
        "an Entra ID service principal"
    }

    fn setting_hint(&self) -> &'static str {
        "`tenant_id`, `client_id` and the service principal's access to the organization"
    }
}

impl Entra {
    pub fn from_settings(t: &AzureBoardsSettings, clock: Clock) -> Result<Entra, String> {
        let need = |v: &Option<String>, key: &str| {
            v.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                format!("an Entra ID service principal needs `tenant_id` and `client_id`; set `{key}` (from the app registration's Overview)")
            })
        };
        let tenant = need(&t.tenant_id, "tenant_id")?;
        let client_id = need(&t.client_id, "client_id")?;
        let proof = match (&t.client_secret_env, &t.client_certificate_file) {
            (Some(var), None) => Proof::Secret(Secret::from_env(var).map_err(|_| {
                format!("the environment variable `{var}` named by `client_secret_env` is not set; export the client secret's value in it")
            })?),
            (None, Some(path)) => {
                let pem = read_setting_file(path, "client_certificate_file")?;
                let bad = |e: String| {
                    format!(
                        "`client_certificate_file` `{}`: {e}; it must hold the certificate uploaded to the app registration and its private key",
                        path.display()
                    )
                };
                let key = SigningKey::from_pem(&pem).map_err(bad)?;
                let (x5t, x5t_s256) = thumbprints(&pem).map_err(bad)?;
                Proof::Certificate { key: Box::new(key), x5t, x5t_s256 }
            }
            (Some(_), Some(_)) => return Err("set one of `client_secret_env` and `client_certificate_file`, not both".into()),
            (None, None) => {
                return Err("an Entra ID service principal needs `client_secret_env` or `client_certificate_file`".into());
            }
        };
        let client = crate::auth::http_client()?;
        Ok(Entra {
            tenant,
            client_id,
            authority: t.authority_url.as_deref().unwrap_or(DEFAULT_AUTHORITY).trim_end_matches('/').to_string(),
            proof,
            client,
            renewing: Renewing::new(clock),
        })
    }

    pub async fn credential(&self, target: &str) -> Result<Credential, AuthError> {
        self.renewing.get(target, || self.fetch(target)).await
    }

    pub async fn forget(&self, refused: &Credential) -> bool {
        self.renewing.forget(refused).await
    }

    pub fn obtained(&self) -> u64 {
        self.renewing.obtained()
    }

    fn endpoint(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority, self.tenant)
    }

    async fn fetch(&self, target: &str) -> Result<(Credential, Duration), AuthError> {
        let fail = |reason: String, transient: bool| AuthError { target: target.into(), reason, transient };
        let endpoint = self.endpoint();
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "client_credentials".into()),
            ("client_id", self.client_id.clone()),
            ("scope", AZURE_DEVOPS_SCOPE.into()),
        ];
        match &self.proof {
            Proof::Secret(s) => form.push(("client_secret", s.expose().to_string())),
            Proof::Certificate { key, x5t, x5t_s256 } => {
                let now = chrono::Utc::now().timestamp();
                let claims = json!({
                    "aud": endpoint, "iss": self.client_id, "sub": self.client_id,
                    "jti": format!("{:032x}", rand::random::<u128>()), "nbf": now, "iat": now, "exp": now + 600,
                });
                let assertion =
                    key.sign(json!({"x5t": x5t, "x5t#S256": x5t_s256}), &claims).map_err(|e| fail(e, false))?;
                form.push(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into()));
                form.push(("client_assertion", assertion));
            }
        }
        let response = self.client.post(&endpoint).form(&form).send().await.map_err(|e| {
            fail(
                format!(
                    "cannot reach `{}` for an Entra ID token ({}); check `authority_url` and the network",
                    self.authority,
                    without_url(&e)
                ),
                true,
            )
        })?;
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        let token = body.get("access_token").and_then(Value::as_str).filter(|_| status == 200);
        let Some(token) = token else {
            return Err(fail(self.explain(status, &body), status >= 500));
        };
        let lifetime =
            body.get("expires_in").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok())).unwrap_or(3599);
        Ok((Credential { token: Secret::new(token), scheme: Scheme::Bearer }, Duration::from_secs(lifetime)))
    }

    /// Entra ID's refusal in words, naming the setting to fix.
    fn explain(&self, status: u16, body: &Value) -> String {
        let description = body.get("error_description").and_then(Value::as_str).unwrap_or("no description");
        let first = description.lines().next().unwrap_or_default().trim();
        let code = body.get("error_codes").and_then(|c| c.get(0)).and_then(Value::as_u64).unwrap_or_default();
        let fix = match code {
            7000215 | 7000222 => "the variable named by `client_secret_env` must hold a current client secret's Value (not its Secret ID)".to_string(),
            700016 => "fix `client_id` (the Application (client) ID), or `tenant_id` if the app lives in another directory".to_string(),
            90002 | 900023 => "fix `tenant_id` (the Directory (tenant) ID)".to_string(),
            700027 | 700023 | 50027 | 700024 => "`client_certificate_file` must hold the certificate uploaded to the app registration and its key".to_string(),
            _ if status >= 500 => "Entra ID failed; it is retried".to_string(),
            _ => "check `tenant_id`, `client_id` and the client secret or certificate".to_string(),
        };
        format!("Entra ID refused the token request (HTTP {status}, {first}): {fix}")
    }
}
