//! The progress line of long runs (`validate` over many files, `audit` over a large
//! cluster): on stderr, only when stderr is a terminal, stdout is not (output written to a
//! terminal shows its own progress, and a line redrawn in between would garble it) and the
//! run is not in CI; redrawn at most five times a second and erased at the end, so that
//! output files and CI logs never hold it.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the line is redrawn.
const INTERVAL: Duration = Duration::from_millis(200);

/// A progress line; does nothing when disabled.
pub struct Progress {
    enabled: bool,
    start: Instant,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    /// Enabled when stderr is a terminal and stdout is not, `CI` is not set (GitHub
    /// Actions, GitLab and most CI systems set it) and `TERM` is not `dumb`.
    pub fn for_stderr() -> Progress {
        let enabled = std::io::stderr().is_terminal()
            && !std::io::stdout().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        Progress::new(enabled)
    }

    /// A progress line that shows only if `enabled`.
    pub fn new(enabled: bool) -> Progress {
        Progress {
            enabled,
            start: Instant::now(),
            last: None,
            drawn: false,
        }
    }

    /// Redraws the line with `done` items of `unit` (and `detail` before them) when the last
    /// redraw is old enough; the first call draws at once.
    pub fn update(&mut self, detail: &str, done: usize, unit: &str) {
        if !self.enabled || self.last.is_some_and(|t| t.elapsed() < INTERVAL) {
            return;
        }
        let now = Instant::now();
        self.last = Some(now);
        let secs = now.duration_since(self.start).as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        let mut err = std::io::stderr().lock();
        // \r and "erase line": the line is redrawn in place.
        let _ = write!(
            err,
            "\r\x1b[2Kdsguard: {detail}{done} {unit} checked ({rate:.0}/s)"
        );
        let _ = err.flush();
        self.drawn = true;
    }

    /// Erases the line, if it was drawn.
    pub fn finish(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
