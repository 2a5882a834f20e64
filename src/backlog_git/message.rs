//! The commit message of a run that wrote files: one line per inbound change (item, field, the
//! target it came from) under a subject a person can scan in `git log --oneline`. Pure.

use std::collections::BTreeSet;

use crate::reconcile::Action;
use crate::reconcile::engine::RunReport;

/// One inbound change as the commit message lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub item: String,
    /// The field, or what happened to the whole item (`imported`, `removed`).
    pub field: String,
    /// The target(s) the change came from.
    pub from: String,
}

/// The inbound changes a run applied (its plan's inbound actions whose item was applied).
pub fn lines(report: &RunReport) -> Vec<Line> {
    let applied: BTreeSet<&str> = report.applied.iter().map(|a| a.item.as_str()).collect();
    let mut out = Vec::new();
    for action in &report.plan.actions {
        match action {
            Action::UpdateCanonical { id, changes, from } if applied.contains(id.to_string().as_str()) => {
                for field in changes.keys() {
                    out.push(Line { item: id.to_string(), field: field.clone(), from: from.join(", ") });
                }
            }
            Action::Import { target, remote_id, id, .. } if applied.contains(id.to_string().as_str()) => {
                out.push(Line { item: id.to_string(), field: format!("imported (#{remote_id})"), from: target.clone() })
            }
            Action::MarkRemoved { target, id, remote_id } if applied.contains(id.to_string().as_str()) => {
                out.push(Line {
                    item: id.to_string(),
                    field: format!("removed (#{remote_id} was deleted)"),
                    from: target.clone(),
                })
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The message for `lines`; `None` when there is nothing inbound to tell (then the caller says
/// which files changed).
pub fn render(lines: &[Line]) -> Option<String> {
    let first = lines.first()?;
    let targets: BTreeSet<&str> = lines.iter().flat_map(|l| l.from.split(", ")).collect();
    let targets: Vec<&str> = targets.into_iter().collect();
    let subject = if lines.len() == 1 {
        format!("backlog-sync: {} {} from {}", first.item, first.field, first.from)
    } else {
        let items: BTreeSet<&str> = lines.iter().map(|l| l.item.as_str()).collect();
        format!("backlog-sync: {} change(s) to {} item(s) from {}", lines.len(), items.len(), targets.join(", "))
    };
    let body: Vec<String> = lines.iter().map(|l| format!("- {} {}: from {}", l.item, l.field, l.from)).collect();
    Some(format!("{subject}\n\n{}\n", body.join("\n")))
}

/// The message for files left uncommitted by an interrupted run (or written by hand).
pub fn leftovers(paths: &[String]) -> String {
    let list: Vec<String> = paths.iter().take(50).map(|p| format!("- {p}")).collect();
    let more = if paths.len() > 50 { format!("\n- … and {} more", paths.len() - 50) } else { String::new() };
    format!("backlog-sync: changes an interrupted run wrote\n\n{}{more}\n", list.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(item: &str, field: &str, from: &str) -> Line {
        Line { item: item.into(), field: field.into(), from: from.into() }
    }

    #[test]
    fn one_change_is_the_subject() {
        let msg = render(&[line("ST-5", "title", "github")]).unwrap();
        assert_eq!(msg, "backlog-sync: ST-5 title from github\n\n- ST-5 title: from github\n");
    }

    #[test]
    fn several_changes_are_counted_and_listed() {
        let msg = render(&[
            line("ST-5", "state", "boards"),
            line("ST-5", "title", "github"),
            line("RK-1", "owner", "github"),
        ])
        .unwrap();
        let (subject, body) = msg.split_once("\n\n").unwrap();
        assert_eq!(subject, "backlog-sync: 3 change(s) to 2 item(s) from boards, github");
        assert!(body.contains("- ST-5 state: from boards\n") && body.contains("- RK-1 owner: from github"), "{body}");
    }

    #[test]
    fn nothing_inbound_has_no_message() {
        assert_eq!(render(&[]), None);
        assert!(leftovers(&["stories/ST-1.md".into()]).ends_with("- stories/ST-1.md\n"));
    }
}
