//! The minimal writer of `backlog.toml` for milestones: appends imported `[[milestones]]` tables
//! after the last one (or at the end), keeping every other line, comment and key order as it is.

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use crate::backlog::project::Milestone;

/// Why `backlog.toml` could not take the milestones.
#[derive(Debug, thiserror::Error)]
pub enum TomlWriteError {
    #[error("`backlog.toml` does not read as TOML ({0}); fix it, then sync again")]
    Parse(String),
    #[error("`milestones` in `backlog.toml` is not a list of `[[milestones]]` tables; rename that key")]
    NotMilestones,
}

fn date(d: chrono::NaiveDate) -> Item {
    let text = d.format("%Y-%m-%d").to_string();
    // A TOML date (`due = 2027-03-31`), as people write it in this file.
    text.parse::<toml_edit::Datetime>().map(value).unwrap_or_else(|_| value(text))
}

fn table_of(m: &Milestone) -> Table {
    let mut t = Table::new();
    t.insert("name", value(m.name.as_str()));
    if let Some(d) = m.due {
        t.insert("due", date(d));
    }
    if let Some(d) = m.start {
        t.insert("start", date(d));
    }
    let mut dod = Array::new();
    for line in &m.definition_of_done {
        dod.push(line.as_str());
    }
    t.insert("definition_of_done", value(dod));
    if m.closed {
        t.insert("closed", value(true));
    }
    t
}

/// `text` with `new` appended as `[[milestones]]` tables; the rest is unchanged byte for byte.
pub fn append_milestones(text: &str, new: &[Milestone]) -> Result<String, TomlWriteError> {
    if new.is_empty() {
        return Ok(text.to_string());
    }
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| TomlWriteError::Parse(e.to_string()))?;
    let list = doc.entry("milestones").or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let list = list.as_array_of_tables_mut().ok_or(TomlWriteError::NotMilestones)?;
    for m in new {
        list.push(table_of(m));
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backlog::project::{Project, parse_toml};

    const FILE: &str = "# The Game Plan\nname = \"Onboarding\"  # kept\n\n[[milestones]]\n# first\nname = \"Pilot\"\ndue = 2026-12-18\ndefinition_of_done = [\"live\"]\n\n[[personas]]\nname = \"admin\"\n";

    fn beta() -> Milestone {
        Milestone {
            name: "Beta".into(),
            due: "2027-01-29".parse().ok(),
            definition_of_done: vec!["invited".into()],
            epics: Vec::new(),
            criteria: Vec::new(),
            start: None,
            closed: true,
        }
    }

    #[test]
    fn an_imported_milestone_goes_after_the_last_one_and_nothing_else_moves() {
        let out = append_milestones(FILE, &[beta()]).unwrap();
        let want = "# The Game Plan\nname = \"Onboarding\"  # kept\n\n[[milestones]]\n# first\nname = \"Pilot\"\ndue = 2026-12-18\ndefinition_of_done = [\"live\"]\n\n[[milestones]]\nname = \"Beta\"\ndue = 2027-01-29\ndefinition_of_done = [\"invited\"]\nclosed = true\n\n[[personas]]\nname = \"admin\"\n";
        assert_eq!(out, want);
        let p: Project = parse_toml(&out).unwrap();
        assert_eq!(p.milestones[1], beta());
    }

    #[test]
    fn a_file_without_milestones_gets_its_first_at_the_end() {
        let out = append_milestones("name = \"x\" # n\n", &[beta()]).unwrap();
        assert!(out.starts_with("name = \"x\" # n\n"), "{out}");
        let p: Project = parse_toml(&out).unwrap();
        assert_eq!(p.milestones, [beta()]);
        assert!(matches!(append_milestones("milestones = 3\n", &[beta()]), Err(TomlWriteError::NotMilestones)));
        assert_eq!(append_milestones("not toml = = 1", &[]).unwrap(), "not toml = = 1");
    }
}
