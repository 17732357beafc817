//! The server's log: one line per request on stderr. Client-provided strings are quoted with
//! control, bidi and invisible characters escaped before they get here ([`crate::name::quote`]),
//! and every line is passed through [`crate::name::printable`] on its way out.

use std::io::Write;
use std::time::{Instant, SystemTime};

use crate::error::{Error, ErrorKind};
use crate::human;
use crate::name::{printable, quote};

use super::Principal;

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
        // Names are quoted before they get here; anything else a client sent is escaped too.
        let text = printable(text);
        let _ = writeln!(lock, "{} {text}", human::rfc3339(SystemTime::now()));
    }

    /// The line for a request of a connection nobody has identified yet (one refused at the
    /// front door): [`Logger::request_by`] as `anonymous`.
    pub fn request(
        &self,
        peer: &str,
        op: &str,
        name: Option<&str>,
        bytes: u64,
        started: Instant,
        error: Option<&Error>,
    ) {
        let by = (peer, &Principal::Anonymous);
        self.request_by(by, op, name, bytes, started, error);
    }

    /// The line for one request: peer, operation, quoted name (or `-`), body bytes, duration,
    /// the principal (`anonymous`, `token`), and `ok` or the error's code and message. Every
    /// dialect logs through this.
    pub fn request_by(
        &self,
        (peer, who): (&str, &Principal),
        op: &str,
        name: Option<&str>,
        bytes: u64,
        started: Instant,
        error: Option<&Error>,
    ) {
        let outcome = match error {
            None => "ok".to_string(),
            // Not the server's failure: the client went away (Ctrl-C, a closed pipe).
            Some(e) if e.kind == ErrorKind::Hangup => "hung up".to_string(),
            Some(e) => format!("error {}: {}", e.kind.code(), e.message),
        };
        self.line(&format!(
            "{peer} {op} {} {bytes} {} {who} {outcome}",
            name.map(quote).unwrap_or_else(|| "-".into()),
            human::duration(started.elapsed())
        ));
    }

    /// Writes a line only in verbose mode.
    pub fn debug(&self, text: &str) {
        if self.verbose {
            self.line(text);
        }
    }
}
