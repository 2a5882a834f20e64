//! A real `backlog-sync serve` process against the GitHub twin posting real signed webhooks:
//! an edit reaches the file within the debounce plus a second, a burst of 1,000 webhooks is
//! coalesced and bounded, SIGKILL mid-run converges, SIGTERM finishes the run in flight, and a
//! seconds-level cron schedule fires on time.

mod abuse;
mod both_ways;
mod burst;
mod crash;
mod dashboard_drift;
mod keys;
pub mod process;
mod readiness;
mod refused;
mod schedule;
mod webhook_edit;
