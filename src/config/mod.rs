//! Layered settings — built-in defaults < `--config FILE` < environment `BACKLOG_SYNC__SECTION__KEY` —
//! validated after loading; secrets are read from the environment or a file and never printed.

mod git;
mod secret;
mod targets;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use git::{DEFAULT_AUTHOR, GitMode, GitSettings};
pub use secret::Secret;

use crate::drift::Severity;
use crate::drift::lint::SeverityOverrides;

/// The documented defaults, shipped as `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file (or the environment) does not parse into settings: one line, with file and key.
    #[error("cannot load the settings{}: {reason}", file.as_ref().map(|f| format!(" `{}`", f.display())).unwrap_or_default())]
    Load { file: Option<PathBuf>, reason: String },
    #[error("`{0}` does not exist; pass an existing file to `--config` or leave it out to use the defaults")]
    Missing(PathBuf),
    #[error("invalid setting `{key}`: {reason}")]
    Invalid { key: String, reason: String },
    #[error("`{file}`: {error}")]
    InFile { file: PathBuf, error: Box<ConfigError> },
}

/// The settings file a command reads when `--config` is not given, first found wins:
/// `BACKLOG_SYNC_CONFIG`, `./backlog-sync.toml`, then `PATH/backlog-sync.toml` for a command's
/// backlog PATH argument. Returns the file (if any) and every place looked at.
pub fn discover(explicit: Option<&Path>, backlog_arg: Option<&Path>) -> (Option<PathBuf>, Vec<PathBuf>) {
    if let Some(file) = explicit {
        return (Some(file.to_path_buf()), vec![file.to_path_buf()]);
    }
    let mut looked = Vec::new();
    if let Some(file) = std::env::var_os("BACKLOG_SYNC_CONFIG").filter(|v| !v.is_empty()) {
        // Named on purpose: a missing file is an error, not a reason to look elsewhere.
        return (Some(PathBuf::from(file)), vec![]);
    }
    looked.push(PathBuf::from(SETTINGS_FILE));
    if let Some(dir) = backlog_arg {
        looked.push(dir.join(SETTINGS_FILE));
    }
    let found = looked.iter().find(|p| p.is_file()).cloned();
    (found, looked)
}

/// The settings file's name that `init` writes and commands look for.
pub const SETTINGS_FILE: &str = "backlog-sync.toml";

/// Which Azure Boards process a project follows; picks the built-in mapping.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(try_from = "String")]
pub enum Process {
    Agile,
    Scrum,
    Cmmi,
    Basic,
}

impl Process {
    pub const ALL: [Process; 4] = [Process::Agile, Process::Scrum, Process::Cmmi, Process::Basic];

    pub fn as_str(self) -> &'static str {
        match self {
            Process::Agile => "agile",
            Process::Scrum => "scrum",
            Process::Cmmi => "cmmi",
            Process::Basic => "basic",
        }
    }
}

impl TryFrom<String> for Process {
    type Error = String;
    fn try_from(s: String) -> Result<Process, String> {
        Process::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("`{s}` is not a process; use one of agile, scrum, cmmi, basic"))
    }
}

/// Every setting; see `config/default.toml` for what each one means.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub backlog: BacklogSettings,
    pub state: StateSettings,
    #[serde(default)]
    pub targets: Vec<TargetSettings>,
    pub sync: SyncSettings,
    pub server: ServerSettings,
    pub webhooks: WebhookSettings,
    pub schedule: ScheduleSettings,
    pub lint: LintSettings,
    #[serde(default)]
    pub summary: SummarySettings,
    /// The settings file these came from, if any (not a setting).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BacklogSettings {
    pub path: PathBuf,
    /// `[backlog.git]`: `path` is then a clone of this repository, made on the first run.
    #[serde(default)]
    pub git: Option<GitSettings>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StateSettings {
    /// Relative paths are relative to the backlog folder.
    pub path: PathBuf,
}

pub use crate::trackers::TargetKind;

pub use crate::trackers::TrackerSettings;

/// One remote system instance: one `[[targets]]` table. What every target has is here; `kind`
/// and the keys only its tracker knows are the tracker's own settings, `tracker`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct TargetSettings {
    pub name: String,
    /// The environment variable that holds the token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Or a file that holds it.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// A mapping file to adapt (`init --mappings` writes copies); absent: the built-in one for
    /// the target's kind (for Azure Boards, for the project's process).
    #[serde(default)]
    pub mapping: Option<PathBuf>,
    /// `kind = "…"` and that tracker's keys (an unknown key is refused there).
    #[serde(flatten)]
    pub tracker: TrackerSettings,
}

impl TargetSettings {
    /// Which tracker the target is on.
    pub fn kind(&self) -> TargetKind {
        self.tracker.kind()
    }
}

/// How a conflict (both sides changed one field differently) is settled.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum ConflictPolicy {
    CanonicalWins,
    RemoteWins,
    NewestWins,
    Manual,
}

impl TryFrom<String> for ConflictPolicy {
    type Error = String;
    fn try_from(s: String) -> Result<ConflictPolicy, String> {
        Ok(match s.trim() {
            "canonical-wins" => ConflictPolicy::CanonicalWins,
            "remote-wins" => ConflictPolicy::RemoteWins,
            "newest-wins" => ConflictPolicy::NewestWins,
            "manual" => ConflictPolicy::Manual,
            _ => {
                return Err(format!(
                    "`{s}` is not a conflict policy; use one of canonical-wins, remote-wins, newest-wins, manual"
                ));
            }
        })
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    pub conflict_policy: ConflictPolicy,
    /// Per-field policies that override `conflict_policy`.
    #[serde(default)]
    pub field_policies: BTreeMap<String, ConflictPolicy>,
    /// `"10%"` or a count such as `"25"`.
    pub max_removals: String,
    /// Sync the `[[milestones]]` of `backlog.toml` with GitHub milestones and Azure Boards
    /// iterations before the items (one listing per target each run).
    #[serde(default)]
    pub milestones: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: String,
    /// How long after the first trigger of a batch its run starts; triggers within it join that run.
    #[serde(default = "default_debounce_ms")]
    pub debounce_ms: u64,
    /// The most distinct pending keys; beyond it a webhook is answered 503 with `Retry-After`.
    #[serde(default = "default_queue_capacity")]
    pub queue_capacity: usize,
    /// The largest webhook body accepted, in bytes; larger ones get 413.
    #[serde(default = "default_body_limit")]
    pub body_limit: usize,
    /// Where the dashboard is served (it shows backlog content and e-mails): `"off"`, or an
    /// address; unset, 127.0.0.1 on the webhook port + 1 (port 0 when `listen`'s port is 0).
    #[serde(default)]
    pub dashboard_listen: Option<String>,
    /// The most connections held at once per listener; beyond it a new one is closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// The most webhook bodies read at once (each up to `body_limit`); beyond it 503 + Retry-After.
    #[serde(default = "default_max_uploads")]
    pub max_uploads: usize,
    /// How long a client may take to send a request's headers (idle keep-alive included).
    #[serde(default = "default_header_timeout_ms")]
    pub header_timeout_ms: u64,
    /// How long a client may take to send a webhook body; a slower one gets 408.
    #[serde(default = "default_body_timeout_ms")]
    pub body_timeout_ms: u64,
}

fn default_max_connections() -> usize {
    1024
}

fn default_max_uploads() -> usize {
    64
}

fn default_header_timeout_ms() -> u64 {
    10_000
}

fn default_body_timeout_ms() -> u64 {
    10_000
}

fn default_debounce_ms() -> u64 {
    2000
}

fn default_queue_capacity() -> usize {
    1024
}

fn default_body_limit() -> usize {
    1024 * 1024
}

fn default_jitter_ms() -> u64 {
    1000
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    #[serde(default)]
    pub github: GithubHookSettings,
    #[serde(default)]
    pub azure_devops: AzureHookSettings,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct GithubHookSettings {
    pub secret_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct AzureHookSettings {
    pub username: Option<String>,
    pub password_env: Option<String>,
    /// A header the service hook sends with the password as its value, instead of basic auth.
    pub secret_header: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSettings {
    /// Cron expressions with seconds, or `off`.
    pub sync: String,
    pub reconcile: String,
    pub summary: String,
    /// Each firing is delayed by a random 0..jitter_ms, so many daemons do not hit a remote at once.
    #[serde(default = "default_jitter_ms")]
    pub jitter_ms: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct LintSettings {
    /// Rule id → `error`, `warning`, `info` or `off`.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
}

/// `[summary]`: stakeholder summaries — templates and where each channel posts.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct SummarySettings {
    /// A folder whose templates (`team.md.j2`, …) replace the shipped ones; empty: the shipped ones.
    #[serde(default)]
    pub templates: Option<PathBuf>,
    /// How many risks the executive summary shows.
    #[serde(default = "three")]
    pub top_risks: usize,
    #[serde(default)]
    pub channels: SummaryChannels,
}

fn three() -> usize {
    3
}

/// `[summary.channels.*]`: one table per channel kind a stakeholder can name.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct SummaryChannels {
    #[serde(default)]
    pub github: GithubSummaryChannel,
    #[serde(default)]
    pub azure_wiki: AzureWikiChannel,
    #[serde(default)]
    pub teams: WebhookChannel,
    #[serde(default)]
    pub slack: WebhookChannel,
    #[serde(default)]
    pub file: FileChannel,
}

/// Whether a channel edits one message per audience or adds one per period.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PostMode {
    #[default]
    Edit,
    PerPeriod,
}

/// `[summary.channels.github]`: comments on one summary issue of a GitHub target.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct GithubSummaryChannel {
    /// The name of a `[[targets]]` entry of kind `github` (repository, API URL, token).
    pub target: Option<String>,
    /// The summary issue's number; absent: found by its marker, or created.
    pub issue: Option<u64>,
    pub title: Option<String>,
    #[serde(default)]
    pub mode: PostMode,
}

/// `[summary.channels.azure_wiki]`: a page of an Azure DevOps project wiki.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct AzureWikiChannel {
    /// The name of a `[[targets]]` entry of kind `azure-boards` (organization, project, token).
    pub target: Option<String>,
    /// The wiki name or id; absent: the project wiki `PROJECT.wiki`.
    pub wiki: Option<String>,
    /// The page path; `{audience}` and `{period}` are filled in.
    pub path: Option<String>,
}

/// `[summary.channels.teams]` / `[summary.channels.slack]`: an incoming webhook, whose URL is a secret.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct WebhookChannel {
    /// The environment variable that holds the webhook URL.
    pub webhook_url_env: Option<String>,
    /// Or a file whose first line is the URL.
    pub webhook_url_file: Option<PathBuf>,
}

/// `[summary.channels.file]`: a Markdown or HTML file.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct FileChannel {
    /// The file path; `{audience}`, `{period}` and `{ext}` are filled in; relative to the backlog folder.
    pub path: Option<String>,
    /// `md` or `html`.
    pub format: Option<String>,
}

impl Settings {
    /// Loads defaults, then `file` if given, then the environment, and validates the result.
    /// Relative paths in a settings file (`backlog.path`, each target's `mapping` and
    /// `token_file`) are relative to that file's folder.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULT_TOML, config::FileFormat::Toml));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Missing(path.to_path_buf()));
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        builder =
            builder.add_source(config::Environment::with_prefix("BACKLOG_SYNC").prefix_separator("__").separator("__"));
        let load = |e: config::ConfigError| ConfigError::Load {
            file: file.map(Path::to_path_buf),
            reason: key_first(&e.to_string()),
        };
        let built = builder.build().map_err(load)?;
        let mut settings: Settings = built.clone().try_deserialize().map_err(|e| {
            let error = load(e);
            match (targets::explain(&built, &error.to_string()), file) {
                (Some(explained), Some(f)) => ConfigError::InFile { file: f.to_path_buf(), error: Box::new(explained) },
                (Some(explained), None) => explained,
                (None, _) => error,
            }
        })?;
        settings.source = file.map(Path::to_path_buf);
        if let Some(dir) = file.and_then(Path::parent) {
            let anchor = |p: &mut PathBuf| {
                if p.is_relative() {
                    *p = dir.join(&*p);
                }
            };
            anchor(&mut settings.backlog.path);
            if let Some(git) = settings.backlog.git.as_mut() {
                for f in [&mut git.token_file, &mut git.ssh_key_file].into_iter().flatten() {
                    anchor(f);
                }
            }
            for t in &mut settings.targets {
                if let Some(m) = t.mapping.as_mut() {
                    anchor(m);
                }
                t.token_file.iter_mut().chain(t.tracker.files_mut()).for_each(anchor);
            }
            let s = &mut settings.summary;
            let files =
                [&mut s.templates, &mut s.channels.teams.webhook_url_file, &mut s.channels.slack.webhook_url_file];
            files.into_iter().flatten().for_each(anchor);
        }
        settings.validate().map_err(|error| match file {
            Some(f) => ConfigError::InFile { file: f.to_path_buf(), error: Box::new(error) },
            None => error,
        })?;
        Ok(settings)
    }

    /// Checks what serde cannot: known rule ids, severities, policies, unique target names and
    /// the fields each target kind needs.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.severity_overrides()?;
        if let Some(git) = &self.backlog.git {
            git.validate(&self.targets)?;
        }
        parse_max_removals(&self.sync.max_removals)
            .map_err(|reason| ConfigError::Invalid { key: "sync.max_removals".into(), reason })?;
        let mut names = BTreeSet::new();
        for (i, t) in self.targets.iter().enumerate() {
            let key = |k: &str| format!("targets[{i}].{k}");
            if !names.insert(t.name.as_str()) {
                return Err(ConfigError::Invalid {
                    key: key("name"),
                    reason: format!("two targets are named `{}`; give each a unique name", t.name),
                });
            }
            let token = t.token_env.is_some() || t.token_file.is_some();
            t.tracker
                .check(&t.name, token)
                .map_err(|(field, reason)| ConfigError::Invalid { key: key(field), reason })?;
            if !token && !t.tracker.signs_in_itself() {
                return Err(ConfigError::Invalid {
                    key: key("token_env"),
                    reason: format!(
                        "target `{}` needs `token_env` or `token_file` to find its token (or a GitHub App's `app_id`, or an Entra ID `client_id`)",
                        t.name
                    ),
                });
            }
        }
        Ok(())
    }

    /// `[lint.severity]` as overrides; unknown rules and severities are errors.
    pub fn severity_overrides(&self) -> Result<SeverityOverrides, ConfigError> {
        let mut out = BTreeMap::new();
        for (rule, level) in &self.lint.severity {
            let key = format!("lint.severity.{rule}");
            if crate::drift::rule(rule).is_none() {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("there is no rule `{rule}`; `backlog-sync lint --rules` lists them"),
                });
            }
            let level = if level.eq_ignore_ascii_case("off") {
                None
            } else {
                Some(level.parse::<Severity>().map_err(|reason| ConfigError::Invalid { key, reason })?)
            };
            out.insert(rule.clone(), level);
        }
        Ok(SeverityOverrides(out))
    }

    /// The SQLite file: `state.path`, relative to the backlog folder unless absolute.
    pub fn state_path(&self) -> PathBuf {
        if self.state.path.is_absolute() { self.state.path.clone() } else { self.backlog.path.join(&self.state.path) }
    }
}

/// `why for key `k`` (as the config crate words it) → `` `k`: why ``: the key first, said once.
fn key_first(reason: &str) -> String {
    match reason.rsplit_once(" for key `") {
        Some((why, key)) if key.ends_with('`') => format!("`{key}: {why}"),
        _ => reason.to_string(),
    }
}

/// How many removals one run may make: `"10%"` of the linked items or a plain count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxRemovals {
    Percent(f64),
    Count(usize),
}

impl MaxRemovals {
    /// The largest number of removals allowed among `total` linked items (at least one).
    pub fn limit(self, total: usize) -> usize {
        match self {
            MaxRemovals::Percent(p) => ((total as f64) * p / 100.0).floor().max(1.0) as usize,
            MaxRemovals::Count(n) => n,
        }
    }
}

pub fn parse_max_removals(s: &str) -> Result<MaxRemovals, String> {
    let s = s.trim();
    let bad = || format!("`{s}` is neither a percentage like `10%` nor a count like `25`");
    match s.strip_suffix('%') {
        Some(p) => {
            p.trim().parse::<f64>().ok().filter(|p| (0.0..=100.0).contains(p)).map(MaxRemovals::Percent).ok_or_else(bad)
        }
        None => s.parse::<usize>().map(MaxRemovals::Count).map_err(|_| bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_validate() {
        let s = Settings::load(None).unwrap();
        assert_eq!(s.sync.conflict_policy, ConflictPolicy::Manual);
        assert_eq!(parse_max_removals(&s.sync.max_removals), Ok(MaxRemovals::Percent(10.0)));
        assert!(s.targets.is_empty());
    }

    #[test]
    fn max_removals_limits() {
        let cases = [("10%", 100, 10), ("10%", 5, 1), ("3", 100, 3), ("0%", 50, 1)];
        for (text, total, want) in cases {
            assert_eq!(parse_max_removals(text).unwrap().limit(total), want, "{text} of {total}");
        }
        assert!(parse_max_removals("ten").is_err());
    }
}
