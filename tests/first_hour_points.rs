//! Each point of the first hour that was seen to fail, as real processes: no command panics,
//! settings are found, `init` scaffolds what runs, file modes, conflicts, config errors, locks,
//! completions and the man page, and the demo's closing advice.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{root, stderr, stdout};
use crate::first_hour::{ST1, TOKEN, Twin, World, cli, cli_env, expect, init_in, targets_toml};

const SUBCOMMANDS: [&str; 15] = [
    "demo",
    "lint",
    "validate",
    "init",
    "plan",
    "sync",
    "reconcile",
    "status",
    "drift",
    "serve",
    "summary",
    "twin",
    "resolve",
    "completions",
    "man",
];

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs `backlog-sync ARGS` in `dir` under `umask`.
fn with_umask(dir: &Path, umask: &str, args: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" {args}"))
        .arg(env!("CARGO_BIN_EXE_backlog-sync"))
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("BACKLOG_SYNC_CONFIG")
        .env("FIRST_HOUR_GITHUB_TOKEN", TOKEN)
        .env("FIRST_HOUR_AZURE_TOKEN", TOKEN)
        .output()
        .unwrap()
}

fn no_panic(out: &std::process::Output, what: &str) {
    assert_ne!(out.status.code(), Some(101), "{what} exited 101:\n{}", stderr(out));
    assert!(!stderr(out).contains("panicked"), "{what} panicked:\n{}", stderr(out));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_command_panics_with_a_github_or_an_azure_boards_target() {
    for kind in ["github", "azure-boards"] {
        let twin = if kind == "github" { Twin::github() } else { Twin::azure("agile") };
        let tmp = tempfile::tempdir().unwrap();
        let dir = &init_in(tmp.path());
        let all = targets_toml(&twin.url, &twin.url);
        // Keep only the one target of this kind.
        let table = all.split("\n[[targets]]").find(|t| t.contains(&format!("kind = \"{kind}\""))).unwrap();
        let settings = dir.join("backlog-sync.toml");
        let text = std::fs::read_to_string(&settings).unwrap() + "\n[[targets]]" + table;
        std::fs::write(&settings, text).unwrap();
        let commands: [&[&str]; 14] = [
            &["validate"],
            &["lint"],
            &["plan"],
            &["sync"],
            &["reconcile"],
            &["status"],
            &["drift"],
            &["summary"],
            &["resolve", "--list"],
            &["resolve", "ST-1", "title", "--keep", "file"],
            &["init", "second"],
            &["completions", "bash"],
            &["man"],
            &["serve", "--probe", "--listen", "127.0.0.1:9"],
        ];
        for args in commands {
            let out = cli(dir, args);
            no_panic(&out, &format!("{kind}: {args:?}"));
        }
        let validate = expect(&cli(dir, &["validate"]), 0, &format!("{kind}: validate"));
        assert!(validate.contains("ok (token, built-in mapping"), "{validate}");
        // `serve` as a process: prints its URL once it listens, then is stopped.
        let mut serve = Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .current_dir(dir)
            .env("FIRST_HOUR_GITHUB_TOKEN", TOKEN)
            .env("FIRST_HOUR_AZURE_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(serve.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let _ = serve.kill();
        let out = serve.wait_with_output().unwrap();
        assert!(line.starts_with("http://127.0.0.1:"), "{kind}: serve printed {line:?}:\n{}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{kind}: serve panicked:\n{}", stderr(&out));
    }
}

#[test]
fn settings_are_found_here_in_the_backlog_folder_and_in_backlog_sync_config() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = &init_in(tmp.path());
    let here = expect(&cli(dir, &["validate"]), 0, "validate in the backlog folder");
    assert!(here.contains("from `backlog-sync.toml`"), "{here}");
    let from_parent = expect(&cli(tmp.path(), &["validate", "backlog"]), 0, "validate PATH from its parent");
    assert!(from_parent.contains("from `backlog/backlog-sync.toml`"), "{from_parent}");

    // From elsewhere: the variable, whose relative `backlog.path` is relative to the file.
    let elsewhere = tempfile::tempdir().unwrap();
    let config = dir.join("backlog-sync.toml");
    let env = [("BACKLOG_SYNC_CONFIG", config.to_str().unwrap())];
    let out = expect(&cli_env(elsewhere.path(), &["validate"], &env), 0, "validate with BACKLOG_SYNC_CONFIG");
    assert!(out.contains("backlog `My product`: 1 epic(s)"), "{out}");

    // `./backlog-sync.toml` wins over the PATH's: a settings file one level up naming the backlog.
    std::fs::write(tmp.path().join("backlog-sync.toml"), "[backlog]\npath = \"backlog\"\n").unwrap();
    let out = expect(&cli(tmp.path(), &["validate"]), 0, "validate with ./backlog-sync.toml");
    assert!(out.contains("from `backlog-sync.toml`") && out.contains("1 epic(s)"), "{out}");
}

#[test]
fn no_targets_says_which_files_were_looked_at_and_suggests_config() {
    let tmp = tempfile::tempdir().unwrap();
    let backlog = crate::common::synthetic_backlog(tmp.path(), 1, 1, 0);
    let out = cli(tmp.path(), &["sync", backlog.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no targets are configured"), "{err}");
    assert!(
        err.contains("`backlog-sync.toml`")
            && err.contains(&format!("`{}`", backlog.join("backlog-sync.toml").display())),
        "{err}"
    );
    assert!(err.contains("BACKLOG_SYNC_CONFIG") && err.contains("--config"), "{err}");
}

#[test]
fn init_scaffolds_an_azure_target_a_gitignore_and_with_mappings_copies_that_load() {
    let tmp = tempfile::tempdir().unwrap();
    let out = expect(&cli(tmp.path(), &["init", "--mappings"]), 0, "init --mappings");
    assert!(out.contains("mappings: copies in"), "{out}");
    let settings = std::fs::read_to_string(tmp.path().join("backlog/backlog-sync.toml")).unwrap();
    assert!(settings.contains("# kind = \"azure-boards\"") && settings.contains("# kind = \"github\""), "{settings}");
    let mapping_lines = settings.lines().filter(|l| l.trim_start_matches(['#', ' ']).starts_with("mapping ="));
    assert_eq!(mapping_lines.count(), 0, "no mapping lines: the built-in ones apply\n{settings}");
    expect(&cli(&tmp.path().join("backlog"), &["validate"]), 0, "validate beside the copies");
    let ignore = std::fs::read_to_string(tmp.path().join("backlog/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == ".backlog-sync/"), "{ignore}");
    for (file, built_in) in backlog_sync::mapping::builtin::FILES {
        assert_eq!(std::fs::read_to_string(tmp.path().join("backlog").join(file)).unwrap(), built_in, "{file}");
    }
    let gh = backlog_sync::trackers::github::mapping::GithubMapping::load(
        &tmp.path().join("backlog/mappings/github/default.toml"),
    );
    assert!(gh.is_ok());
    for p in ["agile", "scrum", "cmmi", "basic"] {
        let m = tmp.path().join(format!("backlog/mappings/azure-boards/{p}.toml"));
        backlog_sync::trackers::azure_boards::mapping::AzureMapping::load(&m).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn files_written_by_init_sync_and_summary_keep_their_mode_or_follow_the_umask() {
    let world = World::new("agile");
    let dir = world.dir();
    let fresh = tempfile::tempdir().unwrap();
    expect(&with_umask(fresh.path(), "027", "init"), 0, "init under umask 027");
    for f in ["backlog/backlog-sync.toml", "backlog/backlog.toml", "backlog/stories/ST-1.md", "backlog/.gitignore"] {
        assert_eq!(mode(&fresh.path().join(f)), 0o640, "{f} follows the umask 027");
    }
    expect(&cli(dir, &["sync"]), 0, "first sync");
    std::fs::set_permissions(world.story(), std::fs::Permissions::from_mode(0o664)).unwrap();
    world.edit_github_title(ST1, "Renamed on GitHub").await;
    expect(&with_umask(dir, "077", "sync"), 0, "a sync that rewrites ST-1 under umask 077");
    assert!(std::fs::read_to_string(world.story()).unwrap().contains("title: Renamed on GitHub"));
    assert_eq!(mode(&world.story()), 0o664, "a rewritten file keeps its mode");

    let settings = dir.join("backlog-sync.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    let text =
        text.replacen("[sync]", "[summary.channels.file]\npath = \"summaries/{audience}-{period}.{ext}\"\n\n[sync]", 1);
    std::fs::write(&settings, text).unwrap();
    expect(&with_umask(dir, "022", "summary --post"), 0, "summary --post to a file");
    let written: Vec<_> = std::fs::read_dir(dir.join("summaries")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!written.is_empty());
    for f in written {
        assert_eq!(mode(&f), 0o644, "{} follows the umask 022", f.display());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn resolve_with_a_value_reaches_both_targets_and_a_run_with_conflicts_is_not_a_success() {
    let world = World::new("agile");
    let dir = world.dir();
    expect(&cli(dir, &["sync"]), 0, "first sync");
    let story = std::fs::read_to_string(world.story()).unwrap();
    std::fs::write(world.story(), story.replace("title: See the whole backlog in one place", "title: From the file"))
        .unwrap();
    world.edit_github_title(ST1, "From GitHub").await;
    expect(&cli(dir, &["plan"]), 0, "plan");
    expect(&cli(dir, &["sync"]), 1, "a sync that leaves a conflict");
    let runs = expect(&cli(dir, &["status", "--format", "json"]), 1, "status json");
    let runs: serde_json::Value = serde_json::from_str(&runs).unwrap();
    assert_eq!(runs["runs"][0]["outcome"], "conflicts", "{runs}");

    let bad = cli(dir, &["resolve", "ST-1", "title", "--keep", "jira"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("use `--keep` with one of file, github"), "{}", stderr(&bad));
    let none = cli(dir, &["resolve", "ST-1", "points", "--keep", "file"]);
    assert!(stderr(&none).contains("no open conflict on `ST-1` `points`"), "{}", stderr(&none));

    expect(&cli(dir, &["resolve", "ST-1", "title", "--value", "Agreed in the meeting"]), 0, "resolve --value");
    expect(&cli(dir, &["sync"]), 0, "sync after resolve");
    assert_eq!(world.github_issue(ST1).await["title"], "Agreed in the meeting");
    assert_eq!(world.work_item(ST1).await["fields"]["System.Title"], "Agreed in the meeting");
    assert!(std::fs::read_to_string(world.story()).unwrap().contains("title: Agreed in the meeting\n"));
    let status = expect(&cli(dir, &["status"]), 0, "status");
    assert!(status.contains("open conflicts: 0"), "{status}");
}

#[test]
fn config_errors_name_the_file_and_key_once_and_list_the_valid_values() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("backlog-sync.toml"), "[sync]\nconflict_policy = \"remote-win\"\n").unwrap();
    let out = cli(tmp.path(), &["status"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.matches("`remote-win`").count(), 1, "said once: {err}");
    assert!(err.contains("`sync.conflict_policy`: `remote-win` is not a conflict policy"), "{err}");
    assert!(err.contains("backlog-sync.toml") && err.contains("sync.conflict_policy"), "{err}");
    assert!(err.contains("canonical-wins, remote-wins, newest-wins, manual"), "{err}");
}

#[test]
fn wait_takes_durations_and_a_held_lock_exits_4_with_retry_advice() {
    let tmp = tempfile::tempdir().unwrap();
    let backlog = crate::common::synthetic_backlog(tmp.path(), 1, 1, 0);
    std::fs::write(
        tmp.path().join("backlog-sync.toml"),
        format!(
            "[backlog]\npath = \"backlog\"\n{}process = \"agile\"\n",
            targets_toml("http://127.0.0.1:9", "http://127.0.0.1:9/contoso")
        ),
    )
    .unwrap();
    let state = backlog.join(".backlog-sync");
    let _held = backlog_sync::store::SyncLock::acquire(&state, &["github"], None).unwrap();
    for wait in [&["--wait", "10ms"][..], &["--wait", "0"][..], &[][..]] {
        let mut args = vec!["sync"];
        args.extend_from_slice(wait);
        let out = cli(tmp.path(), &args);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("target `github`") && stderr(&out).contains("--wait"), "{}", stderr(&out));
    }
    let bad = cli(tmp.path(), &["sync", "--wait", "soon"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("`30s`, `5m`"), "{}", stderr(&bad));
    let help = stdout(&cli(tmp.path(), &["--help"])).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("4 another run holds a target"), "{help}");
}

#[test]
fn completions_and_the_man_page_name_every_subcommand() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = expect(&cli(tmp.path(), &["completions", shell]), 0, shell);
        for sub in SUBCOMMANDS {
            assert!(out.contains(sub), "{shell} completes `{sub}`");
        }
    }
    let man = expect(&cli(tmp.path(), &["man"]), 0, "man");
    assert!(man.starts_with(".ie") || man.contains(".TH"), "roff:\n{}", &man[..man.len().min(200)]);
    for sub in SUBCOMMANDS {
        assert!(man.contains(&format!("backlog\\-sync\\-{sub}")) || man.contains(sub), "the man page names `{sub}`");
    }
}

#[test]
fn the_demos_closing_advice_works_after_the_demo_has_ended() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let out = expect(&cli(&root(), &["demo", "--dir", demo.to_str().unwrap()]), 0, "demo");
    let advice: Vec<String> = out
        .lines()
        .flat_map(|l| l.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>())
        .filter(|c| c.starts_with("backlog-sync lint") || c.starts_with("backlog-sync status"))
        .collect();
    assert_eq!(advice.len(), 2, "a lint and a status command:\n{out}");
    for command in advice {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let out = cli(tmp.path(), &args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "`{command}` works once the twins are gone:\n{}",
            stderr(&out)
        );
        assert!(!stdout(&out).is_empty(), "`{command}` says something");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_setting_picks_the_built_in_azure_mapping_and_a_wrong_one_is_refused_by_the_project() {
    let world = World::new("basic");
    let dir = world.dir();
    let settings = dir.join("backlog-sync.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    let wrong = text.replace(
        "token_env = \"FIRST_HOUR_AZURE_TOKEN\"",
        "token_env = \"FIRST_HOUR_AZURE_TOKEN\"\nprocess = \"scrum\"",
    );
    std::fs::write(&settings, &wrong).unwrap();
    let validate = expect(&cli(dir, &["validate"]), 0, "validate");
    assert!(validate.contains("built-in mapping azure-boards/scrum.toml"), "{validate}");
    let refused = cli(dir, &["sync"]);
    assert_ne!(refused.status.code(), Some(0), "a Basic project has no Product Backlog Item type");
    std::fs::write(&settings, wrong.replace("process = \"scrum\"", "process = \"basic\"")).unwrap();
    expect(&cli(dir, &["sync"]), 0, "sync with process = \"basic\"");
    let story = world.work_item(ST1).await;
    assert_eq!(story["fields"]["System.WorkItemType"], "Issue", "{story}");
    assert_eq!(story["fields"]["System.State"], "To Do", "{story}");
}

/// A backlog started without `--mappings` can get the copies later: `init --mappings` on it writes
/// only what is missing and leaves every existing file, an edited identities file included.
#[test]
fn init_with_mappings_on_an_existing_backlog_adds_only_the_missing_copies() {
    let tmp = tempfile::tempdir().unwrap();
    expect(&cli(tmp.path(), &["init"]), 0, "init");
    let backlog = tmp.path().join("backlog");
    let refused = cli(tmp.path(), &["init"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("init --mappings backlog"), "the way to add the copies: {}", stderr(&refused));
    std::fs::create_dir_all(backlog.join("mappings")).unwrap();
    let people = "[[people]]\ncanonical = \"product owner\"\ngithub = \"po-gh\"\n";
    std::fs::write(backlog.join("mappings/identities.toml"), people).unwrap();
    let story_before = std::fs::read_to_string(backlog.join("stories/ST-1.md")).unwrap();
    let out = expect(&cli(tmp.path(), &["init", "--mappings"]), 0, "init --mappings on the backlog");
    assert!(out.contains("kept") && out.contains("identities.toml"), "{out}");
    assert_eq!(std::fs::read_to_string(backlog.join("mappings/identities.toml")).unwrap(), people, "kept as edited");
    assert_eq!(std::fs::read_to_string(backlog.join("stories/ST-1.md")).unwrap(), story_before);
    for (file, built_in) in backlog_sync::mapping::builtin::FILES {
        if !file.ends_with("identities.toml") {
            assert_eq!(std::fs::read_to_string(backlog.join(file)).unwrap(), built_in, "{file}");
        }
    }
    expect(&cli(&backlog, &["validate"]), 0, "validate beside the copies");
    let again = expect(&cli(tmp.path(), &["init", "--mappings"]), 0, "a second time");
    assert!(again.contains("nothing written"), "{again}");
}
