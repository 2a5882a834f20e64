//! The backlog lives in git (issue 17): a bare repository as the remote, the sync's own clone,
//! the GitHub and Azure DevOps twins; real `git` processes and real `backlog-sync` processes.

mod cli;
mod crash;
mod review;
mod serve;
mod sync;
pub mod world;
