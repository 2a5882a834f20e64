//! What Azure DevOps refuses, the twin refuses the same way: an `AssignedTo` who is not a member
//! of the organization (TF401320 rule error), tags over 400 characters or holding a comma.

use backlog_twins::azure::Process;
use serde_json::json;

use super::support::{assert_azure_error, start};

#[tokio::test]
async fn only_members_can_be_assigned_and_bad_tags_are_refused() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let item = t.create("Onboarding", "User Story", &[("System.Title", json!("t"))]).await;
    let id = item["id"].as_i64().unwrap();
    let assign = |who: &str| json!([{"op": "add", "path": "/fields/System.AssignedTo", "value": who}]);
    let outsider = t.update(id, assign("Mallory <mallory@fabrikam.example>")).await;
    assert_azure_error(&outsider, 400, "RuleValidationException", "TF401320: Rule Error for field Assigned To.");
    assert!(outsider.body["customProperties"]["FieldStatusFlags"].as_str().unwrap().contains("invalididentity"));
    let member = t.update(id, assign("ann@contoso.com")).await;
    assert_eq!(member.status.as_u16(), 200, "{}", member.body);
    assert_eq!(member.body["fields"]["System.AssignedTo"]["uniqueName"], "ann@contoso.com");

    let tags = |value: String| json!([{"op": "add", "path": "/fields/System.Tags", "value": value}]);
    let comma = t.update(id, tags("ok; a,b".into())).await;
    assert_eq!(comma.status.as_u16(), 400, "{}", comma.body);
    let long = t.update(id, tags("x".repeat(401))).await;
    assert_eq!(long.status.as_u16(), 400, "{}", long.body);
    let fine = t.update(id, tags(format!("ok; {}", "y".repeat(400)))).await;
    assert_eq!(fine.status.as_u16(), 200, "400 characters are fine: {}", fine.body);
}
