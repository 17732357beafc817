//! The server: listener, accept loop, connection limit, timeouts and shutdown. Each accepted
//! connection runs on its own thread in [`conn`]; this module never parses a request.

mod conn;
mod log;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::{ErrorKind, Result};
use crate::protocol::{self, ErrorReply};
use crate::store::Store;

pub use log::Logger;

/// State shared by the accept loop and every connection.
pub(crate) struct Shared {
    pub store: Store,
    /// The limits and behaviour of this server.
    pub settings: Config,
    pub log: Logger,
    active: AtomicUsize,
    next_id: AtomicU64,
    /// Open connections, so that shutdown can wake their readers.
    conns: Mutex<HashMap<u64, TcpStream>>,
    stopping: AtomicBool,
}

impl Shared {
    /// Validates a name from the wire against the rules and this server's length limit.
    pub fn file_name(&self, raw: &[u8]) -> crate::error::Result<crate::name::FileName> {
        crate::name::FileName::parse_bytes_with_limit(raw, self.settings.max_name_bytes)
    }

    /// True once the server is stopping: an end of stream may be the stop, not the client.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// A handle that stops a running server from another thread (a signal handler, a test).
#[derive(Clone)]
pub struct StopHandle {
    shared: Arc<Shared>,
    listener_fd: i32,
}

impl StopHandle {
    /// Stops accepting, ends every connection at its next read (interrupted uploads are kept as
    /// partials, never shown under their name) and makes [`Server::run`] return.
    pub fn stop(&self) {
        if self.shared.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        // SAFETY: shutting down a socket fd we own; a no-op error if it is already closed.
        unsafe {
            libc::shutdown(self.listener_fd, libc::SHUT_RDWR);
        }
        for stream in self.shared.conns.lock().unwrap().values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
    }
}

/// A bound server, ready to run.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl Server {
    /// Wraps an already-bound listener (tests bind port 0).
    pub fn new(listener: TcpListener, store: Store, settings: Config, log: Logger) -> Server {
        Server {
            listener,
            shared: Arc::new(Shared {
                store,
                settings,
                log,
                active: AtomicUsize::new(0),
                next_id: AtomicU64::new(1),
                conns: Mutex::new(HashMap::new()),
                stopping: AtomicBool::new(false),
            }),
        }
    }

    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            shared: Arc::clone(&self.shared),
            listener_fd: self.listener.as_raw_fd(),
        }
    }

    /// Accepts connections until stopped, then waits (bounded) for open ones to finish.
    pub fn run(self) -> Result<()> {
        let shared = &self.shared;
        for incoming in self.listener.incoming() {
            if shared.stopping.load(Ordering::SeqCst) {
                break;
            }
            let stream = match incoming {
                Ok(s) => s,
                Err(e) => {
                    // Out of fds or a connection reset before accept: back off, keep serving.
                    shared
                        .log
                        .line(&format!("accept failed: {}", crate::error::describe_io(&e)));
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            };
            if shared.active.load(Ordering::SeqCst) >= shared.settings.max_connections {
                refuse_busy(stream, shared);
                continue;
            }
            shared.active.fetch_add(1, Ordering::SeqCst);
            let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
            if let Ok(clone) = stream.try_clone() {
                shared.conns.lock().unwrap().insert(id, clone);
            }
            let conn_shared = Arc::clone(shared);
            let spawned = std::thread::Builder::new()
                .name(format!("conn-{id}"))
                .stack_size(256 * 1024)
                .spawn(move || {
                    conn::handle(stream, &conn_shared);
                    conn_shared.conns.lock().unwrap().remove(&id);
                    conn_shared.active.fetch_sub(1, Ordering::SeqCst);
                });
            if spawned.is_err() {
                shared.conns.lock().unwrap().remove(&id);
                shared.active.fetch_sub(1, Ordering::SeqCst);
                shared
                    .log
                    .line("cannot start a thread for a connection; refused it");
            }
        }
        // Stopping: connections end at their next read; give them a bounded time to do so.
        let deadline = Instant::now() + shared.settings.idle_timeout.min(Duration::from_secs(10));
        while shared.active.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }
}

/// Answers a connection over the limit with a `busy` error instead of leaving it hanging.
fn refuse_busy(mut stream: TcpStream, shared: &Shared) {
    let reply = ErrorReply {
        ok: false,
        code: ErrorKind::Busy.code().into(),
        message: format!(
            "the server is at its limit of {} connections; try again shortly",
            shared.settings.max_connections
        ),
    };
    let _ = stream.set_nonblocking(true);
    let mut sink = [0u8; 4096];
    let _ = stream.read(&mut sink); // drain what the client already sent, so close sends FIN
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let _ = protocol::write_message(&mut stream, &reply);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    shared.log.line(&format!("{peer} refused: busy"));
}
