//! Errors about the network that say what to check, as real processes: an unreachable API URL
//! is named at once (no minutes of retries, no dependency's log lines), and a repository or
//! project that does not exist or the token cannot see is named with the setting to fix.

use std::path::Path;

use backlog_twins::azure::Process;

use crate::common::{sample_backlog, stderr};
use crate::support::azure_env::AzEnv;
use crate::support::github_env::GhEnv;

/// A URL on 127.0.0.1 where nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn edit(config: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(config).unwrap();
    assert!(text.contains(from), "{text}");
    std::fs::write(config, text.replace(from, to)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_api_url_is_named_with_what_to_check() {
    let gh = GhEnv::new(&sample_backlog(), "manual").await;
    let closed = closed_port_url();
    edit(&gh.config, &gh.twin.base_url(), &closed);
    let az = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    let org = az.twin.organization_url();
    let closed_org = format!("{}/contoso", closed_port_url());
    edit(&az.config, &org, &closed_org);
    for (out, setting, url) in [
        (gh.cli(&["sync"]).await, "`api_url`", closed.clone()),
        (az.cli(&["sync"]).await, "`organization_url`", closed_org),
    ] {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{err}");
        let origin = url.trim_end_matches("/contoso");
        assert!(err.contains(&format!("cannot reach `{origin}")), "the URL is named: {err}");
        assert!(err.contains(&format!("check {setting}")), "{err}");
        assert!(!err.contains("ERROR"), "no dependency's log lines: {err}");
        assert_eq!(err.lines().count(), 1, "one line says it all: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_the_token_cannot_see_is_named_with_its_setting() {
    let gh = GhEnv::new(&sample_backlog(), "manual").await;
    edit(&gh.config, "repository = \"contoso/onboarding\"", "repository = \"contoso/no-such-repo\"");
    let out = gh.cli(&["sync"]).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("the repository `contoso/no-such-repo` does not exist") && err.contains("cannot see it"),
        "{err}"
    );
    assert!(err.contains("check `repository`"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_project_the_token_cannot_see_is_named_with_its_setting() {
    let az = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    edit(&az.config, "project = \"Onboarding\"", "project = \"Offboarding\"");
    let out = az.cli(&["sync"]).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("the project `Offboarding` does not exist") && err.contains("cannot see it"), "{err}");
    assert!(err.contains("check `project`"), "{err}");
}

/// The token never shows, neither in `-vv`'s logs of every dependency nor in the error of a
/// refused request, for either tracker (both send through `src/connector/http.rs`).
#[tokio::test(flavor = "multi_thread")]
async fn tokens_never_appear_in_verbose_logs_or_refusals() {
    use base64::Engine;
    let gh = GhEnv::new(&sample_backlog(), "manual").await;
    let az = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    let basic = |token: &str| base64::engine::general_purpose::STANDARD.encode(format!(":{token}"));
    let gh_token = crate::support::github_env::TOKEN;
    let az_token = crate::support::azure_env::TOKEN;
    for (out, token, shown) in [
        (gh.cli(&["-vv", "sync"]).await, gh_token, gh_token.to_string()),
        (az.cli(&["-vv", "sync"]).await, az_token, basic(az_token)),
    ] {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains("TRACE") || err.contains("DEBUG"), "-vv logs: {err}");
        assert!(!err.contains(token) && !err.contains(&shown), "a token in the logs: {err}");
    }
    // A token the service refuses: the error names the setting, never the token.
    for (config, wrong) in [(&gh.config, "ghp_refused_by_the_twin"), (&az.config, "refused-by-the-twin-pat")] {
        std::fs::write(config.parent().unwrap().join("token"), format!("{wrong}\n")).unwrap();
    }
    for (out, wrong) in [
        (gh.cli(&["-vv", "sync"]).await, "ghp_refused_by_the_twin"),
        (az.cli(&["-vv", "sync"]).await, "refused-by-the-twin-pat"),
    ] {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains("refused") && err.contains("`token_file`"), "the setting is named: {err}");
        assert!(!err.contains(wrong) && !err.contains(&basic(wrong)), "the token in the error or logs: {err}");
    }
}

/// A target with no `mapping` reads its project's process first; a token Azure DevOps refuses
/// there (it answers 401 with the redirect suppressed, else 203 and its sign-in page) is named with
/// its setting, not reported as a body that could not be decoded.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_is_named_while_reading_the_projects_process() {
    let az = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    let text = std::fs::read_to_string(&az.config).unwrap();
    let without_mapping: String =
        text.lines().filter(|l| !l.starts_with("mapping = ")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&az.config, without_mapping).unwrap();
    let token_file = az.config.parent().unwrap().join("token");
    std::fs::write(&token_file, "not-the-token\n").unwrap();
    let out = az.cli(&["sync"]).await;
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("Azure DevOps refused") && err.contains("`token_file` of target `boards`"), "{err}");
    assert!(!err.contains("decoding") && !err.contains("not-the-token"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line says it all: {err}");
    std::fs::write(&token_file, format!("{}\n", crate::support::azure_env::TOKEN)).unwrap();
    let out = az.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "the process is read with the right token: {}", stderr(&out));
}
