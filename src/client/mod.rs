//! The client side of the native protocol: a [`Client`] connects, checks the protocol version,
//! and offers list, stat, rm, put and get over one connection, pipelining requests so that many
//! files do not cost a round trip each. It reports progress through [`Progress`] and never
//! prints.

mod connect;
mod get;
mod put;
mod window;

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use crate::error::{describe_io, Error, ErrorKind, Result};
use crate::name::FileName;
use crate::protocol::{
    self, ErrorReply, FileInfo, HelloReply, LineError, ListEnd, MvReply, Notice, Request, RmReply,
    ShareReply, SharesReply, StatReply,
};
use crate::transport::Stream;

pub use connect::{Login, Opened, Target};
pub use get::{same_content, GetJob, Sink};
pub use put::{PutJob, PutOptions, STDIN};
use window::Window;

/// Longest reply line the client accepts.
const MAX_REPLY: usize = 1 << 20;

/// Size of each body chunk.
const CHUNK: usize = crate::hashpipe::CHUNK;

/// Records transfer `i`'s result; a connection-level failure marks the connection broken, so
/// the transfers after it are not attempted on it. A `resumed` transfer that failed its
/// whole-file check is not reported ended: [`with_restart`] sends it again from the start.
fn settle(
    i: usize,
    result: Result<Done>,
    resumed: bool,
    broken: &mut Option<Error>,
    progress: &dyn Progress,
    results: &mut [Slot],
) {
    if let Err(e) = &result {
        if matches!(e.kind, ErrorKind::Connect | ErrorKind::Protocol) && broken.is_none() {
            *broken = Some(e.clone());
        }
    }
    if !(resumed && restarts(&result)) {
        progress.end(i, &result);
    }
    results[i] = Some(result);
}

/// True when a resumed transfer with this result starts over: its partial was not a prefix.
fn restarts(result: &Result<Done>) -> bool {
    matches!(result, Err(e) if e.kind == ErrorKind::HashMismatch)
}

/// What one transfer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// The file as the server stores it (after a put) or as it was fetched.
    pub file: FileInfo,
    /// Body bytes that crossed the network for it in this run: less than its size after a
    /// resume, none when it was already complete.
    pub moved: u64,
    /// The other side already held exactly this content (same BLAKE3): nothing was sent.
    pub already: bool,
    /// The server's signed receipt for a put that asked for one (and a server that gave it).
    pub receipt: Option<crate::receipt::Receipt>,
}

impl Done {
    fn moved(file: FileInfo, moved: u64) -> Done {
        Done {
            file,
            moved,
            already: false,
            receipt: None,
        }
    }

    fn already(file: FileInfo) -> Done {
        Done {
            file,
            moved: 0,
            already: true,
            receipt: None,
        }
    }
}

/// The outcome of a transfer, `None` while it is still to be attempted.
type Slot = Option<Result<Done>>;

/// Small requests of one batch on the wire: how many were sent, and the window of those not
/// answered yet.
struct Ahead {
    sent: usize,
    window: Window,
}

impl Default for Ahead {
    fn default() -> Ahead {
        Ahead {
            sent: 0,
            window: Window::requests(),
        }
    }
}

/// Runs `pass(offsets, todo, results)` over the jobs that have no result yet, then once more
/// from offset 0 over those whose resumed transfer failed its whole-file check (the partial
/// was not a prefix of the file); returns one result per job.
fn with_restart(
    mut results: Vec<Slot>,
    offsets: &[u64],
    mut pass: impl FnMut(&[u64], &[usize], &mut [Slot]),
) -> Vec<Result<Done>> {
    let todo: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_none()).collect();
    pass(offsets, &todo, &mut results);
    let retry: Vec<usize> = todo
        .into_iter()
        .filter(|&i| offsets[i] > 0)
        .filter(|&i| results[i].as_ref().is_some_and(restarts))
        .collect();
    if !retry.is_empty() {
        pass(&vec![0; offsets.len()], &retry, &mut results);
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Other, "not attempted"))))
        .collect()
}

/// Receives progress events; all methods default to doing nothing.
pub trait Progress {
    /// Transfer `index` of `name` starts: `total` bytes in all (`None`: a stream whose length
    /// is known only at its end), `done` of them already there (a resume), so `total - done`
    /// are to move.
    fn begin(&self, _index: usize, _name: &str, _total: Option<u64>, _done: u64) {}
    /// `bytes` more bytes of transfer `index` moved.
    fn advance(&self, _index: usize, _bytes: u64) {}
    /// Transfer `index` ended with `result`.
    fn end(&self, _index: usize, _result: &Result<Done>) {}
    /// Something the user should know about transfer `index` that is not a failure, such as
    /// a partial upload the server holds that `--resume` would continue.
    fn note(&self, _index: usize, _text: &str) {}
}

/// The error for a name the server holds no file under.
fn not_found(name: &FileName) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "no file named {} on the server",
            crate::name::quote(name.as_str())
        ),
    )
}

/// A progress sink that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// What the server holds under a name: the stored file, and the bytes of a resumable partial.
pub type Held = (Option<FileInfo>, u64);

/// A connection to an nf server.
pub struct Client {
    /// The connection: reads buffered, writes collected until a flush.
    conn: Stream,
    line: Vec<u8>,
    addr: String,
    /// The server's software string from the handshake.
    pub server: String,
    /// The largest file the server accepts, if it said.
    pub max_file_size: Option<u64>,
    /// What the share link this connection acts as shares (from the hello's reply).
    pub link: Option<protocol::LinkReply>,
    /// Where the hello's reply is: not read yet, read and fine, or an error every later reply
    /// repeats (the server closes the connection after refusing a hello).
    hello: Hello,
    /// Told why the client waits (see [`Client::on_wait`]).
    on_wait: Option<WaitHook>,
    /// Where the connection goes, to connect again after `busy`.
    target: Target,
    /// How long to keep trying again after a `busy` that did nothing ([`Client::retry_busy_for`]).
    busy_retry: Duration,
    /// Every byte sent after the hello on this connection, while nothing but the hello has
    /// been answered and they fit in [`REPLAY_MAX`]: what to send again on a new connection
    /// when the server answers `busy` (it then did none of it).
    replay: Option<Vec<u8>>,
    /// Whether the user was told the client waits in line (said once).
    told_waiting: bool,
}

/// The most bytes kept to send again after `busy`; a connection that sent more (a larger
/// upload) is not tried again.
const REPLAY_MAX: usize = 4 << 20;

/// The first pause before trying a `busy` server again; each pause doubles, up to
/// [`BUSY_PAUSE_MAX`], and is drawn at random from half to one and a half times that.
const BUSY_PAUSE: Duration = Duration::from_millis(200);
const BUSY_PAUSE_MAX: Duration = Duration::from_secs(2);

/// The pauses between tries at a `busy` server: growing, jittered (so that many refused
/// clients do not come back at the same moment), and ending by a deadline.
struct Backoff {
    until: Instant,
    pause: Duration,
}

impl Backoff {
    fn new(within: Duration) -> Backoff {
        Backoff {
            until: Instant::now() + within,
            pause: BUSY_PAUSE,
        }
    }

    /// The next pause, or `None` once it would end past the deadline.
    fn next(&mut self) -> Option<Duration> {
        let random = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u8);
        let jittered = self.pause.mul_f64(0.5 + (random % 1000) as f64 / 1000.0);
        self.pause = (self.pause * 2).min(BUSY_PAUSE_MAX);
        (Instant::now() + jittered <= self.until).then_some(jittered)
    }
}

/// A writer onto the connection that keeps a copy of what it sends while the connection may
/// still be replayed ([`Client::replay`]).
struct Recorded<'a> {
    conn: &'a mut Stream,
    replay: &'a mut Option<Vec<u8>>,
}

impl Write for Recorded<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.conn.write(buf)?;
        if let Some(kept) = self.replay {
            if kept.len() + n <= REPLAY_MAX {
                kept.extend_from_slice(&buf[..n]);
            } else {
                *self.replay = None;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.conn.flush()
    }
}

/// Told why the client waits.
type WaitHook = Box<dyn Fn(&str)>;

/// How long a client keeps asking a server that answers `busy` with work pending: for as long
/// as the pending count falls, each answer taking the server's wait (20 s); it gives up after
/// [`Patience::STALLS`] answers in a row without progress, or [`Patience::TRIES`] in all.
#[derive(Debug, Default)]
struct Patience {
    last: Option<u64>,
    stalls: u32,
    tries: u32,
}

impl Patience {
    /// About a minute with no file hashed.
    const STALLS: u32 = 3;
    /// About an hour in all.
    const TRIES: u32 = 180;

    /// Whether to ask again after `err`.
    fn again(&mut self, err: &Error) -> bool {
        let Some(pending) = err.pending.filter(|_| err.kind == ErrorKind::Busy) else {
            return false;
        };
        self.tries += 1;
        match self.last {
            Some(last) if pending >= last => self.stalls += 1,
            _ => self.stalls = 0,
        }
        self.last = Some(pending);
        self.stalls < Self::STALLS && self.tries <= Self::TRIES
    }
}

/// The state of the handshake on a connection.
#[derive(Debug, Clone)]
enum Hello {
    /// Not read yet; the put body bytes sent meanwhile (see [`BEFORE_HELLO_MAX`]).
    Pending(u64),
    Done,
    Refused(Error),
}

/// A put body of at most this many bytes may go out before the hello's reply is read. Files
/// this small then cost one round trip, not two (hello, then put); for a larger one the client
/// first learns the server's size limit, so it never streams a large body the server must
/// refuse.
const BEFORE_HELLO_MAX: u64 = 64 * 1024;

/// The most body bytes sent in all before the hello's reply is read: about what a long link
/// (50 ms at 100 Mbit/s, 200 ms at 20 Mbit/s) carries in the round trip the reply takes, so
/// many small files do not wait for it, while a server that refuses the hello was sent little.
const BEFORE_HELLO_TOTAL: u64 = 1 << 20;

/// Resolves `addr` (`HOST:PORT`, `[V6]:PORT`, or `HOST` for the default port).
pub fn resolve(addr: &str) -> Result<Vec<SocketAddr>> {
    let with_port = if addr.parse::<SocketAddr>().is_ok() || has_port(addr) {
        addr.to_string()
    } else if addr.contains(':') && !addr.starts_with('[') {
        format!("[{addr}]:{}", protocol::DEFAULT_PORT)
    } else {
        format!("{addr}:{}", protocol::DEFAULT_PORT)
    };
    let addrs: Vec<SocketAddr> = with_port
        .to_socket_addrs()
        .map_err(|e| {
            Error::new(
                ErrorKind::Connect,
                format!("cannot resolve {addr}: {}", describe_io(&e)),
            )
        })?
        .collect();
    if addrs.is_empty() {
        return Err(Error::new(
            ErrorKind::Connect,
            format!("cannot resolve {addr}: no addresses"),
        ));
    }
    Ok(addrs)
}

fn has_port(addr: &str) -> bool {
    match addr.rsplit_once(':') {
        Some((host, port)) => {
            !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']'))
        }
        None => false,
    }
}

impl Client {
    /// Connects to the server (with TLS where the settings say), queues the greeting and
    /// hello, and checks the server's version with the first reply. Also says whether the
    /// server was trusted on first use just now (its fingerprint).
    pub fn connect(target: &Target) -> Result<(Client, Option<String>)> {
        let Opened { transport, first_use } = target.open()?;
        let mut client = Client {
            conn: Stream::new(transport, CHUNK, CHUNK),
            line: Vec::new(),
            addr: target.addr.clone(),
            server: String::new(),
            max_file_size: None,
            link: None,
            hello: Hello::Done,
            on_wait: None,
            target: target.clone(),
            busy_retry: Duration::ZERO,
            replay: Some(Vec::new()),
            told_waiting: false,
        };
        client.handshake()?;
        Ok((client, first_use))
    }

    /// Connects again in place of this connection, which the server closed (after refusing
    /// an upload before its body); the new one is shut down by an interrupt like the first.
    fn reopen(&mut self) -> Result<()> {
        let Opened { transport, .. } = self.target.open()?;
        self.conn = Stream::new(transport, CHUNK, CHUNK);
        self.replay = Some(Vec::new());
        self.handshake()?;
        if let Ok(sock) = self.shutdown_handle() {
            crate::signals::watch(sock);
        }
        Ok(())
    }

    /// Keeps trying again for up to `within`, with growing random pauses, when the server
    /// answers `busy` to a connection it has done nothing on (its first request waited in line
    /// too long, or the connection was refused): a new connection sends the same requests.
    pub fn retry_busy_for(&mut self, within: Duration) {
        self.busy_retry = within;
    }

    /// The connection, keeping a copy of what is sent while it may be replayed.
    fn out(&mut self) -> Recorded<'_> {
        Recorded {
            conn: &mut self.conn,
            replay: &mut self.replay,
        }
    }

    /// After a `busy` that did nothing: waits its turn, connects again and sends the same
    /// requests; false once [`Client::busy_retry`] is spent (or nothing can be replayed).
    fn try_again(&mut self, backoff: &mut Backoff) -> Result<bool> {
        let Some(pause) = backoff.next().filter(|_| self.replay.is_some()) else {
            return Ok(false);
        };
        if !self.told_waiting {
            self.told_waiting = true;
            let secs = self.busy_retry.as_secs();
            self.waiting(&format!(
                "the server at {} is busy; trying again for up to {secs} s",
                self.addr
            ));
        }
        std::thread::sleep(pause);
        let Opened { transport, .. } = self.target.open()?;
        self.conn = Stream::new(transport, CHUNK, CHUNK);
        if let Ok(sock) = self.shutdown_handle() {
            crate::signals::watch(sock);
        }
        let before_hello = match self.hello {
            Hello::Pending(sent) => sent,
            _ => 0,
        };
        self.handshake()?;
        self.hello = Hello::Pending(before_hello);
        // The same bytes again, still kept for another try (written past the recording).
        let again = self.replay.take().unwrap_or_default();
        let sent = self.conn.write_all(&again);
        self.replay = Some(again);
        sent.map_err(|e| self.lost(&e))?;
        self.flush()?;
        Ok(true)
    }

    /// True when the line read is a `busy` that refused the whole connection (`closing`): the
    /// server did nothing on it and closed it. A `busy` about one item (a file replaced while it
    /// was opened, a partial another upload continues) is that item's answer, not this.
    fn line_is_busy(&self) -> bool {
        self.line.starts_with(b"{\"ok\":false")
            && serde_json::from_slice::<ErrorReply>(&self.line)
                .is_ok_and(|e| !e.ok && e.closing && e.code == ErrorKind::Busy.code())
    }

    /// A notice line (the request waits in line), if the line read is one.
    fn notice(&self) -> Option<Notice> {
        if !self.line.starts_with(b"{\"notice\"") {
            return None;
        }
        serde_json::from_slice(&self.line).ok()
    }

    /// Queues the greeting and the hello. They go out with the first request, and the hello's
    /// reply is read before the first reply ([`Client::ensure_hello`]): a connection costs no
    /// round trip of its own.
    fn handshake(&mut self) -> Result<()> {
        let hello = Request::Hello {
            client: protocol::software(),
            token: self.target.token.clone(),
            user: self.target.login.as_ref().map(|l| l.user.clone()),
            secret: self.target.login.as_ref().map(|l| l.secret.clone()),
            link: self.target.link.clone(),
            notices: true,
        };
        let queued = self
            .conn
            .write_all(protocol::greeting().as_bytes())
            .and_then(|()| protocol::write_message(&mut self.conn, &hello));
        if let Err(e) = queued {
            return Err(Error::io(format!("cannot talk to {}", self.addr), &e));
        }
        self.hello = Hello::Pending(0);
        Ok(())
    }

    /// Lets a put body of `len` bytes go out: while the hello's reply is unread, at once if it
    /// is at most [`BEFORE_HELLO_MAX`] and the bodies sent so far stay within
    /// [`BEFORE_HELLO_TOTAL`], else after reading that reply (whose size limit the caller then
    /// checks).
    fn before_body(&mut self, len: u64) -> Result<()> {
        match &mut self.hello {
            Hello::Pending(sent) if len <= BEFORE_HELLO_MAX && *sent + len <= BEFORE_HELLO_TOTAL => {
                *sent += len;
                Ok(())
            }
            _ => self.ensure_hello(),
        }
    }

    /// True while the hello's reply is not read yet.
    fn hello_pending(&self) -> bool {
        matches!(self.hello, Hello::Pending(_))
    }

    /// Reads and checks the server's answer to the hello, once; a refusal is returned again on
    /// every later call.
    pub fn ensure_hello(&mut self) -> Result<()> {
        match &self.hello {
            Hello::Done => Ok(()),
            Hello::Refused(e) => Err(e.clone()),
            Hello::Pending(_) => {
                let read = self.read_hello();
                self.hello = match &read {
                    Ok(()) => Hello::Done,
                    Err(e) => Hello::Refused(e.clone()),
                };
                read
            }
        }
    }

    fn read_hello(&mut self) -> Result<()> {
        self.flush()?;
        self.read_raw_line()?;
        self.accept_hello()
    }

    /// Checks the hello's reply, the line just read.
    fn accept_hello(&mut self) -> Result<()> {
        let reply: HelloReply = self.parse_line().map_err(|e| match e.kind {
            ErrorKind::Protocol => Error::new(
                ErrorKind::Protocol,
                format!("{} did not answer like an nf server ({})", self.addr, e.message),
            ),
            _ => e,
        })?;
        if reply.version != protocol::VERSION {
            return Err(Error::new(
                ErrorKind::Version,
                format!(
                    "the server at {} speaks nf protocol {}, this client speaks {} ({}); use the same nf version on both sides",
                    self.addr,
                    reply.version,
                    protocol::VERSION,
                    reply.server
                ),
            ));
        }
        self.server = reply.server;
        self.max_file_size = reply.max_file_size;
        self.link = reply.link;
        Ok(())
    }

    /// Reads one reply (after the hello's): an error reply becomes an `Err` of its kind.
    fn read_reply<T: DeserializeOwned>(&mut self) -> Result<T> {
        self.ensure_hello()?;
        self.read_reply_line()
    }

    /// Reads one reply line: an error reply becomes an `Err` of its kind.
    fn read_reply_line<T: DeserializeOwned>(&mut self) -> Result<T> {
        self.read_raw_line()?;
        self.parse_line()
    }

    /// Reads one reply line into `self.line`. Notices are said (once) and passed over; a
    /// `busy` to a connection the server has done nothing on is tried again on a new one
    /// ([`Client::try_again`]), whose hello reply is checked on the way.
    fn read_raw_line(&mut self) -> Result<()> {
        let for_hello = matches!(self.hello, Hello::Pending(_));
        let mut backoff: Option<Backoff> = None;
        loop {
            self.read_one_line()?;
            if let Some(notice) = self.notice() {
                if !self.told_waiting {
                    self.told_waiting = true;
                    self.waiting(&notice.message);
                }
                continue;
            }
            if self.replay.is_some() && self.line_is_busy() {
                let backoff = backoff.get_or_insert_with(|| Backoff::new(self.busy_retry));
                if self.try_again(backoff)? {
                    continue;
                }
            }
            if !for_hello && matches!(self.hello, Hello::Pending(_)) {
                // The hello reply of a connection made again: check it, then read on.
                self.hello = Hello::Done;
                self.accept_hello()?;
                continue;
            }
            if !for_hello {
                // Something was served: from now on a `busy` is an answer, not a retry.
                self.replay = None;
            }
            return Ok(());
        }
    }

    /// Reads one line into `self.line`.
    fn read_one_line(&mut self) -> Result<()> {
        let addr = &self.addr;
        protocol::read_line(&mut self.conn, MAX_REPLY, &mut self.line).map_err(|e| match e {
            LineError::Closed | LineError::Truncated => Error::new(
                ErrorKind::Connect,
                format!("the server at {addr} closed the connection"),
            ),
            LineError::Io(io) => Error::io(format!("lost the connection to {addr}"), &io),
            other => Error::new(ErrorKind::Protocol, other.to_string()),
        })
    }

    /// Parses `self.line` as a reply: an error reply becomes an `Err` of its kind.
    fn parse_line<T: DeserializeOwned>(&self) -> Result<T> {
        let value: serde_json::Value = serde_json::from_slice(&self.line).map_err(|_| {
            let shown = String::from_utf8_lossy(&self.line[..self.line.len().min(80)]).to_string();
            Error::new(
                ErrorKind::Protocol,
                format!("unexpected reply {}", crate::name::quote(&shown)),
            )
        })?;
        if value.get("ok") == Some(&serde_json::Value::Bool(false)) {
            let err: ErrorReply = serde_json::from_value(value)
                .map_err(|e| Error::new(ErrorKind::Protocol, format!("malformed error reply: {e}")))?;
            let mut error = Error::new(ErrorKind::from_code(&err.code), err.message);
            error.pending = err.pending;
            return Err(error);
        }
        serde_json::from_value(value)
            .map_err(|e| Error::new(ErrorKind::Protocol, format!("malformed reply: {e}")))
    }

    fn send(&mut self, request: &Request) -> Result<()> {
        protocol::write_message(&mut self.out(), request).map_err(|e| self.lost(&e))
    }

    fn flush(&mut self) -> Result<()> {
        self.conn.flush().map_err(|e| self.lost(&e))
    }

    /// True when the server has sent something not read yet, or closed the connection
    /// (looked at without waiting).
    fn has_input(&self) -> bool {
        let transport = self.conn.transport_ref();
        !self.conn.buffered().is_empty()
            || transport.has_ahead()
            || crate::sys::poll_one(transport.raw_fd(), true, false, true, std::time::Duration::ZERO)
                .is_ok_and(|e| e.readable || e.hangup)
    }

    /// A second handle on the connection, only to shut it down from another thread (an
    /// interrupt).
    pub fn shutdown_handle(&self) -> std::io::Result<TcpStream> {
        self.conn.transport_ref().shutdown_handle()
    }

    fn lost(&self, e: &std::io::Error) -> Error {
        Error::io(format!("lost the connection to {}", self.addr), e)
    }

    /// Says `text` (why the client is waiting) through the hook set with [`Client::on_wait`].
    fn waiting(&self, text: &str) {
        if let Some(hook) = &self.on_wait {
            hook(text);
        }
    }

    /// What to do with a waiting message (the client itself never prints): a server answering
    /// `busy` with work still pending (files stored by another tool, hashed for the first
    /// time) is asked again, and each wait is said through `hook`.
    pub fn on_wait(&mut self, hook: impl Fn(&str) + 'static) {
        self.on_wait = Some(Box::new(hook));
    }

    /// The entries of the directory `dir` (none: the top), one level, each directory's
    /// entries sorted by name, optionally only those whose last component matches a glob.
    pub fn list(&mut self, dir: Option<&FileName>, pattern: Option<&str>) -> Result<Vec<FileInfo>> {
        let mut entries = Vec::new();
        self.list_each(dir, false, pattern, &mut |e| {
            entries.push(e);
            Ok(())
        })?;
        Ok(entries)
    }

    /// Hands each entry under `dir` (one level, or with `recursive` the whole tree, depth
    /// first, each directory before what it holds) to `visit` as it arrives: a listing of any
    /// size is never held whole. After an error from `visit` the rest of the listing is read and
    /// dropped, so the connection stays usable (but for `pipe_closed`: then nothing is left to
    /// do). Returns the count. While the server is still hashing files another tool stored, and
    /// answers so before the first entry, it is asked again ([`Patience`]).
    pub fn list_each(
        &mut self,
        dir: Option<&FileName>,
        recursive: bool,
        pattern: Option<&str>,
        visit: &mut dyn FnMut(FileInfo) -> Result<()>,
    ) -> Result<u64> {
        let mut patience = Patience::default();
        loop {
            let mut visited = false;
            let listed = self.list_each_once(dir, recursive, pattern, &mut |e| {
                visited = true;
                visit(e)
            });
            match listed {
                Err(e) if !visited && patience.again(&e) => self.waiting(&e.message),
                done => return done,
            }
        }
    }

    fn list_each_once(
        &mut self,
        dir: Option<&FileName>,
        recursive: bool,
        pattern: Option<&str>,
        visit: &mut dyn FnMut(FileInfo) -> Result<()>,
    ) -> Result<u64> {
        let request = Request::List {
            path: dir.map(|d| d.to_string()),
            recursive,
            pattern: pattern.map(str::to_string),
        };
        self.streamed(&request, visit)
    }

    /// Hands each recorded upload under `path` (none: everywhere) that the server shows this
    /// client to `visit`, signed, in order of commit time, as it arrives; only those committed
    /// at or after `since` (RFC 3339 in UTC) and sent by `who`, if given. Returns the count.
    pub fn receipts(
        &mut self,
        path: Option<&FileName>,
        since: Option<String>,
        who: Option<String>,
        visit: &mut dyn FnMut(crate::receipt::Receipt) -> Result<()>,
    ) -> Result<u64> {
        let request = Request::Receipts {
            path: path.map(|p| p.to_string()),
            since,
            who,
        };
        self.streamed(&request, visit)
    }

    /// Sends `request` and hands each line of its streamed answer to `visit`, up to the
    /// [`ListEnd`]. After an error from `visit` the rest is read and dropped, so the
    /// connection stays usable (but for `pipe_closed`: then nothing is left to do).
    fn streamed<T: DeserializeOwned>(
        &mut self,
        request: &Request,
        visit: &mut dyn FnMut(T) -> Result<()>,
    ) -> Result<u64> {
        self.send(request)?;
        self.flush()?;
        self.ensure_hello()?;
        let mut stopped: Option<Error> = None;
        loop {
            self.read_raw_line()?;
            // The last line is the end (or an error), which nf writes with `ok` first; every
            // other line is an entry, parsed straight from the bytes.
            if self.line.starts_with(b"{\"ok\"") {
                let end: ListEnd = self.parse_line()?;
                return match stopped {
                    Some(e) => Err(e),
                    None => Ok(end.count),
                };
            }
            if stopped.is_some() {
                continue;
            }
            let entry: T = serde_json::from_slice(&self.line)
                .map_err(|e| Error::new(ErrorKind::Protocol, format!("malformed entry: {e}")))?;
            match visit(entry) {
                Ok(()) => {}
                // Nobody reads on: no use reading the rest (the connection is not used again).
                Err(e) if e.kind == ErrorKind::PipeClosed => return Err(e),
                Err(e) => stopped = Some(e),
            }
        }
    }

    /// Sends pipelined requests `ahead.sent..` (made by `request`) while the window has room,
    /// in one flush, once it is half empty ([`Window::half_empty`]).
    fn top_up(&mut self, ahead: &mut Ahead, total: usize, request: impl Fn(usize) -> Request) -> Result<()> {
        if ahead.sent >= total || !ahead.window.half_empty() {
            return Ok(());
        }
        let mut line = Vec::new();
        while ahead.sent < total {
            line.clear();
            protocol::write_message(&mut line, &request(ahead.sent)).map_err(|e| self.lost(&e))?;
            if !ahead.window.has_room(line.len() as u64) {
                break;
            }
            self.out().write_all(&line).map_err(|e| self.lost(&e))?;
            ahead.window.sent(line.len() as u64);
            ahead.sent += 1;
        }
        self.flush()
    }

    /// Runs `count` simple requests (made by `request`), pipelined, and collects each reply.
    fn each<T: DeserializeOwned>(
        &mut self,
        count: usize,
        request: impl Fn(usize) -> Request,
    ) -> Result<Vec<Result<T>>> {
        let mut results = Vec::with_capacity(count);
        let mut ahead = Ahead::default();
        while results.len() < count {
            self.top_up(&mut ahead, count, &request)?;
            let reply = self.read_reply::<T>();
            ahead.window.answered();
            if let Err(e) = &reply {
                if matches!(e.kind, ErrorKind::Connect | ErrorKind::Protocol) {
                    return Err(e.clone());
                }
            }
            results.push(reply);
        }
        Ok(results)
    }

    /// What the server holds under each name: the file, and the bytes of a resumable partial.
    /// Names the server is still hashing are asked again ([`Patience`]).
    pub fn stat(&mut self, names: &[FileName]) -> Result<Vec<Result<Held>>> {
        let mut results: Vec<Result<Held>> = self.stat_once(names)?;
        let mut patience = Patience::default();
        loop {
            let waiting: Vec<usize> = (0..names.len())
                .filter(|&i| results[i].as_ref().is_err_and(|e| e.pending.is_some()))
                .collect();
            // The work still to do is the most any one name is waiting for.
            let most = waiting
                .iter()
                .filter_map(|&i| results[i].as_ref().err())
                .max_by_key(|e| e.pending);
            let Some(err) = most.filter(|e| patience.again(e)).cloned() else {
                return Ok(results);
            };
            self.waiting(&err.message);
            let again: Vec<FileName> = waiting.iter().map(|&i| names[i].clone()).collect();
            for (i, result) in waiting.into_iter().zip(self.stat_once(&again)?) {
                results[i] = result;
            }
        }
    }

    fn stat_once(&mut self, names: &[FileName]) -> Result<Vec<Result<Held>>> {
        let stat = |k: usize| Request::Stat {
            name: names[k].to_string(),
        };
        Ok(self
            .each::<StatReply>(names.len(), stat)?
            .into_iter()
            .map(|r| r.map(|s| (s.file, s.partial)))
            .collect())
    }

    /// Deletes each name (with `recursive`, also directories and all they hold); one result
    /// per name.
    pub fn remove(&mut self, names: &[FileName], recursive: bool) -> Result<Vec<Result<()>>> {
        let rm = |k: usize| Request::Rm {
            name: names[k].to_string(),
            recursive,
        };
        Ok(self
            .each::<RmReply>(names.len(), rm)?
            .into_iter()
            .map(|r| r.map(|_| ()))
            .collect())
    }

    /// Creates each directory (and those missing above it); one result per name.
    pub fn mkdir(&mut self, names: &[FileName]) -> Result<Vec<Result<()>>> {
        let mkdir = |k: usize| Request::Mkdir {
            name: names[k].to_string(),
        };
        Ok(self
            .each::<RmReply>(names.len(), mkdir)?
            .into_iter()
            .map(|r| r.map(|_| ()))
            .collect())
    }

    /// Makes a share link to `path` (none: the top); the server's `public_url`, if any, comes
    /// with it.
    /// `until`: (seconds it lasts, uses it allows), each if limited.
    pub fn share(
        &mut self,
        path: Option<&FileName>,
        upload: bool,
        until: (Option<u64>, Option<u64>),
    ) -> Result<ShareReply> {
        self.ask_reply(&Request::Share {
            path: path.map(|p| p.to_string()),
            upload,
            expires_secs: until.0,
            max_uses: until.1,
        })
    }

    /// The share links this login made.
    pub fn shares(&mut self) -> Result<SharesReply> {
        self.ask_reply(&Request::Shares)
    }

    /// Removes one of this login's share links.
    pub fn unshare(&mut self, id: &str) -> Result<ShareReply> {
        self.ask_reply(&Request::Unshare { id: id.to_string() })
    }

    /// Whether this connection runs TLS (a link's URL is then `https://`).
    pub fn is_tls(&self) -> bool {
        self.conn.transport_ref().is_tls()
    }

    /// The address this client connected to (HOST:PORT).
    pub fn addr(&self) -> &str {
        &self.addr
    }

    fn ask_reply<T: DeserializeOwned>(&mut self, request: &Request) -> Result<T> {
        self.send(request)?;
        self.flush()?;
        self.read_reply::<T>()
    }

    /// Moves `from` to `to` (a file or a directory), replacing a file at `to` only with
    /// `force`.
    pub fn rename(&mut self, from: &FileName, to: &FileName, force: bool) -> Result<()> {
        self.send(&Request::Mv {
            from: from.to_string(),
            to: to.to_string(),
            force,
        })?;
        self.flush()?;
        self.read_reply::<MvReply>().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashing(pending: u64) -> Error {
        Error::new(ErrorKind::Busy, "being hashed").with_pending(pending)
    }

    /// The client asks again while the server's pending count falls, gives up after three
    /// answers in a row without progress or 180 in all, and never for other errors.
    #[test]
    fn busy_pauses_grow_with_jitter_and_end_by_the_deadline() {
        let mut backoff = Backoff::new(Duration::from_secs(10));
        let pauses: Vec<Duration> = std::iter::from_fn(|| backoff.next()).take(8).collect();
        assert_eq!(pauses.len(), 8);
        let mut base = BUSY_PAUSE;
        for pause in &pauses {
            assert!(
                *pause >= base / 2 && *pause <= base * 3 / 2,
                "{pause:?} around {base:?}"
            );
            base = (base * 2).min(BUSY_PAUSE_MAX);
        }
        // Not all the same: many refused clients do not come back at one moment.
        assert!(pauses[4..].windows(2).any(|w| w[0] != w[1]), "{pauses:?}");
        // No pause ends past the deadline.
        assert!(Backoff::new(Duration::ZERO).next().is_none());
        let mut short = Backoff::new(Duration::from_millis(250));
        assert!(std::iter::from_fn(|| short.next())
            .take(3)
            .all(|p| p <= Duration::from_millis(250)));
    }

    #[test]
    fn patience_lasts_while_the_pending_count_falls() {
        let mut p = Patience::default();
        assert!(p.again(&hashing(100)));
        assert!(p.again(&hashing(60)));
        assert!(p.again(&hashing(60)));
        assert!(p.again(&hashing(60)));
        assert!(p.again(&hashing(59)), "progress resets the stalls");
        assert!(p.again(&hashing(59)));
        assert!(p.again(&hashing(59)));
        assert!(!p.again(&hashing(59)), "three answers without progress");

        let mut p = Patience::default();
        let tries = (0..1000u64).rev().take_while(|&n| p.again(&hashing(n))).count();
        assert_eq!(tries, 180);

        let mut p = Patience::default();
        assert!(!p.again(&Error::new(ErrorKind::Busy, "at its connection limit")));
        assert!(!p.again(&Error::new(ErrorKind::NotFound, "x").with_pending(3)));
    }

    /// Replays the pipelining loop: before reply k is read, its request has gone out (so the
    /// client never waits for a reply it has not asked for), the window bounds what is
    /// unanswered, and a top-up comes only once the window is half empty.
    #[test]
    fn top_up_keeps_every_awaited_request_sent_with_one_flush_per_half_window() {
        let max = window::REQUEST_COUNT;
        for total in [0, 1, max / 2, max, max + 1, 10_000] {
            let (mut ahead, mut flushes) = (Ahead::default(), 0);
            for answered in 0..total {
                if ahead.sent < total && ahead.window.half_empty() {
                    while ahead.sent < total && ahead.window.has_room(60) {
                        ahead.window.sent(60);
                        ahead.sent += 1;
                    }
                    flushes += 1;
                }
                assert!(
                    ahead.sent > answered,
                    "reply {answered} of {total} awaited before its request"
                );
                assert!(ahead.sent - answered <= max);
                ahead.window.answered();
            }
            assert_eq!(ahead.sent, total);
            let expected = if total <= max {
                usize::from(total > 0)
            } else {
                1 + (total - max).div_ceil(max / 2)
            };
            assert_eq!(flushes, expected, "{total}");
        }
    }
}
