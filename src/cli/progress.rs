//! Progress of a long run on stderr, with what it is waiting for: a bar on a terminal; on a pipe
//! or in a log, a plain line now and then ("synced 120/400; waiting 40 s for GitHub's secondary
//! limit"). Waits come from the connectors through [`crate::connector::wait`].

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::connector::wait::{self, Wait};
use crate::reconcile::engine::Progress;

/// At most one plain line this often.
const LINE_EVERY: Duration = Duration::from_secs(10);
/// A bar appears once a run has taken this long (or at its first wait).
const BAR_AFTER: Duration = Duration::from_secs(1);

struct State {
    done: usize,
    total: usize,
    /// The wait under way and when it ends.
    waiting: Option<(String, Instant)>,
    last_line: Option<Instant>,
}

/// Shows one run's progress until [`Reporter::finish`].
pub struct Reporter {
    bar: Option<ProgressBar>,
    started: Instant,
    state: Mutex<State>,
}

impl Reporter {
    /// Starts listening to waits; a bar when stderr is a terminal, plain lines otherwise.
    pub fn start() -> Arc<Reporter> {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").expect("template parses"));
            bar
        });
        let reporter = Arc::new(Reporter {
            bar,
            started: Instant::now(),
            state: Mutex::new(State { done: 0, total: 0, waiting: None, last_line: None }),
        });
        let listener = reporter.clone();
        wait::listen(Some(Arc::new(move |w: &Wait| listener.waiting(w))));
        reporter
    }

    /// The engine's progress callback.
    pub fn progress(self: &Arc<Self>) -> Progress {
        let me = self.clone();
        Arc::new(move |done, total, what| me.step(done, total, what))
    }

    fn step(&self, done: usize, total: usize, what: &str) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.done = done;
        s.total = total;
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(what.to_string());
            if self.started.elapsed() > BAR_AFTER && bar.is_hidden() {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        } else if self.started.elapsed() >= LINE_EVERY {
            self.line(&mut s, false);
        }
    }

    fn waiting(&self, w: &Wait) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let text = format!("{}: {w}", w.target);
        s.waiting = Some((text.clone(), Instant::now() + w.wait));
        match &self.bar {
            Some(bar) => {
                bar.set_message(text);
                if bar.is_hidden() {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                }
            }
            None => self.line(&mut s, false),
        }
    }

    /// Prints a plain line unless one went out less than [`LINE_EVERY`] ago (or `force`).
    fn line(&self, s: &mut State, force: bool) {
        let now = Instant::now();
        if !force && s.last_line.is_some_and(|at| now.duration_since(at) < LINE_EVERY) {
            return;
        }
        s.last_line = Some(now);
        let waiting = s.waiting.as_ref().filter(|(_, until)| *until > now).map(|(text, _)| text.as_str());
        let line = match (s.total, waiting) {
            (0, Some(w)) => w.to_string(),
            (0, None) => return,
            (total, Some(w)) => format!("synced {}/{total}; {w}", s.done),
            (total, None) => format!("synced {}/{total}", s.done),
        };
        eprintln!("{line}");
    }

    /// Stops listening and clears the bar.
    pub fn finish(&self) {
        wait::listen(None);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
