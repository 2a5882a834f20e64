//! GitHub's published descriptions as JSON Schema validators: the REST OpenAPI documents (3.0,
//! `nullable` converted), the octokit webhook schemas and the reconstructed `sub_issues` schema.

use std::path::Path;

use jsonschema::{Draft, Registry, Resource, Validator};
use serde_json::{Map, Value, json};
use yaml_rust2::{Yaml, YamlLoader};

const REST: &str = "https://schemas.test/api.github.com.issues.openapi.yaml";
const SNAPSHOT: &str = "https://schemas.test/api.github.com.issues.2022-07-snapshot.openapi.json";
const SUB_ISSUES: &str = "https://schemas.test/webhooks/sub_issues.webhooks.openapi.yaml";

/// Every schema registered once; validators are built from `$ref`s into it.
pub struct Schemas {
    registry: Registry<'static>,
}

/// YAML → JSON (keys become strings).
pub fn yaml_to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Real(r) => r.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
        Yaml::Integer(i) => json!(i),
        Yaml::String(s) => json!(s),
        Yaml::Boolean(b) => json!(b),
        Yaml::Array(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Hash(hash) => {
            let mut map = Map::new();
            for (k, v) in hash {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => format!("{other:?}"),
                };
                map.insert(key, yaml_to_json(v));
            }
            Value::Object(map)
        }
        _ => Value::Null,
    }
}

/// OpenAPI 3.0 → JSON Schema: `nullable: true` adds `"null"` to `type` (and to `enum`), or wraps
/// a type-less schema in `anyOf [schema, {type: null}]`.
pub fn convert_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                convert_nullable(child);
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(options)) = map.get_mut("enum")
                        && !options.contains(&Value::Null)
                    {
                        options.push(Value::Null);
                    }
                } else {
                    let inner = Value::Object(std::mem::take(map));
                    map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_nullable),
        _ => {}
    }
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
    yaml_to_json(&docs[0])
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// `/repos/{owner}/{repo}/issues` → the URI-fragment JSON pointer segment.
fn pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1").replace('{', "%7B").replace('}', "%7D")
}

impl Schemas {
    /// Loads every description under `shared/specs/github`.
    pub fn load(shared: &Path) -> Schemas {
        let github = shared.join("specs/github");
        let mut rest = read_yaml(&github.join("api.github.com.issues.openapi.yaml"));
        convert_nullable(&mut rest);
        let mut snapshot = read_json(&github.join("api.github.com.issues.2022-07-snapshot.openapi.json"));
        convert_nullable(&mut snapshot);
        let mut sub_issues = read_yaml(&github.join("webhooks/sub_issues.webhooks.openapi.yaml"));
        convert_nullable(&mut sub_issues);
        let mut resources = vec![
            (REST.to_string(), Draft::Draft202012.create_resource(rest)),
            (SNAPSHOT.to_string(), Draft::Draft202012.create_resource(snapshot)),
            (SUB_ISSUES.to_string(), Draft::Draft202012.create_resource(sub_issues)),
        ];
        let hooks = github.join("webhooks/schemas/api.github.com");
        for dir in std::fs::read_dir(&hooks).expect("webhook schema folder") {
            let dir = dir.expect("entry").path();
            let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            for file in std::fs::read_dir(&dir).expect("webhook schema folder") {
                let file = file.expect("entry").path();
                let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
                let mut schema = read_json(&file);
                // Relative `$id`s would re-root the refs; each file is registered where its refs
                // expect it instead.
                schema.as_object_mut().map(|m| m.remove("$id"));
                let uri = if folder == "common" {
                    format!("https://schemas.test/common/{name}")
                } else {
                    format!("https://schemas.test/{folder}${}", name.trim_end_matches(".schema.json"))
                };
                resources.push((uri, Resource::from_contents(schema)));
            }
        }
        let registry = Registry::new().extend(resources).expect("register schemas").prepare().expect("prepare schemas");
        Schemas { registry }
    }

    fn validator(&self, reference: &str) -> Validator {
        jsonschema::options()
            .with_registry(&self.registry)
            .build(&json!({ "$ref": reference }))
            .unwrap_or_else(|e| panic!("schema `{reference}`: {e}"))
    }

    /// The response schema of an operation in the current REST description.
    pub fn response(&self, method: &str, path: &str, status: u16) -> Validator {
        self.validator(&format!(
            "{REST}#/paths/{}/{method}/responses/{status}/content/application~1json/schema",
            pointer_segment(path)
        ))
    }

    /// The response schema of an operation in the 2022-07 snapshot (issue-label ops, milestone
    /// create/get, `GET /rate_limit`).
    pub fn snapshot_response(&self, method: &str, path: &str, status: u16) -> Validator {
        self.validator(&format!(
            "{SNAPSHOT}#/paths/{}/{method}/responses/{status}/content/application~1json/schema",
            pointer_segment(path)
        ))
    }

    /// A component schema of the current REST description, e.g. `basic-error`.
    pub fn component(&self, name: &str) -> Validator {
        self.validator(&format!("{REST}#/components/schemas/{name}"))
    }

    /// The payload schema of a webhook event and action (`sub_issues` from the reconstruction).
    pub fn webhook(&self, event: &str, action: &str) -> Validator {
        if event == "sub_issues" {
            let name = format!("webhook-sub-issues-{}", action.replace('_', "-"));
            return self.validator(&format!("{SUB_ISSUES}#/components/schemas/{name}"));
        }
        self.validator(&format!("https://schemas.test/{event}${action}"))
    }
}

/// Panics with every error when `value` does not validate.
pub fn assert_valid(validator: &Validator, value: &Value, what: &str) {
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} does not match its schema:\n{}\n{value:#}", errors.join("\n"));
}

#[test]
fn nullable_conversion_table() {
    let cases = [
        (json!({"type": "string", "nullable": true}), json!({"type": ["string", "null"]})),
        (
            json!({"type": "string", "enum": ["a"], "nullable": true}),
            json!({"type": ["string", "null"], "enum": ["a", null]}),
        ),
        (json!({"$ref": "#/x", "nullable": true}), json!({"anyOf": [{"$ref": "#/x"}, {"type": "null"}]})),
        (json!({"type": "string"}), json!({"type": "string"})),
    ];
    for (mut input, want) in cases {
        convert_nullable(&mut input);
        assert_eq!(input, want);
    }
}

#[test]
fn the_validators_refuse_bodies_that_break_the_schemas() {
    let Some(shared) = crate::common::shared_dir() else { return };
    let schemas = Schemas::load(&shared);
    let issue = schemas.response("get", "/repos/{owner}/{repo}/issues/{issue_number}", 200);
    assert!(!issue.is_valid(&json!({"number": 1})), "missing required keys");
    assert!(!issue.is_valid(&json!({"id": "x"})), "wrong types");
    let opened = schemas.webhook("issues", "opened");
    assert!(!opened.is_valid(&json!({"action": "opened", "issue": {}, "repository": {}, "sender": {}, "extra": 1})));
    let added = schemas.webhook("sub_issues", "sub_issue_added");
    assert!(!added.is_valid(&json!({"action": "sub_issue_added"})));
}
