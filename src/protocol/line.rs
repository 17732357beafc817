//! Bounded reading and writing of one `\n`-terminated JSON line.

use std::io::{self, BufRead, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a line could not be read.
#[derive(Debug)]
pub enum LineError {
    /// The peer closed the connection before sending any byte of the line.
    Closed,
    /// The line is longer than the limit; the rest of it was not read.
    TooLong(usize),
    /// The connection ended in the middle of a line.
    Truncated,
    /// The line is not a valid message: the text says why.
    Invalid(String),
    /// The connection failed or timed out.
    Io(io::Error),
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Closed => f.write_str("connection closed"),
            LineError::TooLong(max) => write!(f, "header longer than {max} bytes"),
            LineError::Truncated => f.write_str("connection closed in the middle of a header"),
            LineError::Invalid(why) => write!(f, "malformed message: {why}"),
            LineError::Io(e) => write!(f, "{}", crate::error::describe_io(e)),
        }
    }
}

/// Reads one line into `buf` (cleared first, `\n` removed), never buffering more than `max`
/// bytes of it.
pub fn read_line(reader: &mut impl BufRead, max: usize, buf: &mut Vec<u8>) -> Result<(), LineError> {
    read_line_by(reader, max, buf, None)
}

/// Like [`read_line`], but a line still unfinished at `deadline` is an error (a peer sending
/// one byte a second cannot hold a connection forever).
pub fn read_line_by(
    reader: &mut impl BufRead,
    max: usize,
    buf: &mut Vec<u8>,
    deadline: Option<std::time::Instant>,
) -> Result<(), LineError> {
    buf.clear();
    loop {
        if deadline.is_some_and(|d| !buf.is_empty() && std::time::Instant::now() > d) {
            return Err(LineError::Io(io::ErrorKind::TimedOut.into()));
        }
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LineError::Io(e)),
        };
        if available.is_empty() {
            return Err(if buf.is_empty() {
                LineError::Closed
            } else {
                LineError::Truncated
            });
        }
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if buf.len() + chunk.len() > max {
            return Err(LineError::TooLong(max));
        }
        buf.extend_from_slice(chunk);
        match done {
            Some(used) => {
                reader.consume(used);
                return Ok(());
            }
            None => {
                let used = chunk.len();
                reader.consume(used);
            }
        }
    }
}

/// Reads one line and parses it as the JSON message `T`.
pub fn read_message<T: DeserializeOwned>(
    reader: &mut impl BufRead,
    max: usize,
    buf: &mut Vec<u8>,
) -> Result<T, LineError> {
    read_message_by(reader, max, buf, None)
}

/// Reads one line, finished by `deadline`, and parses it as the JSON message `T`.
pub fn read_message_by<T: DeserializeOwned>(
    reader: &mut impl BufRead,
    max: usize,
    buf: &mut Vec<u8>,
    deadline: Option<std::time::Instant>,
) -> Result<T, LineError> {
    read_line_by(reader, max, buf, deadline)?;
    serde_json::from_slice(buf).map_err(|e| LineError::Invalid(e.to_string()))
}

/// Writes `msg` as one JSON line (not flushed).
pub fn write_message<T: Serialize>(writer: &mut impl Write, msg: &T) -> io::Result<()> {
    let mut line = serde_json::to_vec(msg).map_err(io::Error::other)?;
    line.push(b'\n');
    writer.write_all(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_and_split_exactly() {
        let mut r = io::BufReader::with_capacity(4, &b"abc\ndefgh\nxyz"[..]);
        let mut buf = Vec::new();
        read_line(&mut r, 16, &mut buf).unwrap();
        assert_eq!(buf, b"abc");
        read_line(&mut r, 16, &mut buf).unwrap();
        assert_eq!(buf, b"defgh");
        assert!(matches!(
            read_line(&mut r, 16, &mut buf),
            Err(LineError::Truncated)
        ));
        assert!(matches!(read_line(&mut r, 16, &mut buf), Err(LineError::Closed)));
        let mut r = io::BufReader::new(&b"0123456789\n"[..]);
        assert!(matches!(
            read_line(&mut r, 5, &mut buf),
            Err(LineError::TooLong(5))
        ));
    }
}
