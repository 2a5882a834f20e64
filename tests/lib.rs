//! The integration suite: one test binary, one module per area.

mod common;

mod backlog_files;
mod cli_twin;
mod daemon_azure_hooks;
mod daemon_dashboard;
mod daemon_router;
mod daemon_serve;
mod demo_cli;
mod drift_remote;
mod fault_campaign;
mod lint_cli;
mod mapping_azure;
mod mapping_github;
mod markdown_azure;
mod model_check;
mod properties;
mod properties_webhooks;
mod store;
mod story_data;
mod summary_browser;
mod summary_post;
mod summary_render;
mod summary_webhooks;
mod support;
mod sync_azure;
mod sync_azure_batch;
mod sync_crash;
mod sync_github;
mod sync_multi;
mod twin_azure;
mod twin_github;
