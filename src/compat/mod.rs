//! The old text dialects of the classroom file server nf replaces, answered on nf's own port:
//! the seed dialect (`list`, `download NAME`, `upload NAME BASE64`) in [`seed`] and the
//! classroom dialect (`LIST`, `GET`, `UPLOAD`/`POST`, `DELETE`, JSON replies ending in
//! `\r\n\r\n`) in [`classroom`]. docs/PROTOCOL.md ("Old text dialects") describes both.
//!
//! The accept loop (`server::front`) reads a request head by this module's rules ([`head_state`]:
//! the quiet-period rule for requests that have no terminator) and hands the connection over;
//! this module tells the two dialects apart by the request's first word and how its line
//! ends, serves the one request, and writes one log line for it. [`refusal`] words a refusal in
//! the client's dialect for the accept loop. Everything goes through
//! the same [`Store`](crate::store::Store) and [`FileName`] rules as the native protocol; this
//! module never builds a path, never holds a lock across I/O, and never panics on input.

mod b64;
mod classroom;
mod intake;
mod pyjson;
mod seed;
mod wire;

use std::io;
use std::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::name::quote;
use crate::service::{Principal, Service};
use crate::store::Content;
use crate::store::Entry;
use crate::transport::Transport;
use crate::transport::{peer_error, Counting};

use wire::Wire;

/// Who an old-dialect request acts for: these dialects cannot authenticate, so always
/// `anonymous`, with exactly its rights.
const WHO: Principal = Principal::Anonymous;

pub use wire::Got;

/// Whether a buffer holds a whole request head yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadState {
    /// A whole head: a line ended by `\n`, or an upload head with its content after it.
    Ready,
    /// Not yet; `complete` when a whole command is there, so that a client that goes quiet now
    /// has finished its request.
    More { complete: bool },
}

/// How far the request head in `buf` is, by the rules of the old dialects.
pub fn head_state(buf: &[u8]) -> HeadState {
    match scan(buf) {
        Scan::More { complete } => HeadState::More { complete },
        _ => HeadState::Ready,
    }
}

/// A refusal (`busy`, or the old dialects turned off) in the dialect the head in `buf` is
/// written in: the classroom dialect's JSON reply, or the seed dialect's `ERROR`.
pub fn refusal(buf: &[u8], err: &Error) -> Vec<u8> {
    let line = match buf.iter().position(|&b| b == b'\n') {
        Some(end) => &buf[..end],
        None => buf,
    };
    let end = if buf.contains(&b'\n') {
        End::Newline
    } else {
        End::Quiet
    };
    match dialect_of_line(trim_cr(line), end) {
        Dialect::Seed => b"ERROR".to_vec(),
        Dialect::Classroom => {
            let mut reply = pyjson::status_data("ERROR", &pyjson::string(&err.message)).into_bytes();
            reply.extend_from_slice(b"\r\n\r\n");
            reply
        }
    }
}

/// Why this server does not serve the old dialects: turned off (`compat = false`), or a token
/// is required, which they cannot send.
pub fn refused_here(settings: &crate::config::Config) -> Error {
    if settings.compat {
        Error::new(
            ErrorKind::Auth,
            "this server needs a token, which the old text dialects cannot send \
             (the server may set compat_allow_without_token = true to let them in)",
        )
    } else {
        Error::new(
            ErrorKind::Protocol,
            format!(
                "this is an nf server (protocol {v}); the old text dialects are turned off here \
                 (use nf, or the server may set compat = true)",
                v = crate::protocol::VERSION
            ),
        )
    }
}

/// The two old dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Seed,
    Classroom,
}

/// How a request line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// With `\n` (or `\r\n`, or `\r\n\r\n`).
    Newline,
    /// With no terminator: the client went quiet for the quiet period.
    Quiet,
    /// With no terminator: the client closed its side.
    Eof,
}

/// The start of a request.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// `WORD NAME ` of an upload (`upload`, `UPLOAD` or `POST`); the content's base64 follows
    /// in the wire buffer.
    Upload { word: Vec<u8>, name: Vec<u8> },
    /// A whole request line, without its line end.
    Line { text: Vec<u8>, end: End },
}

/// What the buffered bytes amount to so far.
#[derive(Debug, PartialEq, Eq)]
enum Scan {
    /// Not a whole head yet; `complete` when a whole command is there, so that a client that
    /// goes quiet now has finished its request.
    More { complete: bool },
    /// An upload head: the name is `buf[name]`, the content starts at `buf[body]`.
    Upload {
        name: std::ops::Range<usize>,
        body: usize,
    },
    /// A line ended by `\n` at `buf[len]`.
    Line { len: usize },
}

fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n')
}

fn is_upload(word: &[u8]) -> bool {
    word.eq_ignore_ascii_case(b"upload") || word.eq_ignore_ascii_case(b"post")
}

/// Commands that are not complete without a name.
fn needs_name(word: &[u8]) -> bool {
    is_upload(word)
        || [&b"get"[..], b"delete", b"download"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
}

fn scan(buf: &[u8]) -> Scan {
    let Some(w) = buf.iter().position(|&b| is_separator(b)) else {
        return Scan::More {
            complete: !buf.is_empty() && !needs_name(buf),
        };
    };
    let word = &buf[..w];
    if buf[w] == b' ' && is_upload(word) {
        let rest = &buf[w + 1..];
        return match rest.iter().position(|&b| is_separator(b)) {
            Some(i) => Scan::Upload {
                name: w + 1..w + 1 + i,
                body: w + 1 + i + usize::from(rest[i] == b' '),
            },
            None => Scan::More {
                complete: !rest.is_empty(),
            },
        };
    }
    match buf.iter().position(|&b| b == b'\n') {
        Some(len) => Scan::Line { len },
        None => Scan::More {
            complete: !needs_name(word) || buf[w..].iter().any(|&b| !is_separator(b)),
        },
    }
}

/// Why no head could be read.
enum HeadError {
    /// The client closed without a request.
    Closed,
    /// The request line is longer than `max_header_bytes`.
    TooLong,
    Io(io::Error),
}

/// Reads until the buffer holds a whole head; an upload head is removed from the buffer, so
/// that only the content's base64 is left there.
fn read_head(wire: &mut Wire, max: usize) -> Result<Head, HeadError> {
    loop {
        match scan(&wire.buf) {
            Scan::Upload { name, body } => {
                let word = split_word(&wire.buf).0.to_vec();
                let name = wire.buf[name].to_vec();
                wire.buf.drain(..body);
                return Ok(Head::Upload { word, name });
            }
            Scan::Line { len } => {
                let text = trim_cr(&wire.buf[..len]).to_vec();
                wire.buf.drain(..=len);
                return Ok(Head::Line {
                    text,
                    end: End::Newline,
                });
            }
            Scan::More { complete } => {
                if wire.buf.len() > max {
                    return Err(HeadError::TooLong);
                }
                let end = match wire.read_more(complete).map_err(HeadError::Io)? {
                    Got::Data => continue,
                    Got::Eof if wire.buf.is_empty() => return Err(HeadError::Closed),
                    Got::Eof => End::Eof,
                    Got::Quiet => End::Quiet,
                };
                return Ok(unterminated(std::mem::take(&mut wire.buf), end));
            }
        }
    }
}

/// The head of a request that ended without a line end.
fn unterminated(buf: Vec<u8>, end: End) -> Head {
    let text = trim_end(&buf);
    let (word, rest) = split_word(text);
    if is_upload(word) && text.len() > word.len() {
        return Head::Upload {
            word: word.to_vec(),
            name: rest.to_vec(),
        };
    }
    Head::Line {
        text: text.to_vec(),
        end,
    }
}

/// Which dialect a request line is: the seed dialect's lowercase words without a terminator
/// (and any other lowercase word without one, answered `ERRCMD`), else the classroom dialect.
fn dialect_of_line(text: &[u8], end: End) -> Dialect {
    let word = split_word(text).0;
    let lowercase = !word.is_empty() && word.iter().all(u8::is_ascii_lowercase);
    let classroom_only = [&b"get"[..], b"delete", b"post"].contains(&word);
    if end != End::Newline && lowercase && !classroom_only {
        Dialect::Seed
    } else {
        Dialect::Classroom
    }
}

/// Which dialect an upload is. `UPLOAD` and `POST` (any case but `upload`) are classroom.
/// `upload` is the seed dialect's word too: its content is MIME base64 (lines of at most 76
/// characters ending in `\n`), so a `\r` or a longer first line means a classroom client.
fn dialect_of_upload(word: &[u8], wire: &mut Wire) -> io::Result<Dialect> {
    if word != b"upload" {
        return Ok(Dialect::Classroom);
    }
    loop {
        if let Some(i) = wire.buf.iter().position(|&b| b == b'\r' || b == b'\n') {
            return Ok(if wire.buf[i] == b'\r' {
                Dialect::Classroom
            } else {
                Dialect::Seed
            });
        }
        if wire.buf.len() > b64::LINE_CHARS {
            return Ok(Dialect::Classroom);
        }
        match wire.read_more(true)? {
            Got::Data => {}
            Got::Quiet | Got::Eof => return Ok(Dialect::Seed),
        }
    }
}

/// What one request did, for its log line.
struct Done {
    op: &'static str,
    name: Option<Vec<u8>>,
    bytes: u64,
    result: Result<(), Error>,
}

impl Done {
    fn new(op: &'static str, name: Option<&[u8]>, bytes: u64, result: Result<(), Error>) -> Done {
        Done {
            op,
            name: name.map(<[u8]>::to_vec),
            bytes,
            result,
        }
    }
}

/// Serves one old-dialect connection handed over by the accept loop, whose request head is
/// among the bytes read ahead (`end`: how it ended if it had no terminator): one request, one
/// reply, then close.
pub fn serve(mut transport: Transport, shared: &Service, end: Option<Got>) {
    // The request's clock starts now: a transfer waiting in line to be cut is judged by how
    // long it has really run (without this its start read as 1970, and it was cut at once).
    transport.begin_request();
    let settings = &shared.settings;
    let started = Instant::now();
    let peer = transport
        .peer()
        .map(|a| a.to_string())
        .unwrap_or_else(|| "?".into());
    let peer = peer.as_str();
    let mut wire = Wire::new(transport, settings.compat_quiet, end);
    let done = match read_head(&mut wire, settings.max_header_bytes) {
        Ok(Head::Upload { word, name }) => match dialect_of_upload(&word, &mut wire) {
            Ok(Dialect::Seed) => seed::upload(&mut wire, shared, &name),
            Ok(Dialect::Classroom) => classroom::upload(&mut wire, shared, &word, &name),
            Err(e) => Done::new(
                "compat:upload",
                Some(&name),
                0,
                Err(Error::io("request cut off", &e)),
            ),
        },
        Ok(Head::Line { text, end }) => match dialect_of_line(&text, end) {
            Dialect::Seed => seed::request(&mut wire, shared, &text),
            Dialect::Classroom => classroom::request(&mut wire, shared, &text),
        },
        Err(HeadError::Closed) => return wire.close(),
        Err(HeadError::Io(e)) => {
            shared
                .log
                .line(&format!("{peer} bad request: {}", crate::error::describe_io(&e)));
            return wire.close();
        }
        Err(HeadError::TooLong) => {
            let err = Error::new(
                ErrorKind::TooLarge,
                format!("request line longer than {} bytes", settings.max_header_bytes),
            );
            match dialect_of_line(&wire.buf, End::Quiet) {
                Dialect::Seed => seed::refuse(&mut wire, err),
                Dialect::Classroom => classroom::refuse(&mut wire, err),
            }
        }
    };
    let name = done.name.as_deref().map(String::from_utf8_lossy);
    let error = done.result.as_ref().err();
    shared
        .log
        .request_by((peer, &WHO), done.op, name.as_deref(), done.bytes, started, error);
    wire.close();
}

/// Opens a stored file for an old-dialect download, within `compat_max_bytes`.
/// The files of a listing (the old dialects know no directories: they see and fetch only the
/// files at the top).
fn files_only(entries: Vec<Entry>) -> Vec<Entry> {
    entries.into_iter().filter(|e| !e.is_dir()).collect()
}

fn open_for_download(shared: &Service, raw: &[u8]) -> Result<(Content, Entry), Error> {
    let name = shared.top_name(raw)?;
    let (file, info) = shared.read(&WHO, &name, 0)?;
    let limit = shared.settings.compat_max_bytes;
    if info.size > limit {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "{} is {} bytes, over this server's limit of {limit} bytes for the old text \
                 dialects; fetch it with `nf get`",
                quote(name.as_str()),
                info.size
            ),
        ));
    }
    Ok((file, info))
}

/// Sends a stored file's base64 in `layout` to `out`; returns the content bytes sent.
fn send_file(
    out: &mut impl std::io::Write,
    file: Content,
    info: &Entry,
    layout: b64::Layout,
) -> Result<u64, (u64, Error)> {
    use std::io::Read;
    let mut counted = Counting::new(out);
    let sent = b64::copy_encoded(&mut file.take(info.size), layout, &mut counted).map_err(|e| {
        // The file's bytes the client was sent, and a client that went away is logged as such.
        let sent = b64::decoded_len(counted.sent, layout).min(info.size);
        (sent, peer_error("download interrupted", &e))
    })?;
    if sent < info.size {
        return Err((
            sent,
            Error::new(ErrorKind::Other, "the stored file shrank while it was being sent"),
        ));
    }
    Ok(sent)
}

/// The first word of a request line and the rest after one space, without surrounding
/// whitespace (the rest is the name, for the commands that take one).
fn split_word(text: &[u8]) -> (&[u8], &[u8]) {
    match text.iter().position(|&b| is_separator(b)) {
        Some(i) => (&text[..i], trim(&text[i + 1..])),
        None => (text, &[]),
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_end(text: &[u8]) -> &[u8] {
    let end = text
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &text[..end]
}

fn trim(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    trim_end(&text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_heads_and_knows_when_a_command_is_complete() {
        assert_eq!(scan(b""), Scan::More { complete: false });
        assert_eq!(scan(b"LIST"), Scan::More { complete: true });
        assert_eq!(scan(b"list"), Scan::More { complete: true });
        assert_eq!(scan(b"GET"), Scan::More { complete: false });
        assert_eq!(scan(b"GET "), Scan::More { complete: false });
        assert_eq!(scan(b"GET a.txt"), Scan::More { complete: true });
        assert_eq!(scan(b"download x"), Scan::More { complete: true });
        assert_eq!(scan(b"LIST\r\n\r\n"), Scan::Line { len: 5 });
        assert_eq!(scan(b"upload"), Scan::More { complete: false });
        assert_eq!(scan(b"upload a.jpg"), Scan::More { complete: true });
        assert_eq!(
            scan(b"upload a.jpg QUJD\n"),
            Scan::Upload {
                name: 7..12,
                body: 13
            }
        );
        assert_eq!(scan(b"POST a\r\n\r\n"), Scan::Upload { name: 5..6, body: 6 });
        assert_eq!(scan(b"UPLOAD\r\n"), Scan::Line { len: 7 });
    }

    #[test]
    fn unterminated_requests_become_lines_or_upload_heads() {
        assert_eq!(
            unterminated(b"GET a b.txt ".to_vec(), End::Quiet),
            Head::Line {
                text: b"GET a b.txt".to_vec(),
                end: End::Quiet
            }
        );
        assert_eq!(
            unterminated(b"upload empty.txt".to_vec(), End::Quiet),
            Head::Upload {
                word: b"upload".to_vec(),
                name: b"empty.txt".to_vec()
            }
        );
        assert_eq!(split_word(b"GET  a b.txt "), (&b"GET"[..], &b"a b.txt"[..]));
    }

    #[test]
    fn lowercase_words_without_a_terminator_are_the_seed_dialect() {
        use Dialect::*;
        assert_eq!(dialect_of_line(b"list", End::Quiet), Seed);
        assert_eq!(dialect_of_line(b"download a", End::Eof), Seed);
        assert_eq!(dialect_of_line(b"frobnicate", End::Quiet), Seed);
        assert_eq!(dialect_of_line(b"list", End::Newline), Classroom);
        assert_eq!(dialect_of_line(b"LIST", End::Quiet), Classroom);
        assert_eq!(dialect_of_line(b"get a", End::Quiet), Classroom);
        assert_eq!(dialect_of_line(b"delete a", End::Quiet), Classroom);
        assert_eq!(dialect_of_line(b"", End::Newline), Classroom);
        assert_eq!(dialect_of_line(b"FOO", End::Newline), Classroom);
    }

    #[test]
    fn no_input_makes_the_request_parsing_or_the_decoder_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"GETUPLOADupload list \r\n=+/QUJD\xff\x00.";
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let buf: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = scan(&buf);
            let _ = split_word(&buf);
            for end in [End::Newline, End::Quiet, End::Eof] {
                let _ = dialect_of_line(&buf, end);
                let _ = unterminated(buf.clone(), end);
            }
            let mut d = b64::Decoder::new();
            let mut out = Vec::new();
            for piece in buf.chunks(1 + (next() % 7) as usize) {
                let _ = d.feed(piece, &mut out);
            }
            let _ = d.finish(&mut out);
        }
    }
}

/// Entry points for the cargo-fuzz targets in `fuzz/` (`text_head`, `text_base64`); not an API.
#[doc(hidden)]
pub mod fuzzing {
    use super::{b64, dialect_of_line, scan, split_word, End, Scan};

    /// What [`scan`] made of a buffer, with every range checked against it.
    #[derive(Debug)]
    pub enum Head {
        More { complete: bool },
        Upload { name: Vec<u8>, body_at: usize },
        Line { text: Vec<u8>, seed: bool },
    }

    /// Scans a request head exactly as the server does, then classifies a whole line's
    /// dialect and splits its command word. Panics only if an invariant breaks.
    pub fn head(buf: &[u8]) -> Head {
        match scan(buf) {
            Scan::More { complete } => Head::More { complete },
            Scan::Upload { name, body } => {
                assert!(name.start <= name.end && name.end <= buf.len() && body <= buf.len());
                assert!(body >= name.end);
                Head::Upload {
                    name: buf[name].to_vec(),
                    body_at: body,
                }
            }
            Scan::Line { len } => {
                assert!(len < buf.len() && buf[len] == b'\n');
                let text = &buf[..len];
                let (word, rest) = split_word(text);
                assert!(word.len() + rest.len() <= text.len());
                let seed = dialect_of_line(text, End::Quiet) == super::Dialect::Seed;
                Head::Line {
                    text: text.to_vec(),
                    seed,
                }
            }
        }
    }

    /// Decodes base64 text fed in the given pieces, as an upload's content is.
    pub fn decode(pieces: &[&[u8]]) -> Result<Vec<u8>, String> {
        let mut decoder = b64::Decoder::new();
        let mut out = Vec::new();
        for piece in pieces {
            decoder.feed(piece, &mut out).map_err(|e| e.0)?;
        }
        decoder.finish(&mut out).map_err(|e| e.0)?;
        Ok(out)
    }

    /// Encodes `data` the way the seed dialect's download sends it (76-character lines).
    pub fn encode_mime(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        b64::encode_into(data, b64::Layout::Mime, &mut out);
        out
    }
}
