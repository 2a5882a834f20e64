//! The health parts of a summary: drift counts by rule with the worst items, and sync health per
//! target (last success, failures since, open conflicts). Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{id_cmp, stamp};
use crate::drift::{Finding, Severity};
use crate::store::{Conflict, Run, RunOutcome};

/// How many examples each rule shows, and how many worst items are listed.
const EXAMPLES_PER_RULE: usize = 3;
const WORST_ITEMS: usize = 5;

/// One finding, short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingLine {
    pub item: Option<String>,
    pub message: String,
}

/// The findings of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub severity: Severity,
    pub count: usize,
    /// The first few findings, by item.
    pub examples: Vec<FindingLine>,
}

/// An item with many or serious findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemCount {
    pub item: String,
    pub title: Option<String>,
    pub errors: usize,
    pub warnings: usize,
    pub total: usize,
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DriftSummary {
    pub total: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Errors first, then by count (most first), then rule id.
    pub by_rule: Vec<RuleCount>,
    /// Items with the most errors, then warnings, then findings.
    pub worst_items: Vec<ItemCount>,
}

/// Counts findings by rule and by item.
pub fn drift_summary(findings: &[Finding], titles: &BTreeMap<String, String>) -> DriftSummary {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let mut rules: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    let mut items: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        rules.entry(&f.rule).or_default().push(f);
        if let Some(item) = &f.item {
            items.entry(item).or_default().push(f);
        }
    }
    let mut by_rule: Vec<RuleCount> = rules
        .into_iter()
        .map(|(rule, mut fs)| {
            fs.sort_by(|a, b| {
                a.severity
                    .cmp(&b.severity)
                    .then_with(|| id_cmp(a.item.as_deref().unwrap_or(""), b.item.as_deref().unwrap_or("")))
            });
            RuleCount {
                rule: rule.to_string(),
                severity: fs.iter().map(|f| f.severity).min().unwrap_or(Severity::Info),
                count: fs.len(),
                examples: fs
                    .iter()
                    .take(EXAMPLES_PER_RULE)
                    .map(|f| FindingLine { item: f.item.clone(), message: f.message.clone() })
                    .collect(),
            }
        })
        .collect();
    by_rule.sort_by(|a, b| a.severity.cmp(&b.severity).then(b.count.cmp(&a.count)).then(a.rule.cmp(&b.rule)));
    let mut worst_items: Vec<ItemCount> = items
        .into_iter()
        .map(|(item, fs)| {
            let mut rules: Vec<String> = fs.iter().map(|f| f.rule.clone()).collect();
            rules.sort();
            rules.dedup();
            ItemCount {
                item: item.to_string(),
                title: titles.get(item).cloned(),
                errors: fs.iter().filter(|f| f.severity == Severity::Error).count(),
                warnings: fs.iter().filter(|f| f.severity == Severity::Warning).count(),
                total: fs.len(),
                rules,
            }
        })
        .collect();
    worst_items.sort_by(|a, b| {
        (b.errors, b.warnings, b.total).cmp(&(a.errors, a.warnings, a.total)).then_with(|| id_cmp(&a.item, &b.item))
    });
    worst_items.truncate(WORST_ITEMS);
    DriftSummary {
        total: findings.len(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        by_rule,
        worst_items,
    }
}

/// How syncing with one target goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetHealth {
    pub target: String,
    pub last_success: Option<String>,
    /// The outcome of the newest run that covered the target.
    pub last_outcome: Option<String>,
    /// Failed runs since the last success.
    pub failures: u32,
    pub open_conflicts: usize,
    /// `ok`, `failing`, `conflicts` or `never-synced`.
    pub status: String,
}

fn covers(run: &Run, target: &str) -> bool {
    run.targets.as_ref().is_none_or(|ts| ts.iter().any(|t| t == target))
}

/// Health per target, in the order of the settings. `runs` are newest first.
pub fn target_health(targets: &[(String, Option<Run>)], runs: &[Run], conflicts: &[Conflict]) -> Vec<TargetHealth> {
    targets
        .iter()
        .map(|(name, last_success)| {
            let after = last_success.as_ref().map_or(i64::MIN, |r| r.id);
            let failures =
                runs.iter().filter(|r| r.id > after && covers(r, name) && r.outcome == RunOutcome::Failed).count()
                    as u32;
            let open_conflicts = conflicts.iter().filter(|c| &c.target == name).count();
            let last_outcome = runs
                .iter()
                .find(|r| covers(r, name) && r.outcome != RunOutcome::Running)
                .map(|r| r.outcome.as_str().to_string());
            let status = if last_success.is_none() && failures == 0 {
                "never-synced"
            } else if failures > 0 {
                "failing"
            } else if open_conflicts > 0 {
                "conflicts"
            } else {
                "ok"
            };
            TargetHealth {
                target: name.clone(),
                last_success: last_success.as_ref().map(|r| stamp(r.finished_at.unwrap_or(r.started_at))),
                last_outcome,
                failures,
                open_conflicts,
                status: status.to_string(),
            }
        })
        .collect()
}
