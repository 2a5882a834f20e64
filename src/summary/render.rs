//! Renders a [`Summary`] as Markdown or HTML with minijinja templates — the ones shipped in
//! `config/templates/`, each replaceable by a file of the same name in the `[summary] templates`
//! folder — or as JSON. The HTML context carries the inline SVG charts from `svg.rs`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};
use minijinja::{Environment, UndefinedBehavior, context};

use super::SummaryError;
use super::model::Summary;
use super::svg;

/// The templates shipped with backlog-sync, by file name.
const SHIPPED: &[(&str, &str)] = &[
    ("_macros.md.j2", include_str!("../../config/templates/_macros.md.j2")),
    ("executive.md.j2", include_str!("../../config/templates/executive.md.j2")),
    ("team.md.j2", include_str!("../../config/templates/team.md.j2")),
    ("_layout.html.j2", include_str!("../../config/templates/_layout.html.j2")),
    ("executive.html.j2", include_str!("../../config/templates/executive.html.j2")),
    ("team.html.j2", include_str!("../../config/templates/team.html.j2")),
];

/// What a summary is rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Json,
}

impl Format {
    /// The file extension: `md`, `html` or `json`.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Json => "json",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            other => Err(format!("`{other}` is not a summary format; use md, html or json")),
        }
    }
}

/// The template environment: shipped templates, overridden from a folder.
pub struct Renderer {
    env: Environment<'static>,
    folder: Option<PathBuf>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").field("folder", &self.folder).finish()
    }
}

/// The template file of an audience in a format, e.g. `team.md.j2`.
pub fn template_name(audience: &str, format: Format) -> String {
    format!("{audience}.{}.j2", format.ext())
}

/// An audience name is a file-name stem: letters, digits, `-` and `_`.
pub fn valid_audience(audience: &str) -> bool {
    !audience.is_empty() && audience.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Renderer {
    /// The shipped templates, with those in `folder` (when given) taking their place by name.
    pub fn new(folder: Option<&Path>) -> Renderer {
        let mut env = Environment::new();
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(syntax);
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        let dir = folder.map(Path::to_path_buf);
        let loader_dir = dir.clone();
        env.set_loader(move |name| {
            if let Some(dir) = &loader_dir {
                let path = dir.join(name);
                if valid_file_name(name) && path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read `{}`: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, text)| text.to_string()))
        });
        env.add_filter("cell", cell);
        env.add_filter("num", |v: f64| svg::num(v));
        env.add_filter("code", code);
        env.add_filter(
            "or_dash",
            |v: Value| if v.is_none() || v.is_undefined() { "—".to_string() } else { v.to_string() },
        );
        Renderer { env, folder: dir }
    }

    /// Whether there is a template for `audience` in `format` (JSON needs none).
    pub fn has(&self, audience: &str, format: Format) -> bool {
        format == Format::Json
            || (valid_audience(audience) && self.env.get_template(&template_name(audience, format)).is_ok())
    }

    /// Renders `summary` for its audience.
    pub fn render(&self, summary: &Summary, format: Format) -> Result<String, SummaryError> {
        if format == Format::Json {
            let text = serde_json::to_string_pretty(summary).expect("a summary serialises");
            return Ok(text + "\n");
        }
        let name = template_name(&summary.audience, format);
        if !self.has(&summary.audience, format) {
            return Err(SummaryError::NoTemplate { audience: summary.audience.clone(), name });
        }
        let ctx = match format {
            Format::Html => context! {
                charts => context! {
                    epic_progress => Value::from_safe_string(svg::epic_progress(&summary.epics)),
                    risk_matrix => Value::from_safe_string(svg::risk_matrix(&summary.risks)),
                },
                ..Value::from(Serde(summary))
            },
            _ => Value::from(Serde(summary)),
        };
        let template_error = |e: minijinja::Error| SummaryError::Template {
            name: name.clone(),
            folder: self.folder.clone(),
            reason: format!("{e:#}"),
        };
        let template = self.env.get_template(&name).map_err(template_error)?;
        template.render(ctx).map_err(template_error)
    }
}

/// HTML for text that marks code with backticks: escaped, with `x` as `<code>x</code>`.
fn code(text: String) -> Value {
    let mut out = String::new();
    for (i, part) in svg::escape(&text).split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            out.push_str(part);
        }
    }
    if text.matches('`').count() % 2 == 1 {
        return Value::from(text);
    }
    Value::from_safe_string(out)
}

fn valid_file_name(name: &str) -> bool {
    !name.contains(['/', '\\']) && !name.starts_with('.')
}

/// Makes text safe inside a Markdown table cell: no pipes breaking the row, no line breaks.
fn cell(value: Value) -> String {
    if value.is_none() || value.is_undefined() {
        return "—".to_string();
    }
    let text = value.to_string();
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_stay_in_their_column() {
        let cases = [("a | b", "a \\| b"), ("two\nlines", "two lines"), ("  spaced   out ", "spaced out")];
        for (input, want) in cases {
            assert_eq!(cell(Value::from(input)), want);
        }
        assert_eq!(cell(Value::from(())), "—");
    }

    #[test]
    fn backticks_become_code_and_the_rest_is_escaped() {
        let cases = [
            ("choose the `title` of <ST-8>", "choose the <code>title</code> of &lt;ST-8&gt;"),
            ("no code", "no code"),
            ("an odd ` backtick <b>", "an odd ` backtick &lt;b&gt;"),
        ];
        let env = Renderer::new(None).env;
        for (input, want) in cases {
            let got = env
                .template_from_named_str("t.html", "{{ t|code }}")
                .unwrap()
                .render(minijinja::context! { t => input });
            assert_eq!(got.unwrap(), want, "{input}");
        }
    }

    #[test]
    fn formats_and_audience_names() {
        assert_eq!("markdown".parse::<Format>(), Ok(Format::Markdown));
        assert!("pdf".parse::<Format>().unwrap_err().contains("`pdf`"));
        assert_eq!(template_name("team", Format::Html), "team.html.j2");
        assert!(valid_audience("steering-committee") && !valid_audience("../etc") && !valid_audience(""));
        let r = Renderer::new(None);
        assert!(r.has("executive", Format::Markdown) && r.has("team", Format::Html));
        assert!(!r.has("board", Format::Markdown) && r.has("board", Format::Json));
    }
}
