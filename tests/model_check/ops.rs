//! What people (and the machine) do in a checked sequence: file edits, GitHub and Azure Boards
//! edits, runs, kills and faults; and the proptest strategies that generate (and shrink) them.

use std::fmt;

use proptest::prelude::*;

/// The items of the fixture backlog, addressed by index in the operations.
pub const ITEMS: [&str; 8] = ["EP-1", "EP-2", "ST-1", "ST-2", "ST-3", "ST-4", "ST-5", "RK-1"];

/// A story's index in `ITEMS` (stories carry the sentence fields and an epic).
pub fn is_story(item: usize) -> bool {
    ITEMS[item].starts_with("ST-")
}

/// One edit of a file in the backlog folder.
#[derive(Debug, Clone, PartialEq)]
pub enum FileEdit {
    Title(u8),
    /// The title becomes a story sentence ("As a …, I can …, so that …").
    SentenceTitle(u8),
    State(u8),
    Priority(u8),
    Tags(u8),
    /// 0: no owner, 1: alice (known everywhere), 2: dana (unknown until `Identities`).
    Owner(u8),
    Persona(u8),
    Activity(u8),
    Benefit(u8),
    Epic(u8),
    Body(u8),
    Delete,
    Restore,
    /// 0: a UTF-8 BOM, 1: broken YAML, 2: bytes that are not UTF-8, 3: no closing `---`.
    Break(u8),
    Fix,
}

/// One edit of an issue through the GitHub twin's REST API, as a person would make it.
#[derive(Debug, Clone, PartialEq)]
pub enum GithubEdit {
    Title(u8),
    /// 0: completed, 1: not planned.
    Close(u8),
    Reopen,
    /// Replaces the `status:` label: 0 new, 1 active, 2 resolved, 3 closed.
    Status(u8),
    Priority(u8),
    Tags(u8),
    /// 0: nobody, 1: alice-contoso, 2: dana-gh.
    Assignee(u8),
    /// 0 persona, 1 activity, 2 benefit; then the value.
    Section(u8, u8),
    /// Makes it a sub-issue of EP-1 (0) or EP-2 (1).
    Parent(u8),
    Delete,
}

/// One edit of a work item through the Azure twin's REST API.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardsEdit {
    Title(u8),
    /// 0 New, 1 Active, 2 Resolved, 3 Closed.
    State(u8),
    Priority(u8),
    Tags(u8),
    /// 0: nobody, 1: alice@contoso.com, 2: dana@contoso.com (unknown until `Identities`; kept
    /// sequences only, never generated).
    Owner(u8),
    Parent(u8),
    Delete,
    Restore,
}

/// Faults armed on both twins for the next run only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// 503 on 20 % of requests.
    ServerErrors,
    /// 429 with `Retry-After: 0` on 20 % of requests.
    RateLimited,
    /// The connection drops after the write was applied, on 20 % of writes.
    DropAfterWrite,
    /// Every Boards `$batch` and every PATCH is applied and its answer lost (a run killed after
    /// its writes landed); kept sequences only, never generated.
    DropEveryUpdateAnswer,
    /// Every create (a GitHub issue, an Azure work item) is applied and its answer lost, and the
    /// run cannot ask who it is (so cannot adopt what it made): each create is left to the next
    /// run, which finds it by its marker (a run killed after its creates); kept sequences only.
    DropEveryCreateAnswer,
    /// Every GitHub sub-issue link (the request that finishes a story's create) is applied and
    /// its answer lost; kept sequences only, never generated.
    DropEverySubIssueAnswer,
}

/// One step of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    File(usize, FileEdit),
    Github(usize, GithubEdit),
    Boards(usize, BoardsEdit),
    /// A person adds dana to `mappings/identities.toml` (GitHub `dana-gh`, Azure `dana@contoso.com`).
    Identities,
    /// `.backlog-sync/state.db` is lost.
    LoseState,
    /// `sync` in process.
    Sync,
    /// `reconcile` in process.
    Reconcile,
    /// `backlog-sync sync` as a real process, run to the end.
    ProcessSync,
    /// `backlog-sync sync` as a real process, SIGKILLed after this many milliseconds of requests
    /// (the twins hold each 3 ms): once the twins were asked a third as many requests.
    Kill(u16),
    /// The next run meets this fault.
    Faults(Fault),
    /// A person waits this many milliseconds before the next operation: GitHub's times are whole
    /// seconds, and `newest-wins` weighs them against a file's; kept sequences only, never
    /// generated (finding 60).
    Pause(u16),
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::File(i, e) => write!(f, "file {} {e:?}", ITEMS[*i]),
            Op::Github(i, e) => write!(f, "github {} {e:?}", ITEMS[*i]),
            Op::Boards(i, e) => write!(f, "boards {} {e:?}", ITEMS[*i]),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Which operation kinds a campaign may generate (the fixed set leaves out those whose findings
/// are fixed on another branch; see `mod.rs`).
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    pub retitle_sentence_items: bool,
    pub identities: bool,
    pub break_files: bool,
    pub lose_state: bool,
    pub kills: bool,
    pub boards_delete: bool,
    pub file_delete: bool,
    pub github_delete: bool,
}

impl Kinds {
    pub const ALL: Kinds = Kinds {
        retitle_sentence_items: true,
        identities: true,
        break_files: true,
        lose_state: true,
        kills: true,
        boards_delete: true,
        file_delete: true,
        github_delete: true,
    };
}

fn v() -> impl Strategy<Value = u8> {
    0u8..4
}

fn file_edit(kinds: Kinds) -> BoxedStrategy<FileEdit> {
    let mut all: Vec<(u32, BoxedStrategy<FileEdit>)> = vec![
        (4, v().prop_map(FileEdit::Title).boxed()),
        (3, v().prop_map(FileEdit::State).boxed()),
        (2, v().prop_map(FileEdit::Priority).boxed()),
        (2, v().prop_map(FileEdit::Tags).boxed()),
        (2, (0u8..3).prop_map(FileEdit::Owner).boxed()),
        (1, v().prop_map(FileEdit::Persona).boxed()),
        (1, v().prop_map(FileEdit::Activity).boxed()),
        (1, v().prop_map(FileEdit::Benefit).boxed()),
        (1, (0u8..2).prop_map(FileEdit::Epic).boxed()),
        (2, v().prop_map(FileEdit::Body).boxed()),
    ];
    if kinds.retitle_sentence_items {
        all.push((1, v().prop_map(FileEdit::SentenceTitle).boxed()));
    }
    if kinds.file_delete {
        all.push((1, Just(FileEdit::Delete).boxed()));
        all.push((2, Just(FileEdit::Restore).boxed()));
    }
    if kinds.break_files {
        all.push((2, v().prop_map(FileEdit::Break).boxed()));
        all.push((3, Just(FileEdit::Fix).boxed()));
    }
    proptest::strategy::Union::new_weighted(all).boxed()
}

fn github_edit(kinds: Kinds) -> BoxedStrategy<GithubEdit> {
    let delete = if kinds.github_delete { 1 } else { 0 };
    prop_oneof![
        4 => v().prop_map(GithubEdit::Title),
        1 => (0u8..2).prop_map(GithubEdit::Close),
        1 => Just(GithubEdit::Reopen),
        2 => v().prop_map(GithubEdit::Status),
        2 => v().prop_map(GithubEdit::Priority),
        2 => v().prop_map(GithubEdit::Tags),
        2 => (0u8..3).prop_map(GithubEdit::Assignee),
        2 => ((0u8..3), v()).prop_map(|(s, x)| GithubEdit::Section(s, x)),
        1 => (0u8..2).prop_map(GithubEdit::Parent),
        delete => Just(GithubEdit::Delete),
    ]
    .boxed()
}

fn boards_edit(kinds: Kinds) -> BoxedStrategy<BoardsEdit> {
    let delete = if kinds.boards_delete { 1 } else { 0 };
    prop_oneof![
        4 => v().prop_map(BoardsEdit::Title),
        3 => v().prop_map(BoardsEdit::State),
        2 => v().prop_map(BoardsEdit::Priority),
        2 => v().prop_map(BoardsEdit::Tags),
        2 => (0u8..2).prop_map(BoardsEdit::Owner),
        1 => (0u8..2).prop_map(BoardsEdit::Parent),
        delete => Just(BoardsEdit::Delete),
        2 * delete => Just(BoardsEdit::Restore),
    ]
    .boxed()
}

/// The item an edit may touch: without `retitle_sentence_items`, ST-1 (whose sentence lives in its
/// title) is left alone.
fn item(kinds: Kinds) -> BoxedStrategy<usize> {
    if kinds.retitle_sentence_items {
        (0..ITEMS.len()).boxed()
    } else {
        (0..ITEMS.len()).prop_filter("ST-1", |i| *i != 2).boxed()
    }
}

/// One operation.
pub fn op(kinds: Kinds) -> BoxedStrategy<Op> {
    let mut all: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (8, (item(kinds), file_edit(kinds)).prop_map(|(i, e)| Op::File(i, e)).boxed()),
        (7, (item(kinds), github_edit(kinds)).prop_map(|(i, e)| Op::Github(i, e)).boxed()),
        (7, (item(kinds), boards_edit(kinds)).prop_map(|(i, e)| Op::Boards(i, e)).boxed()),
        (6, Just(Op::Sync).boxed()),
        (3, Just(Op::Reconcile).boxed()),
        (
            2,
            prop_oneof![Just(Fault::ServerErrors), Just(Fault::RateLimited), Just(Fault::DropAfterWrite)]
                .prop_map(Op::Faults)
                .boxed(),
        ),
    ];
    if kinds.identities {
        all.push((1, Just(Op::Identities).boxed()));
    }
    if kinds.lose_state {
        all.push((1, Just(Op::LoseState).boxed()));
    }
    if kinds.kills {
        all.push((1, (0u16..150).prop_map(Op::Kill).boxed()));
        all.push((1, Just(Op::ProcessSync).boxed()));
    }
    proptest::strategy::Union::new_weighted(all).boxed()
}

/// A sequence: the conflict policy (0..4) and 32 to 40 operations. Each operation is generated
/// as `Some` (but for one in a thousand) and shrinks to `None` (left out), so a failing sequence
/// shrinks below 30.
pub fn sequence(kinds: Kinds) -> impl Strategy<Value = (u8, Vec<Option<Op>>)> {
    (0u8..4, proptest::collection::vec(proptest::option::weighted(0.999, op(kinds)), 32..40))
}

/// The conflict policy's name.
pub fn policy_name(p: u8) -> &'static str {
    ["canonical-wins", "remote-wins", "newest-wins", "manual"][p as usize % 4]
}
