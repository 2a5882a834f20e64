//! Mappings: what every tracker's mapping shares — the canonical field map, loading
//! `mappings/*.toml`, the built-in texts, identities and adaptations. Each tracker's translation
//! (fields, states, body sections) lives in its folder under `trackers`.

pub mod adapt;
pub mod builtin;
pub mod fields;
pub mod identities;

use std::path::{Path, PathBuf};

pub use fields::FieldMap;
pub use identities::Identities;

/// A mapping file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("cannot read the mapping `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the mapping `{path}` line {line}: {reason}")]
    Syntax { path: PathBuf, line: usize, reason: String },
    #[error("the mapping `{path}`: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

pub(crate) fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, MappingError> {
    let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io { path: path.to_path_buf(), source })?;
    parse_toml(&text, path)
}

/// Parses mapping text; `path` names it in errors (a file, or a built-in mapping).
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, MappingError> {
    crate::backlog::project::parse_toml(text).map_err(|e| MappingError::Syntax {
        path: path.to_path_buf(),
        line: e.line,
        reason: e.reason,
    })
}
