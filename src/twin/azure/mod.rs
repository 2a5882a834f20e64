//! The Azure DevOps twin: a stateful emulator of Work Item Tracking 7.1 and Wiki 7.1 (the subset
//! backlog-sync uses), served over HTTP on 127.0.0.1 with PAT/bearer auth, throttling, service
//! hooks and the `/_twin/` control API.

pub mod comments;
pub mod edit;
pub mod errors;
pub mod fields;
pub mod identity;
pub mod links;
pub mod patch;
pub mod process;
pub mod relations;
pub mod render;
pub mod rules;
pub mod store;
pub mod wiki;
pub mod wiql;
