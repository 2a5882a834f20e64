//! `backlog-sync twin github` as a user runs it: prints its URL first and serves until killed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread")]
async fn twin_github_prints_its_url_and_serves_until_killed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
        .args(["twin", "github", "--port", "0", "--token", "t0k"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let http = reqwest::Client::new();
    let issues = http
        .get(format!("{url}/repos/contoso/onboarding/issues"))
        .header("authorization", "token t0k")
        .header("user-agent", "t")
        .send()
        .await
        .unwrap();
    assert_eq!(issues.status(), 200);
    let refused =
        http.get(format!("{url}/repos/contoso/onboarding/issues")).header("user-agent", "t").send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let stats: serde_json::Value = http.get(format!("{url}/_twin/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["requests"], 2);
    assert_eq!(stats["by_operation"]["GET /repos/{owner}/{repo}/issues"], 2);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(http.get(format!("{url}/_twin/stats")).send().await.is_err(), "gone once killed");
}

#[tokio::test(flavor = "multi_thread")]
async fn twin_azure_prints_its_organization_url_and_serves_until_killed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
        .args(["twin", "azure", "--port", "0", "--token", "pat", "--project", "Onboarding:scrum"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let org = line.trim().to_string();
    assert!(org.starts_with("http://127.0.0.1:") && org.ends_with("/contoso"), "{org}");
    let http = reqwest::Client::new();
    let types = http
        .get(format!("{org}/Onboarding/_apis/wit/workitemtypes?api-version=7.1"))
        .basic_auth("", Some("pat"))
        .send()
        .await
        .unwrap();
    assert_eq!(types.status(), 200);
    let body: serde_json::Value = types.json().await.unwrap();
    assert!(body.to_string().contains("Product Backlog Item"), "a Scrum project");
    let refused = http
        .get(format!("{org}/Onboarding/_apis/wit/workitemtypes?api-version=7.1"))
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let base = org.trim_end_matches("/contoso");
    let stats: serde_json::Value = http.get(format!("{base}/_twin/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["requests"], 2, "{stats}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A first try needs the token the twin wants: the default is named on stderr, a chosen one is not
/// repeated.
#[test]
fn the_twin_says_which_token_it_wants_without_repeating_a_chosen_one() {
    for (kind, token, named) in [
        ("github", None, true),
        ("azure", None, true),
        ("github", Some("s3cret-choice"), false),
        ("azure", Some("s3cret-choice"), false),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backlog-sync"));
        command.args(["twin", kind, "--port", "0"]).env_remove("BACKLOG_SYNC_TWIN_TOKEN");
        if let Some(token) = token {
            command.args(["--token", token]);
        }
        let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(line.contains("twin serving http://127.0.0.1:"), "{line}");
        assert_eq!(line.contains("the token `twin-token`"), named, "{kind} {token:?}: {line}");
        assert!(!line.contains("s3cret-choice"), "{line}");
        if token.is_some() {
            assert!(line.contains("`--token`"), "{line}");
        }
    }
}
