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
        "problem-not-implementation-free",
        Info,
        "a problem statement names a solution or a technology",
        "state the problem in the customer's words: who is hurt, how, how much; leave the solution to the epics",
    ),
    r(
        "problem-without-epic",
        Warning,
        "a problem statement no epic addresses",
        "list the epics that address it in the problem's `epics`, or drop the problem",
    ),
    r(
        "epic-without-problem",
        Info,
        "an epic that serves no problem statement",
        "add the epic to the `epics` of the problem it addresses in `backlog.toml`",
    ),
    r(
        "success-criterion-not-measurable",
        Warning,
        "a success criterion with no measure, or a target with no number, threshold or date",
        "give it a `measure` (what is counted) and a `target` with a number, threshold or date",
    ),
    r(
        "success-criterion-without-epic",
        Warning,
        "a success criterion no epic works towards",
        "list the epics that move it in the criterion's `epics`",
    ),
    r(
        "dod-not-measurable",
        Warning,
        "a definition-of-done item with nothing checkable in it",
        "say what someone can check: a number, a date, an item or criterion id, or a state (resolved, signed off, live)",
    ),
    r(
        "dod-untraced",
        Info,
        "a milestone whose definition of done refers to no success criterion",
        "name the criteria it advances in the milestone's `criteria`, or refer to them (`SC1`) in its definition of done",
    ),
    r(
        "milestone-overdue",
        Warning,
        "a milestone's due date has passed and some of its epics are not done",
        "finish the open epics, or move `due` and tell the stakeholders",
    ),
    r(
        "item-past-milestone",
        Warning,
        "an open item whose milestone's due date has passed",
        "finish the item, move it to a later `milestone:`, or move the milestone's `due` and tell the stakeholders",
    ),
    r(
        "unknown-milestone",
        Warning,
        "an item on a milestone that `backlog.toml` does not have",
        "add the milestone to the `[[milestones]]` of `backlog.toml`, or fix the item's `milestone:`",
    ),
    r(
        "milestone-mismatch",
        Warning,
        "an item on different milestones on two targets",
        "move the item to one milestone on every target (the next sync carries a one-sided move)",
    ),
    r(
        "stakeholders-missing-decision-maker",
        Warning,
        "no customer stakeholder can confirm a success criterion",
        "mark who confirms it in `stakeholders.toml`: `decides = true` (every criterion) or `decides = [\"SC1\"]`",
    ),
    r(
        "stakeholder-missing-channel",
        Warning,
        "a stakeholder with no channel or no cadence",
        "give the stakeholder a `channel` and a `cadence` in `stakeholders.toml`",
    ),
    r(
        "stakeholder-summary-overdue",
        Warning,
        "a stakeholder's cadence has passed with no summary posted to them",
        "run `backlog-sync summary --post`, or schedule it in `[schedule] summary`",
    ),
    r(
        "risk-register-stale",
        Warning,
        "no open risk was reviewed within the window (`[defaults] risk_register_window_days`)",
        "review the register and record it on each risk reviewed: `reviewed: <date>`",
    ),
    r(
        "persona-alias-used",
        Info,
        "a story names a persona by one of its aliases",
        "use the persona's name, so that every story of a persona reads alike",
    ),
    r(
        "persona-unused",
        Info,
        "a persona of `backlog.toml` no story uses",
        "write the stories this persona needs, or remove the persona",
    ),
    r(
        "unknown-identity",
        Warning,
        "an owner has no entry in `mappings/identities.toml`",
        "add the person to `mappings/identities.toml` beside the settings file (create it if missing): a \
         `[[people]]` table with `canonical` as written in `owner:`, `github` (the login) and `azure` (the \
         unique name)",
    ),
    r(
        "sync-conflict",
        Error,
        "both sides changed a field differently and the policy is `manual`",
        "edit one side to agree, or run `reconcile` with a policy",
    ),
    r(
        "sync-item-refused",
        Error,
        "a remote refused an item for good (a 422, a rule error, a value the mapping cannot read); every other item syncs",
        "change the item so the remote accepts it (see the message and hint); the next run retries it",
    ),
    r(
        "sync-tag-unfit",
        Warning,
        "a tag a target cannot hold (a GitHub label over 50 characters; an Azure Boards tag over 400 characters or holding `,` or `;`) is left out there",
        "shorten or rename the tag to carry it there; the file keeps it, and sync never reads it as removed",
    ),
    r(
        "sync-body-cut",
        Info,
        "an item's text is longer than GitHub's 65,536 characters: the issue shows it cut at a section boundary, with a note pointing at the file",
        "shorten the text to show all of it on GitHub; the file keeps all of it, and sync never reads the cut as an edit",
    ),
    r(
        "sync-owner-unassignable",
        Warning,
        "an owner a target cannot assign (not a collaborator of the GitHub repository, not a member of the Azure DevOps organization); the item synced without the assignee",
        "give the person access; the next run assigns them, and the file keeps `owner:`",
    ),
    r(
        "marker-not-adopted",
        Warning,
        "a remote item carries an item's marker but was not adopted: someone else created it, or an older one carries the same marker",
        "remove the copied marker, or close the duplicate; the oldest item our identity created is the one linked",
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
