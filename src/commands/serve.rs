//! `nf serve`: bind, open the store, run until Ctrl-C or SIGTERM.

use std::net::TcpListener;

use crate::commands::Context;
use crate::error::{describe_io, Error, ErrorKind, Result};
use crate::server::{Logger, Server, Settings, StopHandle};
use crate::store::Store;

pub fn run(ctx: &Context) -> Result<()> {
    let cfg = &ctx.config;
    // Block the stop signals before any thread starts, so that only the waiter sees them.
    let signals = stop_signals();
    let store = Store::open(&cfg.root, cfg.partial_max_age)?;
    let listener = TcpListener::bind(&cfg.listen).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            "; is another nf serve running? choose another address with --listen"
        } else {
            ""
        };
        Error::new(
            ErrorKind::Other,
            format!("cannot listen on {}: {}{hint}", cfg.listen, describe_io(&e)),
        )
    })?;
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| cfg.listen.clone());
    let log = Logger {
        quiet: ctx.quiet,
        verbose: ctx.verbose,
    };
    let root = store.root().display().to_string();
    let server = Server::new(listener, store, Settings::from_config(cfg), log);
    log.line(&format!(
        "nf serve {} listening on {local}, storing files in {root}",
        env!("CARGO_PKG_VERSION")
    ));
    wait_for_stop(signals, server.stop_handle(), log);
    server.run()?;
    log.line("stopped");
    Ok(())
}

fn stop_signals() -> libc::sigset_t {
    // SAFETY: plain libc calls on a local sigset; pthread_sigmask affects this thread and the
    // threads it starts afterwards.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

fn wait_for_stop(set: libc::sigset_t, handle: StopHandle, log: Logger) {
    std::thread::spawn(move || {
        let mut sig = 0;
        // SAFETY: set is a valid sigset; sig is a valid out pointer.
        if unsafe { libc::sigwait(&set, &mut sig) } == 0 {
            let what = if sig == libc::SIGINT { "SIGINT" } else { "SIGTERM" };
            log.line(&format!(
                "{what}: stopping (interrupted uploads are kept for --resume)"
            ));
            handle.stop();
        }
    });
}
