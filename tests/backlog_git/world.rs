//! A backlog repository world: a bare repository as the remote, a product owner's clone holding
//! a small backlog, the GitHub and Azure DevOps twins, and settings whose `[backlog] path` is the
//! sync's own clone (made by its first run) with `[backlog.git] remote` the bare repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::RunOptions;
use backlog_twins::azure::Process;

use crate::common::synthetic_backlog;
use crate::support::azure_env::{self, mapping_of, target_toml};
use crate::support::github_env::{GhEnv, REPO};

pub struct GitWorld {
    pub gh: GhEnv,
    /// The Azure DevOps twin and REST calls to it as a person.
    pub boards: azure_env::AzEnv,
    pub tmp: tempfile::TempDir,
    pub bare: PathBuf,
    /// The product owner's clone.
    pub po: PathBuf,
    /// The sync's clone (`[backlog] path`).
    pub clone: PathBuf,
    pub config: PathBuf,
}

/// Runs git in `dir` as a person (`Ann PO`); panics unless it succeeds.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_out(dir, args);
    assert!(out.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn git_out(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ann PO")
        .env("GIT_AUTHOR_EMAIL", "ann@contoso.com")
        .env("GIT_COMMITTER_NAME", "Ann PO")
        .env("GIT_COMMITTER_EMAIL", "ann@contoso.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs")
}

impl GitWorld {
    /// The world with `extra` appended to the settings (e.g. `[backlog.git]` keys after `mode`).
    pub async fn new(git_extra: &str) -> GitWorld {
        let tmp = tempfile::tempdir().unwrap();
        let source = synthetic_backlog(tmp.path(), 1, 3, 1);
        let gh = GhEnv::new(&source, "manual").await;
        let boards = azure_env::AzEnv::new(&source, "manual", Process::Agile).await;
        let bare = tmp.path().join("backlog.git");
        git(tmp.path(), &["init", "--quiet", "--bare", "-b", "main", bare.to_str().unwrap()]);
        // The product owner's clone: the backlog committed and pushed.
        let po = tmp.path().join("po");
        git(tmp.path(), &["clone", "--quiet", bare.to_str().unwrap(), po.to_str().unwrap()]);
        copy_dir(&source, &po);
        git(&po, &["checkout", "--quiet", "-b", "main"]);
        git(&po, &["add", "--all"]);
        git(&po, &["commit", "--quiet", "-m", "the backlog"]);
        git(&po, &["push", "--quiet", "origin", "main"]);
        let clone = tmp.path().join("sync-clone");
        let token = tmp.path().join("gh-token");
        std::fs::write(&token, format!("{}\n", crate::support::github_env::TOKEN)).unwrap();
        let az_token = tmp.path().join("az-token");
        std::fs::write(&az_token, format!("{}\n", azure_env::TOKEN)).unwrap();
        let config = tmp.path().join("settings.toml");
        std::fs::write(
            &config,
            format!(
                "[backlog]\npath = {clone:?}\n\n[backlog.git]\nremote = {bare:?}\nrepository = \"contoso/backlog\"\n{git_extra}\n\n[[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"{REPO}\"\napi_url = \"{}\"\ntoken_file = {token:?}\nmapping = {:?}\n\n{}\n[sync]\nconflict_policy = \"manual\"\n",
                gh.twin.base_url(),
                crate::common::root().join("mappings/github/default.toml"),
                target_toml("boards", &boards.twin, &az_token, &mapping_of(Process::Agile)),
            ),
        )
        .unwrap();
        GitWorld { gh, boards, tmp, bare, po, clone, config }
    }

    pub fn settings(&self) -> Settings {
        Settings::load(Some(&self.config)).expect("settings load")
    }

    /// One run as `sync` does it, in this process.
    pub async fn sync(
        &self,
    ) -> (backlog_sync::reconcile::engine::RunReport, Option<backlog_sync::backlog_git::Published>) {
        backlog_sync::backlog_git::run(&self.settings(), None, &RunOptions::default(), None).await.expect("sync runs")
    }

    /// The real binary: `backlog-sync ARGS --config SETTINGS`.
    pub async fn cli(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.push("--config".into());
        all.push(self.config.to_string_lossy().into_owned());
        let dir = self.tmp.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            crate::common::run_cli(&dir, &refs)
        })
        .await
        .unwrap()
    }

    /// `git log` of the bare repository's main: one `SHA SUBJECT` line per commit, newest first.
    pub fn remote_log(&self) -> Vec<String> {
        git(&self.bare, &["log", "--format=%H %s", "main"]).lines().map(str::to_string).collect()
    }

    /// A file of main in the bare repository.
    pub fn remote_file(&self, rel: &str) -> String {
        git(&self.bare, &["show", &format!("main:{rel}")])
    }

    /// The product owner edits a file, commits and pushes.
    pub fn po_edit(&self, rel: &str, from: &str, to: &str, message: &str) {
        git(&self.po, &["pull", "--quiet", "--rebase", "origin", "main"]);
        let path = self.po.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} holds {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        git(&self.po, &["commit", "--quiet", "-am", message]);
        git(&self.po, &["push", "--quiet", "origin", "main"]);
    }

    /// Installs a hook in the bare repository (a real git hook, run by `git receive-pack`).
    pub fn remote_hook(&self, name: &str, script: &str) {
        let path = self.bare.join("hooks").join(name);
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
