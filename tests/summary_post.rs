//! Posting summaries to the GitHub twin (a comment on one summary issue), the Azure twin's wiki
//! (a page written with `PUT` + `If-Match`) and a file — once per period, and exactly once even
//! when the connection drops after the twin applied the write.

use std::path::Path;
use std::time::Duration;

use backlog_sync::config::Settings;
use backlog_sync::connector::retry::RetryPolicy;
use backlog_sync::summary::post::{PostOptions, PostOutcome, Posted, post_with};
use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::common::{copy_tree, sample_backlog};
use crate::summary_render::{NOW, at};
use crate::support::github_env::{GhEnv, REPO, TOKEN};

/// Quick retries, so the tests do not wait on backoff.
pub fn quick(attempts: u32) -> PostOptions {
    PostOptions {
        retry: RetryPolicy {
            attempts,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_rate_limit_wait: Duration::from_secs(2),
            clock: backlog_sync::clock::Clock::system(),
        },
        ..PostOptions::default()
    }
}

/// Replaces the backlog's stakeholders with one per `(audience, channel, cadence)`.
pub fn stakeholders(backlog: &Path, who: &[(&str, &str, &str)]) {
    let mut text = String::new();
    for (i, (audience, channel, cadence)) in who.iter().enumerate() {
        text.push_str(&format!(
            "[[stakeholders]]\nname = \"S{i}\"\nrole = \"r\"\naudience = \"{audience}\"\nchannel = \"{channel}\"\ncadence = \"{cadence}\"\n\n"
        ));
    }
    std::fs::write(backlog.join("stakeholders.toml"), text).unwrap();
}

pub fn week(n: i64) -> DateTime<Utc> {
    at(NOW) + chrono::Duration::days(7 * n)
}

pub fn only(posted: Vec<Posted>) -> Posted {
    assert_eq!(posted.len(), 1, "{posted:?}");
    posted.into_iter().next().unwrap()
}

/// How often the twin saw `METHOD` on an operation whose path template ends with `suffix`.
fn count(stats: &Value, method: &str, suffix: &str) -> u64 {
    stats["by_operation"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(op, _)| op.starts_with(&format!("{method} ")) && op.ends_with(suffix))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum()
}

async fn github(mode: &str) -> GhEnv {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let mut config = std::fs::read_to_string(&env.config).unwrap();
    config.push_str(&format!("\n[summary.channels.github]\ntarget = \"github\"\nmode = \"{mode}\"\n"));
    std::fs::write(&env.config, config).unwrap();
    stakeholders(&env.dir, &[("team", "github-comment", "weekly")]);
    env
}

/// The summary issue and its comments.
async fn summary_thread(env: &GhEnv) -> (Vec<Value>, Vec<Value>) {
    let issues: Vec<Value> = env
        .issues()
        .await
        .into_iter()
        .filter(|i| i["body"].as_str().is_some_and(|b| b.contains("<!-- backlog-sync-summary: issue -->")))
        .collect();
    let comments = match issues.first() {
        Some(i) => {
            let url = env.url(&format!("/repos/{REPO}/issues/{}/comments?per_page=100", i["number"]));
            let r = env.http.get(url).header("authorization", format!("token {TOKEN}")).send().await.unwrap();
            r.json::<Vec<Value>>().await.unwrap()
        }
        None => Vec::new(),
    };
    (issues, comments)
}

#[tokio::test]
async fn github_comment_is_posted_once_and_edited_in_place_despite_dropped_connections() {
    let env = github("edit").await;
    let settings = env.settings();
    env.faults(json!([
        {"method": "POST", "path": "/repos/*/*/issues", "drop_after_write": true},
        {"method": "POST", "path": "/repos/*/*/issues/*/comments", "drop_after_write": true}
    ]))
    .await;
    let first = only(post_with(&settings, week(0), &quick(4)).await.unwrap());
    assert_eq!(first.outcome, PostOutcome::Unchanged, "the retry found its own comment: {first:?}");
    assert_eq!(first.period, "2026-W45");
    let (issues, comments) = summary_thread(&env).await;
    assert_eq!((issues.len(), comments.len()), (1, 1), "one summary issue, one comment");
    let body = comments[0]["body"].as_str().unwrap();
    assert!(body.starts_with("# Contoso Onboarding Revamp — team summary, 2026-W45"), "{body}");
    assert!(body.contains("<!-- backlog-sync-summary: audience=team period=2026-W45 digest="), "{body}");
    let stats = env.stats().await;
    assert_eq!(count(&stats, "POST", "/issues"), 1);
    assert_eq!(count(&stats, "POST", "/comments"), 1);
    let lookups = |s: &Value| count(s, "GET", "/repos/{owner}/{repo}/issues");

    let again = only(post_with(&settings, week(0), &quick(4)).await.unwrap());
    assert_eq!(again.outcome, PostOutcome::AlreadyPosted);
    assert_eq!(env.stats().await["requests"], stats["requests"], "a done period sends nothing");

    let before = lookups(&env.stats().await);
    let next = only(post_with(&settings, week(1), &quick(4)).await.unwrap());
    assert_eq!((next.outcome, next.period.as_str()), (PostOutcome::Edited, "2026-W46"));
    assert_eq!(lookups(&env.stats().await), before, "the store remembers the summary issue");
    env.faults(json!([{"method": "PATCH", "path": "/repos/*/*/issues/comments/*", "drop_after_write": true}])).await;
    let third = only(post_with(&settings, week(2), &quick(4)).await.unwrap());
    assert_eq!(third.outcome, PostOutcome::Unchanged, "{third:?}");
    let (issues, comments) = summary_thread(&env).await;
    assert_eq!((issues.len(), comments.len()), (1, 1), "still one comment, edited in place");
    assert!(comments[0]["body"].as_str().unwrap().contains("period=2026-W47"));
    let stats = env.stats().await;
    assert_eq!(count(&stats, "PATCH", "/comments/{comment_id}"), 2, "one edit per period");
}

#[tokio::test]
async fn per_period_comments_and_a_failed_run_adopted_by_the_next() {
    let env = github("per-period").await;
    let settings = env.settings();
    env.faults(json!([{"method": "POST", "path": "/repos/*/*/issues/*/comments", "drop_after_write": true}])).await;
    let failed = only(post_with(&settings, week(0), &quick(1)).await.unwrap());
    assert_eq!(failed.outcome, PostOutcome::Failed, "no retry allowed: {failed:?}");
    assert!(failed.note.as_deref().unwrap_or("").contains("post the summary comment"), "{failed:?}");
    let adopted = only(post_with(&settings, week(0), &quick(4)).await.unwrap());
    assert_eq!(adopted.outcome, PostOutcome::Unchanged, "the next run finds the comment: {adopted:?}");
    let next = only(post_with(&settings, week(1), &quick(4)).await.unwrap());
    assert_eq!(next.outcome, PostOutcome::Posted);
    let (_, comments) = summary_thread(&env).await;
    let periods: Vec<String> = comments
        .iter()
        .map(|c| {
            let body = c["body"].as_str().unwrap();
            body[body.find("period=").unwrap() + 7..].split_whitespace().next().unwrap().to_string()
        })
        .collect();
    assert_eq!(periods, ["2026-W45", "2026-W46"], "one comment per period");
    assert_eq!(count(&env.stats().await, "POST", "/comments"), 2);
}

#[tokio::test]
async fn azure_wiki_page_is_written_once_per_period_with_if_match() {
    let twin = AzureTwin::start(AzureTwinConfig {
        token: "wiki-pat".into(),
        members: vec!["alice@contoso.com".into(), "grace.hopper@contoso.com".into(), "someone@fabrikam.example".into()],
        projects: vec![("Onboarding".into(), Process::Agile)],
        ..AzureTwinConfig::default()
    })
    .await
    .unwrap();
    let (tmp, dir) = copy_tree(&sample_backlog());
    stakeholders(&dir, &[("executive", "azure-wiki", "weekly")]);
    std::fs::write(tmp.path().join("token"), "wiki-pat\n").unwrap();
    let config = tmp.path().join("settings.toml");
    std::fs::write(
        &config,
        format!(
            "[backlog]\npath = {dir:?}\n\n[[targets]]\nname = \"boards\"\nkind = \"azure-boards\"\norganization_url = \"{}\"\nproject = \"Onboarding\"\ntoken_file = \"token\"\nmapping = \"unused.toml\"\n\n[summary.channels.azure_wiki]\ntarget = \"boards\"\n",
            twin.organization_url()
        ),
    )
    .unwrap();
    let settings = Settings::load(Some(&config)).unwrap();
    let http = reqwest::Client::new();
    let control = |path: &str| format!("{}{path}", twin.base_url());
    let arm = async |rules: Value| {
        let r = http.post(control("/_twin/faults")).json(&rules).send().await.unwrap();
        assert!(r.status().is_success());
    };
    let stats = async || -> Value { http.get(control("/_twin/stats")).send().await.unwrap().json().await.unwrap() };
    let page = async || -> Value {
        let url = format!(
            "{}/Onboarding/_apis/wiki/wikis/Onboarding.wiki/pages?path=/Stakeholder%20summaries/executive&includeContent=true&api-version=7.1",
            twin.organization_url()
        );
        http.get(url).basic_auth("", Some("wiki-pat")).send().await.unwrap().json().await.unwrap()
    };
    let puts = |s: &Value| count(s, "PUT", "/pages");

    // The parent page and the summary page: each write is applied, then the connection drops.
    arm(
        json!([{"method": "PUT", "path": "/contoso/*/_apis/wiki/wikis/*/pages", "count": 2, "drop_after_write": true}]),
    )
    .await;
    let first = only(post_with(&settings, week(0), &quick(5)).await.unwrap());
    assert_eq!(first.outcome, PostOutcome::Unchanged, "{first:?}");
    assert_eq!(puts(&stats().await), 2, "one PUT for the parent page, one for the summary");
    let content = page().await["content"].as_str().unwrap().to_string();
    assert!(content.starts_with("# Contoso Onboarding Revamp — sponsor summary, 2026-W45"), "{content}");
    assert!(content.contains("audience=executive period=2026-W45"));

    assert_eq!(only(post_with(&settings, week(0), &quick(5)).await.unwrap()).outcome, PostOutcome::AlreadyPosted);
    arm(json!([{"method": "PUT", "path": "/contoso/*/_apis/wiki/wikis/*/pages", "drop_after_write": true}])).await;
    let edited = only(post_with(&settings, week(1), &quick(5)).await.unwrap());
    assert_eq!(edited.outcome, PostOutcome::Unchanged, "the edit landed before the drop: {edited:?}");
    let next = only(post_with(&settings, week(2), &quick(5)).await.unwrap());
    assert_eq!(next.outcome, PostOutcome::Edited);
    assert_eq!(puts(&stats().await), 4, "one edit per period, each with the page's ETag");
    assert!(page().await["content"].as_str().unwrap().contains("period=2026-W47"));
    twin.shutdown().await;
}

#[tokio::test]
async fn file_channel_writes_once_and_unconfigured_channels_are_skipped() {
    let (tmp, dir) = copy_tree(&sample_backlog());
    stakeholders(&dir, &[("executive", "file", "monthly"), ("team", "slack", "weekly"), ("team", "fax", "weekly")]);
    let config = tmp.path().join("settings.toml");
    std::fs::write(&config, format!("[backlog]\npath = {dir:?}\n\n[summary.channels.file]\nformat = \"html\"\n"))
        .unwrap();
    let settings = Settings::load(Some(&config)).unwrap();
    let posted = post_with(&settings, week(0), &quick(2)).await.unwrap();
    let outcomes: Vec<(&str, PostOutcome)> = posted.iter().map(|p| (p.channel.as_str(), p.outcome)).collect();
    assert_eq!(
        outcomes,
        [("file", PostOutcome::Posted), ("slack", PostOutcome::Skipped), ("fax", PostOutcome::Failed)]
    );
    assert!(posted[1].note.as_deref().unwrap().contains("webhook_url_env"), "{:?}", posted[1]);
    assert!(posted[2].note.as_deref().unwrap().contains("channel `fax` is unknown"), "{:?}", posted[2]);
    let file = dir.join("summaries/executive-2026-11.html");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.contains("sponsor summary, 2026-11") && html.contains("<svg"), "{html}");
    let again = post_with(&settings, week(1), &quick(2)).await.unwrap();
    assert_eq!(again[0].outcome, PostOutcome::AlreadyPosted, "a monthly stakeholder hears once a month");
}

#[test]
fn changes_since_the_audiences_last_summary_come_from_the_store() {
    use backlog_sync::store::{Change, Conflict, Direction, Post, RunCounts, RunOutcome, Store};
    let (tmp, dir) = copy_tree(&sample_backlog());
    stakeholders(&dir, &[("team", "github-comment", "weekly")]);
    let config = tmp.path().join("settings.toml");
    std::fs::write(
        &config,
        format!(
            "[backlog]\npath = {dir:?}\n\n[[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"a/b\"\ntoken_env = \"UNUSED_TOKEN\"\nmapping = \"m.toml\"\n"
        ),
    )
    .unwrap();
    let settings = Settings::load(Some(&config)).unwrap();
    let store = Store::open(&settings.state_path()).unwrap();
    let run = store.start_run("sync").unwrap();
    let change = |at_: &str, item: &str, old: &str, new: &str| Change {
        at: at(at_),
        item_id: item.into(),
        target: Some("github".into()),
        direction: Direction::Inbound,
        action: "updated".into(),
        field: Some("state".into()),
        old: Some(old.into()),
        new: Some(new.into()),
    };
    store.record_change(run, &change("2026-10-27T10:00:00Z", "ST-3", "active", "resolved")).unwrap();
    store.record_change(run, &change("2026-10-31T10:00:00Z", "ST-2", "new", "active")).unwrap();
    store.finish_run(run, &RunCounts::default(), RunOutcome::Success, None).unwrap();
    store
        .record_conflict(&Conflict {
            target: "github".into(),
            item_id: "ST-8".into(),
            field: "title".into(),
            base: None,
            canonical: Some("a".into()),
            remote: Some("b".into()),
            detected_at: at("2026-10-31T11:00:00Z"),
        })
        .unwrap();
    let post = Post {
        channel: "github-comment".into(),
        audience: "team".into(),
        period: "2026-W44".into(),
        remote_ref: None,
        posted_at: at("2026-10-28T09:00:00Z"),
        state: "done".into(),
    };
    store.record_post(&post).unwrap();

    let s = backlog_sync::summary::summary_for(&settings, "team", week(0), None).unwrap();
    assert_eq!(s.changes.since, "2026-10-28 09:00 UTC", "since last week's post");
    let moved: Vec<&str> = s.changes.moved.iter().map(|l| l.item.as_str()).collect();
    assert_eq!((moved, s.changes.done.len()), (vec!["ST-2"], 0), "ST-3 was done before the last summary");
    assert_eq!((s.sync[0].status.as_str(), s.sync[0].open_conflicts), ("conflicts", 1));
    assert!(s.sync[0].last_success.is_some());
    assert_eq!(s.decisions[0].kind, "conflict");

    store.record_post(&Post { state: "pending".into(), ..post }).unwrap();
    let s = backlog_sync::summary::summary_for(&settings, "team", week(0), None).unwrap();
    assert_eq!(s.changes.since, "2026-10-26 09:00 UTC", "an unfinished post does not count: one week back");
    assert_eq!(s.changes.done.len(), 1);
    let html = backlog_sync::summary::latest_html(&settings, week(0)).unwrap();
    assert!(html.contains("team summary, 2026-W45") && html.contains("<code>title</code>"), "{html}");
}

#[test]
fn summary_post_command_reports_each_delivery_and_exits_3_on_failure() {
    use crate::common::{run_cli, stderr, stdout};
    let (tmp, dir) = copy_tree(&sample_backlog());
    stakeholders(&dir, &[("executive", "file", "weekly"), ("team", "teams", "weekly")]);
    let config = tmp.path().join("settings.toml");
    std::fs::write(&config, format!("[backlog]\npath = {dir:?}\n")).unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec!["summary", "--post", "--now", NOW, "--config", config.to_str().unwrap()];
        a.extend(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| run_cli(&dir, &a.iter().map(String::as_str).collect::<Vec<_>>());
    let out = run(args(&[]));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("file            executive  2026-W45   posted"), "{text}");
    assert!(
        text.contains(
            "teams           team       2026-W45   skipped         set `[summary.channels.teams] webhook_url_env`"
        ),
        "{text}"
    );
    assert!(dir.join("summaries/executive-2026-W45.md").is_file());
    let out = run(args(&["--format", "json", "--audience", "executive"]));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json[0]["outcome"], "already-posted");

    stakeholders(&dir, &[("executive", "file", "every other blue moon")]);
    let out = run(args(&[]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stdout(&out).contains("cadence `every other blue moon`"), "{}", stdout(&out));
    assert!(stderr(&out).contains("1 summary post(s) failed"), "{}", stderr(&out));
}
