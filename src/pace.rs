//! The pace of a server-side transfer: what its peer really took (bytes read from it, and bytes
//! it acknowledged, as the kernel reports them) sampled over the last [`RATE_WINDOW`]
//! ([`Activity`], shared with the server's slot table, which cuts the slowest transfer to make
//! room), and the deadlines a request must keep ([`Pace`]: the idle time and the minimum rate).
//! The window is measured in time spent waiting on the peer, not in wall time: while the server
//! itself works (a store that takes 20 s to answer, a batch being committed), the peer is not
//! the one that is slow.
//! No socket I/O here beyond asking the kernel for its counters (through `sys`).

use crate::sys::RawFd;
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window over which a transfer's rate is measured: the minimum rate of a body or reply,
/// and the choice of the slowest transfer to cut.
pub const RATE_WINDOW: Duration = Duration::from_secs(10);

/// How often a transfer that moves bytes asks the kernel what its peer took (a transfer that
/// waits asks at every tick).
pub const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// What a request in progress took from its peer and whether it waits on the socket now,
/// shared by the connection's transport and the server's slot table (which reads it to cut the
/// slowest transfer when every worker is taken).
///
/// Progress is what the peer really took: the bytes read from it, plus the bytes it
/// acknowledged (`TCP_INFO`, or bytes written less what the kernel still queues), never what
/// the kernel accepted into its send buffer (some megabytes at once, which a reader that took a
/// few kilobytes would otherwise seem to have moved). It is sampled into a window of the last
/// [`RATE_WINDOW`], so the rate is a recent one, not an average since the request began. The
/// window's clock runs only while the transfer waits on the socket ([`Activity::enter_wait`]):
/// the rate is what the peer took per second the server spent waiting for it.
#[derive(Default)]
pub struct Activity {
    /// Bytes read off the connection, over its life.
    pub(crate) read: AtomicU64,
    /// Bytes handed to the connection to send, over its life.
    pub(crate) written: AtomicU64,
    /// True while the transfer waits on the socket (a blocked read or write, or the seed
    /// dialect's wait for the peer's window).
    pub(crate) waiting: AtomicBool,
    /// Microseconds spent waiting on the socket, over the connection's life, not counting the
    /// wait in progress…
    waited_us: AtomicU64,
    /// …which began at this many microseconds since `EPOCH` (when `waiting`).
    wait_since_us: AtomicU64,
    /// Set when the server cut the connection to make room (see [`Activity::mark_cut`]).
    cut: AtomicBool,
    samples: Mutex<Samples>,
}

/// Progress samples of the current request: (milliseconds waited on the socket, progress),
/// oldest first, the oldest at or just before the start of the window; and when the request
/// began (milliseconds since `EPOCH`, wall time).
#[derive(Default)]
struct Samples {
    began_ms: u64,
    at: VecDeque<(u64, u64)>,
}

/// What a transfer took from its peer lately.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Bytes the peer took (sent or acknowledged) over `over`.
    pub took: u64,
    /// The time spent waiting on the peer that was measured: the last [`RATE_WINDOW`] of it,
    /// or less while the request is younger.
    pub over: Duration,
    /// How long ago the request began.
    pub ran: Duration,
}

impl Rate {
    /// Bytes per second over the span.
    pub fn per_sec(&self) -> f64 {
        self.took as f64 / self.over.as_secs_f64().max(1e-3)
    }
}

fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64
}

fn now_us() -> u64 {
    epoch().elapsed().as_micros() as u64
}

impl Activity {
    /// Starts measuring a new request on the socket `fd`.
    pub fn begin(&self, fd: RawFd) {
        let waited = self.waited_ms();
        let progress = self.progress(fd);
        let mut s = self.samples.lock().unwrap();
        s.began_ms = now_ms();
        s.at.clear();
        s.at.push_back((waited, progress));
    }

    /// The transfer starts to wait on the socket (a blocking read or write, a poll for the
    /// peer's window): the slot table may judge it, and the rate's clock runs.
    pub(crate) fn enter_wait(&self) {
        self.wait_since_us.store(now_us(), Ordering::Relaxed);
        self.waiting.store(true, Ordering::Relaxed);
    }

    /// The wait on the socket is over.
    pub(crate) fn leave_wait(&self) {
        self.waiting.store(false, Ordering::Relaxed);
        let since = self.wait_since_us.load(Ordering::Relaxed);
        self.waited_us
            .fetch_add(now_us().saturating_sub(since), Ordering::Relaxed);
    }

    /// Milliseconds spent waiting on the socket so far, the wait in progress included.
    fn waited_ms(&self) -> u64 {
        let mut us = self.waited_us.load(Ordering::Relaxed);
        if self.waiting.load(Ordering::Relaxed) {
            us += now_us().saturating_sub(self.wait_since_us.load(Ordering::Relaxed));
        }
        us / 1000
    }

    /// Notes that the server is about to shut the connection down to make room, so that the
    /// transfer's error says so rather than blaming the peer.
    pub fn mark_cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
    }

    /// True once [`Activity::mark_cut`] was called.
    pub fn is_cut(&self) -> bool {
        self.cut.load(Ordering::Relaxed)
    }

    /// The recent rate of a transfer waiting on its peer right now (`None` if it is not
    /// waiting: working, or between requests), measured afresh on its socket `fd`.
    pub fn waiting_rate(&self, fd: RawFd) -> Option<Rate> {
        if !self.waiting.load(Ordering::Relaxed) {
            return None;
        }
        self.sample(fd, Duration::ZERO)
    }

    /// What the peer took over the connection's life: bytes read from it, and bytes it
    /// acknowledged.
    pub(crate) fn progress(&self, fd: RawFd) -> u64 {
        let acked = crate::sys::tcp_bytes_acked(fd).unwrap_or_else(|| {
            let queued = crate::sys::tcp_queued(fd).unwrap_or(0);
            self.written.load(Ordering::Relaxed).saturating_sub(queued)
        });
        self.read.load(Ordering::Relaxed) + acked
    }

    /// Records the progress now unless the last sample is younger than `every` (asking the
    /// kernel costs a system call), and returns the rate over the window; `None` when skipped
    /// or before [`Activity::begin`].
    pub(crate) fn sample(&self, fd: RawFd, every: Duration) -> Option<Rate> {
        let now = self.waited_ms();
        let mut s = self.samples.lock().unwrap();
        let &(last_ms, _) = s.at.back()?;
        if now < last_ms + every.as_millis() as u64 {
            return None;
        }
        let progress = self.progress(fd);
        if now > last_ms {
            s.at.push_back((now, progress));
        }
        let window_start = now.saturating_sub(RATE_WINDOW.as_millis() as u64);
        while s.at.len() > 2 && s.at[1].0 <= window_start {
            s.at.pop_front();
        }
        let (from_ms, from) = s.at[0];
        Some(Rate {
            took: progress.saturating_sub(from),
            over: Duration::from_millis(now - from_ms),
            ran: Duration::from_millis(now_ms().saturating_sub(s.began_ms)),
        })
    }
}

/// The deadlines of a server-side connection while a request is served.
#[derive(Clone, Debug)]
pub struct Pace {
    /// Longest silence (no byte either way) before the connection is cut.
    pub idle: Duration,
    /// The least bytes per second the peer must take, over the last [`RATE_WINDOW`] (0: no
    /// minimum).
    pub min_rate: u64,
    pub(crate) last_io: Instant,
}

impl Pace {
    /// Deadlines for a request whose head was complete at `since` (its silence is counted from
    /// then, not from when a worker took it).
    pub fn new(idle: Duration, min_rate: u64, since: Instant) -> Pace {
        Pace {
            idle,
            min_rate,
            last_io: since,
        }
    }

    /// After a tick without progress: the error that ends the connection if it was silent for
    /// the idle time.
    pub(crate) fn check_idle(&self) -> io::Result<()> {
        if self.last_io.elapsed() >= self.idle {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
        }
        Ok(())
    }

    /// The error that ends the connection if, over a whole [`RATE_WINDOW`], the peer took less
    /// than the minimum rate (one byte a second keeps no socket timeout from firing; neither
    /// does a reader whose kernel buffers are full).
    pub(crate) fn check_rate(&self, rate: &Rate) -> io::Result<()> {
        if self.min_rate == 0 || rate.over < RATE_WINDOW {
            return Ok(());
        }
        if rate.per_sec() >= self.min_rate as f64 {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "too slow: the client took {} bytes in the last {} s, under the minimum of {} \
                 bytes per second",
                rate.took,
                rate.over.as_secs(),
                self.min_rate
            ),
        ))
    }

    /// Starts the idle time afresh (a new request).
    pub fn restart(&mut self) {
        self.last_io = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn the_rates_clock_runs_only_while_the_transfer_waits_on_its_peer() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let fd = std::os::unix::io::AsRawFd::as_raw_fd(&a);
        let activity = Activity::default();
        activity.begin(fd);
        // The server works (a slow store, a commit): the peer is not waited on, so this time
        // is no part of its rate.
        std::thread::sleep(Duration::from_millis(30));
        let rate = activity.sample(fd, Duration::ZERO).unwrap();
        assert_eq!(rate.over, Duration::ZERO);
        assert!(rate.ran >= Duration::from_millis(30), "{rate:?}");
        // Waiting on the peer: the clock runs, the wait in progress included.
        activity.enter_wait();
        std::thread::sleep(Duration::from_millis(30));
        let during = activity.waiting_rate(fd).unwrap();
        assert!(during.over >= Duration::from_millis(30), "{during:?}");
        activity.leave_wait();
        assert!(activity.waiting_rate(fd).is_none(), "judged only while it waits");
        let after = activity.sample(fd, Duration::ZERO).unwrap();
        assert!(after.over >= during.over, "{after:?} {during:?}");
    }

    #[test]
    fn the_rate_rule_cuts_a_peer_that_took_too_little_over_a_whole_window() {
        let pace = Pace::new(Duration::from_secs(60), 1024, Instant::now());
        let rate = |took, over| Rate {
            took,
            over,
            ran: over,
        };
        let err = pace.check_rate(&rate(30, RATE_WINDOW)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(
            err.to_string()
                .starts_with("too slow: the client took 30 bytes in the last 10 s"),
            "{err}"
        );
        pace.check_rate(&rate(10 * 1024, RATE_WINDOW)).unwrap();
        // Not judged before a whole window has passed.
        pace.check_rate(&rate(0, RATE_WINDOW / 2)).unwrap();
        let mut idle = Pace::new(Duration::from_secs(5), 0, Instant::now());
        idle.last_io -= Duration::from_secs(5);
        assert_eq!(idle.check_idle().unwrap_err().kind(), io::ErrorKind::TimedOut);
    }
}
