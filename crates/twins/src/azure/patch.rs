//! JSON Patch documents for work items: the operations and the paths they may point at
//! (`/fields/…`, `/relations/-`, `/relations/{i}[/attributes/{name}]`, `/multilineFieldsFormat/…`,
//! `/rev`, `/id`). [`super::draft`] applies them.

use serde_json::Value;

use super::errors::AzureError;

/// A JSON Patch operation name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Set (fields) or append (relations).
    Add,
    /// Clear a field or remove a relation.
    Remove,
    /// Set.
    Replace,
    /// Not supported for work items.
    Move,
    /// Not supported for work items.
    Copy,
    /// Compare; a mismatch rejects the whole document.
    Test,
}

/// One operation of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    /// What to do.
    pub op: Op,
    /// Where (`/fields/System.Title`).
    pub path: String,
    /// The value, when the operation takes one.
    pub value: Option<Value>,
}

/// Where an operation points.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// `/rev`.
    Rev,
    /// `/id`.
    Id,
    /// `/fields/{name}`.
    Field(String),
    /// `/relations/-`.
    RelationsEnd,
    /// `/relations/{index}`.
    Relation(usize),
    /// `/relations/{index}/attributes/{name}`.
    RelationAttribute(usize, String),
    /// `/multilineFieldsFormat/{name}`.
    MultilineFormat(String),
}

pub(super) fn failed(message: impl Into<String>) -> AzureError {
    AzureError::PatchFailed { message: message.into() }
}

/// Parses the request body of a create or update.
pub fn parse_document(body: &Value) -> Result<Vec<PatchOp>, AzureError> {
    let Some(items) = body.as_array() else {
        return Err(AzureError::BadArgument {
            message: "You must pass a valid patch document in the body of the request.".into(),
        });
    };
    items
        .iter()
        .map(|item| {
            let op = match item.get("op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
                Some("add") => Op::Add,
                Some("remove") => Op::Remove,
                Some("replace") => Op::Replace,
                Some("move") => Op::Move,
                Some("copy") => Op::Copy,
                Some("test") => Op::Test,
                other => {
                    return Err(failed(format!(
                        "The operation '{}' is not a valid JSON Patch operation.",
                        other.unwrap_or("")
                    )));
                }
            };
            let path = item.get("path").and_then(Value::as_str).unwrap_or_default().to_string();
            if path.is_empty() {
                return Err(failed("A JSON Patch operation must have a path."));
            }
            Ok(PatchOp { op, path, value: item.get("value").cloned() })
        })
        .collect()
}

/// Parses an operation's path.
pub fn parse_path(path: &str) -> Result<Target, AzureError> {
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(4, '/').collect();
    let unknown = || failed(format!("The path '{path}' is not valid for a work item."));
    match parts.as_slice() {
        [p] if p.eq_ignore_ascii_case("rev") => Ok(Target::Rev),
        [p] if p.eq_ignore_ascii_case("id") => Ok(Target::Id),
        [p, name] if p.eq_ignore_ascii_case("fields") && !name.is_empty() => Ok(Target::Field(name.to_string())),
        [p, name] if p.eq_ignore_ascii_case("multilineFieldsFormat") && !name.is_empty() => {
            Ok(Target::MultilineFormat(name.to_string()))
        }
        [p, "-"] if p.eq_ignore_ascii_case("relations") => Ok(Target::RelationsEnd),
        [p, index] if p.eq_ignore_ascii_case("relations") => index.parse().map(Target::Relation).map_err(|_| unknown()),
        [p, index, a, name] if p.eq_ignore_ascii_case("relations") && a.eq_ignore_ascii_case("attributes") => {
            Ok(Target::RelationAttribute(index.parse().map_err(|_| unknown())?, name.to_string()))
        }
        _ => Err(unknown()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        let cases = [
            ("/rev", Ok(Target::Rev)),
            ("/fields/System.Title", Ok(Target::Field("System.Title".into()))),
            ("/relations/-", Ok(Target::RelationsEnd)),
            ("/relations/2", Ok(Target::Relation(2))),
            ("/relations/2/attributes/comment", Ok(Target::RelationAttribute(2, "comment".into()))),
            ("/multilineFieldsFormat/System.Description", Ok(Target::MultilineFormat("System.Description".into()))),
            ("/nope", Err(())),
            ("/relations/x", Err(())),
        ];
        for (path, want) in cases {
            assert_eq!(parse_path(path).map_err(|_| ()), want, "{path}");
        }
    }
}
