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
    /// Body bytes moved so far, and transfers that succeeded, that had nothing to do, and
    /// that failed (with the kind of the first failure in item order).
    moved: Cell<u64>,
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
                bar.set_style(
                    ProgressStyle::with_template(
                        "total {bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec} ETA {eta} {msg}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
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

    /// `uploaded 3 files (12 MiB) in 1.2s, 10 MiB/s`, with `N of M` when some failed and the
    /// count of those that were already complete.
    fn summary(&self, verb: &str, failed: usize) -> String {
        let done = self.ok.get();
        let already = self.already.get();
        if already > 0 && already == done && failed == 0 {
            // Nothing moved: saying "uploaded 1 file (0 B)" would claim a transfer.
            let noun = if already == 1 { "file was" } else { "files were" };
            return format!("nothing {verb}: {already} {noun} already complete");
        }
        let noun = if done + failed == 1 { "file" } else { "files" };
        let count = if failed > 0 {
            format!("{done} of {} {noun}", done + failed)
        } else {
            format!("{done} {noun}")
        };
        let elapsed = self.started.elapsed();
        let moved = self.moved.get();
        let mut line = format!(
            "{verb} {count} ({}) in {}, {}",
            human::size(moved),
            human::duration(elapsed),
            human::rate(moved, elapsed)
        );
        if self.already.get() > 0 {
            line.push_str(&format!("; {} already complete", self.already.get()));
        }
        if failed > 0 {
            line.push_str(&format!("; {failed} failed"));
        }
        line
    }

    /// The summary for a command that moves no bytes (`removed 2 files`, `removed 1 of 3
    /// files; 2 failed`).
    pub fn finish_count(&self, verb: &str, done: usize) -> Result<()> {
        self.finish_count_of(verb, done, "file", "files")
    }

    /// [`Report::finish_count`] counting something else (`created 2 directories`).
    pub fn finish_count_of(&self, verb: &str, done: usize, one: &str, many: &str) -> Result<()> {
        if self.verbosity != Verbosity::Quiet {
            let failed = self.failures.borrow().len();
            let total = done + failed;
            let noun = if total == 1 { one } else { many };
            if failed == 0 {
                eprintln!("{verb} {done} {noun}");
            } else {
                eprintln!("{verb} {done} of {total} {noun}; {failed} failed");
            }
        }
        self.outcome()
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
            Some(total) => {
                let bar = ProgressBar::new(total.saturating_sub(done));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg:30!} {bytes:>10}/{total_bytes:<10} {wide_bar} {binary_bytes_per_sec:>12} ETA {eta}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                bar
            }
            None => {
                let bar = ProgressBar::no_length();
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg:30!} {bytes:>10} {spinner} {binary_bytes_per_sec:>12}",
                    )
                    .expect("valid template"),
                );
                bar.enable_steady_tick(Duration::from_millis(200));
                bar
            }
        };
        let bar = multi.insert_from_back(usize::from(self.total.is_some()), bar);
        let shown = quote(name);
        bar.set_message(if done > 0 {
            format!("{shown} (from {})", human::size(done))
        } else {
            shown
        });
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
