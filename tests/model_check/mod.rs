//! The model checker (issue 13): generated sequences of people's edits on three sides (files,
//! GitHub, Azure Boards) interleaved with `sync`, `reconcile`, real-process runs, SIGKILLs and
//! twin faults, checked after every run against a small reference model; proptest shrinks what
//! fails. `cargo test` runs a fixed set; `benches/model_campaign.rs` runs the long campaign.

pub mod fixture;
pub mod model;
pub mod ops;
pub mod people;
pub mod sequence;
pub mod world;

#[cfg(test)]
mod regressions;

use std::path::Path;
use std::sync::Arc;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use ops::{Kinds, Op};
use sequence::{Checks, Figures};
use world::Twins;

/// Runs `sequences` generated sequences from `seed`; on a violation, returns the shrunk sequence
/// and what it violated.
pub fn run_set(
    sequences: u32,
    seed: u64,
    kinds: Kinds,
    checks: Checks,
    binary: &Path,
    figures: &Arc<Figures>,
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let twins = rt.block_on(Twins::start());
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases: sequences,
        failure_persistence: None,
        max_shrink_iters: 200,
        max_shrink_time: 120_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let result = runner.run(&ops::sequence(kinds), |(policy, ops)| {
        let ops: Vec<Op> = ops.into_iter().flatten().collect();
        let violations = rt.block_on(sequence::check(&twins, binary, policy, &ops, checks, figures));
        if violations.is_empty() { Ok(()) } else { Err(TestCaseError::fail(violations.join("\n"))) }
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(why, (policy, ops))) => {
            let ops: Vec<Op> = ops.into_iter().flatten().collect();
            Err(format!(
                "violated: {why}\npolicy: {}\nshrunk sequence ({} operations):\n{}",
                ops::policy_name(policy),
                ops.len(),
                ops.iter().map(|o: &Op| format!("  {o}")).collect::<Vec<_>>().join("\n")
            ))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The fixed set leaves out the operation kinds whose findings are fixed on the `data-loss`
/// branch; each exclusion names its finding and the ignored regression test that re-enables it.
pub fn fixed_set_kinds() -> Kinds {
    Kinds {
        // finding 1 (regressions::a_retitle_on_github_keeps_the_sentence_the_title_held): edits of
        // ST-1, whose story sentence lives in its title, erase the sentence; so does retitling a
        // story whose title a file edit made a sentence (finding 10), so those edits are out too.
        retitle_sentence_items: false,
        // finding 2 (regressions::adding_a_person_to_identities_assigns_their_items_and_keeps_the_owner
        // and regressions::an_assignee_set_on_github_after_the_person_is_known_reaches_the_file).
        identities: false,
        // finding 5 (regressions::the_first_sync_after_the_state_database_is_lost_links_sub_issues_again):
        // after `state.db` is lost, the next sync fails with a 422 on an already linked sub-issue.
        lose_state: false,
        // finding 6 (regressions::a_file_edit_of_an_item_deleted_in_boards_does_not_fail_the_sync):
        // an incremental sync updates a work item deleted in Boards and fails it with a 404.
        boards_delete: false,
        // finding 7 (regressions::a_file_deleted_while_its_work_item_is_edited_in_boards_closes_it_without_a_412):
        // closing the work item of a deleted file that was edited in Boards since fails with a 412.
        file_delete: false,
        // finding 9 (regressions::a_story_whose_epic_issue_was_deleted_on_github_syncs_without_a_410):
        // a sync links a story to the epic's deleted issue and fails it with a 410.
        github_delete: false,
        ..Kinds::ALL
    }
}

pub fn fixed_set_checks() -> Checks {
    // finding 3 (regressions::a_sync_with_an_unreadable_file_names_the_file_it_skipped): `sync`
    // does not name the unreadable files it skipped.
    // finding 4 (regressions::under_manual_both_remotes_retitling_keeps_the_file_title): under
    // `manual`, a field both remotes changed takes GitHub's value in the file.
    // finding 8 (regressions::an_owner_no_target_knows_survives_edits_deletes_and_faults): the
    // file's owner that no target can carry is erased with no edit; the fixed set names only
    // people every target knows.
    Checks { skipped_files_reported: false, manual_keeps_file: false, unknown_owners: false }
}

#[test]
#[ignore = "finding 11 (regressions::github_edits_survive_an_unreadable_epic_faults_and_a_kill) fails one of the 200 sequences; run with --include-ignored"]
fn two_hundred_generated_sequences_of_thirty_operations_lose_no_edit() {
    let figures = Arc::new(Figures::default());
    let started = std::time::Instant::now();
    let sequences = std::env::var("MODEL_CHECK_SEQUENCES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let result = run_set(
        sequences,
        13,
        fixed_set_kinds(),
        fixed_set_checks(),
        Path::new(env!("CARGO_BIN_EXE_backlog-sync")),
        &figures,
    );
    eprintln!("figure: model check fixed set: {} in {:.1} s", figures.line(), started.elapsed().as_secs_f64());
    if let Err(e) = result {
        panic!("{e}");
    }
}
