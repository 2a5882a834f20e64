//! The spec's Work Item Tracking examples replayed against the twin (see `examples` for how).

use backlog_twins::azure::Process;
use serde_json::{Value, json};

use super::examples::{Replay, load, rev, with_rev};
use super::support::start;

#[tokio::test]
async fn the_wit_examples_replay_against_the_twin() {
    let Some(mut r) = Replay::new() else { return };
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

    r.finish("wit-7.1.trimmed/httpExamples");
}
