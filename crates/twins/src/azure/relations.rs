//! Relation (link) types: work item links with their opposite ends and topology (tree, network,
//! dependency), resource links (`Hyperlink`, `AttachedFile`, `ArtifactLink`), and the attributes a
//! stored relation carries.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::fields::format_date;

/// One relation type the service knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelationTypeDef {
    /// `System.LinkTypes.Hierarchy-Forward`.
    pub reference_name: &'static str,
    /// `Child`.
    pub name: &'static str,
    /// The other end's reference name (work item links only; `Related` is its own opposite).
    pub opposite: Option<&'static str>,
    /// `tree`, `network` or `dependency` for work item links; `None` for resource links.
    pub topology: Option<&'static str>,
    /// Whether this is the forward end of a directional link.
    pub is_forward: bool,
    /// Whether users can edit the type.
    pub editable: bool,
}

impl RelationTypeDef {
    /// Whether it links two work items (rather than a work item and a resource).
    pub fn is_work_item_link(&self) -> bool {
        self.topology.is_some()
    }

    /// The `WorkItemRelationType` JSON, with its URL under `base`.
    pub fn to_json(&self, base: &str) -> Value {
        let mut attributes = Map::new();
        attributes
            .insert("usage".into(), json!(if self.is_work_item_link() { "workItemLink" } else { "resourceLink" }));
        attributes.insert("editable".into(), json!(self.editable));
        attributes.insert("enabled".into(), json!(true));
        if let Some(topology) = self.topology {
            let directional = topology != "network";
            attributes.insert("acyclic".into(), json!(directional));
            attributes.insert("directional".into(), json!(directional));
            attributes.insert("singleTarget".into(), json!(topology != "tree"));
            attributes.insert("topology".into(), json!(topology));
            if directional {
                attributes.insert("isForward".into(), json!(self.is_forward));
            }
            if let Some(opposite) = self.opposite.filter(|o| *o != self.reference_name) {
                attributes.insert("oppositeEndReferenceName".into(), json!(opposite));
            }
        }
        json!({
            "attributes": attributes,
            "referenceName": self.reference_name,
            "name": self.name,
            "url": format!("{base}/_apis/wit/workItemRelationTypes/{}", self.reference_name),
        })
    }
}

/// The parent end: an item holding this points at its parent.
pub const PARENT: &str = "System.LinkTypes.Hierarchy-Reverse";
/// The child end: an item holding this points at one of its children.
pub const CHILD: &str = "System.LinkTypes.Hierarchy-Forward";

const fn link(
    reference_name: &'static str,
    name: &'static str,
    opposite: &'static str,
    topology: &'static str,
    is_forward: bool,
    editable: bool,
) -> RelationTypeDef {
    RelationTypeDef { reference_name, name, opposite: Some(opposite), topology: Some(topology), is_forward, editable }
}

const fn resource(reference_name: &'static str, name: &'static str) -> RelationTypeDef {
    RelationTypeDef { reference_name, name, opposite: None, topology: None, is_forward: false, editable: false }
}

/// Every relation type, in the order `GET …/workitemrelationtypes` lists them.
pub const RELATION_TYPES: &[RelationTypeDef] = &[
    link(
        "Microsoft.VSTS.Common.Affects-Forward",
        "Affects",
        "Microsoft.VSTS.Common.Affects-Reverse",
        "dependency",
        true,
        true,
    ),
    link(
        "Microsoft.VSTS.Common.Affects-Reverse",
        "Affected By",
        "Microsoft.VSTS.Common.Affects-Forward",
        "dependency",
        false,
        true,
    ),
    link(
        "Microsoft.VSTS.Common.TestedBy-Forward",
        "Tested By",
        "Microsoft.VSTS.Common.TestedBy-Reverse",
        "dependency",
        true,
        true,
    ),
    link(
        "Microsoft.VSTS.Common.TestedBy-Reverse",
        "Tests",
        "Microsoft.VSTS.Common.TestedBy-Forward",
        "dependency",
        false,
        true,
    ),
    link("System.LinkTypes.Duplicate-Forward", "Duplicate", "System.LinkTypes.Duplicate-Reverse", "tree", true, false),
    link(
        "System.LinkTypes.Duplicate-Reverse",
        "Duplicate Of",
        "System.LinkTypes.Duplicate-Forward",
        "tree",
        false,
        false,
    ),
    link(
        "System.LinkTypes.Dependency-Forward",
        "Successor",
        "System.LinkTypes.Dependency-Reverse",
        "dependency",
        true,
        false,
    ),
    link(
        "System.LinkTypes.Dependency-Reverse",
        "Predecessor",
        "System.LinkTypes.Dependency-Forward",
        "dependency",
        false,
        false,
    ),
    link(CHILD, "Child", PARENT, "tree", true, false),
    link(PARENT, "Parent", CHILD, "tree", false, false),
    link("System.LinkTypes.Related", "Related", "System.LinkTypes.Related", "network", false, false),
    resource("AttachedFile", "Attached File"),
    resource("Hyperlink", "Hyperlink"),
    resource("ArtifactLink", "Artifact Link"),
];

/// Finds a relation type by reference name or name, ignoring case.
pub fn find(rel: &str) -> Option<&'static RelationTypeDef> {
    RELATION_TYPES
        .iter()
        .find(|r| r.reference_name.eq_ignore_ascii_case(rel.trim()) || r.name.eq_ignore_ascii_case(rel.trim()))
}

/// The attributes a new relation is stored with: the client's, plus what the service adds.
pub fn new_attributes(
    def: &RelationTypeDef,
    given: Option<&Value>,
    now: DateTime<Utc>,
    resource_id: i64,
) -> Map<String, Value> {
    let mut attributes = Map::new();
    if def.is_work_item_link() {
        attributes.insert("isLocked".into(), json!(false));
    } else {
        let at = format_date(now);
        attributes.insert("authorizedDate".into(), json!(at));
        attributes.insert("id".into(), json!(resource_id));
        attributes.insert("resourceCreatedDate".into(), json!(at));
        attributes.insert("resourceModifiedDate".into(), json!(at));
        attributes.insert("revisedDate".into(), json!("9999-01-01T00:00:00Z"));
    }
    attributes.insert("name".into(), json!(def.name));
    if let Some(Value::Object(given)) = given {
        for (key, value) in given {
            if key != "isLocked" || !def.is_work_item_link() || value.is_boolean() {
                attributes.insert(key.clone(), value.clone());
            }
        }
    }
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_pair_up() {
        for def in RELATION_TYPES.iter().filter(|d| d.is_work_item_link()) {
            let opposite = find(def.opposite.unwrap()).unwrap();
            assert_eq!(opposite.opposite, Some(def.reference_name), "{}", def.reference_name);
        }
        assert_eq!(find("system.linktypes.dependency-forward").unwrap().name, "Successor");
        assert_eq!(find("Parent").unwrap().reference_name, PARENT);
        assert!(find("System.LinkTypes.Nope").is_none());
    }

    #[test]
    fn json_matches_the_service_shape() {
        let child = find(CHILD).unwrap().to_json("http://x/o");
        assert_eq!(child["attributes"]["topology"], "tree");
        assert_eq!(child["attributes"]["oppositeEndReferenceName"], PARENT);
        assert_eq!(child["attributes"]["isForward"], true);
        let related = find("System.LinkTypes.Related").unwrap().to_json("http://x/o");
        assert_eq!(related["attributes"]["directional"], false);
        assert!(related["attributes"].get("oppositeEndReferenceName").is_none());
        let hyperlink = find("Hyperlink").unwrap().to_json("http://x/o");
        assert_eq!(hyperlink["attributes"]["usage"], "resourceLink");
    }

    #[test]
    fn new_attributes_keep_the_clients_comment() {
        let def = find(PARENT).unwrap();
        let attrs = new_attributes(def, Some(&json!({"comment": "decomposition"})), Utc::now(), 1);
        assert_eq!(attrs["isLocked"], false);
        assert_eq!(attrs["name"], "Parent");
        assert_eq!(attrs["comment"], "decomposition");
        let link = new_attributes(find("Hyperlink").unwrap(), None, Utc::now(), 7);
        assert_eq!(link["id"], 7);
        assert_eq!(link["revisedDate"], "9999-01-01T00:00:00Z");
    }
}
