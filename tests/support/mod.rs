//! Test worlds shared by several suites.

pub mod azure_env;
pub mod github_env;
