//! An Azure Boards target's own settings: the keys of a `[[targets]]` table with
//! `kind = "azure-boards"` beside the ones every target has (`name`, `token_env`, `token_file`,
//! `mapping`).

use std::path::PathBuf;

use serde::Deserialize;

use crate::config::Process;

/// Microsoft's identity platform, when `authority_url` is absent.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// `kind = "azure-boards"`: a project of an Azure DevOps organization.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AzureBoardsSettings {
    /// `https://dev.azure.com/ORG`.
    pub organization_url: String,
    /// The project's name.
    pub project: String,
    /// The project's process (agile, scrum, cmmi, basic) when `mapping` is absent; absent too:
    /// read from the project.
    #[serde(default)]
    pub process: Option<Process>,
    /// Entra ID: the directory (tenant) and the app registration's client id.
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    /// Entra ID: the variable holding a client secret, or a PEM file with the certificate and its key.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(default)]
    pub client_certificate_file: Option<PathBuf>,
    /// Entra ID: the identity platform; absent, [`DEFAULT_AUTHORITY`].
    #[serde(default)]
    pub authority_url: Option<String>,
}

impl AzureBoardsSettings {
    /// The Azure Boards settings of `target`, if it is an Azure Boards target.
    pub fn of(target: &crate::config::TargetSettings) -> Option<&AzureBoardsSettings> {
        match &target.tracker {
            crate::trackers::TrackerSettings::AzureBoards(a) => Some(a),
            _ => None,
        }
    }

    /// What each key holds, for a message naming a missing or misplaced one.
    pub const KEYS: [(&'static str, &'static str); 8] = [
        ("organization_url", "the organization, e.g. `organization_url = \"https://dev.azure.com/contoso\"`"),
        ("project", "the project's name, e.g. `project = \"Onboarding\"`"),
        ("process", "the project's process: agile, scrum, cmmi or basic"),
        ("tenant_id", "an Entra ID directory (tenant) ID"),
        ("client_id", "an Entra ID application (client) ID"),
        ("client_secret_env", "the variable holding an Entra ID client secret"),
        ("client_certificate_file", "an Entra ID certificate and its key (PEM file)"),
        ("authority_url", "the Entra ID identity platform"),
    ];

    /// The organization's URL, without a trailing `/`.
    pub fn organization_url(&self) -> &str {
        self.organization_url.trim_end_matches('/')
    }

    /// Whether the target signs in as an Entra ID service principal.
    pub fn uses_entra(&self) -> bool {
        self.tenant_id.is_some()
            || self.client_id.is_some()
            || self.client_secret_env.is_some()
            || self.client_certificate_file.is_some()
            || self.authority_url.is_some()
    }

    /// What serde cannot check: an organization URL and a project that are not blank, a service
    /// principal's settings complete. `token`: whether the target also names a token. The key to
    /// fix and why otherwise.
    pub fn check(&self, name: &str, token: bool) -> Result<(), (&'static str, String)> {
        for (key, value) in [("organization_url", &self.organization_url), ("project", &self.project)] {
            if value.trim().is_empty() {
                let (_, what) = Self::KEYS.iter().find(|(k, _)| *k == key).expect("a known key");
                return Err((key, format!("target `{name}` needs `{key}`: {what}")));
            }
        }
        if !self.uses_entra() {
            return Ok(());
        }
        if token {
            return Err((
                "token_env",
                format!("target `{name}` names both a token and `client_id`; keep one way to sign in"),
            ));
        }
        for (field, value) in [("tenant_id", &self.tenant_id), ("client_id", &self.client_id)] {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                return Err((
                    field,
                    format!("target `{name}` uses Entra ID and needs `{field}` from the app registration"),
                ));
            }
        }
        if self.client_secret_env.is_some() == self.client_certificate_file.is_some() {
            return Err((
                "client_secret_env",
                format!("target `{name}` uses Entra ID: set one of `client_secret_env` and `client_certificate_file`"),
            ));
        }
        Ok(())
    }
}
