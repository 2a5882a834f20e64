//! Reconcile: the three-way `merge`, the pure `plan`, and `apply`, the only writer.

pub mod merge;
pub mod plan;
#[cfg(test)]
mod plan_tests;

pub use merge::{FieldConflict, Policies, Settled};
pub use plan::{Action, CanonicalItem, LinkView, Plan, PlanInput, RemoteItem, TargetInput, plan};
