//! Fuzz: any delivery body — JSON or not — gets a verdict from the GitHub and the Azure DevOps
//! webhook parsers without panicking, and a signature check over it never panics.
#![no_main]

use backlog_sync::config::{TargetKind, TargetSettings};
use backlog_sync::daemon::webhooks::github_signature_ok;
use backlog_sync::trackers::azure_boards::hook as azure_hook;
use backlog_sync::trackers::github::hook as github_hook;
use libfuzzer_sys::fuzz_target;

const EVENTS: [&str; 6] = ["issues", "issue_comment", "label", "sub_issues", "ping", "push"];

fn target(name: &str, kind: TargetKind, repository: Option<&str>, project: Option<&str>) -> TargetSettings {
    let mut toml = format!("name = \"{name}\"\nkind = \"{}\"\ntoken_env = \"TOKEN\"\nmapping = \"mapping.toml\"\n", kind.name());
    if let Some(r) = repository {
        toml += &format!("repository = \"{r}\"\n");
    }
    if let Some(p) = project {
        toml += &format!("organization_url = \"https://dev.azure.com/contoso\"\nproject = \"{p}\"\n");
    }
    toml::from_str(&toml).expect("target settings")
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let header = std::str::from_utf8(&body[..body.len().min(72)]).ok();
    let _ = github_signature_ok(b"secret", body, header);
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(body) else { return };
    let targets = [
        target("github", TargetKind::Github, Some("contoso/onboarding"), None),
        target("boards", TargetKind::AzureBoards, None, Some("Onboarding")),
    ];
    let _ = github_hook::verdict(EVENTS[pick as usize % EVENTS.len()], &payload, &targets);
    let _ = azure_hook::event_id(&payload);
    let _ = azure_hook::verdict(&payload, &targets);
});
