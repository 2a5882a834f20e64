//! `backlog-sync init [DIR]`: scaffolds a backlog folder and a settings file to start from.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Outcome;
use crate::backlog::write_atomic;
use crate::config::SETTINGS_FILE;
use crate::mapping::builtin;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to create the backlog in (created if missing).
    #[arg(default_value = "backlog")]
    pub dir: PathBuf,
    /// Also write copies of the built-in mappings (GitHub, Azure Boards per process, identities)
    /// under `mappings/` beside the settings file, to adapt. On a folder that holds a backlog
    /// already, writes only the copies that are missing and touches nothing else.
    #[arg(long)]
    pub mappings: bool,
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

/// The settings file; `{path}` is the backlog folder relative to it.
const SETTINGS: &str = r#"# backlog-sync settings. Commands run in this folder read this file (or pass `--config FILE`).
# Every setting and its default: `config/default.toml` of backlog-sync. Relative paths here
# are relative to this file.
[backlog]
path = "{path}"

[sync]
# canonical-wins | remote-wins | newest-wins | manual (settle with `backlog-sync resolve`)
conflict_policy = "manual"

# Uncomment and fill in to sync with GitHub Issues (token from the GITHUB_TOKEN variable).
# Without `mapping`, the built-in GitHub mapping is used; `backlog-sync init --mappings` writes
# copies to adapt, then set `mapping = "mappings/github/default.toml"`.
# [[targets]]
# name = "github"
# kind = "github"
# repository = "owner/repo"
# api_url = "https://api.github.com"
# token_env = "GITHUB_TOKEN"            # or token_file = "/run/secrets/github-token"

# Uncomment and fill in to sync with Azure Boards (a personal access token with Work Items
# read & write, from the AZURE_DEVOPS_TOKEN variable). Without `mapping`, the built-in mapping
# for the project's process (read from the project; or set `process = "agile"`, scrum, cmmi, basic).
# [[targets]]
# name = "boards"
# kind = "azure-boards"
# organization_url = "https://dev.azure.com/your-org"
# project = "Your project"
# token_env = "AZURE_DEVOPS_TOKEN"
"#;

const GITIGNORE: &str =
    "# backlog-sync's sync state (links, runs, conflicts, locks): local to each machine.\n.backlog-sync/\n";

pub fn run(args: &Args) -> anyhow::Result<Outcome> {
    let dir = &args.dir;
    if dir.join("backlog.toml").exists() {
        if args.mappings {
            return add_mappings(dir);
        }
        anyhow::bail!(
            "`{}` already holds a backlog (`backlog.toml` exists); pick an empty folder, or run \
             `backlog-sync init --mappings {}` to add only the copies of the built-in mappings",
            dir.display(),
            dir.display()
        );
    }
    // The settings go into the backlog folder: commands run there read `./backlog-sync.toml`, and
    // `backlog-sync COMMAND DIR` from elsewhere reads `DIR/backlog-sync.toml`.
    let settings_path = dir.join(SETTINGS_FILE);
    let settings = SETTINGS.replace("{path}", ".");
    let mut files: Vec<(PathBuf, &str)> = vec![
        (dir.join("backlog.toml"), BACKLOG_TOML),
        (dir.join("stakeholders.toml"), STAKEHOLDERS_TOML),
        (dir.join("epics/EP-1.md"), EPIC),
        (dir.join("stories/ST-1.md"), STORY),
        (dir.join("risks/RK-1.md"), RISK),
        (dir.join(".gitignore"), GITIGNORE),
        (settings_path.clone(), &settings),
    ];
    let settings_dir = settings_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if args.mappings {
        files.extend(builtin::FILES.iter().map(|(name, text)| (settings_dir.join(name), *text)));
    }
    if let Some((path, _)) = files.iter().find(|(p, _)| p.exists()) {
        anyhow::bail!("`{}` exists already; init writes only files that do not exist yet", path.display());
    }
    for (path, text) in &files {
        write_atomic(path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
        println!("created {}", path.display());
    }
    let found_by = format!(
        "read by commands run in `{0}`, or by `backlog-sync COMMAND {0}` from elsewhere; or pass `--config`",
        dir.display()
    );
    println!("\nsettings: {} ({found_by})", settings_path.display());
    if args.mappings {
        println!(
            "mappings: copies in {}; point a target's `mapping` at one to use your edits",
            settings_dir.join("mappings").display()
        );
    }
    println!(
        "next: cd {}; backlog-sync lint   then add a target to {SETTINGS_FILE} and run `backlog-sync validate`",
        dir.display()
    );
    Ok(Outcome::Ok)
}

/// `init --mappings` on a folder that holds a backlog already: writes the copies of the built-in
/// mappings that are not there yet, beside its settings file, and leaves every existing file as it is.
fn add_mappings(dir: &Path) -> anyhow::Result<Outcome> {
    let mut written = 0;
    for (name, text) in builtin::FILES {
        let path = dir.join(name);
        if path.exists() {
            println!("kept    {} (exists)", path.display());
            continue;
        }
        write_atomic(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
        println!("created {}", path.display());
        written += 1;
    }
    if !dir.join(SETTINGS_FILE).exists() {
        println!(
            "\nnote: `{}` has no {SETTINGS_FILE}; `mappings/` is read beside the settings file, so move the copies there",
            dir.display()
        );
    }
    if written == 0 {
        println!("\nevery mapping copy exists already; nothing written");
    } else {
        println!(
            "\nmappings: copies in {}; point a target's `mapping` at one to use your edits",
            dir.join("mappings").display()
        );
    }
    Ok(Outcome::Ok)
}
