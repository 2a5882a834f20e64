//! Contract: every JSON body each supported operation answers validates against its response
//! schema in `wit-7.1.trimmed.json` / `wiki-7.1.trimmed.json` (Swagger 2.0 definitions turned into
//! JSON Schema), and every operation of those specs is either exercised here or named as not
//! emulated.

use std::collections::BTreeSet;

use backlog_twins::azure::Process;
use reqwest::Method;
use serde_json::{Value, json};

use super::schemas::Spec;
use super::support::{API, PREVIEW, TOKEN, Twin, read, start};

/// Operations of the trimmed specs the twin does not emulate.
const NOT_EMULATED: &[(&str, &str)] = &[
    ("get", "/{organization}/{project}/{team}/_apis/wit/wiql/{id}"),
    ("post", "/{organization}/{project}/_apis/wiki/wikis/{wikiIdentifier}/pagesbatch"),
];

struct Contract {
    wit: Spec,
    wiki: Spec,
    covered: BTreeSet<(String, String)>,
    failures: Vec<String>,
}

impl Contract {
    async fn call(
        &mut self,
        t: &Twin,
        method: Method,
        template: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Value {
        let mut request = t.client.request(method.clone(), t.url(path)).basic_auth("", Some(TOKEN));
        let content_type = if template.ends_with("/workitems/${type}")
            || (method == Method::PATCH && template.ends_with("/workitems/{id}"))
        {
            "application/json-patch+json"
        } else {
            "application/json"
        };
        if let Some(body) = body {
            request = request.header("content-type", content_type).body(body.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let answer = read(request.send().await.unwrap()).await;
        let method_name = method.as_str().to_ascii_lowercase();
        self.covered.insert((method_name.clone(), template.to_string()));
        if !answer.status.is_success() {
            self.failures.push(format!("{method} {path}: status {} {}", answer.status, answer.body));
            return answer.body;
        }
        let spec = if template.contains("/_apis/wiki/") { &self.wiki } else { &self.wit };
        match spec.response(&method_name, template, answer.status.as_u16()) {
            Some(schema) => {
                let validator =
                    jsonschema::options().should_validate_formats(true).build(&schema).expect("schema compiles");
                for error in validator.iter_errors(&answer.body) {
                    self.failures.push(format!("{method} {template}: {error} at {}", error.instance_path()));
                }
            }
            None if spec.doc["paths"][template][&method_name].is_object() => {}
            None => self.failures.push(format!("{method} {template}: not an operation of the spec")),
        }
        answer.body
    }
}

#[tokio::test]
async fn every_supported_operation_answers_its_response_schema() {
    let Some(shared) = crate::common::shared_dir() else { return };
    let dir = shared.join("specs/azure-devops");
    let mut c = Contract {
        wit: Spec::load(&dir, "wit-7.1.trimmed.json"),
        wiki: Spec::load(&dir, "wiki-7.1.trimmed.json"),
        covered: BTreeSet::new(),
        failures: Vec::new(),
    };
    let work_item = c.wit.response("get", "/{organization}/{project}/_apis/wit/workitems/{id}", 200).unwrap();
    let strict = jsonschema::options().build(&work_item).unwrap();
    assert!(strict.is_valid(&json!({"id": 7, "rev": 1, "fields": {"System.Title": "x"}, "url": "u"})));
    assert!(!strict.is_valid(&json!({"id": "7", "rev": 1})), "the converted schema checks types");
    assert!(!strict.is_valid(&json!({"id": 7, "relations": [{"rel": 5}]})), "and nested definitions");
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let (o, p) = ("/{organization}/_apis/wit", "/{organization}/{project}/_apis/wit");
    let title = |t: &str| json!([{"op": "add", "path": "/fields/System.Title", "value": t}]);

    let epic = c
        .call(
            &t,
            Method::POST,
            &format!("{p}/workitems/${{type}}"),
            &format!("/Onboarding/_apis/wit/workitems/$Epic?{API}"),
            Some(title("Epic")),
            &[],
        )
        .await;
    let story =
        t.create("Onboarding", "User Story", &[("System.Title", json!("Story")), ("System.Tags", json!("a; b"))]).await;
    let (e, s) = (epic["id"].as_i64().unwrap(), story["id"].as_i64().unwrap());
    let link = json!([{"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Reverse", "url": epic["url"]}}, {"op": "add", "path": "/fields/System.AssignedTo", "value": "Ann <ann@contoso.com>"}, {"op": "add", "path": "/fields/System.History", "value": "Linked"}]);
    c.call(
        &t,
        Method::PATCH,
        &format!("{p}/workitems/{{id}}"),
        &format!("/Onboarding/_apis/wit/workitems/{s}?{API}"),
        Some(link),
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workitems/{{id}}"),
        &format!("/Onboarding/_apis/wit/workitems/{s}?$expand=all&{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workitems"),
        &format!("/Onboarding/_apis/wit/workitems?ids={e},{s}&$expand=relations&{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::POST,
        &format!("{p}/workitemsbatch"),
        &format!("/Onboarding/_apis/wit/workitemsbatch?{API}"),
        Some(json!({"ids": [e, s], "fields": ["System.Id", "System.Title"]})),
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workItems/{{id}}/revisions"),
        &format!("/Onboarding/_apis/wit/workItems/{s}/revisions?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workItems/{{id}}/revisions/{{revisionNumber}}"),
        &format!("/Onboarding/_apis/wit/workItems/{s}/revisions/2?$expand=relations&{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workItems/{{id}}/updates"),
        &format!("/Onboarding/_apis/wit/workItems/{s}/updates?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workItems/{{id}}/updates/{{updateNumber}}"),
        &format!("/Onboarding/_apis/wit/workItems/{s}/updates/2?{API}"),
        None,
        &[],
    )
    .await;

    let comments = format!("{p}/workItems/{{workItemId}}/comments");
    let added = c
        .call(
            &t,
            Method::POST,
            &comments,
            &format!("/Onboarding/_apis/wit/workItems/{s}/comments?format=markdown&{PREVIEW}"),
            Some(json!({"text": "**ok**"})),
            &[],
        )
        .await;
    let cid = added["id"].as_i64().unwrap();
    c.call(
        &t,
        Method::GET,
        &comments,
        &format!("/Onboarding/_apis/wit/workItems/{s}/comments?$top=1&$expand=renderedText&{PREVIEW}"),
        None,
        &[],
    )
    .await;
    let one = format!("{comments}/{{commentId}}");
    c.call(&t, Method::GET, &one, &format!("/Onboarding/_apis/wit/workItems/{s}/comments/{cid}?{PREVIEW}"), None, &[])
        .await;
    c.call(
        &t,
        Method::PATCH,
        &one,
        &format!("/Onboarding/_apis/wit/workItems/{s}/comments/{cid}?format=html&{PREVIEW}"),
        Some(json!({"text": "<b>ok</b>"})),
        &[],
    )
    .await;
    c.call(
        &t,
        Method::DELETE,
        &one,
        &format!("/Onboarding/_apis/wit/workItems/{s}/comments/{cid}?{PREVIEW}"),
        None,
        &[],
    )
    .await;

    let doomed = t.create("Onboarding", "Task", &[("System.Title", json!("Doomed"))]).await["id"].as_i64().unwrap();
    c.call(
        &t,
        Method::DELETE,
        &format!("{p}/workitems/{{id}}"),
        &format!("/Onboarding/_apis/wit/workitems/{doomed}?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/recyclebin/{{id}}"),
        &format!("/Onboarding/_apis/wit/recyclebin/{doomed}?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::PATCH,
        &format!("{p}/recyclebin/{{id}}"),
        &format!("/Onboarding/_apis/wit/recyclebin/{doomed}?{API}"),
        Some(json!({"isDeleted": false})),
        &[],
    )
    .await;

    c.call(
        &t,
        Method::GET,
        &format!("{o}/workitemrelationtypes"),
        &format!("/_apis/wit/workitemrelationtypes?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{o}/workitemrelationtypes/{{relation}}"),
        &format!("/_apis/wit/workitemrelationtypes/System.LinkTypes.Related?{API}"),
        None,
        &[],
    )
    .await;
    c.call(&t, Method::GET, &format!("{p}/fields"), &format!("/Onboarding/_apis/wit/fields?{API}"), None, &[]).await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/fields/{{fieldNameOrRefName}}"),
        &format!("/Onboarding/_apis/wit/fields/System.Title?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workitemtypecategories"),
        &format!("/Onboarding/_apis/wit/workitemtypecategories?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workitemtypes"),
        &format!("/Onboarding/_apis/wit/workitemtypes?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workitemtypes/{{type}}"),
        &format!("/Onboarding/_apis/wit/workitemtypes/User%20Story?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workitemtypes/{{type}}/fields"),
        &format!("/Onboarding/_apis/wit/workitemtypes/Bug/fields?$expand=all&{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workitemtypes/{{type}}/fields/{{field}}"),
        &format!("/Onboarding/_apis/wit/workitemtypes/Bug/fields/System.State?{API}"),
        None,
        &[],
    )
    .await;
    c.call(
        &t,
        Method::GET,
        &format!("{p}/workitemtypes/{{type}}/states"),
        &format!("/Onboarding/_apis/wit/workitemtypes/Bug/states?{API}"),
        None,
        &[],
    )
    .await;
    let wiql = json!({"query": "SELECT [System.Id], [System.Title] FROM WorkItems WHERE [System.TeamProject] = @project ORDER BY [System.ChangedDate] DESC"});
    c.call(
        &t,
        Method::POST,
        "/{organization}/{project}/{team}/_apis/wit/wiql",
        &format!("/Onboarding/Onboarding%20Team/_apis/wit/wiql?{API}"),
        Some(wiql),
        &[],
    )
    .await;

    let w = "/{organization}/{project}/_apis/wiki/wikis";
    c.call(&t, Method::GET, w, &format!("/Onboarding/_apis/wiki/wikis?{API}"), None, &[]).await;
    c.call(
        &t,
        Method::GET,
        &format!("{w}/{{wikiIdentifier}}"),
        &format!("/Onboarding/_apis/wiki/wikis/Onboarding.wiki?{API}"),
        None,
        &[],
    )
    .await;
    let pages = format!("{w}/{{wikiIdentifier}}/pages");
    let base = "/Onboarding/_apis/wiki/wikis/Onboarding.wiki/pages";
    let page = c
        .call(&t, Method::PUT, &pages, &format!("{base}?path=/Home&{API}"), Some(json!({"content": "# Home"})), &[])
        .await;
    let page_id = page["id"].as_i64().unwrap();
    let etag = t.get(&format!("{base}?path=/Home&{API}")).await.headers["etag"].to_str().unwrap().to_string();
    let edited = c
        .call(
            &t,
            Method::PUT,
            &pages,
            &format!("{base}?path=/Home&{API}"),
            Some(json!({"content": "# Home 2"})),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(edited["content"], "# Home 2");
    c.call(&t, Method::GET, &pages, &format!("{base}?path=/&recursionLevel=full&{API}"), None, &[]).await;
    let etag = t.get(&format!("{base}?path=/Home&{API}")).await.headers["etag"].to_str().unwrap().to_string();
    let by_id = format!("{pages}/{{id}}");
    c.call(
        &t,
        Method::PATCH,
        &by_id,
        &format!("{base}/{page_id}?{API}"),
        Some(json!({"content": "# Home 3"})),
        &[("if-match", &etag)],
    )
    .await;
    c.call(&t, Method::GET, &by_id, &format!("{base}/{page_id}?includeContent=true&{API}"), None, &[]).await;
    t.send(Method::PUT, &format!("{base}?path=/Other&{API}"), Some(json!({"content": "x"})), "application/json").await;
    c.call(&t, Method::DELETE, &pages, &format!("{base}?path=/Other&{API}"), None, &[]).await;
    c.call(&t, Method::DELETE, &by_id, &format!("{base}/{page_id}?{API}"), None, &[]).await;

    assert!(c.failures.is_empty(), "contract failures:\n{}", c.failures.join("\n"));
    let mut expected = c.wit.operations();
    expected.extend(c.wiki.operations());
    let not_emulated: BTreeSet<(String, String)> =
        NOT_EMULATED.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let missing: Vec<_> = expected.difference(&c.covered).filter(|op| !not_emulated.contains(op)).collect();
    assert!(missing.is_empty(), "operations of the spec the contract does not exercise: {missing:?}");
}
