//! Which process (Agile, Scrum, CMMI, Basic) an Azure DevOps project follows, read from the
//! project, so a target without `mapping` gets the built-in mapping that fits it.

use std::time::Duration;

use serde_json::Value;

use super::{API_VERSION, encode_segment};
use crate::auth::TokenSource;
use crate::config::Process;

/// Reads the process of `project`: `GET _apis/projects/{project}?includeCapabilities=true`
/// (`capabilities.processTemplate.templateName`); where that does not answer, the project's work
/// item types tell (a `Product Backlog Item` is Scrum, a `Requirement` CMMI, a `User Story` Agile,
/// an `Issue` alone Basic). The error says what to set instead.
pub async fn detect(organization_url: &str, project: &str, source: &TokenSource) -> Result<Process, String> {
    let org = organization_url.trim_end_matches('/');
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("backlog-sync/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())?;
    let authorization = source.credential().await.map_err(|e| e.reason)?.authorization();
    let get = |url: String| client.get(url).header("authorization", authorization.clone()).send();
    let p = encode_segment(project);
    let how = "set `process = \"agile\"` (or scrum, cmmi, basic) or `mapping` on the target";
    let unreachable = |e: reqwest::Error| format!("cannot reach `{org}` to read the project's process ({e}); {how}");
    let url = format!("{org}/_apis/projects/{p}?includeCapabilities=true&api-version={API_VERSION}");
    let reply = get(url).await.map_err(unreachable)?;
    if reply.status().is_success() {
        let body: Value = reply.json().await.unwrap_or_default();
        let name = body.pointer("/capabilities/processTemplate/templateName").and_then(Value::as_str);
        if let Some(process) = name.and_then(|n| Process::try_from(n.to_string()).ok()) {
            return Ok(process);
        }
    }
    let url = format!("{org}/{p}/_apis/wit/workitemtypes?api-version={API_VERSION}");
    let reply = get(url).await.map_err(unreachable)?;
    let status = reply.status();
    if !status.is_success() {
        return Err(format!("reading the work item types of project `{project}` answered {status}; {how}"));
    }
    let body: Value = reply.json().await.map_err(|e| e.to_string())?;
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
