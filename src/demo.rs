//! The guided demo: both twins in-process, the sample backlog in a scratch folder, a first sync to
//! GitHub and Azure Boards, edits made on each remote as people would (one conflicting pair), a
//! second sync, and what moved where, how the conflict was settled and what drift remains.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::backlog::Backlog;
use crate::config::Settings;
use crate::drift::lint::lint_backlog;
use crate::drift::remote::remote_findings;
use crate::reconcile::engine::{self, RunOptions, RunReport};
use crate::reconcile::inspect::snapshot;
use crate::store::Store;
use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process};
use backlog_twins::github::{GithubTwin, GithubTwinConfig};

const TOKEN: &str = "demo-token";
const REPO: &str = "contoso/onboarding";
const PROJECT: &str = "Onboarding";

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo could not {step}: {reason}")]
    Step { step: &'static str, reason: String },
}

fn step<E: std::fmt::Display>(step: &'static str) -> impl FnOnce(E) -> DemoError {
    move |e| DemoError::Step { step, reason: e.to_string() }
}

/// Where the demo's files live and what it writes on the way.
pub struct Demo {
    pub dir: PathBuf,
    out: Box<dyn FnMut(&str) + Send>,
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            if entry.file_name() != ".backlog-sync" {
                copy_dir(&entry.path(), &target)?;
            }
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

impl Demo {
    /// A demo working in `dir`, printing each line through `out`.
    pub fn new(dir: PathBuf, out: impl FnMut(&str) + Send + 'static) -> Demo {
        Demo { dir, out: Box::new(out) }
    }

    fn say(&mut self, text: &str) {
        (self.out)(text);
    }

    /// Runs the whole story. `sample` is the backlog to copy, `mappings` the mappings folder.
    pub async fn run(&mut self, sample: &Path, mappings: &Path) -> Result<(), DemoError> {
        self.say("backlog-sync demo: one canonical backlog, GitHub Issues and Azure Boards, no account needed.\n");
        // The sample's people are the repository's collaborators, as they would be on GitHub.
        let people = crate::mapping::Identities::load(&mappings.join("identities.toml")).unwrap_or_default();
        let github = GithubTwin::start(GithubTwinConfig {
            token: TOKEN.into(),
            repositories: vec![REPO.into()],
            collaborators: people.people.iter().filter_map(|p| p.github.clone()).collect(),
            ..Default::default()
        })
        .await
        .map_err(step("start the GitHub twin"))?;
        let azure = AzureTwin::start(AzureTwinConfig {
            token: TOKEN.into(),
            organization: "contoso".into(),
            projects: vec![(PROJECT.into(), Process::Agile)],
            members: people.people.iter().filter_map(|p| p.azure.clone()).collect(),
            ..Default::default()
        })
        .await
        .map_err(step("start the Azure DevOps twin"))?;
        let backlog_dir = self.dir.join("backlog");
        copy_dir(sample, &backlog_dir).map_err(step("copy the sample backlog"))?;
        let settings_path =
            self.write_settings(&backlog_dir, &github.base_url(), &azure.organization_url(), mappings)?;
        let settings = Settings::load(Some(&settings_path)).map_err(step("load its settings"))?;
        let b = Backlog::load(&backlog_dir).map_err(step("load the sample backlog"))?;
        self.say(&format!(
            "1. Started a GitHub twin at {} and an Azure DevOps twin at {}.\n   Copied the sample backlog \"{}\" ({} items) to {}.\n",
            github.base_url(),
            azure.organization_url(),
            b.project.name,
            b.items.len(),
            backlog_dir.display()
        ));

        let first = engine::run(&settings, &RunOptions { label: Some("demo".into()), ..RunOptions::default() })
            .await
            .map_err(step("run the first sync"))?;
        self.say(&format!(
            "2. First sync: {} items created remotely ({} on GitHub, {} in Azure Boards), stories linked to their epics \
             (sub-issues on GitHub, parent links in Boards). Requests: {}.\n",
            first.counts.outbound_created,
            first.applied.iter().filter(|a| a.target.as_deref() == Some("github")).count(),
            first.applied.iter().filter(|a| a.target.as_deref() == Some("boards")).count(),
            requests(&first)
        ));

        let store = Store::open(&settings.state_path()).map_err(step("open the sync state"))?;
        let remote_id = |target: &str, id: &str| store.link(target, id).ok().flatten().map(|l| l.remote_id);
        let http = reqwest::Client::new();
        let gh = |path: String| format!("{}{path}", github.base_url());
        let az = |id: &str| format!("{}/{PROJECT}/_apis/wit/workitems/{id}?api-version=7.1", azure.organization_url());
        let issue = |id: &str| {
            remote_id("github", id)
                .ok_or_else(|| DemoError::Step { step: "find an issue", reason: format!("`{id}` is not linked") })
        };
        let item = |id: &str| {
            remote_id("boards", id)
                .ok_or_else(|| DemoError::Step { step: "find a work item", reason: format!("`{id}` is not linked") })
        };

        // People at work: a developer on GitHub, the customer's product manager in Azure Boards.
        let n2 = issue("ST-2")?;
        gh_patch(
            &http,
            gh(format!("/repos/{REPO}/issues/{n2}")),
            json!({"state": "closed", "state_reason": "completed"}),
        )
        .await?;
        let w5 = item("ST-5")?;
        az_patch(
            &http,
            az(&w5),
            json!([{"op": "replace", "path": "/fields/Microsoft.VSTS.Common.Priority", "value": 1}]),
        )
        .await?;
        let w6 = item("ST-6")?;
        az_patch(&http, az(&w6), json!([{"op": "replace", "path": "/fields/System.Title", "value": "Choose a teammate's role when inviting"}])).await?;
        let n6 = issue("ST-6")?;
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        gh_patch(&http, gh(format!("/repos/{REPO}/issues/{n6}")), json!({"title": "Pick a role while inviting"}))
            .await?;
        self.say(
            "3. People edit the remotes through their REST APIs:\n   - a developer closes ST-2's issue on GitHub;\n   \
             - the customer's product manager raises ST-5 to priority 1 in Azure Boards;\n   \
             - both retitle ST-6: first in Azure Boards, a second later on GitHub — a conflict.\n",
        );

        let second = engine::run(&settings, &RunOptions { label: Some("demo".into()), ..RunOptions::default() })
            .await
            .map_err(step("run the second sync"))?;
        let mut text = String::from("4. Second sync, in one run:\n");
        for a in &second.applied {
            let _ = writeln!(
                text,
                "   - {} {}: {}",
                a.item,
                a.target.as_deref().map(|t| format!("({t})")).unwrap_or_else(|| "(file)".into()),
                a.what
            );
        }
        for c in &second.plan.conflicts {
            let kept = match c.conflict.settled {
                crate::reconcile::Settled::Remote => format!("kept {}'s {:?}", c.target, c.conflict.remote),
                crate::reconcile::Settled::Canonical => format!("kept {:?}", c.conflict.canonical),
                crate::reconcile::Settled::Manual => "left both sides for a person to decide (see `status`)".into(),
            };
            let policy = serde_json::to_value(c.conflict.policy)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                text,
                "   conflict on {} `{}`: {} said {:?} while the file (with the other target's edit merged) said {:?}; \
                 policy `{policy}` {kept}.",
                c.id, c.conflict.field, c.target, c.conflict.remote, c.conflict.canonical
            );
        }
        let _ = writeln!(text, "   Requests: {}.", requests(&second));
        self.say(&text);

        let third = engine::run(&settings, &RunOptions { label: Some("demo".into()), ..RunOptions::default() })
            .await
            .map_err(step("run the third sync"))?;
        self.say(&format!(
            "5. A third sync finds nothing left to do ({} changes; requests: {}).\n",
            third.applied.len(),
            requests(&third)
        ));

        let b = Backlog::load(&backlog_dir).map_err(step("reload the backlog"))?;
        let people = engine::identities_of(&settings).map_err(step("load identities"))?;
        let remotes = engine::connect_all(&settings).await.map_err(step("connect"))?;
        let snap = snapshot(&b, &store, &remotes, &people).await.map_err(step("look for drift"))?;
        let mut findings = lint_backlog(&b, chrono::Local::now().date_naive());
        findings.extend(remote_findings(&snap));
        let mut by_rule: std::collections::BTreeMap<&str, usize> = Default::default();
        for f in &findings {
            *by_rule.entry(f.rule.as_str()).or_default() += 1;
        }
        let list: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
        self.say(&format!(
            "6. Drift found ({} findings): {}.\n   `backlog-sync lint {}` lists the backlog's findings with file, line and a hint;\n   \
             `backlog-sync status --config {}` shows the links and runs this demo left (the twins are gone once it ends).\n",
            findings.len(),
            list.join(", "),
            backlog_dir.display(),
            settings_path.display()
        ));
        self.say(&format!(
            "7. To use a real organization, copy {} and change: `api_url` to https://api.github.com and `repository`;\n   \
             `organization_url` to https://dev.azure.com/YOUR-ORG and `project`; point `token_env` at variables holding a\n   \
             GitHub token and an Azure DevOps PAT; then run `backlog-sync plan --config FILE` before the first `sync`.\n",
            settings_path.display()
        ));
        github.shutdown().await;
        azure.shutdown().await;
        Ok(())
    }

    fn write_settings(&self, backlog: &Path, github: &str, azure: &str, mappings: &Path) -> Result<PathBuf, DemoError> {
        let token = self.dir.join("demo-token");
        std::fs::write(&token, TOKEN).map_err(step("write the demo token"))?;
        let path = self.dir.join("backlog-sync.toml");
        let text = format!(
            "# Settings the demo wrote; the same shape works for a real organization.\n[backlog]\npath = {backlog:?}\n\n\
             [[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"{REPO}\"\napi_url = \"{github}\"\ntoken_file = {token:?}\n\
             mapping = {:?}\n\n[[targets]]\nname = \"boards\"\nkind = \"azure-boards\"\norganization_url = \"{azure}\"\n\
             project = \"{PROJECT}\"\ntoken_file = {token:?}\nmapping = {:?}\n\n[sync]\nconflict_policy = \"newest-wins\"\n",
            mappings.join("github/default.toml"),
            mappings.join("azure-boards/agile.toml"),
        );
        std::fs::write(&path, text).map_err(step("write the demo settings"))?;
        Ok(path)
    }
}

fn requests(r: &RunReport) -> String {
    r.requests.iter().map(|(t, n)| format!("{t} {n}")).collect::<Vec<_>>().join(", ")
}

async fn gh_patch(http: &reqwest::Client, url: String, body: serde_json::Value) -> Result<(), DemoError> {
    let r = http
        .patch(url)
        .header("authorization", format!("token {TOKEN}"))
        .header("user-agent", "a-developer")
        .json(&body)
        .send()
        .await
        .map_err(step("edit an issue"))?;
    r.error_for_status().map(|_| ()).map_err(step("edit an issue"))
}

async fn az_patch(http: &reqwest::Client, url: String, body: serde_json::Value) -> Result<(), DemoError> {
    let r = http
        .patch(url)
        .basic_auth("", Some(TOKEN))
        .header("content-type", "application/json-patch+json")
        .body(body.to_string())
        .send()
        .await
        .map_err(step("edit a work item"))?;
    r.error_for_status().map(|_| ()).map_err(step("edit a work item"))
}
