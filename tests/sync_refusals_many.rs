//! The acceptance run of issue 15: 200 items to both twins, 10 of them refused or adapted in 10
//! different ways; the run syncs the 190 others and reports the 10 (the adapted ones sync too,
//! without what their target cannot hold, and their files keep everything), and once they are
//! fixed the next run syncs them whole.

use std::collections::BTreeSet;
use std::path::Path;

use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::{self, RunOptions, RunReport};
use backlog_sync::store::Store;
use backlog_twins::azure::Process;
use backlog_twins::github::{GithubTwin, GithubTwinConfig};
use serde_json::{Value, json};

use crate::common::{copy_tree, root, sample_backlog};
use crate::support::azure_env::{self, GithubSide};

const REPO: &str = "contoso/onboarding";
const GH_TOKEN: &str = "ghp_many_refusals";

fn story(id: &str, title: &str, extra: &str, body: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: {title:?}\nepic: EP-{}\npersona: new teammate\nactivity: do thing {id}\nbenefit: it works\nstate: new\npriority: 2\n{extra}---\n{body}\n",
        // Spread over the four epics: GitHub takes at most 100 sub-issues a parent.
        id[3..].parse::<usize>().unwrap_or(0) % 4 + 1
    )
}

fn set_line(dir: &Path, rel: &str, key: &str, value: &str) {
    let path = dir.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(|l| if l.starts_with(&format!("{key}:")) { format!("{key}: {value}") } else { l.to_string() })
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

async fn gh(http: &reqwest::Client, method: reqwest::Method, url: String, body: Value) -> Value {
    let r = http
        .request(method, url)
        .header("authorization", format!("token {GH_TOKEN}"))
        .header("user-agent", "a-person")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

fn linked(state: &Path, target: &str) -> BTreeSet<String> {
    Store::open(state).unwrap().links(target).unwrap().into_iter().map(|l| l.item_id).collect()
}

async fn run(config: &Path) -> RunReport {
    let settings = Settings::load(Some(config)).unwrap();
    engine::run(&settings, &RunOptions::default()).await.expect("the run goes to its end")
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_items_ten_refused_ten_ways_then_fixed() {
    let github = GithubTwin::start(GithubTwinConfig {
        token: GH_TOKEN.into(),
        repositories: vec![REPO.into()],
        collaborators: vec!["alice-contoso".into()],
        content_limit_per_minute: 5000,
        content_limit_per_hour: 50_000,
        ..GithubTwinConfig::default()
    })
    .await
    .unwrap();
    let boards = azure_env::start_twin(Process::Agile).await;
    let (tmp, dir) = copy_tree(&sample_backlog());
    let (_maps_tmp, maps) = copy_tree(&root().join("mappings"));
    // Two people the remotes do not know: yan is no collaborator, zed no member.
    let people = "\n[[people]]\ncanonical = \"yan.outsider@contoso.com\"\ngithub = \"eve-outsider\"\n\n[[people]]\ncanonical = \"zed.outsider@contoso.com\"\nazure = \"zed@fabrikam.example\"\n";
    let identities = maps.join("identities.toml");
    std::fs::write(&identities, std::fs::read_to_string(&identities).unwrap() + people).unwrap();

    // 32 sample items + 164 generated stories = 196 files; 4 issues people open on GitHub.
    for n in 100..264 {
        let id = format!("ST-{n}");
        std::fs::write(dir.join(format!("stories/{id}.md")), story(&id, &format!("Story {n}"), "", "Some text."))
            .unwrap();
    }
    let refused_files = [
        ("ST-100", "tags", format!("[{}]", "l".repeat(60))), // GitHub: label over 50 (adapted)
        ("ST-102", "title", format!("{:?}", "T".repeat(300))), // Azure: title over 255 (refused)
        // Both: a tag over 400, and for Azure one holding a comma (adapted).
        ("ST-104", "tags", format!("\n  - \"a,b\"\n  - {}", "x".repeat(450))),
        ("ST-105", "owner", "yan.outsider@contoso.com".to_string()), // GitHub: not a collaborator (adapted)
        ("ST-106", "owner", "zed.outsider@contoso.com".to_string()), // Azure: not a member (adapted)
    ];
    for (id, key, value) in &refused_files {
        let path = dir.join(format!("stories/{id}.md"));
        let text = std::fs::read_to_string(&path).unwrap();
        if *key == "title" {
            set_line(&dir, &format!("stories/{id}.md"), "title", value);
        } else {
            std::fs::write(&path, text.replacen("state: new\n", &format!("state: new\n{key}: {value}\n"), 1)).unwrap();
        }
    }
    // GitHub: a body over 65,536 characters (adapted: cut, with a pointer to the file).
    let long = story("ST-103", "Long body", "", &format!("## Notes\n{}", "word ".repeat(14_000)));
    std::fs::write(dir.join("stories/ST-103.md"), long).unwrap();

    let http = reqwest::Client::new();
    let issues = format!("{}/repos/{REPO}/issues", github.base_url());
    let post = reqwest::Method::POST;
    let odd = [
        json!({"title": "Odd priority", "labels": ["type:story", "priority:high"]}),
        json!({"title": "Odd points", "labels": ["type:story"], "body": "### Story points\n\nlots\n"}),
        json!({"title": "Odd severity", "labels": ["type:risk", "severity:extreme"]}),
        json!({"title": "Odd likelihood", "labels": ["type:risk", "likelihood:sometimes"]}),
    ];
    let mut numbers = Vec::new();
    for body in &odd {
        numbers.push(gh(&http, post.clone(), issues.clone(), body.clone()).await["number"].as_u64().unwrap());
    }

    let config = azure_env::both_targets_settings(
        tmp.path(),
        &dir,
        GithubSide {
            api_url: &github.base_url(),
            repository: REPO,
            token: GH_TOKEN,
            mapping: &maps.join("github/default.toml"),
            extra: "write_limit_per_minute = 5000\nwrite_limit_per_hour = 50000\n",
        },
        &boards,
        &maps.join("azure-boards/agile.toml"),
        "max_removals = \"100%\"\n",
    );
    let state = Settings::load(Some(&config)).unwrap().state_path();

    let first = run(&config).await;
    let refused: BTreeSet<String> = first.refused.iter().map(|r| r.item.clone()).collect();
    let adapted: BTreeSet<String> = first.adapted.iter().map(|a| a.item.clone()).collect();
    assert!(refused.contains("ST-102") && refused.len() == 5, "ST-102 and the 4 imports: {:#?}", first.refused);
    let want: BTreeSet<String> =
        ["ST-100", "ST-103", "ST-104", "ST-105", "ST-106"].iter().map(|s| s.to_string()).collect();
    assert_eq!(adapted, want, "{:#?}", first.adapted);
    let ways: BTreeSet<(&str, &str, String)> = first
        .adapted
        .iter()
        .map(|a| (a.rule, a.target.as_str(), a.item.clone()))
        .chain(first.refused.iter().map(|r| ("sync-item-refused", r.target.as_str(), r.item.clone())))
        .collect();
    assert!(ways.len() >= 10, "{ways:#?}");
    for r in &first.refused {
        assert_eq!(r.rule, "sync-item-refused");
        assert!(!r.message.is_empty() && !r.hint.is_empty(), "{r}");
    }
    for a in &first.adapted {
        assert!(a.rule.starts_with("sync-") && !a.message.is_empty() && !a.hint.is_empty(), "{a}");
    }
    let (on_github, on_boards) = (linked(&state, "github"), linked(&state, "boards"));
    let files: BTreeSet<String> = std::fs::read_dir(dir.join("stories"))
        .unwrap()
        .chain(std::fs::read_dir(dir.join("epics")).unwrap())
        .chain(std::fs::read_dir(dir.join("risks")).unwrap())
        .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 196, "the four odd issues were not imported");
    let reported: BTreeSet<&String> = refused.iter().chain(&adapted).collect();
    assert_eq!(reported.len(), 10, "10 items reported");
    let synced: Vec<&String> =
        files.iter().filter(|f| on_github.contains(*f) && on_boards.contains(*f) && !reported.contains(f)).collect();
    assert_eq!(synced.len(), 190, "every other item went to both targets");
    assert!(adapted.iter().all(|a| on_github.contains(a) && on_boards.contains(a)), "adapted items synced too");
    let st103 = std::fs::read_to_string(dir.join("stories/ST-103.md")).unwrap();
    assert!(st103.len() > 70_000, "the file keeps the whole body");

    // A person fixes each of the ten.
    set_line(&dir, "stories/ST-100.md", "tags", "[short]");
    set_line(&dir, "stories/ST-102.md", "title", "A shorter title");
    std::fs::write(dir.join("stories/ST-103.md"), story("ST-103", "Long body", "", "## Notes\nshort now")).unwrap();
    let st104 = std::fs::read_to_string(dir.join("stories/ST-104.md")).unwrap();
    let tags_at = st104.find("tags:").unwrap();
    let tags_end = st104[tags_at..].find("\npriority:").unwrap() + tags_at;
    std::fs::write(dir.join("stories/ST-104.md"), format!("{}tags: [fine]{}", &st104[..tags_at], &st104[tags_end..]))
        .unwrap();
    let repo_api = format!("{}/repos/{REPO}", github.base_url());
    gh(&http, reqwest::Method::PUT, format!("{repo_api}/collaborators/eve-outsider"), json!({})).await;
    boards.seed(json!({"people": ["Zed <zed@fabrikam.example>"]})).unwrap();
    let patch = reqwest::Method::PATCH;
    let fixed = [
        json!({"labels": ["type:story", "priority:1"]}),
        json!({"body": "### Story points\n\n3\n"}),
        json!({"labels": ["type:risk", "severity:high"]}),
        json!({"labels": ["type:risk", "likelihood:low"]}),
    ];
    for (n, body) in numbers.iter().zip(fixed) {
        gh(&http, patch.clone(), format!("{issues}/{n}"), body).await;
    }

    let second = run(&config).await;
    assert!(second.refused.is_empty(), "{:#?}", second.refused);
    assert!(second.adapted.is_empty(), "{:#?}", second.adapted);
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    let (on_github, on_boards) = (linked(&state, "github"), linked(&state, "boards"));
    assert_eq!(on_github.len(), 200, "all 196 files and the 4 imports");
    assert_eq!(on_boards.len(), 200);
}
