//! The per-target sync lock: one file per target under `<state dir>/locks/`, held with an OS
//! advisory lock, so two backlog-sync runs never write to the same target at once.
//!
//! Locks are taken in sorted target order, so two runs wanting overlapping targets cannot
//! deadlock. The OS drops an advisory lock when its process dies, so a run killed with SIGKILL
//! never wedges the next one; the pid and start time written into the file only serve the error
//! message.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::StoreError;

/// Who holds a lock, as written in its file (unknown parts when the file could not be read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockHolder {
    pub pid: Option<u32>,
    pub since: Option<DateTime<Utc>>,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "pid {pid}")?,
            None => f.write_str("pid unknown")?,
        }
        if let Some(since) = self.since {
            write!(f, ", since {}", since.format("%Y-%m-%d %H:%M:%S UTC"))?;
        }
        Ok(())
    }
}

impl LockHolder {
    fn parse(text: &str) -> LockHolder {
        let value =
            |key: &str| text.lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix('=')).map(str::trim));
        LockHolder {
            pid: value("pid").and_then(|v| v.parse().ok()),
            since: value("since").and_then(|v| DateTime::parse_from_rfc3339(v).ok()).map(|t| t.to_utc()),
        }
    }

    fn render(&self) -> String {
        let pid = self.pid.map(|p| p.to_string()).unwrap_or_default();
        let since = self.since.map(|s| s.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default();
        format!("pid={pid}\nsince={since}\n")
    }
}

/// Sync locks held on some targets; released when dropped.
#[derive(Debug)]
pub struct SyncLock {
    held: Vec<(String, File)>,
}

impl SyncLock {
    /// Locks every target in `targets` (in sorted order). When another process holds one, fails
    /// with [`StoreError::Locked`] at once, or — with `wait` — keeps trying until that time is up.
    /// On failure no lock stays held.
    pub fn acquire(state_dir: &Path, targets: &[&str], wait: Option<Duration>) -> Result<SyncLock, StoreError> {
        let mut names = targets.to_vec();
        names.sort_unstable();
        names.dedup();
        if let Some(bad) = names.iter().find(|n| !is_safe_name(n)) {
            return Err(StoreError::BadTargetName(bad.to_string()));
        }
        let dir = lock_dir(state_dir)?;
        let deadline = wait.map(|w| Instant::now() + w);
        let mut lock = SyncLock { held: Vec::with_capacity(names.len()) };
        for target in names {
            let path = dir.join(format!("{target}.lock"));
            let file = open_lock_file(&path)?;
            let mut pause = Duration::from_millis(20);
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(std::fs::TryLockError::WouldBlock) => {
                        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                        match left {
                            Some(left) if !left.is_zero() => {
                                std::thread::sleep(pause.min(left));
                                pause = (pause * 2).min(Duration::from_millis(250));
                            }
                            _ => {
                                let holder = read_holder(&path);
                                return Err(StoreError::Locked { target: target.to_string(), holder });
                            }
                        }
                    }
                    Err(std::fs::TryLockError::Error(source)) => return Err(StoreError::LockIo { path, source }),
                }
            }
            let me = LockHolder { pid: Some(std::process::id()), since: Some(Utc::now()) };
            write_holder(&file, &me).map_err(|source| StoreError::LockIo { path: path.clone(), source })?;
            tracing::debug!(target = %target, path = %path.display(), "took sync lock");
            lock.held.push((target.to_string(), file));
        }
        Ok(lock)
    }

    /// Who holds the lock of `target` right now, or `None` when it is free (for `status`).
    pub fn holder(state_dir: &Path, target: &str) -> Result<Option<LockHolder>, StoreError> {
        match SyncLock::acquire(state_dir, &[target], None) {
            Ok(_free) => Ok(None),
            Err(StoreError::Locked { holder, .. }) => Ok(Some(holder)),
            Err(e) => Err(e),
        }
    }

    /// The targets this lock holds, sorted.
    pub fn targets(&self) -> Vec<&str> {
        self.held.iter().map(|(t, _)| t.as_str()).collect()
    }
}

impl Drop for SyncLock {
    fn drop(&mut self) {
        for (target, file) in self.held.drain(..).rev() {
            // Clear the holder first, while still holding the lock, so nobody reads a stale pid.
            let _ = file.set_len(0);
            let _ = file.unlock();
            tracing::debug!(target = %target, "released sync lock");
        }
    }
}

/// A target name that is safe as a file name: letters, digits, `-`, `_`, `.`; not `.`-led.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn lock_dir(state_dir: &Path) -> Result<PathBuf, StoreError> {
    let dir = state_dir.join("locks");
    std::fs::create_dir_all(&dir).map_err(|source| StoreError::LockIo { path: dir.clone(), source })?;
    Ok(dir)
}

fn open_lock_file(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| StoreError::LockIo { path: path.to_path_buf(), source })
}

fn write_holder(mut file: &File, holder: &LockHolder) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(holder.render().as_bytes())?;
    file.flush()
}

/// Reads the holder from a lock file. The holder writes it right after locking, so an empty file
/// is retried briefly before the holder is reported as unknown.
fn read_holder(path: &Path) -> LockHolder {
    for _ in 0..5 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let holder = LockHolder::parse(&text);
        if holder.pid.is_some() {
            return holder;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    LockHolder { pid: None, since: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_round_trips_through_the_file_text() {
        let since = DateTime::parse_from_rfc3339("2025-05-01T10:00:00Z").unwrap().to_utc();
        let holder = LockHolder { pid: Some(4242), since: Some(since) };
        assert_eq!(LockHolder::parse(&holder.render()), holder);
        assert_eq!(holder.to_string(), "pid 4242, since 2025-05-01 10:00:00 UTC");
        assert_eq!(LockHolder::parse("").to_string(), "pid unknown");
        assert_eq!(LockHolder::parse("pid=7\nsince=garbage\n"), LockHolder { pid: Some(7), since: None });
    }

    #[test]
    fn target_names_must_be_safe_file_names() {
        for ok in ["github", "boards", "gh-2", "a_b.c"] {
            assert!(is_safe_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", "../x", "a/b", "a b", ".hidden"] {
            assert!(!is_safe_name(bad), "{bad}");
        }
    }
}
