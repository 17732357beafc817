//! The one transport type: a connection that reads and writes through one object, used by the
//! client and by every server handler. Plain TCP today; a TLS session slots in as another kind
//! of [`Io`] without changing its users. There are no `try_clone` halves: [`Stream`] buffers
//! reads and writes over one [`Transport`].
//!
//! On the server a transport also keeps the deadlines of a request in progress ([`Pace`]): the
//! idle timeout, and a minimum rate of what the peer took over the last 10 s, checked as bytes
//! move and whenever a read or write has waited a tick (the socket timeouts are one tick). It
//! reports what it moves, and whether it waits on its peer, to an [`Activity`] that the
//! server's slot table reads, to cut the slowest transfer when every worker is taken. Bytes the
//! accept loop read ahead (the request head) come out first. It also tells a peer that hung up
//! from a failure ([`peer_error`]).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind};
use crate::pace::SAMPLE_EVERY;
pub use crate::pace::{Activity, Pace, Rate, RATE_WINDOW};
use crate::tls::stream::TlsStream;

/// How long a server-side read or write waits before it checks its deadlines again.
pub const TICK: Duration = Duration::from_secs(1);

/// At most this much of a served connection's output waits unsent in the kernel (what is in
/// flight, up to the peer's window, is not limited): without it the kernel takes up to 4 MiB
/// per connection from a reader that takes 2 KiB/s, a gigabyte for 256 of them.
const NOTSENT_LOWAT: u32 = 256 * 1024;

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
    /// While the server waits to send: the peer's progress when it was last seen to change,
    /// and since when it has stood still ([`Transport::check_peer_gone`]).
    stalled: Option<(u64, Instant)>,
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
            stalled: None,
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
            stalled: None,
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
        // A slow reader's replies wait in the server, not in megabytes of kernel buffer.
        let _ = crate::sys::set_notsent_lowat(crate::sys::socket_fd(sock), NOTSENT_LOWAT);
        let peer = sock.peer_addr().ok();
        let t = Transport {
            io,
            ahead,
            at: 0,
            pace: Some(pace),
            activity: Arc::default(),
            peer,
            requests: 0,
            stalled: None,
        };
        t.activity.begin(t.raw_fd());
        Ok(t)
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
    pub fn raw_fd(&self) -> crate::sys::RawFd {
        crate::sys::socket_fd(self.io.socket())
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

    /// Starts the deadlines of a new request (idle time, rate window). The first request keeps
    /// the idle time the front door started when its head was complete.
    pub fn begin_request(&mut self) {
        if self.requests > 0 {
            if let Some(p) = &mut self.pace {
                p.restart();
            }
            self.activity.begin(self.raw_fd());
        }
        self.requests += 1;
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
            Err(e) if is_tick(&e) => {
                self.waited(Duration::ZERO)?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Waits up to `pause` for the peer to take what was sent (the seed dialect's paced
    /// writer, which writes only what the peer's window takes at once). Like a blocked write,
    /// this counts as waiting on the peer, so the slot table may cut it; a hang-up ends it at
    /// once; the deadlines apply (the idle time counts from the last byte).
    pub fn wait_for_peer(&mut self, pause: Duration) -> io::Result<()> {
        let fd = self.raw_fd();
        self.activity.enter_wait();
        // A half-close does not wake this wait: a client that sent its request and shut its
        // side (`nc -N`) still reads the download.
        let seen = crate::sys::poll_one(fd, false, false, false, pause);
        self.activity.leave_wait();
        self.check_cut()?;
        if seen?.hangup {
            return Err(hung_up());
        }
        self.check_peer_gone()?;
        self.waited(SAMPLE_EVERY)
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
            self.activity.enter_wait();
            let got = self.io.read(buf);
            self.activity.leave_wait();
            self.check_cut()?;
            match got {
                Ok(n) => {
                    self.activity.read.fetch_add(n as u64, Ordering::Relaxed);
                    self.moved()?;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if retry && is_tick(&e) && self.pace.is_some() => {
                    self.waited(Duration::ZERO)?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// After bytes moved: the idle time starts again, and the rate is checked now and then.
    fn moved(&mut self) -> io::Result<()> {
        match &mut self.pace {
            Some(p) => p.last_io = Instant::now(),
            None => return Ok(()),
        }
        self.check_rate(SAMPLE_EVERY)
    }

    /// After a wait in which nothing moved: the idle time and the rate (sampled if the last
    /// sample is older than `every`).
    fn waited(&mut self, every: Duration) -> io::Result<()> {
        match &self.pace {
            Some(p) => p.check_idle()?,
            None => return Ok(()),
        }
        self.check_rate(every)
    }

    fn check_rate(&self, every: Duration) -> io::Result<()> {
        match (&self.pace, self.activity.sample(self.raw_fd(), every)) {
            (Some(p), Some(rate)) => p.check_rate(&rate),
            _ => Ok(()),
        }
    }

    /// The error of a connection the server cut to make room.
    fn check_cut(&self) -> io::Result<()> {
        if self.activity.is_cut() {
            return Err(cut_to_make_room());
        }
        Ok(())
    }

    /// While the server waits to send (a blocked write, the paced writer's wait): a peer that
    /// has taken nothing for a whole tick and has shut its side (FIN) is gone. A client stopped
    /// by Ctrl-C shuts its socket down with its window full; no reset ever comes, and only the
    /// idle timeout would end the connection. A peer that shut its side but still reads (`nc
    /// -N`) is not gone.
    fn check_peer_gone(&mut self) -> io::Result<()> {
        let took = self.activity.progress(self.raw_fd());
        match self.stalled {
            Some((before, since)) if before == took => {
                let gone = since.elapsed() >= TICK
                    && crate::sys::poll_one(self.raw_fd(), false, false, true, Duration::ZERO)
                        .is_ok_and(|seen| seen.hangup);
                if gone {
                    return Err(hung_up());
                }
            }
            _ => self.stalled = Some((took, Instant::now())),
        }
        Ok(())
    }
}

fn hung_up() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "the client hung up")
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
            self.activity.enter_wait();
            let sent = self.io.write(buf);
            self.activity.leave_wait();
            self.check_cut()?;
            match sent {
                Ok(n) => {
                    self.activity.written.fetch_add(n as u64, Ordering::Relaxed);
                    self.moved()?;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_tick(&e) && self.pace.is_some() => {
                    self.check_peer_gone()?;
                    self.waited(Duration::ZERO)?;
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

/// Classifies a failure of the connection while doing `what`: the client hanging up (reset,
/// closed, broken pipe) is [`ErrorKind::Hangup`], logged as such rather than as an error.
pub fn peer_error(what: &str, e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::UnexpectedEof => {
            Error::new(ErrorKind::Hangup, format!("{what}: the client hung up"))
        }
        _ => Error::io(what, e),
    }
}

/// A writer that counts the bytes it passed on, so that a download cut off can be logged with
/// the bytes that really went out.
pub struct Counting<W> {
    inner: W,
    pub sent: u64,
}

impl<W: Write> Counting<W> {
    pub fn new(inner: W) -> Counting<W> {
        Counting { inner, sent: 0 }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sent += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_is_measured_by_what_it_acknowledged_not_by_what_the_kernel_swallowed() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let pace = Pace::new(Duration::from_secs(60), 0, Instant::now());
        let mut t = Transport::served(Io::Plain(server), Vec::new(), pace).unwrap();
        t.io.socket().set_nonblocking(true).unwrap();
        // Fill the kernel's buffers: the client reads nothing.
        let chunk = vec![7u8; 64 * 1024];
        let mut written = 0u64;
        for _ in 0..1024 {
            match t.io.write(&chunk) {
                Ok(n) => written += n as u64,
                Err(_) => break,
            }
        }
        t.activity.written.store(written, Ordering::Relaxed);
        let acked = t.activity.progress(t.raw_fd());
        assert!(written > 256 * 1024, "the kernel took {written} bytes");
        assert!(acked < written / 2, "acknowledged {acked} of {written}");
        drop(client);
    }
}
