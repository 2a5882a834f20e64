//! Work item fields: the definitions the twin knows (reference name, friendly name, type, whether
//! only the system writes it, allowed values), lookup by either name, and coercion of what a
//! client sends into the stored value (numbers, dates at ms precision, `"a; b"` tags, picklists).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::errors::AzureError;

/// A field's data type, as `GET …/fields` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Up to 255 characters.
    String,
    /// A whole number.
    Integer,
    /// A floating-point number.
    Double,
    /// A UTC instant, ms precision.
    DateTime,
    /// Rich text (HTML, or Markdown when the field's format says so).
    Html,
    /// Long plain text.
    PlainText,
    /// An area or iteration path (`Project\Team\Sprint 1`).
    TreePath,
    /// A person.
    Identity,
    /// True or false.
    Boolean,
    /// The discussion entry of a revision.
    History,
}

impl FieldKind {
    /// The name the REST API uses for the type.
    pub fn api_name(self) -> &'static str {
        match self {
            FieldKind::String => "string",
            FieldKind::Integer => "integer",
            FieldKind::Double => "double",
            FieldKind::DateTime => "dateTime",
            FieldKind::Html => "html",
            FieldKind::PlainText => "plainText",
            FieldKind::TreePath => "treePath",
            FieldKind::Identity => "string",
            FieldKind::Boolean => "boolean",
            FieldKind::History => "history",
        }
    }
}

/// One field definition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldDef {
    /// `System.Title`.
    pub reference_name: &'static str,
    /// `Title`.
    pub name: &'static str,
    /// Its data type.
    pub kind: FieldKind,
    /// Written by the system only (clients may set it with `bypassRules`).
    pub read_only: bool,
    /// The values a picklist field allows (empty: any).
    pub allowed: &'static [&'static str],
}

const fn f(reference_name: &'static str, name: &'static str, kind: FieldKind) -> FieldDef {
    FieldDef { reference_name, name, kind, read_only: false, allowed: &[] }
}

const fn ro(reference_name: &'static str, name: &'static str, kind: FieldKind) -> FieldDef {
    FieldDef { reference_name, name, kind, read_only: true, allowed: &[] }
}

const fn pick(reference_name: &'static str, name: &'static str, allowed: &'static [&'static str]) -> FieldDef {
    FieldDef { reference_name, name, kind: FieldKind::String, read_only: false, allowed }
}

use FieldKind::*;

/// Fields every work item type has.
pub const CORE_FIELDS: &[&str] = &[
    "System.Id",
    "System.Rev",
    "System.Title",
    "System.State",
    "System.Reason",
    "System.WorkItemType",
    "System.AreaPath",
    "System.IterationPath",
    "System.TeamProject",
    "System.CreatedDate",
    "System.CreatedBy",
    "System.ChangedDate",
    "System.ChangedBy",
    "System.AuthorizedDate",
    "System.RevisedDate",
    "System.AuthorizedAs",
    "System.Watermark",
    "System.AssignedTo",
    "System.Tags",
    "System.Description",
    "System.History",
    "System.CommentCount",
    "System.Parent",
    "Microsoft.VSTS.Common.StateChangeDate",
    "Microsoft.VSTS.Common.Priority",
];

/// Fields a default `GET` leaves out (they come with `$expand=fields|all` or when named).
pub const HIDDEN_FIELDS: &[&str] = &[
    "System.Id",
    "System.Rev",
    "System.AuthorizedDate",
    "System.RevisedDate",
    "System.AuthorizedAs",
    "System.Watermark",
];

/// Every field the twin knows.
pub const FIELDS: &[FieldDef] = &[
    ro("System.Id", "ID", Integer),
    ro("System.Rev", "Rev", Integer),
    f("System.Title", "Title", String),
    f("System.State", "State", String),
    f("System.Reason", "Reason", String),
    f("System.WorkItemType", "Work Item Type", String),
    f("System.AreaPath", "Area Path", TreePath),
    f("System.IterationPath", "Iteration Path", TreePath),
    f("System.TeamProject", "Team Project", String),
    ro("System.CreatedDate", "Created Date", DateTime),
    ro("System.CreatedBy", "Created By", Identity),
    ro("System.ChangedDate", "Changed Date", DateTime),
    ro("System.ChangedBy", "Changed By", Identity),
    ro("System.AuthorizedDate", "Authorized Date", DateTime),
    ro("System.RevisedDate", "Revised Date", DateTime),
    ro("System.AuthorizedAs", "Authorized As", Identity),
    ro("System.Watermark", "Watermark", Integer),
    f("System.AssignedTo", "Assigned To", Identity),
    f("System.Tags", "Tags", PlainText),
    f("System.Description", "Description", Html),
    f("System.History", "History", History),
    ro("System.CommentCount", "Comment Count", Integer),
    ro("System.Parent", "Parent", Integer),
    ro("Microsoft.VSTS.Common.StateChangeDate", "State Change Date", DateTime),
    FieldDef { allowed: &["1", "2", "3", "4"], ..f("Microsoft.VSTS.Common.Priority", "Priority", Integer) },
    f("Microsoft.VSTS.Common.AcceptanceCriteria", "Acceptance Criteria", Html),
    pick("Microsoft.VSTS.Common.ValueArea", "Value Area", &["Architectural", "Business"]),
    pick("Microsoft.VSTS.Common.Risk", "Risk", &["1 - High", "2 - Medium", "3 - Low"]),
    pick("Microsoft.VSTS.Common.Severity", "Severity", &["1 - Critical", "2 - High", "3 - Medium", "4 - Low"]),
    f("Microsoft.VSTS.Common.BusinessValue", "Business Value", Integer),
    f("Microsoft.VSTS.Common.TimeCriticality", "Time Criticality", Double),
    f("Microsoft.VSTS.Scheduling.StoryPoints", "Story Points", Double),
    f("Microsoft.VSTS.Scheduling.Effort", "Effort", Double),
    f("Microsoft.VSTS.Scheduling.Size", "Size", Double),
    f("Microsoft.VSTS.Scheduling.RemainingWork", "Remaining Work", Double),
    f("Microsoft.VSTS.Scheduling.OriginalEstimate", "Original Estimate", Double),
    f("Microsoft.VSTS.Scheduling.CompletedWork", "Completed Work", Double),
    f("Microsoft.VSTS.Scheduling.StartDate", "Start Date", DateTime),
    f("Microsoft.VSTS.Scheduling.TargetDate", "Target Date", DateTime),
    f("Microsoft.VSTS.Scheduling.DueDate", "Due Date", DateTime),
    pick(
        "Microsoft.VSTS.Common.Activity",
        "Activity",
        &["Deployment", "Design", "Development", "Documentation", "Requirements", "Testing"],
    ),
    f("Microsoft.VSTS.TCM.ReproSteps", "Repro Steps", Html),
    f("Microsoft.VSTS.TCM.SystemInfo", "System Info", Html),
    ro("Microsoft.VSTS.Common.ActivatedDate", "Activated Date", DateTime),
    ro("Microsoft.VSTS.Common.ResolvedDate", "Resolved Date", DateTime),
    ro("Microsoft.VSTS.Common.ClosedDate", "Closed Date", DateTime),
    f("Microsoft.VSTS.Common.Resolution", "Resolution", Html),
    pick(
        "Microsoft.VSTS.CMMI.RequirementType",
        "Requirement Type",
        &[
            "Business Objective",
            "Feature",
            "Functional",
            "Interface",
            "Operational",
            "Quality of Service",
            "Safety",
            "Scenario",
            "Security",
        ],
    ),
    pick("Microsoft.VSTS.CMMI.Blocked", "Blocked", &["Yes", "No"]),
    pick("Microsoft.VSTS.CMMI.TaskType", "Task Type", &["Corrective Action", "Mitigation Action", "Planned"]),
    pick(
        "Microsoft.VSTS.Common.Discipline",
        "Discipline",
        &["Analysis", "Development", "Test", "User Education", "User Experience"],
    ),
    f("Microsoft.VSTS.CMMI.Justification", "Justification", Html),
    pick("Microsoft.VSTS.CMMI.Escalate", "Escalate", &["Yes", "No"]),
    f("Microsoft.VSTS.CMMI.Minutes", "Minutes", Html),
    f("Microsoft.VSTS.CMMI.Probability", "Probability", Integer),
    f("Microsoft.VSTS.CMMI.MitigationPlan", "Mitigation Plan", Html),
    f("Microsoft.VSTS.CMMI.ContingencyPlan", "Contingency Plan", Html),
    f("Microsoft.VSTS.CMMI.MitigationTriggers", "Mitigation Triggers", Html),
];

/// Finds a field by reference name or friendly name, ignoring case.
pub fn find(name: &str) -> Option<&'static FieldDef> {
    let name = name.trim();
    FIELDS.iter().find(|f| f.reference_name.eq_ignore_ascii_case(name) || f.name.eq_ignore_ascii_case(name))
}

/// Whether the field holds long text whose format (HTML or Markdown) can be chosen.
pub fn is_multiline(def: &FieldDef) -> bool {
    matches!(def.kind, Html | History)
}

/// Formats an instant as the service does: UTC, milliseconds with trailing zeros dropped.
pub fn format_date(at: DateTime<Utc>) -> std::string::String {
    let text = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let (head, ms) = text.trim_end_matches('Z').split_at(text.len() - 5);
    let ms = ms.trim_end_matches('0');
    if ms.len() <= 1 { format!("{head}Z") } else { format!("{head}{ms}Z") }
}

/// Parses a date a client sends (RFC 3339, or a date alone meaning midnight UTC).
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(naive.and_utc());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc())
}

/// The longest tag the service accepts, in characters.
pub const MAX_TAG_CHARS: usize = 400;

/// Normalises tags as the service stores them: trimmed, de-duplicated (any case), sorted, `"; "`-joined.
pub fn normalize_tags(text: &str) -> std::string::String {
    let mut tags: Vec<std::string::String> = Vec::new();
    for tag in text.split(';').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            tags.push(tag.to_string());
        }
    }
    tags.sort_by_key(|t| t.to_lowercase());
    tags.join("; ")
}

/// The number of tags in a normalised tag string.
pub fn tag_count(text: &str) -> usize {
    text.split(';').filter(|t| !t.trim().is_empty()).count()
}

fn invalid(def: &FieldDef) -> AzureError {
    AzureError::InvalidFieldStatus { status: "InvalidType".into(), field: def.name.into() }
}

fn not_allowed(def: &FieldDef, value: &str) -> AzureError {
    AzureError::RuleViolation {
        field: def.name.into(),
        reference: def.reference_name.into(),
        flags: "HasValues, LimitedToValues, AllowsOldValue, InvalidListValue".into(),
        detail: format!(
            "The field '{}' contains the value '{value}' that is not in the list of supported values",
            def.name
        ),
    }
}

/// Coerces a client's value for a non-identity field; `Ok(None)` clears the field.
pub fn coerce(def: &FieldDef, value: &Value) -> Result<Option<Value>, AzureError> {
    if value.is_null() || value.as_str().is_some_and(|s| s.is_empty()) {
        return Ok(None);
    }
    let as_text = || match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(invalid(def)),
    };
    let coerced = match def.kind {
        Integer => {
            let n = match value {
                Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|x| x.fract() == 0.0).map(|x| x as i64)),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            json!(n.ok_or_else(|| invalid(def))?)
        }
        Double => {
            let n = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            let n = n.filter(|x| x.is_finite()).ok_or_else(|| invalid(def))?;
            json!(n)
        }
        DateTime => {
            let at = value.as_str().and_then(parse_date).ok_or_else(|| invalid(def))?;
            json!(format_date(at))
        }
        Boolean => match value {
            Value::Bool(b) => json!(b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => json!(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => json!(false),
            _ => return Err(invalid(def)),
        },
        String => {
            let text = as_text()?;
            if text.chars().count() > 255 {
                return Err(AzureError::RuleViolation {
                    field: def.name.into(),
                    reference: def.reference_name.into(),
                    flags: "TooLong".into(),
                    detail: format!("The value of field '{}' is longer than 255 characters.", def.name),
                });
            }
            json!(text)
        }
        PlainText if def.reference_name == "System.Tags" => {
            let tags = normalize_tags(&as_text()?);
            // Tags are split at `;`; one holding `,` or longer than 400 characters is refused.
            if let Some(bad) = tags.split("; ").find(|t| t.contains(',') || t.chars().count() > MAX_TAG_CHARS) {
                let shown: std::string::String = bad.chars().take(40).collect();
                return Err(AzureError::BadArgument {
                    message: format!(
                        "The tag '{shown}' is not valid: a tag has at most {MAX_TAG_CHARS} characters and holds no ',' or ';'."
                    ),
                });
            }
            if tag_count(&tags) > 100 {
                return Err(AzureError::BadArgument {
                    message: "TF401421: The number of tags on a work item exceeds the limit of 100.".into(),
                });
            }
            if tags.is_empty() {
                return Ok(None);
            }
            json!(tags)
        }
        Html | PlainText | History | TreePath => json!(as_text()?),
        Identity => value.clone(),
    };
    if !def.allowed.is_empty() {
        let text = match &coerced {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match def.allowed.iter().find(|a| a.eq_ignore_ascii_case(&text)) {
            Some(allowed) if def.kind == String => return Ok(Some(json!(allowed))),
            Some(_) => {}
            None => return Err(not_allowed(def, &text)),
        }
    }
    Ok(Some(coerced))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_fields_by_either_name() {
        assert_eq!(find("system.title").unwrap().name, "Title");
        assert_eq!(find("Story Points").unwrap().reference_name, "Microsoft.VSTS.Scheduling.StoryPoints");
        assert!(find("System.Nope").is_none());
    }

    #[test]
    fn coerces_values_by_type() {
        let priority = find("Microsoft.VSTS.Common.Priority").unwrap();
        let points = find("Microsoft.VSTS.Scheduling.StoryPoints").unwrap();
        let risk = find("Microsoft.VSTS.Common.Risk").unwrap();
        let target = find("Microsoft.VSTS.Scheduling.TargetDate").unwrap();
        let tags = find("System.Tags").unwrap();
        type Case<'a> = (&'a FieldDef, Value, Result<Option<Value>, ()>);
        let cases: Vec<Case> = vec![
            (priority, json!(2), Ok(Some(json!(2)))),
            (priority, json!("3"), Ok(Some(json!(3)))),
            (priority, json!(9), Err(())),
            (priority, json!("high"), Err(())),
            (points, json!(3), Ok(Some(json!(3.0)))),
            (points, json!("5.5"), Ok(Some(json!(5.5)))),
            (points, json!(""), Ok(None)),
            (risk, json!("2 - medium"), Ok(Some(json!("2 - Medium")))),
            (risk, json!("huge"), Err(())),
            (target, json!("2024-05-01"), Ok(Some(json!("2024-05-01T00:00:00Z")))),
            (target, json!("2024-05-01T10:11:12.340+02:00"), Ok(Some(json!("2024-05-01T08:11:12.34Z")))),
            (target, json!("soon"), Err(())),
            (tags, json!("zeta; Alpha;; alpha ; beta"), Ok(Some(json!("Alpha; beta; zeta")))),
            (tags, json!(" ; "), Ok(None)),
        ];
        for (def, value, want) in cases {
            let got = coerce(def, &value).map_err(|_| ());
            assert_eq!(got, want, "{} {value}", def.reference_name);
        }
    }

    #[test]
    fn formats_dates_like_the_service() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(format_date(at("2014-12-29T20:49:23.933Z")), "2014-12-29T20:49:23.933Z");
        assert_eq!(format_date(at("2017-10-06T01:04:51.570Z")), "2017-10-06T01:04:51.57Z");
        assert_eq!(format_date(at("2017-09-04T02:08:16.000Z")), "2017-09-04T02:08:16Z");
        assert_eq!(parse_date("2024-01-02").unwrap(), at("2024-01-02T00:00:00Z"));
    }
}
