//! The milestone step of a run: reads each target's milestones (GitHub) or iterations (Azure
//! Boards), plans against `backlog.toml`, imports new tracker milestones into the file, then
//! creates and updates milestones on the targets. One milestone's failure is that milestone's.

use std::path::Path;

use serde::Serialize;

use super::plan::{MilestoneAction, TargetMilestones, Wanted, plan};
use super::toml_write::append_milestones;
use crate::backlog::project::Milestone;
use crate::connector::RemoteError;
use crate::reconcile::remote::Remote;

/// What the milestone step did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MilestoneReport {
    /// Names imported into `backlog.toml`.
    pub imported: Vec<String>,
    /// `target: name` created.
    pub created: Vec<String>,
    /// `target: name` brought in step with `backlog.toml`.
    pub updated: Vec<String>,
    /// What failed, one line each; the rest went on.
    pub errors: Vec<String>,
}

impl MilestoneReport {
    /// Whether the step wrote anywhere.
    pub fn wrote(&self) -> bool {
        !(self.imported.is_empty() && self.created.is_empty() && self.updated.is_empty())
    }
}

/// One target's milestones as the plan sees them.
async fn read(remote: &Remote) -> Result<TargetMilestones, RemoteError> {
    remote.tracker().milestones().await
}

async fn create(remote: &Remote, w: &Wanted) -> Result<(), RemoteError> {
    remote.tracker().create_milestone(w).await
}

async fn update(remote: &Remote, key: &str, w: &Wanted) -> Result<(), RemoteError> {
    remote.tracker().update_milestone(key, w).await
}

/// Runs the milestone step against `remotes` for the backlog at `root` whose `backlog.toml`
/// holds `canonical`. A target that cannot be read is left out (its error reported).
pub async fn run(root: &Path, canonical: &[Milestone], remotes: &[Remote]) -> MilestoneReport {
    let mut report = MilestoneReport::default();
    let mut read_targets = Vec::new();
    for remote in remotes {
        match read(remote).await {
            Ok(t) => read_targets.push(t),
            Err(e) => report.errors.push(format!("milestones of `{}`: {e}", remote.name())),
        }
    }
    let actions = plan(canonical, &read_targets);
    let imports: Vec<Milestone> = actions
        .iter()
        .filter_map(|a| match a {
            MilestoneAction::Import { milestone, .. } => Some(milestone.clone()),
            _ => None,
        })
        .collect();
    if !imports.is_empty() {
        let path = root.join("backlog.toml");
        let written = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| append_milestones(&text, &imports).map_err(|e| e.to_string()))
            .and_then(|text| crate::backlog::write_atomic(&path, &text).map_err(|e| e.to_string()));
        match written {
            Ok(()) => report.imported = imports.iter().map(|m| m.name.clone()).collect(),
            Err(e) => {
                // Not in the file: not made elsewhere either, so nothing exists only on trackers twice.
                report.errors.push(format!("importing milestones into `{}`: {e}", path.display()));
                return report;
            }
        }
    }
    for action in &actions {
        let (target, result, done) = match action {
            MilestoneAction::Import { .. } => continue,
            MilestoneAction::Create { target, wanted } => {
                let Some(remote) = remotes.iter().find(|r| r.name() == target) else { continue };
                (target, create(remote, wanted).await, (&mut report.created, &wanted.name))
            }
            MilestoneAction::Update { target, key, wanted } => {
                let Some(remote) = remotes.iter().find(|r| r.name() == target) else { continue };
                (target, update(remote, key, wanted).await, (&mut report.updated, &wanted.name))
            }
        };
        match result {
            Ok(()) => done.0.push(format!("{target}: {}", done.1)),
            Err(e) => report.errors.push(format!("milestone `{}` on `{target}`: {e}", done.1)),
        }
    }
    if report.wrote() || !report.errors.is_empty() {
        tracing::info!(
            imported = report.imported.len(),
            created = report.created.len(),
            updated = report.updated.len(),
            errors = report.errors.len(),
            "milestones synced"
        );
    }
    report
}
