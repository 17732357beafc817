//! `nf serve`: bind, open the store, run until Ctrl-C or SIGTERM.

use std::net::TcpListener;

use crate::commands::Context;
use crate::error::{describe_io, Error, ErrorKind, Result};
use crate::server::{Logger, Server};
use crate::signals;
use crate::store::Store;

pub fn run(ctx: &Context) -> Result<()> {
    let cfg = &ctx.config;
    // Before any thread starts, so that only the waiter ever sees a stop signal.
    let stop = signals::block();
    let store = Store::open(&cfg.store_kind()?, &cfg.root, cfg.partial_max_age)?;
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
    let exposed = listener
        .local_addr()
        .map(|a| !a.ip().is_loopback())
        .unwrap_or(true);
    if exposed && cfg.token.is_none() {
        eprintln!(
            "nf serve: WARNING: listening on {} with no token: anyone who can reach this address \
             can read, overwrite and delete every file in the storage directory. Set `token` in \
             the config (or NF_TOKEN) on the server and its clients, or listen on 127.0.0.1.",
            cfg.listen
        );
    }
    raise_fd_limit();
    // A deeper accept queue than std's default, so a burst of clients is not delayed by SYN
    // retries. SAFETY: listen(2) again on our listening socket only changes its backlog.
    unsafe {
        libc::listen(std::os::unix::io::AsRawFd::as_raw_fd(&listener), 1024);
    }
    // A file-size limit (ulimit -f) must fail the write with EFBIG, not kill the server.
    // SAFETY: setting a signal disposition to SIG_IGN.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    clean_partials_periodically(&store, cfg.partial_max_age);
    let place = store.describe();
    let notes = store.clone();
    let server = Server::new(listener, store, cfg.clone(), log);
    log.line(&format!(
        "nf serve {} listening on {local}, storing files in {place}",
        env!("CARGO_PKG_VERSION")
    ));
    // After the first line: what the store found at start-up (the object store's probe).
    notes.set_log(std::sync::Arc::new(move |line: &str| log.line(line)));
    let handle = server.stop_handle();
    stop.then(move |sig| {
        log.line(&format!(
            "{}: stopping (interrupted uploads are kept for --resume)",
            signals::name(sig)
        ));
        handle.stop();
    });
    server.run()?;
    log.line("stopped");
    Ok(())
}

/// Each connection holds a few descriptors: allow as many as the hard limit permits.
fn raise_fd_limit() {
    // SAFETY: get/setrlimit on a local struct.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max.min(1 << 20);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Removes partial uploads older than `max_age`, now and then (start-up already did once).
fn clean_partials_periodically(store: &Store, max_age: std::time::Duration) {
    let store = store.clone();
    let every = (max_age / 4).clamp(
        std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(3600),
    );
    std::thread::spawn(move || loop {
        std::thread::sleep(every);
        store.clean_partials(max_age);
    });
}
