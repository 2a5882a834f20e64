//! Rich text through Boards' HTML fields with the twins: Markdown that CommonMark reads in another
//! form than the HTML reader writes (ordered lists in a row, a loose list, `*` items, emphasis
//! back to back, an entity typed in the file) is written once and never again, the file keeps the
//! person's own text, and an edit made in Boards (with `&rsquo;`-style entities) reaches the file.

use backlog_twins::azure::Process;
use serde_json::json;

use crate::common::sample_backlog;
use crate::support::azure_env::{AzEnv, field, id_of, mapping_of};

const DESCRIPTION: &str = "Steps, in two lists:\n\n1. open the settings\n2. choose *Members*\n\n1. press `Invite`\n2. wait\n\nA loose list:\n\n- first\n\n- second\n\n* starred\n* items\n\nEmphasis: _|_*]* and **a**__b__, it&rsquo;s &mdash; typed.";

/// An Azure twin on Agile whose mapping keeps rich text as HTML, and ST-5's body set to `body`.
async fn html_env(tmp: &std::path::Path) -> AzEnv {
    let mapping = tmp.join("agile-html.toml");
    let text = std::fs::read_to_string(mapping_of(Process::Agile)).unwrap();
    std::fs::write(&mapping, text.replace("markdown = true", "markdown = false")).unwrap();
    let env = AzEnv::with_mapping(&sample_backlog(), "manual", Process::Agile, &mapping).await;
    let file = env.read("stories/ST-5.md");
    let end = file[3..].find("\n---").map(|i| i + 3 + 4).expect("front matter");
    env.write("stories/ST-5.md", &format!("{}\n{DESCRIPTION}\n", &file[..end]));
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn rich_text_in_html_fields_is_written_once_and_a_boards_edit_still_reaches_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let env = html_env(tmp.path()).await;
    let first = env.sync().await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let item = env.item_of("ST-5").await;
    let held = field(&item, "System.Description");
    assert!(held.contains("<ol>") && held.contains("<em>"), "Boards holds HTML: {held}");

    // Nobody edited anything: the next syncs write nothing, on Boards or in the file.
    let file = env.read("stories/ST-5.md");
    assert!(file.contains(DESCRIPTION), "{file}");
    let writes = env.writes().await;
    for _ in 0..2 {
        let again = env.sync().await;
        assert!(again.errors.is_empty(), "{:?}", again.errors);
        assert_eq!(env.writes().await, writes, "no echo write: {:?}", again.applied);
        assert_eq!(env.read("stories/ST-5.md"), file, "the file keeps the person's text");
    }

    // A person edits the description in Boards' editor: the edit reaches the file, entities decoded.
    let id = id_of(&item);
    let edited = format!("{held}<p>It&rsquo;s checked &mdash; by&#160;QA &#8217;25.</p>");
    env.set(id, &[("System.Description", json!(edited))]).await;
    let pulled = env.sync().await;
    assert!(pulled.errors.is_empty(), "{:?}", pulled.errors);
    let file = env.read("stories/ST-5.md");
    assert!(file.contains("It’s checked — by QA ’25."), "{file}");
    assert!(!file.contains("&rsquo;s checked"), "{file}");

    // And nothing echoes after it either.
    let writes = env.writes().await;
    let again = env.sync().await;
    assert_eq!(env.writes().await, writes, "no echo write after the edit: {:?}", again.applied);
    assert_eq!(env.read("stories/ST-5.md"), file);
}
