//! Ctrl-C and SIGTERM handled on a thread of their own: the stop signals are blocked in every
//! thread, and one waiter thread receives them with `sigwait` and runs a closure (the server
//! also takes SIGHUP there: re-read the access file, keep running). No async
//! signal handlers, so the closure may lock and print freely. A transfer interrupted this way
//! returns to `main`, which re-raises the signal: only `main` ends the process.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// SIGINT and SIGTERM, blocked in the thread that called [`block`] and in every thread it
/// starts afterwards. Call it before starting threads.
pub struct Blocked(crate::sys::StopSignals);

/// Blocks the stop signals; see [`Blocked::then`].
pub fn block() -> Blocked {
    Blocked(crate::sys::block_stop_signals())
}

/// The stop signals and SIGHUP, for the server; see [`Blocked::serve`].
pub fn block_with_hangup() -> Blocked {
    Blocked(crate::sys::block_signals(&[
        libc::SIGINT,
        libc::SIGTERM,
        crate::sys::SIGHUP,
    ]))
}

impl Blocked {
    /// Runs `hangup()` on a waiter thread on each SIGHUP, and `stop(signal)` (once, then the
    /// thread ends) when a stop signal arrives. For a set from [`block_with_hangup`].
    pub fn serve(self, hangup: impl Fn() + Send + 'static, stop: impl FnOnce(i32) + Send + 'static) {
        let set = self.0;
        std::thread::spawn(move || loop {
            match set.wait() {
                Some(crate::sys::SIGHUP) => hangup(),
                Some(sig) => return stop(sig),
                None => return,
            }
        });
    }

    /// Runs `then(signal)` on a waiter thread when a stop signal arrives.
    pub fn then(self, then: impl FnOnce(i32) + Send + 'static) {
        let set = self.0;
        std::thread::spawn(move || {
            if let Some(sig) = set.wait() {
                then(sig);
            }
        });
    }
}

/// The stop signal that interrupted a transfer, once one has.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// Connections to shut down when a transfer is interrupted, so that the blocked transfer ends
/// at once with an error and the command returns to `main`.
static WATCHED: Mutex<Vec<TcpStream>> = Mutex::new(Vec::new());

/// How long `main` has to finish after an interrupt before the signal ends the process anyway
/// (a read of a pipe that never ends, say).
const GRACE: Duration = Duration::from_secs(2);

/// On SIGINT or SIGTERM during a transfer: notes the signal and shuts down the watched
/// connections, so that the command ends, reports what was kept, and `main` re-raises the
/// signal (exit status 130 for Ctrl-C). Should the command not get back to `main` within a
/// grace period, the signal ends the process as if nf did not handle it.
pub fn on_interrupt() {
    block().then(|sig| {
        INTERRUPTED.store(sig, Ordering::SeqCst);
        for sock in WATCHED.lock().unwrap().iter() {
            let _ = sock.shutdown(Shutdown::Both);
        }
        std::thread::sleep(GRACE);
        crate::sys::die_by(sig);
    });
}

/// Shuts `sock` down when a transfer is interrupted (see [`on_interrupt`]).
pub fn watch(sock: TcpStream) {
    WATCHED.lock().unwrap().push(sock);
}

/// The signal that interrupted the transfer, if one did.
pub fn interrupted() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// The name of a stop signal, for messages.
pub fn name(sig: i32) -> &'static str {
    if sig == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    }
}
