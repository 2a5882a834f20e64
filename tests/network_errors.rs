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
