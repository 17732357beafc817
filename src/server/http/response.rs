//! Writing HTTP responses: the status line and fields every response carries (`Date`,
//! `Server`, how the body is framed, whether the connection stays open), short text bodies for
//! errors, the status for each [`ErrorKind`], and a body of unknown length ([`Out`]: chunked
//! for HTTP/1.1, up to the close for HTTP/1.0) that still sends stored content the zero-copy
//! way.

use std::io::{self, Read, Write};

use super::date;
use crate::error::{Error, ErrorKind};
use crate::server::body;
use crate::transport::Stream;

/// How a response's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` (also sent for `HEAD` and 304, where no body follows).
    Length(u64),
    /// `Transfer-Encoding: chunked` (HTTP/1.1).
    Chunked,
    /// The body ends when the connection closes (HTTP/1.0, length unknown).
    Close,
    /// No body and no length field (`100 Continue`, 204).
    Empty,
}

/// The reason phrase of a status nf sends.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        423 => "Locked",
        424 => "Failed Dependency",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        460 => "Checksum Mismatch",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        _ => "Unknown",
    }
}

/// The status that answers an error of this kind.
pub fn status_of(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::NotFound => 404,
        ErrorKind::Gone => 410,
        ErrorKind::Exists => 412,
        ErrorKind::Conflict => 409,
        ErrorKind::BadName | ErrorKind::Protocol | ErrorKind::HashMismatch | ErrorKind::Usage => 400,
        ErrorKind::TooLarge => 413,
        ErrorKind::Auth => 401,
        ErrorKind::Denied | ErrorKind::Forbidden => 403,
        ErrorKind::NoSpace => 507,
        ErrorKind::Busy | ErrorKind::Unavailable => 503,
        ErrorKind::Connect | ErrorKind::Interrupted => 408,
        _ => 500,
    }
}

/// Writes a response head. `keep`: the connection stays open after this response (said to
/// an HTTP/1.0 client as `Connection: keep-alive`); otherwise `Connection: close`.
pub fn write_head(
    out: &mut impl Write,
    minor: u8,
    status: u16,
    fields: &[(&str, String)],
    framing: Framing,
    keep: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.{} {status} {}\r\nDate: {}\r\nServer: nf/{}\r\n",
        minor.min(1),
        reason(status),
        date::now(),
        env!("CARGO_PKG_VERSION")
    );
    for (name, value) in fields {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    match framing {
        Framing::Length(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
        Framing::Close | Framing::Empty => {}
    }
    if status >= 200 {
        if !keep {
            head.push_str("Connection: close\r\n");
        } else if minor == 0 {
            head.push_str("Connection: keep-alive\r\n");
        }
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())
}

/// A short text body for an error: the message and a newline.
pub fn error_text(err: &Error) -> String {
    format!("{}\n", err.message)
}

/// A body of unknown length being sent: chunks (HTTP/1.1) or raw bytes up to the close
/// (HTTP/1.0). Small pieces collect into one chunk; stored content is sent with
/// [`body::send`], large files straight from the file, inside one chunk with what was
/// collected before it.
pub struct Out<'a> {
    stream: &'a mut Stream,
    chunked: bool,
    pending: Vec<u8>,
    /// Bytes of body sent (without the chunk framing).
    pub sent: u64,
}

/// Pieces collect up to this size before they go out as one chunk.
const PENDING: usize = 64 * 1024;

impl<'a> Out<'a> {
    pub fn new(stream: &'a mut Stream, chunked: bool) -> Out<'a> {
        Out {
            stream,
            chunked,
            pending: Vec::new(),
            sent: 0,
        }
    }

    /// Adds bytes to the body.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= PENDING {
            self.emit(0)?;
        }
        Ok(())
    }

    /// Sends what was collected, as one chunk that will also hold `more` bytes the caller
    /// sends next (then [`Out::end_chunk`]).
    fn emit(&mut self, more: u64) -> io::Result<()> {
        let len = self.pending.len() as u64 + more;
        if len == 0 {
            return Ok(());
        }
        if self.chunked {
            write!(self.stream, "{len:x}\r\n")?;
        }
        self.stream.write_all(&self.pending)?;
        self.sent += self.pending.len() as u64;
        self.pending.clear();
        if self.chunked && more == 0 {
            self.stream.write_all(b"\r\n")?;
        }
        Ok(())
    }

    fn end_chunk(&mut self) -> io::Result<()> {
        if self.chunked {
            self.stream.write_all(b"\r\n")?;
        }
        Ok(())
    }

    /// Adds `len` bytes of `content` to the body, sent the way downloads are.
    pub fn send(&mut self, content: impl Read, len: u64) -> Result<(), Error> {
        let failed = |e: io::Error| body::peer_error("download interrupted", &e);
        self.emit(len).map_err(failed)?;
        match body::send(self.stream, content, len) {
            Ok(n) => self.sent += n,
            Err((n, e)) => {
                self.sent += n;
                return Err(e);
            }
        }
        if len > 0 {
            self.end_chunk().map_err(failed)?;
        }
        Ok(())
    }

    /// Ends the body (the last chunk, for chunked framing).
    pub fn finish(mut self) -> io::Result<u64> {
        self.emit(0)?;
        if self.chunked {
            self.stream.write_all(b"0\r\n\r\n")?;
        }
        Ok(self.sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_say_how_the_body_ends_and_whether_the_connection_stays() {
        let mut out = Vec::new();
        write_head(
            &mut out,
            1,
            200,
            &[("ETag", "\"x\"".into())],
            Framing::Length(5),
            true,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\nDate: "), "{text}");
        assert!(
            text.ends_with("ETag: \"x\"\r\nContent-Length: 5\r\n\r\n"),
            "{text}"
        );
        let mut out = Vec::new();
        write_head(&mut out, 0, 404, &[], Framing::Close, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.0 404 Not Found\r\n"), "{text}");
        assert!(text.ends_with("Connection: close\r\n\r\n"), "{text}");
        let mut out = Vec::new();
        write_head(&mut out, 0, 200, &[], Framing::Length(0), true).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("Connection: keep-alive\r\n\r\n"));
        let mut out = Vec::new();
        write_head(&mut out, 1, 100, &[], Framing::Empty, false).unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("Connection"));
    }

    #[test]
    fn every_error_kind_has_a_client_or_server_status() {
        for kind in ErrorKind::ALL {
            let status = status_of(kind);
            assert!((400..600).contains(&status), "{kind:?}");
            assert_ne!(reason(status), "Unknown", "{kind:?}");
        }
    }
}
