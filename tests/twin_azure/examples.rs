//! The spec's own HTTP examples (`../shared/specs/azure-devops/*/httpExamples`) replayed against
//! the twin: each example's request (its body, with ids, revisions and versions mapped onto the
//! twin's items) must get the example's status and an answer with the example's shape — every key
//! of the example body that the response schema defines is present.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use backlog_twins::azure::Process;
use reqwest::Method;
use serde_json::{Value, json};

use super::schemas::properties;
use super::support::{TOKEN, Twin, read, start};

/// Examples that do not apply, and why.
pub(super) const SKIPPED: &[(&str, &str)] = &[
    ("wit-7.1.trimmed/httpExamples/wiql/GET__wit_wiql__queryId_.json", "saved queries are not emulated"),
    (
        "wiki-7.1.trimmed/httpExamples/pagesBatch/GET_wiki_pageBatch_WithContinuationToken.json",
        "pagesbatch is not emulated",
    ),
    ("wiki-7.1.trimmed/httpExamples/pagesBatch/GET_wiki_pageBatch_WithPageViews.json", "pagesbatch is not emulated"),
    (
        "wiki-7.1.trimmed/httpExamples/pagesBatch/GET_wiki_pageBatch_WithoutContinuationToken.json",
        "pagesbatch is not emulated",
    ),
];

pub(super) struct Replay {
    pub dir: PathBuf,
    pub wit: Value,
    pub wiki: Value,
    pub done: BTreeSet<String>,
    pub failures: Vec<String>,
}

pub(super) fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn shape_errors(example: &Value, ours: &Value, props: &BTreeSet<String>) -> Vec<String> {
    let Some(example) = example.as_object() else { return Vec::new() };
    example
        .keys()
        .filter_map(|key| props.iter().find(|p| p.eq_ignore_ascii_case(key)))
        .filter(|prop| ours.get(prop.as_str()).is_none())
        .map(|prop| format!("`{prop}` missing"))
        .collect()
}

impl Replay {
    /// Sends `path` (relative to the organization URL) for example `file`, with `body` (or the
    /// example's own), and compares status and shape.
    pub(super) async fn run(
        &mut self,
        t: &Twin,
        file: &str,
        template: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Value {
        let example = load(&self.dir.join(file));
        let method = method_of(file, &example);
        let body = body.or_else(|| example["parameters"].get("body").cloned().filter(|b| !b.is_null()));
        let mut request = t.client.request(method.clone(), t.url(path)).basic_auth("", Some(TOKEN));
        if let Some(body) = body {
            let patch_doc = body.is_array() && method != Method::POST || file.contains("POST__wit_workitems_create");
            let kind = if patch_doc { "application/json-patch+json" } else { "application/json" };
            request = request.header("content-type", kind).body(body.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let answer = read(request.send().await.unwrap()).await;
        self.done.insert(file.to_string());
        let (status, expected) = example["responses"]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .map(|(s, r)| (s.parse::<u16>().unwrap(), r.clone()))
            .unwrap();
        if answer.status.as_u16() != status {
            self.failures.push(format!("{file}: status {} (want {status}): {}", answer.status, answer.body));
            return answer.body;
        }
        let doc = if file.starts_with("wiki") { &self.wiki } else { &self.wit };
        let op = &doc["paths"][template][method.as_str().to_ascii_lowercase()];
        let schema = op["responses"][status.to_string()].get("schema").cloned().unwrap_or(Value::Null);
        let list = schema["type"] == "array";
        let mut props = BTreeSet::new();
        properties(doc, if list { &schema["items"] } else { &schema }, &mut props);
        let example_body = expected.get("body").cloned().unwrap_or(Value::Null);
        let errors = if list {
            let mut errors =
                shape_errors(&json!({"count": 0, "value": []}), &answer.body, &["count".into(), "value".into()].into());
            if let (Some(e), Some(o)) = (example_body["value"].get(0), answer.body["value"].get(0)) {
                errors.extend(shape_errors(e, o, &props));
            }
            errors
        } else {
            shape_errors(&example_body, &answer.body, &props)
        };
        for error in errors {
            self.failures.push(format!("{file}: {error}"));
        }
        answer.body
    }
}

fn method_of(file: &str, example: &Value) -> Method {
    if file.ends_with("wiql/GET__wit_get_id_workitems.json") {
        // Named GET, but it is the POST of a WIQL statement (see the specs README).
        return Method::POST;
    }
    if let Some(m) = example.get("x-ms-vss-request-method").and_then(Value::as_str) {
        return m.parse().unwrap();
    }
    let name = file.rsplit('/').next().unwrap();
    let verb = name.split('_').next().unwrap();
    match verb {
        "recyclebin" => Method::GET,
        v => v.parse().unwrap_or(Method::GET),
    }
}

pub(super) fn with_rev(body: &Value, rev: i64) -> Value {
    let mut body = body.clone();
    for op in body.as_array_mut().into_iter().flatten() {
        if op["op"] == "test" && op["path"] == "/rev" {
            op["value"] = json!(rev);
        }
    }
    body
}

pub(super) async fn rev(t: &Twin, id: i64) -> i64 {
    t.get(&format!("/_apis/wit/workitems/{id}?api-version=7.1")).await.body["rev"].as_i64().unwrap()
}

impl Replay {
    /// A replay over `../shared/specs/azure-devops`, or `None` (skipped) without the shared folder.
    pub(super) fn new() -> Option<Replay> {
        let dir = crate::common::shared_dir()?.join("specs/azure-devops");
        Some(Replay {
            wit: load(&dir.join("wit-7.1.trimmed.json")),
            wiki: load(&dir.join("wiki-7.1.trimmed.json")),
            dir,
            done: BTreeSet::new(),
            failures: Vec::new(),
        })
    }

    /// Fails on any difference, and on any example of `spec` neither replayed nor skipped.
    pub(super) fn finish(&self, spec: &str) {
        assert!(self.failures.is_empty(), "examples the twin answers differently:\n{}", self.failures.join("\n"));
        let mut all = BTreeSet::new();
        for area in std::fs::read_dir(self.dir.join(spec)).unwrap() {
            for file in std::fs::read_dir(area.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                all.insert(path.strip_prefix(&self.dir).unwrap().to_string_lossy().to_string());
            }
        }
        let skipped: BTreeSet<String> = SKIPPED.iter().map(|(f, _)| f.to_string()).collect();
        let untouched: Vec<_> = all.iter().filter(|f| !self.done.contains(*f) && !skipped.contains(*f)).collect();
        assert!(untouched.is_empty(), "examples neither replayed nor skipped with a reason: {untouched:?}");
    }
}

#[tokio::test]
async fn the_wiki_examples_replay_against_the_twin() {
    let Some(mut r) = Replay::new() else { return };
    let t = start(&[("Fabrikam-Fiber-Git", Process::Scrum)]).await;
    let project = "Fabrikam-Fiber-Git";
    let v = "api-version=7.1";
    // Wikis and pages.
    let wiki = "wiki-7.1.trimmed/httpExamples";
    let wikis = t.get(&format!("/{project}/_apis/wiki/wikis?{v}")).await.body;
    let (wiki_name, wiki_id) = (
        wikis["value"][0]["name"].as_str().unwrap().to_string(),
        wikis["value"][0]["id"].as_str().unwrap().to_string(),
    );
    let w = "/{organization}/{project}/_apis/wiki/wikis";
    r.run(
        &t,
        &format!("{wiki}/wikis/GET_wikis_queryInCollection.json"),
        w,
        &format!("/_apis/wiki/wikis?{v}"),
        None,
        &[],
    )
    .await;
    r.run(
        &t,
        &format!("{wiki}/wikis/GET_wikis_queryInProject.json"),
        w,
        &format!("/{project}/_apis/wiki/wikis?{v}"),
        None,
        &[],
    )
    .await;
    r.run(
        &t,
        &format!("{wiki}/wikis/GET_wiki_queryByName.json"),
        &format!("{w}/{{wikiIdentifier}}"),
        &format!("/{project}/_apis/wiki/wikis/{wiki_name}?{v}"),
        None,
        &[],
    )
    .await;
    r.run(
        &t,
        &format!("{wiki}/wikis/GET_wiki_queryById.json"),
        &format!("{w}/{{wikiIdentifier}}"),
        &format!("/_apis/wiki/wikis/{wiki_id}?{v}"),
        None,
        &[],
    )
    .await;
    let pages = format!("{w}/{{wikiIdentifier}}/pages");
    let by_id = format!("{pages}/{{id}}");
    let base = format!("/{project}/_apis/wiki/wikis/{wiki_name}/pages");
    let added = r
        .run(
            &t,
            &format!("{wiki}/pages/PUT_wiki_page_add.json"),
            &pages,
            &format!("{base}?path=SamplePage973&{v}"),
            None,
            &[],
        )
        .await;
    let page = added["id"].as_i64().unwrap();
    let text = [("accept", "text/plain")];
    for (file, query, headers) in [
        ("GET_wiki_page_JSON.json", "path=%2FSamplePage973", &[][..]),
        ("GET_wiki_page_JSON_withContent.json", "path=%2FSamplePage973&includeContent=True", &[][..]),
        ("GET_wiki_page_JSON_withRecursionLevel.json", "path=%2F&recursionLevel=OneLevel", &[][..]),
        ("GET_wiki_page_text.json", "path=%2FSamplePage973", &text[..]),
    ] {
        r.run(&t, &format!("{wiki}/pages/{file}"), &pages, &format!("{base}?{query}&{v}"), None, headers).await;
    }
    let etag_url = format!("{base}/{page}?{v}");
    let etag = async || t.get(&etag_url).await.headers["etag"].to_str().unwrap().to_string();
    let tag = etag().await;
    r.run(
        &t,
        &format!("{wiki}/pages/PUT_wiki_page_edit.json"),
        &pages,
        &format!("{base}?path=%2FSamplePage973&{v}"),
        None,
        &[("if-match", &tag)],
    )
    .await;
    let tag = etag().await;
    r.run(
        &t,
        &format!("{wiki}/pages/PATCH_wiki_pageById_edit.json"),
        &by_id,
        &format!("{base}/{page}?{v}"),
        None,
        &[("if-match", &tag)],
    )
    .await;
    for (file, query, headers) in [
        ("GET_wiki_pageById_JSON.json", "", &[][..]),
        ("GET_wiki_pageById_JSON_withContent.json", "includeContent=True&", &[][..]),
        ("GET_wiki_pageById_JSON_withRecursionLevel.json", "recursionLevel=OneLevel&", &[][..]),
        ("GET_wiki_pageById_text.json", "", &text[..]),
    ] {
        r.run(&t, &format!("{wiki}/pages/{file}"), &by_id, &format!("{base}/{page}?{query}{v}"), None, headers).await;
    }
    let spare = t
        .send(Method::PUT, &format!("{base}?path=/Spare&{v}"), Some(json!({"content": "x"})), "application/json")
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    r.run(&t, &format!("{wiki}/pages/DELETE_wiki_pageById.json"), &by_id, &format!("{base}/{spare}?{v}"), None, &[])
        .await;
    r.run(
        &t,
        &format!("{wiki}/pages/DELETE_wiki_page.json"),
        &pages,
        &format!("{base}?path=%2FSamplePage973&{v}"),
        None,
        &[],
    )
    .await;

    r.finish("wiki-7.1.trimmed/httpExamples");
}
