//! People's edits: what an operation does to a file, an issue or a work item. An edit that does
//! not apply (no such issue yet, a story field on an epic) does nothing; the model learns what an
//! edit changed by reading the side again, never by predicting it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::fixture::{break_text, set_description, set_key};
use super::ops::{BoardsEdit, FileEdit, GithubEdit, ITEMS, is_story};
use super::world::{World, labels, tags};

/// Per item, the last text a person deleted or broke (to restore or fix it later).
#[derive(Default)]
pub struct Saved {
    pub deleted: BTreeMap<String, Vec<u8>>,
    pub broken: BTreeMap<String, Vec<u8>>,
    /// Work items a person deleted, per item.
    pub recycled: BTreeMap<String, i64>,
}

/// Without unknown owners, an edit naming dana names alice.
pub fn known(edit: &FileEdit, unknown_owners: bool) -> FileEdit {
    match edit {
        FileEdit::Owner(2) if !unknown_owners => FileEdit::Owner(1),
        other => other.clone(),
    }
}

pub fn known_gh(edit: &GithubEdit, unknown_owners: bool) -> GithubEdit {
    match edit {
        GithubEdit::Assignee(2) if !unknown_owners => GithubEdit::Assignee(1),
        other => other.clone(),
    }
}

const STATES: [&str; 4] = ["new", "active", "resolved", "closed"];

pub fn file_edit(world: &World<'_>, item: usize, edit: &FileEdit, saved: &mut Saved) {
    let id = ITEMS[item];
    let path = world.file_path(id);
    let story = is_story(item);
    match edit {
        FileEdit::Restore => {
            if !path.exists()
                && let Some(bytes) = saved.deleted.remove(id)
            {
                std::fs::write(&path, bytes).unwrap();
            }
            return;
        }
        FileEdit::Fix => {
            if let Some(bytes) = saved.broken.remove(id) {
                std::fs::write(&path, bytes).unwrap();
            }
            return;
        }
        _ => {}
    }
    if saved.broken.contains_key(id) {
        return; // a person edits a broken file only to fix it
    }
    let Ok(text) = std::fs::read_to_string(&path) else { return };
    let new = match edit {
        FileEdit::Title(v) => set_key(&text, "title", Some(&format!("Title {v}"))),
        FileEdit::SentenceTitle(v) if story => {
            set_key(&text, "title", Some(&format!("As a customer, I can do chore {v} online, so that I save trip {v}")))
        }
        FileEdit::State(v) => set_key(&text, "state", Some(STATES[*v as usize % 4])),
        FileEdit::Priority(v) => set_key(&text, "priority", Some(&(v % 4 + 1).to_string())),
        FileEdit::Tags(v) => set_key(&text, "tags", Some(&format!("[tag-{v}]"))),
        FileEdit::Owner(0) => set_key(&text, "owner", None),
        FileEdit::Owner(1) => set_key(&text, "owner", Some("alice@contoso.com")),
        FileEdit::Owner(_) => set_key(&text, "owner", Some("dana@contoso.com")),
        FileEdit::Persona(v) if story => set_key(&text, "persona", Some(["customer", "adjuster"][*v as usize % 2])),
        FileEdit::Activity(v) if story => set_key(&text, "activity", Some(&format!("do chore {v} online"))),
        FileEdit::Benefit(v) if story => set_key(&text, "benefit", Some(&format!("I save trip {v}"))),
        FileEdit::Epic(v) if story => set_key(&text, "epic", Some(&format!("EP-{}", v % 2 + 1))),
        FileEdit::Body(v) => set_description(&text, &format!("Description {v}, written in the file.")),
        FileEdit::Delete => {
            saved.deleted.insert(id.to_string(), text.into_bytes());
            std::fs::remove_file(&path).unwrap();
            return;
        }
        FileEdit::Break(how) => {
            let broken = break_text(&text, *how);
            saved.broken.insert(id.to_string(), text.into_bytes());
            std::fs::write(&path, broken).unwrap();
            return;
        }
        _ => None,
    };
    if let Some(new) = new {
        std::fs::write(&path, new).unwrap();
    }
}

/// Replaces the text under `### heading` in an issue body (adds the section when missing).
fn set_section(body: &str, heading: &str, value: &str) -> String {
    let head = format!("### {heading}\n");
    if let Some(start) = body.find(&head) {
        let after = start + head.len();
        let end = body[after..]
            .find("\n### ")
            .or_else(|| body[after..].find("\n<!-- "))
            .map(|i| after + i)
            .unwrap_or(body.len());
        format!("{}\n{value}\n{}", &body[..after], &body[end..])
    } else {
        let at = body.find("<!-- ").unwrap_or(body.len());
        format!("{}\n{head}\n{value}\n\n{}", &body[..at], &body[at..])
    }
}

pub async fn github_edit(world: &World<'_>, item: usize, edit: &GithubEdit) {
    let id = ITEMS[item];
    let Some(issue) = world.issue_of(id).await else { return };
    let number = issue["number"].as_u64().unwrap();
    let keep = |drop: &str| -> Vec<String> { labels(&issue).into_iter().filter(|l| !l.starts_with(drop)).collect() };
    let body = match edit {
        GithubEdit::Title(v) => json!({"title": format!("Title {v}")}),
        GithubEdit::Close(0) => json!({"state": "closed", "state_reason": "completed"}),
        GithubEdit::Close(_) => json!({"state": "closed", "state_reason": "not_planned"}),
        GithubEdit::Reopen => json!({"state": "open"}),
        GithubEdit::Status(v) => {
            let mut l = keep("status:");
            l.push(format!("status:{}", STATES[*v as usize % 4]));
            let state = if *v >= 2 { "closed" } else { "open" };
            json!({"labels": l, "state": state})
        }
        GithubEdit::Priority(v) => {
            let mut l = keep("priority:");
            l.push(format!("priority:{}", v % 4 + 1));
            json!({"labels": l})
        }
        GithubEdit::Tags(v) => {
            let mut l: Vec<String> = labels(&issue).into_iter().filter(|l| l.contains(':')).collect();
            l.push(format!("tag-{v}"));
            json!({"labels": l})
        }
        GithubEdit::Assignee(0) => json!({"assignees": []}),
        GithubEdit::Assignee(1) => json!({"assignees": ["alice-contoso"]}),
        GithubEdit::Assignee(_) => json!({"assignees": ["dana-gh"]}),
        GithubEdit::Section(s, v) => {
            if !is_story(item) {
                return;
            }
            let text = issue["body"].as_str().unwrap_or_default();
            let (heading, value) = match s % 3 {
                0 => ("Persona", ["customer", "adjuster"][*v as usize % 2].to_string()),
                1 => ("Activity", format!("do chore {v} online")),
                _ => ("Benefit", format!("I save trip {v}")),
            };
            json!({"body": set_section(text, heading, &value)})
        }
        GithubEdit::Parent(e) => {
            if !is_story(item) {
                return;
            }
            let Some(epic) = world.issue_of(&format!("EP-{}", e % 2 + 1)).await else { return };
            world.make_sub_issue(epic["number"].as_u64().unwrap(), issue["id"].as_u64().unwrap()).await;
            return;
        }
        GithubEdit::Delete => {
            world.delete_issue(number).await;
            return;
        }
    };
    world.edit_issue(number, body).await;
}

pub async fn boards_edit(world: &World<'_>, item: usize, edit: &BoardsEdit, saved: &mut Saved) {
    let id = ITEMS[item];
    if let BoardsEdit::Restore = edit {
        if let Some(wi) = saved.recycled.remove(id) {
            world.restore_work_item(wi).await;
        }
        return;
    }
    let Some(wi) = world.work_item_of(id).await else { return };
    let n = wi["id"].as_i64().unwrap();
    let set = |field: &str, value: Value| json!([{"op": "add", "path": format!("/fields/{field}"), "value": value}]);
    let ops = match edit {
        BoardsEdit::Title(v) => set("System.Title", json!(format!("Title {v}"))),
        BoardsEdit::State(v) => {
            if id.starts_with("RK-") && *v % 2 == 0 {
                return; // a risk (an Issue) has no New or Resolved
            }
            set("System.State", json!(["New", "Active", "Resolved", "Closed"][*v as usize % 4]))
        }
        BoardsEdit::Priority(v) => set("Microsoft.VSTS.Common.Priority", json!(v % 4 + 1)),
        BoardsEdit::Tags(v) => {
            let mut t: Vec<String> = tags(&wi).into_iter().filter(|t| t.contains(':')).collect();
            t.push(format!("tag-{v}"));
            set("System.Tags", json!(t.join("; ")))
        }
        BoardsEdit::Owner(0) => json!([{"op": "remove", "path": "/fields/System.AssignedTo"}]),
        BoardsEdit::Owner(1) => set("System.AssignedTo", json!("alice@contoso.com")),
        // Kept sequences only (finding 24), never generated.
        BoardsEdit::Owner(_) => set("System.AssignedTo", json!("dana@contoso.com")),
        BoardsEdit::Parent(e) => {
            if !is_story(item) {
                return;
            }
            let Some(epic) = world.work_item_of(&format!("EP-{}", e % 2 + 1)).await else { return };
            let mut ops = Vec::new();
            if let Some(rels) = wi["relations"].as_array()
                && let Some(i) = rels.iter().position(|r| r["rel"] == "System.LinkTypes.Hierarchy-Reverse")
            {
                ops.push(json!({"op": "remove", "path": format!("/relations/{i}")}));
            }
            let url = world.work_item_url(epic["id"].as_i64().unwrap());
            ops.push(json!({"op": "add", "path": "/relations/-", "value": {"rel": "System.LinkTypes.Hierarchy-Reverse", "url": url}}));
            json!(ops)
        }
        BoardsEdit::Delete => {
            if world.delete_work_item(n).await {
                saved.recycled.insert(id.to_string(), n);
            }
            return;
        }
        BoardsEdit::Restore => return,
    };
    world.patch_work_item(n, ops).await;
}
