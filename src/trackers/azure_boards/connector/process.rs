//! Which process (Agile, Scrum, CMMI, Basic) an Azure DevOps project follows, read from the
//! project, so a target without `mapping` gets the built-in mapping that fits it.

use reqwest::Method;
use serde_json::Value;

use super::http::Http;
use super::{API_VERSION, encode_segment};
use crate::auth::TokenSource;
use crate::config::Process;
use crate::connector::{ErrorKind, RemoteError};

/// Reads the process of `project`: `GET _apis/projects/{project}?includeCapabilities=true`
/// (`capabilities.processTemplate.templateName`); where that does not answer, the project's work
/// item types tell (a `Product Backlog Item` is Scrum, a `Requirement` CMMI, a `User Story` Agile,
/// an `Issue` alone Basic). Both go through the connector's transport, so a refused token (401, or
/// Azure's 203 sign-in page) says which setting to fix. The error says what to set instead.
pub async fn detect(
    target: &str,
    organization_url: &str,
    project: &str,
    source: &TokenSource,
) -> Result<Process, String> {
    let org = organization_url.trim_end_matches('/');
    let http = Http::new(target, org, source.clone()).map_err(|e| e.message)?;
    let p = encode_segment(project);
    let how = "set `process = \"agile\"` (or scrum, cmmi, basic) or `mapping` on the target";
    // A refused credential is the answer: reading the types with it would be refused the same way.
    let refused = |e: &RemoteError| e.kind == ErrorKind::Fatal && matches!(e.status, Some(203 | 401 | 403) | None);
    let url = format!("{org}/_apis/projects/{p}?includeCapabilities=true&api-version={API_VERSION}");
    match http.send("read the project's process", Method::GET, &url, None).await {
        Ok(reply) => {
            let body: Value = serde_json::from_str(&reply.body).unwrap_or_default();
            let name = body.pointer("/capabilities/processTemplate/templateName").and_then(Value::as_str);
            if let Some(process) = name.and_then(|n| Process::try_from(n.to_string()).ok()) {
                return Ok(process);
            }
        }
        Err(e) if refused(&e) => return Err(e.message),
        Err(_) => {}
    }
    let url = format!("{org}/{p}/_apis/wit/workitemtypes?api-version={API_VERSION}");
    let reply = http.send("read the project's work item types", Method::GET, &url, None).await.map_err(|e| {
        let status = e.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
        format!("cannot read the work item types of project `{project}`{status}: {}; {how}", e.message)
    })?;
    let body: Value = serde_json::from_str(&reply.body)
        .map_err(|e| format!("the work item types of project `{project}` are not the API's JSON ({e}); {how}"))?;
    let names: Vec<&str> = body["value"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    from_type_names(&names).ok_or_else(|| format!("cannot tell the process of project `{project}`; {how}"))
}

/// The process a set of work item type names belongs to.
pub fn from_type_names(names: &[&str]) -> Option<Process> {
    let has = |n: &str| names.iter().any(|t| t.eq_ignore_ascii_case(n));
    if has("Product Backlog Item") {
        Some(Process::Scrum)
    } else if has("Requirement") {
        Some(Process::Cmmi)
    } else if has("User Story") {
        Some(Process::Agile)
    } else if has("Issue") {
        Some(Process::Basic)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_item_types_tell_the_process() {
        let cases: [(&[&str], Option<Process>); 5] = [
            (&["Bug", "Epic", "Feature", "User Story", "Task"], Some(Process::Agile)),
            (&["Bug", "Epic", "Feature", "Product Backlog Item", "Task"], Some(Process::Scrum)),
            (&["Bug", "Epic", "Feature", "Requirement", "Risk"], Some(Process::Cmmi)),
            (&["Epic", "Issue", "Task"], Some(Process::Basic)),
            (&["Widget"], None),
        ];
        for (names, want) in cases {
            assert_eq!(from_type_names(names), want, "{names:?}");
        }
    }
}
