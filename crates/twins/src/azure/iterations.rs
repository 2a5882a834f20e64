//! The Azure twin's iteration trees: per project, the classification nodes under the iteration
//! root (name, start and finish dates, children), the iterations each team has, and the rule the
//! service applies to `System.IterationPath` (the path must exist).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::errors::AzureError;
use super::store::{Project, stable_uuid};

/// One iteration node.
#[derive(Debug, Clone, PartialEq)]
pub struct IterationNode {
    pub id: i64,
    pub identifier: Uuid,
    pub name: String,
    pub start: Option<DateTime<Utc>>,
    pub finish: Option<DateTime<Utc>>,
    pub children: Vec<IterationNode>,
}

/// Every project's iteration tree and every team's iterations.
#[derive(Debug, Clone, Default)]
pub struct Iterations {
    /// Project name (lowercase) → the nodes under its root.
    trees: BTreeMap<String, Vec<IterationNode>>,
    /// Team name (lowercase, `project/team`) → iteration identifiers.
    teams: BTreeMap<String, Vec<Uuid>>,
    next_id: i64,
}

fn segments(path: &str) -> Vec<&str> {
    path.split(['\\', '/']).map(str::trim).filter(|s| !s.is_empty()).collect()
}

fn find<'a>(nodes: &'a [IterationNode], path: &[&str]) -> Option<&'a IterationNode> {
    let (first, rest) = path.split_first()?;
    let node = nodes.iter().find(|n| n.name.eq_ignore_ascii_case(first))?;
    if rest.is_empty() { Some(node) } else { find(&node.children, rest) }
}

fn find_mut<'a>(nodes: &'a mut [IterationNode], path: &[&str]) -> Option<&'a mut IterationNode> {
    let (first, rest) = path.split_first()?;
    let node = nodes.iter_mut().find(|n| n.name.eq_ignore_ascii_case(first))?;
    if rest.is_empty() { Some(node) } else { find_mut(&mut node.children, rest) }
}

/// An iteration's start and finish.
pub type Dates = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Reads `attributes.startDate` / `finishDate`; both or neither (the refusals' wording is not
/// verified against the service).
pub fn dates(body: &Value) -> Result<Dates, AzureError> {
    let read = |key: &str| -> Result<Option<DateTime<Utc>>, AzureError> {
        match body.get("attributes").and_then(|a| a.get(key)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|_| AzureError::BadArgument { message: format!("The value '{s}' is not a valid date.") }),
            Some(other) => {
                Err(AzureError::BadArgument { message: format!("The value '{other}' is not a valid date.") })
            }
        }
    };
    let (start, finish) = (read("startDate")?, read("finishDate")?);
    match (start, finish) {
        (Some(_), None) | (None, Some(_)) => Err(AzureError::BadArgument {
            message: "Iteration dates must be set together: give both a start date and a finish date, or neither."
                .into(),
        }),
        (Some(s), Some(f)) if f < s => Err(AzureError::BadArgument {
            message: "The finish date of an iteration cannot be before its start date.".into(),
        }),
        other => Ok(other),
    }
}

impl Iterations {
    /// Whether `path` (below the root, `Pilot` or `Release 1\Sprint 2`) exists in `project`.
    pub fn exists(&self, project: &str, path: &str) -> bool {
        let parts = segments(path);
        parts.is_empty() || self.trees.get(&project.to_lowercase()).is_some_and(|t| find(t, &parts).is_some())
    }

    /// Creates `name` under `parent` (a path below the root; empty: the root).
    pub fn create(
        &mut self,
        project: &Project,
        parent: &str,
        name: &str,
        start: Option<DateTime<Utc>>,
        finish: Option<DateTime<Utc>>,
    ) -> Result<IterationNode, AzureError> {
        let name = name.trim();
        if name.is_empty() || name.contains(['\\', '/', '$', '?', '*', ':', '"', '&', '>', '<', '#', '%', '|', '+']) {
            return Err(AzureError::BadArgument {
                message: format!("VS402370: The classification node name '{name}' is not valid."),
            });
        }
        self.next_id += 1;
        let id = self.next_id;
        let tree = self.trees.entry(project.name.to_lowercase()).or_default();
        let parent_parts = segments(parent);
        let (siblings, parent_id) = if parent_parts.is_empty() {
            (tree, root_identifier(project))
        } else {
            let node =
                find_mut(tree, &parent_parts).ok_or_else(|| AzureError::NodeNotFound { path: parent.to_string() })?;
            let identifier = node.identifier;
            (&mut node.children, identifier)
        };
        if siblings.iter().any(|n| n.name.eq_ignore_ascii_case(name)) {
            return Err(AzureError::NodeDuplicateName { name: name.to_string(), parent: parent_id.to_string() });
        }
        let node = IterationNode {
            id,
            identifier: stable_uuid(&format!("iteration:{}:{parent}:{name}:{id}", project.name)),
            name: name.to_string(),
            start,
            finish,
            children: Vec::new(),
        };
        siblings.push(node.clone());
        Ok(node)
    }

    /// Re-dates `path`.
    pub fn update(
        &mut self,
        project: &Project,
        path: &str,
        start: Option<DateTime<Utc>>,
        finish: Option<DateTime<Utc>>,
    ) -> Result<IterationNode, AzureError> {
        let tree = self.trees.entry(project.name.to_lowercase()).or_default();
        let node =
            find_mut(tree, &segments(path)).ok_or_else(|| AzureError::NodeNotFound { path: path.to_string() })?;
        node.start = start;
        node.finish = finish;
        Ok(node.clone())
    }

    /// The nodes under `project`'s root.
    pub fn tree(&self, project: &str) -> &[IterationNode] {
        self.trees.get(&project.to_lowercase()).map(Vec::as_slice).unwrap_or_default()
    }

    /// The node at `path` in `project`.
    pub fn node(&self, project: &str, path: &str) -> Option<&IterationNode> {
        find(self.tree(project), &segments(path))
    }

    /// Gives iteration `identifier` to `team` of `project`; answers its path, or `None` when no
    /// such iteration exists.
    pub fn add_to_team(&mut self, project: &str, team: &str, identifier: Uuid) -> Option<String> {
        fn path_of(nodes: &[IterationNode], id: Uuid, prefix: &str) -> Option<String> {
            nodes.iter().find_map(|n| {
                let p = if prefix.is_empty() { n.name.clone() } else { format!("{prefix}\\{}", n.name) };
                if n.identifier == id { Some(p) } else { path_of(&n.children, id, &p) }
            })
        }
        let path = path_of(self.tree(project), identifier, "")?;
        let list = self.teams.entry(format!("{}/{}", project.to_lowercase(), team.to_lowercase())).or_default();
        if !list.contains(&identifier) {
            list.push(identifier);
        }
        Some(path)
    }

    /// The iterations of `team`, as paths below the root.
    pub fn team(&self, project: &str, team: &str) -> Vec<(Uuid, String)> {
        let ids = self.teams.get(&format!("{}/{}", project.to_lowercase(), team.to_lowercase()));
        let mut out = Vec::new();
        for id in ids.into_iter().flatten() {
            let mut stack: Vec<(&IterationNode, String)> =
                self.tree(project).iter().map(|n| (n, n.name.clone())).collect();
            while let Some((n, p)) = stack.pop() {
                if n.identifier == *id {
                    out.push((*id, p.clone()));
                }
                stack.extend(n.children.iter().map(|c| (c, format!("{p}\\{}", c.name))));
            }
        }
        out
    }
}

/// The identifier of `project`'s iteration root.
pub fn root_identifier(project: &Project) -> Uuid {
    stable_uuid(&format!("iteration-root:{}", project.id))
}

fn date_text(d: &Option<DateTime<Utc>>) -> Value {
    d.map(|d| json!(d.format("%Y-%m-%dT%H:%M:%SZ").to_string())).unwrap_or(Value::Null)
}

/// A node as the service shows it; `path` is below the root, `depth` how many levels of
/// children to include.
pub fn node_json(base: &str, project: &Project, node: &IterationNode, path: &str, depth: usize) -> Value {
    let mut v = json!({
        "id": node.id,
        "identifier": node.identifier.to_string(),
        "name": node.name,
        "structureType": "iteration",
        "hasChildren": !node.children.is_empty(),
        "path": format!("\\{}\\Iteration\\{path}", project.name),
        "url": format!("{base}/{}/_apis/wit/classificationNodes/Iterations/{}", project.id, path.replace('\\', "/")),
    });
    if node.start.is_some() {
        v["attributes"] = json!({"startDate": date_text(&node.start), "finishDate": date_text(&node.finish)});
    }
    if depth > 0 && !node.children.is_empty() {
        v["children"] = node
            .children
            .iter()
            .map(|c| node_json(base, project, c, &format!("{path}\\{}", c.name), depth - 1))
            .collect();
    }
    v
}

/// The root node of `project` with `depth` levels of children.
pub fn root_json(base: &str, project: &Project, nodes: &[IterationNode], depth: usize) -> Value {
    let mut v = json!({
        "id": 0,
        "identifier": root_identifier(project).to_string(),
        "name": project.name,
        "structureType": "iteration",
        "hasChildren": !nodes.is_empty(),
        "path": format!("\\{}\\Iteration", project.name),
        "url": format!("{base}/{}/_apis/wit/classificationNodes/Iterations", project.id),
    });
    if depth > 0 && !nodes.is_empty() {
        v["children"] = nodes.iter().map(|c| node_json(base, project, c, &c.name, depth - 1)).collect();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::process::Process;

    #[test]
    fn paths_exist_once_made_and_names_are_unique_among_siblings() {
        let p = Project { id: stable_uuid("p"), name: "Onboarding".into(), process: Process::Agile };
        let mut it = Iterations::default();
        assert!(it.exists("Onboarding", "") && !it.exists("Onboarding", "Pilot"));
        let pilot = it.create(&p, "", "Pilot", None, None).unwrap();
        it.create(&p, "Pilot", "Week 1", None, None).unwrap();
        assert!(it.exists("onboarding", "pilot\\week 1"));
        assert!(matches!(it.create(&p, "", "PILOT", None, None), Err(AzureError::NodeDuplicateName { .. })));
        assert!(matches!(it.create(&p, "Nope", "x", None, None), Err(AzureError::NodeNotFound { .. })));
        assert_eq!(it.add_to_team("Onboarding", "Onboarding Team", pilot.identifier).as_deref(), Some("Pilot"));
        assert_eq!(it.team("Onboarding", "onboarding team").len(), 1);
        let half = json!({"attributes": {"startDate": "2026-12-01T00:00:00Z"}});
        assert!(dates(&half).is_err());
    }
}
