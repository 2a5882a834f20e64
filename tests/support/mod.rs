//! Test worlds shared by several suites.

pub mod github_env;
