//! `backlog-sync demo`: the whole loop on the sample backlog against built-in twins.

use std::path::{Path, PathBuf};

use super::Outcome;
use crate::demo::Demo;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to put the demo's backlog copy, settings and sync state (default: a new temporary folder, kept).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The backlog to start from (default: the sample, `examples/backlog`).
    #[arg(long)]
    pub sample: Option<PathBuf>,
}

/// `name` in the current folder, or else beside the sources this binary was built from.
fn find(name: &str) -> PathBuf {
    let here = PathBuf::from(name);
    let found = if here.exists() { here } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(name) };
    std::path::absolute(&found).unwrap_or(found)
}

pub async fn run(args: &Args) -> anyhow::Result<Outcome> {
    let dir = match &args.dir {
        Some(d) => {
            if d.join("backlog").exists() {
                anyhow::bail!("`{}` already holds a demo; pass an empty or new folder to `--dir`", d.display());
            }
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => tempfile::Builder::new().prefix("backlog-sync-demo-").tempdir()?.keep(),
    };
    let sample = args.sample.clone().unwrap_or_else(|| find("examples/backlog"));
    if !sample.join("backlog.toml").exists() {
        anyhow::bail!(
            "cannot find the sample backlog at `{}`; run the demo from the project folder or pass `--sample DIR`",
            sample.display()
        );
    }
    let mappings = find("mappings");
    let mut demo = Demo::new(dir.clone(), |line| print!("{line}"));
    demo.run(&sample, &mappings).await?;
    println!("The demo's files stay in {} for you to look at.", dir.display());
    Ok(Outcome::Ok)
}
