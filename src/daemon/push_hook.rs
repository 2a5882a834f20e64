//! Push webhooks of the backlog repository — GitHub `push` and the Azure Repos `git.push` service
//! hook — turned into a sync of everything: a product owner's pushed edit reaches the trackers
//! within the debounce. Pure: payload and `[backlog.git]` in, a verdict out.

use serde_json::Value;

use super::queue::WorkKey;
use super::webhooks::Verdict;
use crate::config::GitSettings;

/// A GitHub `push` delivery.
pub fn github(payload: &Value, git: Option<&GitSettings>) -> Verdict {
    let Some(git) = git else {
        return Verdict::Ignore(
            "event `push` needs `[backlog.git]`; without it the backlog is not a repository backlog-sync pulls".into(),
        );
    };
    let repo = &payload["repository"];
    let names = [&repo["full_name"], &repo["clone_url"], &repo["ssh_url"], &repo["html_url"], &repo["git_url"]];
    let names: Vec<&str> = names.iter().filter_map(|v| v.as_str()).collect();
    let branch_ref = payload["ref"].as_str().unwrap_or("");
    decide(git, &names, &[branch_ref], repo["full_name"].as_str().unwrap_or("(not named)"))
}

/// An Azure Repos `git.push` service hook delivery.
pub fn azure(payload: &Value, git: Option<&GitSettings>) -> Verdict {
    let Some(git) = git else {
        return Verdict::Ignore(
            "event `git.push` needs `[backlog.git]`; without it the backlog is not a repository backlog-sync pulls"
                .into(),
        );
    };
    let resource = &payload["resource"];
    let repo = &resource["repository"];
    let name = repo["name"].as_str().unwrap_or("");
    let with_project = repo["project"]["name"].as_str().map(|p| format!("{p}/{name}"));
    let mut names: Vec<&str> =
        [&repo["remoteUrl"], &repo["sshUrl"], &repo["webUrl"]].iter().filter_map(|v| v.as_str()).collect();
    names.push(name);
    if let Some(p) = &with_project {
        names.push(p);
    }
    let refs: Vec<&str> = resource["refUpdates"]
        .as_array()
        .map(|a| a.iter().filter_map(|u| u["name"].as_str()).collect())
        .unwrap_or_default();
    decide(git, &names, &refs, with_project.as_deref().unwrap_or(name))
}

fn decide(git: &GitSettings, names: &[&str], refs: &[&str], shown: &str) -> Verdict {
    if !names.iter().any(|n| same_repository(git, n)) {
        return Verdict::Ignore(format!(
            "repository `{shown}` is not the backlog repository (`[backlog.git] repository`)"
        ));
    }
    let wanted = format!("refs/heads/{}", git.branch);
    if !refs.contains(&wanted.as_str()) {
        return Verdict::Ignore(format!("the push does not change `{}`, the backlog's branch", git.branch));
    }
    Verdict::Enqueue(vec![(WorkKey::Everything, false)])
}

/// Whether a name or URL from a payload is the backlog repository: `[backlog.git] repository`
/// (`owner/name`, `name`, `project/name`) or `remote`, compared without scheme, user, `.git` and case.
fn same_repository(git: &GitSettings, name: &str) -> bool {
    let name = normal(name);
    if name.is_empty() {
        return false;
    }
    if let Some(r) = git.repository.as_deref().map(normal) {
        if name == r || name.ends_with(&format!("/{r}")) || name.ends_with(&format!(":{r}")) {
            return true;
        }
        // Azure Repos URLs are `…/{project}/_git/{name}`.
        if name.replace("/_git/", "/").ends_with(&format!("/{r}")) {
            return true;
        }
    }
    let remote = normal(&git.remote);
    !remote.is_empty() && (name == remote || name.replace(':', "/") == remote.replace(':', "/"))
}

fn normal(s: &str) -> String {
    let s = s.trim().to_ascii_lowercase();
    let s = s.split_once("://").map(|(_, rest)| rest.to_string()).unwrap_or(s);
    let s = match s.split_once('@') {
        Some((user, rest)) if !user.contains('/') => rest.to_string(),
        _ => s,
    };
    s.trim_end_matches('/').trim_end_matches(".git").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn git(remote: &str, repository: Option<&str>) -> GitSettings {
        toml::from_str::<GitSettings>(&format!(
            "remote = {remote:?}\n{}",
            repository.map(|r| format!("repository = {r:?}\n")).unwrap_or_default()
        ))
        .unwrap()
    }

    #[test]
    fn a_github_push_to_the_backlog_branch_syncs_everything() {
        let on = |r: &str, name: &str| json!({"ref": r, "repository": {"full_name": name, "clone_url": format!("https://github.com/{name}.git"), "ssh_url": format!("git@github.com:{name}.git")}});
        let everything = Verdict::Enqueue(vec![(WorkKey::Everything, false)]);
        let by_name = git("/srv/backlog.git", Some("Contoso/Backlog"));
        let by_url = git("https://github.com/contoso/backlog.git", None);
        let by_ssh = git("git@github.com:contoso/backlog.git", None);
        assert_eq!(github(&on("refs/heads/main", "contoso/backlog"), Some(&by_name)), everything);
        assert_eq!(github(&on("refs/heads/main", "contoso/backlog"), Some(&by_url)), everything);
        assert_eq!(github(&on("refs/heads/main", "contoso/backlog"), Some(&by_ssh)), everything);
        let other_branch = github(&on("refs/heads/feature", "contoso/backlog"), Some(&by_name));
        assert_eq!(other_branch, Verdict::Ignore("the push does not change `main`, the backlog's branch".into()));
        let other_repo = github(&on("refs/heads/main", "contoso/onboarding"), Some(&by_url));
        assert!(
            matches!(other_repo, Verdict::Ignore(r) if r.contains("`contoso/onboarding` is not the backlog repository"))
        );
        assert!(
            matches!(github(&on("refs/heads/main", "contoso/backlog"), None), Verdict::Ignore(r) if r.contains("[backlog.git]"))
        );
    }

    #[test]
    fn an_azure_repos_git_push_to_the_backlog_branch_syncs_everything() {
        let payload = |r: &str| {
            json!({"eventType": "git.push", "resource": {
                "refUpdates": [{"name": r, "oldObjectId": "aad331d8d3b131fa9ae03cf5e53965b51942618a", "newObjectId": "33b55f7cb7e7e245323987634f960cf4a6e6bc74"}],
                "repository": {"name": "Backlog", "remoteUrl": "https://contoso@dev.azure.com/contoso/Onboarding/_git/Backlog", "project": {"name": "Onboarding"}}}})
        };
        let everything = Verdict::Enqueue(vec![(WorkKey::Everything, false)]);
        assert_eq!(azure(&payload("refs/heads/main"), Some(&git("/x", Some("Onboarding/Backlog")))), everything);
        assert_eq!(azure(&payload("refs/heads/main"), Some(&git("/x", Some("backlog")))), everything);
        let by_remote = git("https://dev.azure.com/contoso/Onboarding/_git/Backlog", None);
        assert_eq!(azure(&payload("refs/heads/main"), Some(&by_remote)), everything);
        assert!(matches!(azure(&payload("refs/heads/dev"), Some(&by_remote)), Verdict::Ignore(_)));
        assert!(matches!(azure(&payload("refs/heads/main"), Some(&git("/x", Some("Other")))), Verdict::Ignore(_)));
    }
}
