//! Twins: stateful in-process emulators of the GitHub and Azure DevOps REST APIs,
//! served over HTTP on 127.0.0.1 for tests, benchmarks and `demo`.

pub mod azure;
pub mod control;
pub mod github;
pub mod server;
