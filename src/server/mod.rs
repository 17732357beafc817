//! The server: the front door ([`front`], an event loop that accepts connections and holds
//! them through their handshake and between requests), the [`router`] that tells the dialects
//! apart from the first bytes, the [`workers`] that serve requests, the native protocol's
//! handlers ([`native`]) and HTTP's ([`http`]), and what both do with bodies ([`body`]). The
//! old text dialects live in [`crate::compat`]; everything a dialect needs from the server is
//! in [`crate::service`]. This module never parses a request.
//!
//! ```text
//! accept ─> front: limits, deadlines ─> router ─┬─> native hello ──┐
//!                                                ├─> HTTP head ─────┼─> worker ─> handlers ─> service ─> store
//!                                                ├─> old dialects ──┘
//!                                                ├─> TLS ─> router again (native or HTTP inside)
//!                                                └─> garbage, busy: refused in the peer's words
//! ```

mod body;
mod front;
mod http;
mod link;
mod native;
mod router;
mod workers;

pub use http::fuzzing as http_fuzzing;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::service::{Logger, Service};
use crate::store::Store;

/// A handle that stops a running server from another thread (a signal handler, a test).
#[derive(Clone)]
pub struct StopHandle {
    svc: Arc<Service>,
    workers: Arc<workers::Workers>,
    stop: Arc<tokio::sync::Notify>,
}

impl StopHandle {
    /// Stops accepting, closes the connections waiting in the front door, ends every request in
    /// progress at its next read (interrupted uploads are kept as partials, never shown under
    /// their name) and makes [`Server::run`] return.
    pub fn stop(&self) {
        if self.svc.begin_stop() {
            return;
        }
        self.stop.notify_one();
        self.workers.stop_all();
    }
}

/// A bound server, ready to run.
pub struct Server {
    listener: TcpListener,
    handle: StopHandle,
    fd_limit: u64,
    tls: Option<Arc<rustls::ServerConfig>>,
    fingerprint: Option<String>,
}

impl Server {
    /// Binds `settings.listen` with a deep accept queue (a burst of clients is not delayed
    /// by SYN retries), raises the limit on open files to the hard limit, and makes a file-size
    /// limit (`ulimit -f`) fail writes instead of killing the process.
    pub fn bind(store: Store, settings: Config, log: Logger) -> Result<Server> {
        let listener = TcpListener::bind(&settings.listen).map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
                "; is another nf serve running? choose another address with --listen"
            } else {
                ""
            };
            Error::new(
                crate::error::ErrorKind::Other,
                format!(
                    "cannot listen on {}: {}{hint}",
                    settings.listen,
                    crate::error::describe_io(&e)
                ),
            )
        })?;
        let _ = crate::sys::set_backlog(crate::sys::listener_fd(&listener), 1024);
        let fd_limit = crate::sys::raise_fd_limit();
        crate::sys::ignore_sigxfsz();
        let identity = crate::tls::identity::Identity::load(
            settings.tls_cert.as_deref(),
            settings.tls_key.as_deref(),
            crate::tls::identity::default_dir().as_deref(),
        )?;
        let tls = identity.server_config()?;
        let access = crate::service::access::configured(&settings)?;
        let signer = crate::receipt::Signer::new(&identity.certs[0], &identity.key)?;
        let mut server = Server::new(listener, store, settings, log, fd_limit);
        server.handle.svc.set_access(access);
        server.handle.svc.set_signer(signer);
        server.handle.svc.set_upload_key(identity.key.secret_der());
        server.tls = Some(tls);
        server.fingerprint = Some(identity.fingerprint);
        Ok(server)
    }

    /// The fingerprint of the TLS identity it presents (`sha256//…`).
    pub fn fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Wraps an already-bound listener. `fd_limit` is the process's limit on open files.
    pub fn new(listener: TcpListener, store: Store, settings: Config, log: Logger, fd_limit: u64) -> Server {
        let workers = workers::Workers::new(settings.max_workers);
        let svc = Arc::new(Service::new(store, settings, log));
        Server {
            listener,
            handle: StopHandle {
                svc,
                workers,
                stop: Arc::new(tokio::sync::Notify::new()),
            },
            fd_limit,
            tls: None,
            fingerprint: None,
        }
    }

    pub fn stop_handle(&self) -> StopHandle {
        self.handle.clone()
    }

    /// The operations layer it serves (to put a re-read access file in force).
    pub fn service(&self) -> Arc<Service> {
        Arc::clone(&self.handle.svc)
    }

    /// Serves until stopped, then waits (bounded) for the requests in progress to end.
    pub fn run(self) -> Result<()> {
        let StopHandle { svc, workers, stop } = self.handle;
        front::Front::run(
            Arc::clone(&svc),
            Arc::clone(&workers),
            self.listener,
            self.fd_limit,
            self.tls,
            stop,
        )
        .map_err(|e| Error::io("the accept loop failed", &e))?;
        // Stopping: requests end at their next read; give them a bounded time to do so.
        let deadline = Instant::now() + svc.settings.idle_timeout.min(Duration::from_secs(10));
        while workers.taken() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        svc.flush_share_uses();
        Ok(())
    }
}
