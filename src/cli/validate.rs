//! `backlog-sync validate`: settings, mappings and the backlog's structure, touching no remote.

use std::path::PathBuf;

use super::Outcome;
use crate::backlog::Backlog;
use crate::model::{Kind, SentenceSource};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,
}

pub fn run(args: &Args, config: Option<&PathBuf>) -> anyhow::Result<Outcome> {
    let settings = super::settings(config, args.path.as_ref())?;
    println!("settings: ok ({} target(s))", settings.targets.len());
    for t in &settings.targets {
        if !t.mapping.is_file() {
            anyhow::bail!(
                "target `{}`: the mapping file `{}` does not exist; point `mapping` at a file in `mappings/`",
                t.name,
                t.mapping.display()
            );
        }
    }
    let backlog = Backlog::load(&settings.backlog.path)?;
    let count = |k: Kind| backlog.items.iter().filter(|f| f.item.kind == k).count();
    println!(
        "backlog `{}`: {} epic(s), {} stor(ies), {} risk(s), {} stakeholder(s)",
        backlog.project.name,
        count(Kind::Epic),
        count(Kind::Story),
        count(Kind::Risk),
        backlog.stakeholders.len()
    );
    for f in backlog.items.iter().filter(|f| f.item.kind == Kind::Story) {
        let from = match f.item.sentence_source {
            SentenceSource::FrontMatter => continue,
            SentenceSource::Title => "its title",
            SentenceSource::Body => "the first paragraph of its body",
        };
        println!("note: `{}`: persona, activity and benefit derived from {from}", f.item.id);
    }
    for bad in backlog.invalid.iter().chain(&backlog.problems) {
        println!("invalid: {}:{}: {}", bad.path.display(), bad.line, bad.reason);
    }
    if backlog.invalid.is_empty() && backlog.problems.is_empty() {
        println!("structure: ok");
        Ok(Outcome::Ok)
    } else {
        println!(
            "structure: {} problem(s); these items are left alone until fixed",
            backlog.invalid.len() + backlog.problems.len()
        );
        Ok(Outcome::Findings)
    }
}
