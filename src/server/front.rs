//! The front door: one event loop (a single-threaded tokio runtime) accepts every connection
//! and holds it while it has nothing for a worker: its handshake (the native greeting and
//! hello, an old dialect's command, an HTTP request head) and, between requests, the wait for
//! the next one. Such a connection costs a socket and a few hundred bytes, never a thread.
//! Once a request head is complete the connection goes to a worker ([`super::workers`]) with
//! the bytes read ahead; when the worker has nothing more in hand it parks the connection
//! here again.
//!
//! Admission: at most `max_startups_per_address` connections per address (an IPv6 /64 counts
//! as one) may be in their handshake at once; a new one over it closes that address's oldest
//! unfinished handshake (the newest is the likeliest to be a real client behind a shared
//! address). At `max_connections` in all, the oldest unfinished handshake anywhere is closed
//! to make room, else the connection that has waited longest here (between requests); only
//! when nothing waits here is a newcomer refused. A request that finds every worker taken
//! waits in a first-come-first-served line ([`Line`]) up to `queue_wait_secs`, while the loop
//! keeps cutting transfers that turn slow; only then is it told `busy` in its own dialect.
//! Every phase has a deadline: the handshake or a request head must be complete within
//! `handshake_timeout_secs`; an idle connection between requests is closed after
//! `idle_timeout_secs`. Out of file descriptors, the loop backs off and closes its oldest
//! waiting connection instead of spinning.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use super::http;
use super::link::{LineError, Link};
use super::native::{self, hello, Next, Session};
use super::router::{self, First};
use super::workers::{Job, Run, Slot, Workers};
use crate::cidr::address_key;
use crate::compat;
use crate::error::{Error, ErrorKind};
use crate::protocol;
use crate::service::{Principal, Service};
use crate::transport::{Pace, Transport};

/// How often the loop looks for a transfer to cut while a request waits in line: a transfer
/// that crosses [`super::workers::SLOW_AFTER`] is cut within this much more.
const RECHECK: Duration = Duration::from_millis(250);

/// A native client that asked for notices is told it waits in line after this long.
const NOTICE_AFTER: Duration = Duration::from_secs(1);

/// How long a client refused at admission may take to show its dialect (to be told `busy` in
/// its own words); a silent one is simply closed.
const REFUSAL_SNIFF: Duration = Duration::from_secs(2);

/// At most this many refusals in progress; beyond, extra connections are closed at once.
const MAX_REFUSING: usize = 1024;

/// How often the loop logs how many connections it dropped for missing their deadlines.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// A connection handed back by a worker: it waits here for its next request.
pub struct Parked {
    io: crate::transport::Io,
    ahead: Vec<u8>,
    conn: Counted,
    dialect: Dialect,
    /// Who the connection acts for (settled by the native hello).
    who: Principal,
}

/// One connection counted against `max_connections`, uncounted when dropped.
pub struct Counted(Arc<Front>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.conns.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection in its handshake (known by its [`Held`] id), counted against its address's
/// limit until dropped or evicted.
struct Starting(Arc<Front>, IpAddr, u64);

impl Drop for Starting {
    fn drop(&mut self) {
        self.0.startups.lock().unwrap().remove(self.1, self.2);
    }
}

/// The connections in their handshake, per address and in all, oldest (lowest id) first: the
/// ones eviction picks from.
#[derive(Default)]
struct Startups {
    by_address: HashMap<IpAddr, std::collections::BTreeSet<u64>>,
    all: BTreeMap<u64, (IpAddr, Instant)>,
}

impl Startups {
    fn add(&mut self, key: IpAddr, id: u64) {
        self.by_address.entry(key).or_default().insert(id);
        self.all.insert(id, (key, Instant::now()));
    }

    fn remove(&mut self, key: IpAddr, id: u64) {
        if let Some(ids) = self.by_address.get_mut(&key) {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_address.remove(&key);
            }
        }
        self.all.remove(&id);
    }

    fn count(&self, key: IpAddr) -> usize {
        self.by_address.get(&key).map_or(0, |ids| ids.len())
    }

    /// Takes out the oldest handshake of `key` (or, without one, of any address): its id and
    /// when it began.
    fn take_oldest(&mut self, key: Option<IpAddr>) -> Option<(u64, IpAddr, Instant)> {
        let id = match key {
            Some(key) => *self.by_address.get(&key)?.first()?,
            None => *self.all.keys().next()?,
        };
        let (key, since) = self.all[&id];
        self.remove(key, id);
        Some((id, key, since))
    }
}

/// The requests waiting for a worker, first come first served. Each waiter holds the receiving
/// end of a channel; the loop sends it a [`Slot`] as one frees up (a waiter that gave up has
/// dropped its end, and is passed over).
#[derive(Default)]
struct Line {
    waiting: std::collections::VecDeque<oneshot::Sender<Slot>>,
}

/// A task holding a connection in the loop, known to the eviction list until dropped.
struct Held(Arc<Front>, u64);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.held.lock().unwrap().remove(&self.1);
    }
}

/// What the loop needs to know of the settings, read once.
#[derive(Clone)]
struct Limits {
    max_connections: usize,
    startups_per_address: usize,
    handshake: Duration,
    idle: Duration,
    quiet: Duration,
    max_header: usize,
    min_rate: u64,
    old_allowed: bool,
    queue_wait: Duration,
}

pub struct Front {
    svc: Arc<Service>,
    workers: Arc<Workers>,
    limits: Limits,
    /// Every connection held, here or by a worker.
    conns: AtomicUsize,
    /// Connections in their handshake, per address and in all.
    startups: Mutex<Startups>,
    /// Requests waiting for a worker.
    line: Mutex<Line>,
    /// Told when a request joins the line (the loop that hands out slots then watches it).
    joined: tokio::sync::Notify,
    /// Connections waiting here, oldest first: the ones to close at `max_connections`.
    held: Mutex<BTreeMap<u64, AbortHandle>>,
    next: AtomicU64,
    refusing: AtomicUsize,
    /// Connections closed for missing a deadline since the last summary line.
    dropped: AtomicU64,
    back: mpsc::UnboundedSender<Parked>,
    /// How to serve TLS (a ClientHello on this port), if the server has an identity.
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// A connection whose first bytes are in, handed to the phase that reads its dialect's head:
/// the link, who it is, the bytes read so far, the handshake's deadline, and the guards it
/// holds (its count against `max_connections`, its handshake against its address's limit, its
/// place in the eviction list).
struct Opening {
    link: Link,
    peer: SocketAddr,
    buf: Vec<u8>,
    deadline: Instant,
    conn: Counted,
    starting: Starting,
    held: Held,
}

/// Why a connection ended in the loop without a request for a worker.
enum Ended {
    /// The client closed, or the connection failed.
    Closed,
    /// A deadline passed (counted for the summary line).
    Late,
}

impl Front {
    /// Runs the loop on `listener` until `stop` is notified.
    pub fn run(
        svc: Arc<Service>,
        workers: Arc<Workers>,
        listener: std::net::TcpListener,
        fd_limit: u64,
        tls: Option<Arc<rustls::ServerConfig>>,
        stop: Arc<tokio::sync::Notify>,
    ) -> io::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let s = &svc.settings;
        // Keep room for the store's files and sockets below the descriptor limit.
        let room = fd_limit.saturating_sub(256).max(64) as usize;
        let limits = Limits {
            max_connections: s.max_connections.min(room),
            startups_per_address: s.max_startups_per_address,
            handshake: s.handshake_timeout,
            idle: s.idle_timeout,
            quiet: s.compat_quiet,
            max_header: s.max_header_bytes,
            min_rate: s.min_body_rate,
            old_allowed: s.compat && (s.token.is_none() || s.compat_allow_without_token),
            queue_wait: s.queue_wait,
        };
        let (back, mut parked) = mpsc::unbounded_channel();
        let front = Arc::new(Front {
            svc,
            workers,
            limits,
            conns: AtomicUsize::new(0),
            startups: Mutex::new(Startups::default()),
            line: Mutex::new(Line::default()),
            joined: tokio::sync::Notify::new(),
            held: Mutex::new(BTreeMap::new()),
            next: AtomicU64::new(1),
            refusing: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            back,
            tls,
        });
        rt.block_on(async move {
            listener.set_nonblocking(true)?;
            let listener = TcpListener::from_std(listener)?;
            let acceptor = tokio::spawn(Arc::clone(&front).accept(listener));
            let returner = {
                let front = Arc::clone(&front);
                tokio::spawn(async move {
                    while let Some(p) = parked.recv().await {
                        front.park(p);
                    }
                })
            };
            let summary = tokio::spawn(Arc::clone(&front).summarize());
            let hand_out = tokio::spawn(Arc::clone(&front).hand_out());
            stop.notified().await;
            acceptor.abort();
            returner.abort();
            summary.abort();
            hand_out.abort();
            // Every connection waiting here is closed as the runtime drops its task.
            let waiting: Vec<AbortHandle> = front.held.lock().unwrap().values().cloned().collect();
            for task in waiting {
                task.abort();
            }
            Ok(())
        })
    }

    async fn accept(self: Arc<Self>, listener: TcpListener) {
        let mut out_of_fds_said: Option<Instant> = None;
        loop {
            match listener.accept().await {
                Ok((sock, peer)) => Arc::clone(&self).admit(sock, peer),
                Err(e) => {
                    let out_of_fds = matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE));
                    if out_of_fds {
                        if out_of_fds_said.is_none_or(|t| t.elapsed() > SUMMARY_EVERY) {
                            self.svc.log.line(
                                "accept failed: out of file descriptors; closing the longest-waiting \
                                 connections and retrying",
                            );
                            out_of_fds_said = Some(Instant::now());
                        }
                        self.evict_oldest();
                    }
                    // Back off instead of spinning; service resumes as descriptors free up.
                    tokio::time::sleep(Duration::from_millis(if out_of_fds { 100 } else { 10 })).await;
                }
            }
        }
    }

    /// Takes in a new connection: counted, admitted (closing an older unfinished handshake to
    /// make room where a limit says so) or refused, and given a task.
    fn admit(self: Arc<Self>, sock: TcpStream, peer: SocketAddr) {
        let total = self.conns.fetch_add(1, Ordering::AcqRel) + 1;
        let conn = Counted(Arc::clone(&self));
        if total > self.limits.max_connections
            && !self.evict_handshake(None, "max_connections", self.limits.max_connections)
            && !self.evict_oldest()
        {
            let why = format!(
                "the server is at its limit of {} connections; try again shortly",
                self.limits.max_connections
            );
            return self.refuse_soon(sock, peer, conn, why);
        }
        let key = address_key(peer.ip());
        let cap = self.limits.startups_per_address;
        if self.startups.lock().unwrap().count(key) >= cap {
            self.evict_handshake(Some(key), "max_startups_per_address", cap);
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.startups.lock().unwrap().add(key, id);
        let starting = Starting(Arc::clone(&self), key, id);
        self.svc.log.debug(&format!("{peer} connected"));
        let front = Arc::clone(&self);
        self.hold_as(id, move |held| front.handshake(sock, peer, conn, starting, held));
    }

    /// Closes the oldest unfinished handshake of the address `key` (or, without one, of any
    /// address) to make room under the limit `key_name` (= `limit`), and logs it; false if
    /// there is none.
    fn evict_handshake(&self, key: Option<IpAddr>, key_name: &str, limit: usize) -> bool {
        let Some((id, from, since)) = self.startups.lock().unwrap().take_oldest(key) else {
            return false;
        };
        if let Some(task) = self.held.lock().unwrap().remove(&id) {
            task.abort();
        }
        let whose = match key {
            Some(_) => format!("{from} (at {key_name} = {limit} from that address)"),
            None => format!("{from} (at {key_name} = {limit})"),
        };
        self.svc.log.line(&format!(
            "closed the oldest unfinished handshake, from {whose}, after {:.1} s, to make room \
             for a new connection",
            since.elapsed().as_secs_f64()
        ));
        true
    }

    /// Runs a task holding a connection in the loop, on the eviction list while it runs.
    fn hold<F, Fut>(self: &Arc<Self>, task: F)
    where
        F: FnOnce(Held) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.hold_as(id, task);
    }

    /// [`Front::hold`] under an id taken already.
    fn hold_as<F, Fut>(self: &Arc<Self>, id: u64, task: F)
    where
        F: FnOnce(Held) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let held = Held(Arc::clone(self), id);
        // On this single-threaded loop the task cannot run (and end) before it is listed.
        let handle = tokio::spawn(task(held));
        self.held.lock().unwrap().insert(id, handle.abort_handle());
    }

    /// Closes the connection that has waited here longest; false if none waits.
    fn evict_oldest(&self) -> bool {
        let oldest = self.held.lock().unwrap().pop_first();
        match oldest {
            Some((_, task)) => {
                task.abort();
                true
            }
            None => false,
        }
    }

    /// Tells a client it is refused (`busy`), in its own dialect if it shows it quickly.
    fn refuse_soon(self: Arc<Self>, sock: TcpStream, peer: SocketAddr, conn: Counted, why: String) {
        if self.refusing.fetch_add(1, Ordering::AcqRel) >= MAX_REFUSING {
            self.refusing.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let front = Arc::clone(&self);
        tokio::spawn(async move {
            let _conn = conn;
            let err = Error::new(ErrorKind::Busy, why);
            let mut buf = Vec::new();
            let until = Instant::now() + REFUSAL_SNIFF;
            let mut link = Link::Plain(sock);
            let reply = loop {
                skip_empty_lines(&mut buf);
                match router::classify(&buf) {
                    First::More => match link.read_some(&mut buf, until).await {
                        Ok(0) | Err(_) => break None,
                        Ok(_) => {}
                    },
                    First::Native | First::Garbage => break Some(router::native_refusal(&err)),
                    First::Tls => break Some(router::TLS_REFUSAL.to_vec()),
                    First::Text if first_line(&buf).is_some_and(router::is_http_request_line) => {
                        break Some(router::http_busy(&err.message))
                    }
                    First::Text => break Some(compat::refusal(&buf, &err)),
                }
            };
            if let Some(reply) = reply {
                front
                    .svc
                    .log
                    .request(&peer.to_string(), "connect", None, 0, Instant::now(), Some(&err));
                link.close_with(&reply).await;
            }
            front.refusing.fetch_sub(1, Ordering::AcqRel);
        });
    }

    /// The handshake of a new connection: its first bytes pick the dialect. Inside TLS, the
    /// router runs again on the plaintext.
    async fn handshake(
        self: Arc<Self>,
        sock: TcpStream,
        peer: SocketAddr,
        conn: Counted,
        starting: Starting,
        held: Held,
    ) {
        let deadline = Instant::now() + self.limits.handshake;
        let mut link = Link::Plain(sock);
        let mut buf = Vec::new();
        let ended = loop {
            let mut skipped = false;
            let first = loop {
                skipped |= skip_empty_lines(&mut buf);
                let first = router::classify(&buf);
                if first != First::More {
                    break first;
                }
                // Only empty lines, then quiet (or the end): the classroom dialect's empty
                // request, answered in its words as the old server did.
                let only_empty = skipped && buf.is_empty();
                let wait = match only_empty {
                    true => (Instant::now() + self.limits.quiet).min(deadline),
                    false => deadline,
                };
                match link.read_some(&mut buf, wait).await {
                    Ok(0) if only_empty => break empty_request(&mut buf),
                    Ok(0) => return self.ended(peer, Ended::Closed),
                    Ok(_) => {}
                    Err(e) if only_empty && is_timeout(&e) && Instant::now() < deadline => {
                        break empty_request(&mut buf)
                    }
                    Err(e) => return self.ended(peer, late_or_closed(&e)),
                }
            };
            match first {
                First::Tls if !link.is_tls() => {
                    let Some(config) = self.tls.clone() else {
                        link.close_with(router::TLS_REFUSAL).await;
                        break Ended::Closed;
                    };
                    let Link::Plain(sock) = link else {
                        unreachable!("checked")
                    };
                    link = match Box::pin(Link::accept_tls(sock, &buf, config, deadline)).await {
                        Ok(link) => link,
                        Err(e) => {
                            self.svc.log.debug(&format!("{peer} TLS handshake failed: {e}"));
                            return self.ended(peer, late_or_closed(&e));
                        }
                    };
                    buf.clear();
                    continue;
                }
                First::Native | First::Text
                    if !link.is_tls() && !self.plaintext_allowed(peer, first == First::Native) =>
                {
                    let http = first_line(&buf).is_some_and(router::is_http_request_line);
                    let ended = self.refuse_plaintext(link, peer, http).await;
                    return self.ended(peer, ended);
                }
                // Boxed: what a connection holds while it waits for its first bytes stays small
                // (thousands may wait at once); the later phases are allocated when reached.
                First::Native => {
                    break Box::pin(Arc::clone(&self).native(Opening {
                        link,
                        peer,
                        buf,
                        deadline,
                        conn,
                        starting,
                        held,
                    }))
                    .await
                }
                First::Text => {
                    break Box::pin(Arc::clone(&self).text(Opening {
                        link,
                        peer,
                        buf,
                        deadline,
                        conn,
                        starting,
                        held,
                    }))
                    .await
                }
                First::Tls | First::Garbage | First::More => {
                    let err = router::garbage_error();
                    self.log_refusal(peer, "greeting", &err);
                    link.close_with(&router::native_refusal(&err)).await;
                    break Ended::Closed;
                }
            }
        };
        self.ended(peer, ended);
    }

    /// True when `peer` may speak nf or HTTP without TLS: always without a token (the server is
    /// open to all anyway) unless `require_tls`; else only from `allow_plaintext_from`. Users
    /// (an access file) count like a token for the dialects that log in (`logs_in`: nf and
    /// HTTP); the old dialects, which cannot, act as anonymous.
    fn plaintext_allowed(&self, peer: SocketAddr, logs_in: bool) -> bool {
        let s = &self.svc.settings;
        let users = logs_in && self.svc.policy().access().is_some();
        // A password sent to loopback crosses no network.
        if s.token.is_none() && !s.require_tls && (!users || peer.ip().is_loopback()) {
            return true;
        }
        s.allow_plaintext_from.iter().any(|net| net.contains(peer.ip()))
    }

    /// Refuses a plaintext client (in nf's terms or HTTP's) and closes.
    async fn refuse_plaintext(&self, link: Link, peer: SocketAddr, http: bool) -> Ended {
        let err = Error::new(ErrorKind::Denied, self.plaintext_refusal(http));
        self.log_refusal(peer, "connect", &err);
        let reply = if http {
            router::http_response(403, "Forbidden", &[], &format!("{}\n", err.message))
        } else {
            router::native_refusal(&err)
        };
        link.close_with(&reply).await;
        Ended::Closed
    }

    /// Why a plaintext client is refused, and what to do, in nf's terms or HTTP's.
    fn plaintext_refusal(&self, http: bool) -> String {
        let why = if self.svc.settings.require_tls {
            "this server requires TLS"
        } else if self.svc.settings.token.is_some() {
            "this server has a token, which must not cross a network in clear"
        } else {
            "this server has users, whose passwords must not cross a network in clear"
        };
        let how = if http {
            "use https://"
        } else {
            "connect with TLS (nf --tls always; nf uses TLS by itself for servers not on loopback)"
        };
        format!("{why}: {how}; plaintext is allowed only from allow_plaintext_from")
    }

    fn ended(&self, peer: SocketAddr, how: Ended) {
        if let Ended::Late = how {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.svc.log.debug(&format!("{peer} closed"));
    }

    fn log_refusal(&self, peer: SocketAddr, op: &str, err: &Error) {
        self.svc
            .log
            .request(&peer.to_string(), op, None, 0, Instant::now(), Some(err));
    }

    /// The native handshake (greeting and hello, answered here), then the first request.
    async fn native(self: Arc<Self>, opening: Opening) -> Ended {
        let Opening {
            mut link,
            peer,
            mut buf,
            deadline,
            conn,
            starting,
            held,
        } = opening;
        let greeting = match link.read_line(&mut buf, 64, deadline).await {
            Ok(line) => line,
            Err(e) => return self.bad_head(link, peer, e, "greeting").await,
        };
        if let Err(refused) = hello::greeting(&greeting) {
            self.log_refusal(peer, refused.step, &refused.error);
            link.close_with(&router::native_refusal(&refused.error)).await;
            return Ended::Closed;
        }
        let line = match link.read_line(&mut buf, self.limits.max_header, deadline).await {
            Ok(line) => line,
            Err(e) => return self.bad_head(link, peer, e, "hello").await,
        };
        let admitted = match hello::hello(&line, &self.svc, peer.ip()) {
            Ok(hello::Admit::As(who)) => Ok(who),
            Ok(hello::Admit::Login { user, secret }) => {
                // Checked on the login pool; this loop only waits, within the handshake's time.
                let check = self.svc.login_async(peer.ip(), &user, &secret);
                match tokio::time::timeout_at(deadline.into(), check).await {
                    Ok(checked) => checked.map_err(hello::login_refused),
                    Err(_) => return Ended::Late,
                }
            }
            Ok(hello::Admit::Link(id)) => {
                // Opened on a blocking thread: it reads the store (a bucket, perhaps).
                let svc = self.svc.clone();
                let open = tokio::task::spawn_blocking(move || svc.open_share(&id));
                match tokio::time::timeout_at(deadline.into(), open).await {
                    Ok(Ok(opened)) => opened.map(|(_, who)| who).map_err(hello::link_refused),
                    Ok(Err(_)) => Err(hello::link_refused(Error::new(
                        ErrorKind::Other,
                        "the share link could not be opened",
                    ))),
                    Err(_) => return Ended::Late,
                }
            }
            Err(refused) => Err(refused),
        };
        let who = match admitted {
            Ok(who) => who,
            Err(refused) => {
                if refused.log {
                    self.log_refusal(peer, refused.step, &refused.error);
                }
                link.close_with(&router::native_refusal(&refused.error)).await;
                return Ended::Closed;
            }
        };
        let mut out = serde_json::to_vec(&hello::reply(&self.svc, &who)).expect("replies serialize");
        out.push(b'\n');
        if link.write_all(&out, deadline).await.is_err() {
            return Ended::Closed;
        }
        drop(starting);
        let notices = hello::wants_notices(&line);
        self.next_request(Dialect::Native { notices }, who, link, peer, buf, conn, held)
            .await
    }

    /// Answers a request head that could not be read, then closes.
    async fn bad_head(&self, link: Link, peer: SocketAddr, e: LineError, op: &str) -> Ended {
        self.bad_head_in(Dialect::Native { notices: false }, link, peer, e, op)
            .await
    }

    /// Answers a request head that could not be read, in the dialect's words, then closes.
    async fn bad_head_in(
        &self,
        dialect: Dialect,
        link: Link,
        peer: SocketAddr,
        e: LineError,
        op: &str,
    ) -> Ended {
        match e {
            LineError::Closed => Ended::Closed,
            LineError::Io(e) => late_or_closed(&e),
            LineError::TooLong(max) => {
                let err = Error::new(ErrorKind::TooLarge, format!("header longer than {max} bytes"));
                self.log_refusal(peer, op, &err);
                let reply = match dialect {
                    Dialect::Http => router::http_response(
                        431,
                        "Request Header Fields Too Large",
                        &[],
                        &format!("{}\n", err.message),
                    ),
                    _ => router::native_refusal(&err),
                };
                link.close_with(&reply).await;
                Ended::Closed
            }
        }
    }

    /// Waits for a connection's next request head (the first byte within the idle timeout,
    /// the whole head within the handshake timeout after it: a native request line, or an
    /// HTTP request head), then hands it to a worker.
    #[allow(clippy::too_many_arguments)]
    async fn next_request(
        self: Arc<Self>,
        dialect: Dialect,
        who: Principal,
        mut link: Link,
        peer: SocketAddr,
        mut buf: Vec<u8>,
        conn: Counted,
        held: Held,
    ) -> Ended {
        if !head_complete(dialect, &buf) {
            if buf.is_empty() {
                match link.read_some(&mut buf, Instant::now() + self.limits.idle).await {
                    Ok(0) => return Ended::Closed,
                    Ok(_) => {}
                    Err(e) => return late_or_closed(&e),
                }
            }
            let deadline = Instant::now() + self.limits.handshake;
            match self.rest_of_head(dialect, &mut link, &mut buf, deadline).await {
                Ok(()) => {}
                Err(Incomplete::TooLong(e)) => {
                    return self.bad_head_in(dialect, link, peer, e, "request").await
                }
                Err(Incomplete::Ended(ended)) => return ended,
            }
        }
        drop(held);
        Box::pin(self.dispatch(dialect, who, link, peer, buf, conn)).await;
        Ended::Closed
    }

    /// Plain text: an old dialect's request head (read by its rules) or an HTTP request.
    async fn text(self: Arc<Self>, opening: Opening) -> Ended {
        let Opening {
            mut link,
            peer,
            mut buf,
            deadline,
            conn,
            starting,
            held,
        } = opening;
        let end = loop {
            if first_line(&buf).is_some_and(router::is_http_request_line) {
                if !link.is_tls() && !self.plaintext_allowed(peer, true) {
                    return self.refuse_plaintext(link, peer, true).await;
                }
                return Box::pin(self.http(Opening {
                    link,
                    peer,
                    buf,
                    deadline,
                    conn,
                    starting,
                    held,
                }))
                .await;
            }
            if link.is_tls() && first_line(&buf).is_some() {
                // The old dialects are plaintext by nature: inside TLS only nf and HTTP.
                let err = router::garbage_error();
                self.log_refusal(peer, "greeting", &err);
                link.close_with(&router::native_refusal(&err)).await;
                return Ended::Closed;
            }
            let complete = match compat::head_state(&buf) {
                compat::HeadState::Ready => break None,
                compat::HeadState::More { complete } => complete,
            };
            if buf.len() > self.limits.max_header {
                // The dialect answers it (too long) in its own words.
                break None;
            }
            let wait = if complete {
                (Instant::now() + self.limits.quiet).min(deadline)
            } else {
                deadline
            };
            match link.read_some(&mut buf, wait).await {
                Ok(0) if buf.is_empty() => return Ended::Closed,
                Ok(0) => break Some(compat::Got::Eof),
                Ok(_) => {}
                Err(e) if complete && is_timeout(&e) && Instant::now() < deadline => {
                    break Some(compat::Got::Quiet)
                }
                Err(e) => return late_or_closed(&e),
            }
        };
        if !self.limits.old_allowed || link.is_tls() {
            let err = compat::refused_here(&self.svc.settings);
            self.log_refusal(peer, "compat", &err);
            link.close_with(&compat::refusal(&buf, &err)).await;
            return Ended::Closed;
        }
        drop(starting);
        drop(held);
        Box::pin(self.dispatch(Dialect::Old(end), Principal::Anonymous, link, peer, buf, conn)).await;
        Ended::Closed
    }

    /// An HTTP request line came first: the rest of the head within the handshake deadline
    /// (and `max_header_bytes`), then a worker.
    async fn http(self: Arc<Self>, opening: Opening) -> Ended {
        let Opening {
            mut link,
            peer,
            mut buf,
            deadline,
            conn,
            starting,
            held,
        } = opening;
        match self
            .rest_of_head(Dialect::Http, &mut link, &mut buf, deadline)
            .await
        {
            Ok(()) => {}
            Err(Incomplete::TooLong(e)) => {
                return self.bad_head_in(Dialect::Http, link, peer, e, "request").await
            }
            Err(Incomplete::Ended(ended)) => return ended,
        }
        drop(starting);
        drop(held);
        Box::pin(self.dispatch(Dialect::Http, Principal::Anonymous, link, peer, buf, conn)).await;
        Ended::Closed
    }

    /// Reads onto `buf` until its request head (a line, or an HTTP head) is complete, by
    /// `deadline` and within `max_header_bytes`.
    async fn rest_of_head(
        &self,
        dialect: Dialect,
        link: &mut Link,
        buf: &mut Vec<u8>,
        deadline: Instant,
    ) -> Result<(), Incomplete> {
        while !head_complete(dialect, buf) {
            if buf.len() > self.limits.max_header {
                return Err(Incomplete::TooLong(LineError::TooLong(self.limits.max_header)));
            }
            match link.read_some(buf, deadline).await {
                Ok(0) => return Err(Incomplete::Ended(Ended::Closed)),
                Ok(_) => {}
                Err(e) => return Err(Incomplete::Ended(late_or_closed(&e))),
            }
        }
        Ok(())
    }

    /// Hands a connection with a complete request head to a worker; when none is free, the
    /// request waits in line (see [`Front::slot`]) and is told `busy` only when its wait ends.
    async fn dispatch(
        self: Arc<Self>,
        dialect: Dialect,
        who: Principal,
        mut link: Link,
        peer: SocketAddr,
        buf: Vec<u8>,
        conn: Counted,
    ) {
        let head_at = Instant::now();
        let Some(slot) = self.slot_telling(dialect, &mut link).await else {
            let err = Error::new(
                ErrorKind::Busy,
                format!(
                    "the server is busy: all {} workers stayed taken while this request waited \
                     {} s in line; try again shortly",
                    self.svc.settings.max_workers,
                    self.limits.queue_wait.as_secs()
                ),
            );
            self.log_refusal(peer, "request", &err);
            let reply = match dialect {
                Dialect::Native { .. } => router::native_refusal(&err),
                Dialect::Http => router::http_busy(&err.message),
                Dialect::Old(_) => compat::refusal(&buf, &err),
            };
            return link.close_with(&reply).await;
        };
        let transport = link.into_io().and_then(|io| {
            Transport::served(
                io,
                buf,
                Pace::new(self.limits.idle, self.limits.min_rate, head_at),
            )
        });
        let transport = match transport {
            Ok(t) => t,
            Err(e) => {
                self.svc
                    .log
                    .line(&format!("{peer} cannot hand over the connection: {e}"));
                return;
            }
        };
        if let Ok(handle) = transport.shutdown_handle() {
            self.workers.register(&slot, handle, transport.activity());
        }
        let job = work(Arc::clone(&self), (dialect, who), transport, slot, conn);
        if let Err(job) = self.workers.submit(job) {
            self.svc
                .log
                .line(&format!("{peer} refused: cannot start a thread for it"));
            job(Run::Refuse);
        }
    }

    /// [`Front::slot`]; a native client that asked for notices is told, once, when its
    /// request has waited [`NOTICE_AFTER`] in line.
    async fn slot_telling(&self, dialect: Dialect, link: &mut Link) -> Option<Slot> {
        let mut slot = std::pin::pin!(self.slot());
        if !matches!(dialect, Dialect::Native { notices: true }) {
            return slot.await;
        }
        if let Ok(got) = tokio::time::timeout(NOTICE_AFTER, slot.as_mut()).await {
            return got;
        }
        let notice = protocol::Notice::queued(format!(
            "the server is serving {} requests, its limit (max_workers); this one waits in line \
             for up to {} s",
            self.svc.settings.max_workers,
            self.limits.queue_wait.as_secs()
        ));
        let mut line = serde_json::to_vec(&notice).expect("notices serialize");
        line.push(b'\n');
        // A client that cannot take the notice now will find its connection closed anyway.
        if link
            .write_all(&line, Instant::now() + self.limits.handshake)
            .await
            .is_err()
        {
            return None;
        }
        slot.await
    }

    /// A worker slot: free now (when nobody waits before), or the first to free up for this
    /// request in line, within `queue_wait_secs`; `None` when the wait ends without one.
    async fn slot(&self) -> Option<Slot> {
        let got = {
            let mut line = self.line.lock().unwrap();
            line.waiting.retain(|w| !w.is_closed());
            match line.waiting.is_empty().then(|| self.workers.try_slot()).flatten() {
                Some(slot) => return Some(slot),
                None => {
                    let (tx, rx) = oneshot::channel();
                    line.waiting.push_back(tx);
                    rx
                }
            }
        };
        self.joined.notify_one();
        // A slot sent just as the wait ends is dropped with `got`: given back, to the next.
        tokio::time::timeout(self.limits.queue_wait, got).await.ok()?.ok()
    }

    /// Hands each slot that frees up to the first request in line; while any waits, looks
    /// every [`RECHECK`] for transfers that have turned slow enough to cut (one per waiter,
    /// less those already being cut).
    async fn hand_out(self: Arc<Self>) {
        loop {
            let anyone_waits = !self.line.lock().unwrap().waiting.is_empty();
            if anyone_waits {
                let _ = tokio::time::timeout(RECHECK, self.workers.freed.notified()).await;
            } else {
                let freed = std::pin::pin!(self.workers.freed.notified());
                let joined = std::pin::pin!(self.joined.notified());
                futures_util::future::select(freed, joined).await;
            }
            let short = self.serve_line();
            for _ in 0..short.saturating_sub(self.workers.cutting()) {
                if !self.workers.cut_slowest() {
                    break;
                }
            }
        }
    }

    /// Gives free slots to the requests in line, first come first served; how many still wait.
    fn serve_line(&self) -> usize {
        let mut line = self.line.lock().unwrap();
        while let Some(first) = line.waiting.pop_front() {
            if first.is_closed() {
                continue;
            }
            let Some(slot) = self.workers.try_slot() else {
                line.waiting.push_front(first);
                break;
            };
            // A waiter that gave up just now drops the slot: it goes to the next round.
            let _ = first.send(slot);
        }
        line.waiting.len()
    }

    /// A connection a worker handed back: it waits here for its next request.
    fn park(self: &Arc<Self>, p: Parked) {
        let Ok(link) = Link::from_io(p.io) else { return };
        let Ok(peer) = link.socket().peer_addr() else {
            return;
        };
        let front = Arc::clone(self);
        let (ahead, conn, dialect, who) = (p.ahead, p.conn, p.dialect, p.who);
        self.hold(move |held| async move {
            let ended = Arc::clone(&front)
                .next_request(dialect, who, link, peer, ahead, conn, held)
                .await;
            front.ended(peer, ended);
        });
    }

    /// Logs, now and then, how many connections were closed for missing a deadline.
    async fn summarize(self: Arc<Self>) {
        loop {
            tokio::time::sleep(SUMMARY_EVERY).await;
            let n = self.dropped.swap(0, Ordering::Relaxed);
            if n > 0 {
                self.svc.log.line(&format!(
                    "closed {n} connections in the last {} s that did not finish their handshake or \
                     request head in time ({} s) or stayed idle ({} s)",
                    SUMMARY_EVERY.as_secs(),
                    self.limits.handshake.as_secs(),
                    self.limits.idle.as_secs()
                ));
            }
        }
    }
}

/// What a worker is to serve.
#[derive(Clone, Copy)]
enum Dialect {
    /// nf's own, and whether the client asked to be told when its request waits in line.
    Native {
        notices: bool,
    },
    Http,
    /// An old text dialect, and how its head ended if it had no terminator.
    Old(Option<compat::Got>),
}

/// The job a worker runs for one connection.
fn work(
    front: Arc<Front>,
    (dialect, who): (Dialect, Principal),
    transport: Transport,
    slot: Slot,
    conn: Counted,
) -> Job {
    Box::new(move |run| {
        let _slot = slot;
        let svc = &front.svc;
        if let Run::Refuse = run {
            let err = Error::new(
                ErrorKind::Busy,
                "the server cannot start a thread for this request",
            );
            let mut t = transport;
            let _ = match dialect {
                Dialect::Native { .. } => native::write_refusal(&mut t, &err),
                Dialect::Http => std::io::Write::write_all(&mut t, &router::http_busy(&err.message)),
                Dialect::Old(_) => std::io::Write::write_all(&mut t, &compat::refusal(&[], &err)),
            };
            return;
        }
        match dialect {
            Dialect::Native { .. } => {
                let mut session = Session::new(transport, svc, who);
                match session.serve() {
                    Next::Park if !svc.is_stopping() => {
                        let who = session.who().clone();
                        let (io, ahead) = session.into_transport().into_parts();
                        // A loop that has stopped drops it: the connection closes.
                        let _ = front.back.send(Parked {
                            io,
                            ahead,
                            conn,
                            dialect,
                            who,
                        });
                    }
                    _ => session.linger(),
                }
            }
            Dialect::Http => {
                let mut session = http::Session::new(transport, svc);
                match session.serve() {
                    http::Next::Park if !svc.is_stopping() => {
                        let (io, ahead) = session.into_transport().into_parts();
                        let _ = front.back.send(Parked {
                            io,
                            ahead,
                            conn,
                            dialect,
                            who: Principal::Anonymous,
                        });
                    }
                    _ => session.linger(),
                }
            }
            Dialect::Old(end) => compat::serve(transport, svc, end),
        }
    })
}

/// The first line of `buf` (without its `\n`), once it is complete.
/// Drops the empty lines a client sent before its first bytes (bounded by the handshake's
/// deadline, as every byte of it is): they say nothing of the dialect. True when there were.
fn skip_empty_lines(buf: &mut Vec<u8>) -> bool {
    let n = router::empty_lines(buf);
    buf.drain(..n);
    n > 0
}

/// An empty line in `buf` (which holds nothing else): the request of a client that sent only
/// empty lines and went quiet, for the old dialects to answer.
fn empty_request(buf: &mut Vec<u8>) -> First {
    buf.extend_from_slice(b"\r\n");
    First::Text
}

fn first_line(buf: &[u8]) -> Option<&[u8]> {
    buf.iter().position(|&b| b == b'\n').map(|end| &buf[..end])
}

fn is_timeout(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::TimedOut
}

/// Why a request head did not come whole.
enum Incomplete {
    /// It grew over `max_header_bytes`.
    TooLong(LineError),
    /// The connection closed, or the deadline passed.
    Ended(Ended),
}

/// True when `buf` holds a whole request head of `dialect`: a line, or an HTTP head.
fn head_complete(dialect: Dialect, buf: &[u8]) -> bool {
    match dialect {
        Dialect::Http => http::head::end(buf).is_some(),
        _ => buf.contains(&b'\n'),
    }
}

fn late_or_closed(e: &io::Error) -> Ended {
    if is_timeout(e) {
        Ended::Late
    } else {
        Ended::Closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_takes_the_oldest_handshake_of_an_address_or_of_all() {
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let mut s = Startups::default();
        for (id, key) in [(1, b), (2, a), (3, a), (4, b)] {
            s.add(key, id);
        }
        assert_eq!(s.count(a), 2);
        assert_eq!(s.take_oldest(Some(a)).map(|t| (t.0, t.1)), Some((2, a)));
        assert_eq!(s.count(a), 1);
        assert_eq!(s.take_oldest(None).map(|t| (t.0, t.1)), Some((1, b)));
        s.remove(a, 3);
        s.remove(a, 3);
        assert_eq!(s.count(a), 0);
        assert!(s.take_oldest(Some(a)).is_none());
        assert_eq!(s.take_oldest(None).map(|t| t.0), Some(4));
        assert!(s.take_oldest(None).is_none() && s.by_address.is_empty());
    }
}
