//! One old-dialect connection's socket: reads into a buffer with either the idle timeout or
//! the short quiet period (the old clients often send no terminator, so silence ends a
//! request), writes replies unbuffered, and closes politely. It knows nothing of the
//! dialects' words and never touches the store.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::io::AsRawFd;
use std::time::{Duration, Instant};

/// Bytes read from the socket per call.
const READ_SIZE: usize = 64 * 1024;

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
    input: TcpStream,
    output: TcpStream,
    /// Bytes received and not yet used.
    pub buf: Vec<u8>,
    /// Every byte received on this connection.
    pub received: u64,
    idle: Duration,
    quiet: Duration,
    /// The read timeout currently set on the socket.
    timeout: Duration,
}

impl Wire {
    /// Wraps a connection whose read timeout is already `idle`.
    pub fn new(input: TcpStream, output: TcpStream, idle: Duration, quiet: Duration) -> Wire {
        Wire {
            input,
            output,
            buf: Vec::new(),
            received: 0,
            idle,
            quiet: quiet.min(idle),
            timeout: idle,
        }
    }

    /// Reads more bytes onto [`Wire::buf`]. With `quiet`, silence for the quiet period is
    /// [`Got::Quiet`]; without, silence for the idle timeout is a `TimedOut` error.
    pub fn read_more(&mut self, quiet: bool) -> io::Result<Got> {
        let want = if quiet { self.quiet } else { self.idle };
        if want != self.timeout {
            self.input.set_read_timeout(Some(want))?;
            self.timeout = want;
        }
        let start = self.buf.len();
        self.buf.resize(start + READ_SIZE, 0);
        let result = loop {
            match self.input.read(&mut self.buf[start..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let n = *result.as_ref().unwrap_or(&0);
        self.buf.truncate(start + n);
        match result {
            Ok(0) => Ok(Got::Eof),
            Ok(n) => {
                self.received += n as u64;
                Ok(Got::Data)
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                if quiet {
                    Ok(Got::Quiet)
                } else {
                    Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"))
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Writes `bytes` at once (no buffering: every reply is whole when written).
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.output.write_all(bytes)
    }

    /// The raw output stream, for long streamed replies.
    pub fn output(&mut self) -> &mut TcpStream {
        &mut self.output
    }

    /// The output stream, paced for clients that stop at the first short read (see [`Paced`]).
    pub fn paced(&mut self) -> Paced<'_> {
        Paced {
            stream: &self.output,
            idle: self.idle,
        }
    }

    /// Closes politely: send FIN, then read and drop what the client still sends (bounded in
    /// bytes and time), so that closing does not reset the connection before the client has
    /// read the reply.
    pub fn close(mut self) {
        let _ = self.output.flush();
        let _ = self.output.shutdown(Shutdown::Write);
        let _ = self.input.set_read_timeout(Some(Duration::from_millis(500)));
        let mut left: usize = 4 << 20;
        let mut sink = [0u8; 16 * 1024];
        while left > 0 {
            match self.input.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
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
/// Waits (in short sleeps) while the windows are full, up to the idle timeout per write.
pub struct Paced<'a> {
    stream: &'a TcpStream,
    idle: Duration,
}

impl Write for Paced<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let unit = buf.len().min(PACED_UNIT);
        let want = buf.len().min(PACED_MAX);
        let deadline = Instant::now() + self.idle;
        loop {
            let Some(room) = send_room(self.stream) else {
                // The kernel does not say: write as asked.
                return (&mut &*self.stream).write(&buf[..want]);
            };
            if room >= unit {
                let n = if room >= want { want } else { room / unit * unit };
                return (&mut &*self.stream).write(&buf[..n]);
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// How many more bytes the kernel can send on `stream` at once: the smaller of the peer's
/// receive window and the congestion window, less what is already sent and unacknowledged or
/// queued. On older kernels, whose `TCP_INFO` lacks the peer's window (Linux 5.4 added it),
/// room for one [`PACED_MAX`] write once everything earlier is acknowledged. `None` if the kernel
/// answers neither.
fn send_room(stream: &TcpStream) -> Option<usize> {
    let fd = stream.as_raw_fd();
    let mut queued: libc::c_int = 0;
    // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int through the pointer, which is valid.
    if unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut queued) } != 0 {
        return None;
    }
    let queued = usize::try_from(queued).unwrap_or(0);
    // SAFETY: tcp_info is plain old data; all zeroes is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `info` and stores the length in `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    let has_window = std::mem::offset_of!(libc::tcp_info, tcpi_snd_wnd) + 4;
    if rc != 0 || (len as usize) < has_window {
        return Some(if queued == 0 { PACED_MAX } else { 0 });
    }
    let cwnd = info.tcpi_snd_cwnd as usize * info.tcpi_snd_mss as usize;
    Some((info.tcpi_snd_wnd as usize).min(cwnd).saturating_sub(queued))
}
