//! Resource-location discovery as Microsoft's SDKs use it: `OPTIONS {org}/_apis` without a
//! version, `ResourceAreas` pointing each area at the organization, every listed GET route served
//! at the version the SDKs negotiate, and `transitions[].actions` on work item types.

use backlog_twins::azure::Process;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::support::{TOKEN, read, start};

/// The SDK's way: fill the template's known values and drop the segments it has none for.
fn fill(template: &str, area: &str, resource: &str) -> String {
    template
        .split('/')
        .filter_map(|segment| match segment {
            "{project}" => Some("Onboarding".to_string()),
            "{area}" => Some(area.to_string()),
            "{resource}" => Some(resource.to_string()),
            s if s.starts_with('{') => None,
            s => Some(s.to_string()),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn options_lists_resource_locations_without_an_api_version() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let response = t
        .client
        .request(Method::OPTIONS, t.url("/_apis"))
        .basic_auth("", Some(TOKEN))
        .header("accept", "application/json")
        .send()
        .await
        .expect("twin answers");
    let answer = read(response).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let locations = answer.body["value"].as_array().expect("a collection");
    assert_eq!(answer.body["count"], locations.len());
    let find = |id: &str| locations.iter().find(|l| l["id"] == id).unwrap_or_else(|| panic!("{id} listed"));
    let work_items = find("72c7ddf8-2cdc-4f60-90cd-ab71c14a399b");
    assert_eq!(work_items["area"], "wit");
    assert_eq!(work_items["resourceName"], "workItems");
    assert_eq!(work_items["routeTemplate"], "{project}/_apis/{area}/{resource}/{id}");
    for id in [
        "62d3d110-0047-428c-ad3c-4fe872c91c74", // create
        "1a9c53f7-f243-4447-b110-35ef023636e4", // wiql
        "608aac0a-32e1-4493-a863-b9cf4566d257", // comments
        "7c8d7a76-4a09-43e8-b5df-bd792f4ac6aa", // work item types
        "908509b6-4248-4475-a1cd-829139ba419f", // workitemsbatch
        "603fe2ac-9723-48b9-88ad-09305aa6c6e1", // core projects
        "288d122c-dbd4-451d-aa5f-7dbbba070728", // wikis
        "25d3fbc7-fe3d-46cb-b5a5-0b6f79caf27b", // wiki pages
        "e81700f7-3be2-46de-8624-2eb35882fcaa", // resource areas
    ] {
        let location = find(id);
        for key in ["minVersion", "maxVersion", "releasedVersion"] {
            assert!(location[key].as_str().is_some_and(|v| v.contains('.')), "{id} {key}: {location}");
        }
        assert!(location["resourceVersion"].as_u64().is_some(), "{location}");
    }
    // Every location whose GET needs nothing but the project is served where its template says.
    for id in [
        "7c8d7a76-4a09-43e8-b5df-bd792f4ac6aa",
        "603fe2ac-9723-48b9-88ad-09305aa6c6e1",
        "288d122c-dbd4-451d-aa5f-7dbbba070728",
        "e81700f7-3be2-46de-8624-2eb35882fcaa",
        "f5d33bc9-5b49-4a3c-a9bd-f3cd46dd2165",
        "b51fd764-e5c2-4b9b-aaf7-3395cf4bdd94",
    ] {
        let l = find(id);
        let path = fill(
            l["routeTemplate"].as_str().unwrap(),
            l["area"].as_str().unwrap(),
            l["resourceName"].as_str().unwrap(),
        );
        let version = format!("7.1-preview.{}", l["resourceVersion"]);
        let answer = t.get(&format!("/{path}?api-version={version}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
    }
}

#[tokio::test]
async fn options_without_credentials_is_refused_like_every_call() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let response = t
        .client
        .request(Method::OPTIONS, t.url("/_apis"))
        .header("x-tfs-fedauthredirect", "Suppress")
        .send()
        .await
        .expect("twin answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn resource_areas_point_wit_core_and_wiki_at_the_organization() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let answer = t.get("/_apis/ResourceAreas?api-version=7.1-preview.1").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let areas = answer.body["value"].as_array().expect("a collection");
    let organization = format!("{}/", t.twin.organization_url().trim_end_matches('/'));
    for (id, name) in [
        ("5264459e-e5e0-4bd8-b118-0985e68a4ec5", "wit"),
        ("79134c72-4a58-4b42-976c-04e7115f32bf", "core"),
        ("bf7d82a0-8aa5-4613-94ef-6172a5ea01f3", "wiki"),
    ] {
        let area = areas.iter().find(|a| a["id"] == id).unwrap_or_else(|| panic!("{name} listed"));
        assert_eq!(area["name"], name);
        assert_eq!(area["locationUrl"], Value::String(organization.clone()));
    }
    let one = t.get("/_apis/resourceAreas/5264459e-e5e0-4bd8-b118-0985e68a4ec5?api-version=7.1-preview.1").await;
    assert_eq!(one.body["name"], "wit");
    let unknown = t.get("/_apis/resourceAreas/00000000-0000-0000-0000-000000000000?api-version=7.1-preview.1").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn projects_list_holds_every_project() {
    let t = start(&[("Onboarding", Process::Agile), ("Payroll", Process::Scrum)]).await;
    let answer = t.get("/_apis/projects?api-version=7.1").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let names: Vec<&str> = answer.body["value"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["Onboarding", "Payroll"]);
    assert_eq!(answer.body["count"], 2);
}

#[tokio::test]
async fn work_item_type_transitions_carry_actions() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let answer = t.get("/Onboarding/_apis/wit/workitemtypes/Bug?api-version=7.1").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let transitions = answer.body["transitions"].as_object().expect("transitions");
    let mut into_resolved = 0;
    for (from, moves) in transitions {
        for step in moves.as_array().unwrap() {
            if step["to"] == "Resolved" {
                into_resolved += 1;
                assert_eq!(step["actions"], serde_json::json!(["Microsoft.VSTS.Actions.Checkin"]), "{from}");
            } else {
                assert!(step.get("actions").is_none(), "{from} → {step}: no null actions");
            }
        }
    }
    assert!(into_resolved > 0, "an Agile bug can be resolved");
}
