//! The integration suite: one test binary, one module per area.

mod common;

mod backlog_files;
mod lint_cli;
mod mapping_github;
mod twin_azure;
mod twin_github;
