//! GitHub Issues: a repository is a target. `connector` (REST over HTTP), `mapping` (canonical ⇄
//! issue), `adapter` (the [`crate::trackers::Tracker`] it is), `hook` (`POST /webhooks/github`).

mod adapter;
pub(crate) mod app;
pub mod connector;
pub mod hook;
pub mod mapping;
pub mod settings;
pub mod summary;

pub use adapter::GithubTracker;

/// The registry's kind name (`kind = "github"`).
pub const KIND: &str = "github";

/// The readiness probe: the repository's newest issue (see `daemon::probe`).
pub fn probe(name: &str, g: &settings::GithubSettings) -> crate::trackers::Probe {
    let repository = &g.repository;
    crate::trackers::Probe {
        url: format!("{}/repos/{repository}/issues?state=all&per_page=1", g.api_url()),
        missing: format!(
            "the repository `{repository}` does not exist or the token cannot see it; check `repository` of target `{name}`"
        ),
    }
}
