//! `mappings/identities.toml`: one person's canonical id ⇄ GitHub login ⇄ Azure DevOps identity.
//! A person missing here is reported as drift, never guessed.

use std::path::Path;

use serde::Deserialize;

use super::MappingError;

/// One person.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// As written in `owner:` (usually an email address).
    pub canonical: String,
    pub github: Option<String>,
    /// The Azure DevOps unique name (usually the sign-in email).
    pub azure: Option<String>,
    pub name: Option<String>,
}

/// Everyone the mappings know.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Identities {
    #[serde(default)]
    pub people: Vec<Person>,
}

impl Identities {
    /// Loads the file; a missing file means nobody is known.
    pub fn load(path: &Path) -> Result<Identities, MappingError> {
        if !path.exists() {
            return Ok(Identities::default());
        }
        super::read_toml(path)
    }

    fn find(&self, canonical: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.canonical.eq_ignore_ascii_case(canonical.trim()))
    }

    pub fn is_known(&self, canonical: &str) -> bool {
        self.find(canonical).is_some()
    }

    pub fn github_login(&self, canonical: &str) -> Option<&str> {
        self.find(canonical)?.github.as_deref()
    }

    pub fn azure_identity(&self, canonical: &str) -> Option<&str> {
        self.find(canonical)?.azure.as_deref()
    }

    pub fn canonical_for_github(&self, login: &str) -> Option<&str> {
        self.people
            .iter()
            .find(|p| p.github.as_deref().is_some_and(|g| g.eq_ignore_ascii_case(login)))
            .map(|p| p.canonical.as_str())
    }

    pub fn canonical_for_azure(&self, identity: &str) -> Option<&str> {
        self.people
            .iter()
            .find(|p| p.azure.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(identity)))
            .map(|p| p.canonical.as_str())
    }
}
