//! `backlog-sync resolve ITEM FIELD --keep file|TARGET | --value TEXT` and `resolve --list`:
//! settles a conflict the `manual` policy left open. The chosen value is written to the item's
//! file (that field's line only) and becomes what the next sync sends to every target.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Outcome;
use crate::backlog::Backlog;
use crate::mapping::FieldMap;
use crate::mapping::fields::{apply_fields, item_fields};
use crate::model::ItemId;
use crate::store::{Conflict, Store, SyncLock};

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("choice").args(["keep", "value", "list"]).required(true))]
pub struct Args {
    /// The item, e.g. `ST-14`.
    #[arg(required_unless_present = "list")]
    pub item: Option<String>,
    /// The field in conflict, e.g. `title` (as `status` and `resolve --list` name it).
    #[arg(required_unless_present = "list")]
    pub field: Option<String>,
    /// Keep the value of `file` (the backlog) or of a target (its name, e.g. `github`).
    #[arg(long, value_name = "file|TARGET")]
    pub keep: Option<String>,
    /// Use this value instead of either side's.
    #[arg(long, value_name = "TEXT")]
    pub value: Option<String>,
    /// List the open conflicts and how to settle each.
    #[arg(long)]
    pub list: bool,
    /// The backlog folder (default: `backlog.path` from the settings).
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
}

pub fn run(args: &Args, config: Option<&PathBuf>) -> anyhow::Result<Outcome> {
    let settings = super::settings(config, args.path.as_ref())?;
    let state = settings.state_path();
    if !state.exists() {
        if args.list {
            println!("open conflicts: 0 (no sync has run yet)");
            return Ok(Outcome::Ok);
        }
        anyhow::bail!(
            "no sync has run yet for this backlog (no `{}`), so there is no conflict to settle",
            state.display()
        );
    }
    let store = Store::open(&state)?;
    let open = store.open_conflicts()?;
    if args.list {
        print!("{}", render_list(&open));
        return Ok(Outcome::Ok);
    }
    let (Some(item), Some(field)) = (args.item.as_deref(), args.field.as_deref()) else {
        anyhow::bail!("name the item and the field, e.g. `backlog-sync resolve ST-14 title --keep file`");
    };
    let mine: Vec<&Conflict> = open.iter().filter(|c| c.item_id == item && c.field == field).collect();
    if mine.is_empty() {
        anyhow::bail!(
            "there is no open conflict on `{item}` `{field}`; `backlog-sync resolve --list` shows the open ones"
        );
    }
    let id: ItemId = item.parse().map_err(|e| anyhow::anyhow!("`{item}` is not an item id: {e}"))?;
    let backlog = Backlog::load(&settings.backlog.path)?;
    let file = backlog.get(&id).with_context(|| {
        format!("`{item}` has no readable file in `{}`; fix or restore it first", settings.backlog.path.display())
    })?;
    let current = item_fields(&file.item).get(field).cloned().unwrap_or_default();
    let value = choose(args, &mine, &current)?;

    // Hold the targets' locks, so a sync running now cannot interleave with the settling.
    let targets: Vec<&str> = mine.iter().map(|c| c.target.as_str()).collect();
    let _lock = SyncLock::acquire(state.parent().unwrap_or(Path::new(".")), &targets, None)?;
    if value != current {
        let changes = FieldMap::from([(field.to_string(), value.clone())]);
        let new = apply_fields(&file.item, &changes).map_err(|e| anyhow::anyhow!("{e}"))?;
        Backlog::update_item(file, &new)?;
    }
    // Each target's base becomes its value as found, so the next sync sees the file changed and
    // that target not, and sends the chosen value out instead of finding the conflict again.
    store.atomically(|s| -> anyhow::Result<()> {
        for c in &mine {
            if let Some(mut link) = s.link(&c.target, item)? {
                match &c.remote {
                    Some(v) => link.base.insert(field.to_string(), v.clone()),
                    None => link.base.remove(field),
                };
                if field == "owner" {
                    link.file_owner = Some(value.clone());
                }
                s.upsert_link(&link)?;
            }
            s.resolve_conflict(&c.target, item, field)?;
        }
        Ok(())
    })?;
    let shown =
        if value.chars().count() > 60 { format!("{}…", value.chars().take(60).collect::<String>()) } else { value };
    println!(
        "resolved {item} `{field}` = {shown:?}: written to `{}`; the next `backlog-sync sync` sends it to every target",
        file.path.display()
    );
    Ok(Outcome::Ok)
}

/// The value `--keep` or `--value` chose.
fn choose(args: &Args, mine: &[&Conflict], current: &str) -> anyhow::Result<String> {
    if let Some(v) = &args.value {
        return Ok(v.clone());
    }
    let keep = args.keep.as_deref().unwrap_or("file");
    if keep == "file" {
        return Ok(current.to_string());
    }
    match mine.iter().find(|c| c.target == keep) {
        Some(c) => Ok(c.remote.clone().unwrap_or_default()),
        None => {
            let sides: Vec<&str> = std::iter::once("file").chain(mine.iter().map(|c| c.target.as_str())).collect();
            anyhow::bail!("`{keep}` is not a side of this conflict; use `--keep` with one of {}", sides.join(", "))
        }
    }
}

fn render_list(open: &[Conflict]) -> String {
    let mut out = format!("open conflicts: {}\n", open.len());
    for c in open {
        out.push_str(&format!(
            "  {} `{}`: file {:?}, {} {:?} (base {:?})\n    backlog-sync resolve {} {} --keep file|{}  (or --value TEXT)\n",
            c.item_id,
            c.field,
            c.canonical.as_deref().unwrap_or(""),
            c.target,
            c.remote.as_deref().unwrap_or(""),
            c.base.as_deref().unwrap_or(""),
            c.item_id,
            c.field,
            c.target
        ));
    }
    out
}
