//! The mappings shipped inside the binary: one for GitHub, one per Azure Boards process, and an
//! empty identities file. A target without `mapping` uses these; `init --mappings` writes copies.

use std::path::{Path, PathBuf};

use super::{Identities, MappingError};
use crate::config::Process;

/// `mappings/github/default.toml`.
pub const GITHUB: &str = include_str!("../../mappings/github/default.toml");
pub const AZURE_AGILE: &str = include_str!("../../mappings/azure-boards/agile.toml");
pub const AZURE_SCRUM: &str = include_str!("../../mappings/azure-boards/scrum.toml");
pub const AZURE_CMMI: &str = include_str!("../../mappings/azure-boards/cmmi.toml");
pub const AZURE_BASIC: &str = include_str!("../../mappings/azure-boards/basic.toml");

/// The identities file `init --mappings` writes: nobody yet, with how to add someone.
pub const IDENTITIES: &str = r#"# One person's canonical id (as written in `owner:`) and their identity on each remote.
# An owner missing here is reported as drift (`unknown-identity`), never guessed. For example:
#
# [[people]]
# canonical = "alice@contoso.com"     # as written in `owner:`
# github = "alice-contoso"            # GitHub login
# azure = "alice@contoso.com"         # Azure DevOps unique name (sign-in email)
# name = "Alice"
"#;

/// Where `init --mappings` writes each file, relative to the settings file's folder, with its text.
pub const FILES: [(&str, &str); 6] = [
    ("mappings/github/default.toml", GITHUB),
    ("mappings/azure-boards/agile.toml", AZURE_AGILE),
    ("mappings/azure-boards/scrum.toml", AZURE_SCRUM),
    ("mappings/azure-boards/cmmi.toml", AZURE_CMMI),
    ("mappings/azure-boards/basic.toml", AZURE_BASIC),
    ("mappings/identities.toml", IDENTITIES),
];

/// The built-in Azure Boards mapping text for a process.
pub fn azure_text(process: Process) -> &'static str {
    match process {
        Process::Agile => AZURE_AGILE,
        Process::Scrum => AZURE_SCRUM,
        Process::Cmmi => AZURE_CMMI,
        Process::Basic => AZURE_BASIC,
    }
}

/// Where identities are read from: beside a mapping file given (`mappings/identities.toml` for
/// `mappings/github/default.toml`); with the built-in mappings, `mappings/identities.toml` beside
/// the settings file; with neither, nobody is known.
pub fn identities_path(mapping: Option<&Path>, settings_file: Option<&Path>) -> Option<PathBuf> {
    match (mapping, settings_file) {
        (Some(m), _) => Some(m.parent().and_then(Path::parent).unwrap_or(Path::new(".")).join("identities.toml")),
        (None, Some(f)) => Some(f.parent().unwrap_or(Path::new(".")).join("mappings/identities.toml")),
        (None, None) => None,
    }
}

/// The identities for a target: see [`identities_path`]; a missing file means nobody is known.
pub fn identities(mapping: Option<&Path>, settings_file: Option<&Path>) -> Result<Identities, MappingError> {
    match identities_path(mapping, settings_file) {
        Some(p) => Identities::load(&p),
        None => Ok(Identities::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identities_file_names_nobody() {
        let none: Identities = toml::from_str(IDENTITIES).unwrap();
        assert!(none.people.is_empty());
    }

    #[test]
    fn identities_sit_beside_the_mapping_or_the_settings_file() {
        let given = identities_path(Some(Path::new("/x/mappings/github/default.toml")), Some(Path::new("/y/b.toml")));
        assert_eq!(given, Some(PathBuf::from("/x/mappings/identities.toml")));
        let built_in = identities_path(None, Some(Path::new("/y/backlog-sync.toml")));
        assert_eq!(built_in, Some(PathBuf::from("/y/mappings/identities.toml")));
        assert_eq!(identities_path(None, None), None);
    }
}
