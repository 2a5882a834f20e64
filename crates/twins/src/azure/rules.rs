//! The rules the service applies to a draft before it is saved: fields must belong to the type,
//! the title is required, a new item starts in its type's first state, a state must be one of the
//! type's, a move into a state records its reason and dates, paths stay inside the project, and a
//! new item gets its defaults.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::draft::Draft;
use super::errors::AzureError;
use super::fields::{CORE_FIELDS, format_date};
use super::process::{Process, StateDef, WorkItemTypeDef};
use super::store::Snapshot;

/// What the rules need to know about the write.
pub struct RuleContext<'a> {
    /// The process of the project the item ends up in.
    pub process: Process,
    /// That project's name.
    pub project: &'a str,
    /// The write time.
    pub now: DateTime<Utc>,
    /// The writer's identity ref.
    pub actor: &'a Value,
    /// `?bypassRules=true`.
    pub bypass_rules: bool,
    /// The project's iterations: whether a path below its root exists.
    pub iterations: &'a super::iterations::Iterations,
}

/// Whether the type carries this field (a reference name).
pub fn on_type(ty: &WorkItemTypeDef, field: &str) -> bool {
    CORE_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(field)) || ty.has_extra_field(field)
}

fn rule(field: &str, reference: &str, flags: &str, detail: String) -> AzureError {
    AzureError::RuleViolation { field: field.into(), reference: reference.into(), flags: flags.into(), detail }
}

fn invalid_state(value: &str) -> AzureError {
    rule(
        "State",
        "System.State",
        "Required, HasValues, LimitedToValues, AllowsOldValue, InvalidListValue",
        format!("The field 'State' contains the value '{value}' that is not in the list of supported values"),
    )
}

fn set(snapshot: &mut Snapshot, field: &str, value: Value) {
    snapshot.fields.insert(field.to_string(), value);
}

/// Applies the rules to `draft`; `previous` is the saved state (`None` for a new item).
/// Answers the item's (possibly new) type.
pub fn settle(
    draft: &mut Draft,
    previous: Option<&Snapshot>,
    ctx: &RuleContext<'_>,
) -> Result<&'static WorkItemTypeDef, AzureError> {
    let type_name = draft.snapshot.text("System.WorkItemType");
    let ty = ctx
        .process
        .find_type(&type_name)
        .ok_or_else(|| AzureError::WorkItemTypeNotFound { name: type_name.clone() })?;
    set(&mut draft.snapshot, "System.WorkItemType", json!(ty.name));
    if let Some(missing) = draft.written.iter().find(|f| !on_type(ty, f)) {
        return Err(AzureError::FieldNotFound { name: missing.clone() });
    }
    draft.snapshot.fields.retain(|key, _| on_type(ty, key));

    paths(draft, previous.is_none(), ctx)?;
    if draft.snapshot.text("System.Title").trim().is_empty() {
        return Err(rule(
            "Title",
            "System.Title",
            "Required, InvalidEmpty",
            "The field 'Title' cannot be empty.".into(),
        ));
    }

    let state = choose_state(draft, previous, ty, ctx)?;
    set(&mut draft.snapshot, "System.State", json!(state.name));
    let previous_state = previous.map(|p| p.text("System.State"));
    let moved = previous_state.as_deref() != Some(state.name);
    if moved && !draft.written.contains("System.Reason") {
        set(&mut draft.snapshot, "System.Reason", json!(state.reason));
    }
    if draft.snapshot.text("System.Reason").is_empty() {
        set(&mut draft.snapshot, "System.Reason", json!(state.reason));
    }
    if moved {
        let at = json!(format_date(ctx.now));
        if !draft.written.contains("Microsoft.VSTS.Common.StateChangeDate") {
            set(&mut draft.snapshot, "Microsoft.VSTS.Common.StateChangeDate", at.clone());
        }
        stamp_category_dates(draft, ty, state, at);
    }
    if previous.is_none() {
        defaults(draft, ty, ctx);
    }
    Ok(ty)
}

fn choose_state(
    draft: &Draft,
    previous: Option<&Snapshot>,
    ty: &WorkItemTypeDef,
    ctx: &RuleContext<'_>,
) -> Result<&'static StateDef, AzureError> {
    let wanted = draft.snapshot.text("System.State");
    let written = draft.written.contains("System.State");
    match previous {
        None => {
            if !written || wanted.is_empty() {
                return Ok(ty.initial_state());
            }
            let state = ty.find_state(&wanted).ok_or_else(|| invalid_state(&wanted))?;
            if state.name != ty.initial_state().name && !ctx.bypass_rules {
                return Err(invalid_state(&wanted));
            }
            Ok(state)
        }
        Some(_) if written => {
            if wanted.trim().is_empty() {
                return Err(rule(
                    "State",
                    "System.State",
                    "Required, InvalidEmpty",
                    "The field 'State' cannot be empty.".into(),
                ));
            }
            ty.find_state(&wanted).ok_or_else(|| invalid_state(&wanted))
        }
        Some(_) => Ok(ty.find_state(&wanted).unwrap_or_else(|| ty.initial_state())),
    }
}

fn paths(draft: &mut Draft, is_new: bool, ctx: &RuleContext<'_>) -> Result<(), AzureError> {
    set(&mut draft.snapshot, "System.TeamProject", json!(ctx.project));
    for field in ["System.AreaPath", "System.IterationPath"] {
        let path = draft.snapshot.text(field);
        if path.is_empty() {
            set(&mut draft.snapshot, field, json!(ctx.project));
            continue;
        }
        let root = path.split('\\').next().unwrap_or_default();
        if !root.eq_ignore_ascii_case(ctx.project) || path.ends_with('\\') {
            let id = if is_new { -1 } else { draft.id };
            return Err(AzureError::InvalidTreeName { id, field: field.to_string() });
        }
        // An iteration path must name an iteration of the project (bypassRules or not).
        if field == "System.IterationPath" && !ctx.iterations.exists(ctx.project, &path[root.len()..]) {
            let id = if is_new { -1 } else { draft.id };
            return Err(AzureError::InvalidTreeName { id, field: field.to_string() });
        }
        let canonical = format!("{}{}", ctx.project, &path[root.len()..]);
        set(&mut draft.snapshot, field, json!(canonical));
    }
    Ok(())
}

fn stamp_category_dates(draft: &mut Draft, ty: &WorkItemTypeDef, state: &StateDef, at: Value) {
    const ACTIVATED: &str = "Microsoft.VSTS.Common.ActivatedDate";
    const RESOLVED: &str = "Microsoft.VSTS.Common.ResolvedDate";
    const CLOSED: &str = "Microsoft.VSTS.Common.ClosedDate";
    let (stamp, clear): (Option<&str>, &[&str]) = match state.category {
        "Proposed" => (None, &[ACTIVATED, RESOLVED, CLOSED]),
        "InProgress" => (Some(ACTIVATED), &[RESOLVED, CLOSED]),
        "Resolved" => (Some(RESOLVED), &[CLOSED]),
        "Completed" => (Some(CLOSED), &[]),
        _ => (None, &[]),
    };
    for field in clear {
        if !draft.written.contains(*field) {
            draft.snapshot.fields.remove(*field);
        }
    }
    if let Some(field) = stamp.filter(|f| ty.has_extra_field(f) && !draft.written.contains(*f)) {
        set(&mut draft.snapshot, field, at);
    }
}

fn defaults(draft: &mut Draft, ty: &WorkItemTypeDef, ctx: &RuleContext<'_>) {
    let snapshot = &mut draft.snapshot;
    let mut default = |field: &str, value: Value| {
        if on_type(ty, field) && !snapshot.fields.contains_key(field) {
            snapshot.fields.insert(field.to_string(), value);
        }
    };
    default("Microsoft.VSTS.Common.Priority", json!(2));
    default("Microsoft.VSTS.Common.ValueArea", json!("Business"));
    default("Microsoft.VSTS.Common.Severity", json!("3 - Medium"));
    default("System.CreatedDate", json!(format_date(ctx.now)));
    default("System.CreatedBy", ctx.actor.clone());
    default("System.CommentCount", json!(0));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn draft(pairs: &[(&str, &str)]) -> Draft {
        let mut snapshot = Snapshot::default();
        let mut written = BTreeSet::new();
        for (k, v) in pairs {
            snapshot.fields.insert(k.to_string(), json!(v));
            if *k != "System.WorkItemType" {
                written.insert(k.to_string());
            }
        }
        Draft { id: 5, snapshot, written }
    }

    fn ctx(process: Process, bypass_rules: bool) -> (Value, Process, bool) {
        (json!({"displayName": "A"}), process, bypass_rules)
    }

    fn settle_with(
        d: &mut Draft,
        previous: Option<&Snapshot>,
        process: Process,
        bypass: bool,
    ) -> Result<String, AzureError> {
        let (actor, process, bypass_rules) = ctx(process, bypass);
        let iterations = super::super::iterations::Iterations::default();
        let c = RuleContext {
            process,
            project: "Onboarding",
            now: Utc::now(),
            actor: &actor,
            bypass_rules,
            iterations: &iterations,
        };
        settle(d, previous, &c).map(|_| d.snapshot.text("System.State"))
    }

    #[test]
    fn new_items_start_in_the_first_state() {
        let cases = [
            (Process::Agile, "User Story", None, Ok("New")),
            (Process::Scrum, "Task", None, Ok("To Do")),
            (Process::Basic, "Issue", Some("to do"), Ok("To Do")),
            (Process::Agile, "User Story", Some("Active"), Err(())),
            (Process::Cmmi, "Risk", Some("Open"), Err(())),
        ];
        for (process, ty, state, want) in cases {
            let mut pairs = vec![("System.WorkItemType", ty), ("System.Title", "T")];
            if let Some(s) = state {
                pairs.push(("System.State", s));
            }
            let got = settle_with(&mut draft(&pairs), None, process, false);
            assert_eq!(got.map_err(|_| ()), want.map(String::from), "{process:?} {ty} {state:?}");
        }
        let mut d = draft(&[("System.WorkItemType", "User Story"), ("System.Title", "T"), ("System.State", "Closed")]);
        assert_eq!(settle_with(&mut d, None, Process::Agile, true).unwrap(), "Closed");
    }

    #[test]
    fn a_move_records_reason_and_dates_and_invalid_states_are_refused() {
        let mut first = draft(&[("System.WorkItemType", "User Story"), ("System.Title", "T")]);
        settle_with(&mut first, None, Process::Agile, false).unwrap();
        assert_eq!(first.snapshot.text("System.Reason"), "New");
        assert_eq!(first.snapshot.fields["Microsoft.VSTS.Common.Priority"], json!(2));
        let saved = first.snapshot.clone();
        let mut next = Draft { id: 5, snapshot: saved.clone(), written: ["System.State".to_string()].into() };
        next.snapshot.fields.insert("System.State".into(), json!("resolved"));
        assert_eq!(settle_with(&mut next, Some(&saved), Process::Agile, false).unwrap(), "Resolved");
        assert_eq!(next.snapshot.text("System.Reason"), "Code complete and unit tests pass");
        assert!(next.snapshot.fields.contains_key("Microsoft.VSTS.Common.ResolvedDate"));
        let mut bad = Draft { id: 5, snapshot: saved.clone(), written: ["System.State".to_string()].into() };
        bad.snapshot.fields.insert("System.State".into(), json!("Doing"));
        let err = settle_with(&mut bad, Some(&saved), Process::Agile, false).unwrap_err();
        assert!(err.to_string().starts_with("TF401320: Rule Error for field State."));
    }

    #[test]
    fn fields_must_belong_to_the_type_and_paths_to_the_project() {
        let mut d = draft(&[
            ("System.WorkItemType", "Product Backlog Item"),
            ("System.Title", "T"),
            ("Microsoft.VSTS.Scheduling.StoryPoints", "3"),
        ]);
        assert!(matches!(settle_with(&mut d, None, Process::Scrum, false), Err(AzureError::FieldNotFound { .. })));
        let mut d =
            draft(&[("System.WorkItemType", "Epic"), ("System.Title", "T"), ("System.AreaPath", "Other\\Team")]);
        assert!(matches!(
            settle_with(&mut d, None, Process::Basic, false),
            Err(AzureError::InvalidTreeName { id: -1, .. })
        ));
        let mut d =
            draft(&[("System.WorkItemType", "Epic"), ("System.Title", "T"), ("System.AreaPath", "onboarding\\Web")]);
        settle_with(&mut d, None, Process::Basic, false).unwrap();
        assert_eq!(d.snapshot.text("System.AreaPath"), "Onboarding\\Web");
        let mut d = draft(&[("System.WorkItemType", "Epic"), ("System.Title", " ")]);
        assert!(settle_with(&mut d, None, Process::Basic, false).unwrap_err().to_string().contains("field Title"));
    }
}
