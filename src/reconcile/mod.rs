//! Reconcile: the three-way `merge`, the pure `plan`, `apply` (the only writer), the `engine`
//! that runs them against the targets, and a read-only `inspect` for drift.

pub mod apply;
pub mod engine;
pub mod inspect;
pub mod kept;
pub mod manual;
pub mod merge;
pub mod moved;
pub mod plan;
#[cfg(test)]
mod plan_tests;
pub mod read;
pub mod refusal;
mod relink;
pub mod remote;
pub mod trust;

pub use merge::{FieldConflict, Policies, Settled};
pub use plan::{Action, CanonicalItem, LinkView, Plan, PlanInput, RemoteItem, TargetInput, plan};
