//! `nf serve`: open the store, bind, run until Ctrl-C or SIGTERM (SIGHUP re-reads the access
//! file). The server module binds and tunes the socket; this command only says what happens.

use crate::cli::ServeCommand;
use crate::commands::Context;
use crate::error::Result;
use crate::server::Server;
use crate::service::access::Access;
use crate::service::reload::{self, Reloader};
use crate::service::Logger;
use crate::signals;
use crate::store::{Partials, Store};

pub fn run(ctx: &Context, args: &ServeCommand) -> Result<()> {
    let cfg = &ctx.config;
    if args.show_fingerprint {
        let identity = crate::tls::identity::Identity::load(
            cfg.tls_cert.as_deref(),
            cfg.tls_key.as_deref(),
            crate::tls::identity::default_dir().as_deref(),
        )?;
        return crate::output::print(&format!("{}\n", identity.fingerprint));
    }
    // Before any thread starts, so that only the waiter ever sees a stop signal or SIGHUP.
    let stop = signals::block_with_hangup();
    let log = Logger {
        quiet: ctx.quiet,
        verbose: ctx.verbose,
    };
    let partials = Partials {
        max_age: cfg.partial_max_age,
        max_bytes: cfg.max_partial_bytes,
        log: std::sync::Arc::new(move |line| log.line(line)),
    };
    let store = Store::open(&cfg.store_kind()?, &cfg.root, partials)?;
    let place = store.describe();
    clean_partials_periodically(&store, cfg.partial_max_age);
    let notes = store.clone();
    let server = Server::bind(store, cfg.clone(), log)?;
    let local = server
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| cfg.listen.clone());
    let access = server.service().policy().access();
    for warning in start_warnings(cfg, &server, access.as_deref()) {
        eprintln!("nf serve: WARNING: {warning}");
    }
    if cfg.require_tls && cfg.compat {
        eprintln!(
            "nf serve: note: require_tls covers nf and HTTP; the old text dialects still answer in \
             plaintext (set compat = false to refuse them)"
        );
    }
    log.line(&format!(
        "nf serve {} listening on {local}, storing files in {place}, TLS identity {}",
        env!("CARGO_PKG_VERSION"),
        server.fingerprint().unwrap_or("none")
    ));
    log.line(&match &access {
        Some(a) => format!(
            "access file {} in force: {}",
            a.file.display(),
            reload::summary(a)
        ),
        None => format!(
            "no access file ({} does not exist): whoever is let in may do everything",
            cfg.access_file.display()
        ),
    });
    // After the first line: what the store found at start-up (the object store's probe).
    notes.set_log(std::sync::Arc::new(move |line: &str| log.line(line)));
    prune_receipts_periodically(server.service(), cfg.receipts_max_age);
    let reloader = Reloader::new(&cfg.access_file, server.service(), log);
    reloader.watch();
    let handle = server.stop_handle();
    stop.serve(
        move || reloader.reload(),
        move |sig| {
            log.line(&format!(
                "{}: stopping (interrupted uploads are kept for --resume)",
                signals::name(sig)
            ));
            handle.stop();
        },
    );
    server.run()?;
    log.line("stopped");
    Ok(())
}

/// What start-up warns about: an access file others can read; a server others can reach that
/// lets anyone change files (no token and no access file, or rules that give `*` or
/// `anonymous` write, overwrite or delete).
fn start_warnings(cfg: &crate::config::Config, server: &Server, access: Option<&Access>) -> Vec<String> {
    let mut warnings: Vec<String> = access
        .and_then(|a| reload::exposed(&a.file))
        .into_iter()
        .collect();
    let exposed = server.local_addr().map(|a| !a.ip().is_loopback()).unwrap_or(true);
    if !exposed || cfg.token.is_some() && access.is_none() {
        return warnings;
    }
    match access {
        None => warnings.push(format!(
            "listening on {} with no token: anyone who can reach this address can read, \
             overwrite and delete every file in the storage directory. Set `token` in the config \
             (or NF_TOKEN) on the server and its clients, add users (`nf user add`), or listen on \
             127.0.0.1.",
            cfg.listen
        )),
        Some(a) => {
            let open = reload::anonymous_changes(a);
            if !open.is_empty() {
                warnings.push(format!(
                    "listening on {}: the access file {} lets anyone who can reach this address \
                     change files without logging in: {}. Give those rights to users or \
                     @groups, or listen on 127.0.0.1.",
                    cfg.listen,
                    a.file.display(),
                    open.join(", ")
                ));
            }
        }
    }
    warnings
}

/// Removes partial uploads older than `max_age`, now and then (start-up already did once).
fn clean_partials_periodically(store: &Store, max_age: std::time::Duration) {
    let store = store.clone();
    let every = (max_age / 4).clamp(
        std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(3600),
    );
    let _ = std::thread::Builder::new()
        .name("clean".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            store.clean_partials(max_age);
        });
}

/// Prunes recorded uploads older than `max_age` (`receipts_max_age_secs`) now, then daily (or
/// more often for a shorter age, but at most once a minute).
fn prune_receipts_periodically(svc: std::sync::Arc<crate::service::Service>, max_age: std::time::Duration) {
    let every = (max_age / 4).clamp(
        std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(86_400),
    );
    let _ = std::thread::Builder::new()
        .name("prune-receipts".into())
        .spawn(move || loop {
            svc.prune_receipts(max_age);
            std::thread::sleep(every);
        });
}
