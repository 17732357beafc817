//! An HTTP request head: where it ends in the bytes read so far ([`end`], for the front door,
//! which waits for a whole head before it gives the connection a worker), and its parse with
//! httparse into a [`Head`] that the handlers read: the method, the target, the version, the
//! header fields (names in lower case), and how the body is framed (RFC 9112 §6). Pure: bytes
//! in, a head or the reason to refuse it out; the limits (bytes, fields) are the caller's.

use std::fmt;

/// Where a request head ends in `buf` (the index just past its empty line), once it is all
/// there. Empty lines before the request line are skipped, as RFC 9112 §2.2 asks; a line may
/// end in CRLF or a bare LF (httparse takes both).
pub fn end(buf: &[u8]) -> Option<usize> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let mut at = start;
    while let Some(nl) = buf[at..].iter().position(|&b| b == b'\n') {
        let next = at + nl + 1;
        match buf.get(next..)? {
            [b'\n', ..] => return Some(next + 1),
            [b'\r', b'\n', ..] => return Some(next + 2),
            [b'\r'] | [] => return None,
            _ => at = next,
        }
    }
    None
}

/// The methods nf answers; any other is answered 405 with the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Put,
    Delete,
    Options,
    Other(String),
}

impl Method {
    fn from(token: &str) -> Method {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            other => Method::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other(m) => m,
        }
    }
}

/// How a request's body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body (neither `Content-Length` nor `Transfer-Encoding`).
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: Method,
    /// The request target as sent (origin-form `/path?query`, or absolute-form, or `*`).
    pub target: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// Field names in lower case, values as sent (without surrounding whitespace).
    fields: Vec<(String, Vec<u8>)>,
}

/// Why a head is refused: the status to answer with, and a short reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: String,
}

impl Refusal {
    fn new(status: u16, reason: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Parses a whole head (`bytes` ends at [`end`]) with at most `max_fields` header fields.
pub fn parse(bytes: &[u8], max_fields: usize) -> Result<Head, Refusal> {
    let mut fields = vec![httparse::EMPTY_HEADER; max_fields];
    let mut req = httparse::Request::new(&mut fields);
    match req.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(Refusal::new(400, "the request head is incomplete")),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal::new(431, format!("more than {max_fields} header fields")))
        }
        Err(e) => return Err(Refusal::new(400, format!("malformed request head: {e}"))),
    }
    let method = Method::from(req.method.unwrap_or_default());
    let target = req.path.unwrap_or_default().to_string();
    let minor = req.version.unwrap_or(1);
    let fields = req
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), trim(h.value).to_vec()))
        .collect();
    let head = Head {
        method,
        target,
        minor,
        fields,
    };
    if head.minor >= 1 && head.all("host").count() != 1 {
        return Err(Refusal::new(
            400,
            "an HTTP/1.1 request needs exactly one Host field",
        ));
    }
    head.body()?;
    Ok(head)
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &v[start..end]
}

impl Head {
    /// Every field, in order: the name in lower case and the value as sent (trimmed).
    pub fn fields(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// Every value of a field, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// A field's value as text, if it is there once or more (the first) and is ASCII.
    pub fn field(&self, name: &str) -> Option<&str> {
        let (_, v) = self.fields.iter().find(|(n, _)| n == name)?;
        std::str::from_utf8(v).ok().filter(|s| s.is_ascii())
    }

    /// The comma-separated elements of every value of a list field (`Connection`, `Expect`,
    /// `If-None-Match`), trimmed, empty ones dropped.
    pub fn elements<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.all(name)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
    }

    /// True when a list field holds `token` (case-insensitive).
    pub fn has(&self, name: &str, token: &str) -> bool {
        self.elements(name).any(|e| e.eq_ignore_ascii_case(token))
    }

    /// True when the client keeps the connection open after this request (HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`).
    pub fn keep_alive(&self) -> bool {
        if self.has("connection", "close") {
            return false;
        }
        self.minor >= 1 || self.has("connection", "keep-alive")
    }

    /// True when the client waits for `100 Continue` before it sends the body.
    pub fn expects_continue(&self) -> bool {
        self.minor >= 1 && self.has("expect", "100-continue")
    }

    /// How the body is framed (RFC 9112 §6.3). A request with both `Transfer-Encoding` and
    /// `Content-Length`, with a transfer coding other than `chunked`, or with disagreeing or
    /// malformed lengths is refused: each is a way to smuggle a second request past a proxy.
    pub fn body(&self) -> Result<Body, Refusal> {
        let codings: Vec<&str> = self.elements("transfer-encoding").collect();
        let lengths: Vec<&[u8]> = self.all("content-length").collect();
        if !codings.is_empty() || self.all("transfer-encoding").next().is_some() {
            if !lengths.is_empty() {
                return Err(Refusal::new(
                    400,
                    "a request cannot have both Transfer-Encoding and Content-Length",
                ));
            }
            if self.minor == 0 {
                return Err(Refusal::new(400, "HTTP/1.0 has no Transfer-Encoding"));
            }
            return match codings.as_slice() {
                [c] if c.eq_ignore_ascii_case("chunked") => Ok(Body::Chunked),
                _ => Err(Refusal::new(
                    501,
                    "only the transfer coding `chunked` is understood",
                )),
            };
        }
        let mut length = None;
        for value in lengths {
            for part in value.split(|&b| b == b',') {
                let n = parse_length(trim(part))
                    .ok_or_else(|| Refusal::new(400, "Content-Length is not a number of bytes"))?;
                if length.is_some_and(|l| l != n) {
                    return Err(Refusal::new(400, "Content-Length fields disagree"));
                }
                length = Some(n);
            }
        }
        Ok(length.map_or(Body::None, Body::Length))
    }
}

/// A decimal length of at most 19 digits (anything longer is over every size limit anyway).
fn parse_length(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Head, Refusal> {
        let bytes = text.as_bytes();
        let n = end(bytes).expect("a whole head");
        assert_eq!(n, bytes.len(), "the head ends where the text does");
        parse(bytes, 8)
    }

    #[test]
    fn the_end_of_a_head_is_found_once_it_is_all_there() {
        let full = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY";
        for cut in 0..full.len() - 4 {
            assert_eq!(end(&full[..cut]), None, "{cut} bytes");
        }
        assert_eq!(end(full), Some(full.len() - 4));
        assert_eq!(end(b"GET / HTTP/1.0\n\n"), Some(16));
        assert_eq!(end(b"\r\n\r\nGET / HTTP/1.0\r\n\r\n"), Some(22));
        assert_eq!(end(b"\r\n\r\n"), None);
        assert_eq!(end(b"GET / HTTP/1.1\r\nA: b\r\r\n"), None);
    }

    #[test]
    fn well_formed_heads_parse_with_their_fields_and_framing() {
        let h =
            head("PUT /a%20b.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                .unwrap();
        assert_eq!(h.method, Method::Put);
        assert_eq!(h.target, "/a%20b.txt");
        assert_eq!(h.body(), Ok(Body::Length(5)));
        assert!(h.expects_continue() && h.keep_alive());
        let h = head("PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
        assert_eq!(h.body(), Ok(Body::Chunked));
        let h = head("GET / HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!((h.minor, h.keep_alive(), h.body()), (0, false, Ok(Body::None)));
        let h = head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
        assert!(h.keep_alive());
        let h = head("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n").unwrap();
        assert!(!h.keep_alive());
        let h = head("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\n").unwrap();
        assert_eq!(h.body(), Ok(Body::Length(3)));
        assert_eq!(h.field("host"), Some("h"));
    }

    #[test]
    fn malformed_heads_are_refused_with_the_right_status() {
        let status = |text: &str| head(text).unwrap_err().status;
        // Not HTTP at all, or broken lines.
        assert_eq!(status("GET / HTTP/1.1\r\nHost h\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nBad Name: v\r\nHost: h\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n"), 400);
        assert_eq!(status("GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 400);
        // HTTP/1.1 needs one Host.
        assert_eq!(status("GET / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
        // Framing that could smuggle a request.
        assert_eq!(
            status("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
        );
        assert_eq!(
            status("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
            400
        );
        assert_eq!(
            status("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"),
            400
        );
        assert_eq!(
            status("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n"),
            400
        );
        assert_eq!(
            status("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n"),
            400
        );
        assert_eq!(
            status("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501
        );
        assert_eq!(
            status("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            501
        );
        assert_eq!(
            status("PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
        );
        // More fields than allowed.
        let many: String = (0..9).map(|i| format!("X-{i}: v\r\n")).collect();
        assert_eq!(status(&format!("GET / HTTP/1.1\r\nHost: h\r\n{many}\r\n")), 431);
    }
}
