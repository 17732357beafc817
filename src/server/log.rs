//! The server's log: one line per request on stderr. Client-provided strings are quoted with
//! control characters escaped before they get here.

use std::io::Write;
use std::time::SystemTime;

use crate::human;

#[derive(Clone, Copy, Debug)]
pub struct Logger {
    pub quiet: bool,
    pub verbose: bool,
}

impl Logger {
    /// Writes one timestamped line (unless quiet).
    pub fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        let stderr = std::io::stderr();
        let mut lock = stderr.lock();
        let _ = writeln!(lock, "{} {text}", human::rfc3339(SystemTime::now()));
    }

    /// Writes a line only in verbose mode.
    pub fn debug(&self, text: &str) {
        if self.verbose {
            self.line(text);
        }
    }
}
