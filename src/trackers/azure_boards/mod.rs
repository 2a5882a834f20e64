//! Azure Boards: a project of an Azure DevOps organization is a target. `connector` (the Work
//! Item Tracking REST API), `mapping` (canonical ⇄ work item, rich text ⇄ Markdown), `adapter`
//! (listing and writes), `tracker` (the [`crate::trackers::Tracker`] it is), `hook`
//! (`POST /webhooks/azure-devops`).

mod adapter;
pub mod connector;
pub(crate) mod entra;
pub mod hook;
pub mod mapping;
pub mod settings;
mod tracker;
pub mod wiki;

pub use adapter::AzureBoardsTracker;

/// The registry's kind name (`kind = "azure-boards"`).
pub const KIND: &str = "azure-boards";

/// The readiness probe: the project (see `daemon::probe`).
pub fn probe(name: &str, a: &settings::AzureBoardsSettings) -> crate::trackers::Probe {
    let project = &a.project;
    crate::trackers::Probe {
        url: format!("{}/_apis/projects/{}?api-version=7.1", a.organization_url(), connector::encode_segment(project)),
        missing: format!(
            "the project `{project}` does not exist or the token cannot see it; check `project` of target `{name}`"
        ),
    }
}
