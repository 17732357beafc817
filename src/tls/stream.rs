//! A TLS session over a blocking socket, for the client and for the server's workers: reads
//! fill the caller's buffer from many records at once, and writes go out in large vectored
//! writes. rustls's own `StreamOwned` reads the socket a record (at most 16 KiB, in 4 KiB
//! steps) at a time and hands out one record's plaintext per read, so a 1 GiB download took
//! 65,536 reads of the socket and as many hand-overs to the hashing thread; here one read of
//! the socket takes up to [`INPUT`] bytes of records, and a read returns as much plaintext as
//! they hold (bench/RESULTS.md, section tls). No threads, no deadlines: the caller's socket
//! timeouts and [`crate::transport::Transport`] keep those.
//!
//! Ciphertext read from the socket and not yet given to rustls (rustls takes about 16 KiB of
//! plaintext at a time) waits in the input buffer, which the server's front door takes over with the
//! session when a worker parks the connection ([`TlsStream::into_parts`]).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::ops::{Deref, DerefMut};

use rustls::{ConnectionCommon, SideData};

/// The most ciphertext one read of the socket takes (16 records of 16 KiB).
pub const INPUT: usize = 256 * 1024;

/// The most TLS data rustls keeps ready to send before a write waits for the socket: four
/// records, rustls's default. At 256 KiB the server spent 12% of a download in page faults:
/// rustls allocates each record, and glibc gave the freed 256 KiB back to the system and
/// faulted it in again for the next write.
pub const OUTPUT: usize = 64 * 1024;

/// A TLS session (client or server) and its socket.
pub struct TlsStream<C> {
    pub conn: C,
    pub sock: TcpStream,
    /// Ciphertext read off the socket and not yet given to rustls: `input[at..end]` (the
    /// buffer is allocated, and zeroed, once: on the first read of the socket).
    input: Vec<u8>,
    at: usize,
    end: usize,
}

/// Gives rustls as much of `rest` as it takes, processing the records as they come; `rest` is
/// left with what it did not take (its plaintext buffer is full, to be read first, or its
/// record buffer is). An error is a record rustls refused; the alert it queued says why.
pub fn take_records<S>(conn: &mut ConnectionCommon<S>, rest: &mut &[u8]) -> io::Result<()> {
    while !rest.is_empty() {
        match conn.read_tls(rest) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
        conn.process_new_packets()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    }
    Ok(())
}

impl<C, S> TlsStream<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    /// A session over `sock`, with `pending` ciphertext already read off it (from the front
    /// door) to be processed before the socket is read again.
    pub fn new(mut conn: C, sock: TcpStream, pending: Vec<u8>) -> TlsStream<C> {
        conn.set_buffer_limit(Some(OUTPUT));
        TlsStream {
            conn,
            sock,
            end: pending.len(),
            input: pending,
            at: 0,
        }
    }

    /// The session, its socket and the ciphertext not processed yet (trimmed to its length, so
    /// a parked connection keeps no read buffer).
    pub fn into_parts(self) -> (C, TcpStream, Vec<u8>) {
        let rest = self.input[self.at..self.end].to_vec();
        (self.conn, self.sock, rest)
    }

    /// True while ciphertext waits to be processed.
    fn has_pending(&self) -> bool {
        self.at < self.end
    }

    /// Gives rustls as much of the pending ciphertext as it takes and processes it; false
    /// when it took none (its plaintext buffer is full, or nothing is pending).
    fn feed(&mut self) -> io::Result<bool> {
        let mut rest = &self.input[self.at..self.end];
        let before = rest.len();
        let fed = take_records(&mut self.conn, &mut rest);
        let took = before - rest.len();
        self.at += took;
        if fed.is_err() {
            // Say why to the peer (the alert rustls queued), then fail.
            let _ = self.send_queued();
        }
        fed.map(|()| took > 0)
    }

    /// Writes every TLS record rustls has ready.
    fn send_queued(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut self.sock)? == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }

    /// Reads the socket once (blocking, within its timeout) after the pending ciphertext; 0 at
    /// its end, which rustls is told about.
    fn fill(&mut self) -> io::Result<usize> {
        self.input.copy_within(self.at..self.end, 0);
        self.end -= self.at;
        self.at = 0;
        if self.input.len() < INPUT {
            self.input.resize(INPUT, 0);
        }
        if self.end == self.input.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "TLS records that rustls does not take",
            ));
        }
        let n = self.sock.read(&mut self.input[self.end..])?;
        self.end += n;
        if n == 0 {
            // The socket's end: rustls learns it from an empty read.
            let _ = self.conn.read_tls(&mut io::empty());
            self.conn
                .process_new_packets()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
        Ok(n)
    }
}

impl<C, S> Read for TlsStream<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    /// As much plaintext as has arrived, up to `buf.len()`, waiting (within the socket's
    /// timeout) only when none has. The end of the stream is `Ok(0)`, with or without the
    /// peer's close_notify: nf's messages carry their lengths and hashes, so a cut is noticed
    /// above, as over plain TCP.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // A key update or an alert to answer first.
        self.send_queued()?;
        let mut filled = 0;
        loop {
            match self.conn.reader().read(&mut buf[filled..]) {
                Ok(0) => return Ok(filled),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(filled),
                Err(e) => return Err(e),
            }
            if filled == buf.len() {
                return Ok(filled);
            }
            if self.has_pending() && self.feed()? {
                continue;
            }
            if filled > 0 {
                return Ok(filled);
            }
            self.send_queued()?;
            if self.fill()? == 0 {
                return Ok(0);
            }
        }
    }
}

impl<C, S> Write for TlsStream<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // What an earlier write left queued goes first; its error (a timeout) is this write's.
        self.send_queued()?;
        let n = self.conn.writer().write(buf)?;
        // The bytes are taken: an error sending them now comes back from the next call.
        let _ = self.send_queued();
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.writer().flush()?;
        self.send_queued()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A client and a server session over a loopback socket pair, through their handshake.
    fn pair() -> (
        TlsStream<rustls::ClientConnection>,
        TlsStream<rustls::ServerConnection>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let identity = crate::tls::identity::Identity::load(None, None, Some(dir.path())).unwrap();
        let server_config = identity.server_config().unwrap();
        let trust = crate::tls::trust::Trust::new("x:1", Some(&identity.fingerprint), dir.path());
        let client_config = crate::tls::trust::client_config(trust).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let csock = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (ssock, _) = listener.accept().unwrap();
        let server = std::thread::spawn(move || {
            let mut conn = rustls::ServerConnection::new(server_config).unwrap();
            let mut s = ssock;
            while conn.is_handshaking() {
                conn.complete_io(&mut s).unwrap();
            }
            TlsStream::new(conn, s, Vec::new())
        });
        let name = rustls::pki_types::ServerName::try_from("nf").unwrap();
        let mut conn = rustls::ClientConnection::new(client_config, name).unwrap();
        let mut c = csock;
        while conn.is_handshaking() {
            conn.complete_io(&mut c).unwrap();
        }
        (TlsStream::new(conn, c, Vec::new()), server.join().unwrap())
    }

    #[test]
    fn reads_fill_the_buffer_from_many_records_and_the_bytes_arrive_in_order() {
        let (mut client, mut server) = pair();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let sent = data.clone();
        let writer = std::thread::spawn(move || {
            for piece in sent.chunks(100_000) {
                client.write_all(piece).unwrap();
            }
            client.flush().unwrap();
            client.conn.send_close_notify();
            client.flush().unwrap();
            client
        });
        let mut got = Vec::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut largest = 0;
        loop {
            let n = server.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            largest = largest.max(n);
            got.extend_from_slice(&buf[..n]);
        }
        writer.join().unwrap();
        assert_eq!(got.len(), data.len());
        assert!(got == data, "the bytes differ");
        // More than one record's plaintext (16 KiB) in one read.
        assert!(largest > 16 * 1024, "largest read {largest}");
    }

    #[test]
    fn ciphertext_read_ahead_is_handed_over_with_the_session() {
        let (mut client, mut server) = pair();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        client.write_all(&data).unwrap();
        client.flush().unwrap();
        // Everything has arrived before the server reads, so one read of the socket takes
        // more records than rustls holds at once.
        let mut first = [0u8; 5];
        assert_eq!(server.read(&mut first).unwrap(), 5);
        let (conn, sock, pending) = server.into_parts();
        assert!(!pending.is_empty(), "no ciphertext was read ahead");
        let mut again = TlsStream::new(conn, sock, pending);
        let mut rest = vec![0u8; data.len() - 5];
        again.read_exact(&mut rest).unwrap();
        assert_eq!(&first[..], &data[..5]);
        assert!(rest == data[5..], "the bytes after the hand-over differ");
    }
}
