//! backlog-sync: one canonical Markdown backlog kept in two-way sync with Azure Boards and GitHub Issues.
//!
//! Layers (see DESIGN.md): `model` (types, no I/O) → `backlog` (the folder) → `drift` (pure rules)
//! and the sync engine. The twins (emulated remote APIs for tests, benchmarks and `demo`) are
//! the workspace crate `backlog_twins` in `crates/twins`.

pub mod auth;
pub mod backlog;
pub mod backlog_git;
pub mod cli;
pub mod clock;
pub mod comments;
pub mod config;
pub mod connector;
pub mod daemon;
pub mod demo;
pub mod drift;
pub mod mapping;
pub mod milestones;
pub mod model;
pub mod reconcile;
pub mod store;
pub mod summary;
pub mod trackers;
