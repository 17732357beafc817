//! A connection as the front door holds it: a plain socket, or a TLS session that the loop
//! drives by hand (rustls needs no threads: TLS records in, plaintext out). Both read and write
//! plaintext the same way, with deadlines, so the router and the dialects' heads work alike
//! inside and outside TLS. A link becomes a worker's [`Io`] and comes back from one unchanged.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection};
use tokio::net::TcpStream;

use crate::tls::stream::TlsStream;
use crate::transport::Io;

/// The bytes read from a socket at a time.
const READ_CHUNK: usize = 4096;

thread_local! {
    /// Where the loop reads a socket into, between two awaits: a buffer kept in each waiting
    /// connection's state would cost its size once per connection (thousands of them).
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; READ_CHUNK]);
}

/// After a refusal, how long the loop reads and drops what the client still sends, so that it
/// sees the reply rather than a reset.
const LINGER: Duration = Duration::from_millis(500);

pub enum Link {
    Plain(TcpStream),
    Tls(TcpStream, Box<Session>),
}

/// A TLS session in the front door, and the ciphertext a worker read ahead of it (usually
/// none; part of a next request at most), to be processed before the socket is read again.
pub struct Session {
    conn: ServerConnection,
    pending: Vec<u8>,
}

impl Link {
    pub fn socket(&self) -> &TcpStream {
        match self {
            Link::Plain(s) | Link::Tls(s, _) => s,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Link::Tls(..))
    }

    /// Performs the server side of a TLS handshake whose first bytes (`first`) were already
    /// read, by `until`; the plaintext the client sent right after it stays in the session.
    pub async fn accept_tls(
        sock: TcpStream,
        first: &[u8],
        config: Arc<ServerConfig>,
        until: Instant,
    ) -> io::Result<Link> {
        let conn = ServerConnection::new(config).map_err(io::Error::other)?;
        let mut link = Link::Tls(
            sock,
            Box::new(Session {
                conn,
                pending: Vec::new(),
            }),
        );
        let Link::Tls(sock, session) = &mut link else {
            unreachable!("just made")
        };
        let Session { conn, pending } = &mut **session;
        pending.extend_from_slice(first);
        // What rustls does not take yet (records after the handshake's) stays pending for
        // the first read.
        while conn.is_handshaking() {
            if pending.is_empty() {
                send_tls(sock, conn, until).await?;
                if read_raw(sock, pending, until).await? == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
            let refused = match feed_some(conn, pending) {
                Ok(true) => continue,
                Ok(false) => io::Error::new(io::ErrorKind::InvalidData, "TLS records rustls does not take"),
                Err(e) => e,
            };
            refuse_tls(sock, conn, until).await;
            return Err(refused);
        }
        send_tls(sock, conn, until).await?;
        Ok(link)
    }

    /// Reads what is there (at least one byte of plaintext, waiting until `until`) onto `buf`;
    /// 0 at the end of the stream; `TimedOut` at the deadline.
    pub async fn read_some(&mut self, buf: &mut Vec<u8>, until: Instant) -> io::Result<usize> {
        match self {
            Link::Plain(sock) => read_raw(sock, buf, until).await,
            // Boxed: a plain connection waiting here then holds only what its own read needs.
            Link::Tls(sock, session) => Box::pin(read_tls(sock, session, buf, until)).await,
        }
    }

    /// Writes all of `bytes` (as plaintext) by `until`.
    pub async fn write_all(&mut self, bytes: &[u8], until: Instant) -> io::Result<()> {
        match self {
            Link::Plain(sock) => write_raw(sock, bytes, until).await,
            Link::Tls(sock, session) => {
                session.conn.writer().write_all(bytes)?;
                send_tls(sock, &mut session.conn, until).await
            }
        }
    }

    /// Reads one `\n`-terminated line of at most `max` bytes (returned without its `\n`, taken
    /// off the front of `buf`), by `until`.
    pub async fn read_line(
        &mut self,
        buf: &mut Vec<u8>,
        max: usize,
        until: Instant,
    ) -> Result<Vec<u8>, LineError> {
        loop {
            if let Some(end) = buf.iter().position(|&b| b == b'\n') {
                if end > max {
                    return Err(LineError::TooLong(max));
                }
                let mut line: Vec<u8> = buf.drain(..=end).collect();
                line.pop();
                return Ok(line);
            }
            if buf.len() > max {
                return Err(LineError::TooLong(max));
            }
            match self.read_some(buf, until).await {
                Ok(0) => return Err(LineError::Closed),
                Ok(_) => {}
                Err(e) => return Err(LineError::Io(e)),
            }
        }
    }

    /// Sends a last reply, ends the session (close_notify for TLS), half-closes, and reads and
    /// drops what the client still sends for a moment, so that it sees the reply rather than a
    /// reset.
    pub async fn close_with(mut self, reply: &[u8]) {
        let until = Instant::now() + LINGER;
        if self.write_all(reply, until).await.is_err() {
            return;
        }
        if let Link::Tls(sock, session) = &mut self {
            session.conn.send_close_notify();
            let _ = send_tls(sock, &mut session.conn, until).await;
        }
        let sock = match self {
            Link::Plain(s) | Link::Tls(s, _) => s,
        };
        let sock = match sock.into_std() {
            Ok(std) => {
                let _ = std.shutdown(std::net::Shutdown::Write);
                match TcpStream::from_std(std) {
                    Ok(s) => s,
                    Err(_) => return,
                }
            }
            Err(_) => return,
        };
        let mut sink = Vec::new();
        let mut drained = 0usize;
        while let Ok(n) = read_raw(&sock, &mut sink, until).await {
            drained += n;
            sink.clear();
            if n == 0 || drained > 1 << 20 {
                break;
            }
        }
    }

    /// The connection for a worker: blocking, with the TLS session (if any) around it.
    pub fn into_io(self) -> io::Result<Io> {
        Ok(match self {
            Link::Plain(sock) => Io::Plain(sock.into_std()?),
            Link::Tls(sock, session) => {
                let Session { conn, pending } = *session;
                Io::TlsServer(Box::new(TlsStream::new(conn, sock.into_std()?, pending)))
            }
        })
    }

    /// A connection a worker gave back, to wait on in the loop.
    pub fn from_io(io: Io) -> io::Result<Link> {
        let adopt = |std: std::net::TcpStream| {
            std.set_nonblocking(true)?;
            TcpStream::from_std(std)
        };
        match io {
            Io::Plain(std) => Ok(Link::Plain(adopt(std)?)),
            Io::TlsServer(stream) => {
                let (conn, sock, pending) = stream.into_parts();
                Ok(Link::Tls(adopt(sock)?, Box::new(Session { conn, pending })))
            }
            Io::TlsClient(_) => Err(io::Error::other("a client's session in the server")),
        }
    }
}

/// Why a request head line could not be read.
pub enum LineError {
    Closed,
    TooLong(usize),
    Io(io::Error),
}

/// Reads plaintext from a TLS session (see [`Link::read_some`]).
async fn read_tls(
    sock: &TcpStream,
    session: &mut Session,
    buf: &mut Vec<u8>,
    until: Instant,
) -> io::Result<usize> {
    let Session { conn, pending } = session;
    loop {
        let plain = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let got = conn.reader().read(&mut scratch);
            if let Ok(n) = got {
                buf.extend_from_slice(&scratch[..n]);
            }
            got
        });
        match plain {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            // The peer closed without close_notify: an end of stream all the same.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
            Err(e) => return Err(e),
        }
        send_tls(sock, conn, until).await?;
        if !pending.is_empty() {
            // Ciphertext read here or by a worker ahead: rustls takes what it can hold.
            match feed_some(conn, pending) {
                Ok(true) => continue,
                Ok(false) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "TLS records rustls does not take",
                    ))
                }
                Err(e) => {
                    let _ = send_tls(sock, conn, until).await;
                    return Err(e);
                }
            }
        }
        // Nothing pending: read from the socket into it, and go round (plaintext first).
        if read_raw(sock, pending, until).await? == 0 {
            return Ok(0);
        }
    }
}

/// Gives rustls as much of `pending` as it takes (up to about 16 KiB of plaintext), and
/// processes it; false if it took nothing.
fn feed_some(conn: &mut ServerConnection, pending: &mut Vec<u8>) -> io::Result<bool> {
    let mut rest = &pending[..];
    let fed = crate::tls::stream::take_records(conn, &mut rest);
    let took = pending.len() - rest.len();
    pending.drain(..took);
    fed.map(|()| took > 0)
}

/// Tells a client whose handshake failed why (the alert rustls queued, or a generic
/// `handshake_failure` when it queued none), so it fails at once rather than at a timeout.
async fn refuse_tls(sock: &TcpStream, conn: &mut ServerConnection, until: Instant) {
    if conn.wants_write() {
        let _ = send_tls(sock, conn, until).await;
    } else {
        let _ = write_raw(sock, super::router::TLS_REFUSAL, until).await;
    }
}

/// Writes whatever TLS records the session has to send.
async fn send_tls(sock: &TcpStream, conn: &mut ServerConnection, until: Instant) -> io::Result<()> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out)?;
    }
    write_raw(sock, &out, until).await
}

/// Reads what is on the socket (waiting until `until`) onto `buf`; 0 at the end of stream.
async fn read_raw(sock: &TcpStream, buf: &mut Vec<u8>, until: Instant) -> io::Result<usize> {
    loop {
        match tokio::time::timeout_at(until.into(), sock.readable()).await {
            Err(_) => return Err(io::ErrorKind::TimedOut.into()),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(())) => {}
        }
        let got = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let got = sock.try_read(&mut scratch);
            if let Ok(n) = got {
                buf.extend_from_slice(&scratch[..n]);
            }
            got
        });
        match got {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes all of `bytes` to the socket by `until`.
async fn write_raw(sock: &TcpStream, mut bytes: &[u8], until: Instant) -> io::Result<()> {
    while !bytes.is_empty() {
        match tokio::time::timeout_at(until.into(), sock.writable()).await {
            Err(_) => return Err(io::ErrorKind::TimedOut.into()),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(())) => {}
        }
        match sock.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
