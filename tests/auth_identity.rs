//! Issue 16: syncing as a GitHub App and as an Entra ID service principal against the twins, with
//! tokens that expire (short lifetimes, the twins' token clock moved forward) and are renewed; the
//! bot's authorship; clear errors for bad identity settings; no token or key in any output.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use backlog_sync::auth::{Clock, TokenSource};
use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::{self, RunOptions};
use backlog_twins::azure::Process;
use serde_json::{Value, json};

use crate::common::{root, sample_backlog, stderr, stdout};
use crate::support::azure_env::AzEnv;
use crate::support::github_env::GhEnv;

pub const APP_ID: u64 = 4242;
pub const SLUG: &str = "backlog-sync-test";

pub fn fixture(name: &str) -> std::path::PathBuf {
    root().join("tests/fixtures/auth").join(name)
}

/// Registers the test app on the twin (installed on `repositories`, or all) with `ttl` seconds tokens.
pub async fn register_app(env: &GhEnv, ttl: u64, repositories: Option<Vec<&str>>) {
    let mut body = json!({
        "app_id": APP_ID, "slug": SLUG, "token_ttl_s": ttl,
        "public_key_pem": std::fs::read_to_string(fixture("app-key.pub.pem")).unwrap(),
    });
    if let Some(r) = repositories {
        body["repositories"] = json!(r);
    }
    let r = env.http.post(env.url("/_twin/apps")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
}

/// Rewrites the GitHub settings to sign in as app `app_id` with `key`.
pub fn use_app(env: &GhEnv, app_id: u64, key: &Path) {
    let text = std::fs::read_to_string(&env.config).unwrap();
    let mut lines: Vec<String> = Vec::new();
    for l in text.lines() {
        if l.starts_with("token_file") || l.starts_with("app_id") {
            lines.push(format!("app_id = {app_id}\napp_key_file = {key:?}"));
        } else if !l.starts_with("app_key_file") {
            lines.push(l.to_string());
        }
    }
    std::fs::write(&env.config, lines.join("\n") + "\n").unwrap();
}

async fn twin_json(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

pub async fn advance(http: &reqwest::Client, base: &str, seconds: u64) {
    let r = http.post(format!("{base}/_twin/clock")).json(&json!({"advance_s": seconds})).send().await.unwrap();
    assert!(r.status().is_success());
}

fn cli_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_backlog-sync"));
    c.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run backlog-sync")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_github_app_syncs_as_its_bot_across_token_lifetimes_without_a_failed_run() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    register_app(&env, 3, None).await;
    use_app(&env, APP_ID, &fixture("app-key.pem"));

    // The real binary: the first sync creates everything as the app.
    let out = env.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let st1 = env.issue_of("ST-1").await;
    assert_eq!(st1["user"]["login"], format!("{SLUG}[bot]"), "created through the app, authored by its bot");

    // The daemon's way: remotes connected once, runs repeated across several token lifetimes.
    let settings: Settings = env.settings();
    let remotes = engine::connect_all(&settings).await.unwrap();
    for round in 0..4 {
        let text = env.read("stories/ST-2.md");
        env.write("stories/ST-2.md", &format!("{text}\nNoted in round {round}.\n"));
        let report = engine::run_with(&settings, &remotes, &RunOptions::default()).await;
        let report = report.unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(report.errors.is_empty(), "round {round}: {:?}", report.errors);
        assert_eq!(report.counts.outbound_updated, 1, "round {round}: {:?}", report.applied);
        advance(&env.http, &env.twin.base_url(), 4).await;
    }
    let apps = twin_json(&env.http, env.url("/_twin/apps")).await;
    assert!(apps["tokens_issued"].as_u64().unwrap() >= 4, "a new token per lifetime: {apps}");
    assert!(apps["expired_refusals"].as_u64().unwrap() >= 1, "an expired token was refused and renewed: {apps}");
    // Every CLI run again as the app: no 401 reaches the user.
    for _ in 0..2 {
        advance(&env.http, &env.twin.base_url(), 4).await;
        let out = env.cli(&["sync"]).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sync_knows_its_own_login_and_renews_before_expiry() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    register_app(&env, 60, None).await;
    use_app(&env, APP_ID, &fixture("app-key.pem"));
    let settings = env.settings();
    // The product's clock, moved by the test: no sleeping through a token's lifetime.
    let clock = Clock::movable();
    let source = TokenSource::from_settings_on(&settings.targets[0], clock.clone()).unwrap();
    assert_eq!(source.login(), None, "known once GitHub has been asked");
    let first = source.credential().await.unwrap();
    assert_eq!(source.login().as_deref(), Some("backlog-sync-test[bot]"));
    // A 60-second token (59 s on GitHub's clock, less the second both are cut to) is renewed a
    // fifth of its lifetime before its end: reused at 40 s, renewed unasked at 50 s.
    clock.advance(Duration::from_secs(40));
    let again = source.credential().await.unwrap();
    assert_eq!(first, again, "a fresh token is reused");
    assert_eq!(source.obtained(), 1);
    clock.advance(Duration::from_secs(10));
    let renewed = source.credential().await.unwrap();
    assert_ne!(first, renewed, "renewed before it expired");
    assert_eq!(source.obtained(), 2);
    let apps = twin_json(&env.http, env.url("/_twin/apps")).await;
    assert_eq!(apps["expired_refusals"], 0, "{apps}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_key_a_wrong_app_id_or_an_app_not_installed_names_the_setting_and_writes_nothing() {
    type Case<'a> = (&'a str, u64, &'a str, Option<Vec<&'a str>>, &'a [&'a str]);
    let cases: [Case; 4] = [
        ("bad key", APP_ID, "other-key.pem", None, &["`app_key_file`", "`app_id`"]),
        ("wrong app id", 999, "app-key.pem", None, &["`app_id`"]),
        ("not installed", APP_ID, "app-key.pem", Some(vec!["contoso/elsewhere"]), &["not installed", "`repository`"]),
        ("not a key", APP_ID, "entra-cert.pem", None, &["`app_key_file`", "no PEM private key"]),
    ];
    for (what, app_id, key, repositories, want) in cases {
        let env = GhEnv::new(&sample_backlog(), "manual").await;
        register_app(&env, 60, repositories).await;
        use_app(&env, app_id, &fixture(key));
        let before = env.read("stories/ST-1.md");
        let out = env.cli(&["sync"]).await;
        let err = stderr(&out);
        assert_ne!(out.status.code(), Some(0), "{what}");
        for w in want {
            assert!(err.contains(w), "{what}: `{w}` missing from: {err}");
        }
        assert!(!err.contains("MII") && !err.contains("ghs_"), "{what}: no key or token in {err}");
        assert_eq!(env.writes().await, 0, "{what}: nothing written to GitHub");
        assert_eq!(env.read("stories/ST-1.md"), before, "{what}: nothing written to the backlog");
        assert!(env.issues().await.is_empty(), "{what}");
    }
}

/// Azure settings signing in as an Entra ID service principal at the twin.
fn use_entra(env: &AzEnv, secret_env: &str) {
    let text = std::fs::read_to_string(&env.config).unwrap();
    let line = text.lines().find(|l| l.starts_with("token_file")).unwrap().to_string();
    let base = env.twin.base_url();
    let text = text.replace(
        &line,
        &format!("tenant_id = \"contoso-tenant\"\nclient_id = \"11111111-2222-3333-4444-555555555555\"\nclient_secret_env = \"{secret_env}\"\nauthority_url = \"{base}\""),
    );
    std::fs::write(&env.config, text).unwrap();
}

async fn register_principal(env: &AzEnv, ttl: u64) {
    let body = json!({"tenant_id": "contoso-tenant", "client_id": "11111111-2222-3333-4444-555555555555",
        "client_secret": "the-right-secret", "token_ttl_s": ttl});
    let r = env.http.post(format!("{}/_twin/entra", env.twin.base_url())).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_entra_service_principal_syncs_across_token_lifetimes_and_a_wrong_secret_names_the_setting() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    register_principal(&env, 3).await;
    use_entra(&env, "TEST_ENTRA_SECRET");
    let config = env.config.to_string_lossy().to_string();

    let before = env.read("stories/ST-1.md");
    let out = cli_with_env(&env.dir, &["sync", "--config", &config], &[("TEST_ENTRA_SECRET", "a-wrong-secret")]);
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains("AADSTS7000215") && err.contains("`client_secret_env`"), "{err}");
    assert!(!err.contains("a-wrong-secret"), "{err}");
    assert_eq!(env.writes().await, 0, "nothing written to Azure DevOps");
    assert_eq!(env.read("stories/ST-1.md"), before);

    let out = cli_with_env(&env.dir, &["sync", "--config", &config], &[("TEST_ENTRA_SECRET", "the-right-secret")]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(env.writes().await > 0);
    for _ in 0..2 {
        let r = env.http.post(format!("{}/_twin/clock", env.twin.base_url())).json(&json!({"advance_s": 4}));
        r.send().await.unwrap();
        let out =
            cli_with_env(&env.dir, &["reconcile", "--config", &config], &[("TEST_ENTRA_SECRET", "the-right-secret")]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let entra = twin_json(&env.http, format!("{}/_twin/entra", env.twin.base_url())).await;
    assert!(entra["tokens_issued"].as_u64().unwrap() >= 3, "{entra}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_and_keys_never_appear_in_logs_errors_or_the_state_file() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    register_app(&env, 2, None).await;
    use_app(&env, APP_ID, &fixture("app-key.pem"));
    let config = env.config.to_string_lossy().to_string();
    let mut seen = String::new();
    for args in [vec!["-vv", "sync"], vec!["-vv", "status"], vec!["-vv", "drift"]] {
        advance(&env.http, &env.twin.base_url(), 3).await;
        let mut all = args.clone();
        all.extend(["--config", &config]);
        let out = cli_with_env(&env.dir, &all, &[]);
        seen.push_str(&stdout(&out));
        seen.push_str(&stderr(&out));
    }
    // A revoked key: the error is read too.
    use_app(&env, APP_ID, &fixture("other-key.pem"));
    let out = cli_with_env(&env.dir, &["-vv", "sync", "--config", &config], &[]);
    seen.push_str(&stderr(&out));
    let state = std::fs::read(env.dir.join(".backlog-sync/state.db")).unwrap();
    let state = String::from_utf8_lossy(&state);
    let key = std::fs::read_to_string(fixture("app-key.pem")).unwrap();
    let key_line = key.lines().nth(5).unwrap();
    for (name, text) in [("output", seen.as_str()), ("state file", &state)] {
        assert!(!text.contains("ghs_"), "an installation token in the {name}");
        assert!(!text.contains(key_line) && !text.contains("PRIVATE KEY"), "the key in the {name}");
        assert!(!text.contains("eyJ"), "a JWT in the {name}");
    }
    let apps = twin_json(&env.http, env.url("/_twin/apps")).await;
    assert!(apps["tokens_issued"].as_u64().unwrap() >= 2, "tokens were used: {apps}");
}
