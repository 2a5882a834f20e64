//! A GitHub App's identity: the app JWT (RS256, signed with the app's private key), the
//! installation found from the repository (or `installation_id`), installation tokens exchanged
//! for it and renewed, and the app's login `<slug>[bot]`.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use futures::future::BoxFuture;

use super::settings::GithubSettings;
use crate::auth::jwt::SigningKey;
use crate::auth::renewal::Renewing;
use crate::auth::{AuthError, Clock, Credential, Renews, Scheme, read_setting_file};
use crate::config::Secret;

pub(crate) struct GithubApp {
    app_id: u64,
    key: SigningKey,
    /// `app_key_file` or `app_key_env`: the setting named when GitHub refuses the key.
    key_setting: &'static str,
    api_url: String,
    repository: String,
    installation_id: Mutex<Option<u64>>,
    configured_installation: bool,
    slug: Mutex<Option<String>>,
    client: reqwest::Client,
    renewing: Renewing,
}

impl Renews for GithubApp {
    fn credential<'a>(&'a self, target: &'a str) -> BoxFuture<'a, Result<Credential, AuthError>> {
        Box::pin(GithubApp::credential(self, target))
    }

    fn forget<'a>(&'a self, refused: &'a Credential) -> BoxFuture<'a, bool> {
        Box::pin(GithubApp::forget(self, refused))
    }

    fn login(&self) -> Option<String> {
        GithubApp::login(self)
    }

    fn obtained(&self) -> u64 {
        GithubApp::obtained(self)
    }

    fn describe(&self) -> &'static str {
        "a GitHub App"
    }

    fn setting_hint(&self) -> &'static str {
        "`app_id`, `app_key_file` (or `app_key_env`) and the app's permissions"
    }
}

/// An answer of GitHub's: status, `Date` and the JSON body.
struct Answer {
    status: u16,
    date: Option<DateTime<Utc>>,
    body: Value,
}

impl GithubApp {
    pub fn from_settings(t: &GithubSettings, app_id: u64, clock: Clock) -> Result<GithubApp, String> {
        let (pem, key_setting) = match (&t.app_key_file, &t.app_key_env) {
            (Some(path), _) => (read_setting_file(path, "app_key_file")?, "app_key_file"),
            (None, Some(var)) => {
                let text = Secret::from_env(var).map_err(|_| {
                    format!("the environment variable `{var}` named by `app_key_env` is not set; export the app's private key (PEM) in it")
                })?;
                (text.expose().replace("\\n", "\n").into_bytes(), "app_key_env")
            }
            (None, None) => {
                return Err("a GitHub App needs its private key: set `app_key_file` (the .pem from the app's settings) or `app_key_env`".into());
            }
        };
        let key = SigningKey::from_pem(&pem).map_err(|e| {
            let what = match (key_setting, &t.app_key_file) {
                ("app_key_file", Some(p)) => format!("`app_key_file` `{}`", p.display()),
                _ => "`app_key_env`".to_string(),
            };
            format!("{what}: {e}; put the private key generated in the GitHub App's settings there")
        })?;
        let client = crate::auth::http_client()?;
        Ok(GithubApp {
            app_id,
            key,
            key_setting,
            api_url: t.api_url().to_string(),
            repository: t.repository.clone(),
            installation_id: Mutex::new(t.installation_id),
            configured_installation: t.installation_id.is_some(),
            slug: Mutex::new(None),
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

    pub fn login(&self) -> Option<String> {
        self.slug.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|s| format!("{s}[bot]"))
    }

    pub fn obtained(&self) -> u64 {
        self.renewing.obtained()
    }

    /// The app JWT: issued a minute in the past (clock drift), valid nine minutes (GitHub takes ten at most).
    fn app_jwt(&self, target: &str) -> Result<Secret, AuthError> {
        let now = Utc::now().timestamp();
        let claims = json!({"iat": now - 60, "exp": now + 540, "iss": self.app_id.to_string()});
        self.key.sign(json!({}), &claims).map(Secret::new).map_err(|reason| AuthError {
            target: target.into(),
            reason,
            transient: false,
        })
    }

    async fn call(&self, target: &str, method: reqwest::Method, path: &str, jwt: &Secret) -> Result<Answer, AuthError> {
        let url = format!("{}{path}", self.api_url);
        let response = self
            .client
            .request(method, &url)
            .header("authorization", format!("Bearer {}", jwt.expose()))
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .send()
            .await
            .map_err(|e| AuthError {
                target: target.into(),
                reason: format!(
                    "cannot reach `{}` for the GitHub App's token ({}); check `api_url` and the network",
                    self.api_url,
                    without_url(&e)
                ),
                transient: true,
            })?;
        let status = response.status().as_u16();
        let date = response
            .headers()
            .get("date")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.with_timezone(&Utc));
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok(Answer { status, date, body })
    }

    fn refused(&self, target: &str, step: &str, answer: &Answer) -> AuthError {
        let message = answer.body.get("message").and_then(Value::as_str).unwrap_or("no message").to_string();
        let reason = match answer.status {
            401 => format!(
                "GitHub refused the app's signed token while {step} ({message}): check that `app_id` ({}) is the App ID \
                 shown in the app's settings and that `{}` holds a private key of that app",
                self.app_id, self.key_setting
            ),
            s if s >= 500 => format!("GitHub failed while {step} (HTTP {s}: {message}); it is retried"),
            s => format!("GitHub answered HTTP {s} while {step} ({message}); check `app_id` and the app's permissions"),
        };
        AuthError { target: target.into(), reason, transient: answer.status >= 500 }
    }

    async fn fetch(&self, target: &str) -> Result<(Credential, Duration), AuthError> {
        let jwt = self.app_jwt(target)?;
        if self.slug.lock().unwrap_or_else(|p| p.into_inner()).is_none() {
            let answer = self.call(target, reqwest::Method::GET, "/app", &jwt).await?;
            if answer.status != 200 {
                return Err(self.refused(target, "reading the app", &answer));
            }
            let slug = answer.body.get("slug").and_then(Value::as_str).unwrap_or_default().to_string();
            *self.slug.lock().unwrap_or_else(|p| p.into_inner()) = Some(slug);
        }
        let known = *self.installation_id.lock().unwrap_or_else(|p| p.into_inner());
        let installation = match known {
            Some(id) => id,
            None => {
                let path = format!("/repos/{}/installation", self.repository);
                let answer = self.call(target, reqwest::Method::GET, &path, &jwt).await?;
                if answer.status == 404 {
                    return Err(AuthError {
                        target: target.into(),
                        reason: format!(
                            "GitHub App {} is not installed on `{}`: install it on that repository (the app's \
                             page → Install App), or fix `repository` or `app_id`",
                            self.app_id, self.repository
                        ),
                        transient: false,
                    });
                }
                let id = answer.body.get("id").and_then(Value::as_u64).filter(|_| answer.status == 200);
                let id = id.ok_or_else(|| self.refused(target, "finding the app's installation", &answer))?;
                *self.installation_id.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
                id
            }
        };
        let path = format!("/app/installations/{installation}/access_tokens");
        let answer = self.call(target, reqwest::Method::POST, &path, &jwt).await?;
        if answer.status == 404 {
            let reason = if self.configured_installation {
                format!(
                    "app {} has no installation `{installation}`: fix `installation_id`, or leave it out to find the installation from `repository`",
                    self.app_id
                )
            } else {
                format!(
                    "the installation of app {} on `{}` is gone; install the app again",
                    self.app_id, self.repository
                )
            };
            return Err(AuthError { target: target.into(), reason, transient: false });
        }
        if answer.status != 201 {
            return Err(self.refused(target, "exchanging the app's token for an installation token", &answer));
        }
        let token = answer.body.get("token").and_then(Value::as_str).unwrap_or_default();
        let expires = answer
            .body
            .get("expires_at")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|d| d.with_timezone(&Utc));
        // Measured on GitHub's clock (its `Date`), less a second for the whole seconds both are cut to.
        let now = answer.date.unwrap_or_else(Utc::now);
        let lifetime = expires
            .map(|e| (e - now - chrono::Duration::seconds(1)).to_std().unwrap_or_default())
            .unwrap_or(Duration::from_secs(3000));
        if token.is_empty() {
            return Err(self.refused(target, "reading the installation token", &answer));
        }
        Ok((Credential { token: Secret::new(token), scheme: Scheme::Bearer }, lifetime))
    }
}

/// A reqwest error's text without its URL.
pub(crate) fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(&format!(" ({url})"), "").replace(url.as_str(), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}
