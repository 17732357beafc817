//! What a user sees during put and get: an indicatif bar per file in flight and a total bar
//! for many files, drawn on stderr only when it is a terminal; each failure as its own
//! `nf: error:` line the moment it happens (also with `-q`); with `-v` one line per file done;
//! and the one-line summary at the end ([`Report::summary`]). Implements [`client::Progress`].
//! Bytes are counted as they move, so a resumed transfer counts only what it sent this time.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::client::{Done, Progress};
use crate::error::{Error, ErrorKind, Result};
use crate::human;
use crate::name::{printable, quote};

/// How much to say besides errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors only (`-q`).
    Quiet,
    /// Notes and the summary.
    Normal,
    /// Also one line per file done (`-v`).
    Verbose,
}

pub struct Report {
    verbosity: Verbosity,
    multi: Option<MultiProgress>,
    total: Option<ProgressBar>,
    bars: RefCell<HashMap<usize, (ProgressBar, Instant)>>,
    /// Transfers ended so far, and in all, for the total bar's "n/m files".
    ended: Cell<usize>,
    files: Cell<usize>,
    /// Body bytes moved so far (for the bars), and by transfers that succeeded (for the
    /// summary); transfers that succeeded, that had nothing to do, and that failed (with the
    /// kind of each failure, by item).
    moved: Cell<u64>,
    stored: Cell<u64>,
    ok: Cell<usize>,
    already: Cell<usize>,
    failures: RefCell<Vec<(usize, ErrorKind)>>,
    started: Instant,
}

impl Report {
    /// A report for `files` transfers of about `total_bytes`; bars when `bars` is true.
    pub fn new(verbosity: Verbosity, bars: bool, files: usize, total_bytes: u64) -> Report {
        Report::with_total(verbosity, bars, files, total_bytes, files > 1)
    }

    /// A report whose transfers are not known yet: each batch found adds to it with
    /// [`Report::grow`] (the total bar, when there are bars, is there from the start).
    pub fn open_ended(verbosity: Verbosity, bars: bool) -> Report {
        Report::with_total(verbosity, bars, 0, 0, true)
    }

    fn with_total(
        verbosity: Verbosity,
        bars: bool,
        files: usize,
        total_bytes: u64,
        total_bar: bool,
    ) -> Report {
        let multi = bars.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)));
        let total = match &multi {
            Some(m) if total_bar => {
                let bar = m.add(ProgressBar::new(total_bytes));
                bar.set_style(total_style());
                bar.set_message(format!("0/{files} files"));
                bar.enable_steady_tick(Duration::from_millis(200));
                Some(bar)
            }
            _ => None,
        };
        Report {
            verbosity,
            multi,
            total,
            bars: RefCell::new(HashMap::new()),
            ended: Cell::new(0),
            files: Cell::new(files),
            moved: Cell::new(0),
            stored: Cell::new(0),
            ok: Cell::new(0),
            already: Cell::new(0),
            failures: RefCell::new(Vec::new()),
            started: Instant::now(),
        }
    }

    /// Prints a line on stderr, above the bars when there are any; characters that must not
    /// reach a terminal are escaped, whoever wrote the text (the server, for errors).
    fn println(&self, line: &str) {
        let line = &*printable(line);
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    /// Runs `print` (which writes to the terminal) with the bars put aside, then draws them
    /// again.
    pub fn suspended(&self, print: impl FnOnce()) {
        match &self.multi {
            Some(m) => m.suspend(print),
            None => print(),
        }
    }

    /// Reports item `index` failing. Failures that follow from an interrupt (the connection
    /// shut down) or from standard output being closed are not printed: the interrupt says
    /// what happened, and a closed pipe ends quietly.
    pub fn fail(&self, index: usize, err: &Error) {
        if err.kind != ErrorKind::PipeClosed && crate::signals::interrupted().is_none() {
            self.println(&format!("nf: error: {err}"));
        }
        self.failures.borrow_mut().push((index, err.kind));
    }

    /// Adds `files` transfers of `bytes` in all to the report (of [`Report::open_ended`]).
    pub fn grow(&self, files: usize, bytes: u64) {
        self.files.set(self.files.get() + files);
        if let Some(t) = &self.total {
            t.set_length(t.length().unwrap_or(0) + bytes);
            t.set_message(format!("{}/{} files", self.ended.get(), self.files.get()));
        }
    }

    /// How many items failed so far.
    pub fn failed(&self) -> usize {
        self.failures.borrow().len()
    }

    /// Clears the bars and passes on `outcome`, for a batch ended early (an interrupt).
    pub fn cut_short(&self, outcome: Result<()>) -> Result<()> {
        if outcome.is_err() {
            self.clear();
        }
        outcome
    }

    fn clear(&self) {
        for (_, (bar, _)) in self.bars.borrow_mut().drain() {
            bar.finish_and_clear();
        }
        if let Some(t) = &self.total {
            t.finish_and_clear();
        }
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }

    /// Clears the bars, prints the summary (unless quiet) and returns the outcome: the error
    /// of the first failed item (already printed), if any.
    pub fn finish(&self, verb: &str) -> Result<()> {
        self.clear();
        let piped = self
            .failures
            .borrow()
            .iter()
            .any(|(_, k)| *k == ErrorKind::PipeClosed);
        if self.verbosity != Verbosity::Quiet && !piped {
            eprintln!("{}", self.summary(verb, self.failures.borrow().len()));
        }
        self.outcome()
    }

    /// The error of the first item (in command-line order) that failed, already printed.
    pub fn outcome(&self) -> Result<()> {
        match self.failures.borrow().iter().min_by_key(|(i, _)| *i) {
            Some((_, kind)) => Err(Error::reported(*kind)),
            None => Ok(()),
        }
    }

    /// `uploaded 3 files (12 MiB) in 1.2s, 10 MiB/s`, with `N of M` when some failed, the
    /// count of those that were already complete, and why the others failed. The size and
    /// rate count only the transfers that succeeded; with none, they are left out.
    fn summary(&self, verb: &str, failed: usize) -> String {
        let done = self.ok.get();
        let already = self.already.get();
        if already > 0 && already == done && failed == 0 {
            // Nothing moved: saying "uploaded 1 file (0 B)" would claim a transfer.
            let noun = if already == 1 { "file was" } else { "files were" };
            return format!("nothing {verb}: {already} {noun} already complete");
        }
        let mut line = format!("{verb} {}", of_total(done, failed, "file", "files"));
        if done > already {
            let elapsed = self.started.elapsed();
            let stored = self.stored.get();
            line.push_str(&format!(
                " ({}) in {}, {}",
                human::size(stored),
                human::duration(elapsed),
                human::rate(stored, elapsed)
            ));
        }
        if already > 0 {
            line.push_str(&format!("; {already} already complete"));
        }
        line.push_str(&self.failed_because(to_server(verb)));
        line
    }

    /// `; 2 failed: already exist (use -f)`, or with several reasons `; 3 failed: 2 already
    /// exist (use -f), 1 no space on the server` (most frequent first); empty without failures.
    fn failed_because(&self, to_server: bool) -> String {
        let failures = self.failures.borrow();
        let mut kinds: Vec<(ErrorKind, usize)> = Vec::new();
        for (_, kind) in failures.iter() {
            match kinds.iter_mut().find(|(k, _)| k == kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((*kind, 1)),
            }
        }
        kinds.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        match kinds.as_slice() {
            [] => String::new(),
            [(kind, n)] => format!("; {n} failed: {}", reason(*kind, *n, to_server)),
            _ => {
                let each: Vec<String> = kinds
                    .iter()
                    .map(|(kind, n)| format!("{n} {}", reason(*kind, *n, to_server)))
                    .collect();
                format!("; {} failed: {}", failures.len(), each.join(", "))
            }
        }
    }

    /// The summary of `nf mkdir`: `created 2 of 3 directories; 1 already existed`, or
    /// `nothing created: 1 directory already existed`.
    pub fn finish_made(&self, made: usize, existed: usize) -> Result<()> {
        let failed = self.failures.borrow().len();
        let line = if made == 0 && failed == 0 && existed > 0 {
            let noun = if existed == 1 { "directory" } else { "directories" };
            format!("nothing created: {existed} {noun} already existed")
        } else {
            let mut line = format!(
                "created {}",
                of_total(made, existed + failed, "directory", "directories")
            );
            if existed > 0 {
                line.push_str(&format!("; {existed} already existed"));
            }
            line + &self.failed_because(true)
        };
        self.say(&line);
        self.outcome()
    }

    /// The summary of `nf rm`: `removed 2 files and 1 directory`, `removed 1 file; 2 failed:
    /// not found`.
    pub fn finish_removed(&self, files: usize, dirs: usize) -> Result<()> {
        let mut parts = Vec::new();
        if files > 0 || dirs == 0 {
            parts.push(count(files, "file", "files"));
        }
        if dirs > 0 {
            parts.push(count(dirs, "directory", "directories"));
        }
        self.say(&format!(
            "removed {}{}",
            parts.join(" and "),
            self.failed_because(true)
        ));
        self.outcome()
    }

    /// Prints a summary line on stderr, unless quiet.
    fn say(&self, line: &str) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("{line}");
        }
    }
}

/// The columns of a file's name on its bar: with the rest of the line (percentage, bytes
/// moved up to `1023.99 MiB`, rate up to `1023.99 MiB/s`, ETA), an 80-column terminal keeps
/// 20 for the bar itself.
const NAME_COLUMNS: usize = 24;

/// The style of one file's bar (a spinner when its length is not known).
fn file_style(known_length: bool) -> ProgressStyle {
    if known_length {
        ProgressStyle::with_template(
            "{msg:24} {percent:>3}% {wide_bar} {bytes:>11} {binary_bytes_per_sec:>13} {eta:>3}",
        )
        .expect("valid template")
        .progress_chars("=> ")
    } else {
        ProgressStyle::with_template("{msg:24} {bytes:>11} {spinner} {binary_bytes_per_sec:>13}")
            .expect("valid template")
    }
}

/// The style of the total bar over many files.
fn total_style() -> ProgressStyle {
    ProgressStyle::with_template("total {bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec} {eta} {msg}")
        .expect("valid template")
        .progress_chars("=> ")
}

/// A file's name as its bar shows it: quoted, and when too long for [`NAME_COLUMNS`], its
/// end kept (`"…purposes.raw"`: the end tells files apart, the quotes stay balanced); a
/// resumed transfer says where it started (`(from 12.0 MiB)`).
fn label(name: &str, done: u64) -> String {
    let from = if done > 0 {
        format!(" (from {})", human::size(done))
    } else {
        String::new()
    };
    let room = NAME_COLUMNS.saturating_sub(from.chars().count());
    if room < 10 {
        return fit(name, NAME_COLUMNS);
    }
    fit(name, room) + &from
}

/// `name` quoted in at most `columns` (10 or more) characters: whole, or its end after `"…`
/// (the end quoted on its own, so no escape is cut in half).
fn fit(name: &str, columns: usize) -> String {
    let whole = quote(name);
    if whole.chars().count() <= columns {
        return whole;
    }
    let chars: Vec<char> = name.chars().collect();
    // Escapes make a quoted tail longer than its characters: start where it could fit, and
    // move on until it does.
    for start in chars.len().saturating_sub(columns)..chars.len() {
        let tail = quote(&chars[start..].iter().collect::<String>());
        if tail.chars().count() < columns {
            return format!("\"…{}", &tail[1..]);
        }
    }
    "\"…\"".to_string()
}

/// `2 files`, `1 directory`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `3 files`, or `1 of 3 files` when some failed.
fn of_total(done: usize, failed: usize, one: &str, many: &str) -> String {
    if failed == 0 {
        count(done, one, many)
    } else {
        format!("{done} of {}", count(done + failed, one, many))
    }
}

/// True when a summary's verb moves files to the server (whose space and limits a failure
/// is then about).
fn to_server(verb: &str) -> bool {
    matches!(verb, "uploaded" | "sent")
}

/// Why `n` items failed, in a summary: what happened and, where it helps, what to do.
fn reason(kind: ErrorKind, n: usize, to_server: bool) -> &'static str {
    let one = n == 1;
    match kind {
        ErrorKind::Exists if one => "already exists (use -f)",
        ErrorKind::Exists => "already exist (use -f)",
        ErrorKind::NoSpace if to_server => "no space on the server",
        ErrorKind::NoSpace => "no space on this machine",
        ErrorKind::TooLarge if to_server => "too large for the server",
        ErrorKind::TooLarge => "too large",
        ErrorKind::NotFound => "not found",
        ErrorKind::Gone => "the share link no longer works",
        ErrorKind::Conflict => "a file where a directory is, or the reverse",
        ErrorKind::BadName => "invalid name",
        ErrorKind::HashMismatch => "content did not match its BLAKE3 hash",
        ErrorKind::Denied => "not allowed",
        ErrorKind::Forbidden => "no right to do this there",
        ErrorKind::Auth => "the token was refused",
        ErrorKind::Busy => "the server was busy",
        ErrorKind::Connect | ErrorKind::Hangup => "the connection was lost",
        ErrorKind::Unavailable => "the server's store was unavailable",
        ErrorKind::Version => "protocol version mismatch",
        ErrorKind::Protocol => "the server's answer made no sense",
        ErrorKind::Usage => "bad arguments",
        ErrorKind::Interrupted => "interrupted",
        ErrorKind::PipeClosed => "output closed",
        ErrorKind::Other if one => "see the error above",
        ErrorKind::Other => "see the errors above",
    }
}

impl Progress for Report {
    fn begin(&self, index: usize, name: &str, total: Option<u64>, done: u64) {
        // A transfer that starts over replaces its bar.
        if let Some((bar, _)) = self.bars.borrow_mut().remove(&index) {
            bar.finish_and_clear();
        }
        let Some(multi) = &self.multi else {
            self.bars
                .borrow_mut()
                .insert(index, (ProgressBar::hidden(), Instant::now()));
            return;
        };
        // The bar counts what moves in this run: a resumed transfer starts at zero of what is
        // left, so its rate is not inflated by the bytes already there.
        let bar = match total {
            Some(total) => ProgressBar::new(total.saturating_sub(done)),
            None => {
                let bar = ProgressBar::no_length();
                bar.enable_steady_tick(Duration::from_millis(200));
                bar
            }
        };
        bar.set_style(file_style(total.is_some()));
        let bar = multi.insert_from_back(usize::from(self.total.is_some()), bar);
        bar.set_message(label(name, done));
        if let Some(t) = &self.total {
            t.set_length(t.length().unwrap_or(0).saturating_sub(done));
        }
        self.bars.borrow_mut().insert(index, (bar, Instant::now()));
    }

    fn advance(&self, index: usize, bytes: u64) {
        self.moved.set(self.moved.get() + bytes);
        if let Some((bar, _)) = self.bars.borrow().get(&index) {
            bar.inc(bytes);
        }
        if let Some(t) = &self.total {
            t.inc(bytes);
        }
    }

    fn end(&self, index: usize, result: &Result<Done>) {
        let began = match self.bars.borrow_mut().remove(&index) {
            Some((bar, began)) => {
                bar.finish_and_clear();
                Some(began)
            }
            None => None,
        };
        self.ended.set(self.ended.get() + 1);
        if let Some(t) = &self.total {
            t.set_message(format!("{}/{} files", self.ended.get(), self.files.get()));
        }
        match result {
            Err(e) => self.fail(index, e),
            Ok(done) if done.already => {
                self.ok.set(self.ok.get() + 1);
                self.already.set(self.already.get() + 1);
                if self.verbosity != Verbosity::Quiet {
                    self.println(&format!("{} is already complete", quote(&done.file.name)));
                }
            }
            Ok(done) => {
                self.ok.set(self.ok.get() + 1);
                self.stored.set(self.stored.get() + done.moved);
                if self.verbosity == Verbosity::Verbose {
                    let took = began.map(|b| b.elapsed()).unwrap_or_default();
                    self.println(&format!(
                        "{}  {}  {}",
                        quote(&done.file.name),
                        human::size(done.file.size),
                        human::rate(done.moved, took)
                    ));
                }
            }
        }
    }

    fn note(&self, _index: usize, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.println(&format!("nf: {text}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// An 80-column terminal that keeps what is drawn on it.
    #[derive(Debug, Default, Clone)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push(s.to_string());
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.write_line(s)
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The line a bar of `style` draws at 80 columns, half done, with `message`; its undone
    /// part drawn with `-`, to be counted.
    fn drawn(style: ProgressStyle, length: u64, message: String) -> String {
        let screen = Screen::default();
        let bar = ProgressBar::with_draw_target(
            Some(length),
            indicatif::ProgressDrawTarget::term_like(Box::new(screen.clone())),
        );
        bar.set_style(style.progress_chars("=>-"));
        bar.set_message(message);
        bar.set_position(length / 2);
        bar.tick();
        let lines = screen.0.lock().unwrap();
        lines
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .cloned()
            .expect("a line drawn")
    }

    /// The bar's columns in a drawn line: its longest run of `=`, `>` and `-`.
    fn bar_columns(line: &str) -> usize {
        line.split(|c| !matches!(c, '=' | '>' | '-'))
            .map(str::len)
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_long_name_keeps_its_end_in_balanced_quotes_and_the_bar_keeps_20_columns_at_80() {
        let name = "datasets/2026/raw/a very long file name for testing purposes.raw";
        let label = label(name, 0);
        assert_eq!(label, "\"… testing purposes.raw\"");
        assert_eq!(label.chars().count(), NAME_COLUMNS);
        let line = drawn(file_style(true), 200 << 20, label.clone());
        assert!(line.chars().count() <= 80, "{line:?}");
        assert!(line.starts_with(&label), "{line:?}");
        assert!(line.contains(" 50% "), "{line:?}");
        assert!(
            bar_columns(&line) >= 20,
            "{} columns: {line:?}",
            bar_columns(&line)
        );
    }

    #[test]
    fn short_names_are_shown_whole_and_a_resume_says_where_it_started() {
        assert_eq!(label("a.txt", 0), "\"a.txt\"");
        let resumed = label("holiday-video-2026-final.mp4", 12 << 20);
        assert_eq!(resumed, "\"…nal.mp4\" (from 12 MiB)");
        assert_eq!(resumed.chars().count(), NAME_COLUMNS);
        // An escape is never cut in half.
        let odd = fit("x\u{202e}yyyyyyyyyyyyyyyyyyy\u{202e}.txt", 24);
        assert_eq!(odd, "\"…yyyyyyyyy\\u{202e}.txt\"");
        assert_eq!(odd.chars().count(), 24);
    }

    #[test]
    fn the_total_bar_keeps_20_columns_at_80() {
        let line = drawn(total_style(), 12 << 30, "999/1000 files".to_string());
        assert!(line.chars().count() <= 80, "{line:?}");
        assert!(line.ends_with("999/1000 files"), "{line:?}");
        assert!(
            bar_columns(&line) >= 20,
            "{} columns: {line:?}",
            bar_columns(&line)
        );
    }
}
