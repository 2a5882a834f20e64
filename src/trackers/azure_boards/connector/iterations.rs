//! Azure Boards iterations through the connector: the project's iteration tree (classification
//! nodes under the iteration root), creating and re-dating an iteration, and giving it to the
//! project's default team so that it shows on the team's backlog and boards.

use ::http::Method;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AzureConnector, encode_segment};
use crate::connector::RemoteError;

/// One iteration below the project's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureIteration {
    /// Its path below the root (`Pilot`, `Release 1\Sprint 2`): what `System.IterationPath`
    /// holds after `Project\`.
    pub path: String,
    pub identifier: String,
    pub start: Option<NaiveDate>,
    pub finish: Option<NaiveDate>,
}

/// A classification node as the service shows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    name: String,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default)]
    attributes: Option<Attributes>,
    #[serde(default)]
    children: Vec<Node>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Attributes {
    #[serde(default)]
    start_date: Option<DateTime<Utc>>,
    #[serde(default)]
    finish_date: Option<DateTime<Utc>>,
}

fn flatten(prefix: &str, nodes: &[Node], out: &mut Vec<AzureIteration>) {
    for n in nodes {
        let path = if prefix.is_empty() { n.name.clone() } else { format!("{prefix}\\{}", n.name) };
        let attrs = n.attributes.as_ref();
        out.push(AzureIteration {
            path: path.clone(),
            identifier: n.identifier.clone().unwrap_or_default(),
            start: attrs.and_then(|a| a.start_date).map(|d| d.date_naive()),
            finish: attrs.and_then(|a| a.finish_date).map(|d| d.date_naive()),
        });
        flatten(&path, &n.children, out);
    }
}

/// The `attributes` of an iteration: both dates or neither, as the service takes them.
fn attributes(start: Option<NaiveDate>, finish: Option<NaiveDate>) -> Value {
    let day = |d: NaiveDate| format!("{}T00:00:00Z", d.format("%Y-%m-%d"));
    match (start, finish) {
        (Some(s), Some(f)) => json!({"startDate": day(s), "finishDate": day(f)}),
        _ => json!({"startDate": null, "finishDate": null}),
    }
}

impl AzureConnector {
    fn iterations_url(&self, path: &str) -> String {
        let mut url = self.project_url("classificationnodes/iterations");
        for segment in path.split('\\').filter(|s| !s.is_empty()) {
            url.push('/');
            url.push_str(&encode_segment(segment));
        }
        url
    }

    /// Every iteration below the project's root, parents before children.
    pub async fn iterations(&self) -> Result<Vec<AzureIteration>, RemoteError> {
        let url = format!("{}?$depth=10", self.iterations_url(""));
        let reply =
            self.call("list iterations", Method::GET, &url, None).await.map_err(|e| self.project_not_found(e))?;
        let root: Node = self.parse("list iterations", &reply)?;
        let mut out = Vec::new();
        flatten("", &root.children, &mut out);
        Ok(out)
    }

    /// Creates iteration `name` under the root with its dates.
    pub async fn create_iteration(
        &self,
        name: &str,
        start: Option<NaiveDate>,
        finish: Option<NaiveDate>,
    ) -> Result<AzureIteration, RemoteError> {
        let body = json!({"name": name, "attributes": attributes(start, finish)}).to_string();
        let url = self.iterations_url("");
        let reply = self.http.send("create iteration", Method::POST, &url, Some(("application/json", body))).await?;
        let node: Node = self.parse("create iteration", &reply)?;
        let mut out = Vec::new();
        flatten("", std::slice::from_ref(&node), &mut out);
        Ok(out.remove(0))
    }

    /// Re-dates iteration `path`.
    pub async fn update_iteration(
        &self,
        path: &str,
        start: Option<NaiveDate>,
        finish: Option<NaiveDate>,
    ) -> Result<(), RemoteError> {
        let body = json!({"attributes": attributes(start, finish)}).to_string();
        let url = self.iterations_url(path);
        self.call("update iteration", Method::PATCH, &url, Some(("application/json", body))).await.map(|_| ())
    }

    /// Gives iteration `identifier` to the project's default team (`{project} Team`).
    pub async fn add_team_iteration(&self, identifier: &str) -> Result<(), RemoteError> {
        let team = format!("{} Team", self.project());
        let url = format!(
            "{}/{}/{}/_apis/work/teamsettings/iterations",
            self.organization_url,
            encode_segment(self.project()),
            encode_segment(&team)
        );
        let body = json!({ "id": identifier }).to_string();
        self.call("add team iteration", Method::POST, &url, Some(("application/json", body))).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_flattens_to_paths_below_the_root() {
        let root: Node = serde_json::from_value(json!({
            "name": "Onboarding", "identifier": "r",
            "children": [
                {"name": "Pilot", "identifier": "a", "attributes": {"startDate": "2026-12-01T00:00:00Z", "finishDate": "2026-12-18T00:00:00Z"}},
                {"name": "Release 1", "identifier": "b", "children": [{"name": "Sprint 2", "identifier": "c"}]}
            ]
        }))
        .unwrap();
        let mut out = Vec::new();
        flatten("", &root.children, &mut out);
        let paths: Vec<&str> = out.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["Pilot", "Release 1", "Release 1\\Sprint 2"]);
        assert_eq!(out[0].finish, NaiveDate::from_ymd_opt(2026, 12, 18));
        assert_eq!(attributes(None, NaiveDate::from_ymd_opt(2026, 1, 2))["startDate"], Value::Null);
    }
}
