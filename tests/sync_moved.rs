//! A renamed repository or a transferred issue answers GitHub's `301` with its new location: the
//! sync follows it and the stored link follows too, so `status --links` shows where the item is
//! now and later runs keep reaching it.

use serde_json::{Value, json};

use crate::common::{sample_backlog, stderr, stdout};
use crate::support::github_env::{GhEnv, REPO, TOKEN};

fn set_title(env: &GhEnv, rel: &str, title: &str) {
    let text = env.read(rel);
    let out: Vec<String> =
        text.lines().map(|l| if l.starts_with("title:") { format!("title: {title}") } else { l.to_string() }).collect();
    env.write(rel, &(out.join("\n") + "\n"));
}

async fn issues_of(env: &GhEnv, repo: &str) -> Vec<Value> {
    env.http
        .get(env.url(&format!("/repos/{repo}/issues?state=all&per_page=100")))
        .header("authorization", format!("token {TOKEN}"))
        .header("user-agent", "a-person")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn url_of(env: &GhEnv, item: &str) -> String {
    let store = backlog_sync::store::Store::open(&env.settings().state_path()).unwrap();
    store.link("github", item).unwrap().expect("linked").remote_url.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_repository_moves_every_link_to_the_new_url() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    assert!(url_of(&env, "ST-5").contains("/contoso/onboarding/issues/"));
    let renamed =
        env.http.post(env.url(&format!("/_twin/repos/{REPO}/rename"))).json(&json!({"name": "welcome"})).send().await;
    assert!(renamed.unwrap().status().is_success());

    let out = env.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(url_of(&env, "ST-5").contains("/contoso/welcome/issues/"), "{}", url_of(&env, "ST-5"));
    let links = stdout(&env.cli(&["status", "--links"]).await);
    assert!(links.contains("/contoso/welcome/issues/") && !links.contains("/contoso/onboarding/issues/"), "{links}");

    // Later runs keep reaching the items under the new name.
    set_title(&env, "stories/ST-5.md", "Edited after the rename");
    let again = env.cli(&["sync"]).await;
    assert_eq!(again.status.code(), Some(0), "{}{}", stdout(&again), stderr(&again));
    assert!(issues_of(&env, "contoso/welcome").await.iter().any(|i| i["title"] == "Edited after the rename"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transferred_issue_keeps_its_link_and_the_link_shows_its_new_place() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.twin.seed(json!({"repositories": ["contoso/other"]})).unwrap();
    env.sync().await;
    let number = env.issue_of("ST-5").await["number"].as_u64().unwrap();
    let moved = env
        .http
        .post(env.url(&format!("/_twin/repos/{REPO}/issues/{number}/transfer")))
        .json(&json!({"repository": "contoso/other"}))
        .send()
        .await
        .unwrap();
    assert!(moved.status().is_success());
    let now_at: Value = moved.json().await.unwrap();

    let out = env.cli(&["reconcile"]).await;
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(!env.read("stories/ST-5.md").contains("state: removed"), "a transferred issue is not a deleted one");
    assert_eq!(url_of(&env, "ST-5"), now_at["html_url"].as_str().unwrap(), "{o}{e}");
    let links = stdout(&env.cli(&["status", "--links"]).await);
    assert!(links.contains(now_at["html_url"].as_str().unwrap()), "{links}");

    // An edit reaches the issue where it is now, and nothing is imported or duplicated.
    set_title(&env, "stories/ST-5.md", "Edited after the transfer");
    let again = env.cli(&["sync"]).await;
    assert_eq!(again.status.code(), Some(0), "{}{}", stdout(&again), stderr(&again));
    let there = issues_of(&env, "contoso/other").await;
    assert_eq!(there.len(), 1);
    assert_eq!(there[0]["title"], "Edited after the transfer");
    let files = std::fs::read_dir(env.dir.join("stories")).unwrap().count();
    let before = std::fs::read_dir(sample_backlog().join("stories")).unwrap().count();
    assert_eq!(files, before, "nothing was imported");
}
