//! Milestone drift over items: an open item whose milestone is past its due date
//! (`item-past-milestone`), an item on a milestone `backlog.toml` does not have
//! (`unknown-milestone`), and an item on different milestones on two targets
//! (`milestone-mismatch`). Pure.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;

use super::Finding;
use crate::backlog::project::Milestone;

/// An item's milestone and where its `milestone:` line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemMilestone {
    pub item: String,
    pub milestone: String,
    /// Resolved, closed or removed.
    pub done: bool,
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
}

/// `item-past-milestone` and `unknown-milestone` as of `today`.
pub fn check_items(items: &[ItemMilestone], milestones: &[Milestone], today: NaiveDate) -> Vec<Finding> {
    let mut out = Vec::new();
    for i in items.iter().filter(|i| !i.milestone.trim().is_empty()) {
        let found = milestones.iter().find(|m| m.name.trim().eq_ignore_ascii_case(i.milestone.trim()));
        let finding = match found {
            None => Finding::new(
                "unknown-milestone",
                Some(i.item.clone()),
                format!("`{}` is on milestone `{}`, which `backlog.toml` does not have", i.item, i.milestone),
            ),
            Some(m) => match m.due.filter(|due| *due < today && !i.done) {
                Some(due) => Finding::new(
                    "item-past-milestone",
                    Some(i.item.clone()),
                    format!(
                        "`{}` is still open; its milestone `{}` was due on {due} ({} days ago)",
                        i.item,
                        m.name,
                        (today - due).num_days()
                    ),
                ),
                None => continue,
            },
        };
        out.push(finding.at(i.path.clone(), i.line));
    }
    out
}

/// `milestone-mismatch`: per item, the milestone each target shows (target → item → milestone).
pub fn check_targets(seen: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Finding> {
    let mut by_item: BTreeMap<&String, Vec<(&String, &String)>> = BTreeMap::new();
    for (target, items) in seen {
        for (item, milestone) in items {
            by_item.entry(item).or_default().push((target, milestone));
        }
    }
    let mut out = Vec::new();
    for (item, list) in by_item {
        let first = list[0].1.trim().to_lowercase();
        if list.len() > 1 && list.iter().any(|(_, m)| m.trim().to_lowercase() != first) {
            let shown = |m: &String| if m.trim().is_empty() { "no milestone".to_string() } else { format!("`{m}`") };
            let parts: Vec<String> = list.iter().map(|(t, m)| format!("{} on `{t}`", shown(m))).collect();
            out.push(Finding::new(
                "milestone-mismatch",
                Some(item.clone()),
                format!("`{item}` is on {}", parts.join(", ")),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn item(id: &str, milestone: &str, done: bool) -> ItemMilestone {
        ItemMilestone { item: id.into(), milestone: milestone.into(), done, path: None, line: Some(4) }
    }

    #[test]
    fn item_milestone_rules_table() {
        let pilot = Milestone {
            name: "Pilot".into(),
            due: Some(day("2026-12-18")),
            definition_of_done: Vec::new(),
            epics: Vec::new(),
            criteria: Vec::new(),
            start: None,
            closed: false,
        };
        let cases: Vec<(&str, ItemMilestone, &str, Option<&str>)> = vec![
            ("open item past its milestone", item("ST-1", "Pilot", false), "2026-12-20", Some("item-past-milestone")),
            ("done item past its milestone", item("ST-1", "Pilot", true), "2026-12-20", None),
            ("open item before its due date", item("ST-1", "pilot", false), "2026-12-18", None),
            ("no milestone", item("ST-1", "", false), "2027-01-01", None),
            ("a milestone backlog.toml lacks", item("ST-1", "Beta", false), "2026-12-01", Some("unknown-milestone")),
        ];
        for (name, i, today, want) in cases {
            let f = check_items(&[i], std::slice::from_ref(&pilot), day(today));
            assert_eq!(f.first().map(|f| f.rule.as_str()), want, "{name}");
            assert!(f.iter().all(|f| f.line == Some(4)), "{name}");
        }
    }

    #[test]
    fn an_item_on_two_milestones_is_a_mismatch() {
        let seen: BTreeMap<String, BTreeMap<String, String>> = [
            (
                "boards".to_string(),
                [("ST-1".to_string(), "Pilot".to_string()), ("ST-2".to_string(), "GA".into())].into(),
            ),
            (
                "github".to_string(),
                [("ST-1".to_string(), "pilot".to_string()), ("ST-2".to_string(), String::new())].into(),
            ),
        ]
        .into();
        let f = check_targets(&seen);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "milestone-mismatch");
        assert_eq!(f[0].message, "`ST-2` is on `GA` on `boards`, no milestone on `github`");
    }
}
