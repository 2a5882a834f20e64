//! The draft of a work item that a JSON Patch document is applied to, operation by operation:
//! fields (coerced and identity-resolved), relations, Markdown formats and `test` checks. A
//! failed `test` or a refused value stops the document before anything is saved.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::errors::AzureError;
use super::fields::{self, FieldDef, FieldKind};
use super::identity::Directory;
use super::patch::{Op, PatchOp, Target, failed, parse_path};
use super::relations;
use super::store::{Relation, Snapshot, work_item_id_from_url};

/// The item being written, as operations change it.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Id (already assigned for a new item).
    pub id: i64,
    /// The state being built.
    pub snapshot: Snapshot,
    /// Fields the client wrote (reference names).
    pub written: BTreeSet<String>,
}

/// What applying operations needs besides the draft.
pub struct Context<'a> {
    /// The people the twin knows (identity fields resolve against it).
    pub people: &'a mut Directory,
    /// `?bypassRules=true`.
    pub bypass_rules: bool,
    /// The write time (resource links are stamped with it).
    pub now: DateTime<Utc>,
    /// `{base}` for identity refs.
    pub base_url: &'a str,
    /// Next id for resource links.
    pub next_resource_id: &'a mut i64,
}

/// Fields no client may write, even with `bypassRules`.
const SYSTEM_ONLY: &[&str] = &[
    "System.Id",
    "System.Rev",
    "System.Watermark",
    "System.AuthorizedDate",
    "System.RevisedDate",
    "System.CommentCount",
    "System.Parent",
    "System.AuthorizedAs",
];

fn field_def(name: &str) -> Result<&'static FieldDef, AzureError> {
    fields::find(name).ok_or_else(|| AzureError::FieldNotFound { name: name.to_string() })
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(o) => o.get("displayName").and_then(Value::as_str).unwrap_or_default().to_string(),
        other => other.to_string(),
    }
}

fn same(current: &Value, expected: &Value) -> bool {
    match (current, expected) {
        (Value::Number(a), _) | (_, Value::Number(a)) if a.as_f64().is_some() => {
            text_of(current).parse::<f64>().ok() == text_of(expected).parse::<f64>().ok()
        }
        (Value::Object(_), Value::String(s)) => {
            super::identity::Identity::from_ref(current).is_some_and(|i| i.answers_to(s))
        }
        _ => text_of(current) == text_of(expected),
    }
}

/// Keeps the spelling a tag already has on the item (tags are shared, so `alpha` is `Alpha`).
fn recase_tags(tags: &str, existing: &str) -> String {
    let known: Vec<&str> = existing.split(';').map(str::trim).filter(|t| !t.is_empty()).collect();
    let recased: Vec<String> = tags
        .split(';')
        .map(str::trim)
        .map(|tag| known.iter().find(|k| k.eq_ignore_ascii_case(tag)).map_or(tag, |k| *k).to_string())
        .collect();
    fields::normalize_tags(&recased.join(";"))
}

impl Draft {
    /// Applies one operation.
    pub fn apply(&mut self, op: &PatchOp, ctx: &mut Context<'_>) -> Result<(), AzureError> {
        if matches!(op.op, Op::Move | Op::Copy) {
            return Err(failed(format!("The operation '{:?}' is not supported for work items.", op.op).to_lowercase()));
        }
        let value = op.value.clone().unwrap_or(Value::Null);
        match parse_path(&op.path)? {
            Target::Rev | Target::Id => {
                if op.op != Op::Test {
                    return Err(failed(format!("The path '{}' can only be tested.", op.path)));
                }
                let current = if parse_path(&op.path)? == Target::Rev {
                    Value::from(self.snapshot.rev)
                } else {
                    Value::from(self.id)
                };
                self.check(&op.path, &current, &value)
            }
            Target::Field(name) => self.apply_field(op.op, &name, value, ctx),
            Target::MultilineFormat(name) => {
                let def = field_def(&name)?;
                if !fields::is_multiline(def) {
                    return Err(failed(format!("The field '{}' is not a multiline field.", def.reference_name)));
                }
                let format = text_of(&value).to_ascii_lowercase();
                match (op.op, format.as_str()) {
                    (Op::Test, _) => {
                        let now = if self.snapshot.markdown.contains(def.reference_name) { "markdown" } else { "html" };
                        self.check(&op.path, &Value::from(now), &Value::from(format))
                    }
                    (Op::Remove, _) | (_, "html") if self.snapshot.markdown.contains(def.reference_name) => {
                        Err(AzureError::MarkdownIsFinal { field: def.reference_name.into() })
                    }
                    (Op::Remove, _) | (_, "html") => Ok(()),
                    (_, "markdown") => {
                        self.snapshot.markdown.insert(def.reference_name.to_string());
                        Ok(())
                    }
                    _ => {
                        Err(failed(format!("The format '{}' is not valid; use 'Markdown' or 'Html'.", text_of(&value))))
                    }
                }
            }
            Target::RelationsEnd => match op.op {
                Op::Add => self.add_relation(&value, ctx),
                _ => Err(failed("Only 'add' is valid on the path '/relations/-'.")),
            },
            Target::Relation(index) => {
                if index >= self.snapshot.relations.len() {
                    return Err(failed(format!(
                        "The relation at index {index} does not exist on work item {}.",
                        self.id
                    )));
                }
                match op.op {
                    Op::Remove => {
                        self.snapshot.relations.remove(index);
                        Ok(())
                    }
                    Op::Test => {
                        let rel = &self.snapshot.relations[index];
                        let matches =
                            value.get("url").and_then(Value::as_str).is_none_or(|u| u.eq_ignore_ascii_case(&rel.url))
                                && value
                                    .get("rel")
                                    .and_then(Value::as_str)
                                    .is_none_or(|r| r.eq_ignore_ascii_case(&rel.rel));
                        if matches { Ok(()) } else { Err(self.test_failed(&op.path, &rel.url, &text_of(&value))) }
                    }
                    _ => {
                        self.snapshot.relations.remove(index);
                        self.add_relation(&value, ctx)?;
                        let added = self.snapshot.relations.pop().expect("just added");
                        self.snapshot.relations.insert(index, added);
                        Ok(())
                    }
                }
            }
            Target::RelationAttribute(index, name) => {
                let id = self.id;
                let rel = self.snapshot.relations.get_mut(index).ok_or_else(|| {
                    failed(format!("The relation at index {index} does not exist on work item {id}."))
                })?;
                match op.op {
                    Op::Remove => {
                        rel.attributes.remove(&name);
                    }
                    Op::Test => {
                        let current = rel.attributes.get(&name).cloned().unwrap_or(Value::Null);
                        return self.check(&op.path, &current, &value);
                    }
                    _ => {
                        rel.attributes.insert(name, value);
                    }
                }
                Ok(())
            }
        }
    }

    fn test_failed(&self, path: &str, current: &str, expected: &str) -> AzureError {
        AzureError::TestFailed { path: path.to_string(), current: current.to_string(), expected: expected.to_string() }
    }

    fn check(&self, path: &str, current: &Value, expected: &Value) -> Result<(), AzureError> {
        if same(current, expected) {
            Ok(())
        } else {
            Err(self.test_failed(path, &text_of(current), &text_of(expected)))
        }
    }

    fn apply_field(&mut self, op: Op, name: &str, value: Value, ctx: &mut Context<'_>) -> Result<(), AzureError> {
        let def = field_def(name)?;
        let key = def.reference_name.to_string();
        if op == Op::Test {
            let current = self.snapshot.fields.get(&key).cloned().unwrap_or(Value::Null);
            return self.check(&format!("/fields/{key}"), &current, &value);
        }
        if SYSTEM_ONLY.contains(&def.reference_name) || (def.read_only && !ctx.bypass_rules) {
            return Err(AzureError::InvalidFieldStatus { status: "ReadOnly".into(), field: def.name.into() });
        }
        self.written.insert(key.clone());
        let stored = match op {
            Op::Remove => None,
            _ if def.kind == FieldKind::Identity => {
                if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
                    None
                } else {
                    let person = ctx.people.resolve(&value, def.name, ctx.bypass_rules)?;
                    Some(person.to_ref(ctx.base_url))
                }
            }
            _ if def.reference_name == "System.Tags" => {
                let existing = self.snapshot.text(&key);
                fields::coerce(def, &value)?
                    .map(|tags| Value::from(recase_tags(tags.as_str().unwrap_or_default(), &existing)))
            }
            _ => fields::coerce(def, &value)?,
        };
        match stored {
            Some(v) => self.snapshot.fields.insert(key, v),
            None => self.snapshot.fields.remove(&key),
        };
        Ok(())
    }

    fn add_relation(&mut self, value: &Value, ctx: &mut Context<'_>) -> Result<(), AzureError> {
        let rel = value.get("rel").and_then(Value::as_str).unwrap_or_default();
        let url = value.get("url").and_then(Value::as_str).unwrap_or_default();
        if rel.is_empty() || url.is_empty() {
            return Err(failed("A relation must have 'rel' and 'url'."));
        }
        let def = relations::find(rel).ok_or_else(|| AzureError::UnknownRelationType { rel: rel.to_string() })?;
        let url = if def.is_work_item_link() {
            let target = work_item_id_from_url(url).ok_or_else(|| {
                failed(format!("The URL '{url}' of a '{}' relation must point at a work item.", def.reference_name))
            })?;
            format!("{}/_apis/wit/workItems/{target}", ctx.base_url)
        } else {
            url.to_string()
        };
        *ctx.next_resource_id += 1;
        let attributes = relations::new_attributes(def, value.get("attributes"), ctx.now, *ctx.next_resource_id);
        self.snapshot.relations.push(Relation { rel: def.reference_name.to_string(), url, attributes });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::patch::parse_document;
    use serde_json::json;

    fn draft() -> Draft {
        let mut snapshot = Snapshot { rev: 3, ..Snapshot::default() };
        snapshot.fields.insert("System.Title".into(), json!("Old"));
        Draft { id: 9, snapshot, written: BTreeSet::new() }
    }

    fn run(draft: &mut Draft, body: Value) -> Result<(), AzureError> {
        // Ann is a member of the organization (only members can be assigned).
        let mut people = Directory::default();
        people.register(super::super::identity::Identity::new("Ann", "ann@contoso.com"));
        let mut next = 0;
        let mut ctx = Context {
            people: &mut people,
            bypass_rules: false,
            now: Utc::now(),
            base_url: "http://t/o",
            next_resource_id: &mut next,
        };
        for op in parse_document(&body)? {
            draft.apply(&op, &mut ctx)?;
        }
        Ok(())
    }

    #[test]
    fn test_on_rev_compares_numbers_and_strings() {
        assert!(run(&mut draft(), json!([{"op": "test", "path": "/rev", "value": 3}])).is_ok());
        assert!(run(&mut draft(), json!([{"op": "test", "path": "/rev", "value": "3"}])).is_ok());
        let err = run(&mut draft(), json!([{"op": "test", "path": "/rev", "value": 2}])).unwrap_err();
        assert_eq!(err.status().as_u16(), 412);
        assert!(err.to_string().contains("value 3 was not equal to test value 2"));
    }

    #[test]
    fn fields_relations_and_formats_apply_in_order() {
        let mut d = draft();
        run(&mut d, json!([
            {"op": "add", "path": "/fields/Title", "value": "New"},
            {"op": "add", "path": "/fields/System.Tags", "value": "b; a"},
            {"op": "add", "path": "/fields/System.AssignedTo", "value": "Ann <ann@contoso.com>"},
            {"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Reverse", "url": "https://dev.azure.com/x/_apis/wit/workItems/4", "attributes": {"comment": "c"}}},
            {"op": "add", "path": "/relations/-", "value": {"rel": "Hyperlink", "url": "https://example.com/a"}},
            {"op": "replace", "path": "/relations/0/attributes/comment", "value": "d"},
            {"op": "remove", "path": "/relations/1"},
            {"op": "add", "path": "/multilineFieldsFormat/System.Description", "value": "Markdown"},
        ])).unwrap();
        assert_eq!(d.snapshot.fields["System.Title"], "New");
        assert_eq!(d.snapshot.fields["System.Tags"], "a; b");
        assert_eq!(d.snapshot.fields["System.AssignedTo"]["uniqueName"], "ann@contoso.com");
        assert_eq!(d.snapshot.relations.len(), 1);
        assert_eq!(d.snapshot.relations[0].url, "http://t/o/_apis/wit/workItems/4");
        assert_eq!(d.snapshot.relations[0].attributes["comment"], "d");
        assert!(d.snapshot.markdown.contains("System.Description"));
        let err =
            run(&mut d, json!([{"op": "add", "path": "/multilineFieldsFormat/System.Description", "value": "html"}]))
                .unwrap_err();
        assert!(matches!(err, AzureError::MarkdownIsFinal { .. }));
    }

    #[test]
    fn refuses_what_the_service_refuses() {
        let cases = [
            json!([{"op": "add", "path": "/fields/System.Nope", "value": 1}]),
            json!([{"op": "add", "path": "/fields/System.Rev", "value": 1}]),
            json!([{"op": "add", "path": "/fields/System.CreatedDate", "value": "2020-01-01"}]),
            json!([{"op": "move", "path": "/fields/System.Title", "from": "/fields/System.Description"}]),
            json!([{"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Nope", "url": "http://x/_apis/wit/workItems/1"}}]),
            json!([{"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Related", "url": "http://x/y"}}]),
            json!([{"op": "remove", "path": "/relations/0"}]),
            json!({"op": "add"}),
        ];
        for body in cases {
            assert!(run(&mut draft(), body.clone()).is_err(), "{body}");
        }
    }
}
