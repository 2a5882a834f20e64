//! Table tests of the comment planner: each case is the comments on both sides and the store's
//! mirrors, and the steps the planner must answer.

use chrono::{TimeZone, Utc};

use super::marker::render;
use super::plan::{Action, ItemComments, Side, plan};
use super::{Comment, Origin, Tracker};
use crate::store::CommentMirror;

fn comment(id: &str, minute: u32, version: &str, text: &str) -> Comment {
    Comment {
        id: id.into(),
        author: "Ana".into(),
        created_at: Utc.with_ymd_and_hms(2026, 12, 3, 10, minute, 0).unwrap(),
        version: version.into(),
        text: text.into(),
        markdown: text.into(),
        url: format!("https://example.test/{id}"),
    }
}

fn gh_origin(id: &str) -> Origin {
    Origin { target: "github".into(), item: "7".into(), comment: id.into() }
}

fn az_origin(id: &str) -> Origin {
    Origin { target: "boards".into(), item: "42".into(), comment: id.into() }
}

/// The mirror on Boards of GitHub comment `of` (as it is now), with id `id`.
fn on_boards(id: &str, of: &Comment) -> Comment {
    let text = render(of, &gh_origin(&of.id), Tracker::Github, Tracker::AzureBoards);
    comment(id, 59, "1", &text)
}

/// The mirror on GitHub of Boards comment `of`, with id `id`.
fn on_github(id: &str, of: &Comment) -> Comment {
    let text = render(of, &az_origin(&of.id), Tracker::AzureBoards, Tracker::Github);
    comment(id, 59, "x", &text)
}

fn row(origin: &Origin, target: &str, mirror: &str, version: &str) -> CommentMirror {
    CommentMirror {
        item_id: "ST-1".into(),
        origin_target: origin.target.clone(),
        origin_item: origin.item.clone(),
        origin_comment: origin.comment.clone(),
        target: target.into(),
        mirror_comment: mirror.into(),
        origin_version: version.into(),
    }
}

fn item(github: Vec<Comment>, boards: Vec<Comment>, mirrors: Vec<CommentMirror>) -> ItemComments {
    ItemComments {
        item_id: "ST-1".into(),
        sides: vec![
            Side { target: "boards".into(), tracker: Tracker::AzureBoards, remote_id: "42".into(), comments: boards },
            Side { target: "github".into(), tracker: Tracker::Github, remote_id: "7".into(), comments: github },
        ],
        mirrors,
    }
}

/// The steps in short: `post boards <- github/100`, `edit github 9 <- boards/5`, …
fn short(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            Action::Post { target, origin, .. } => format!("post {target} <- {}/{}", origin.target, origin.comment),
            Action::Edit { target, comment, origin, .. } => {
                format!("edit {target} {comment} <- {}/{}", origin.target, origin.comment)
            }
            Action::Record { target, comment, origin, version } => {
                format!("record {target} {comment} <- {}/{}@{version}", origin.target, origin.comment)
            }
            Action::Delete { target, comment, forget, .. } => format!("delete {target} {comment} forget={forget}"),
            Action::Forget { target, origin } => format!("forget {target} <- {}/{}", origin.target, origin.comment),
        })
        .collect()
}

#[test]
fn the_planner_answers_each_case() {
    let q = comment("100", 1, "v1", "Is this ready?");
    let q2 = comment("100", 1, "v2", "Is this ready for Monday?");
    let a = comment("5", 2, "1", "<p>Yes, <strong>Friday</strong>.</p>");
    let cases: Vec<(&str, ItemComments, Vec<&str>)> = vec![
        ("nothing to say", item(vec![], vec![], vec![]), vec![]),
        (
            "a new GitHub comment goes to Boards",
            item(vec![q.clone()], vec![], vec![]),
            vec!["post boards <- github/100"],
        ),
        (
            "a question and its answer cross in conversation order",
            item(vec![q.clone()], vec![a.clone()], vec![]),
            vec!["post boards <- github/100", "post github <- boards/5"],
        ),
        (
            "mirrored and recorded: nothing (no echo)",
            item(
                vec![q.clone(), on_github("101", &a)],
                vec![a.clone(), on_boards("6", &q)],
                vec![row(&gh_origin("100"), "boards", "6", "v1"), row(&az_origin("5"), "github", "101", "1")],
            ),
            vec![],
        ),
        (
            "posted but not recorded (a crash): found by marker and recorded, not posted again",
            item(vec![q.clone()], vec![on_boards("6", &q)], vec![]),
            vec!["record boards 6 <- github/100@v1"],
        ),
        (
            "an edited original is followed",
            item(vec![q2.clone()], vec![on_boards("6", &q)], vec![row(&gh_origin("100"), "boards", "6", "v1")]),
            vec!["edit boards 6 <- github/100"],
        ),
        (
            "edited, and the crash came before the record: the edit is not sent twice",
            item(vec![q2.clone()], vec![on_boards("6", &q2)], vec![row(&gh_origin("100"), "boards", "6", "v1")]),
            vec!["record boards 6 <- github/100@v2"],
        ),
        (
            "a deleted original takes its mirror with it",
            item(vec![], vec![on_boards("6", &q)], vec![row(&gh_origin("100"), "boards", "6", "v1")]),
            vec!["delete boards 6 forget=true"],
        ),
        (
            "a deleted original whose mirror is gone too is forgotten",
            item(vec![], vec![], vec![row(&gh_origin("100"), "boards", "6", "v1")]),
            vec!["forget boards <- github/100"],
        ),
        (
            "a mirror deleted by hand stays deleted",
            item(vec![q.clone()], vec![], vec![row(&gh_origin("100"), "boards", "6", "v1")]),
            vec![],
        ),
        (
            "a second copy is deleted, the recorded one kept",
            item(
                vec![q.clone()],
                vec![on_boards("6", &q), on_boards("7", &q)],
                vec![row(&gh_origin("100"), "boards", "7", "v1")],
            ),
            vec!["delete boards 6 forget=false"],
        ),
        (
            "an unrecorded mirror of a deleted original is deleted",
            item(vec![], vec![on_boards("6", &q)], vec![]),
            vec!["delete boards 6 forget=false"],
        ),
        (
            "a mirror of another remote item (a relinked side) is left alone",
            item(vec![], vec![comment("6", 3, "1", "[//]: # (backlog-sync:comment github/8/100)\nold")], vec![]),
            vec![],
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(short(&plan(&input)), want, "{name}");
    }
}

#[test]
fn an_html_comment_from_boards_reaches_github_as_markdown_with_attribution() {
    let mut a = comment("5", 2, "1", "<p>Yes, <strong>Friday</strong>.</p>");
    a.markdown = "Yes, **Friday**.".into();
    a.author = "Jamal Hartnett".into();
    let actions = plan(&item(vec![], vec![a], vec![]));
    let Some(Action::Post { target, text, version, .. }) = actions.first() else { panic!("{actions:?}") };
    assert_eq!((target.as_str(), version.as_str()), ("github", "1"));
    assert_eq!(
        text,
        "<!-- backlog-sync:comment boards/42/5 -->\n**Jamal Hartnett** commented in Azure Boards on 2026-12-03 10:02 UTC \
         ([original](https://example.test/5)):\n\nYes, **Friday**."
    );
}
