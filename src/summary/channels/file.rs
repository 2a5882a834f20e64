//! The file channel: the rendered summary (Markdown or HTML) written atomically to a path under
//! the backlog folder, e.g. `summaries/executive-2026-11.md`. Writing the same text twice is a no-op.

use std::path::{Path, PathBuf};

use super::{Delivery, Message};
use crate::backlog::write_atomic;
use crate::config::{FileChannel as FileSettings, Settings};
use crate::connector::{ErrorKind, RemoteError};
use crate::summary::render::Format;

#[derive(Debug)]
pub struct FileChannel {
    /// The path pattern with `{audience}`, `{period}` and `{ext}`, relative to `root`.
    pattern: String,
    root: PathBuf,
    pub format: Format,
}

impl FileChannel {
    pub fn new(c: &FileSettings, settings: &Settings) -> Result<FileChannel, String> {
        let format = match c.format.as_deref() {
            None => Format::Markdown,
            Some(f) => match f.parse::<Format>()? {
                Format::Json => return Err("`[summary.channels.file] format` must be `md` or `html`".into()),
                other => other,
            },
        };
        Ok(FileChannel {
            pattern: c.path.clone().unwrap_or_else(|| "summaries/{audience}-{period}.{ext}".into()),
            root: settings.backlog.path.clone(),
            format,
        })
    }

    /// Where the summary of `msg` goes.
    pub fn path_for(&self, msg: &Message<'_>) -> PathBuf {
        let name = self
            .pattern
            .replace("{audience}", &msg.summary.audience)
            .replace("{period}", &msg.summary.period)
            .replace("{ext}", self.format.ext());
        let path = Path::new(&name);
        if path.is_absolute() { path.to_path_buf() } else { self.root.join(path) }
    }

    pub fn deliver(&self, msg: &Message<'_>) -> Result<Delivery, RemoteError> {
        let path = self.path_for(msg);
        let shown = Some(path.display().to_string());
        let before = std::fs::read_to_string(&path).ok();
        if before.as_deref() == Some(msg.text.as_str()) {
            return Ok(Delivery::Unchanged(shown));
        }
        write_atomic(&path, &msg.text).map_err(|e| RemoteError {
            target: "file".into(),
            operation: "write the summary".into(),
            kind: ErrorKind::Fatal,
            status: None,
            message: e.to_string(),
        })?;
        Ok(if before.is_some() { Delivery::Edited(shown) } else { Delivery::Created(shown) })
    }
}
