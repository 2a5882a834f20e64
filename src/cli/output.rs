//! What the commands print and how: stdout writes that end quietly on a closed pipe, the width
//! tables fit, and whether colour is wanted (a terminal, and no `NO_COLOR`).

use std::io::{IsTerminal, Write};

/// The width used when stdout is not a terminal and `COLUMNS` says nothing.
pub const DEFAULT_WIDTH: u16 = 100;
/// No table is drawn narrower than this, whatever the terminal says.
const MIN_WIDTH: u16 = 40;

/// The reader of stdout went away (`… | head -1`): the command stops printing and exits quietly.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub struct ClosedPipe;

/// Writes `text` to stdout and flushes it; a closed pipe becomes [`ClosedPipe`], which `run` turns
/// into a quiet exit instead of the panic `print!` gives.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ClosedPipe.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to stdout")),
    }
}

/// [`print`] with a line end.
pub fn println(text: &str) -> anyhow::Result<()> {
    print(&format!("{text}\n"))
}

/// The width tables on stdout fit: `COLUMNS` when set to a number, else the terminal's width,
/// else [`DEFAULT_WIDTH`]; never less than 40 columns (a width of 0 is ignored).
pub fn width() -> u16 {
    let terminal = || comfy_table::Table::new().width();
    pick_width(std::env::var("COLUMNS").ok().as_deref(), std::io::stdout().is_terminal().then(terminal).flatten())
}

fn pick_width(columns: Option<&str>, terminal: Option<u16>) -> u16 {
    let columns = columns.and_then(|c| c.trim().parse::<u16>().ok()).filter(|w| *w > 0);
    columns.or(terminal.filter(|w| *w > 0)).unwrap_or(DEFAULT_WIDTH).max(MIN_WIDTH)
}

/// Whether to colour what goes to stdout (`stdout`) or stderr: only on a terminal, and never when
/// `NO_COLOR` is set to anything non-empty (<https://no-color.org>).
pub fn color(stdout: bool) -> bool {
    let terminal = if stdout { std::io::stdout().is_terminal() } else { std::io::stderr().is_terminal() };
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_is_never_zero_and_columns_wins() {
        assert_eq!(pick_width(None, None), DEFAULT_WIDTH, "a pipe without COLUMNS");
        assert_eq!(pick_width(Some("80"), Some(200)), 80);
        assert_eq!(pick_width(Some("0"), None), DEFAULT_WIDTH, "COLUMNS=0 is ignored");
        assert_eq!(pick_width(None, Some(0)), DEFAULT_WIDTH, "a terminal that reports 0 columns");
        assert_eq!(pick_width(Some("wide"), Some(132)), 132);
        assert_eq!(pick_width(Some("12"), None), MIN_WIDTH);
    }
}
