//! Wiki pages over HTTP: create without `If-Match` (201 + `ETag`), edit with the current `ETag`
//! (200 + a new one), the service's answers to a stale, missing or malformed version, reads by
//! path and id, sub-pages, plain-text reads and deletes.

use backlog_twins::azure::Process;
use reqwest::Method;
use serde_json::json;

use super::support::{API, TOKEN, assert_azure_error, start};

#[tokio::test]
async fn pages_follow_the_etag_rules() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let wikis = t.get(&format!("/Onboarding/_apis/wiki/wikis?{API}")).await.body;
    assert_eq!(wikis["count"], 1);
    let wiki = wikis["value"][0]["name"].as_str().unwrap().to_string();
    assert_eq!(wiki, "Onboarding.wiki");
    let pages = format!("/Onboarding/_apis/wiki/wikis/{wiki}/pages");
    let put = async |path: &str, content: &str, if_match: Option<&str>| {
        let mut request = t
            .client
            .put(t.url(&format!("{pages}?path={path}&{API}")))
            .basic_auth("me", Some(TOKEN))
            .header("content-type", "application/json")
            .body(json!({ "content": content }).to_string());
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        super::support::read(request.send().await.unwrap()).await
    };

    let created = put("/Release%20notes", "v1", None).await;
    assert_eq!(created.status, 201);
    let etag = created.headers["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() == 42, "{etag}");
    assert_eq!(created.body["path"], "/Release notes");
    assert_eq!(created.body["gitItemPath"], "/Release-notes.md");
    let id = created.body["id"].as_i64().unwrap();

    assert_azure_error(
        &put("/Release%20notes", "again", None).await,
        500,
        "WikiPageAlreadyExistsException",
        "The page '/Release notes'",
    );
    let edited = put("/Release%20notes", "v2", Some(&etag)).await;
    assert_eq!(edited.status, 200);
    let new_etag = edited.headers["etag"].to_str().unwrap().to_string();
    assert_ne!(new_etag, etag);
    assert_azure_error(
        &put("/Release%20notes", "v3", Some(&etag)).await,
        412,
        "WikiPageHasConflictsException",
        "The page '/Release notes'",
    );
    assert_azure_error(&put("/Missing", "x", Some(&etag)).await, 404, "WikiPageNotFoundException", "Wiki page");
    assert_azure_error(
        &put("/Release%20notes", "x", Some("\"v2\"")).await,
        400,
        "InvalidArgumentValueException",
        "The value of the If-Match",
    );
    assert_azure_error(
        &put("/A/B", "x", None).await,
        404,
        "WikiAncestorPageNotFoundException",
        "One or more ancestor pages",
    );

    let read = t.get(&format!("{pages}?path=/Release%20notes&includeContent=true&{API}")).await;
    assert_eq!(read.body["content"], "v2");
    assert_eq!(read.headers["etag"].to_str().unwrap(), new_etag);
    assert_eq!(
        t.get(&format!("{pages}?path=/Release%20notes&{API}")).await.body["content"],
        "",
        "content only when asked"
    );
    let by_id = t.get(&format!("{pages}/{id}?includeContent=true&{API}")).await.body;
    assert_eq!(by_id["path"], "/Release notes");
    let text = t
        .client
        .get(t.url(&format!("{pages}/{id}?{API}")))
        .basic_auth("", Some(TOKEN))
        .header("accept", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(text.text().await.unwrap(), "v2");

    put("/Release%20notes/2024", "2024", None).await;
    let tree = t.get(&format!("{pages}?path=/&recursionLevel=full&{API}")).await.body;
    assert_eq!(tree["isParentPage"], true);
    assert_eq!(tree["subPages"][0]["subPages"][0]["path"], "/Release notes/2024");

    let patched =
        t.send(Method::PATCH, &format!("{pages}/{id}?{API}"), Some(json!({"content": "v3"})), "application/json").await;
    assert_eq!(patched.status, 400, "an edit by id needs If-Match");
    let deleted = t.delete(&format!("{pages}?path=/Release%20notes&{API}")).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(t.get(&format!("{pages}/{id}?{API}")).await.status, 404);
    assert_eq!(t.get(&format!("/Onboarding/_apis/wiki/wikis/Nope?{API}")).await.status, 404);
}
