//! The one transport type: a connection that reads and writes through one object, used by the
//! client and by every server handler. Plain TCP today; a TLS session slots in as another kind
//! of [`Io`] without changing its users. There are no `try_clone` halves: [`Stream`] buffers
//! reads and writes over one [`Transport`].
//!
//! On the server a transport also keeps the deadlines of a request in progress ([`Pace`]): the
//! idle timeout, and a minimum rate averaged over a window, checked whenever a read or write
//! has waited a tick (the socket timeouts are one tick). It reports what it moves to an
//! [`Activity`] that the server's slot table reads, to cut the slowest transfer when every
//! worker is taken. Bytes the accept loop read ahead (the request head) come out first.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::tls::stream::TlsStream;

/// How long a server-side read or write waits before it checks its deadlines again.
pub const TICK: Duration = Duration::from_secs(1);

/// The window over which the minimum rate of a body is averaged.
pub const RATE_WINDOW: Duration = Duration::from_secs(30);

/// What a connection is carried over.
pub enum Io {
    Plain(TcpStream),
    /// A TLS session a server accepted.
    TlsServer(Box<TlsStream<rustls::ServerConnection>>),
    /// A TLS session a client opened.
    TlsClient(Box<TlsStream<rustls::ClientConnection>>),
}

impl Io {
    fn socket(&self) -> &TcpStream {
        match self {
            Io::Plain(s) => s,
            Io::TlsServer(t) => &t.sock,
            Io::TlsClient(t) => &t.sock,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.read(buf),
            Io::TlsServer(t) => t.read(buf),
            Io::TlsClient(t) => t.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.write(buf),
            Io::TlsServer(t) => t.write(buf),
            Io::TlsClient(t) => t.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Io::Plain(s) => s.flush(),
            Io::TlsServer(t) => t.flush(),
            Io::TlsClient(t) => t.flush(),
        }
    }

    /// Ends a TLS session cleanly (close_notify); nothing for plain TCP.
    fn close_notify(&mut self) {
        match self {
            Io::Plain(_) => {}
            Io::TlsServer(t) => {
                t.conn.send_close_notify();
                let _ = t.flush();
            }
            Io::TlsClient(t) => {
                t.conn.send_close_notify();
                let _ = t.flush();
            }
        }
    }

    /// True for a TLS session.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Io::Plain(_))
    }
}

/// Bytes moved by a request in progress and whether it waits on the socket now, for the
/// server's slot table (which may cut the slowest transfer to make room).
#[derive(Default)]
pub struct Activity {
    moved: AtomicU64,
    /// Milliseconds since `EPOCH` when the current request began.
    began_ms: AtomicU64,
    waiting: AtomicBool,
    /// Set when the server cut the connection to make room (see [`Activity::mark_cut`]).
    cut: AtomicBool,
}

fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64
}

impl Activity {
    /// Starts counting for a new request.
    pub fn begin(&self) {
        self.moved.store(0, Ordering::Relaxed);
        self.began_ms.store(now_ms(), Ordering::Relaxed);
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

    /// Bytes moved since the request began, and how long ago it began; `None` unless the
    /// transfer is waiting on the socket right now.
    pub fn waiting_rate(&self) -> Option<(u64, Duration)> {
        if !self.waiting.load(Ordering::Relaxed) {
            return None;
        }
        let began = self.began_ms.load(Ordering::Relaxed);
        Some((
            self.moved.load(Ordering::Relaxed),
            Duration::from_millis(now_ms().saturating_sub(began)),
        ))
    }
}

/// The deadlines of a server-side connection while a request is served.
#[derive(Clone, Debug)]
pub struct Pace {
    /// Longest silence (no byte either way) before the connection is cut.
    pub idle: Duration,
    /// The least bytes per second, averaged over [`RATE_WINDOW`] (0: no minimum).
    pub min_rate: u64,
    last_io: Instant,
    window_start: Instant,
    window_bytes: u64,
}

impl Pace {
    /// Deadlines for a request whose head was complete at `since` (its rate is counted from
    /// then, not from when a worker took it).
    pub fn new(idle: Duration, min_rate: u64, since: Instant) -> Pace {
        Pace {
            idle,
            min_rate,
            last_io: since,
            window_start: since,
            window_bytes: 0,
        }
    }

    /// Counts `n` bytes moved; a window that ran out below the minimum rate ends the
    /// connection even while bytes trickle in (one a second keeps no socket timeout from firing).
    fn moved(&mut self, n: usize) -> io::Result<()> {
        let now = Instant::now();
        self.last_io = now;
        self.window_bytes += n as u64;
        self.rate_check(now)
    }

    /// After a tick without progress: the error that ends the connection, if a deadline passed.
    fn check(&mut self) -> io::Result<()> {
        let now = Instant::now();
        if now.duration_since(self.last_io) >= self.idle {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
        }
        self.rate_check(now)
    }

    fn rate_check(&mut self, now: Instant) -> io::Result<()> {
        if self.min_rate == 0 || now.duration_since(self.window_start) < RATE_WINDOW {
            return Ok(());
        }
        let floor = self.min_rate * RATE_WINDOW.as_secs();
        if self.window_bytes < floor {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "too slow: {} bytes in {} s, under the minimum of {} bytes per second",
                    self.window_bytes,
                    RATE_WINDOW.as_secs(),
                    self.min_rate
                ),
            ));
        }
        self.window_start = now;
        self.window_bytes = 0;
        Ok(())
    }

    /// Starts the rate window afresh (a new request or body).
    pub fn restart(&mut self) {
        let now = Instant::now();
        self.last_io = now;
        self.window_start = now;
        self.window_bytes = 0;
    }
}

/// A connection: bytes read ahead first, then the socket (or session), with the deadlines of
/// [`Pace`] on the server side.
pub struct Transport {
    io: Io,
    /// Bytes already read off the connection (by the accept loop), served before the socket.
    ahead: Vec<u8>,
    at: usize,
    pace: Option<Pace>,
    activity: Arc<Activity>,
    peer: Option<SocketAddr>,
    /// Requests begun on this transport (by this worker).
    requests: u64,
}

impl Transport {
    /// A plain TCP connection whose reads and writes fail after `timeout` of silence (the
    /// client's way: no minimum rate).
    pub fn plain(sock: TcpStream, timeout: Duration) -> io::Result<Transport> {
        sock.set_nodelay(true)?;
        sock.set_read_timeout(Some(timeout))?;
        sock.set_write_timeout(Some(timeout))?;
        let peer = sock.peer_addr().ok();
        Ok(Transport {
            io: Io::Plain(sock),
            ahead: Vec::new(),
            at: 0,
            pace: None,
            activity: Arc::default(),
            peer,
            requests: 0,
        })
    }

    /// A client's connection over `io` (plain, or a TLS session already through its handshake)
    /// whose reads and writes fail after `timeout` of silence.
    pub fn client(io: Io, timeout: Duration) -> io::Result<Transport> {
        let sock = io.socket();
        sock.set_nodelay(true)?;
        sock.set_read_timeout(Some(timeout))?;
        sock.set_write_timeout(Some(timeout))?;
        let peer = sock.peer_addr().ok();
        Ok(Transport {
            io,
            ahead: Vec::new(),
            at: 0,
            pace: None,
            activity: Arc::default(),
            peer,
            requests: 0,
        })
    }

    /// True when the connection is a TLS session.
    pub fn is_tls(&self) -> bool {
        self.io.is_tls()
    }

    /// A server-side connection handed over by the accept loop with the bytes it read ahead,
    /// paced by `pace` (socket timeouts of one [`TICK`]).
    pub fn served(io: Io, ahead: Vec<u8>, pace: Pace) -> io::Result<Transport> {
        let sock = io.socket();
        sock.set_nonblocking(false)?;
        sock.set_nodelay(true)?;
        sock.set_read_timeout(Some(TICK))?;
        sock.set_write_timeout(Some(TICK))?;
        let peer = sock.peer_addr().ok();
        Ok(Transport {
            io,
            ahead,
            at: 0,
            pace: Some(pace),
            activity: Arc::default(),
            peer,
            requests: 0,
        })
    }

    /// The peer's address, if known.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The counters the server's slot table reads.
    pub fn activity(&self) -> Arc<Activity> {
        Arc::clone(&self.activity)
    }

    /// A second handle on the socket, only to shut it down from another thread (server stop,
    /// or cutting the slowest transfer); never used to read or write.
    pub fn shutdown_handle(&self) -> io::Result<TcpStream> {
        self.io.socket().try_clone()
    }

    /// The socket's descriptor, for waiting on it (the paced writer of the seed dialect).
    pub fn raw_fd(&self) -> std::os::unix::io::RawFd {
        use std::os::unix::io::AsRawFd;
        self.io.socket().as_raw_fd()
    }

    /// Takes back the bytes read ahead and not yet used, and the connection itself, for the
    /// accept loop to wait on for the next request.
    pub fn into_parts(mut self) -> (Io, Vec<u8>) {
        let rest = self.ahead.split_off(self.at);
        (self.io, rest)
    }

    /// True while bytes read ahead remain to be served.
    pub fn has_ahead(&self) -> bool {
        self.at < self.ahead.len()
    }

    /// How many bytes read ahead remain to be served.
    pub fn ahead_len(&self) -> usize {
        self.ahead.len() - self.at
    }

    /// Starts the deadlines of a new request (idle time, rate window, the activity counters).
    /// The first request keeps the window the front door started when its head was complete.
    pub fn begin_request(&mut self) {
        if self.requests > 0 {
            if let Some(p) = &mut self.pace {
                p.restart();
            }
        }
        self.requests += 1;
        self.activity.begin();
    }

    /// Reads once, waiting at most `wait` (not less than the socket's own timeout allows):
    /// `Ok(None)` when nothing came in that time. Deadlines still apply.
    pub fn read_within(&mut self, buf: &mut [u8], wait: Duration) -> io::Result<Option<usize>> {
        if self.has_ahead() {
            return self.read(buf).map(Some);
        }
        let sock = self.io.socket();
        sock.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        let got = self.read_io(buf, false);
        self.io
            .socket()
            .set_read_timeout(Some(if self.pace.is_some() { TICK } else { wait }))?;
        match got {
            Ok(n) => Ok(Some(n)),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                if let Some(p) = &mut self.pace {
                    p.check()?;
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Checks the deadlines after a wait that did not touch the socket (the seed dialect's
    /// paced writer, waiting for the peer's window): the idle time counts from the last byte.
    pub fn check_deadlines(&mut self) -> io::Result<()> {
        match &mut self.pace {
            Some(p) => p.check(),
            None => Ok(()),
        }
    }

    /// Shuts down the connection (a TLS session says close_notify first when writing ends).
    pub fn shutdown(&mut self, how: Shutdown) {
        if matches!(how, Shutdown::Write | Shutdown::Both) {
            self.io.close_notify();
        }
        let _ = self.io.socket().shutdown(how);
    }

    /// One read from the socket; with `retry`, a tick without data checks the deadlines and
    /// waits again.
    fn read_io(&mut self, buf: &mut [u8], retry: bool) -> io::Result<usize> {
        loop {
            self.activity.waiting.store(true, Ordering::Relaxed);
            let got = self.io.read(buf);
            self.activity.waiting.store(false, Ordering::Relaxed);
            if self.activity.cut.load(Ordering::Relaxed) {
                return Err(cut_to_make_room());
            }
            match got {
                Ok(n) => {
                    self.moved(n)?;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if retry && is_tick(&e) && self.pace.is_some() => {
                    self.pace.as_mut().expect("checked").check()?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn moved(&mut self, n: usize) -> io::Result<()> {
        self.activity.moved.fetch_add(n as u64, Ordering::Relaxed);
        match &mut self.pace {
            Some(p) => p.moved(n),
            None => Ok(()),
        }
    }
}

fn cut_to_make_room() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "cut to make room: the slowest transfer while every worker was taken",
    )
}

fn is_tick(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.has_ahead() {
            let n = buf.len().min(self.ahead.len() - self.at);
            buf[..n].copy_from_slice(&self.ahead[self.at..self.at + n]);
            self.at += n;
            if self.at == self.ahead.len() {
                self.ahead = Vec::new();
                self.at = 0;
            }
            return Ok(n);
        }
        self.read_io(buf, true)
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            self.activity.waiting.store(true, Ordering::Relaxed);
            let sent = self.io.write(buf);
            self.activity.waiting.store(false, Ordering::Relaxed);
            if self.activity.cut.load(Ordering::Relaxed) {
                return Err(cut_to_make_room());
            }
            match sent {
                Ok(n) => {
                    self.moved(n)?;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_tick(&e) && self.pace.is_some() => {
                    self.pace.as_mut().expect("checked").check()?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.io.flush()
    }
}

/// Buffered reading and writing over one [`Transport`]: reads go through a read buffer (a
/// [`BufRead`]), writes collect in a write buffer until [`Write::flush`], or go straight out
/// when larger than it.
pub struct Stream {
    reader: BufReader<Transport>,
    out: Vec<u8>,
    out_cap: usize,
}

impl Stream {
    pub fn new(transport: Transport, read_cap: usize, write_cap: usize) -> Stream {
        Stream {
            reader: BufReader::with_capacity(read_cap, transport),
            out: Vec::new(),
            out_cap: write_cap,
        }
    }

    /// The transport, for writes past the buffer (after a flush) and for its controls.
    pub fn transport(&mut self) -> &mut Transport {
        self.reader.get_mut()
    }

    /// The transport, read-only.
    pub fn transport_ref(&self) -> &Transport {
        self.reader.get_ref()
    }

    /// What is buffered and not yet read.
    pub fn buffered(&self) -> &[u8] {
        self.reader.buffer()
    }

    /// The transport with the bytes still buffered put back in front of it (unflushed writes
    /// are dropped: flush first).
    pub fn into_transport(self) -> Transport {
        let rest = self.reader.buffer().to_vec();
        let mut t = self.reader.into_inner();
        if !rest.is_empty() {
            let mut ahead = rest;
            ahead.extend_from_slice(&t.ahead[t.at..]);
            t.ahead = ahead;
            t.at = 0;
        }
        t
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl BufRead for Stream {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.reader.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.reader.consume(amt)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.out.len() + buf.len() > self.out_cap {
            self.flush_buffer()?;
        }
        if buf.len() >= self.out_cap {
            return self.reader.get_mut().write(buf);
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buffer()?;
        self.reader.get_mut().flush()
    }
}

impl Stream {
    fn flush_buffer(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            let out = std::mem::take(&mut self.out);
            let written = self.reader.get_mut().write_all(&out);
            self.out = out;
            self.out.clear();
            written?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_window_cuts_a_dripping_peer_and_keeps_a_steady_one() {
        let mut slow = Pace::new(Duration::from_secs(60), 1024, Instant::now());
        slow.window_start -= RATE_WINDOW;
        let err = slow.moved(30).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().starts_with("too slow: 30 bytes in 30 s"), "{err}");
        let mut steady = Pace::new(Duration::from_secs(60), 1024, Instant::now());
        steady.window_start -= RATE_WINDOW;
        steady.moved(30 * 1024).unwrap();
        // A new window starts after a good one.
        assert_eq!(steady.window_bytes, 0);
        let mut idle = Pace::new(Duration::from_secs(5), 0, Instant::now());
        idle.last_io -= Duration::from_secs(5);
        assert_eq!(idle.check().unwrap_err().kind(), io::ErrorKind::TimedOut);
    }
}
