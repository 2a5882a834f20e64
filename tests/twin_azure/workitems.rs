//! Work item behaviour: optimistic concurrency, state rules per process, batch limits, links on
//! both ends, revisions and updates, comments, Markdown fields, the recycle bin, validate-only.

use backlog_twins::azure::Process;
use serde_json::{Value, json};

use super::support::{API, PREVIEW, assert_azure_error, start};

#[tokio::test]
async fn a_failing_rev_test_applies_nothing() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let parent = t.create("Onboarding", "Epic", &[("System.Title", json!("Onboarding"))]).await;
    let story = t.create("Onboarding", "User Story", &[("System.Title", json!("Invite teammates"))]).await;
    let id = story["id"].as_i64().unwrap();
    let ok = t.update(id, json!([{"op": "test", "path": "/rev", "value": 1}, {"op": "add", "path": "/fields/System.Title", "value": "Invite by email"}])).await;
    assert_eq!(ok.body["rev"], 2);

    let stale = t
        .update(id, json!([
            {"op": "add", "path": "/fields/System.Title", "value": "Lost edit"},
            {"op": "test", "path": "/rev", "value": 1},
            {"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Reverse", "url": parent["url"]}},
        ]))
        .await;
    assert_azure_error(&stale, 412, "TestPatchOperationFailedException", "VS403351");
    let now = t.get(&format!("/_apis/wit/workitems/{id}?$expand=all&{API}")).await.body;
    assert_eq!(now["rev"], 2);
    assert_eq!(now["fields"]["System.Title"], "Invite by email");
    assert_eq!(now["relations"], json!([]));
    let parent_now = t.get(&format!("/_apis/wit/workitems/{}?$expand=relations&{API}", parent["id"])).await.body;
    assert_eq!(parent_now["rev"], 1, "the other end was not touched either");
    assert_eq!(t.get(&format!("/_apis/wit/workitems/{id}/updates?{API}")).await.body["count"], 2);
}

#[tokio::test]
async fn new_items_start_in_the_first_state_and_states_follow_each_process() {
    let t = start(&[("A", Process::Agile), ("S", Process::Scrum), ("C", Process::Cmmi), ("B", Process::Basic)]).await;
    let cases = [
        ("A", "User Story", "New", "Active", "Committed"),
        ("S", "Product Backlog Item", "New", "Committed", "Active"),
        ("C", "Requirement", "Proposed", "Resolved", "Done"),
        ("B", "Issue", "To Do", "Doing", "Resolved"),
        ("C", "Risk", "Proposed", "Active", "Open"),
    ];
    for (project, kind, first, next, foreign) in cases {
        let created = t.create(project, kind, &[("System.Title", json!("T"))]).await;
        assert_eq!(created["fields"]["System.State"], first, "{kind}");
        assert!(!created["fields"]["System.Reason"].as_str().unwrap().is_empty());
        let id = created["id"].as_i64().unwrap();
        let moved = t.update(id, json!([{"op": "add", "path": "/fields/System.State", "value": next}])).await;
        assert_eq!(moved.status, 200, "{kind} -> {next}: {}", moved.body);
        assert_eq!(moved.body["fields"]["System.State"], next);
        let bad = t.update(id, json!([{"op": "add", "path": "/fields/System.State", "value": foreign}])).await;
        assert_azure_error(&bad, 400, "RuleValidationException", "TF401320: Rule Error for field State.");
    }
    let ops = json!([{"op": "add", "path": "/fields/System.Title", "value": "T"}, {"op": "add", "path": "/fields/System.State", "value": "Active"}]);
    let post = async |bypass: bool| {
        let query = if bypass { format!("bypassRules=true&{API}") } else { API.to_string() };
        t.send(
            reqwest::Method::POST,
            &format!("/A/_apis/wit/workitems/$User%20Story?{query}"),
            Some(ops.clone()),
            "application/json-patch+json",
        )
        .await
    };
    assert_azure_error(&post(false).await, 400, "RuleValidationException", "TF401320: Rule Error for field State.");
    assert_eq!(post(true).await.body["fields"]["System.State"], "Active");
    let untitled = t
        .send(
            reqwest::Method::POST,
            &format!("/A/_apis/wit/workitems/$Task?{API}"),
            Some(json!([])),
            "application/json-patch+json",
        )
        .await;
    assert_azure_error(&untitled, 400, "RuleValidationException", "TF401320: Rule Error for field Title.");
    let points = t
        .send(reqwest::Method::POST, &format!("/S/_apis/wit/workitems/$Task?{API}"), Some(json!([{"op": "add", "path": "/fields/System.Title", "value": "x"}, {"op": "add", "path": "/fields/Microsoft.VSTS.Scheduling.StoryPoints", "value": 3}])), "application/json-patch+json")
        .await;
    assert_azure_error(&points, 400, "WorkItemFieldInvalidException", "TF51535");
}

#[tokio::test]
async fn reads_of_many_items_stop_at_two_hundred_ids() {
    let t = start(&[("Onboarding", Process::Basic)]).await;
    t.twin
        .seed(json!({"workItems": [{"type": "Task", "fields": {"System.Title": "Task"}, "count": 201}]}))
        .expect("seed");
    let ids = |n: i64| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let two_hundred = t.get(&format!("/_apis/wit/workitems?ids={}&{API}", ids(200))).await;
    assert_eq!(two_hundred.body["count"], 200);
    let too_many = t.get(&format!("/Onboarding/_apis/wit/workitems?ids={}&{API}", ids(201))).await;
    assert_azure_error(&too_many, 400, "ArgumentException", "The number of work item ids");
    let batch = async |ids: Vec<i64>, policy: &str| {
        t.post(
            &format!("/Onboarding/_apis/wit/workitemsbatch?{API}"),
            json!({"ids": ids, "fields": ["System.Id", "System.Title"], "errorPolicy": policy}),
        )
        .await
    };
    let ok = batch((1..=200).collect(), "fail").await;
    assert_eq!(ok.body["count"], 200);
    assert_eq!(ok.body["value"][0]["fields"], json!({"System.Id": 1, "System.Title": "Task 1"}));
    assert_azure_error(
        &batch((1..=201).collect(), "fail").await,
        400,
        "ArgumentException",
        "The number of work item ids",
    );
    let omitted = batch(vec![1, 999], "omit").await;
    assert_eq!(omitted.body["value"][1], Value::Null);
    assert_azure_error(&batch(vec![1, 999], "fail").await, 404, "WorkItemUnauthorizedAccessException", "TF401232");
    let mixed = t.get(&format!("/_apis/wit/workitems?ids=1&fields=System.Title&$expand=all&{API}")).await;
    assert_eq!(mixed.status, 400);
}

#[tokio::test]
async fn links_show_on_both_ends_and_a_child_has_one_parent() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let epic = t.create("Onboarding", "Epic", &[("System.Title", json!("Epic"))]).await;
    let other = t.create("Onboarding", "Epic", &[("System.Title", json!("Other epic"))]).await;
    let story = t.create("Onboarding", "User Story", &[("System.Title", json!("Story"))]).await;
    let (epic_id, story_id) = (epic["id"].as_i64().unwrap(), story["id"].as_i64().unwrap());
    let linked = t
        .update(story_id, json!([{"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Reverse", "url": epic["url"], "attributes": {"comment": "decomposition"}}}]))
        .await;
    assert_eq!(linked.body["relations"][0]["rel"], "System.LinkTypes.Hierarchy-Reverse");
    assert_eq!(linked.body["fields"]["System.Parent"], epic_id);
    let epic_now = t.get(&format!("/_apis/wit/workitems/{epic_id}?$expand=relations&{API}")).await.body;
    assert_eq!(epic_now["rev"], 2);
    assert_eq!(epic_now["relations"][0]["rel"], "System.LinkTypes.Hierarchy-Forward");
    assert!(epic_now["relations"][0]["url"].as_str().unwrap().ends_with(&format!("/_apis/wit/workItems/{story_id}")));
    assert!(
        t.get(&format!("/_apis/wit/workitems/{epic_id}?{API}")).await.body.get("relations").is_none(),
        "relations only with $expand"
    );

    let second = t.update(story_id, json!([{"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Reverse", "url": other["url"]}}])).await;
    assert_azure_error(&second, 400, "WorkItemLinkAddExtraParentException", "TF201036");
    let adopt = t
        .update(other["id"].as_i64().unwrap(), json!([{"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Forward", "url": story["url"]}}]))
        .await;
    assert_azure_error(&adopt, 400, "WorkItemLinkAddExtraParentException", "TF201036");
    let cycle = t.update(epic_id, json!([{"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Reverse", "url": story["url"]}}])).await;
    assert_eq!(cycle.status, 400);

    let related = t.update(story_id, json!([{"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Related", "url": other["url"]}}, {"op": "add", "path": "/relations/-", "value": {"rel": "Hyperlink", "url": "https://example.com/spec"}}])).await;
    assert_eq!(related.body["relations"].as_array().unwrap().len(), 3);
    let removed = t.update(story_id, json!([{"op": "remove", "path": "/relations/0"}])).await;
    assert_eq!(removed.body["relations"].as_array().unwrap().len(), 2);
    assert!(removed.body["fields"].get("System.Parent").is_none());
    let epic_after = t.get(&format!("/_apis/wit/workitems/{epic_id}?$expand=relations&{API}")).await.body;
    assert_eq!(epic_after["relations"], json!([]));
    let types = t.get(&format!("/_apis/wit/workitemrelationtypes?{API}")).await.body;
    assert!(
        types["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["referenceName"] == "System.LinkTypes.Hierarchy-Forward" && r["name"] == "Child")
    );
}

#[tokio::test]
async fn revisions_and_updates_record_every_change_with_increasing_dates() {
    let t = start(&[("Onboarding", Process::Scrum)]).await;
    let item = t
        .create(
            "Onboarding",
            "Product Backlog Item",
            &[("System.Title", json!("PBI")), ("Microsoft.VSTS.Scheduling.Effort", json!(3))],
        )
        .await;
    let id = item["id"].as_i64().unwrap();
    t.update(id, json!([{"op": "add", "path": "/fields/System.State", "value": "Approved"}])).await;
    t.update(id, json!([{"op": "replace", "path": "/fields/System.Tags", "value": "web; Alpha"}, {"op": "add", "path": "/fields/System.AssignedTo", "value": "Ann Lee <ann@contoso.com>"}])).await;
    let same = t.update(id, json!([{"op": "replace", "path": "/fields/System.Tags", "value": "alpha; web"}])).await;
    assert_eq!(same.body["rev"], 3, "a write that changes nothing is no revision");
    let revisions = t.get(&format!("/Onboarding/_apis/wit/workitems/{id}/revisions?{API}")).await.body;
    assert_eq!(revisions["count"], 3);
    // Compared as instants: the service trims trailing zeros of the fraction (".09Z", ".1Z").
    let dates: Vec<chrono::DateTime<chrono::Utc>> = revisions["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fields"]["System.ChangedDate"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "{dates:?}");
    let paged = t.get(&format!("/_apis/wit/workitems/{id}/revisions?$top=1&$skip=1&{API}")).await.body;
    assert_eq!(paged["value"][0]["rev"], 2);
    let third = t.get(&format!("/_apis/wit/workitems/{id}/updates/3?{API}")).await.body;
    assert_eq!(third["fields"]["System.Tags"]["newValue"], "Alpha; web");
    assert_eq!(third["fields"]["System.AssignedTo"]["newValue"]["uniqueName"], "ann@contoso.com");
    assert_eq!(third["fields"]["System.Rev"], json!({"oldValue": 2, "newValue": 3}));
    let second = t.get(&format!("/_apis/wit/workitems/{id}/updates/2?{API}")).await.body;
    assert_eq!(second["fields"]["System.State"], json!({"oldValue": "New", "newValue": "Approved"}));
    assert_eq!(second["revisedDate"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap(), dates[2]);
    let first = t.get(&format!("/_apis/wit/workitems/{id}/updates/1?{API}")).await.body;
    assert!(first["fields"]["System.Title"].get("oldValue").is_none());
}

#[tokio::test]
async fn comments_are_history_in_markdown_or_html() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let item = t.create("Onboarding", "Task", &[("System.Title", json!("Task"))]).await;
    let id = item["id"].as_i64().unwrap();
    let base = format!("/Onboarding/_apis/wit/workItems/{id}/comments");
    let first = t.post(&format!("{base}?format=markdown&{PREVIEW}"), json!({"text": "Ready for **review**"})).await;
    assert_eq!(first.body["format"], "markdown");
    let cid = first.body["id"].as_i64().unwrap();
    let via_history =
        t.update(id, json!([{"op": "add", "path": "/fields/System.History", "value": "<p>Moved on</p>"}])).await.body;
    assert_eq!(via_history["fields"]["System.CommentCount"], 2);
    assert_eq!(via_history["commentVersionRef"]["version"], 1);
    let list = t.get(&format!("{base}?{PREVIEW}&$expand=renderedText")).await.body;
    assert_eq!(list["totalCount"], 2);
    assert_eq!(list["comments"][0]["text"], "<p>Moved on</p>", "newest first");
    assert_eq!(list["comments"][1]["renderedText"], "<p>Ready for <strong>review</strong></p>");
    let edited = t.patch(&format!("{base}/{cid}?{PREVIEW}"), json!({"text": "Ready for review today"})).await.body;
    assert_eq!(edited["version"], 2);
    let deleted = t.delete(&format!("{base}/{cid}?{PREVIEW}")).await;
    assert_eq!(deleted.body["isDeleted"], true);
    assert_eq!(t.get(&format!("{base}/{cid}?{PREVIEW}")).await.status, 404);
    let after = t.get(&format!("/_apis/wit/workitems/{id}?{API}")).await.body;
    assert_eq!(after["fields"]["System.CommentCount"], 1);
    assert_eq!(after["rev"], 5);
    let released = t.post(&format!("{base}?{API}"), json!({"text": "x"})).await;
    assert_azure_error(&released, 400, "VssInvalidPreviewVersionException", "The requested version \"7.1\"");
}

#[tokio::test]
async fn markdown_fields_keep_their_format_and_cannot_go_back() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let plain = t.create("Onboarding", "User Story", &[("System.Title", json!("Plain"))]).await;
    // The service says which fields are Markdown from api-version 7.2 (a preview) on only.
    assert_eq!(plain.get("multilineFieldsFormat"), None, "not at 7.1");
    let id = plain["id"].as_i64().unwrap();
    let formats = format!("/_apis/wit/workitems/{id}?api-version=7.2-preview.3");
    assert_eq!(t.get(&formats).await.body["multilineFieldsFormat"], json!({}));
    let md = t
        .update(id, json!([
            {"op": "add", "path": "/fields/System.Description", "value": "## Why\n- so that"},
            {"op": "add", "path": "/multilineFieldsFormat/System.Description", "value": "Markdown"},
            {"op": "add", "path": "/fields/Microsoft.VSTS.Common.AcceptanceCriteria", "value": "- [ ] works"},
            {"op": "add", "path": "/multilineFieldsFormat/Microsoft.VSTS.Common.AcceptanceCriteria", "value": "markdown"},
        ]))
        .await
        .body;
    assert_eq!(md["fields"]["System.Description"], "## Why\n- so that");
    assert_eq!(
        t.get(&formats).await.body["multilineFieldsFormat"],
        json!({"System.Description": "markdown", "Microsoft.VSTS.Common.AcceptanceCriteria": "markdown"})
    );
    let back = t
        .update(id, json!([{"op": "add", "path": "/multilineFieldsFormat/System.Description", "value": "Html"}]))
        .await;
    assert_eq!(back.status, 400);
    assert_eq!(t.get(&formats).await.body["multilineFieldsFormat"]["System.Description"], "markdown");
}

#[tokio::test]
async fn deleted_items_go_to_the_recycle_bin_and_come_back() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let item = t.create("Onboarding", "Bug", &[("System.Title", json!("Crash"))]).await;
    let id = item["id"].as_i64().unwrap();
    let deleted = t.delete(&format!("/Onboarding/_apis/wit/workitems/{id}?{API}")).await;
    assert_eq!(deleted.body["code"], 200);
    assert_eq!(deleted.body["resource"]["id"], id);
    assert_azure_error(
        &t.get(&format!("/_apis/wit/workitems/{id}?{API}")).await,
        404,
        "WorkItemUnauthorizedAccessException",
        "TF401232",
    );
    let binned = t.get(&format!("/Onboarding/_apis/wit/recyclebin/{id}?{API}")).await.body;
    assert_eq!(binned["name"], "Crash");
    assert!(binned["deletedBy"].as_str().unwrap().contains('<'));
    let restored = t.patch(&format!("/Onboarding/_apis/wit/recyclebin/{id}?{API}"), json!({"isDeleted": false})).await;
    assert_eq!(restored.body["code"], 200);
    assert_eq!(t.get(&format!("/_apis/wit/workitems/{id}?{API}")).await.status, 200);
    assert_eq!(
        t.patch(&format!("/Onboarding/_apis/wit/recyclebin/{id}?{API}"), json!({"isDeleted": false})).await.status,
        400
    );
    let gone = t.delete(&format!("/Onboarding/_apis/wit/workitems/{id}?destroy=true&{API}")).await;
    assert_eq!(gone.status, 204);
    assert_eq!(t.get(&format!("/Onboarding/_apis/wit/recyclebin/{id}?{API}")).await.status, 404);
}

/// `GET …/recyclebin` ("Get Deleted Work Item Shallow References", 7.1) lists the id and the
/// `recyclebin/{id}` URL of every work item in the project's bin, and only those: a restored or
/// destroyed item leaves it, another project's stays out; an unknown project is the service's 404.
#[tokio::test]
async fn the_recycle_bin_lists_its_work_items_by_id_and_url() {
    let t = start(&[("Onboarding", Process::Agile), ("Other", Process::Agile)]).await;
    let mut ids = Vec::new();
    for title in ["One", "Two", "Three"] {
        let item = t.create("Onboarding", "User Story", &[("System.Title", json!(title))]).await;
        ids.push(item["id"].as_i64().unwrap());
    }
    let elsewhere =
        t.create("Other", "User Story", &[("System.Title", json!("Elsewhere"))]).await["id"].as_i64().unwrap();
    let empty = t.get(&format!("/Onboarding/_apis/wit/recyclebin?{API}")).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body, json!({"count": 0, "value": []}));
    for id in [ids[0], ids[1], ids[2], elsewhere] {
        let project = if id == elsewhere { "Other" } else { "Onboarding" };
        assert_eq!(t.delete(&format!("/{project}/_apis/wit/workitems/{id}?{API}")).await.status, 200);
    }
    assert_eq!(
        t.patch(&format!("/Onboarding/_apis/wit/recyclebin/{}?{API}", ids[1]), json!({"isDeleted": false}))
            .await
            .status,
        200
    );
    assert_eq!(t.delete(&format!("/Onboarding/_apis/wit/workitems/{}?destroy=true&{API}", ids[2])).await.status, 204);
    let listed = t.get(&format!("/Onboarding/_apis/wit/recyclebin?{API}")).await.body;
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["value"][0]["id"], ids[0]);
    let url = listed["value"][0]["url"].as_str().unwrap();
    assert!(url.ends_with(&format!("/_apis/wit/recyclebin/{}", ids[0])), "{url}");
    let binned = t.get(&format!("/Onboarding/_apis/wit/recyclebin/{}?{API}", ids[0])).await.body;
    assert_eq!(binned["url"].as_str().unwrap(), url, "the shallow reference names the item's own URL");
    let everywhere = t.get(&format!("/_apis/wit/recyclebin?{API}")).await.body;
    assert_eq!(everywhere["count"], 2, "without a project: the organization's bin");
    assert_azure_error(
        &t.get(&format!("/Nowhere/_apis/wit/recyclebin?{API}")).await,
        404,
        "ProjectDoesNotExistWithNameException",
        "TF200016",
    );
}

/// A link to a work item in the recycle bin is hidden from the other end: not listed, not
/// addressed by index, not a second parent; linking to the deleted item is refused as the service
/// refuses a missing one (TF401232). A new parent replaces the hidden one, so the restored epic
/// does not take the story back.
#[tokio::test]
async fn links_to_a_deleted_work_item_are_hidden_and_a_new_parent_replaces_them() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let old = t.create("Onboarding", "Epic", &[("System.Title", json!("Old"))]).await;
    let new = t.create("Onboarding", "Epic", &[("System.Title", json!("New"))]).await;
    let story = t.create("Onboarding", "User Story", &[("System.Title", json!("Invite"))]).await;
    let (old_id, id) = (old["id"].as_i64().unwrap(), story["id"].as_i64().unwrap());
    let parent = |url: &Value| json!({"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Reverse", "url": url}});
    assert_eq!(t.update(id, json!([parent(&old["url"])])).await.status, 200);
    assert_eq!(t.delete(&format!("/Onboarding/_apis/wit/workitems/{old_id}?{API}")).await.status, 200);
    let read = t.get(&format!("/_apis/wit/workitems/{id}?$expand=relations&{API}")).await.body;
    assert_eq!(read["relations"], json!([]));
    assert_azure_error(
        &t.update(id, json!([parent(&old["url"])])).await,
        404,
        "WorkItemLinkEndUnauthorizedAccessException",
        "TF401232",
    );
    assert_eq!(t.update(id, json!([{"op": "remove", "path": "/relations/0"}])).await.status, 400, "nothing to address");
    assert_eq!(t.update(id, json!([parent(&new["url"])])).await.status, 200, "the hidden parent is no second parent");
    let restored =
        t.patch(&format!("/Onboarding/_apis/wit/recyclebin/{old_id}?{API}"), json!({"isDeleted": false})).await;
    assert_eq!(restored.status, 200);
    let read = t.get(&format!("/_apis/wit/workitems/{id}?$expand=relations&{API}")).await.body;
    assert_eq!(read["relations"].as_array().unwrap().len(), 1);
    let new_id = new["id"].as_i64().unwrap();
    assert!(read["relations"][0]["url"].as_str().unwrap().ends_with(&format!("/{new_id}")));
    let epic = t.get(&format!("/_apis/wit/workitems/{old_id}?$expand=relations&{API}")).await.body;
    assert_eq!(epic["relations"], json!([]), "the restored epic no longer lists the story");
}

#[tokio::test]
async fn validate_only_and_wrong_content_types_change_nothing() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let item = t.create("Onboarding", "Task", &[("System.Title", json!("Task"))]).await;
    let id = item["id"].as_i64().unwrap();
    let checked = t
        .patch_doc(
            &format!("/_apis/wit/workitems/{id}?validateOnly=true&{API}"),
            json!([{"op": "add", "path": "/fields/System.Title", "value": "Changed"}]),
        )
        .await;
    assert_eq!(
        (checked.body["rev"].as_i64(), checked.body["fields"]["System.Title"].as_str()),
        (Some(1), Some("Task"))
    );
    let invalid = t
        .patch_doc(
            &format!("/_apis/wit/workitems/{id}?validateOnly=true&{API}"),
            json!([{"op": "add", "path": "/fields/System.State", "value": "Nope"}]),
        )
        .await;
    assert_eq!(invalid.status, 400);
    let json_body = t
        .patch(
            &format!("/_apis/wit/workitems/{id}?{API}"),
            json!([{"op": "add", "path": "/fields/System.Title", "value": "x"}]),
        )
        .await;
    assert_azure_error(
        &json_body,
        415,
        "VssRequestContentTypeNotSupportedException",
        "The request indicated a Content-Type",
    );
    assert_eq!(t.get(&format!("/_apis/wit/WorkItems/{id}?{API}")).await.body["rev"], 1, "path words match in any case");
}
