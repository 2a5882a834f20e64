//! Evaluates parsed WIQL against work item snapshots: literal checks the service makes before it
//! runs a query (date precision, macros, value types), clause comparisons by field type (case-
//! insensitive text, numbers, dates by day or by instant, people, tags, paths) and sort order.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::parser::{Clause, Expr, Literal, Operand, Operator};
use crate::azure::errors::AzureError;
use crate::azure::fields::{FieldDef, FieldKind, parse_date};
use crate::azure::identity::Identity;
use crate::azure::store::Snapshot;

/// Where and for whom a query runs.
pub struct Scope<'a> {
    /// The project of the route (`@project`), if any.
    pub project: Option<&'a str>,
    /// The caller (`@me`).
    pub me: &'a Identity,
    /// Now (`@today`).
    pub now: DateTime<Utc>,
    /// `?timePrecision=true`: dates compare to the millisecond, literals may carry a time.
    pub time_precision: bool,
}

/// A value being compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// The field is empty.
    Missing,
    /// A number.
    Num(f64),
    /// An instant.
    Date(DateTime<Utc>),
    /// Text.
    Text(String),
    /// A person.
    Person(Identity),
    /// A flag.
    Bool(bool),
}

/// Parses a WIQL date literal; answers the instant and whether a time of day was written.
pub fn parse_date_literal(text: &str) -> Option<(DateTime<Utc>, bool)> {
    let text = text.trim();
    let has_time = text.contains(':');
    if let Some(at) = parse_date(text) {
        return Some((at, has_time));
    }
    if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f") {
        return Some((naive.and_utc(), true));
    }
    let date = NaiveDate::parse_from_str(text, "%m/%d/%Y").ok()?;
    Some((date.and_hms_opt(0, 0, 0)?.and_utc(), false))
}

fn invalid(value: &str, def: &FieldDef) -> AzureError {
    AzureError::QueryInvalidValue { value: value.into(), field: def.name.into() }
}

/// Resolves a literal to a value of the clause's field type (and checks it as the service does).
pub fn literal(lit: &Literal, clause: &Clause, scope: &Scope<'_>) -> Result<Val, AzureError> {
    let def = clause.field.def;
    match lit {
        Literal::Macro { name, offset } => match name.to_ascii_lowercase().as_str() {
            "project" => scope.project.map(|p| Val::Text(p.to_string())).ok_or_else(|| AzureError::QuerySyntax {
                detail:
                    "The @project macro needs a project; post the query to /{organization}/{project}/_apis/wit/wiql"
                        .into(),
                near: "@project".into(),
            }),
            "me" => Ok(Val::Person(scope.me.clone())),
            "today" => {
                let midnight = scope.now.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
                Ok(Val::Date(midnight + Duration::days(*offset as i64)))
            }
            other => Err(AzureError::QuerySyntax { detail: "Unknown macro".into(), near: format!("@{other}") }),
        },
        Literal::Number(n) => match def.kind {
            FieldKind::Integer | FieldKind::Double => Ok(Val::Num(*n)),
            FieldKind::DateTime => Err(invalid(&n.to_string(), def)),
            _ => Ok(Val::Text(if n.fract() == 0.0 { format!("{}", *n as i64) } else { n.to_string() })),
        },
        Literal::Text(text) => match def.kind {
            FieldKind::Integer | FieldKind::Double if text.trim().is_empty() => Ok(Val::Missing),
            FieldKind::Integer | FieldKind::Double => text.trim().parse().map(Val::Num).map_err(|_| invalid(text, def)),
            FieldKind::DateTime if text.trim().is_empty() => Ok(Val::Missing),
            FieldKind::DateTime => {
                let (at, has_time) = parse_date_literal(text).ok_or_else(|| invalid(text, def))?;
                if has_time && !scope.time_precision {
                    return Err(AzureError::QueryTimeWithDatePrecision { clause: clause.text() });
                }
                Ok(Val::Date(at))
            }
            FieldKind::Boolean => match text.to_ascii_lowercase().as_str() {
                "true" => Ok(Val::Bool(true)),
                "false" => Ok(Val::Bool(false)),
                _ => Err(invalid(text, def)),
            },
            _ => Ok(Val::Text(text.clone())),
        },
    }
}

/// Checks every literal of an expression before anything runs.
pub fn validate(expr: &Expr, scope: &Scope<'_>) -> Result<(), AzureError> {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => {
            validate(a, scope)?;
            validate(b, scope)
        }
        Expr::Clause(clause) => {
            match &clause.operand {
                Operand::Value(lit) => {
                    literal(lit, clause, scope)?;
                }
                Operand::List(list) => {
                    for lit in list {
                        literal(lit, clause, scope)?;
                    }
                }
                Operand::Field(_) | Operand::None => {}
            }
            Ok(())
        }
    }
}

/// A field's value on a snapshot.
pub fn field_value(snapshot: &Snapshot, def: &FieldDef) -> Val {
    match snapshot.fields.get(def.reference_name) {
        None | Some(Value::Null) => Val::Missing,
        Some(Value::String(s)) if s.is_empty() => Val::Missing,
        Some(value) => match def.kind {
            FieldKind::Identity => Identity::from_ref(value).map(Val::Person).unwrap_or(Val::Missing),
            FieldKind::Integer | FieldKind::Double => value.as_f64().map(Val::Num).unwrap_or(Val::Missing),
            FieldKind::DateTime => value.as_str().and_then(parse_date).map(Val::Date).unwrap_or(Val::Missing),
            FieldKind::Boolean => value.as_bool().map(Val::Bool).unwrap_or(Val::Missing),
            _ => Val::Text(value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())),
        },
    }
}

fn text(v: &Val) -> String {
    match v {
        Val::Missing => String::new(),
        Val::Num(n) => n.to_string(),
        Val::Date(d) => d.to_rfc3339(),
        Val::Text(t) => t.clone(),
        Val::Person(p) => p.combo(),
        Val::Bool(b) => b.to_string(),
    }
}

/// Orders two values of one field (empty first, text ignoring case).
pub fn order(a: &Val, b: &Val, by_day: bool) -> Ordering {
    match (a, b) {
        (Val::Missing, Val::Missing) => Ordering::Equal,
        (Val::Missing, _) => Ordering::Less,
        (_, Val::Missing) => Ordering::Greater,
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Val::Date(x), Val::Date(y)) if by_day => x.date_naive().cmp(&y.date_naive()),
        (Val::Date(x), Val::Date(y)) => x.cmp(y),
        (Val::Person(x), Val::Person(y)) => x.display_name.to_lowercase().cmp(&y.display_name.to_lowercase()),
        _ => text(a).to_lowercase().cmp(&text(b).to_lowercase()),
    }
}

fn equal(field: &Val, value: &Val, by_day: bool) -> bool {
    match (field, value) {
        (Val::Person(p), Val::Text(t)) => p.answers_to(t),
        (Val::Person(p), Val::Person(q)) => {
            p.id == q.id || (!p.unique_name.is_empty() && p.unique_name.eq_ignore_ascii_case(&q.unique_name))
        }
        (Val::Missing, Val::Text(t)) => t.is_empty(),
        (Val::Missing, Val::Missing) => true,
        (Val::Missing, _) | (_, Val::Missing) => false,
        _ => order(field, value, by_day) == Ordering::Equal,
    }
}

fn contains_words(haystack: &str, needle: &str) -> bool {
    let words: Vec<String> = haystack.split(|c: char| !c.is_alphanumeric()).map(str::to_lowercase).collect();
    let wanted: Vec<String> =
        needle.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    !wanted.is_empty() && words.windows(wanted.len()).any(|w| w == wanted.as_slice())
}

fn contains(def: &FieldDef, field: &Val, value: &Val) -> bool {
    let needle = text(value).to_lowercase();
    if def.reference_name == "System.Tags" {
        return text(field).split(';').any(|tag| tag.trim().to_lowercase() == needle.trim());
    }
    text(field).to_lowercase().contains(&needle)
}

fn under(field: &Val, value: &Val) -> bool {
    let (path, root) = (text(field).to_lowercase(), text(value).to_lowercase());
    path == root || path.starts_with(&format!("{root}\\"))
}

/// Whether a clause holds on a snapshot.
pub fn holds(clause: &Clause, snapshot: &Snapshot, scope: &Scope<'_>) -> bool {
    let def = clause.field.def;
    let by_day = def.kind == FieldKind::DateTime && !scope.time_precision;
    let field = field_value(snapshot, def);
    let value = match &clause.operand {
        Operand::Value(lit) => literal(lit, clause, scope).unwrap_or(Val::Missing),
        Operand::Field(other) => field_value(snapshot, other.def),
        Operand::List(list) => {
            let any = list.iter().filter_map(|l| literal(l, clause, scope).ok()).any(|v| equal(&field, &v, by_day));
            return if clause.op == Operator::In { any } else { !any };
        }
        Operand::None => {
            let empty = field == Val::Missing;
            return if clause.op == Operator::IsEmpty { empty } else { !empty };
        }
    };
    let ordered = |f: &dyn Fn(Ordering) -> bool| {
        field != Val::Missing && value != Val::Missing && f(order(&field, &value, by_day))
    };
    match clause.op {
        Operator::Eq => equal(&field, &value, by_day),
        Operator::Ne => !equal(&field, &value, by_day),
        Operator::Lt => ordered(&|o| o == Ordering::Less),
        Operator::Gt => ordered(&|o| o == Ordering::Greater),
        Operator::Le => ordered(&|o| o != Ordering::Greater),
        Operator::Ge => ordered(&|o| o != Ordering::Less),
        Operator::Contains => contains(def, &field, &value),
        Operator::NotContains => !contains(def, &field, &value),
        Operator::ContainsWords => contains_words(&text(&field), &text(&value)),
        Operator::NotContainsWords => !contains_words(&text(&field), &text(&value)),
        Operator::Under => under(&field, &value),
        Operator::NotUnder => !under(&field, &value),
        Operator::In | Operator::NotIn | Operator::IsEmpty | Operator::IsNotEmpty => false,
    }
}

/// Whether an expression holds on a snapshot.
pub fn matches(expr: &Expr, snapshot: &Snapshot, scope: &Scope<'_>) -> bool {
    match expr {
        Expr::And(a, b) => matches(a, snapshot, scope) && matches(b, snapshot, scope),
        Expr::Or(a, b) => matches(a, snapshot, scope) || matches(b, snapshot, scope),
        Expr::Clause(clause) => holds(clause, snapshot, scope),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::wiql::parser::parse;
    use serde_json::json;

    fn item(pairs: &[(&str, Value)]) -> Snapshot {
        let mut s = Snapshot::default();
        for (k, v) in pairs {
            s.fields.insert(k.to_string(), v.clone());
        }
        s
    }

    fn check(filter: &str, snapshot: &Snapshot, time_precision: bool) -> Result<bool, AzureError> {
        let me = Identity::new("Me", "me@contoso.com");
        let now = parse_date("2024-03-10T12:00:00Z").unwrap();
        let scope = Scope { project: Some("Onboarding"), me: &me, now, time_precision };
        let q = parse(&format!("SELECT [System.Id] FROM WorkItems WHERE {filter}"))?;
        let expr = q.filter.unwrap();
        validate(&expr, &scope)?;
        Ok(matches(&expr, snapshot, &scope))
    }

    #[test]
    fn compares_by_field_type() {
        let me = Identity::new("Me", "me@contoso.com").to_ref("http://x/o");
        let s = item(&[
            ("System.Id", json!(7)),
            ("System.Title", json!("Invite teammates by email")),
            ("System.State", json!("Active")),
            ("System.TeamProject", json!("Onboarding")),
            ("System.Tags", json!("onboarding; web")),
            ("System.AreaPath", json!("Onboarding\\Web")),
            ("System.AssignedTo", me),
            ("Microsoft.VSTS.Common.Priority", json!(2)),
            ("System.ChangedDate", json!("2024-03-09T15:30:00.123Z")),
        ]);
        let cases = [
            ("[System.State] = 'active'", true),
            ("[State] <> 'Closed'", true),
            ("[System.Id] IN (1, 7)", true),
            ("[System.State] NOT IN ('Active', 'New')", false),
            ("[Microsoft.VSTS.Common.Priority] <= 2 AND [Priority] > 1", true),
            ("[System.Title] CONTAINS 'TEAM'", true),
            ("[System.Title] CONTAINS WORDS 'team'", false),
            ("[System.Title] CONTAINS WORDS 'by email'", true),
            ("[System.Tags] CONTAINS 'web'", true),
            ("[System.Tags] CONTAINS 'we'", false),
            ("[System.AreaPath] UNDER 'Onboarding'", true),
            ("[System.AreaPath] NOT UNDER 'Onboarding\\We'", true),
            ("[System.AssignedTo] = @me", true),
            ("[System.AssignedTo] = 'me@contoso.com'", true),
            ("[System.TeamProject] = @project", true),
            ("[System.Description] IS EMPTY", true),
            ("[System.Description] = ''", true),
            ("[System.ChangedDate] = '2024-03-09'", true),
            ("[System.ChangedDate] > '2024-03-09'", false),
            ("[System.ChangedDate] >= @today - 1", true),
            ("[System.State] = 'New' OR [System.Id] = 7 AND [Priority] = 2", true),
            ("([System.State] = 'New' OR [System.Id] = 7) AND [Priority] = 3", false),
        ];
        for (filter, want) in cases {
            assert_eq!(check(filter, &s, false).unwrap(), want, "{filter}");
        }
    }

    #[test]
    fn time_precision_decides_how_dates_compare() {
        let s = item(&[("System.ChangedDate", json!("2024-03-09T15:30:00.123Z"))]);
        let err = check("[System.ChangedDate] >= '2024-03-09T15:00:00Z'", &s, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "You cannot supply a time with the date when running a query using date precision. The error is caused by «[System.ChangedDate] >= '2024-03-09T15:00:00Z'»."
        );
        assert!(check("[System.ChangedDate] >= '2024-03-09T15:30:00.123Z'", &s, true).unwrap());
        assert!(!check("[System.ChangedDate] > '2024-03-09T15:30:00.123Z'", &s, true).unwrap());
        assert!(check("[System.ChangedDate] > '2024-03-09'", &s, true).unwrap());
        assert!(!check("[System.ChangedDate] = '2024-03-09'", &s, true).unwrap());
        assert!(matches!(check("[System.ChangedDate] > 'soon'", &s, true), Err(AzureError::QueryInvalidValue { .. })));
    }
}
