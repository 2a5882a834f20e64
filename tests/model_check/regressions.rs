//! Sequences the checker found, kept as regression cases named after what they guard; each
//! names its finding.

use std::path::Path;
use std::sync::Arc;

use super::ops::{BoardsEdit, FileEdit, GithubEdit, Op};
use super::sequence::{self, Checks, Figures};
use super::world::Twins;

const ST_1: usize = 2;
const ST_2: usize = 3;
const ST_3: usize = 4;
const ST_4: usize = 5;
const ST_5: usize = 6;

/// Replays `ops` under policy `policy` (0 canonical-wins … 3 manual); the violations found.
fn replay(policy: u8, ops: &[Op]) -> Vec<String> {
    replay_checking(policy, ops, Checks::ALL)
}

/// Replays `ops` with only `checks` on (a sequence the fixed set found, with its checks).
fn replay_checking(policy: u8, ops: &[Op], checks: Checks) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let twins = rt.block_on(Twins::start());
    let figures = Arc::new(Figures::default());
    let binary = Path::new(env!("CARGO_BIN_EXE_backlog-sync"));
    rt.block_on(sequence::check(&twins, binary, policy, ops, checks, &figures))
}

#[test]
fn edits_on_three_sides_with_a_fault_and_a_kill_in_between_settle_with_no_loss() {
    let ops = [
        Op::Sync,
        Op::File(ST_2, FileEdit::Priority(0)),
        Op::Github(ST_3, GithubEdit::Title(1)),
        Op::Boards(ST_2, BoardsEdit::Title(2)),
        Op::Faults(super::ops::Fault::DropAfterWrite),
        Op::Sync,
        Op::Kill(40),
        Op::Reconcile,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn a_retitle_on_github_keeps_the_sentence_the_title_held() {
    let ops = [Op::Sync, Op::Github(ST_1, GithubEdit::Title(1)), Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn adding_a_person_to_identities_assigns_their_items_and_keeps_the_owner() {
    let ops = [Op::Sync, Op::Identities, Op::Reconcile];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn an_assignee_set_on_github_after_the_person_is_known_reaches_the_file() {
    let ops = [Op::Sync, Op::Identities, Op::Github(ST_3, GithubEdit::Assignee(2)), Op::Reconcile];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn a_sync_with_an_unreadable_file_names_the_file_it_skipped() {
    let ops = [Op::Sync, Op::File(ST_2, FileEdit::Break(0)), Op::Github(ST_2, GithubEdit::Title(1)), Op::ProcessSync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn under_manual_both_remotes_retitling_keeps_the_file_title() {
    let ops = [Op::Sync, Op::Github(ST_3, GithubEdit::Title(1)), Op::Boards(ST_3, BoardsEdit::Title(2)), Op::Sync];
    assert_eq!(replay_checking(3, &ops, super::fixed_set_checks()), Vec::<String>::new());
}

#[test]
fn the_first_sync_after_the_state_database_is_lost_links_sub_issues_again() {
    let ops = [Op::Sync, Op::LoseState, Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]

fn a_file_edit_of_an_item_deleted_in_boards_does_not_fail_the_sync() {
    let ops = [Op::Sync, Op::Boards(ST_4, BoardsEdit::Delete), Op::File(ST_4, FileEdit::Body(1)), Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]

fn a_file_deleted_while_its_work_item_is_edited_in_boards_closes_it_without_a_412() {
    let ops = [Op::Sync, Op::File(ST_5, FileEdit::Delete), Op::Boards(ST_5, BoardsEdit::Title(0)), Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn a_boards_edit_after_a_reconcile_that_lost_answers_reaches_the_file_without_a_412() {
    let ops = [
        Op::Sync,
        Op::Faults(super::ops::Fault::DropAfterWrite),
        Op::File(ST_5, FileEdit::Title(1)),
        Op::Reconcile,
        Op::Boards(ST_5, BoardsEdit::Title(0)),
        Op::File(ST_5, FileEdit::Priority(1)),
        Op::Sync,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn clearing_the_assignee_in_boards_of_an_item_boards_cannot_assign_keeps_the_file_owner() {
    let ops = [Op::Sync, Op::Boards(ST_3, BoardsEdit::Owner(0)), Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn an_owner_no_target_knows_survives_edits_deletes_and_faults() {
    use super::ops::Fault;
    const EP_1: usize = 0;
    const EP_2: usize = 1;
    let ops = [
        Op::Github(EP_1, GithubEdit::Priority(0)),
        Op::Reconcile,
        Op::Boards(EP_1, BoardsEdit::Priority(1)),
        Op::File(EP_1, FileEdit::Tags(1)),
        Op::Reconcile,
        Op::Reconcile,
        Op::Boards(EP_1, BoardsEdit::Priority(0)),
        Op::Kill(80),
        Op::Boards(ST_5, BoardsEdit::State(2)),
        Op::File(EP_2, FileEdit::Fix),
        Op::Boards(EP_1, BoardsEdit::Title(0)),
        Op::Reconcile,
        Op::Boards(ST_4, BoardsEdit::Priority(3)),
        Op::Reconcile,
        Op::File(ST_4, FileEdit::State(0)),
        Op::Reconcile,
        Op::File(ST_2, FileEdit::SentenceTitle(1)),
        Op::Github(EP_2, GithubEdit::Priority(1)),
        Op::Boards(ST_3, BoardsEdit::Owner(0)),
        Op::Boards(ST_3, BoardsEdit::Title(1)),
        Op::Sync,
        Op::Boards(ST_5, BoardsEdit::Parent(0)),
        Op::Github(ST_5, GithubEdit::Priority(0)),
        Op::Github(EP_2, GithubEdit::Delete),
        Op::Boards(ST_2, BoardsEdit::Title(1)),
        Op::Faults(Fault::RateLimited),
        Op::Faults(Fault::DropAfterWrite),
        Op::Sync,
        Op::Sync,
        Op::Reconcile,
        Op::Sync,
        Op::Boards(ST_3, BoardsEdit::Tags(3)),
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn a_story_whose_epic_issue_was_deleted_on_github_syncs_without_a_410() {
    const EP_2: usize = 1;
    let ops = [
        Op::Sync,
        Op::Github(EP_2, GithubEdit::Delete),
        Op::Boards(ST_3, BoardsEdit::State(2)),
        Op::File(ST_4, FileEdit::Title(1)),
        Op::Sync,
        Op::Sync,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

#[test]
fn github_edits_survive_an_unreadable_epic_faults_and_a_kill() {
    let ops = [
        Op::Faults(super::ops::Fault::DropAfterWrite),
        Op::Sync,
        Op::Github(5, GithubEdit::Priority(2)),
        Op::Github(3, GithubEdit::Title(2)),
        Op::File(6, FileEdit::Title(1)),
        Op::Faults(super::ops::Fault::DropAfterWrite),
        Op::Github(7, GithubEdit::Tags(2)),
        Op::Github(6, GithubEdit::Priority(1)),
        Op::File(1, FileEdit::Title(2)),
        Op::Github(4, GithubEdit::Assignee(0)),
        Op::Boards(3, BoardsEdit::State(3)),
        Op::File(0, FileEdit::Break(3)),
        Op::Reconcile,
        Op::Faults(super::ops::Fault::DropAfterWrite),
        Op::Github(5, GithubEdit::Tags(2)),
        Op::Boards(7, BoardsEdit::Title(0)),
        Op::Boards(1, BoardsEdit::Priority(2)),
        Op::File(1, FileEdit::Fix),
        Op::Github(3, GithubEdit::Title(3)),
        Op::Boards(7, BoardsEdit::Tags(3)),
        Op::Boards(7, BoardsEdit::Tags(3)),
        Op::Github(4, GithubEdit::Tags(2)),
        Op::Kill(103),
        Op::Boards(4, BoardsEdit::State(2)),
        Op::Boards(0, BoardsEdit::Priority(3)),
        Op::Sync,
        Op::Github(5, GithubEdit::Assignee(0)),
        Op::Boards(7, BoardsEdit::Title(3)),
        Op::File(5, FileEdit::Title(0)),
        Op::Github(7, GithubEdit::Priority(0)),
        Op::Boards(7, BoardsEdit::Title(0)),
        Op::Github(7, GithubEdit::Priority(0)),
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Seen in the fixed set (seed 13, 32 operations), shrunk by hand to its two forms: a story's
/// parent changed on GitHub around a lost `state.db` was overwritten by the file's epic with no
/// conflict, because the parent, not linked yet, listed as an unknown epic.
#[test]
fn a_parent_changed_on_github_around_a_lost_state_database_is_merged_not_overwritten() {
    let edit_then_lose = [Op::Sync, Op::Github(ST_4, GithubEdit::Parent(0)), Op::LoseState, Op::Sync];
    assert_eq!(replay(0, &edit_then_lose), Vec::<String>::new());
    let lose_then_edit = [Op::Sync, Op::LoseState, Op::Github(ST_4, GithubEdit::Parent(0)), Op::Sync];
    assert_eq!(replay(0, &lose_then_edit), Vec::<String>::new());
}

/// Seen in the fixed set with unknown owners checked (seed 13), shrunk by hand. Boards never
/// showed dana (it could not assign her), so a person "clearing" the empty Boards assignee after
/// dana was added changes nothing there; the sync then assigns dana as the file says (gaining an
/// identity assigns). The model counted the no-op clear as an edit of "" and reported it lost; it
/// now tells an edit by what the side holds, not by what the engine's view of it shows.
#[test]
fn clearing_an_empty_boards_assignee_after_the_owner_became_known_is_no_edit() {
    let ops = [Op::Sync, Op::Identities, Op::Boards(ST_3, BoardsEdit::Owner(0)), Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Found by the fixed set (sequence 3 of seed 13, manual, 32 operations), shrunk by hand: after
/// `state.db` was lost, ST-4's link was found again with its GitHub title in conflict, so the
/// title's base is unknown (stored as ""); closing the issue when ST-4.md was deleted sent that
/// base as the issue's content, and GitHub refused an issue without a title (HTTP 422
/// `Issue.title missing_field`). A close now sends what the remote holds.
#[test]
fn a_deleted_file_after_the_state_is_lost_never_sends_an_issue_without_a_title() {
    let ops = [
        Op::Sync,
        Op::Github(ST_4, GithubEdit::Title(3)),
        Op::LoseState,
        Op::Sync,
        Op::File(ST_4, FileEdit::Delete),
        Op::Sync,
    ];
    assert_eq!(replay_checking(3, &ops, super::fixed_set_checks()), Vec::<String>::new());
}

/// Found by the fixed set (sequence 15 of seed 13, newest-wins), shrunk by hand: after `state.db`
/// was lost, ST-1 (whose sentence lives in its title) was retitled in the file; the link found
/// again has no base, so the sentence was not kept and went out as "" everywhere. The target's
/// own value stands in for the base.
#[test]
fn a_retitle_after_the_state_is_lost_keeps_the_sentence_the_title_held() {
    let ops = [Op::Sync, Op::LoseState, Op::File(ST_1, FileEdit::Title(0)), Op::Reconcile];
    assert_eq!(replay(2, &ops), Vec::<String>::new());
}

/// Found by the fixed set (sequence 9 of seed 13), shrunk by hand: ST-1 retitled in the file
/// before any sync. The sentence lived only in the file's old title, so the retitle is the
/// file's edit of persona, activity and benefit (the model counted the derived values as kept).
#[test]
fn a_retitle_before_the_first_sync_takes_the_sentence_with_it() {
    let ops = [Op::File(ST_1, FileEdit::Title(1)), Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Found by the fixed set with unknown owners checked (sequence 39 of seed 13, remote-wins),
/// shrunk by hand: ST-3 is owned by dana, whom no target knows, so no target was assigned; then
/// `state.db` is lost and dana is added to `identities.toml`. The links found again have no base,
/// the targets now carry dana and show nobody, and the no-base rule settles the difference by the
/// policy: remote-wins clears `owner:` in the file, although no one cleared it anywhere.
/// Fixed (mc-owners): with no base, a remote showing no owner where the file names one is no
/// edit (merge `merge_unbased`); the file's owner is kept and assigned.
#[test]
fn an_owner_no_target_knew_survives_a_lost_state_database_and_the_person_being_added() {
    let ops = [Op::Sync, Op::LoseState, Op::Identities, Op::Sync];
    assert_eq!(replay(1, &ops), Vec::<String>::new());
}

/// Found by the fixed set (sequence 69 of seed 13, canonical-wins), kept as proptest left it: the
/// clean `sync` after EP-2's work item was deleted in Boards fails ST-4 on Boards with "HTTP 400
/// TF201035: The link between work items 7 and 2 already exists" (a parent relation added again).
#[test]
fn a_story_under_an_epic_deleted_in_boards_is_not_linked_to_it_twice() {
    use super::ops::Fault;
    const EP_1: usize = 0;
    const EP_2: usize = 1;
    const RK_1: usize = 7;
    let ops = [
        Op::ProcessSync,
        Op::File(EP_1, FileEdit::Owner(1)),
        Op::Github(EP_1, GithubEdit::Reopen),
        Op::Kill(15),
        Op::LoseState,
        Op::Boards(ST_3, BoardsEdit::Tags(0)),
        Op::Sync,
        Op::File(ST_3, FileEdit::Break(1)),
        Op::Faults(Fault::ServerErrors),
        Op::Boards(ST_1, BoardsEdit::Owner(1)),
        Op::File(RK_1, FileEdit::Title(2)),
        Op::Faults(Fault::DropAfterWrite),
        Op::File(ST_2, FileEdit::Restore),
        Op::Kill(48),
        Op::Reconcile,
        Op::Github(EP_1, GithubEdit::Assignee(2)),
        Op::Boards(EP_1, BoardsEdit::Owner(1)),
        Op::Github(ST_2, GithubEdit::Assignee(2)),
        Op::File(ST_2, FileEdit::Delete),
        Op::File(ST_4, FileEdit::Benefit(0)),
        Op::Boards(EP_2, BoardsEdit::Delete),
        Op::Github(EP_2, GithubEdit::Parent(0)),
        Op::Boards(ST_3, BoardsEdit::Priority(0)),
        Op::Sync,
        Op::Sync,
        Op::Github(EP_1, GithubEdit::Section(0, 3)),
        Op::Github(EP_1, GithubEdit::Parent(1)),
        Op::Github(ST_2, GithubEdit::Priority(3)),
        Op::Faults(Fault::RateLimited),
        Op::File(ST_2, FileEdit::State(0)),
        Op::Sync,
    ];
    assert_eq!(replay_checking(0, &ops, super::fixed_set_checks()), Vec::<String>::new());
}

// mc-boards

/// Finding 16, shrunk by hand from sequence 69 of seed 13 (the 31 operations above): EP-2's
/// work item is deleted in Boards, then ST-4 is moved under EP-1 in the file. Boards hides the
/// link to a deleted item, yet the twin counted it when checking a write, so the new parent was
/// refused as a second one ("TF201036: … only one Parent link"); with the same parent added again
/// it was "TF201035: The link … already exists". The twin now checks a write against the links
/// the client sees, and a new parent replaces the hidden one.
#[test]
fn a_story_moved_off_an_epic_deleted_in_boards_gets_its_new_parent() {
    const EP_2: usize = 1;
    let ops = [Op::Sync, Op::Boards(EP_2, BoardsEdit::Delete), Op::File(ST_4, FileEdit::Epic(0)), Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Finding 16's second cause: sequence 30 of seed 13 (canonical-wins), kept as proptest left it
/// (shrinking ran out of time). EP-1's work item is deleted in Boards and its issue on GitHub,
/// so a later `sync` takes ST-2 and ST-5 off EP-1. Boards hides their links to the deleted epic
/// without a new revision, and the adapter wrote from the items it remembered at that revision:
/// "remove `/relations/0`" was refused ("The relation at index 0 does not exist on work item
/// 5"). A parent change now reads the item's links afresh.
#[test]
fn stories_under_an_epic_deleted_in_boards_are_written_from_the_links_boards_shows() {
    use super::ops::Fault;
    const EP_1: usize = 0;
    let ops = [
        Op::Github(EP_1, GithubEdit::Priority(0)),
        Op::Sync,
        Op::Sync,
        Op::Github(ST_1, GithubEdit::Delete),
        Op::Reconcile,
        Op::Reconcile,
        Op::Sync,
        Op::File(EP_1, FileEdit::Fix),
        Op::Boards(ST_3, BoardsEdit::Title(2)),
        Op::Boards(ST_1, BoardsEdit::Delete),
        Op::Boards(ST_3, BoardsEdit::Title(1)),
        Op::Kill(104),
        Op::Reconcile,
        Op::Boards(ST_1, BoardsEdit::Delete),
        Op::Boards(ST_1, BoardsEdit::State(1)),
        Op::File(EP_1, FileEdit::Break(0)),
        Op::Faults(Fault::DropAfterWrite),
        Op::Github(ST_2, GithubEdit::Priority(2)),
        Op::Boards(ST_5, BoardsEdit::Tags(0)),
        Op::File(ST_3, FileEdit::Restore),
        Op::Github(EP_1, GithubEdit::Section(2, 1)),
        Op::Sync,
        Op::Sync,
        Op::Boards(EP_1, BoardsEdit::Delete),
        Op::Sync,
        Op::Sync,
        Op::Sync,
        Op::Boards(EP_1, BoardsEdit::Title(1)),
        Op::Github(EP_1, GithubEdit::Delete),
        Op::Boards(EP_1, BoardsEdit::State(1)),
        Op::Boards(ST_4, BoardsEdit::Parent(1)),
    ];
    assert_eq!(replay_checking(0, &ops, super::fixed_set_checks()), Vec::<String>::new());
}

// mc-manual: `manual` taking a remote's value while the field is in conflict (finding 18), and a
// story's `epic` disagreeing after a clean run (finding 19).

/// Policy `manual` (3 in `ops::policy_name`).
const MANUAL: u8 = 3;

/// Finding 18, shrunk by hand: the file and GitHub retitled ST-3 differently (a conflict, left
/// for a person); Boards, which had taken the file's title, then retitles it too. The file took
/// Boards' title while the field was still in conflict with GitHub.
#[test]
fn under_manual_a_boards_retitle_while_the_title_is_in_conflict_with_github_keeps_the_file_title() {
    let ops = [
        Op::Sync,
        Op::File(ST_3, FileEdit::Title(0)),
        Op::Github(ST_3, GithubEdit::Title(1)),
        Op::Sync,
        Op::Boards(ST_3, BoardsEdit::Title(2)),
        Op::Sync,
    ];
    assert_eq!(replay_checking(MANUAL, &ops, super::fixed_set_checks()), Vec::<String>::new());
}

/// Finding 18 as the campaign found it (sequence 1 of seed 2026 under `manual`, RK-1's title),
/// shrunk by hand: after `state.db` was lost, GitHub's retitle is a conflict with no base; a
/// later Boards retitle was taken into the file while that conflict was open.
#[test]
fn under_manual_a_boards_retitle_while_a_conflict_found_after_the_state_was_lost_is_open_keeps_the_file_title() {
    let ops = [
        Op::Sync,
        Op::Github(ST_3, GithubEdit::Title(1)),
        Op::LoseState,
        Op::Sync,
        Op::Boards(ST_3, BoardsEdit::Title(2)),
        Op::Sync,
    ];
    assert_eq!(replay_checking(MANUAL, &ops, super::fixed_set_checks()), Vec::<String>::new());
}

/// Finding 19, shrunk by hand: GitHub moves ST-4 from EP-2 to EP-1 while EP-2's work item is
/// deleted in Boards (ST-4 lists there with no parent). Under remote-wins the merged epic is ""
/// and the GitHub update took ST-4 off the parent its base named (EP-2), which it no longer had:
/// after the clean run the file and Boards say "" and GitHub `EP-1`.
#[test]
fn a_story_moved_on_github_and_cleared_elsewhere_leaves_the_parent_it_has_now() {
    const EP_2: usize = 1;
    let ops = [Op::Sync, Op::Github(ST_4, GithubEdit::Parent(0)), Op::Boards(EP_2, BoardsEdit::Delete), Op::Reconcile];
    assert_eq!(replay_checking(1, &ops, super::fixed_set_checks()), Vec::<String>::new());
}

// mc-owners

/// Found by the fixed set with owners no target knows checked (sequence 43 of seed 13,
/// remote-wins, 32 operations), shrunk by hand: ST-3 is owned by dana, whom no target knows; a
/// person assigns alice to its issue on GitHub. That assignment was held like the owner GitHub
/// could not carry, and once dana was added it settled against dana as a conflict, so the file's
/// owner changed with no edit in sight. A person assigned there since the base is now that
/// person's edit: it reaches the file and Boards in the next run.
#[test]
fn an_assignee_set_on_github_while_the_file_owner_is_unknown_there_reaches_the_file() {
    for policy in [0, 1] {
        let ops = [Op::Sync, Op::Github(ST_3, GithubEdit::Assignee(1)), Op::Sync, Op::Identities, Op::Sync];
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Found by the fixed set with owners no target knows checked (sequence 49 of seed 13,
/// canonical-wins, 30 operations), shrunk by hand: a person assigns `dana-gh` to ST-1's issue
/// before `identities.toml` names dana, then dana is added. The sync takes the assignment into the
/// file (a remote edit); the model had not seen it (an unknown assignee reads as no owner) and
/// reported the owner changed with no edit. The model now records what the new identity shows.
#[test]
fn an_assignee_unknown_on_github_until_the_person_is_added_reaches_the_file() {
    let ops = [Op::Sync, Op::Github(ST_1, GithubEdit::Assignee(2)), Op::Identities, Op::Reconcile];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Found by the fixed set with owners no target knows checked (sequence 51 of seed 13,
/// canonical-wins, 28 operations), shrunk by hand: ST-3 (owned by dana, whom no target knows)
/// becomes unreadable. The model's view of a remote owner follows the file's owner, which it no
/// longer reads, so the untouched item seemed to change on both remotes ("owner" appeared). The
/// model now compares what the remotes hold.
#[test]
fn an_unreadable_file_whose_owner_no_target_knows_is_left_alone_on_both_remotes() {
    let ops = [Op::Sync, Op::File(ST_3, FileEdit::Break(2)), Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

// mc-kill
/// Finding 11b (the 32 operations of finding 11, where it failed about 1 run in 18 under load):
/// Boards fills in a priority the create did not send, so a create is finished by a later write
/// at the end of the run, and until then the link's base says what Boards holds ("2"). When that
/// write landed but its answer was lost (or the run was killed right after it), the base kept
/// "2", Boards held the file's "", and the next run read Boards clearing the priority as a
/// person's edit, which overwrote the priority set on GitHub meanwhile, with no conflict.
#[test]
fn a_github_edit_survives_a_boards_create_whose_finishing_write_lost_its_answer() {
    let ops = [
        Op::Faults(super::ops::Fault::DropEveryUpdateAnswer),
        Op::Sync,
        Op::Github(ST_5, GithubEdit::Priority(1)),
        Op::Sync,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

// mc-more

/// Finding 20 (sequence 117 of seed 7, its first eleven operations as found): a create whose
/// sub-issue request lost its answer is left to the next run, which finds the issue by its
/// marker. GitHub sets an open state in the create's first request, yet the state the issue
/// showed was taken as the base, so a GitHub state edit made in between ("resolved") read as no
/// edit and the file's "new" went out over it. Under every policy.
#[test]
fn a_github_state_edit_on_an_issue_whose_create_lost_its_answer_reaches_the_file() {
    use super::ops::Fault;
    const EP_2: usize = 1;
    const RK_1: usize = 7;
    let ops = [
        Op::Github(EP_2, GithubEdit::Priority(0)),
        Op::Identities,
        Op::Faults(Fault::DropAfterWrite),
        Op::Boards(ST_2, BoardsEdit::Tags(3)),
        Op::File(RK_1, FileEdit::Break(1)),
        Op::Boards(ST_4, BoardsEdit::Title(2)),
        Op::Boards(ST_3, BoardsEdit::Title(0)),
        Op::Github(ST_4, GithubEdit::Close(0)),
        Op::Sync,
        Op::Github(ST_2, GithubEdit::Status(2)),
        Op::Sync,
    ];
    for policy in 0..4 {
        assert_eq!(replay_checking(policy, &ops, super::fixed_set_checks()), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 21 (sequence 28 of seed 99 under `manual`, 34 operations), shrunk by hand: after
/// `state.db` was lost, the first `sync` lists everything while ST-4's file is unreadable; its
/// issue (retitled on GitHub meanwhile) carries ST-4's marker but is linked to nothing, and the
/// watermark moved past it. Once the file reads again, the next incremental `sync` did not list
/// it and planned to create ST-4 anew; GitHub's retitle stayed on GitHub with no conflict.
#[test]
fn an_item_unreadable_when_the_state_was_lost_is_merged_with_its_issue_once_it_reads() {
    const MANUAL: u8 = 3;
    let ops = [
        Op::Sync,
        Op::Github(ST_4, GithubEdit::Title(3)),
        Op::Boards(ST_4, BoardsEdit::Title(2)),
        Op::LoseState,
        Op::File(ST_4, FileEdit::Break(3)),
        Op::Sync,
        Op::Sync,
        Op::File(ST_4, FileEdit::Fix),
        Op::Sync,
    ];
    for policy in [MANUAL, 0] {
        assert_eq!(replay_checking(policy, &ops, super::fixed_set_checks()), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 22 (sequence 33 of seed 13, 32 operations; seen once the checker counted marked items
/// the listing leaves out), shrunk by hand: EP-2.md is deleted and `state.db` lost before any run
/// sees the deletion; a full `reconcile` lists EP-2's issue and work item, linked to nothing and
/// with no file, and moves the watermark past them; once the file is restored, the next `sync`
/// does not list them and creates EP-2 again on both targets. Fixed: the run remembers them
/// (store `orphans`) and reads them by their id once the file is back, so it links them.
#[test]
fn a_file_restored_after_the_state_was_lost_is_not_created_twice() {
    const EP_2: usize = 1;
    let ops = [
        Op::Sync,
        Op::File(EP_2, FileEdit::Delete),
        Op::LoseState,
        Op::Reconcile,
        Op::File(EP_2, FileEdit::Restore),
        Op::Sync,
    ];
    assert_eq!(replay_checking(0, &ops, super::fixed_set_checks()), Vec::<String>::new());
}

// mc-owner2

/// Finding 23 (sequence 88 of seed 2026, 11 operations), shrunk by hand: ST-2 (alice) is given to
/// dana, whom no target knows, and `state.db` is lost before any run. The run that finds the items
/// again adopts them with an empty base for the owner the targets cannot carry, so the next run
/// read alice, still assigned on GitHub, as a person's new assignment and took it into the file.
#[test]
fn an_assignee_a_target_held_before_the_state_was_lost_is_no_edit_of_an_owner_it_cannot_carry() {
    let ops = [Op::Sync, Op::File(ST_2, FileEdit::Owner(2)), Op::LoseState, Op::Reconcile, Op::Sync];
    for policy in [0, 1] {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 23, the other way round (sequence 212 of seed 2026), shrunk by hand: with `state.db`
/// lost, a person assigns alice on GitHub to ST-3 (owned by dana, whom no target knows). With no
/// base, nothing tells that from an assignee held before, so it is a conflict naming both.
#[test]
fn an_assignee_set_after_the_state_was_lost_on_an_owner_a_target_cannot_carry_is_named_by_a_conflict() {
    let ops = [Op::Sync, Op::LoseState, Op::Github(ST_3, GithubEdit::Assignee(1)), Op::Sync, Op::Sync];
    for policy in [0, 1] {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 24 (sequences 127 and 252 of seed 2026, 30 and 17 operations), shrunk by hand: a person
/// assigns `dana-gh` to EP-1's issue before `identities.toml` names dana; the runs that list the
/// issue see no owner edit (an assignee naming nobody known reads as nothing) and the watermark
/// moves past it; dana is added, and the next incremental `sync` does not list the unchanged
/// issue: the assignment never reaches the file and Boards. A full `reconcile` takes it
/// (`an_assignee_unknown_on_github_until_the_person_is_added_reaches_the_file`).
#[test]
fn an_assignee_unknown_on_github_until_the_person_is_added_reaches_the_file_in_the_next_sync() {
    const EP_1: usize = 0;
    let ops = [Op::Sync, Op::Github(EP_1, GithubEdit::Assignee(2)), Op::Reconcile, Op::Sync, Op::Identities, Op::Sync];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

// mc-owner3

/// Finding 30 (sequences 502, 793 and 1339 of seed 2026; 793 is `Kill(141)`, two file edits,
/// `Identities`, `Sync`), shrunk by hand: the create of ST-3's issue (owned by dana, whom no target
/// knows) lands but the run cannot finish it (the answer lost and the lost create not adopted in
/// the run, as a kill right after it leaves it), so the next run finds it by its marker with what
/// the create sent as its base: dana, which GitHub could not carry. Once dana is added, the issue
/// showing nobody read as a person clearing the owner, and the file lost `dana@contoso.com`.
#[test]
fn a_create_whose_answer_was_lost_before_the_owner_became_known_keeps_the_file_owner() {
    let ops = [Op::Faults(super::ops::Fault::DropEveryCreateAnswer), Op::Sync, Op::Identities, Op::Sync];
    for policy in [0, 1] {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 31 (sequence 1758 of seed 2026, 23 operations), shrunk by hand: in the same interval
/// a person assigns alice to ST-5 on GitHub and gives ST-5.md to dana, whom no target knows. The
/// assignment was taken as the only change (finding O-1's rule, meant for a file owner the target
/// could never carry) and dana was replaced with no conflict naming her. Both are edits: the
/// policy settles them and a conflict names both. Under every policy; and the same with the file
/// retitled instead (dana owned ST-3 all along): under `manual` the conflict stays open, the run
/// after does not take alice as if nothing were in conflict.
#[test]
fn an_assignee_set_on_github_while_the_file_gives_the_item_to_an_unknown_owner_is_a_conflict() {
    let ops = [Op::Sync, Op::Github(ST_5, GithubEdit::Assignee(1)), Op::File(ST_5, FileEdit::Owner(2)), Op::Sync];
    let retitled =
        [Op::Sync, Op::Github(ST_3, GithubEdit::Assignee(1)), Op::File(ST_3, FileEdit::Title(1)), Op::Sync, Op::Sync];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
        assert_eq!(replay(policy, &retitled), Vec::<String>::new(), "retitled, policy {policy}");
    }
}

/// Finding 32 (sequence 1866 of seed 2026, 22 operations), shrunk by hand: Boards assigns alice
/// to ST-3 (dana's, whom no target knows); `state.db` is lost, and the run that finds the links
/// again names alice in a conflict settled for the file (finding 23). `state.db` is lost again
/// and dana added: with no base, dana against alice is a difference the policy settles (README
/// "No base, no guess"); remote-wins takes alice. The model counted that as a change with no
/// edit, its view having hidden the standing difference.
#[test]
fn an_assignee_a_target_kept_through_two_lost_states_is_settled_by_the_policy_once_the_owner_is_known() {
    let ops = [
        Op::Sync,
        Op::Boards(ST_3, BoardsEdit::Owner(1)),
        Op::LoseState,
        Op::Sync,
        Op::LoseState,
        Op::Identities,
        Op::Sync,
    ];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 33 (sequences 2683 and 3571 of seed 2026, 27 and 33 operations), shrunk by hand, two
/// shapes of one model fault: a person who undoes their own edit before any run (GitHub clears
/// RK-1's assignee alice, the file gives RK-1 to dana, GitHub assigns alice again), and a person
/// who replaces their assignment with someone no identity names (GitHub assigns alice to EP-1,
/// then `dana-gh` before dana is known: read as no owner). Neither leaves an edit a sync can see;
/// the model kept the first edit as pending and called it lost.
#[test]
fn an_assignment_undone_or_replaced_with_an_unknown_person_before_a_run_is_no_edit_to_keep() {
    const EP_1: usize = 0;
    const RK_1: usize = 7;
    let undone = [
        Op::Sync,
        Op::Github(RK_1, GithubEdit::Assignee(0)),
        Op::File(RK_1, FileEdit::Owner(2)),
        Op::Github(RK_1, GithubEdit::Assignee(1)),
        Op::Sync,
    ];
    let replaced =
        [Op::Sync, Op::Github(EP_1, GithubEdit::Assignee(1)), Op::Github(EP_1, GithubEdit::Assignee(2)), Op::Sync];
    for policy in [0, 1] {
        assert_eq!(replay(policy, &undone), Vec::<String>::new(), "undone, policy {policy}");
        assert_eq!(replay(policy, &replaced), Vec::<String>::new(), "replaced, policy {policy}");
    }
}

/// Finding 34 (sequence 5849 of seed 2026, 17 operations), shrunk by hand: RK-1.md (alice's) is
/// given to dana, whom no target knows, and synced (both targets keep alice, which stays their
/// base for the owner they cannot carry); Boards clears the assignee and the file gives RK-1 back
/// to alice; `sync`. Both are edits: the file's alice equals the base, but the link kept the
/// file's dana beside it, so it is a conflict the policy settles and names, in every policy.
#[test]
fn a_file_owner_given_back_to_the_person_a_target_kept_while_boards_clears_it_is_a_conflict() {
    const RK_1: usize = 7;
    let ops = [
        Op::Sync,
        Op::File(RK_1, FileEdit::Owner(2)),
        Op::Sync,
        Op::Boards(RK_1, BoardsEdit::Owner(0)),
        Op::File(RK_1, FileEdit::Owner(1)),
        Op::Sync,
    ];
    for policy in 0..=3 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

// mc-f24

/// Finding 24 through Boards: a person assigns dana (`dana@contoso.com`) to EP-1's work item
/// before `identities.toml` names her; it reads as no owner and the watermark moves past it.
/// Once she is added, the next incremental `sync` lists Boards in full (its identities changed
/// since its last listing) and the assignment reaches the file and GitHub.
#[test]
fn an_assignee_unknown_on_boards_until_the_person_is_added_reaches_the_file_in_the_next_sync() {
    const EP_1: usize = 0;
    let ops = [Op::Sync, Op::Boards(EP_1, BoardsEdit::Owner(2)), Op::Sync, Op::Identities, Op::Sync];
    for policy in [0, 1] {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

// mc-other

/// Finding 40 (sequences 1259 and 1531 of seed 2026), shrunk by hand: GitHub moves ST-4 under
/// EP-1 while EP-2's work item goes to the recycle bin in Boards. Boards then hides ST-4's link
/// to EP-2, which the model took for a person clearing ST-4's epic there; deleting an epic is no
/// edit of its stories' epic: GitHub's move stands everywhere.
#[test]
fn a_story_moved_on_github_while_its_epic_is_deleted_in_boards_takes_the_move() {
    const EP_2: usize = 1;
    let ops = [
        Op::Sync,
        Op::Sync,
        Op::Github(ST_4, GithubEdit::Tags(1)),
        Op::Github(ST_4, GithubEdit::Parent(0)),
        Op::File(ST_3, FileEdit::State(0)),
        Op::Boards(EP_2, BoardsEdit::Delete),
        Op::Sync,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Finding 40 (sequences 389 and 821 of seed 2026, 28 operations), shrunk by hand: EP-1's work
/// item is deleted in Boards, then ST-1 is retitled there; the listing shows ST-1 with no parent
/// (Boards hides the link to an item in the recycle bin), which read as Boards clearing ST-1's
/// epic and went into the file and to GitHub. Once EP-1 is restored, Boards shows the link again
/// and the sides disagreed. Fixed: a story that shows no parent where its base's epic is gone
/// on that target keeps its epic.
#[test]
fn a_story_edited_in_boards_while_its_epic_is_in_the_recycle_bin_keeps_its_epic() {
    const EP_1: usize = 0;
    let ops = [
        Op::Sync,
        Op::Boards(EP_1, BoardsEdit::Delete),
        Op::Boards(ST_1, BoardsEdit::Title(0)),
        Op::Sync,
        Op::Boards(EP_1, BoardsEdit::Restore),
        Op::Sync,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Finding 40 after the state was lost (sequence 821 of seed 2026, 31 operations), shrunk by
/// hand: EP-1's work item is deleted in Boards and a `reconcile` marks EP-1 removed; after
/// `state.db` is lost, ST-1's work item, found by its marker with no base, shows no parent (the
/// link to the recycle bin is hidden), and the policy took that "" into the file and to GitHub.
/// Fixed: a story found with no base whose file's epic has nothing here to link to keeps it.
#[test]
fn a_story_found_after_the_state_was_lost_under_an_epic_deleted_in_boards_keeps_its_epic() {
    const EP_1: usize = 0;
    let ops = [Op::Sync, Op::Boards(EP_1, BoardsEdit::Delete), Op::Reconcile, Op::LoseState, Op::Sync, Op::Sync];
    for policy in [0, 1] {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 42 (sequences 235, 1531, 1549, 2191 … of seed 2026: every "2 remote items on Boards
/// carry its marker" of the campaign), shrunk by hand: a work item deleted in Boards before any
/// run saw it, and `state.db` lost; the full listing does not show the work item in the recycle
/// bin, so the run created ST-3 again; a person restores the old one: two carry ST-3's marker.
/// Fixed: a first listing looks in the recycle bin for the files it would create, and a recycled
/// work item carrying one's marker marks it `removed` as a deletion seen with the link does.
#[test]
fn a_work_item_deleted_while_the_state_was_lost_and_restored_is_not_a_second_one() {
    let ops = [
        Op::Sync,
        Op::LoseState,
        Op::Boards(ST_3, BoardsEdit::Delete),
        Op::Reconcile,
        Op::Boards(ST_3, BoardsEdit::Restore),
        Op::Reconcile,
    ];
    for policy in 0..=3 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 43 (sequence 2123 of seed 2026, 9 operations), shrunk by hand: ST-1's sentence is
/// written out as keys by a Boards retitle; the file's title then becomes another sentence and,
/// before any run saw it, another title. That sentence lived only in the file's title, which the
/// person replaced: the model counted it as the file's edit of persona / activity / benefit and
/// reported it lost. Fixed in the model: a retitle drops the file's own unsynced sentence.
#[test]
fn a_sentence_title_retitled_again_before_any_run_saw_it_is_no_edit_of_the_sentence() {
    let ops = [
        Op::Boards(ST_1, BoardsEdit::Title(2)),
        Op::Sync,
        Op::File(ST_1, FileEdit::SentenceTitle(0)),
        Op::LoseState,
        Op::File(ST_1, FileEdit::Title(2)),
        Op::Reconcile,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Finding 44 (sequence 4979 of seed 2026), its first 17 operations as found (shorter replays
/// did not stop the killed runs at the same point): the first run is killed after Boards created
/// EP-1 in its first state ("new") and before the write that moves it to the file's "active";
/// Boards then closes EP-1 and the file sets "new". The link's base held Boards' interim "new",
/// so the file's edit read as none and Boards' "closed" replaced it with no conflict.
#[test]
fn a_file_state_edit_after_a_killed_create_is_weighed_against_what_the_create_sent() {
    use super::ops::Fault;
    const EP_1: usize = 0;
    const EP_2: usize = 1;
    const RK_1: usize = 7;
    let ops = [
        Op::Github(ST_2, GithubEdit::Assignee(2)),
        Op::Kill(131),
        Op::Github(ST_1, GithubEdit::Section(0, 2)),
        Op::File(EP_2, FileEdit::Title(1)),
        Op::Faults(Fault::ServerErrors),
        Op::File(ST_3, FileEdit::Epic(0)),
        Op::Boards(RK_1, BoardsEdit::Owner(0)),
        Op::Boards(EP_1, BoardsEdit::State(3)),
        Op::Github(EP_1, GithubEdit::Assignee(2)),
        Op::File(EP_1, FileEdit::State(0)),
        Op::Kill(70),
        Op::Boards(ST_1, BoardsEdit::State(0)),
        Op::Kill(103),
        Op::Github(EP_1, GithubEdit::Tags(1)),
        Op::Faults(Fault::RateLimited),
        Op::File(RK_1, FileEdit::Benefit(1)),
        Op::Sync,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Finding 45 (sequences 7862 and 8677 of seed 2026, 25 and 34 operations), shrunk by hand, under
/// `manual`: ST-1's sentence lives in its title; `state.db` is lost and both remotes retitle ST-1,
/// so the run that finds the links again leaves the title in conflict with an unknown base (""). A
/// retitle in the file then emptied persona / activity / benefit, and with no old title to read
/// the sentence from, the empty values went out everywhere.
#[test]
fn a_file_retitle_while_the_title_is_in_conflict_after_a_lost_state_keeps_the_sentence() {
    const MANUAL: u8 = 3;
    let ops = [
        Op::Sync,
        Op::LoseState,
        Op::Github(ST_1, GithubEdit::Title(2)),
        Op::Boards(ST_1, BoardsEdit::Title(3)),
        Op::Reconcile,
        Op::File(ST_1, FileEdit::Title(2)),
        Op::Sync,
    ];
    assert_eq!(replay(MANUAL, &ops), Vec::<String>::new());
}

// mc-fixed

/// Finding 25 (sequence 86 of seed 13, 33 operations; fails only when op 3's random
/// drop-after-write faults hit the sub-issue link of ST-3's new issue, about one run in six),
/// shrunk by hand: ST-3 is owned by dana, whom no target knows; GitHub's create of its issue
/// (assigning nobody) lands, but the answer of the request linking it under EP-2 is lost, so the
/// create stays open (its intent, with the fields it sent); dana is added to `identities.toml`; the
/// next run finds the issue by its marker and took the sent owner (dana) as its base, so the issue
/// showing nobody read as a person clearing the owner, and the file lost dana. Fixed (apply
/// `CreateRemote`): the intent records the owner the create could carry (nobody).
#[test]
fn an_owner_no_target_knew_when_a_create_lost_its_answer_is_assigned_once_the_person_is_added() {
    let ops =
        [Op::Faults(super::ops::Fault::DropEverySubIssueAnswer), Op::Sync, Op::Identities, Op::Reconcile, Op::Sync];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

// mc-219

/// Finding 46 (sequences 219, 325 and 814 of seed 2026; 219 shrunk by the checker to 14
/// operations, by hand to five): EP-1's issue deleted on GitHub; `sync` marks EP-1 `removed`
/// (its stories keep their `epic`, finding 40); Boards sets EP-1's state, reviving it; the next
/// run creates EP-1 again on GitHub, as a new issue no story was under. Its stories kept showing
/// no parent there, and once EP-1 was linked again a run read that as GitHub clearing their epic.
#[test]
fn stories_under_an_epic_deleted_on_github_and_revived_are_put_under_its_new_issue() {
    const EP_1: usize = 0;
    let ops =
        [Op::Sync, Op::Github(EP_1, GithubEdit::Delete), Op::Sync, Op::Boards(EP_1, BoardsEdit::State(3)), Op::Sync];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

// mc-recycle

/// Finding 42, its second shape (sequence 1549 of seed 2026, and 1652 after a lost state),
/// shrunk by hand: ST-3's work item deleted in Boards, and `reconcile` (a full listing reads the
/// linked items and sees the deletion) marks ST-3 `removed`; the file is set back
/// to a live state, so the next run created ST-3 again on Boards; a person restores the old work
/// item: two carried ST-3's marker. Fixed: the deletion is remembered (the store's `orphans`), and
/// a create of the revived item restores its work item from the recycle bin instead.
#[test]
fn an_item_revived_after_its_work_item_was_deleted_gets_that_work_item_back() {
    let ops = [
        Op::Sync,
        Op::Boards(ST_3, BoardsEdit::Delete),
        Op::Reconcile,
        Op::File(ST_3, FileEdit::State(3)),
        Op::Reconcile,
        Op::Boards(ST_3, BoardsEdit::Restore),
        Op::Reconcile,
    ];
    for policy in 0..=3 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

// mc-held

/// Finding 34's corner: while RK-1.md names dana (whom no target knows) both targets keep alice;
/// dana is added and GitHub assigns her (the file's owner of before), and the file gives RK-1
/// back to alice, in either order; `sync`. Both are edits and nothing tells which came later:
/// they meet as a conflict the policy settles and names (weighing the file's alice from dana
/// alone took the file's side even when GitHub's assignment was the later edit).
#[test]
fn a_file_owner_given_back_while_github_assigns_the_owner_the_file_named_before_is_a_conflict() {
    const RK_1: usize = 7;
    let ops = [
        Op::Sync,
        Op::File(RK_1, FileEdit::Owner(2)),
        Op::Sync,
        Op::Identities,
        Op::Github(RK_1, GithubEdit::Assignee(2)),
        Op::File(RK_1, FileEdit::Owner(1)),
        Op::Sync,
    ];
    let mut file_first = ops.clone();
    file_first.swap(4, 5);
    for policy in 0..=3 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
        assert_eq!(replay(policy, &file_first), Vec::<String>::new(), "file first, policy {policy}");
    }
}

// mc-model

/// Sequence 9087 of seed 2026 (38 operations), shrunk by hand: GitHub closes ST-2 through its
/// `status:` label and sets it back to new (what the sides agreed) while the file sets it active,
/// with no run in between. GitHub shows its base, so a sync sees no GitHub edit and the file's
/// active goes out; the model took GitHub's second edit for one a sync must keep. It is fixed by
/// finding 33's rule (an edit that puts back what the side held before its first pending edit,
/// with no run in between, undoes them), which the branch that first replayed 9087 lacked; the
/// same edits with a run between them (one that may have read the first) are both kept.
#[test]
fn a_github_state_closed_and_set_back_before_any_run_while_the_file_moves_it_is_no_github_edit() {
    let ops = [
        Op::Sync,
        Op::Github(ST_2, GithubEdit::Status(3)),
        Op::File(ST_2, FileEdit::State(1)),
        Op::Github(ST_2, GithubEdit::Status(0)),
        Op::Sync,
    ];
    for policy in [0, 1, 3] {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 47 (sequence 3744 of seed 2026, 24 operations), shrunk by hand: Boards resolves ST-2;
/// `sync` (GitHub closed as resolved); the file sets it active; `sync` (GitHub reopened as
/// active); GitHub sets it resolved again; `sync`. The third run's listing kept its ETag, taken
/// before it wrote; GitHub's times are whole seconds, so a person's edit in the same second that
/// puts the issue back as that listing showed it gives the same bytes, and the last run's
/// listing was answered 304: GitHub's "resolved" was never read. It fails only when the second
/// run's write to GitHub and the person's edit fall in the same second (most replays of these
/// 0.3 s): replayed three times.
#[test]
fn a_github_edit_that_puts_an_issue_back_as_the_last_listing_showed_it_is_read() {
    let ops = [
        Op::Sync,
        Op::Boards(ST_2, BoardsEdit::State(2)),
        Op::Sync,
        Op::File(ST_2, FileEdit::State(1)),
        Op::Sync,
        Op::Github(ST_2, GithubEdit::Status(2)),
        Op::Sync,
    ];
    for round in 0..3 {
        assert_eq!(replay(0, &ops), Vec::<String>::new(), "round {round}");
    }
}

// mc-ghdup

/// Finding 54 (sequence 3027 of seed 2026, kept as its first 22 operations and a `sync`): after `state.db` was lost, ST-1's issue deleted on GitHub; the `sync` under dropped
/// answers creates it again (#9, answer lost, adopted by its marker), the sub-issue's answer is
/// lost too, so ST-1's create fails and no link is kept; Boards' batch found ST-1 changed, so the
/// run read and planned it again and, with no GitHub link, created it a second time (#10). A
/// replan no longer creates an item whose action failed in the run; the next run adopts #9.
#[test]
fn a_create_that_failed_in_a_run_is_not_made_again_when_the_run_plans_the_item_again() {
    use super::ops::Fault;
    const EP_1: usize = 0;
    const EP_2: usize = 1;
    let ops = [
        Op::Github(EP_1, GithubEdit::Title(0)),
        Op::File(EP_1, FileEdit::Title(0)),
        Op::Sync,
        Op::File(EP_2, FileEdit::Title(0)),
        Op::File(ST_2, FileEdit::Priority(1)),
        Op::File(EP_1, FileEdit::Title(3)),
        Op::Faults(Fault::DropAfterWrite),
        Op::File(EP_1, FileEdit::Title(0)),
        Op::LoseState,
        Op::File(EP_1, FileEdit::State(3)),
        Op::Boards(ST_5, BoardsEdit::Restore),
        Op::File(ST_5, FileEdit::Priority(3)),
        Op::Github(ST_4, GithubEdit::Assignee(2)),
        Op::Github(EP_1, GithubEdit::Priority(1)),
        Op::File(ST_5, FileEdit::State(0)),
        Op::File(EP_1, FileEdit::Epic(0)),
        Op::File(ST_1, FileEdit::Title(1)),
        Op::Github(ST_1, GithubEdit::Status(1)),
        Op::Github(ST_1, GithubEdit::Delete),
        Op::File(ST_4, FileEdit::Delete),
        Op::Github(ST_1, GithubEdit::Reopen),
        Op::Sync,
        Op::Sync,
    ];
    for round in 0..2 {
        assert_eq!(replay(2, &ops), Vec::<String>::new(), "round {round}");
    }
}

// mc-epic

/// Finding 51 (sequence 5064 of seed 2026, 10 operations), shrunk by hand: a first run killed
/// after it created EP-1, ST-1 and ST-2 on GitHub; EP-1's issue deleted there; `state.db` lost;
/// a run killed after it linked the stories found by their markers (their parent unknown: EP-1
/// gone) and, in some replays, after it created EP-1 again without its answer; `sync`. The
/// stories showed no parent and the file's EP-1 is no edit of theirs: the base the killed run
/// saved held no `epic` (read as the file's), and the new EP-1 found by its marker was our own
/// unfinished create, under which no story was ever put.
#[test]
fn stories_under_an_epic_deleted_on_github_and_linked_by_a_killed_run_keep_their_epic() {
    const EP_1: usize = 0;
    let ops = [Op::Kill(54), Op::Github(EP_1, GithubEdit::Delete), Op::LoseState, Op::Kill(35), Op::Sync];
    for round in 0..2 {
        for policy in 0..=3 {
            assert_eq!(replay(policy, &ops), Vec::<String>::new(), "round {round}, policy {policy}");
        }
    }
}

/// Finding 52 (sequences 1396 and 7558 of seed 2026, 25 and 20 operations), shrunk by hand: a
/// story moved under EP-2 on one remote, then EP-2 deleted there before any run saw the move;
/// `sync`. Nothing shows the move any more (GitHub drops a deleted issue's sub-issues; Boards
/// hides the links to a work item in the recycle bin) and the story shows no parent: the
/// person's move ends with the epic, and the story's empty epic is taken everywhere.
#[test]
fn a_story_moved_under_an_epic_then_deleted_before_any_run_ends_with_no_epic() {
    const EP_2: usize = 1;
    let github = [Op::Sync, Op::Github(ST_5, GithubEdit::Parent(1)), Op::Github(EP_2, GithubEdit::Delete), Op::Sync];
    let boards = [Op::Sync, Op::Boards(ST_2, BoardsEdit::Parent(1)), Op::Boards(EP_2, BoardsEdit::Delete), Op::Sync];
    for policy in 0..=3 {
        assert_eq!(replay(policy, &github), Vec::<String>::new(), "github, policy {policy}");
        assert_eq!(replay(policy, &boards), Vec::<String>::new(), "boards, policy {policy}");
    }
}

/// Finding 51 again (sequence 6947 of seed 2026, 27 operations), shrunk by hand: `sync`;
/// `state.db` lost; EP-1's issue deleted on GitHub; a run under rate limits killed after it linked the stories
/// (their parent unknown) and created EP-1 again; `reconcile`. The stories show no parent under
/// a new EP-1 that exists: their links' bases hold no `epic`, and no parent was ever sent there.
#[test]
fn stories_linked_with_no_epic_by_a_killed_run_keep_their_epic_under_the_epic_it_created_again() {
    const EP_1: usize = 0;
    let ops = [
        Op::Sync,
        Op::LoseState,
        Op::Faults(super::ops::Fault::RateLimited),
        Op::Github(EP_1, GithubEdit::Delete),
        Op::Kill(69),
        Op::Reconcile,
    ];
    for round in 0..2 {
        for policy in 0..=3 {
            assert_eq!(replay(policy, &ops), Vec::<String>::new(), "round {round}, policy {policy}");
        }
    }
}

// mc-misc

/// Finding 57 (sequence 6604 of seed 2026, 19 operations), shrunk by hand: Boards fills in
/// priority 2 on RK-1's create, which sent none; the write that clears it again at the end of the
/// run landed but its answer was lost, so the create's intent stayed open with a base of "2".
/// A person then set RK-1's priority to 2 on Boards; the next run took the "2" for Boards'
/// default still there and sent the file's "" over it, with no conflict. Deterministic (every
/// update's answer lost); the drop-after-write faults of the sequence as found are kept too.
#[test]
fn a_boards_priority_set_after_a_create_whose_finishing_write_lost_its_answer_reaches_the_file() {
    use super::ops::Fault;
    const EP_1: usize = 0;
    const RK_1: usize = 7;
    let every =
        [Op::Faults(Fault::DropEveryUpdateAnswer), Op::Sync, Op::Boards(RK_1, BoardsEdit::Priority(1)), Op::Sync];
    let as_found = [
        Op::File(EP_1, FileEdit::Title(0)),
        Op::Faults(Fault::ServerErrors),
        Op::File(EP_1, FileEdit::Restore),
        Op::File(EP_1, FileEdit::Priority(0)),
        Op::Faults(Fault::DropAfterWrite),
        Op::Sync,
        Op::Boards(RK_1, BoardsEdit::Priority(1)),
        Op::Reconcile,
    ];
    for policy in 0..4 {
        assert_eq!(replay(policy, &every), Vec::<String>::new(), "policy {policy}");
    }
    assert_eq!(replay(0, &as_found), Vec::<String>::new());
}

/// Finding 57 (sequence 4782 of seed 2026, 35 operations), shrunk by hand: RK-1's create on
/// Boards is finished by a write (clearing the priority Boards filled in) whose answer was lost;
/// the link kept the create's revision and "2" as base. Each later run planned the write again,
/// met a revision conflict, read RK-1 again showing what the create sent and saved nothing, so
/// the base stayed "2". When the file then set priority 2, it equalled that base: GitHub got it,
/// Boards kept "". Deterministic (every update's answer lost in the first run).
#[test]
fn a_file_priority_reaches_boards_after_a_create_whose_finishing_write_lost_its_answer() {
    use super::ops::Fault;
    const RK_1: usize = 7;
    let ops =
        [Op::Faults(Fault::DropEveryUpdateAnswer), Op::Sync, Op::Sync, Op::File(RK_1, FileEdit::Priority(1)), Op::Sync];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 57, the state (sequences 2167 and 4306 of seed 2026, which failed on `5588a30` and
/// pass once the link is saved, as the second run here does): Boards creates ST-1 in its first
/// state and the write that moves it to "active" landed with its answer lost. A person set it
/// back to "new" on Boards before another run; the next run took "new" for the first state still
/// there and sent the file's "active" over it, with no conflict.
#[test]
fn a_boards_state_set_back_after_a_create_whose_finishing_write_lost_its_answer_reaches_the_file() {
    use super::ops::Fault;
    let ops = [Op::Faults(Fault::DropEveryUpdateAnswer), Op::Sync, Op::Boards(ST_1, BoardsEdit::State(0)), Op::Sync];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 58 (sequence 5941 of seed 2026, 18 of its first 23 operations): the file retitles
/// ST-4 ("Title 2"); the run's update to Boards landed but its answer was lost (drop after
/// write), so the link kept the base of before ("Title 3", from GitHub). A person set Boards'
/// title back to "Title 3"; the next run read it as equal to the base, no edit, and sent the
/// file's "Title 2" over it, with no conflict. The faults are rolled, so the operations before
/// them are kept as found (shorter sequences did not meet the lost answer).
#[test]
fn a_boards_edit_after_an_update_whose_answer_was_lost_reaches_the_file() {
    use super::ops::Fault;
    const EP_1: usize = 0;
    const RK_1: usize = 7;
    let ops = [
        Op::Github(RK_1, GithubEdit::Title(0)),
        Op::ProcessSync,
        Op::Github(ST_4, GithubEdit::Assignee(2)),
        Op::Sync,
        Op::ProcessSync,
        Op::Github(ST_4, GithubEdit::Title(3)),
        Op::Boards(EP_1, BoardsEdit::Owner(1)),
        Op::Sync,
        Op::Sync,
        Op::Github(ST_1, GithubEdit::Status(0)),
        Op::Boards(EP_1, BoardsEdit::Tags(3)),
        Op::Reconcile,
        Op::Boards(ST_3, BoardsEdit::State(2)),
        Op::Faults(Fault::DropAfterWrite),
        Op::File(ST_4, FileEdit::Title(2)),
        Op::Sync,
        Op::Boards(ST_4, BoardsEdit::Title(3)),
        Op::Reconcile,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

/// Finding 59 (sequence 9524 of seed 2026, 15 operations), shrunk by hand; the model's: GitHub
/// assigns ST-3 (dana's, whom no target knows) to `dana-gh`, unknown too, which reads as no
/// owner; after a run, GitHub assigns alice. The model recorded an assignment only from an
/// assignee it had read, so alice reaching the file read as a change with no edit. The product
/// was right (a change on one side wins).
#[test]
fn a_github_assignment_after_an_assignee_nobody_knows_is_an_edit() {
    let ops = [
        Op::Sync,
        Op::Github(ST_3, GithubEdit::Assignee(2)),
        Op::Sync,
        Op::Github(ST_3, GithubEdit::Assignee(1)),
        Op::Sync,
    ];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

// mc-sentence

/// Finding 48 (sequences 2217, 4081, 4271, 7068, 8245, 9330, 9626 of seed 2026), shrunk by hand
/// from 2217's 29 operations: ST-4's sentence lives in the first paragraph of its description;
/// the file's description is replaced, then its title, before a run. The product sent the
/// emptied persona / activity / benefit everywhere, and the model took the retitle for one that
/// dropped the file's "edit" of them. The README's rule keeps a sentence derived from the body as
/// it does one derived from the title: written out as keys, never erased.
#[test]
fn a_description_that_held_the_sentence_replaced_in_the_file_keeps_the_sentence() {
    let retitled = [Op::Sync, Op::File(ST_4, FileEdit::Body(1)), Op::File(ST_4, FileEdit::Title(0)), Op::Sync];
    let body_only = [Op::Sync, Op::File(ST_4, FileEdit::Body(1)), Op::Sync, Op::Sync];
    for policy in 0..=3 {
        assert_eq!(replay(policy, &retitled), Vec::<String>::new(), "policy {policy}, retitled");
        assert_eq!(replay(policy, &body_only), Vec::<String>::new(), "policy {policy}, body only");
    }
}

/// Finding 49 (sequence 1925 of seed 2026, 29 operations after proptest's shrink), shrunk by hand:
/// ST-1.md's title becomes another sentence; a `reconcile` under dropped answers sends it out;
/// ST-1.md is retitled. That run saw the sentence and the product keeps it as keys (README); the
/// model (finding 43's rule) dropped the file's edit of it as though no run had seen it.
#[test]
fn a_sentence_title_a_run_under_faults_sent_out_is_kept_when_the_file_is_retitled() {
    use super::ops::Fault;
    let ops = [
        Op::Sync,
        Op::File(ST_1, FileEdit::SentenceTitle(2)),
        Op::Faults(Fault::DropAfterWrite),
        Op::Reconcile,
        Op::File(ST_1, FileEdit::Title(0)),
        Op::Reconcile,
    ];
    assert_eq!(replay(0, &ops), Vec::<String>::new());
}

// mc-unread

/// Finding 62 (sequence 6185 of seed 2026, 28 operations as found), shrunk by hand; the model's:
/// EP-1's work item is deleted in Boards (its stories' links hidden while it is in the recycle
/// bin); ST-2.md becomes unreadable; a `reconcile` marks EP-1 `removed`; `state.db` is lost;
/// GitHub reopens EP-1; under remote-wins the `sync` revives EP-1 (no base: the remote's state
/// wins) and restores its work item from the bin rather than create a second one (finding 42).
/// ST-2's parent link comes back with it, its work item not written: the unreadable item is left
/// alone. The checker read that link as the run changing ST-2 on Boards.
#[test]
fn an_epic_a_run_restores_from_the_recycle_bin_leaves_its_unreadable_story_alone() {
    const EP_1: usize = 0;
    let ops = [
        Op::Sync,
        Op::Boards(EP_1, BoardsEdit::Delete),
        Op::File(ST_2, FileEdit::Break(1)),
        Op::Reconcile,
        Op::LoseState,
        Op::Github(EP_1, GithubEdit::Reopen),
        Op::Sync,
    ];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

// mc-epicmove

/// Finding 61 (sequences 1252 and 1558 of seed 2026, 39 and 36 operations), shrunk by hand: EP-1's
/// issue is deleted on GitHub and, before a run that reads every link sees it, ST-4.md (under
/// EP-2) moves to EP-1 (1252), or ST-5.md, moved to EP-2 by an earlier run, moves back (1558);
/// `sync`. GitHub refuses the sub-issue under the deleted EP-1 (410) and the story stays under
/// EP-2 there, yet the run saved EP-1 as GitHub's base; the next run that listed the story read
/// EP-2 as a person's move on GitHub and took it everywhere.
#[test]
fn a_story_moved_in_the_file_under_an_epic_deleted_on_github_keeps_the_move() {
    const EP_1: usize = 0;
    let moved = [Op::Sync, Op::Sync, Op::Github(EP_1, GithubEdit::Delete), Op::File(ST_4, FileEdit::Epic(0)), Op::Sync];
    let moved_back = [
        Op::Sync,
        Op::File(ST_5, FileEdit::Epic(1)),
        Op::Sync,
        Op::File(ST_5, FileEdit::Epic(0)),
        Op::Github(EP_1, GithubEdit::Delete),
        Op::Sync,
    ];
    for policy in 0..4 {
        assert_eq!(replay(policy, &moved), Vec::<String>::new(), "policy {policy}, moved");
        assert_eq!(replay(policy, &moved_back), Vec::<String>::new(), "policy {policy}, moved back");
    }
}

// mc-owner

/// Finding 60 (sequence 577 of seed 2026, 27 operations, `newest-wins`), shrunk by hand: GitHub
/// assigns EP-1 to alice and closes ST-5 and EP-2 as not planned; `state.db` is lost; `sync`. The
/// run finds every item again by its marker (no stored link) and, under `newest-wins`, takes the
/// two closes (later than the files) as removals; the mass-removal guard weighed them against no
/// link at all (a limit of 1, even at `max_removals = "100%"`) and stopped the run: nothing
/// changed, GitHub's assignment reached no other side, and every run after it was stopped the
/// same way (a stopped run saves no link). The pause puts the closes in a later second than the
/// files (GitHub's times are whole seconds), so that they are the newer edits.
#[test]
fn removals_found_after_the_state_database_is_lost_are_weighed_against_the_links_found_again() {
    const EP_1: usize = 0;
    const EP_2: usize = 1;
    let ops = [
        Op::Sync,
        Op::Pause(1100),
        Op::Github(EP_1, GithubEdit::Assignee(1)),
        Op::Github(ST_5, GithubEdit::Close(1)),
        Op::Github(EP_2, GithubEdit::Close(1)),
        Op::LoseState,
        Op::Sync,
    ];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

// mc-quiet

/// Finding 63 (issue 13, "the sides must settle"; the brief's scenario): EP-1's issue is deleted
/// on GitHub; ST-4.md moves to EP-1; `sync` (the second run reads every link: it marks EP-1
/// `removed`, drops its GitHub link, and sends ST-4 with no parent, off EP-2); `reconcile`. Every
/// run after it planned the same GitHub update of ST-4 (`epic: EP-1`, a parent GitHub cannot
/// carry) though nothing changed: the base GitHub kept for ST-4 was the "" it showed. The same
/// with EP-1's work item deleted in Boards.
#[test]
fn a_story_under_an_epic_removed_after_its_issue_was_deleted_settles() {
    const EP_1: usize = 0;
    let in_boards = [
        Op::Sync,
        Op::Boards(EP_1, BoardsEdit::Delete),
        Op::File(ST_4, FileEdit::Epic(0)),
        Op::Sync,
        Op::Reconcile,
        Op::Sync,
    ];
    let ops = [
        Op::Sync,
        Op::Github(EP_1, GithubEdit::Delete),
        Op::File(ST_4, FileEdit::Epic(0)),
        Op::Sync,
        Op::Reconcile,
        Op::Sync,
        Op::Sync,
    ];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}, on GitHub");
        assert_eq!(replay(policy, &in_boards), Vec::<String>::new(), "policy {policy}, in Boards");
    }
}

/// Finding 64 (sequences 5 and 129 of seed 13, found by the quiescence check of finding 63):
/// under `manual`, `state.db` is lost and the file changes a field (RK-1's priority), or names
/// an owner the targets could not carry before (ST-3's dana, known once `Identities` runs); the
/// last `sync` finds every item again by its marker, with no base, and leaves the field in
/// conflict. It stored what the target showed as the field's base, so the next run read the
/// target as unchanged since and sent the file's value: a conflict nobody settled was settled
/// for the file one run later.
#[test]
fn a_conflict_found_with_no_base_after_the_state_was_lost_stays_open_under_manual() {
    const RK_1: usize = 7;
    let priority = [Op::Sync, Op::LoseState, Op::File(RK_1, FileEdit::Priority(0))];
    let owner = [Op::Sync, Op::Identities, Op::LoseState];
    assert_eq!(replay(3, &priority), Vec::<String>::new(), "priority");
    assert_eq!(replay(3, &owner), Vec::<String>::new(), "owner");
}

// mc-state

/// Finding 66 (sequence 3963 of seed 2026, `remote-wins`, 5 operations: a `sync` killed after
/// its creates, a retitle on GitHub, ST-5 closed on Boards, a second killed `sync`, `reconcile`),
/// shrunk by hand to the kill, the close and a `sync`: the kill lands after ST-5's work item is
/// created and before its link is saved (its intent open); a person closes it on Boards; the next
/// run finds it by its marker and, since Boards sets a state past its first one in a later
/// request, took the "closed" it showed as the create's own (a request cut off) and sent the
/// file's "new" over it: the close was lost with no conflict naming it. A create leaves Boards'
/// first state only; any other is a person's. Where the kill lands depends on timing (ST-5 is
/// the last create, about 13 requests in), so the kill points around it are each tried; the
/// plan's table test `a_lost_create_that_sets_the_state_later_takes_a_state_it_cannot_have_left_as_an_edit`
/// holds the rule without timing.
#[test]
fn a_state_set_on_boards_on_a_create_a_kill_left_unlinked_is_kept() {
    for ms in 36..=44 {
        let ops = [Op::Kill(ms), Op::Boards(ST_5, BoardsEdit::State(3)), Op::Sync];
        assert_eq!(replay(1, &ops), Vec::<String>::new(), "killed after {ms} ms");
    }
}

// mc-unsent-parent

/// Finding 65 (sequences 72, 107, 121, 126 and 178 of seed 13, sequence 8 of seed 2026, found
/// by the quiescence check of finding 63), sequence 72 shrunk by hand: after `state.db` is lost,
/// EP-1's file is made unreadable, its issue deleted on GitHub and then its file deleted; the
/// stories still name EP-1, which has no issue any run could put them under. Each `sync` planned
/// (and counted) the same parent for ST-1, ST-2 and ST-5 on GitHub, which could not land,
/// forever. The plan's table test
/// `a_story_under_an_epic_with_no_item_on_a_target_is_not_sent_it_until_one_is_linked` holds the
/// rule for an epic whose file cannot be read.
#[test]
fn a_story_under_an_epic_no_run_can_link_on_a_target_settles() {
    const EP_1: usize = 0;
    let ops = [
        Op::Sync,
        Op::LoseState,
        Op::File(EP_1, FileEdit::Break(2)),
        Op::Github(EP_1, GithubEdit::Delete),
        Op::File(EP_1, FileEdit::Delete),
        Op::Sync,
        Op::Sync,
    ];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 67 (campaign 12's first 1,000 of seed 2026: sequences 143, 382, 544; found by the
/// quiescence check once it was on in the campaign), shrunk by hand: EP-1's file is unreadable
/// from the start, so no run creates EP-1 anywhere; the first `sync` (the sequence's last, clean
/// one) creates its stories with no parent. Each create's intent stayed open, waiting for a parent no write could give, and the
/// next run planned a rebase (before finding 65's fix: the same parent, forever).
#[test]
fn a_story_created_under_an_epic_that_has_no_item_there_settles_in_one_run() {
    const EP_1: usize = 0;
    let ops = [Op::File(EP_1, FileEdit::Break(1))];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 68 (campaign 12's first 1,000 of seed 2026: sequences 267, 269, 407, 680, 683, 868,
/// 905, 944), 269 shrunk by hand: ST-5's work item is deleted in Boards (an incremental `sync`
/// does not list deletions) and its issue edited on GitHub; the last `sync` sends the edit to Boards,
/// finds the work item gone (404) and marks ST-5 `removed`, but GitHub was planned before: its
/// issue stayed open until the next run.
#[test]
fn a_work_item_found_deleted_when_written_closes_the_issue_in_the_same_run() {
    let ops = [Op::Sync, Op::Boards(ST_5, BoardsEdit::Delete), Op::Github(ST_5, GithubEdit::Tags(3))];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 69 (campaign 12, sequence 1286 of seed 2026), shrunk by hand: ST-3's work item is
/// deleted in Boards and the deletion marks it `removed` (`reconcile`); the file brings ST-3 back
/// and EP-2's work item is deleted too, unseen by the last, incremental `sync`. That `sync`
/// restores ST-3's work item from the recycle bin and sends its parent, which Boards refuses
/// (EP-2 is in the recycle bin): the base kept "" against the file's EP-2, and the next run
/// planned the parent again. A create now keeps the epic of a parent refused as deleted, as an
/// update does (finding 63).
#[test]
fn a_story_restored_under_an_epic_deleted_in_boards_settles() {
    const EP_2: usize = 1;
    let ops = [
        Op::Sync,
        Op::Boards(ST_3, BoardsEdit::Delete),
        Op::Reconcile,
        Op::File(ST_3, FileEdit::State(1)),
        Op::Boards(EP_2, BoardsEdit::Delete),
    ];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 70 (campaign 12, sequence 1254 of seed 2026, 38 operations), shrunk by hand: EP-1's
/// issue is deleted on GitHub and the deletion marks it `removed` (`reconcile`; its stories keep
/// EP-1, and their base on GitHub keeps it, finding 63); a person revives EP-1 on Boards; the
/// next `sync` creates EP-1 on GitHub again and is killed after linking it, before its stories
/// are moved under the new issue (finding 46). The run after read ST-5 showing no parent under
/// a linked EP-1 as a person clearing its epic and cleared it everywhere. The kill point depends
/// on the requests before it, so the points around it are each tried.
#[test]
fn a_story_under_an_epic_created_again_by_a_killed_run_keeps_its_epic() {
    const EP_1: usize = 0;
    for ms in (15..=75).step_by(3) {
        let ops = [
            Op::Sync,
            Op::Github(EP_1, GithubEdit::Delete),
            Op::Reconcile,
            Op::Boards(EP_1, BoardsEdit::State(3)),
            Op::Kill(ms),
        ];
        assert_eq!(replay(0, &ops), Vec::<String>::new(), "killed after {ms} ms");
    }
}

/// Finding 71 (campaign 12 on `4c9a819`, sequence 4978 of seed 2026, 38 operations, `manual`),
/// shrunk by hand: `state.db` is lost; ST-5 is closed as not planned on GitHub and its work item
/// deleted in Boards; the last `sync` finds the work item in the recycle bin (finding 42: ST-5
/// marked `removed`) and the issue by its marker, with no base: the file's "new" against GitHub's
/// "removed" was held in a `manual` conflict, though the deletion made the file "removed" in the
/// same run; the next run found both agreeing and settled it (a rebase). The deletion settles the
/// state: no target's state is held against the file's.
#[test]
fn a_state_in_conflict_with_no_base_is_settled_by_a_deletion_in_the_same_run() {
    let ops = [Op::Sync, Op::LoseState, Op::Github(ST_5, GithubEdit::Close(1)), Op::Boards(ST_5, BoardsEdit::Delete)];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 72 (campaign 12 on `4c9a819`, sequence 5295 of seed 2026, 34 operations), shrunk by
/// hand: EP-1's work item is deleted in Boards, `state.db` lost, EP-1's issue deleted on GitHub;
/// the last `sync` finds the work item in the recycle bin and marks EP-1 `removed` (finding 42),
/// and adopts its stories on GitHub, where EP-1 has no issue: finding 65's rule left their parent
/// out, as for an epic that may come back, so their base kept "" and the next run, reading EP-1
/// `removed`, planned the parent (finding 63's rule). An epic the run marks `removed` is left to
/// finding 63's rule from the start.
#[test]
fn stories_under_an_epic_a_run_marks_removed_after_a_lost_state_settle() {
    const EP_1: usize = 0;
    let ops = [Op::Sync, Op::Boards(EP_1, BoardsEdit::Delete), Op::LoseState, Op::Github(EP_1, GithubEdit::Delete)];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}

/// Finding 73 (campaign 12 on `3c43691`, sequence 6993 of seed 2026, 32 operations, `manual`),
/// shrunk by hand: EP-2.md names dana (whom no target knows) and Boards assigns EP-2 to alice;
/// `sync` opens an `owner` conflict on Boards; a GitHub label edit of EP-2, with Boards' EP-2 not
/// listed, and the last `sync` dropped the conflict (the person it names read as no assignment),
/// and the run after took alice into the file. An open conflict keeps its person assigned there.
#[test]
fn an_owner_conflict_on_a_target_not_listed_stays_open_under_manual() {
    const EP_2: usize = 1;
    let ops = [
        Op::Sync,
        Op::File(EP_2, FileEdit::Owner(2)),
        Op::Boards(EP_2, BoardsEdit::Owner(1)),
        Op::Sync,
        Op::Github(EP_2, GithubEdit::Tags(1)),
    ];
    assert_eq!(replay(3, &ops), Vec::<String>::new());
}

/// Finding 74 (campaign 12 on `3c43691`, sequence 9806 of seed 2026, 33 operations, `manual`),
/// shrunk by removing operations one at a time while it still failed: ST-4's description is
/// itself its story sentence; ST-3.md is made unreadable (so Boards is read in full again), the
/// state is lost and ST-4.md's benefit changed. The `sync` finds ST-4 again with no base, holds
/// the benefit in conflict on both targets and stores its base as "" (unknown); the next run read
/// Boards' benefit through the rich-text restore, which writes that base and reads it back: the
/// description alone reads as the sentence, so Boards' "small claims are paid the same day" was
/// taken for the base's "", the conflict dropped there and the file's benefit sent a run late
/// (under `manual`, to a target whose value nobody chose to replace). A field the base leaves
/// empty is never restored.
#[test]
fn a_benefit_held_after_a_lost_state_stays_in_conflict_when_the_description_is_the_sentence() {
    let ops = [Op::Sync, Op::File(ST_3, FileEdit::Break(2)), Op::LoseState, Op::File(ST_4, FileEdit::Benefit(3))];
    for policy in 0..4 {
        assert_eq!(replay(policy, &ops), Vec::<String>::new(), "policy {policy}");
    }
}
