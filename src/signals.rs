//! Ctrl-C and SIGTERM handled on a thread of their own: the stop signals are blocked in every
//! thread, and one waiter thread receives them with `sigwait` and runs a closure. No async
//! signal handlers, so the closure may lock, print and exit freely.

/// SIGINT and SIGTERM, blocked in the thread that called [`block`] and in every thread it
/// starts afterwards. Call it before starting threads.
pub struct Blocked(libc::sigset_t);

/// Blocks the stop signals; see [`Blocked::then`].
pub fn block() -> Blocked {
    // SAFETY: plain libc calls on a local sigset; pthread_sigmask affects this thread and the
    // threads it starts afterwards.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        Blocked(set)
    }
}

impl Blocked {
    /// Runs `then(signal)` on a waiter thread when a stop signal arrives.
    pub fn then(self, then: impl FnOnce(i32) + Send + 'static) {
        let set = self.0;
        std::thread::spawn(move || {
            let mut sig = 0;
            // SAFETY: set is a valid sigset; sig is a valid out pointer.
            if unsafe { libc::sigwait(&set, &mut sig) } == 0 {
                then(sig);
            }
        });
    }
}

/// Blocks the stop signals and runs `then(signal)` when one arrives.
pub fn on_stop(then: impl FnOnce(i32) + Send + 'static) {
    block().then(then);
}

/// The name of a stop signal, for messages.
pub fn name(sig: i32) -> &'static str {
    if sig == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    }
}
