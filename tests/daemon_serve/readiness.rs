//! `/readyz` asks each target what proves a sync can run: against the Azure DevOps twin, `serve`
//! becomes ready (the twin serves the project as the service does); a repository the token cannot
//! see keeps GitHub's target unready, saying which and what to check.

use std::time::Duration;

use backlog_twins::azure::Process;
use serde_json::Value;

use super::process::{NEVER, Served, tables};
use crate::common::sample_backlog;
use crate::support::azure_env::{AzEnv, PROJECT, TOKEN};
use crate::support::github_env::GhEnv;

/// Polls `/readyz` a bounded number of times until `done` holds; returns the last answer.
async fn poll_ready(daemon: &Served, done: impl Fn(u16, &Value) -> bool) -> (u16, Value) {
    let mut last = (0, Value::Null);
    for _ in 0..100 {
        let r = daemon.get("/readyz").await;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if done(status, &body) {
            return (status, body);
        }
        last = (status, body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_against_the_azure_twin_becomes_ready() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Scrum).await;
    let mut text = std::fs::read_to_string(&env.config).unwrap();
    text.push_str(&tables(500, 1024, NEVER));
    std::fs::write(&env.config, text).unwrap();
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    let (status, body) = poll_ready(&daemon, |s, _| s == 200).await;
    assert_eq!(status, 200, "ready against the Azure twin: {body}");
    assert_eq!(body["targets"]["boards"], "ok", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_azure_twin_serves_a_project_with_its_process() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Scrum).await;
    let org = env.twin.organization_url();
    let get = |url: String| env.http.get(url).basic_auth("", Some(TOKEN)).send();
    let plain: Value =
        get(format!("{org}/_apis/projects/{PROJECT}?api-version=7.1")).await.unwrap().json().await.unwrap();
    assert_eq!(plain["name"], PROJECT);
    assert_eq!(plain["state"], "wellFormed");
    assert!(plain["capabilities"].is_null(), "capabilities only when asked: {plain}");
    let id = plain["id"].as_str().unwrap().to_string();
    let by_id: Value = get(format!("{org}/_apis/Projects/{id}?includeCapabilities=true&api-version=7.1"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["name"], PROJECT, "found by id too");
    assert_eq!(by_id["capabilities"]["processTemplate"]["templateName"], "Scrum", "{by_id}");
    assert_eq!(by_id["defaultTeam"]["name"], format!("{PROJECT} Team"));
    let missing = get(format!("{org}/_apis/projects/Offboarding?api-version=7.1")).await.unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["typeKey"], "ProjectDoesNotExistWithNameException", "{body}");
    let anonymous = env
        .http
        .get(format!("{org}/_apis/projects/{PROJECT}?api-version=7.1"))
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401, "the token is required");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_the_token_cannot_see_keeps_readyz_unready_and_says_why() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let mut text = std::fs::read_to_string(&env.config).unwrap();
    text = text.replace("repository = \"contoso/onboarding\"", "repository = \"contoso/no-such-repo\"");
    text.push_str(&tables(500, 1024, NEVER));
    std::fs::write(&env.config, text).unwrap();
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    let (status, body) = poll_ready(&daemon, |_, b| b["targets"]["github"].is_string()).await;
    assert_eq!(status, 503, "{body}");
    let why = body["targets"]["github"].as_str().unwrap();
    assert!(why.contains("`contoso/no-such-repo` does not exist") && why.contains("check `repository`"), "{why}");
}
