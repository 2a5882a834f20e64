//! Query by WIQL: parse, check, run over the live work items (at `ASOF` when given), order, apply
//! `$top` and the 20,000-item result limit, and answer a `WorkItemQueryResult` (ids and URLs only).

pub mod ast;
pub mod eval;
pub mod lexer;
pub mod parser;

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::errors::AzureError;
use super::fields::{FieldDef, format_date};
use super::identity::Identity;
use super::store::{Snapshot, Store};
use eval::{Scope, Val, field_value, literal};
use parser::{Literal, Operand, parse};

/// The most items a query may return.
pub const RESULT_LIMIT: usize = 20_000;
/// The longest statement the service accepts.
pub const MAX_QUERY_LENGTH: usize = 32_000;

/// How a query is asked.
pub struct QueryRequest<'a> {
    /// The statement.
    pub text: &'a str,
    /// The route's project, if any.
    pub project: Option<&'a str>,
    /// The caller.
    pub me: &'a Identity,
    /// `timePrecision`.
    pub time_precision: bool,
    /// `$top`.
    pub top: Option<usize>,
}

fn column(store: &Store, def: &FieldDef) -> Value {
    json!({
        "referenceName": def.reference_name,
        "name": def.name,
        "url": format!("{}/_apis/wit/fields/{}", store.base_url, def.reference_name),
    })
}

fn snapshot_at(revisions: &[Snapshot], at: Option<DateTime<Utc>>) -> Option<&Snapshot> {
    match at {
        None => revisions.last(),
        Some(at) => revisions.iter().rev().find(|s| s.changed_date() <= at),
    }
}

/// Runs a query; answers the `WorkItemQueryResult` JSON.
pub fn run(store: &Store, request: &QueryRequest<'_>, now: DateTime<Utc>) -> Result<Value, AzureError> {
    if request.text.chars().count() > MAX_QUERY_LENGTH {
        return Err(AzureError::BadArgument {
            message: format!("VS402335: The query text is longer than the limit of {MAX_QUERY_LENGTH} characters."),
        });
    }
    let query = parse(request.text)?;
    let scope = Scope { project: request.project, me: request.me, now, time_precision: request.time_precision };
    if let Some(filter) = &query.filter {
        eval::validate(filter, &scope)?;
    }
    let as_of = match &query.as_of {
        None => None,
        Some(Literal::Text(text)) => Some(
            eval::parse_date_literal(text)
                .map(|(at, _)| at)
                .ok_or_else(|| AzureError::QueryInvalidValue { value: text.clone(), field: "ASOF".into() })?,
        ),
        Some(other) => {
            let clause = parser::Clause {
                field: parser::FieldRef {
                    written: "ASOF".into(),
                    def: super::fields::find("System.ChangedDate").expect("known"),
                },
                op: parser::Operator::Eq,
                operand: Operand::Value(other.clone()),
            };
            match literal(other, &clause, &scope)? {
                Val::Date(at) => Some(at),
                _ => None,
            }
        }
    };
    let mut hits: Vec<(i64, &Snapshot)> = store
        .items
        .values()
        .filter(|item| item.deleted.is_none())
        .filter_map(|item| snapshot_at(&item.revisions, as_of).map(|s| (item.id, s)))
        .filter(|(_, s)| query.filter.as_ref().is_none_or(|f| eval::matches(f, s, &scope)))
        .collect();
    hits.sort_by(|(a_id, a), (b_id, b)| {
        for (field, descending) in &query.order {
            // Precision decides how dates compare in WHERE; ORDER BY always sorts by the instant.
            let ordering = eval::order(&field_value(a, field.def), &field_value(b, field.def), false);
            let ordering = if *descending { ordering.reverse() } else { ordering };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        a_id.cmp(b_id)
    });
    match request.top {
        Some(top) if top <= RESULT_LIMIT => hits.truncate(top),
        _ if hits.len() > RESULT_LIMIT => return Err(AzureError::QueryTooLarge { limit: RESULT_LIMIT }),
        _ => {}
    }
    let mut body = json!({
        "queryType": "flat",
        "queryResultType": "workItem",
        "asOf": format_date(as_of.unwrap_or(now)),
        "columns": query.columns.iter().map(|c| column(store, c.def)).collect::<Vec<_>>(),
        "workItems": hits
            .iter()
            .map(|(id, _)| json!({ "id": id, "url": store.work_item_url(*id) }))
            .collect::<Vec<_>>(),
    });
    if !query.order.is_empty() {
        body["sortColumns"] = json!(
            query
                .order
                .iter()
                .map(|(field, descending)| json!({ "field": column(store, field.def), "descending": descending }))
                .collect::<Vec<_>>()
        );
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::process::Process;
    use crate::azure::store::WorkItem;

    fn store(count: i64) -> Store {
        let mut store = Store::new("contoso", "http://t/contoso", &[("Onboarding".into(), Process::Agile)]);
        for id in 1..=count {
            let mut s = Snapshot { rev: 1, ..Snapshot::default() };
            s.fields.insert("System.Id".into(), json!(id));
            s.fields.insert("System.Title".into(), json!(format!("Item {id:03}")));
            s.fields.insert("Microsoft.VSTS.Common.Priority".into(), json!(1 + id % 3));
            s.fields.insert("System.ChangedDate".into(), json!(format!("2024-01-{:02}T10:00:00Z", 1 + id % 28)));
            store.items.insert(id, WorkItem { id, project: "Onboarding".into(), revisions: vec![s], deleted: None });
        }
        store
    }

    fn ids(store: &Store, text: &str, top: Option<usize>) -> Result<Vec<i64>, AzureError> {
        let me = Identity::new("Me", "me@contoso.com");
        let request = QueryRequest { text, project: Some("Onboarding"), me: &me, time_precision: false, top };
        let body = run(store, &request, Utc::now())?;
        Ok(body["workItems"].as_array().unwrap().iter().map(|w| w["id"].as_i64().unwrap()).collect())
    }

    #[test]
    fn orders_tops_and_filters() {
        let s = store(6);
        assert_eq!(ids(&s, "SELECT [System.Id] FROM WorkItems", None).unwrap(), [1, 2, 3, 4, 5, 6]);
        let ordered =
            "SELECT [System.Id] FROM WorkItems ORDER BY [Microsoft.VSTS.Common.Priority] DESC, [System.Title]";
        assert_eq!(ids(&s, ordered, None).unwrap(), [2, 5, 1, 4, 3, 6]);
        assert_eq!(ids(&s, ordered, Some(2)).unwrap(), [2, 5]);
        let filtered =
            "SELECT [System.Id] FROM WorkItems WHERE [Priority] = 1 OR [System.Id] < 2 ORDER BY [System.Id] DESC";
        assert_eq!(ids(&s, filtered, None).unwrap(), [6, 3, 1]);
    }

    #[test]
    fn more_than_twenty_thousand_results_fail_unless_topped() {
        let s = store(RESULT_LIMIT as i64 + 1);
        let err = ids(&s, "SELECT [System.Id] FROM WorkItems", None).unwrap_err();
        assert!(err.to_string().starts_with("VS402337"));
        assert_eq!(ids(&s, "SELECT [System.Id] FROM WorkItems", Some(5)).unwrap(), [1, 2, 3, 4, 5]);
        assert_eq!(
            ids(&s, "SELECT [System.Id] FROM WorkItems WHERE [System.Id] <= 20000", None).unwrap().len(),
            RESULT_LIMIT
        );
    }
}
