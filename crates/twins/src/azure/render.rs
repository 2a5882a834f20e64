//! JSON the work item endpoints answer with: `WorkItem` (with `$expand` and `fields` as the service
//! applies them), revisions, `WorkItemUpdate` deltas between revisions, and `WorkItemDelete`.

use serde_json::{Map, Value, json};

use super::errors::AzureError;
use super::fields::{self, HIDDEN_FIELDS, format_date};
use super::identity::Identity;
use super::store::{Relation, Snapshot, Store, WorkItem};

/// `$expand` of work item reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expand {
    /// Default fields, no relations.
    #[default]
    None,
    /// Default fields and relations.
    Relations,
    /// All fields (system ones included).
    Fields,
    /// Default fields and `_links`.
    Links,
    /// Everything.
    All,
}

impl Expand {
    /// Parses `$expand` (any case); unknown values are refused as the service does.
    pub fn parse(text: Option<&str>) -> Result<Expand, AzureError> {
        match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("none") => Ok(Expand::None),
            Some("relations") => Ok(Expand::Relations),
            Some("fields") => Ok(Expand::Fields),
            Some("links") => Ok(Expand::Links),
            Some("all") => Ok(Expand::All),
            Some(other) => Err(AzureError::BadArgument {
                message: format!(
                    "The value '{other}' is not valid for parameter '$expand'. Valid values are: None, Relations, Fields, Links, All."
                ),
            }),
        }
    }

    fn relations(self) -> bool {
        matches!(self, Expand::Relations | Expand::All)
    }

    fn all_fields(self) -> bool {
        matches!(self, Expand::Fields | Expand::All)
    }
}

/// How one read shapes work items.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// `$expand`.
    pub expand: Expand,
    /// `fields=` (reference names), when given.
    pub fields: Option<Vec<String>>,
    /// Whether `_links` come by default (single-item reads) or only with `$expand=links|all`.
    pub links_by_default: bool,
    /// Whether `multilineFieldsFormat` is left out: the service answers it from api-version 7.2
    /// (`7.2-preview`) on; a 7.1 read gets Markdown fields without saying they are Markdown.
    pub formats_hidden: bool,
}

impl View {
    /// Checks `fields` against `$expand` and resolves names; the service refuses the mix.
    pub fn new(expand: Expand, fields: Option<Vec<String>>, links_by_default: bool) -> Result<View, AzureError> {
        let fields = match fields {
            Some(names) => {
                if matches!(expand, Expand::Relations | Expand::Fields | Expand::All) {
                    return Err(AzureError::BadArgument {
                        message: "The expand parameter can not be used with the fields parameter.".into(),
                    });
                }
                let mut resolved = Vec::new();
                for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                    let def = fields::find(name).ok_or_else(|| AzureError::FieldNotFound { name: name.to_string() })?;
                    resolved.push(def.reference_name.to_string());
                }
                Some(resolved)
            }
            None => None,
        };
        Ok(View { expand, fields, links_by_default, formats_hidden: false })
    }

    /// The view as a request at `version` sees it (`None`: the newest).
    pub fn at(mut self, version: Option<crate::azure::http::guard::ApiVersion>) -> View {
        self.formats_hidden = version.is_some_and(|v| v.before(7, 2));
        self
    }
}

/// `{base}/{projectId}/_apis/wit/workItems/{id}`.
pub fn item_url(store: &Store, item: &WorkItem) -> String {
    let project = store.project(&item.project).map(|p| p.id.to_string()).unwrap_or_else(|_| item.project.clone());
    format!("{}/{project}/_apis/wit/workItems/{}", store.base_url, item.id)
}

fn revised_date(item: &WorkItem, rev: u32) -> String {
    item.revisions
        .get(rev as usize)
        .map(|next| format_date(next.changed_date()))
        .unwrap_or_else(|| "9999-01-01T00:00:00Z".to_string())
}

fn visible_relations(store: &Store, relations: &[Relation]) -> Vec<Value> {
    relations
        .iter()
        .filter(|r| r.target_id().is_none_or(|id| store.live(id, None).is_ok()))
        .map(|r| json!({ "rel": r.rel, "url": r.url, "attributes": r.attributes }))
        .collect()
}

fn field_map(item: &WorkItem, snapshot: &Snapshot, view: &View) -> Map<String, Value> {
    let mut all = snapshot.fields.clone();
    all.insert("System.RevisedDate".into(), json!(revised_date(item, snapshot.rev)));
    match &view.fields {
        Some(names) => names.iter().filter_map(|n| all.get(n).map(|v| (n.clone(), v.clone()))).collect(),
        None if view.expand.all_fields() => all.into_iter().collect(),
        None => all.into_iter().filter(|(k, _)| !HIDDEN_FIELDS.contains(&k.as_str())).collect(),
    }
}

/// The `WorkItem` JSON of `snapshot` (a revision of `item`); `url` is the resource's own URL.
pub fn work_item(store: &Store, item: &WorkItem, snapshot: &Snapshot, view: &View, url: &str) -> Value {
    let base = item_url(store, item);
    let mut body = Map::new();
    body.insert("id".into(), json!(item.id));
    body.insert("rev".into(), json!(snapshot.rev));
    body.insert("fields".into(), Value::Object(field_map(item, snapshot, view)));
    if view.expand.relations() {
        body.insert("relations".into(), json!(visible_relations(store, &snapshot.relations)));
    }
    if !view.formats_hidden {
        let formats: Map<String, Value> = snapshot.markdown.iter().map(|f| (f.clone(), json!("markdown"))).collect();
        body.insert("multilineFieldsFormat".into(), Value::Object(formats));
    }
    if let Some(comment) = &snapshot.comment {
        body.insert(
            "commentVersionRef".into(),
            json!({
                "commentId": comment.comment_id,
                "version": comment.version,
                "text": comment.text,
                "createdInRevision": snapshot.rev,
                "isDeleted": comment.is_deleted,
                "url": format!("{base}/comments/{}/versions/{}", comment.comment_id, comment.version),
            }),
        );
    }
    if view.links_by_default || matches!(view.expand, Expand::Links | Expand::All) {
        let project = store.project(&item.project).map(|p| p.id.to_string()).unwrap_or_default();
        let type_name = snapshot.text("System.WorkItemType").replace(' ', "%20");
        body.insert(
            "_links".into(),
            json!({
                "self": { "href": url },
                "workItemUpdates": { "href": format!("{base}/updates") },
                "workItemRevisions": { "href": format!("{base}/revisions") },
                "workItemComments": { "href": format!("{base}/comments") },
                "html": { "href": format!("{}/web/wi.aspx?pcguid={}&id={}", store.base_url, store.collection_id, item.id) },
                "workItemType": { "href": format!("{}/{project}/_apis/wit/workItemTypes/{type_name}", store.base_url) },
                "fields": { "href": format!("{}/{project}/_apis/wit/fields", store.base_url) },
            }),
        );
    }
    body.insert("url".into(), json!(url));
    Value::Object(body)
}

/// The current state of a work item.
pub fn current(store: &Store, item: &WorkItem, view: &View) -> Value {
    let url = item_url(store, item);
    work_item(store, item, item.current(), view, &url)
}

/// Revision `rev` of a work item.
pub fn revision(store: &Store, item: &WorkItem, snapshot: &Snapshot, view: &View) -> Value {
    let url = format!("{}/revisions/{}", item_url(store, item), snapshot.rev);
    work_item(store, item, snapshot, view, &url)
}

fn identity_of(value: Option<&Value>) -> Option<Identity> {
    value.and_then(Identity::from_ref)
}

/// The `WorkItemUpdate` for revision `rev` (the changes from `rev - 1`).
pub fn update(store: &Store, item: &WorkItem, rev: u32) -> Option<Value> {
    let index = (rev as usize).checked_sub(1)?;
    let current = item.revisions.get(index)?;
    let empty = Snapshot::default();
    let previous = index.checked_sub(1).and_then(|i| item.revisions.get(i)).unwrap_or(&empty);
    let mut old = previous.fields.clone();
    let mut new = current.fields.clone();
    if index > 0 {
        old.insert("System.RevisedDate".into(), json!(format_date(current.changed_date())));
    }
    new.insert("System.RevisedDate".into(), json!(revised_date(item, rev)));
    let mut changes = Map::new();
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (a, b) = (old.get(key), new.get(key));
        if a != b {
            let mut change = Map::new();
            if let Some(a) = a {
                change.insert("oldValue".into(), a.clone());
            }
            if let Some(b) = b {
                change.insert("newValue".into(), b.clone());
            }
            changes.insert(key.clone(), Value::Object(change));
        }
    }
    let same = |a: &Relation, b: &Relation| a.rel == b.rel && a.url.eq_ignore_ascii_case(&b.url);
    let render = |r: &Relation| json!({ "rel": r.rel, "url": r.url, "attributes": r.attributes });
    let added: Vec<Value> =
        current.relations.iter().filter(|r| !previous.relations.iter().any(|p| same(p, r))).map(render).collect();
    let removed: Vec<Value> =
        previous.relations.iter().filter(|p| !current.relations.iter().any(|r| same(p, r))).map(render).collect();
    let updated: Vec<Value> = current
        .relations
        .iter()
        .filter(|r| previous.relations.iter().any(|p| same(p, r) && p.attributes != r.attributes))
        .map(render)
        .collect();
    let base = item_url(store, item);
    let url = format!("{base}/updates/{rev}");
    let mut revised_by =
        identity_of(current.fields.get("System.ChangedBy")).map(|i| i.to_ref(&store.base_url)).unwrap_or(Value::Null);
    if let (Some(by), Value::Object(map)) = (identity_of(current.fields.get("System.ChangedBy")), &mut revised_by) {
        map.insert("name".into(), json!(by.combo()));
    }
    let mut body = json!({
        "id": rev,
        "workItemId": item.id,
        "rev": rev,
        "revisedBy": revised_by,
        "revisedDate": revised_date(item, rev),
        "fields": changes,
        "_links": {
            "self": { "href": url },
            "workItemUpdates": { "href": format!("{base}/updates") },
            "parent": { "href": base },
        },
        "url": url,
    });
    if !(added.is_empty() && removed.is_empty() && updated.is_empty()) {
        let mut relations = Map::new();
        for (name, list) in [("added", added), ("removed", removed), ("updated", updated)] {
            if !list.is_empty() {
                relations.insert(name.into(), json!(list));
            }
        }
        body["relations"] = Value::Object(relations);
    }
    Some(body)
}

/// The `recyclebin/{id}` URL of a work item (its project named by id, as the service does).
pub fn deleted_url(store: &Store, item: &WorkItem) -> String {
    let project = store.project(&item.project).map(|p| p.id.to_string()).unwrap_or_default();
    format!("{}/{project}/_apis/wit/recyclebin/{}", store.base_url, item.id)
}

/// The `WorkItemDelete` JSON of an item in (or just restored from) the recycle bin.
pub fn deleted(store: &Store, item: &WorkItem, code: Option<u16>) -> Value {
    let url = deleted_url(store, item);
    let view = View { links_by_default: true, ..View::default() };
    let snapshot = item.current();
    let mut body = json!({
        "id": item.id,
        "type": snapshot.text("System.WorkItemType"),
        "name": snapshot.text("System.Title"),
        "project": item.project,
        "url": url,
        "resource": work_item(store, item, snapshot, &view, &item_url(store, item)),
    });
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    if let Some(deletion) = &item.deleted {
        body["deletedDate"] = json!(format_date(deletion.date));
        body["deletedBy"] = json!(deletion.by.combo());
    }
    body
}
