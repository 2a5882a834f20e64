//! The commit message of a run that wrote files: one line per inbound change (item, field, the
//! target it came from) under a subject a person can scan in `git log --oneline`, and a
//! `Co-authored-by` trailer for each person who made those edits on a tracker, when known. Pure.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::mapping::Identities;
use crate::reconcile::Action;
use crate::reconcile::engine::RunReport;

/// Who made the last edit of an item on a tracker, as the tracker names them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "tracker", rename_all = "kebab-case")]
pub enum Editor {
    /// Azure Boards' `System.ChangedBy`: a display name and a unique name (usually the sign-in email).
    Azure { name: String, unique: String },
    /// A GitHub login (a webhook's `sender`).
    Github { login: String },
}

/// `Co-authored-by: Name <email>` for `editor`: the person's canonical email from
/// `mappings/identities.toml` when they are there; else GitHub's noreply address of the login, or
/// Azure's unique name when it is an email. `None` when no email can be named honestly.
pub fn trailer(editor: &Editor, people: &Identities) -> Option<String> {
    let (person, shown, fallback) = match editor {
        Editor::Azure { name, unique } => (
            people.people.iter().find(|p| p.azure.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(unique))),
            if name.trim().is_empty() { unique.clone() } else { name.clone() },
            unique.contains('@').then(|| unique.clone()),
        ),
        Editor::Github { login } => (
            people.people.iter().find(|p| p.github.as_deref().is_some_and(|g| g.eq_ignore_ascii_case(login))),
            login.clone(),
            Some(format!("{login}@users.noreply.github.com")),
        ),
    };
    let email = person.map(|p| p.canonical.clone()).filter(|c| c.contains('@')).or(fallback)?;
    let name = person.and_then(|p| p.name.clone()).unwrap_or(shown);
    let clean = |t: &str| t.replace(['<', '>', '\n', '\r'], "").trim().to_string();
    Some(format!("Co-authored-by: {} <{}>", clean(&name), clean(&email)))
}

/// The trailers of `lines`: one per person, in order, each once.
pub fn trailers(lines: &[Line], report_editors: &EditorsOf<'_>, people: &Identities) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        for target in l.from.split(", ") {
            let Some(editor) = report_editors(&l.item, target) else { continue };
            if let Some(t) = trailer(editor, people)
                && !out.contains(&t)
            {
                out.push(t);
            }
        }
    }
    out
}

/// Looks up who edited `item` on `target`.
pub type EditorsOf<'a> = dyn Fn(&str, &str) -> Option<&'a Editor> + 'a;

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

/// The message for `lines` with `trailers` (`Co-authored-by: …`) at its end.
pub fn render_with(lines: &[Line], trailers: &[String]) -> Option<String> {
    let text = render(lines)?;
    if trailers.is_empty() {
        return Some(text);
    }
    Some(format!("{text}\n{}\n", trailers.join("\n")))
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
    fn trailers_name_the_person_by_their_email() {
        let people: Identities = toml::from_str(
            "[[people]]\ncanonical = \"ann@contoso.com\"\ngithub = \"ann-gh\"\nazure = \"ann@corp.example\"\nname = \"Ann Lee\"\n",
        )
        .unwrap();
        let azure = |name: &str, unique: &str| Editor::Azure { name: name.into(), unique: unique.into() };
        let github = |login: &str| Editor::Github { login: login.into() };
        let cases = [
            (azure("Ann L.", "ann@corp.example"), Some("Co-authored-by: Ann Lee <ann@contoso.com>")),
            (azure("Bo Chen", "bo@corp.example"), Some("Co-authored-by: Bo Chen <bo@corp.example>")),
            (azure("Build Service", "Build\\svc"), None),
            (github("ann-gh"), Some("Co-authored-by: Ann Lee <ann@contoso.com>")),
            (github("octo"), Some("Co-authored-by: octo <octo@users.noreply.github.com>")),
        ];
        for (editor, want) in cases {
            assert_eq!(trailer(&editor, &people).as_deref(), want, "{editor:?}");
        }
        let msg = render_with(&[line("ST-5", "title", "boards")], &["Co-authored-by: Bo <bo@x.io>".into()]).unwrap();
        assert!(msg.ends_with("- ST-5 title: from boards\n\nCo-authored-by: Bo <bo@x.io>\n"), "{msg}");
    }

    #[test]
    fn nothing_inbound_has_no_message() {
        assert_eq!(render(&[]), None);
        assert!(leftovers(&["stories/ST-1.md".into()]).ends_with("- stories/ST-1.md\n"));
    }
}
