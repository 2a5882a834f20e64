//! The checker's world on disk: a small backlog of eight items (written here), the mappings, the
//! settings for both twins, and line edits of item files as a person makes them in an editor.

use std::path::Path;

const BACKLOG_TOML: &str =
    "name = \"Claims\"\n\n[[personas]]\nname = \"customer\"\n\n[[personas]]\nname = \"adjuster\"\n";

/// The eight item files, by relative path.
pub const FILES: [(&str, &str); 8] = [
    (
        "epics/EP-1.md",
        "---\nid: EP-1\ntitle: Claims intake\nstate: active\npriority: 1\n---\nEverything from first notice to a filed claim.\n",
    ),
    ("epics/EP-2.md", "---\nid: EP-2\ntitle: Payments\nstate: new\npriority: 2\n---\nPaying settled claims.\n"),
    (
        "stories/ST-1.md",
        "---\nid: ST-1\ntitle: As a customer, I can track my claim, so that I know when I am paid\nepic: EP-1\nstate: active\npriority: 2\n---\nThe claim page shows each step.\n",
    ),
    (
        "stories/ST-2.md",
        "---\nid: ST-2\ntitle: Upload damage photos\nepic: EP-1\npersona: customer\nactivity: upload photos of the damage\nbenefit: the adjuster sees it without a visit\nstate: new\npriority: 3\npoints: 3\nowner: alice@contoso.com\ntags: [intake]\n---\nPhotos from a phone.\n\n## Acceptance criteria\n- [ ] three photos upload on a slow network\n",
    ),
    (
        "stories/ST-3.md",
        "---\nid: ST-3\ntitle: Pay by bank transfer\nepic: EP-2\npersona: customer\nactivity: get paid by bank transfer\nbenefit: money arrives in two days\nstate: active\npriority: 2\nowner: dana@contoso.com\n---\nA transfer instead of a cheque.\n",
    ),
    (
        "stories/ST-4.md",
        "---\nid: ST-4\ntitle: Approve small claims\nepic: EP-2\nstate: new\npriority: 4\n---\nAs an adjuster, I can approve claims under 500 euros in one click, so that small claims are paid the same day.\n",
    ),
    (
        "stories/ST-5.md",
        "---\nid: ST-5\ntitle: Claim status by text message\nepic: EP-1\npersona: customer\nactivity: get a text when my claim moves\nbenefit: I need not call\nstate: new\ntags: [notify, sms]\n---\nOne text per step.\n",
    ),
    (
        "risks/RK-1.md",
        "---\nid: RK-1\ntitle: Photo storage costs grow\nstate: active\nlikelihood: medium\nseverity: high\nmitigation: Resize photos on upload\nowner: alice@contoso.com\n---\nPhotos are large.\n",
    ),
];

/// Writes the backlog, the mappings and the settings under `root`; returns the backlog folder.
pub fn write(root: &Path, repo_root: &Path, github_url: &str, boards_url: &str, policy: &str) -> std::path::PathBuf {
    let dir = root.join("backlog");
    for sub in ["epics", "stories", "risks"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(dir.join("backlog.toml"), BACKLOG_TOML).unwrap();
    for (rel, text) in FILES {
        std::fs::write(dir.join(rel), text).unwrap();
    }
    let maps = root.join("mappings");
    std::fs::create_dir_all(maps.join("github")).unwrap();
    std::fs::create_dir_all(maps.join("azure-boards")).unwrap();
    for rel in ["github/default.toml", "azure-boards/agile.toml", "identities.toml"] {
        std::fs::copy(repo_root.join("mappings").join(rel), maps.join(rel)).unwrap();
    }
    std::fs::write(root.join("gh-token"), super::world::GH_TOKEN).unwrap();
    std::fs::write(root.join("az-token"), super::world::AZ_TOKEN).unwrap();
    std::fs::create_dir_all(root.join("elsewhere")).unwrap();
    std::fs::write(root.join("elsewhere/notes.md"), "---\nid: ST-9\ntitle: not in the backlog\n---\n").unwrap();
    let settings = format!(
        "[backlog]\npath = {dir:?}\n\n\
         [[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"{repo}\"\napi_url = \"{github_url}\"\ntoken_file = {gh:?}\nmapping = {ghm:?}\nwrite_limit_per_minute = 100000\nwrite_limit_per_hour = 1000000\n\n\
         [[targets]]\nname = \"boards\"\nkind = \"azure-boards\"\norganization_url = \"{boards_url}\"\nproject = \"{project}\"\ntoken_file = {az:?}\nmapping = {azm:?}\n\n\
         [sync]\nconflict_policy = \"{policy}\"\nmax_removals = \"100%\"\n",
        repo = super::world::REPO,
        project = super::world::PROJECT,
        gh = root.join("gh-token"),
        az = root.join("az-token"),
        ghm = maps.join("github/default.toml"),
        azm = maps.join("azure-boards/agile.toml"),
    );
    std::fs::write(root.join("settings.toml"), settings).unwrap();
    dir
}

/// Splits an item file into its front matter lines and its body.
fn split(text: &str) -> Option<(Vec<String>, String)> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    let front = rest[..end].lines().map(str::to_string).collect();
    Some((front, rest[end + 5..].to_string()))
}

fn join(front: &[String], body: &str) -> String {
    format!("---\n{}\n---\n{body}", front.join("\n"))
}

/// Sets (or with `None` removes) one front matter key; `None` when the file has no front matter.
pub fn set_key(text: &str, key: &str, value: Option<&str>) -> Option<String> {
    let (mut front, body) = split(text)?;
    let prefix = format!("{key}:");
    let at = front.iter().position(|l| l.starts_with(&prefix));
    match (at, value) {
        (Some(i), Some(v)) => front[i] = format!("{key}: {v}"),
        (Some(i), None) => {
            front.remove(i);
        }
        (None, Some(v)) => front.push(format!("{key}: {v}")),
        (None, None) => {}
    }
    Some(join(&front, &body))
}

/// Replaces the description (the body before `## Acceptance criteria`).
pub fn set_description(text: &str, description: &str) -> Option<String> {
    let (front, body) = split(text)?;
    let rest = body.find("\n## ").map(|i| body[i..].to_string()).unwrap_or_default();
    Some(join(&front, &format!("{description}\n{rest}")))
}

/// Makes a file the reader refuses, in one of four ways.
pub fn break_text(text: &str, how: u8) -> Vec<u8> {
    match how % 4 {
        0 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        1 => text.replacen("\nstate:", "\nstate: [unclosed\nstate:", 1).into_bytes(),
        2 => text
            .replacen("title: ", "title: \u{FFFD}", 1)
            .replace('\u{FFFD}', "\u{1}")
            .into_bytes()
            .into_iter()
            .map(|b| if b == 1 { 0xFF } else { b })
            .collect(),
        _ => text.replacen("\n---\n", "\n", 1).into_bytes(),
    }
}
