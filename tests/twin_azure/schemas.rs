//! The trimmed WIT/Wiki 7.1 Swagger documents as the contract and replay suites use them: Swagger
//! 2.0 definitions turned into JSON Schema, the operations listed, response schemas and the
//! property names a response defines.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value, json};

/// Swagger 2.0 schema → JSON Schema: a bare `{"type": "object"}` is .NET `object` (anything).
pub fn convert(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let bare_object = map.get("type") == Some(&json!("object"))
                && !map.contains_key("properties")
                && !map.contains_key("allOf")
                && map.get("additionalProperties").is_none_or(|a| a == &json!({"type": "object"}));
            if bare_object && !map.contains_key("additionalProperties") {
                return json!({});
            }
            let mut out = Map::new();
            for (key, value) in map {
                if key.starts_with("x-ms-") || key == "description" {
                    continue;
                }
                let value = match key.as_str() {
                    "properties" => {
                        Value::Object(value.as_object().unwrap().iter().map(|(k, v)| (k.clone(), convert(v))).collect())
                    }
                    "additionalProperties" if value == &json!({"type": "object"}) => json!({}),
                    "items" | "additionalProperties" => convert(value),
                    "allOf" => Value::Array(value.as_array().unwrap().iter().map(convert).collect()),
                    _ => value.clone(),
                };
                out.insert(key.clone(), value);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// One trimmed Swagger document, with its definitions converted to JSON Schema.
pub struct Spec {
    pub doc: Value,
    pub definitions: Value,
}

impl Spec {
    pub fn load(dir: &Path, file: &str) -> Spec {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        let definitions = Value::Object(
            doc["definitions"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), convert(v))).collect(),
        );
        Spec { doc, definitions }
    }

    pub fn operations(&self) -> BTreeSet<(String, String)> {
        let mut all = BTreeSet::new();
        for section in ["paths", "x-ms-paths"] {
            for (path, ops) in self.doc[section].as_object().into_iter().flatten() {
                for method in ops.as_object().unwrap().keys().filter(|m| *m != "parameters") {
                    all.insert((method.clone(), path.split('?').next().unwrap().to_string()));
                }
            }
        }
        all
    }

    /// The JSON Schema of an operation's answer (`{count, value}` for the service's lists).
    pub fn response(&self, method: &str, template: &str, status: u16) -> Option<Value> {
        let op = self.doc["paths"][template][method].as_object()?;
        let schema = op["responses"][status.to_string()].get("schema")?;
        let schema = convert(schema);
        let schema = if schema["type"] == "array" {
            json!({"type": "object", "required": ["count", "value"], "properties": {"count": {"type": "integer"}, "value": schema}})
        } else {
            schema
        };
        let mut root = schema.as_object().cloned().unwrap_or_default();
        root.insert("definitions".into(), self.definitions.clone());
        Some(Value::Object(root))
    }
}

/// Property names a schema defines, following `$ref` and `allOf`.
pub fn properties(doc: &Value, schema: &Value, into: &mut BTreeSet<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/definitions/");
        properties(doc, &doc["definitions"][name], into);
    }
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        properties(doc, part, into);
    }
    into.extend(schema.get("properties").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k.clone()));
}
