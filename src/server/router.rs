//! Which dialect a connection speaks, from its first bytes, and how to refuse it in its own
//! words. Pure functions over byte slices: the accept loop ([`super::front`]) reads, this
//! module decides. Dialects: native (`NF/`), TLS (a ClientHello record), HTTP (a request line
//! ending in ` HTTP/1.0` or ` HTTP/1.1`), the old text dialects (words in plain text), and
//! garbage (anything else). Empty lines before the first bytes are skipped in every dialect
//! ([`empty_lines`]), as RFC 9112 §2.2 asks of HTTP.

use crate::error::{Error, ErrorKind};
use crate::protocol::{self, ErrorReply, MAGIC};

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum First {
    /// Too few bytes to tell.
    More,
    Native,
    Tls,
    /// Plain text: an old dialect or HTTP, told apart by the request head.
    Text,
    Garbage,
}

/// How many bytes at the start of `seen` are whole empty lines (`\r\n` or `\n`), which the
/// front door drops before it classifies what follows.
pub fn empty_lines(seen: &[u8]) -> usize {
    let mut at = 0;
    loop {
        match &seen[at..] {
            [b'\n', ..] => at += 1,
            [b'\r', b'\n', ..] => at += 2,
            _ => return at,
        }
    }
}

/// Classifies the first bytes of a connection (after [`empty_lines`]).
pub fn classify(seen: &[u8]) -> First {
    let Some(&b0) = seen.first() else {
        return First::More;
    };
    // A `\r` alone may begin an empty line.
    if seen == b"\r" {
        return First::More;
    }
    if seen.starts_with(MAGIC) {
        return First::Native;
    }
    if seen.len() < MAGIC.len() && MAGIC.starts_with(seen) {
        return First::More;
    }
    // A TLS record: content type 22 (handshake), then a 3.x version.
    if b0 == 0x16 {
        return match seen.get(1) {
            None => First::More,
            Some(3) => First::Tls,
            Some(_) => First::Garbage,
        };
    }
    // The command word (up to the first space or line end) must be plain text; what follows
    // it (a name) is the dialect's to judge.
    let word = seen
        .iter()
        .position(|&b| b == b' ' || b == b'\n')
        .map_or(seen, |end| &seen[..end]);
    let text = word
        .iter()
        .all(|&b| b >= 0x20 && b != 0x7f || b == b'\t' || b == b'\r');
    if text {
        First::Text
    } else {
        First::Garbage
    }
}

/// True when `line` (without its `\n`) is an HTTP/1.x request line: `METHOD TARGET HTTP/1.x`.
pub fn is_http_request_line(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !method.is_empty()
        && method.iter().all(u8::is_ascii_uppercase)
        && !target.is_empty()
        && (version == b"HTTP/1.1" || version == b"HTTP/1.0")
}

/// The error line a native client gets when refused (busy, a bad greeting, garbage).
pub fn native_refusal(err: &Error) -> Vec<u8> {
    let reply = ErrorReply::of(err);
    let mut line = serde_json::to_vec(&reply).expect("error replies serialize");
    line.push(b'\n');
    line
}

/// A complete HTTP/1.1 response with a short text body, then the connection closes.
pub fn http_response(status: u16, reason: &str, extra: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// The answer to an HTTP client when the server is full.
pub fn http_busy(message: &str) -> Vec<u8> {
    http_response(
        503,
        "Service Unavailable",
        &[("Retry-After", "5")],
        &format!("{message}\n"),
    )
}

/// A TLS alert record (fatal `handshake_failure`): the answer to a ClientHello when the server
/// has no TLS identity (one made by `Server::new` alone, not `Server::bind`), so that a TLS
/// client fails at once with a clear alert rather than a timeout.
pub const TLS_REFUSAL: &[u8] = &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

/// The error for a connection that is no dialect nf knows.
pub fn garbage_error() -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!(
            "this is an nf server (protocol {v}); expected the greeting NF/{v}",
            v = protocol::VERSION
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bytes_pick_the_dialect() {
        assert_eq!(classify(b""), First::More);
        assert_eq!(classify(b"N"), First::More);
        assert_eq!(classify(b"NF"), First::More);
        assert_eq!(classify(b"NF/1\n"), First::Native);
        assert_eq!(classify(b"NX"), First::Text);
        assert_eq!(classify(b"\x16"), First::More);
        assert_eq!(classify(b"\x16\x03\x01\x02\x00"), First::Tls);
        assert_eq!(classify(b"\x16\x07"), First::Garbage);
        assert_eq!(classify(b"list"), First::Text);
        assert_eq!(classify(b"GET / HTTP/1.1\r\nHost: x\r\n"), First::Text);
        assert_eq!(classify(b"upload caf\xc3\xa9.txt QUJD"), First::Text);
        assert_eq!(classify(b"\x00\x01binary"), First::Garbage);
        assert_eq!(classify(b"LIST\x7f"), First::Garbage);
        // A control character in a name is the old dialect's to refuse, in its own words.
        assert_eq!(classify(b"GET a\x1bb\r\n\r\n"), First::Text);
    }

    #[test]
    fn empty_lines_before_the_first_bytes_are_counted_to_be_skipped() {
        assert_eq!(empty_lines(b""), 0);
        assert_eq!(empty_lines(b"GET / HTTP/1.1\r\n"), 0);
        assert_eq!(empty_lines(b"\r\nGET / HTTP/1.1\r\n"), 2);
        assert_eq!(empty_lines(b"\n\r\n\nNF/1\n"), 4);
        assert_eq!(empty_lines(b"\r\n\r"), 2);
        assert_eq!(empty_lines(b"\rlist"), 0);
        assert_eq!(classify(b"\r"), First::More);
        assert_eq!(classify(b"\rx"), First::Text);
    }

    #[test]
    fn http_request_lines_are_told_from_classroom_commands() {
        assert!(is_http_request_line(b"GET / HTTP/1.1\r"));
        assert!(is_http_request_line(b"PUT /a%20b HTTP/1.0"));
        assert!(!is_http_request_line(b"GET a.txt"));
        assert!(!is_http_request_line(b"GET a b HTTP/1.1"));
        assert!(!is_http_request_line(b"get / HTTP/1.1"));
        assert!(!is_http_request_line(b"GET / HTTP/2"));
        assert!(!is_http_request_line(b"HTTP/1.1"));
    }

    #[test]
    fn http_answers_are_well_formed() {
        let text = String::from_utf8(http_busy("full")).unwrap();
        assert!(text.starts_with("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"));
        assert!(text.ends_with("Content-Length: 5\r\nConnection: close\r\n\r\nfull\n"));
    }
}
