//! WIQL over HTTP: operators and precedence, ORDER BY and `$top`, `@project` and team scope,
//! date precision versus `timePrecision`, and the 20,000-result limit.

use backlog_twins::azure::Process;
use serde_json::{Value, json};

use super::support::{API, Twin, assert_azure_error, start};

async fn ids(t: &Twin, route: &str, query: &str) -> Vec<i64> {
    let answer = t.post(route, json!({ "query": query })).await;
    assert_eq!(answer.status, 200, "{query}: {}", answer.body);
    answer.body["workItems"].as_array().unwrap().iter().map(|w| w["id"].as_i64().unwrap()).collect()
}

async fn seeded() -> Twin {
    let t = start(&[("Onboarding", Process::Agile), ("Billing", Process::Agile)]).await;
    t.twin
        .seed(json!({
            "people": ["Ann Lee <ann@contoso.com>", "Bo Chen <bo@contoso.com>"],
            "workItems": [
                {"type": "Epic", "fields": {"System.Title": "Onboarding", "System.State": "Active", "Microsoft.VSTS.Common.Priority": 1}},
                {"type": "User Story", "fields": {"System.Title": "Invite teammates by email", "System.Tags": "onboarding; web", "Microsoft.VSTS.Common.Priority": 2, "System.AssignedTo": "Ann Lee <ann@contoso.com>"}},
                {"type": "User Story", "fields": {"System.Title": "Single sign-on", "System.State": "Closed", "Microsoft.VSTS.Common.Priority": 1, "System.AreaPath": "Onboarding\\Identity"}},
                {"type": "Task", "fields": {"System.Title": "Write the invite mail", "Microsoft.VSTS.Common.Priority": 3, "System.AssignedTo": "Bo Chen <bo@contoso.com>"}},
                {"project": "Billing", "type": "Bug", "fields": {"System.Title": "Invoice total is wrong", "Microsoft.VSTS.Common.Priority": 1}}
            ]
        }))
        .expect("seed");
    t
}

#[tokio::test]
async fn operators_precedence_and_order_follow_wiql() {
    let t = seeded().await;
    let route = format!("/Onboarding/_apis/wit/wiql?{API}");
    let select = "SELECT [System.Id], [System.Title] FROM WorkItems WHERE";
    let cases: [(&str, &[i64]); 12] = [
        ("[System.TeamProject] = @project ORDER BY [System.Id]", &[1, 2, 3, 4]),
        ("[System.WorkItemType] = 'User Story' AND [System.State] <> 'Closed'", &[2]),
        ("[System.State] IN ('Active', 'Closed') ORDER BY [System.Id] DESC", &[3, 1]),
        ("[System.Title] CONTAINS 'invite' ORDER BY [System.Id]", &[2, 4]),
        ("[System.Tags] CONTAINS 'web'", &[2]),
        ("[Microsoft.VSTS.Common.Priority] >= 2 AND [Microsoft.VSTS.Common.Priority] < 3", &[2]),
        ("[System.AreaPath] UNDER 'Onboarding\\Identity'", &[3]),
        ("[System.AssignedTo] = 'Bo Chen'", &[4]),
        ("[System.WorkItemType] = 'Bug' OR [System.WorkItemType] = 'Task' AND [System.Title] CONTAINS 'xyz'", &[5]),
        (
            "([System.WorkItemType] = 'Task' OR [System.WorkItemType] = 'Bug') AND [System.Title] CONTAINS 'invoice'",
            &[5],
        ),
        (
            "[System.TeamProject] = 'Onboarding' ORDER BY [Microsoft.VSTS.Common.Priority] ASC, [System.Title] DESC",
            &[3, 1, 2, 4],
        ),
        ("[System.AssignedTo] IS EMPTY AND [System.TeamProject] = @project ORDER BY [System.Id]", &[1, 3]),
    ];
    for (filter, want) in cases {
        assert_eq!(ids(&t, &route, &format!("{select} {filter}")).await, want, "{filter}");
    }
    let answer = t
        .post(
            &format!("/Onboarding/_apis/wit/wiql?$top=2&{API}"),
            json!({"query": format!("{select} [System.TeamProject] = @project ORDER BY [System.Id] DESC")}),
        )
        .await
        .body;
    assert_eq!(answer["workItems"].as_array().unwrap().len(), 2);
    assert_eq!(answer["queryType"], "flat");
    assert_eq!(answer["columns"][1]["referenceName"], "System.Title");
    assert_eq!(answer["sortColumns"][0]["descending"], true);
    assert!(answer["workItems"][0]["url"].as_str().unwrap().ends_with("/_apis/wit/workItems/4"));
    assert!(answer["workItems"][0].get("fields").is_none(), "ids and urls only");
}

#[tokio::test]
async fn scope_macros_and_errors_answer_as_the_service() {
    let t = seeded().await;
    let team = ids(
        &t,
        &format!("/Onboarding/Onboarding%20Team/_apis/wit/wiql?{API}"),
        "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project",
    )
    .await;
    assert_eq!(team.len(), 4);
    let everywhere = ids(&t, &format!("/_apis/wit/wiql?{API}"), "SELECT [System.Id] FROM WorkItems").await;
    assert_eq!(everywhere.len(), 5);
    let bad_team = t
        .post(
            &format!("/Onboarding/Nobody/_apis/wit/wiql?{API}"),
            json!({"query": "SELECT [System.Id] FROM WorkItems"}),
        )
        .await;
    assert_eq!(bad_team.status, 404);
    let no_project = t
        .post(
            &format!("/_apis/wit/wiql?{API}"),
            json!({"query": "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project"}),
        )
        .await;
    assert_azure_error(&no_project, 400, "SyntaxException", "TF51006");
    let unknown = t
        .post(
            &format!("/_apis/wit/wiql?{API}"),
            json!({"query": "SELECT [System.Id] FROM WorkItems WHERE [System.Sprint] = 'x'"}),
        )
        .await;
    assert_azure_error(&unknown, 400, "QueryException", "TF51005: The query references a field that does not exist.");
    let broken = t
        .post(
            &format!("/_apis/wit/wiql?{API}"),
            json!({"query": "SELECT [System.Id] FROM WorkItems WHERE ([System.Id] = 1"}),
        )
        .await;
    assert_azure_error(&broken, 400, "SyntaxException", "TF51006");
}

#[tokio::test]
async fn dates_compare_by_day_unless_time_precision_is_asked() {
    let t = start(&[("Onboarding", Process::Basic)]).await;
    let first = t.create("Onboarding", "Task", &[("System.Title", json!("first"))]).await;
    let second = t.create("Onboarding", "Task", &[("System.Title", json!("second"))]).await;
    let stamp = first["fields"]["System.ChangedDate"].as_str().unwrap().to_string();
    let day = &stamp[..10];
    let with_time = format!(
        "SELECT [System.Id] FROM WorkItems WHERE [System.ChangedDate] > '{stamp}' ORDER BY [System.ChangedDate]"
    );
    let refused = t.post(&format!("/Onboarding/_apis/wit/wiql?{API}"), json!({ "query": with_time })).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.body["message"],
        format!(
            "You cannot supply a time with the date when running a query using date precision. The error is caused by «[System.ChangedDate] > '{stamp}'»."
        )
    );
    let precise = ids(&t, &format!("/Onboarding/_apis/wit/wiql?timePrecision=true&{API}"), &with_time).await;
    assert_eq!(precise, [second["id"].as_i64().unwrap()]);
    let by_day = ids(
        &t,
        &format!("/Onboarding/_apis/wit/wiql?{API}"),
        &format!("SELECT [System.Id] FROM WorkItems WHERE [System.ChangedDate] >= '{day}'"),
    )
    .await;
    assert_eq!(by_day.len(), 2);
    let today = ids(
        &t,
        &format!("/Onboarding/_apis/wit/wiql?{API}"),
        "SELECT [System.Id] FROM WorkItems WHERE [System.ChangedDate] >= @today - 1",
    )
    .await;
    assert_eq!(today.len(), 2);
    let newest_first = "SELECT [System.Id] FROM WorkItems ORDER BY [System.ChangedDate] DESC";
    let (a, b) = (first["id"].as_i64().unwrap(), second["id"].as_i64().unwrap());
    assert_eq!(
        ids(&t, &format!("/Onboarding/_apis/wit/wiql?{API}"), newest_first).await,
        [b, a],
        "ORDER BY sorts by the instant"
    );
    t.update(a, json!([{"op": "add", "path": "/fields/System.Title", "value": "first, again"}])).await;
    assert_eq!(ids(&t, &format!("/Onboarding/_apis/wit/wiql?{API}"), newest_first).await, [a, b]);
    let body_flag = t
        .post(&format!("/Onboarding/_apis/wit/wiql?{API}"), json!({ "query": with_time, "timePrecision": true }))
        .await;
    assert_eq!(body_flag.status, 400, "the flag is a query parameter, not a body field");
}

#[tokio::test]
async fn more_than_twenty_thousand_results_are_refused() {
    let t = start(&[("Onboarding", Process::Basic)]).await;
    t.twin
        .seed(json!({"workItems": [{"type": "Task", "fields": {"System.Title": "Task"}, "count": 20_001}]}))
        .expect("seed");
    let all = "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project";
    let refused = t.post(&format!("/Onboarding/_apis/wit/wiql?{API}"), json!({ "query": all })).await;
    assert_azure_error(&refused, 400, "WorkItemTrackingQueryResultSizeLimitExceededException", "VS402337");
    let topped = t.post(&format!("/Onboarding/_apis/wit/wiql?$top=100&{API}"), json!({ "query": all })).await;
    assert_eq!(topped.body["workItems"].as_array().map(Vec::len), Some(100));
    let narrowed = t
        .post(
            &format!("/Onboarding/_apis/wit/wiql?{API}"),
            json!({ "query": format!("{all} AND [System.Id] <= 20000") }),
        )
        .await;
    assert_eq!(narrowed.body["workItems"].as_array().map(Vec::len), Some(20_000));
    let first: &Value = &narrowed.body["workItems"][0];
    assert_eq!(first["id"], 1);
}
