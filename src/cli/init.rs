//! `backlog-sync init [DIR]`: scaffolds a backlog folder and a settings file to start from.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Outcome;
use crate::backlog::write_atomic;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to create the backlog in (created if missing).
    #[arg(default_value = "backlog")]
    pub dir: PathBuf,
}

const BACKLOG_TOML: &str = r#"# The Game Plan: what this backlog is for. See `backlog-sync lint --rules` for the checks.
name = "My product"
description = "One line on what the team is building and for whom."

[[problems]]
id = "P1"
statement = "Describe the problem the work solves, in the customer's words."
epics = ["EP-1"]

[[success_criteria]]
id = "SC1"
description = "How you will know it worked."
measure = "a number you can track, e.g. weekly active users"
target = "at least 100 by the first release"   # a number, threshold or date
epics = ["EP-1"]

[[milestones]]
name = "First release"
due = 2027-03-31
definition_of_done = ["every story of EP-1 is resolved", "SC1 is met", "the customer has signed off"]
epics = ["EP-1"]
criteria = ["SC1"]   # the success criteria this milestone advances

[[personas]]
name = "product owner"
aliases = ["po", "owner"]
description = "Keeps the backlog and answers to stakeholders."
"#;

const STAKEHOLDERS_TOML: &str = r#"# Who hears about the backlog, how and how often.
[[stakeholders]]
name = "Sponsor"
role = "Executive sponsor"
audience = "executive"   # executive | team
channel = "file"         # github-comment | azure-wiki | teams | slack | file
cadence = "weekly"
decides = true           # confirms the success criteria (or a list: ["SC1"])
"#;

const EPIC: &str = "---\nid: EP-1\ntitle: First release\nstate: active\npriority: 1\n---\nWhat this epic delivers and why it matters.\n";

const STORY: &str = "---\nid: ST-1\ntitle: See the whole backlog in one place\nepic: EP-1\npersona: product owner\nactivity: see every story and risk of the product in one place\nbenefit: I can answer stakeholders without digging through two tools\nstate: new\npriority: 2\npoints: 3\n---\nFree Markdown description.\n\n## Acceptance criteria\n- [ ] epics, stories and risks are listed together\n";

const RISK: &str = "---\nid: RK-1\ntitle: Key people are unavailable during the release\nlikelihood: medium\nseverity: high\nmitigation: pair on every critical task so that two people know it\nowner: product owner\nreview_by: 2027-01-31\nstate: active\n---\nWhy this could happen and what it would cost.\n";

const SETTINGS: &str = r#"# backlog-sync settings for this backlog; every setting and its default is documented in
# config/default.toml of backlog-sync. A relative backlog.path is relative to this file.
[backlog]
path = "."

[sync]
conflict_policy = "manual"

# Uncomment and fill in to sync with GitHub (token from the GITHUB_TOKEN variable):
# [[targets]]
# name = "github"
# kind = "github"
# repository = "owner/repo"
# api_url = "https://api.github.com"
# token_env = "GITHUB_TOKEN"
# mapping = "mappings/github/default.toml"
"#;

pub fn run(args: &Args) -> anyhow::Result<Outcome> {
    let dir = &args.dir;
    if dir.join("backlog.toml").exists() {
        anyhow::bail!("`{}` already holds a backlog (`backlog.toml` exists); pick an empty folder", dir.display());
    }
    let files: [(&str, &str); 6] = [
        ("backlog.toml", BACKLOG_TOML),
        ("stakeholders.toml", STAKEHOLDERS_TOML),
        ("epics/EP-1.md", EPIC),
        ("stories/ST-1.md", STORY),
        ("risks/RK-1.md", RISK),
        ("backlog-sync.toml", SETTINGS),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if path.exists() {
            anyhow::bail!("`{}` exists already; init writes only into a folder without these files", path.display());
        }
        write_atomic(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
        println!("created {}", display(&path));
    }
    println!(
        "\nnext: backlog-sync lint {0}   then edit the files, and add a target to {0}/backlog-sync.toml",
        display(dir)
    );
    Ok(Outcome::Ok)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
