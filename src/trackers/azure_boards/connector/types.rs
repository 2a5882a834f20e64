//! The work item as this connector reads and writes it: the `WorkItem` JSON (fields, relations,
//! multiline formats), its fields as text, and the JSON Patch operations of a create or update.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::trackers::azure_boards::mapping::WorkItemContent;

/// The relation from a child to its parent.
pub const PARENT: &str = "System.LinkTypes.Hierarchy-Reverse";

/// One relation of a work item (`$expand=relations`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Relation {
    pub rel: String,
    pub url: String,
    #[serde(default)]
    pub attributes: serde_json::Map<String, Value>,
}

/// A work item from `GET …/workitems/{id}`, `workitemsbatch` or a write's answer.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct WorkItem {
    pub id: i64,
    pub rev: u64,
    #[serde(default)]
    pub fields: serde_json::Map<String, Value>,
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// Rich-text fields held as Markdown (`{"System.Description": "markdown"}`).
    #[serde(default, rename = "multilineFieldsFormat")]
    pub multiline_fields_format: BTreeMap<String, String>,
    #[serde(default)]
    pub url: String,
}

/// A number as people write it: `3`, not `3.0`.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

/// A field value as text: identities by unique name (or display name), numbers without `.0`.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_i64().map(|i| i.to_string()).unwrap_or_else(|| number_text(n.as_f64().unwrap_or(0.0))),
        Value::Bool(b) => b.to_string(),
        Value::Object(o) => o
            .get("uniqueName")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .or_else(|| o.get("displayName").and_then(Value::as_str))
            .unwrap_or_default()
            .to_string(),
        Value::Array(_) => value.to_string(),
    }
}

/// The id at the end of a work item URL (`…/_apis/wit/workItems/42`).
pub fn id_from_url(url: &str) -> Option<i64> {
    url.trim_end_matches('/').rsplit('/').next()?.parse().ok()
}

impl WorkItem {
    pub fn text(&self, field: &str) -> String {
        self.fields.get(field).map(value_text).unwrap_or_default()
    }

    pub fn work_item_type(&self) -> String {
        self.text("System.WorkItemType")
    }

    pub fn tags(&self) -> Vec<String> {
        self.text("System.Tags").split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
    }

    pub fn changed_date(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.text("System.ChangedDate")).ok().map(|d| d.with_timezone(&Utc))
    }

    /// The parent's id, from the Hierarchy-Reverse relation.
    pub fn parent_id(&self) -> Option<i64> {
        self.relations.iter().find(|r| r.rel.eq_ignore_ascii_case(PARENT)).and_then(|r| id_from_url(&r.url))
    }

    /// The index of the parent relation, for removing it.
    pub fn parent_index(&self) -> Option<usize> {
        self.relations.iter().position(|r| r.rel.eq_ignore_ascii_case(PARENT))
    }

    /// The web page of the item: `{org}/{project}/_workitems/edit/{id}`, from its API URL.
    pub fn web_url(&self) -> Option<String> {
        let (org_and_project, _) = self.url.split_once("/_apis/")?;
        Some(format!("{org_and_project}/_workitems/edit/{}", self.id))
    }

    /// What the mapping reads: every field as text and which rich-text fields are Markdown.
    pub fn content(&self) -> WorkItemContent {
        let markdown: BTreeSet<String> = self
            .multiline_fields_format
            .iter()
            .filter(|(_, f)| f.eq_ignore_ascii_case("markdown"))
            .map(|(k, _)| k.clone())
            .collect();
        WorkItemContent {
            work_item_type: self.work_item_type(),
            fields: self.fields.iter().map(|(k, v)| (k.clone(), value_text(v))).collect(),
            markdown,
        }
    }
}

/// One JSON Patch operation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PatchOp {
    pub op: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl PatchOp {
    /// `test /rev`: the whole document is refused when the item moved on.
    pub fn test_rev(rev: u64) -> PatchOp {
        PatchOp { op: "test", path: "/rev".into(), value: Some(Value::from(rev)) }
    }

    /// Sets a field; an empty text clears it.
    pub fn set(field: &str, value: &str) -> PatchOp {
        PatchOp { op: "add", path: format!("/fields/{field}"), value: Some(Value::from(value)) }
    }

    /// Marks a rich-text field as Markdown.
    pub fn markdown(field: &str) -> PatchOp {
        PatchOp { op: "add", path: format!("/multilineFieldsFormat/{field}"), value: Some(Value::from("Markdown")) }
    }

    /// Links the item to its parent.
    pub fn add_parent(parent_url: &str) -> PatchOp {
        PatchOp {
            op: "add",
            path: "/relations/-".into(),
            value: Some(serde_json::json!({ "rel": PARENT, "url": parent_url })),
        }
    }

    pub fn remove_relation(index: usize) -> PatchOp {
        PatchOp { op: "remove", path: format!("/relations/{index}"), value: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patch_documents_serialize_as_the_service_expects() {
        let ops = vec![
            PatchOp::test_rev(3),
            PatchOp::set("System.Title", "T"),
            PatchOp::markdown("System.Description"),
            PatchOp::add_parent("http://x/o/_apis/wit/workItems/4"),
            PatchOp::remove_relation(0),
        ];
        assert_eq!(
            serde_json::to_value(&ops).unwrap(),
            json!([
                {"op": "test", "path": "/rev", "value": 3},
                {"op": "add", "path": "/fields/System.Title", "value": "T"},
                {"op": "add", "path": "/multilineFieldsFormat/System.Description", "value": "Markdown"},
                {"op": "add", "path": "/relations/-", "value": {"rel": PARENT, "url": "http://x/o/_apis/wit/workItems/4"}},
                {"op": "remove", "path": "/relations/0"},
            ])
        );
    }

    #[test]
    fn work_items_read_as_text() {
        let item: WorkItem = serde_json::from_value(json!({
            "id": 7, "rev": 2, "url": "http://h/o/p1/_apis/wit/workItems/7",
            "fields": {
                "System.Title": "T", "Microsoft.VSTS.Scheduling.StoryPoints": 3.0, "Microsoft.VSTS.Common.Priority": 2,
                "System.AssignedTo": {"displayName": "Ann", "uniqueName": "ann@contoso.com"},
                "System.Tags": "a; backlog-sync:ST-1", "System.ChangedDate": "2024-01-02T03:04:05.67Z"
            },
            "relations": [{"rel": PARENT, "url": "http://h/o/_apis/wit/workItems/4", "attributes": {}}],
            "multilineFieldsFormat": {"System.Description": "markdown"}
        }))
        .unwrap();
        let c = item.content();
        assert_eq!(c.fields["Microsoft.VSTS.Scheduling.StoryPoints"], "3");
        assert_eq!(c.fields["Microsoft.VSTS.Common.Priority"], "2");
        assert_eq!(c.fields["System.AssignedTo"], "ann@contoso.com");
        assert!(c.markdown.contains("System.Description"));
        assert_eq!(item.tags(), vec!["a", "backlog-sync:ST-1"]);
        assert_eq!(item.parent_id(), Some(4));
        assert_eq!(item.web_url().as_deref(), Some("http://h/o/p1/_workitems/edit/7"));
        assert!(item.changed_date().is_some());
        assert_eq!(number_text(2.5), "2.5");
    }
}
