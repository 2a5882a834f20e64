//! Work item discussion (Comments 7.1-preview.4): add, edit, delete, list and get comments in
//! Markdown or HTML. A comment is history: adding, editing or deleting one is a new revision of
//! the item carrying `System.History`, `System.CommentCount` and a `commentVersionRef`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::edit::{Event, push_revision};
use super::errors::AzureError;
use super::fields::format_date;
use super::identity::Identity;
use super::store::{Comment, CommentVersion, CommentVersionRef, Store};

/// Records a new comment (from `System.History` or the comments API); answers the revision's
/// reference to it and the item's new comment count. Saves no revision itself.
pub fn record(
    store: &mut Store,
    work_item_id: i64,
    text: &str,
    markdown: bool,
    by: &Identity,
    now: DateTime<Utc>,
) -> (CommentVersionRef, usize) {
    let id = store.next_comment_id;
    store.next_comment_id += 1;
    let by = store.people.register(by.clone());
    let comment = Comment {
        id,
        work_item_id,
        format: if markdown { "markdown" } else { "html" }.to_string(),
        versions: vec![CommentVersion { version: 1, text: text.to_string(), date: now, by }],
        is_deleted: false,
    };
    let list = store.comments.entry(work_item_id).or_default();
    list.push(comment);
    let count = list.iter().filter(|c| !c.is_deleted).count();
    (CommentVersionRef { comment_id: id, version: 1, text: text.to_string(), is_deleted: false }, count)
}

fn revise(
    store: &mut Store,
    work_item_id: i64,
    reference: CommentVersionRef,
    by: &Identity,
    now: DateTime<Utc>,
) -> u32 {
    let count = store.comments.get(&work_item_id).map_or(0, |l| l.iter().filter(|c| !c.is_deleted).count());
    let actor = store.people.register(by.clone()).to_ref(&store.base_url);
    let mut snapshot = store.items[&work_item_id].current().clone();
    snapshot.fields.remove("System.History");
    if !reference.is_deleted {
        snapshot.fields.insert("System.History".into(), json!(reference.text));
    }
    snapshot.fields.insert("System.CommentCount".into(), json!(count));
    snapshot.comment = Some(reference);
    push_revision(store, work_item_id, snapshot, &actor, now, &BTreeSet::new())
}

/// Adds a comment through the comments API.
pub fn add(
    store: &mut Store,
    work_item_id: i64,
    text: &str,
    markdown: bool,
    by: &Identity,
) -> Result<(i64, Vec<Event>), AzureError> {
    store.live(work_item_id, None)?;
    if text.trim().is_empty() {
        return Err(AzureError::BadArgument {
            message: "The comment text cannot be empty.\r\nParameter name: text".into(),
        });
    }
    let now = store.clock.now();
    let (reference, _) = record(store, work_item_id, text, markdown, by, now);
    let comment_id = reference.comment_id;
    let rev = revise(store, work_item_id, reference, by, now);
    Ok((
        comment_id,
        vec![Event::Updated { id: work_item_id, rev }, Event::Commented { id: work_item_id, comment_id, rev }],
    ))
}

fn find_mut(store: &mut Store, work_item_id: i64, comment_id: i64) -> Result<&mut Comment, AzureError> {
    store
        .comments
        .get_mut(&work_item_id)
        .and_then(|l| l.iter_mut().find(|c| c.id == comment_id && !c.is_deleted))
        .ok_or(AzureError::CommentNotFound { work_item_id, comment_id })
}

/// Edits a comment's text (and optionally its format).
pub fn update(
    store: &mut Store,
    work_item_id: i64,
    comment_id: i64,
    text: &str,
    markdown: Option<bool>,
    by: &Identity,
) -> Result<Vec<Event>, AzureError> {
    store.live(work_item_id, None)?;
    let now = store.clock.now();
    let by = store.people.register(by.clone());
    let comment = find_mut(store, work_item_id, comment_id)?;
    let version = comment.latest().version + 1;
    comment.versions.push(CommentVersion { version, text: text.to_string(), date: now, by: by.clone() });
    if let Some(markdown) = markdown {
        comment.format = if markdown { "markdown" } else { "html" }.to_string();
    }
    let reference = CommentVersionRef { comment_id, version, text: text.to_string(), is_deleted: false };
    let rev = revise(store, work_item_id, reference, &by, now);
    Ok(vec![Event::Updated { id: work_item_id, rev }])
}

/// Deletes a comment.
pub fn delete(store: &mut Store, work_item_id: i64, comment_id: i64, by: &Identity) -> Result<Vec<Event>, AzureError> {
    store.live(work_item_id, None)?;
    let now = store.clock.now();
    let comment = find_mut(store, work_item_id, comment_id)?;
    comment.is_deleted = true;
    let reference = CommentVersionRef {
        comment_id,
        version: comment.latest().version,
        text: comment.latest().text.clone(),
        is_deleted: true,
    };
    let rev = revise(store, work_item_id, reference, by, now);
    Ok(vec![Event::Updated { id: work_item_id, rev }])
}

/// A comment by id (deleted ones only when asked).
pub fn get(store: &Store, work_item_id: i64, comment_id: i64, include_deleted: bool) -> Result<&Comment, AzureError> {
    store
        .comments
        .get(&work_item_id)
        .and_then(|l| l.iter().find(|c| c.id == comment_id && (include_deleted || !c.is_deleted)))
        .ok_or(AzureError::CommentNotFound { work_item_id, comment_id })
}

/// The `Comment` JSON; `project_id` scopes its URL.
pub fn to_json(store: &Store, project_id: &str, comment: &Comment, rendered: bool) -> Value {
    let first = &comment.versions[0];
    let latest = comment.latest();
    let mut body = json!({
        "workItemId": comment.work_item_id,
        "id": comment.id,
        "version": latest.version,
        "text": latest.text,
        "createdBy": first.by.to_ref(&store.base_url),
        "createdDate": format_date(first.date),
        "modifiedBy": latest.by.to_ref(&store.base_url),
        "modifiedDate": format_date(latest.date),
        "format": comment.format,
        "isDeleted": comment.is_deleted,
        "url": format!("{}/{project_id}/_apis/wit/workItems/{}/comments/{}", store.base_url, comment.work_item_id, comment.id),
    });
    if rendered {
        body["renderedText"] =
            json!(if comment.format == "markdown" { markdown_to_html(&latest.text) } else { latest.text.clone() });
    }
    body
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn inline(text: &str) -> String {
    let mut rest = escape(text);
    for (marker, tag) in [("**", "strong"), ("`", "code"), ("*", "em")] {
        let mut converted = String::new();
        let mut open = false;
        for (i, part) in rest.split(marker).enumerate() {
            if i > 0 {
                converted.push_str(if open { "</" } else { "<" });
                converted.push_str(tag);
                converted.push('>');
                open = !open;
            }
            converted.push_str(part);
        }
        if open {
            converted = rest.clone();
        }
        rest = converted;
    }
    rest
}

/// Renders the Markdown people write in comments (headings, lists, emphasis, code) as HTML.
pub fn markdown_to_html(text: &str) -> String {
    let mut html = String::new();
    let mut in_list = false;
    for block in text.replace("\r\n", "\n").split("\n\n") {
        for line in block.lines() {
            let trimmed = line.trim_start();
            if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
                if !in_list {
                    html.push_str("<ul>");
                    in_list = true;
                }
                html.push_str(&format!("<li>{}</li>", inline(item)));
                continue;
            }
            if in_list {
                html.push_str("</ul>");
                in_list = false;
            }
            let level = trimmed.chars().take_while(|c| *c == '#').count();
            if (1..=6).contains(&level) && trimmed[level..].starts_with(' ') {
                html.push_str(&format!("<h{level}>{}</h{level}>", inline(trimmed[level..].trim())));
            } else if !trimmed.is_empty() {
                html.push_str(&format!("<p>{}</p>", inline(trimmed)));
            }
        }
        if in_list {
            html.push_str("</ul>");
            in_list = false;
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_common_markdown() {
        let cases = [
            ("Hello **world**", "<p>Hello <strong>world</strong></p>"),
            ("# Title\n\n- a\n- `b`", "<h1>Title</h1><ul><li>a</li><li><code>b</code></li></ul>"),
            ("a < b *really*", "<p>a &lt; b <em>really</em></p>"),
            ("line one\nline two", "<p>line one</p><p>line two</p>"),
        ];
        for (md, want) in cases {
            assert_eq!(markdown_to_html(md), want, "{md}");
        }
    }
}
