//! The table of drift rules: id, default severity, what it checks and the default hint.

use super::Severity;

/// A drift rule's fixed description. Severity can be overridden in config (`[lint.severity]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub checks: &'static str,
    pub hint: &'static str,
}

const fn r(id: &'static str, severity: Severity, checks: &'static str, hint: &'static str) -> Rule {
    Rule { id, severity, checks, hint }
}

use Severity::{Error, Info, Warning};

/// Every rule backlog-sync knows, local and remote.
pub const RULES: &[Rule] = &[
    r(
        "invalid-item",
        Error,
        "a file that cannot be read as an item",
        "fix the file; until then it is left alone everywhere",
    ),
    r(
        "story-missing-persona",
        Error,
        "a story names no persona (\"As a …\")",
        "add `persona:` or start the sentence with \"As a <persona>,\"",
    ),
    r(
        "story-missing-activity",
        Error,
        "a story says nothing the persona can do (\"I can …\")",
        "add `activity:` or an \"I can …\" clause",
    ),
    r(
        "story-missing-benefit",
        Warning,
        "a story gives no reason (\"so that …\")",
        "add `benefit:` or a \"so that …\" clause",
    ),
    r(
        "unknown-persona",
        Warning,
        "a story's persona is not among the personas of `backlog.toml`",
        "use a persona or alias from `backlog.toml`, or add it there",
    ),
    r("story-without-epic", Warning, "a story belongs to no epic", "add `epic: EP-n`"),
    r(
        "epic-without-stories",
        Warning,
        "an epic has no stories",
        "add stories with `epic:` set to this epic, or close it",
    ),
    r("story-not-atomic", Info, "the activity joins two actions", "split the story into one story per action"),
    r("duplicate-story", Warning, "two stories say the same thing", "merge them or remove one"),
    r(
        "story-not-implementation-free",
        Info,
        "the activity names a technology or design choice",
        "say what the persona gets done, not how it is built",
    ),
    r("risk-missing-likelihood", Error, "a risk has no likelihood", "add `likelihood: low|medium|high|critical`"),
    r("risk-missing-severity", Error, "a risk has no severity", "add `severity: low|medium|high|critical`"),
    r("risk-missing-mitigation", Error, "a risk has no mitigation", "add `mitigation:` saying what reduces the risk"),
    r("risk-missing-owner", Warning, "a risk has no owner", "add `owner:` naming who watches it"),
    r(
        "risk-review-overdue",
        Warning,
        "a risk's `review_by` date has passed",
        "review the risk and move `review_by` forward",
    ),
    r(
        "epic-closed-with-open-stories",
        Warning,
        "an epic is done while some of its stories are not",
        "finish or move the open stories, or reopen the epic",
    ),
    r(
        "unknown-identity",
        Warning,
        "an owner has no entry in `mappings/identities.toml`",
        "add the person to `mappings/identities.toml`",
    ),
    r(
        "sync-conflict",
        Error,
        "both sides changed a field differently and the policy is `manual`",
        "edit one side to agree, or run `reconcile` with a policy",
    ),
    r(
        "remote-orphan",
        Warning,
        "a remote item looks like a backlog item but is linked to none",
        "import it with `reconcile`, or remove its type label",
    ),
    r(
        "remote-missing",
        Error,
        "a linked remote item no longer exists",
        "run `reconcile` to mark the item removed or recreate it",
    ),
    r(
        "state-mismatch",
        Warning,
        "targets disagree on an item's state",
        "run `sync`; if it persists, check the state mappings",
    ),
];

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
