//! `backlog-sync validate`: settings, mappings and the backlog's structure, touching no remote.

use std::path::PathBuf;

use std::collections::BTreeSet;

use super::Outcome;
use crate::backlog::Backlog;
use crate::model::{Kind, SentenceSource};
use crate::reconcile::engine;
use crate::summary::channels::Channel;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,
}

pub async fn run(args: &Args, config: Option<&PathBuf>) -> anyhow::Result<Outcome> {
    let settings = super::settings(config, args.path.as_ref())?;
    match &settings.source {
        Some(f) => println!("settings: ok ({} target(s), from `{}`)", settings.targets.len(), f.display()),
        None => println!("settings: ok ({} target(s), built-in defaults; no settings file)", settings.targets.len()),
    }
    // Connecting reads the token, the mapping and identities.toml and checks the URLs; it sends
    // nothing.
    let mut unusable = 0;
    for t in &settings.targets {
        if let Some(m) = t.mapping.as_ref().filter(|m| !m.is_file()) {
            unusable += 1;
            println!(
                "target `{}`: the mapping file `{}` does not exist; point `mapping` at a file (`backlog-sync init --mappings` writes copies) or remove it to use the built-in one",
                t.name,
                m.display()
            );
            continue;
        }
        let (process, mapping) = crate::trackers::mapping_to_check(t);
        match engine::connect_in(t, settings.source.as_deref(), process) {
            Ok(_) => println!("target `{}`: ok (token, {mapping}, identities)", t.name),
            Err(e) => {
                unusable += 1;
                println!("{e}");
            }
        }
    }
    if unusable > 0 {
        anyhow::bail!("{unusable} target(s) cannot be used; fix the settings named above");
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
        println!("note: `{}`: {from}", f.item.id, from = f.derived_note(from));
    }
    let channels: BTreeSet<&str> = backlog.stakeholders.iter().map(|s| s.channel.as_str()).collect();
    let mut silent = 0;
    for name in channels {
        match Channel::from_settings(name, &settings) {
            Ok(_) => println!("summary channel `{name}`: ok"),
            Err(reason) => {
                silent += 1;
                println!("warning: summary channel `{name}`: {reason}");
            }
        }
    }
    for bad in backlog.invalid.iter().chain(&backlog.problems) {
        println!("invalid: {}:{}: {}", bad.path.display(), bad.line, bad.reason);
    }
    if backlog.invalid.is_empty() && backlog.problems.is_empty() {
        println!("structure: ok");
    } else {
        println!(
            "structure: {} problem(s); these items are left alone until fixed",
            backlog.invalid.len() + backlog.problems.len()
        );
    }
    if silent > 0 {
        println!("summaries: {silent} channel(s) cannot post; `summary --post` skips their stakeholders until fixed");
    }
    let clean = backlog.invalid.is_empty() && backlog.problems.is_empty();
    Ok(if clean { Outcome::Ok } else { Outcome::Findings })
}
