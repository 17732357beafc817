//! Progress display for put and get: an indicatif bar per file in flight and a total bar for
//! many files, drawn on stderr only when it is a terminal; otherwise (or with `-q`) nothing
//! until the one-line summary. Implements [`client::Progress`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::client::Progress;
use crate::human;

pub struct Bars {
    multi: Option<MultiProgress>,
    total: Option<ProgressBar>,
    bars: RefCell<HashMap<usize, ProgressBar>>,
    /// Transfers ended so far, and in all, for the total bar's "n/m files".
    ended: Cell<usize>,
    files: usize,
    started: Instant,
}

impl Bars {
    /// Bars for `files` transfers of `total_bytes` (an estimate) when `show` is true.
    pub fn new(show: bool, files: usize, total_bytes: u64) -> Bars {
        let multi = show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)));
        let total = match &multi {
            Some(m) if files > 1 => {
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
        Bars {
            multi,
            total,
            bars: RefCell::new(HashMap::new()),
            ended: Cell::new(0),
            files,
            started: Instant::now(),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Removes every bar from the screen.
    pub fn clear(&self) {
        for (_, bar) in self.bars.borrow_mut().drain() {
            bar.finish_and_clear();
        }
        if let Some(t) = &self.total {
            t.finish_and_clear();
        }
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }

    /// Prints a line above the bars (or plainly when there are none).
    pub fn println(&self, line: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => eprintln!("{line}"),
        }
    }
}

impl Progress for Bars {
    fn begin(&self, index: usize, name: &str, total: u64, done: u64) {
        let Some(multi) = &self.multi else { return };
        let bar = multi.insert_from_back(usize::from(self.total.is_some()), ProgressBar::new(total));
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:30!} {bytes:>10}/{total_bytes:<10} {wide_bar} {binary_bytes_per_sec:>12} ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(crate::name::quote(name));
        bar.set_position(done);
        if let Some(t) = &self.total {
            t.inc(done);
        }
        self.bars.borrow_mut().insert(index, bar);
    }

    fn advance(&self, index: usize, bytes: u64) {
        if let Some(bar) = self.bars.borrow().get(&index) {
            bar.inc(bytes);
        }
        if let Some(t) = &self.total {
            t.inc(bytes);
        }
    }

    fn end(&self, index: usize, _ok: bool) {
        if let Some(bar) = self.bars.borrow_mut().remove(&index) {
            bar.finish_and_clear();
        }
        self.ended.set(self.ended.get() + 1);
        if let Some(t) = &self.total {
            t.set_message(format!("{}/{} files", self.ended.get(), self.files));
        }
    }
}

/// The one-line summary after a transfer: `uploaded 3 files (12 MiB) in 1.2s, 10 MiB/s`.
pub fn summary(verb: &str, files: usize, bytes: u64, elapsed: Duration) -> String {
    let noun = if files == 1 { "file" } else { "files" };
    format!(
        "{verb} {files} {noun} ({}) in {}, {}",
        human::size(bytes),
        human::duration(elapsed),
        human::rate(bytes, elapsed)
    )
}
