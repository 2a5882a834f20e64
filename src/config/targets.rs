//! A `[[targets]]` table that does not load, in words: serde says "missing field" or "unknown
//! field" of a tracker's settings; this names the target, its kind, the key and how to fix it.

use config::{Config, Value};

use super::{ConfigError, TargetKind};

/// The keys every target has, whatever its kind.
const COMMON: [&str; 5] = ["name", "kind", "token_env", "token_file", "mapping"];

/// What a target's table says about itself, read from the raw settings.
struct Table {
    index: usize,
    name: Option<String>,
    kind: Option<String>,
}

/// `message` (a load error of `config`) explained when it is about a `[[targets]]` table;
/// `None` when it is not, or cannot be said better.
pub(super) fn explain(config: &Config, message: &str) -> Option<ConfigError> {
    let index = index_in(message)?;
    let table = table(config, index);
    let key = |k: &str| format!("targets[{index}].{k}");
    let who = match (&table.name, &table.kind) {
        (Some(n), Some(k)) => format!("target `{n}` (kind `{k}`)"),
        (Some(n), None) => format!("target `{n}`"),
        (None, _) => format!("target {}", table.index + 1),
    };
    let invalid = |k: &str, reason: String| Some(ConfigError::Invalid { key: key(k), reason });
    let missing_prefix = format!("missing configuration field \"targets[{index}]");
    if let Some(rest) = message.split(&missing_prefix).nth(1) {
        let field = rest.split('"').next().unwrap_or_default();
        return match field {
            "kind" => invalid("kind", format!("{who} needs `kind`: one of {}", kinds())),
            "name" => invalid("name", format!("{who} needs `name`: how links, logs and `status` call it")),
            _ => {
                let what = table.kind.as_deref().and_then(TargetKind::named).and_then(|k| what_of(k, field));
                let what = what.map(|w| format!(": {w}")).unwrap_or_default();
                invalid(field, format!("{who} needs `{field}`{what}"))
            }
        };
    }
    if let Some(rest) = message.split("unknown field `").nth(1) {
        let field = rest.split('`').next().unwrap_or_default();
        let kind = table.kind.as_deref().and_then(TargetKind::named);
        let owner = TargetKind::all().into_iter().find(|k| Some(*k) != kind && what_of(*k, field).is_some());
        let reason = match (owner, kind) {
            (Some(owner), Some(kind)) => format!(
                "{who}: `{field}` is a setting of `{}` targets, not of `{}` ones; remove it, or fix `kind`",
                owner.name(),
                kind.name()
            ),
            (_, Some(kind)) => format!(
                "{who} has no setting `{field}`; a `{}` target takes {}",
                kind.name(),
                COMMON
                    .iter()
                    .copied()
                    .chain(kind.keys().iter().map(|(k, _)| *k))
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => return None,
        };
        return invalid(field, reason);
    }
    if let Some(rest) = message.split("unknown variant `").nth(1) {
        let kind = rest.split('`').next().unwrap_or_default();
        return invalid("kind", format!("{who}: `{kind}` is not a target kind; use one of {}", kinds()));
    }
    None
}

/// The kinds, as settings name them: `github, azure-boards`.
fn kinds() -> String {
    TargetKind::all().map(TargetKind::name).join(", ")
}

/// What `field` holds on a target of `kind`, if it is one of that kind's settings.
fn what_of(kind: TargetKind, field: &str) -> Option<&'static str> {
    kind.keys().iter().find(|(k, _)| *k == field).map(|(_, what)| *what)
}

/// The N of the first `targets[N]` in `message`.
fn index_in(message: &str) -> Option<usize> {
    let rest = message.split("targets[").nth(1)?;
    rest.split(']').next()?.parse().ok()
}

/// The name and kind of table `index`, as written (either may be absent or not a string).
fn table(config: &Config, index: usize) -> Table {
    let entry = config.get::<Vec<Value>>("targets").ok().and_then(|t| t.into_iter().nth(index));
    let map = entry.and_then(|e| e.into_table().ok()).unwrap_or_default();
    let text = |k: &str| map.get(k).and_then(|v| v.clone().into_string().ok());
    Table { index, name: text("name"), kind: text("kind") }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    /// Loads `[[targets]]` tables written as TOML through the same layers as `--config`.
    fn load(targets: &str) -> Result<Settings, String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("backlog-sync.toml");
        std::fs::write(&file, format!("[backlog]\npath = \".\"\n{targets}")).unwrap();
        Settings::load(Some(&file)).map_err(|e| e.to_string())
    }

    const GITHUB: &str = "[[targets]]\nname = \"gh\"\nkind = \"github\"\n";
    const BOARDS: &str = "[[targets]]\nname = \"boards\"\nkind = \"azure-boards\"\n";

    #[test]
    fn each_kind_loads_its_own_settings_from_the_same_table_as_before() {
        let cases: [(String, &str, &str); 4] = [
            (
                format!("{GITHUB}repository = \"contoso/onboarding\"\ntoken_env = \"T\"\n"),
                "github",
                "https://api.github.com",
            ),
            (
                format!(
                    "{GITHUB}repository = \"c/o\"\napi_url = \"http://127.0.0.1:9/\"\nwrite_limit_per_minute = 5\napp_id = 7\napp_key_env = \"K\"\ninstallation_id = 9\n"
                ),
                "github",
                "http://127.0.0.1:9",
            ),
            (
                format!(
                    "{BOARDS}organization_url = \"https://dev.azure.com/contoso/\"\nproject = \"Onboarding\"\nprocess = \"Scrum\"\ntoken_file = \"t\"\n"
                ),
                "azure-boards",
                "https://dev.azure.com/contoso",
            ),
            (
                format!(
                    "{BOARDS}organization_url = \"https://dev.azure.com/c\"\nproject = \"P\"\ntenant_id = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\nmapping = \"m.toml\"\n"
                ),
                "azure-boards",
                "https://dev.azure.com/c",
            ),
        ];
        for (toml, kind, api) in cases {
            let s = load(&toml).unwrap_or_else(|e| panic!("{toml}: {e}"));
            let t = &s.targets[0];
            assert_eq!((t.kind().name(), t.tracker.api_url()), (kind, api), "{toml}");
            // The same table through `toml` alone (tests and `validate` read it so too).
            let table = toml.trim_start_matches("[[targets]]\n");
            let direct: crate::config::TargetSettings = toml::from_str(table).unwrap();
            assert_eq!(direct.tracker, t.tracker, "{toml}");
        }
        let s = load(&format!(
            "{GITHUB}repository = \"c/o\"\ntoken_file = \"tok\"\napp_key_file = \"k.pem\"\napp_id = 1\n"
        ));
        assert!(s.unwrap_err().contains("both a token and `app_id`"));
    }

    #[test]
    fn a_table_that_does_not_fit_its_kind_names_the_target_the_key_and_the_fix() {
        let cases: [(String, &str, &[&str]); 8] = [
            (
                format!("{GITHUB}token_env = \"T\"\n"),
                "targets[0].repository",
                &["target `gh` (kind `github`) needs `repository`", "owner/name"],
            ),
            (
                format!("{BOARDS}organization_url = \"https://dev.azure.com/c\"\ntoken_env = \"T\"\n"),
                "targets[0].project",
                &["target `boards` (kind `azure-boards`) needs `project`", "project = \""],
            ),
            (
                format!("{BOARDS}project = \"P\"\ntoken_env = \"T\"\n"),
                "targets[0].organization_url",
                &["needs `organization_url`", "https://dev.azure.com/"],
            ),
            (
                format!("{GITHUB}repository = \"c/o\"\nproject = \"P\"\ntoken_env = \"T\"\n"),
                "targets[0].project",
                &["`project` is a setting of `azure-boards` targets, not of `github` ones", "fix `kind`"],
            ),
            (
                format!("{BOARDS}organization_url = \"u\"\nproject = \"P\"\napp_id = 3\ntoken_env = \"T\"\n"),
                "targets[0].app_id",
                &["`app_id` is a setting of `github` targets"],
            ),
            (
                format!("{GITHUB}repositry = \"c/o\"\ntoken_env = \"T\"\n"),
                "targets[0].repositry",
                &["target `gh` (kind `github`) has no setting `repositry`", "`repository`", "`token_env`"],
            ),
            (
                "[[targets]]\nname = \"gl\"\nkind = \"gitlab\"\ntoken_env = \"T\"\n".to_string(),
                "targets[0].kind",
                &["`gitlab` is not a target kind; use one of github, azure-boards"],
            ),
            (
                "[[targets]]\nname = \"x\"\nrepository = \"c/o\"\n".to_string(),
                "targets[0].kind",
                &["target `x` needs `kind`: one of github, azure-boards"],
            ),
        ];
        for (toml, key, want) in cases {
            let e = load(&toml).expect_err(&toml);
            assert!(e.contains(&format!("invalid setting `{key}`")), "{toml}: {e}");
            for w in want {
                assert!(e.contains(w), "{toml}: `{w}` missing from: {e}");
            }
        }
    }
}
