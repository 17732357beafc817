//! One old-dialect connection's transport: reads into a buffer with either the idle timeout or
//! the short quiet period (the old clients often send no terminator, so silence ends a
//! request), writes replies unbuffered, and closes politely. The accept loop has already read
//! the request head; how that head ended (the client went quiet, or closed) is replayed once
//! when the bytes read ahead are used up. It knows nothing of the dialects' words and never
//! touches the store.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use crate::transport::Transport;

/// Bytes read from the connection per call: grows from the first size while reads fill it,
/// so that a client dripping a byte at a time costs a small buffer.
const READ_FIRST: usize = 1024;
const READ_MAX: usize = 64 * 1024;

/// The largest single write of a [`Paced`] writer.
const PACED_MAX: usize = 64 * 1024;

/// The unit a [`Paced`] writer keeps its writes to (except a last, shorter one).
const PACED_UNIT: usize = 1024;

/// What one read brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Got {
    /// Bytes were appended to the buffer.
    Data,
    /// The client said nothing for the quiet period.
    Quiet,
    /// The client closed its side (or the server is stopping).
    Eof,
}

pub struct Wire {
    t: Transport,
    /// Bytes received and not yet used.
    pub buf: Vec<u8>,
    /// Every byte received on this connection.
    pub received: u64,
    quiet: Duration,
    /// How the request head ended, to report once the bytes read ahead are used.
    replay: Option<Got>,
    read_size: usize,
}

impl Wire {
    /// Wraps a connection handed over by the accept loop; `replay` is how its head ended.
    pub fn new(t: Transport, quiet: Duration, replay: Option<Got>) -> Wire {
        Wire {
            t,
            buf: Vec::new(),
            received: 0,
            quiet,
            replay,
            read_size: READ_FIRST,
        }
    }

    /// Reads more bytes onto [`Wire::buf`]. With `quiet`, silence for the quiet period is
    /// [`Got::Quiet`]; without, the transport's deadlines (idle time, minimum rate) apply and
    /// end in an error.
    pub fn read_more(&mut self, quiet: bool) -> io::Result<Got> {
        if !self.t.has_ahead() {
            if let Some(end) = self.replay.take() {
                return Ok(end);
            }
        }
        // The bytes the front door read ahead come in one piece: an old client whose one piece
        // was read in two would get two acknowledgements, leave one unread and reset the
        // connection when it closes.
        let want = self.read_size.max(self.t.ahead_len());
        let start = self.buf.len();
        self.buf.resize(start + want, 0);
        let got = if quiet {
            self.t.read_within(&mut self.buf[start..], self.quiet)
        } else {
            self.t.read(&mut self.buf[start..]).map(Some)
        };
        let n = got.as_ref().ok().copied().flatten().unwrap_or(0);
        self.buf.truncate(start + n);
        match got? {
            None => Ok(Got::Quiet),
            Some(0) => Ok(Got::Eof),
            Some(n) => {
                if n >= self.read_size {
                    self.read_size = (self.read_size * 4).min(READ_MAX);
                }
                self.received += n as u64;
                Ok(Got::Data)
            }
        }
    }

    /// Writes `bytes` at once (no buffering: every reply is whole when written).
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.t.write_all(bytes)
    }

    /// The raw output, for long streamed replies.
    pub fn output(&mut self) -> &mut Transport {
        &mut self.t
    }

    /// The output, paced for clients that stop at the first short read (see [`Paced`]).
    pub fn paced(&mut self) -> Paced<'_> {
        Paced { t: &mut self.t }
    }

    /// Closes politely: send FIN, then read and drop what the client still sends (bounded in
    /// bytes and time), so that closing does not reset the connection before the client has
    /// read the reply.
    pub fn close(mut self) {
        let _ = self.t.flush();
        self.t.shutdown(std::net::Shutdown::Write);
        let mut left: usize = 4 << 20;
        let mut sink = [0u8; 16 * 1024];
        let until = Instant::now() + Duration::from_millis(500);
        while left > 0 {
            let wait = until.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                break;
            }
            match self.t.read_within(&mut sink, wait) {
                Ok(Some(0)) | Ok(None) | Err(_) => break,
                Ok(Some(n)) => left = left.saturating_sub(n),
            }
        }
    }
}

/// A writer for a client that reads 1024 bytes at a time and stops at the first read that
/// returns less (the seed dialect's `download`). Each write is a whole number of 1024-byte
/// units (only a last write shorter than that may be less) and no larger than the peer's
/// receive window and the congestion window take right now, so the kernel never holds back
/// part of a write: whenever the client catches up, what it has received ends on a
/// 1024-byte boundary and its next read waits for the next write instead of returning short.
/// While the windows are full it waits on the socket with growing pauses (so a stalled peer
/// costs almost no CPU), and it stops at once when the peer hangs up; the transport's
/// deadlines (idle time, minimum rate of what the peer took) bound the wait, and the server
/// may cut it to make room like any transfer that waits on its peer.
pub struct Paced<'a> {
    t: &'a mut Transport,
}

/// The longest pause between two looks at a full window.
const PACED_PAUSE_MAX: Duration = Duration::from_millis(50);

impl Write for Paced<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let unit = buf.len().min(PACED_UNIT);
        let want = buf.len().min(PACED_MAX);
        let fd = self.t.raw_fd();
        let mut pause = Duration::from_micros(200);
        loop {
            let Some(room) = crate::sys::tcp_send_room(fd, PACED_MAX) else {
                // The kernel does not say: write as asked.
                return self.t.write(&buf[..want]);
            };
            if room >= unit {
                let n = if room >= want { want } else { room / unit * unit };
                return self.t.write(&buf[..n]);
            }
            // Wait for the peer: a hang-up ends the download now, not at the idle timeout, and
            // the wait counts as waiting on the peer (the slot table may cut it).
            self.t.wait_for_peer(pause)?;
            pause = (pause * 2).min(PACED_PAUSE_MAX);
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
