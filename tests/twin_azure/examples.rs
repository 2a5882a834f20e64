//! The spec's own HTTP examples (`../shared/specs/azure-devops/*/httpExamples`) replayed against
//! the twin: each example's request (its body, with ids, revisions and versions mapped onto the
//! twin's items) must get the example's status and an answer with the example's shape — every key
//! of the example body that the response schema defines is present.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use backlog_sync::twin::azure::Process;
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{TOKEN, Twin, read, start};

/// Examples that do not apply, and why.
const SKIPPED: &[(&str, &str)] = &[
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

struct Replay {
    dir: PathBuf,
    wit: Value,
    wiki: Value,
    done: BTreeSet<String>,
    failures: Vec<String>,
}

fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// Property names a response schema defines (following `$ref` and `allOf`), and whether the
/// operation answers a list.
fn properties(doc: &Value, schema: &Value, into: &mut BTreeSet<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/definitions/");
        properties(doc, &doc["definitions"][name], into);
    }
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        properties(doc, part, into);
    }
    into.extend(schema.get("properties").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k.clone()));
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
    async fn run(
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

fn with_rev(body: &Value, rev: i64) -> Value {
    let mut body = body.clone();
    for op in body.as_array_mut().into_iter().flatten() {
        if op["op"] == "test" && op["path"] == "/rev" {
            op["value"] = json!(rev);
        }
    }
    body
}

async fn rev(t: &Twin, id: i64) -> i64 {
    t.get(&format!("/_apis/wit/workitems/{id}?api-version=7.1")).await.body["rev"].as_i64().unwrap()
}

#[tokio::test]
async fn the_specs_http_examples_replay_against_the_twin() {
    let Some(shared) = crate::common::shared_dir() else { return };
    let dir = shared.join("specs/azure-devops");
    let mut r = Replay {
        wit: load(&dir.join("wit-7.1.trimmed.json")),
        wiki: load(&dir.join("wiki-7.1.trimmed.json")),
        dir,
        done: BTreeSet::new(),
        failures: Vec::new(),
    };
    let t = start(&[("Fabrikam-Fiber-Git", Process::Scrum), ("Fabrikam-Scrum", Process::Scrum)]).await;
    let project = "Fabrikam-Fiber-Git";
    let (v, pv) = ("api-version=7.1", "api-version=7.1-preview.4");
    let new = async |kind: &str, title: &str| {
        t.create(project, kind, &[("System.Title", json!(title))]).await["id"].as_i64().unwrap()
    };
    let parent = new("Product Backlog Item", "Parent").await;
    let other = new("Task", "Other").await;
    let task = new("Task", "JavaScript implementation for Microsoft Account").await;
    let links = json!([
        {"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Reverse", "url": format!("x/_apis/wit/workItems/{parent}")}},
        {"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Related", "url": format!("x/_apis/wit/workItems/{other}")}},
    ]);
    assert_eq!(t.update(task, links).await.status, 200);
    let map_ids = |body: &Value| -> Value {
        let text = body
            .to_string()
            .replace("workItems/297", &format!("workItems/{parent}"))
            .replace("workItems/300", &format!("workItems/{other}"));
        serde_json::from_str(&text).unwrap()
    };
    let wit = "wit-7.1.trimmed/httpExamples";
    let p = "/{organization}/{project}/_apis/wit";
    let o = "/{organization}/_apis/wit";

    // Work items: create, the documented sequence of updates, reads.
    r.run(
        &t,
        &format!("{wit}/workItems/POST__wit_workitems_create.json"),
        &format!("{p}/workitems/${{type}}"),
        &format!("/{project}/_apis/wit/workItems/$Task?{v}"),
        None,
        &[],
    )
    .await;
    for n in ["", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14"] {
        let file = format!("{wit}/workItems/PATCH__wit_workitems__taskId_{n}.json");
        let body = with_rev(&map_ids(&load(&r.dir.join(&file))["parameters"]["body"]), rev(&t, task).await);
        r.run(
            &t,
            &file,
            &format!("{o}/workitems/{{id}}"),
            &format!("/_apis/wit/workitems/{task}?{v}"),
            Some(body),
            &[],
        )
        .await;
    }
    let task2 = new("Task", "Bypass").await;
    r.run(
        &t,
        &format!("{wit}/workItems/PATCH__wit_workitems__taskId__bypassRules-true.json"),
        &format!("{o}/workitems/{{id}}"),
        &format!("/_apis/wit/workitems/{task2}?bypassRules=true&{v}"),
        None,
        &[],
    )
    .await;
    let file = format!("{wit}/workItems/PATCH__wit_workitems__taskId_validate_only.json");
    let body = with_rev(&load(&r.dir.join(&file))["parameters"]["body"], rev(&t, task).await);
    r.run(
        &t,
        &file,
        &format!("{o}/workitems/{{id}}"),
        &format!("/_apis/wit/workitems/{task}?validateOnly=true&{v}"),
        Some(body),
        &[],
    )
    .await;
    let bug = new("Bug", "First bug").await;
    for file in ["PATCH__wit_workitems__bug1Id_.json", "PATCH__wit_workitems__bug1Id_2.json"] {
        r.run(
            &t,
            &format!("{wit}/workItems/{file}"),
            &format!("{o}/workitems/{{id}}"),
            &format!("/_apis/wit/workitems/{bug}?{v}"),
            None,
            &[],
        )
        .await;
    }
    let created_at =
        t.get(&format!("/_apis/wit/workitems/{task}/revisions/1?{v}")).await.body["fields"]["System.ChangedDate"]
            .as_str()
            .unwrap()
            .to_string();
    r.run(
        &t,
        &format!("{wit}/workItems/GET__wit_WorkItems_id _asOf.json"),
        &format!("{p}/workitems/{{id}}"),
        &format!("/{project}/_apis/wit/workItems/{task}?asOf={created_at}&{v}"),
        None,
        &[],
    )
    .await;
    r.run(
        &t,
        &format!("{wit}/workItems/GET__wit_WorkItems_id.json"),
        &format!("{p}/workitems/{{id}}"),
        &format!("/{project}/_apis/wit/workItems/{parent}?{v}"),
        None,
        &[],
    )
    .await;
    let ids = format!("{parent},{task},{other}");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let fields = "System.Id,System.Title,System.WorkItemType,System.State";
    for (file, query) in [
        ("GET__wit_WorkItems_ids-_ids_.json", format!("ids={ids}")),
        ("GET__wit_WorkItems_ids-_ids___expand-all.json", format!("ids={ids}&$expand=all")),
        ("GET__wit_WorkItems_ids-_ids__fields-_columns_.json", format!("ids={ids}&fields={fields}")),
        (
            "GET__wit_WorkItems_ids-_ids__fields-_columns__asOf-_asof_.json",
            format!("ids={ids}&fields={fields}&asOf={now}"),
        ),
        (
            "GET__wit_WorkItems_ids-_ids__fields-_columns__asOf-_asof_2.json",
            format!("ids={ids}&fields={fields}&asOf={now}"),
        ),
        (
            "GET__wit_WorkItems_ids-_ids__fields-_columns__asOf-_asof_3.json",
            format!("ids={ids}&fields={fields}&asOf={now}"),
        ),
        (
            "GET__wit_WorkItems_ids-_ids__fields-_columns__asOf-_asof_4.json",
            format!("ids={ids}&fields={fields}&asOf={now}"),
        ),
    ] {
        r.run(
            &t,
            &format!("{wit}/workItems/{file}"),
            &format!("{o}/workitems"),
            &format!("/_apis/wit/WorkItems?{query}&{v}"),
            None,
            &[],
        )
        .await;
    }
    let batch = json!({"ids": [parent, task, other], "fields": ["System.Id", "System.Title", "System.WorkItemType", "Microsoft.VSTS.Scheduling.RemainingWork"]});
    r.run(
        &t,
        &format!("{wit}/workItemsBatch/POST__wit_WorkItemsBatch_ids-_ids__fields-_columns_.json"),
        &format!("{o}/workitemsbatch"),
        &format!("/_apis/wit/workItemsBatch?{v}"),
        Some(batch),
        &[],
    )
    .await;
    let doomed = new("Task", "Doomed").await;
    r.run(
        &t,
        &format!("{wit}/workItems/DELETE__wit_workitems_id_.json"),
        &format!("{p}/workitems/{{id}}"),
        &format!("/{project}/_apis/wit/workitems/{doomed}?api-version=4.0"),
        None,
        &[],
    )
    .await;

    // Revisions and updates of the task.
    for (file, path) in [
        ("revisions/GET__list_workitem_revisions.json", format!("/_apis/wit/workItems/{task}/revisions?{v}")),
        (
            "revisions/GET__list_workitem_revisions_paged.json",
            format!("/_apis/wit/workItems/{task}/revisions?%24top=2&%24skip=1&{v}"),
        ),
        (
            "revisions/GET__list_workitem_revisions_project_scope.json",
            format!("/{project}/_apis/wit/workItems/{task}/revisions?{v}"),
        ),
        ("updates/GET__list_of_workitem_updates.json", format!("/_apis/wit/workItems/{task}/updates?{v}")),
        (
            "updates/GET__list_of_workitem_updates_paged.json",
            format!("/_apis/wit/workItems/{task}/updates?%24top=2&%24skip=1&{v}"),
        ),
        (
            "updates/GET__list_of_workitem_updates_projectscope.json",
            format!("/{project}/_apis/wit/workItems/{task}/updates?{v}"),
        ),
    ] {
        let kind = if file.starts_with("revisions") { "revisions" } else { "updates" };
        r.run(&t, &format!("{wit}/{file}"), &format!("{o}/workItems/{{id}}/{kind}"), &path, None, &[]).await;
    }
    for (file, path) in [
        ("revisions/GET__workitem_revision.json", format!("/_apis/wit/workItems/{task}/revisions/2?{v}")),
        (
            "revisions/GET__workitem_revision_project_scope.json",
            format!("/{project}/_apis/wit/workItems/{task}/revisions/2?{v}"),
        ),
    ] {
        r.run(
            &t,
            &format!("{wit}/{file}"),
            &format!("{o}/workItems/{{id}}/revisions/{{revisionNumber}}"),
            &path,
            None,
            &[],
        )
        .await;
    }
    for (file, path) in [
        ("updates/GET__work_item_update.json", format!("/_apis/wit/workItems/{task}/updates/1?{v}")),
        (
            "updates/GET__work_item_update_project_scope.json",
            format!("/{project}/_apis/wit/workItems/{task}/updates/1?{v}"),
        ),
    ] {
        r.run(
            &t,
            &format!("{wit}/{file}"),
            &format!("{o}/workItems/{{id}}/updates/{{updateNumber}}"),
            &path,
            None,
            &[],
        )
        .await;
    }

    // Comments.
    let comments = format!("{p}/workItems/{{workItemId}}/comments");
    let base = format!("/{project}/_apis/wit/workItems/{task}/comments");
    let mut ids = Vec::new();
    for _ in 0..3 {
        let added = r
            .run(
                &t,
                &format!("{wit}/comments/POST__wit_workitems__taskId__comments_create.json"),
                &comments,
                &format!("{base}?{pv}"),
                None,
                &[],
            )
            .await;
        ids.push(added["id"].as_i64().unwrap());
    }
    let first = r
        .run(
            &t,
            &format!("{wit}/comments/GET__wit_workitems__issueId__comments_1.json"),
            &comments,
            &format!("{base}?$top=2&{pv}"),
            None,
            &[],
        )
        .await;
    let token = first["continuationToken"].as_str().unwrap_or_default().to_string();
    r.run(
        &t,
        &format!("{wit}/comments/GET__wit_workitems__issueId__comments_2.json"),
        &comments,
        &format!("{base}?continuationToken={token}&{pv}"),
        None,
        &[],
    )
    .await;
    r.run(
        &t,
        &format!("{wit}/comments/GET__wit_workitems__issueId__comments_3.json"),
        &comments,
        &format!("{base}?ids={},{}&{pv}", ids[0], ids[1]),
        None,
        &[],
    )
    .await;
    let one = format!("{comments}/{{commentId}}");
    r.run(
        &t,
        &format!("{wit}/comments/GET__wit_workitems__issueId__comments__commentId_1.json"),
        &one,
        &format!("{base}/{}?{pv}", ids[0]),
        None,
        &[],
    )
    .await;
    r.run(
        &t,
        &format!("{wit}/comments/PATCH__wit_workitems__taskId__comments_1.json"),
        &one,
        &format!("{base}/{}?{pv}", ids[2]),
        None,
        &[],
    )
    .await;
    r.run(
        &t,
        &format!("{wit}/comments/DELETE__wit_workitems__taskId__comments_1.json"),
        &one,
        &format!("{base}/{}?{pv}", ids[2]),
        None,
        &[],
    )
    .await;

    // Recycle bin.
    for _ in 0..2 {
        let id = new("Task", "Binned").await;
        t.delete(&format!("/{project}/_apis/wit/workitems/{id}?{v}")).await;
        ids.push(id);
    }
    let (binned, restored) = (ids[3], ids[4]);
    r.run(
        &t,
        &format!("{wit}/recyclebin/GET__wit_recyclebin__id_.json"),
        &format!("{p}/recyclebin/{{id}}"),
        &format!("/{project}/_apis/wit/recyclebin/{binned}?{v}"),
        None,
        &[],
    )
    .await;
    r.run(
        &t,
        &format!("{wit}/recyclebin/PATCH__wit_recyclebin_restore.json"),
        &format!("{p}/recyclebin/{{id}}"),
        &format!("/{project}/_apis/wit/recyclebin/{restored}?{v}"),
        None,
        &[],
    )
    .await;

    // Metadata and WIQL.
    for (file, template, path) in [
        (
            "fields/GET__wit_fields__fieldName_.json",
            format!("{p}/fields/{{fieldNameOrRefName}}"),
            format!("/{project}/_apis/wit/fields/System.IterationPath?{v}"),
        ),
        (
            "workItemRelationTypes/GET__relation_types.json",
            format!("{o}/workitemrelationtypes"),
            format!("/_apis/wit/workItemRelationTypes?{v}"),
        ),
        (
            "workItemRelationTypes/GET__relation_type.json",
            format!("{o}/workitemrelationtypes/{{relation}}"),
            format!("/_apis/wit/workItemRelationTypes/System.LinkTypes.Duplicate-Forward?{v}"),
        ),
        (
            "workItemTypeCategories/GET__wit_workItemTypeCategories.json",
            format!("{p}/workitemtypecategories"),
            format!("/{project}/_apis/wit/workItemTypeCategories?{v}"),
        ),
        (
            "workItemTypeStates/GET__workitem_type_states.json",
            format!("{p}/workitemtypes/{{type}}/states"),
            format!("/{project}/_apis/wit/workitemtypes/Bug/states?{v}"),
        ),
        (
            "workItemTypes/GET__wit_workItemTypes_Bug.json",
            format!("{p}/workitemtypes/{{type}}"),
            format!("/{project}/_apis/wit/workItemTypes/Bug?{v}"),
        ),
        (
            "workItemTypesField/GET__workItemType_field.json",
            format!("{p}/workitemtypes/{{type}}/fields/{{field}}"),
            format!("/{project}/_apis/wit/workitemtypes/Bug/fields/System.IterationPath?{v}"),
        ),
        (
            "workItemTypesField/GET__workItemType_field_expand.json",
            format!("{p}/workitemtypes/{{type}}/fields/{{field}}"),
            format!("/{project}/_apis/wit/workitemtypes/Bug/fields/System.ChangedBy?$expand=All&{v}"),
        ),
        (
            "workItemTypesField/GET__workItemType_fields.json",
            format!("{p}/workitemtypes/{{type}}/fields"),
            format!("/{project}/_apis/wit/workitemtypes/Bug/fields?{v}"),
        ),
        (
            "workItemTypesField/GET__workItemType_fields_expand.json",
            format!("{p}/workitemtypes/{{type}}/fields"),
            format!("/{project}/_apis/wit/workitemtypes/Bug/fields?$expand=All&{v}"),
        ),
        (
            "wiql/GET__wit_get_id_workitems.json",
            "/{organization}/{project}/{team}/_apis/wit/wiql".to_string(),
            format!("/_apis/wit/wiql?{v}"),
        ),
    ] {
        r.run(&t, &format!("{wit}/{file}"), &template, &path, None, &[]).await;
    }

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

    assert!(r.failures.is_empty(), "examples the twin answers differently:\n{}", r.failures.join("\n"));
    let mut all = BTreeSet::new();
    for spec in ["wit-7.1.trimmed/httpExamples", "wiki-7.1.trimmed/httpExamples"] {
        for area in std::fs::read_dir(r.dir.join(spec)).unwrap() {
            for file in std::fs::read_dir(area.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                all.insert(path.strip_prefix(&r.dir).unwrap().to_string_lossy().to_string());
            }
        }
    }
    let skipped: BTreeSet<String> = SKIPPED.iter().map(|(f, _)| f.to_string()).collect();
    let untouched: Vec<_> = all.iter().filter(|f| !r.done.contains(*f) && !skipped.contains(*f)).collect();
    assert!(untouched.is_empty(), "examples neither replayed nor skipped with a reason: {untouched:?}");
}
