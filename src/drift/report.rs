//! Lint output: a table for people, JSON for programs, GitHub workflow annotations for CI.

use std::fmt::Write as _;
use std::path::Path;

use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use serde::Serialize;

use super::{Finding, Severity};

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// A readable table (colours on a terminal).
    #[default]
    Table,
    /// `{"findings": [{rule, severity, item, path, line, message, hint}], "summary": {...}}`.
    Json,
    /// GitHub Actions workflow commands (`::warning file=…,line=…::…`) shown inline in pull requests.
    Github,
}

/// Counts by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Summary {
        let count = |s| findings.iter().filter(|f| f.severity == s).count();
        Summary { errors: count(Severity::Error), warnings: count(Severity::Warning), infos: count(Severity::Info) }
    }
}

fn location(f: &Finding) -> String {
    match (&f.path, f.line) {
        (Some(p), Some(l)) => format!("{}:{l}", p.display()),
        (Some(p), None) => p.display().to_string(),
        _ => String::new(),
    }
}

/// Renders findings in `format`; `color` adds terminal colours to the table.
pub fn render(findings: &[Finding], format: Format, color: bool) -> String {
    render_fit(findings, format, color, None)
}

/// [`render`] with the table fitted to `width` columns: cells wrap at word boundaries, and the
/// severity, rule and item columns keep their whole words.
pub fn render_fit(findings: &[Finding], format: Format, color: bool, width: Option<u16>) -> String {
    match format {
        Format::Table => table(findings, color, width),
        Format::Json => json(findings),
        Format::Github => github(findings),
    }
}

fn table(findings: &[Finding], color: bool, width: Option<u16>) -> String {
    let summary = Summary::of(findings);
    if findings.is_empty() {
        return "no findings: the backlog is in good shape\n".to_string();
    }
    let mut t = Table::new();
    t.load_style(UTF8_BORDERS_ONLY).set_content_arrangement(ContentArrangement::Dynamic);
    if !color {
        t.force_no_tty();
    }
    // Below 120 columns the item goes under its rule and the location joins the finding's cell,
    // so the finding keeps room to read at 80 columns.
    let narrow = width.is_some_and(|w| w < 120);
    if narrow {
        t.set_header(vec!["severity", "rule / item", "finding"]);
    } else {
        t.set_header(vec!["severity", "rule", "item", "where", "finding"]);
    }
    for f in findings {
        let sev = Cell::new(f.severity.as_str());
        let sev = if color {
            sev.fg(match f.severity {
                Severity::Error => Color::Red,
                Severity::Warning => Color::Yellow,
                Severity::Info => Color::Cyan,
            })
        } else {
            sev
        };
        let mut text = f.message.clone();
        if let Some(h) = &f.hint {
            let _ = write!(text, "\nhint: {h}");
        }
        let (rule, item) = (Cell::new(&f.rule), Cell::new(f.item.as_deref().unwrap_or("")));
        if narrow {
            let at = location(f);
            if !at.is_empty() {
                let _ = write!(text, "\nat {at}");
            }
            let rule_item = match f.item.as_deref() {
                Some(item) => format!("{}\n{item}", f.rule),
                None => f.rule.clone(),
            };
            t.add_row(vec![sev, Cell::new(rule_item), Cell::new(text)]);
        } else {
            t.add_row(vec![sev, rule, item, Cell::new(location(f)), Cell::new(text)]);
        }
    }
    if let Some(width) = width {
        t.set_width(width);
        for column in 0..if narrow { 2 } else { 3 } {
            if let Some(c) = t.column_mut(column) {
                c.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
    }
    format!("{t}\n{} error(s), {} warning(s), {} info\n", summary.errors, summary.warnings, summary.infos)
}

fn json(findings: &[Finding]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        findings: &'a [Finding],
        summary: Summary,
    }
    let mut s =
        serde_json::to_string_pretty(&Out { findings, summary: Summary::of(findings) }).expect("findings serialize");
    s.push('\n');
    s
}

/// Escapes text for a workflow command's message (`%`, CR, LF) or property (also `:` and `,`).
fn escape(s: &str, property: bool) -> String {
    let mut out = s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(p) = &f.path {
            props.push(format!("file={}", escape(&display_path(p), true)));
        }
        if let Some(l) = f.line {
            props.push(format!("line={l}"));
        }
        props.push(format!("title={}", escape(&f.rule, true)));
        let mut msg = f.message.clone();
        if let Some(h) = &f.hint {
            let _ = write!(msg, " (hint: {h})");
        }
        let _ = writeln!(out, "::{level} {}::{}", props.join(","), escape(&msg, false));
    }
    out
}

fn display_path(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn sample() -> Vec<Finding> {
        vec![
            Finding::new("risk-missing-mitigation", Some("RK-2".into()), "risk `RK-2` has no mitigation")
                .at(Some(PathBuf::from("b/risks/RK-2.md")), Some(7)),
            Finding::new("story-missing-benefit", Some("line 3".into()), "no benefit, 100%")
                .at(Some(PathBuf::from("s.txt")), Some(3)),
        ]
    }

    #[test]
    fn github_annotations_escape_and_map_levels() {
        let out = render(&sample(), Format::Github, false);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "::error file=b/risks/RK-2.md,line=7,title=risk-missing-mitigation::risk `RK-2` has no mitigation (hint: add `mitigation:` saying what reduces the risk)"
        );
        assert!(
            lines[1].starts_with("::warning file=s.txt,line=3,title=story-missing-benefit::no benefit, 100%25"),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn json_has_findings_with_all_fields_and_a_summary() {
        let v: serde_json::Value = serde_json::from_str(&render(&sample(), Format::Json, false)).unwrap();
        let f = &v["findings"][0];
        for key in ["rule", "severity", "item", "path", "line", "message", "hint"] {
            assert!(f.get(key).is_some(), "missing {key}");
        }
        assert_eq!(f["severity"], "error");
        assert_eq!(v["summary"]["errors"], 1);
        assert_eq!(v["summary"]["warnings"], 1);
    }

    #[test]
    fn table_lists_every_finding_and_counts() {
        let out = render(&sample(), Format::Table, false);
        assert!(out.contains("risk-missing-mitigation") && out.contains("b/risks/RK-2.md:7"), "{out}");
        assert!(out.ends_with("1 error(s), 1 warning(s), 0 info\n"), "{out}");
        assert_eq!(render(&[], Format::Table, false), "no findings: the backlog is in good shape\n");
    }
}
