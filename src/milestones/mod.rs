//! Milestones across the trackers: the `[[milestones]]` of `backlog.toml` ⇄ GitHub milestones ⇄
//! Azure Boards iterations. `plan` (pure) decides, `sync` reads and writes the targets, and
//! `toml_write` imports a tracker's milestone into `backlog.toml` keeping the file as it is.

pub mod plan;
pub mod sync;
pub mod toml_write;

pub use plan::{MilestoneAction, TargetMilestones, TrackerMilestone, plan};
