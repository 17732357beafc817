//! One connection: the greeting, then the native request loop. Picks the dialect from the
//! first bytes (the old text dialects go to [`crate::compat`]); talks to the store only through
//! validated [`FileName`]s; every request gets exactly one reply, in order, and one log line.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use super::Shared;
use crate::compat::{self, Sniff};
use crate::error::{Error, ErrorKind};
use crate::hashpipe::CHUNK;
use crate::name::{quote, FileName};
use crate::protocol::{
    self, ErrorReply, GetReply, HelloReply, LineError, ListReply, PutReply, Request, RmReply, StatReply,
    Trailer,
};
use crate::store::{Content, Upload, Verified};

/// Bodies up to this size are copied through the reply buffer (so many small files share
/// packets); larger ones go from the file to the socket directly (see `send_body`).
const SMALL_BODY: u64 = 64 * 1024;

/// Verified uploads waiting for their batch commit are committed at the latest at this many
/// files, or once the bodies they received add up to this many bytes.
const BATCH_FILES: usize = 64;
const BATCH_BYTES: u64 = 32 << 20;

/// What to do after a request.
enum Next {
    Continue,
    Close,
}

/// How a put's body ended before its trailer.
enum Received {
    /// The connection broke after this many bytes; the partial is kept.
    Cut(u64, Error),
    /// The body broke a rule (too large, bad framing) after this many bytes: answer and close.
    Fatal(u64, Error),
    /// The store failed (disk full…) after this many bytes; what is left of the body to skip.
    Store(u64, Option<Body>, Error),
}

/// A put's body: a declared number of bytes, or a stream of chunks.
#[derive(Clone, Copy)]
enum Body {
    Sized(u64),
    Stream,
}

/// The result of one put. Nothing is answered yet: replies go out in request order, so the
/// verified uploads waiting for their batch commit are answered first.
enum Outcome {
    /// To be answered with this error: next step, body bytes received, the error.
    Refused(Next, u64, Error),
    /// The connection broke after this many body bytes: nobody to answer.
    Cut(u64, Error),
    /// Verified; to be committed (and answered) with the batch.
    Deferred(Box<Verified>, bool, u64),
}

/// A verified upload awaiting the batch commit, with what its log line needs.
struct Pending {
    verified: Box<Verified>,
    force: bool,
    name: String,
    bytes: u64,
    started: Instant,
}

struct Conn<'a> {
    shared: &'a Shared,
    peer: String,
    reader: BufReader<TcpStream>,
    writer: BufWriter<TcpStream>,
    line: Vec<u8>,
    pending: Vec<Pending>,
}

/// Serves one connection until it closes, errs, idles out or the server stops.
pub(super) fn handle(stream: TcpStream, shared: &Shared) {
    let peer = stream
        .peer_addr()
        .map(|a: SocketAddr| a.to_string())
        .unwrap_or_else(|_| "?".into());
    let timeout = Some(shared.settings.idle_timeout);
    let setup = stream
        .set_nodelay(true)
        .and_then(|()| stream.set_read_timeout(timeout))
        .and_then(|()| stream.set_write_timeout(timeout))
        .and_then(|()| stream.try_clone());
    let write_half = match setup {
        Ok(s) => s,
        Err(e) => {
            shared
                .log
                .line(&format!("{peer} setup failed: {}", crate::error::describe_io(&e)));
            return;
        }
    };
    shared.log.debug(&format!("{peer} connected"));
    // The first bytes pick the dialect: native (`NF/`) or one of the old text dialects.
    let dialect = compat::sniff(&stream, shared.settings.idle_timeout);
    let settings = &shared.settings;
    let old_allowed = settings.compat && (settings.token.is_none() || settings.compat_allow_without_token);
    if matches!(dialect, Ok(Sniff::Old)) && old_allowed {
        compat::serve(stream, write_half, shared, &peer);
        shared.log.debug(&format!("{peer} closed"));
        return;
    }
    let mut conn = Conn {
        shared,
        peer,
        reader: BufReader::with_capacity(CHUNK, stream),
        writer: BufWriter::with_capacity(64 * 1024, write_half),
        line: Vec::new(),
        pending: Vec::new(),
    };
    match dialect {
        Ok(Sniff::Native) => conn.run(),
        Ok(Sniff::Old) => conn.refuse_old_dialect(),
        Ok(Sniff::Closed) => {}
        Err(e) => shared.log.line(&format!(
            "{} bad request: {}",
            conn.peer,
            crate::error::describe_io(&e)
        )),
    }
    conn.linger();
    shared.log.debug(&format!("{} closed", conn.peer));
}

impl Conn<'_> {
    /// Closes politely: flush the last reply, send FIN, then read and drop what the client is
    /// still sending (bounded in bytes and time), so that closing does not reset the
    /// connection before the client has read the reply.
    fn linger(&mut self) {
        let _ = self.writer.flush();
        let stream = self.reader.get_ref();
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(500)));
        let mut left: usize = 4 << 20;
        let mut sink = [0u8; 16 * 1024];
        let mut stream = self.reader.get_ref();
        while left > 0 {
            match stream.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    }

    fn run(&mut self) {
        if self.handshake() {
            self.serve();
        }
        // Uploads verified before the connection ended are committed and answered all the same.
        self.commit_pending();
    }

    fn serve(&mut self) {
        loop {
            if self.reader.buffer().is_empty() {
                // Nothing more pipelined in hand: commit the batch and send the replies.
                self.commit_pending();
                if self.writer.flush().is_err() {
                    return;
                }
            }
            let max = self.shared.settings.max_header_bytes;
            let deadline = Some(Instant::now() + self.shared.settings.idle_timeout);
            let request =
                match protocol::read_message_by::<Request>(&mut self.reader, max, &mut self.line, deadline) {
                    Ok(r) => r,
                    Err(LineError::Closed) => return,
                    Err(e) => {
                        self.commit_pending();
                        self.fail_line(&e);
                        return;
                    }
                };
            let started = Instant::now();
            let op = request.op();
            if !matches!(request, Request::Put { .. }) {
                // Replies go out in request order: answer the waiting puts first.
                self.commit_pending();
            }
            let (next, name, bytes, result) = match request {
                Request::Put {
                    name,
                    size,
                    offset,
                    force,
                } => match self.put(&name, size, offset, force) {
                    Outcome::Refused(next, bytes, err) => {
                        self.commit_pending();
                        (next, Some(name), bytes, self.reply_error(err))
                    }
                    Outcome::Cut(bytes, err) => {
                        self.commit_pending();
                        (Next::Close, Some(name), bytes, Err(err))
                    }
                    Outcome::Deferred(verified, force, bytes) => {
                        self.pending.push(Pending {
                            verified,
                            force,
                            name,
                            bytes,
                            started,
                        });
                        let held: u64 = self.pending.iter().map(|p| p.bytes).sum();
                        if self.pending.len() >= BATCH_FILES || held >= BATCH_BYTES {
                            self.commit_pending();
                        }
                        continue;
                    }
                },
                other => self.dispatch(other),
            };
            self.log(op, name.as_deref(), bytes, started, &result);
            if let Next::Close = next {
                return;
            }
        }
    }

    /// Commits the verified uploads waiting in this connection and answers each.
    fn commit_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let (batch, info): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .map(|p| ((*p.verified, p.force), (p.name, p.bytes, p.started)))
            .unzip();
        let results = self.shared.store.commit(batch);
        for (result, (name, bytes, started)) in results.into_iter().zip(info) {
            let answered = match result {
                Ok(file) => self.reply(&PutReply { ok: true, file }),
                Err(e) => self.reply_error(e),
            };
            self.log("put", Some(&name), bytes, started, &answered);
        }
    }

    fn log(&self, op: &str, name: Option<&str>, bytes: u64, started: Instant, result: &Result<(), Error>) {
        let error = result.as_ref().err();
        self.shared
            .log
            .request(&self.peer, op, name, bytes, started, error);
    }

    /// Reads the greeting and the hello; answers a version mismatch in words.
    fn handshake(&mut self) -> bool {
        let started = Instant::now();
        if let Err(e) = protocol::read_line_by(
            &mut self.reader,
            64,
            &mut self.line,
            Some(started + self.shared.settings.idle_timeout),
        ) {
            if !matches!(e, LineError::Closed) {
                self.fail_line(&e);
            }
            return false;
        }
        let version = match protocol::parse_greeting(&self.line) {
            Some(v) => v,
            None => {
                let err = Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "this is an nf server (protocol {}); expected the greeting NF/{}",
                        protocol::VERSION,
                        protocol::VERSION
                    ),
                );
                self.log_refusal("greeting", &err, started);
                let _ = self.send_error(&err);
                return false;
            }
        };
        if version != protocol::VERSION {
            let err = Error::new(
                ErrorKind::Version,
                format!(
                    "this server speaks nf protocol {}, the client speaks {version}; use the same nf version on both sides (server: {})",
                    protocol::VERSION,
                    protocol::software()
                ),
            );
            self.log_refusal("hello", &err, started);
            let _ = self.send_error(&err);
            return false;
        }
        match protocol::read_message_by::<Request>(
            &mut self.reader,
            self.shared.settings.max_header_bytes,
            &mut self.line,
            Some(started + self.shared.settings.idle_timeout),
        ) {
            Ok(Request::Hello { token, .. }) => {
                if let Some(expected) = &self.shared.settings.token {
                    if !token_matches(expected, token.as_deref().unwrap_or("")) {
                        let err = Error::new(
                            ErrorKind::Auth,
                            "this server needs a token: set the same `token` (or NF_TOKEN) on the client",
                        );
                        self.log_refusal("hello", &err, started);
                        let _ = self.send_error(&err);
                        return false;
                    }
                }
            }
            Ok(other) => {
                let err = Error::new(ErrorKind::Protocol, format!("expected hello, got {}", other.op()));
                let _ = self.send_error(&err);
                return false;
            }
            Err(e) => {
                self.fail_line(&e);
                return false;
            }
        }
        let reply = HelloReply {
            ok: true,
            version: protocol::VERSION,
            server: protocol::software(),
            max_file_size: Some(self.shared.settings.max_file_size),
        };
        protocol::write_message(&mut self.writer, &reply).is_ok()
    }

    /// Answers an old-dialect client while they are turned off (`compat = false`), or while a
    /// token is required (they cannot send one): one error line at once (such clients may never
    /// end their line), then the connection closes.
    fn refuse_old_dialect(&mut self) {
        let err = if self.shared.settings.compat {
            // On only for clients that can send a token: the old dialects cannot.
            Error::new(
                ErrorKind::Auth,
                "this server needs a token, which the old text dialects cannot send \
                 (the server may set compat_allow_without_token = true to let them in)",
            )
        } else {
            Error::new(
                ErrorKind::Protocol,
                format!(
                    "this is an nf server (protocol {v}); expected the greeting NF/{v} (the old text \
                     dialects are turned off on this server)",
                    v = protocol::VERSION
                ),
            )
        };
        self.log_refusal("greeting", &err, Instant::now());
        let _ = self.send_error(&err);
    }

    fn log_refusal(&self, op: &str, err: &Error, started: Instant) {
        self.shared
            .log
            .request(&self.peer, op, None, 0, started, Some(err));
    }

    /// Answers a header that could not be read, then the connection closes.
    fn fail_line(&mut self, e: &LineError) {
        let kind = match e {
            LineError::TooLong(_) => ErrorKind::TooLarge,
            LineError::Io(err) => crate::error::kind_of_io(err),
            _ => ErrorKind::Protocol,
        };
        let err = Error::new(kind, e.to_string());
        self.shared
            .log
            .line(&format!("{} bad request: {}", self.peer, err.message));
        if !matches!(e, LineError::Io(_) | LineError::Truncated) {
            let _ = self.send_error(&err);
        }
    }

    fn send_error(&mut self, err: &Error) -> io::Result<()> {
        let reply = ErrorReply {
            ok: false,
            code: err.kind.code().to_string(),
            message: err.message.clone(),
        };
        protocol::write_message(&mut self.writer, &reply)?;
        self.writer.flush()
    }

    fn name(&self, raw: &str) -> Result<FileName, Error> {
        self.shared.file_name(raw.as_bytes())
    }

    /// Runs one request; returns what to do next, the name and byte count for the log, and
    /// the result.
    fn dispatch(&mut self, request: Request) -> (Next, Option<String>, u64, Result<(), Error>) {
        match request {
            Request::Get { name, offset } => {
                let (next, bytes, result) = self.get(&name, offset);
                (next, Some(name), bytes, result)
            }
            Request::Stat { name } => {
                let result = self.name(&name).and_then(|n| self.shared.store.stat(&n));
                let result = match result {
                    Ok((file, partial)) => self.reply(&StatReply {
                        ok: true,
                        file,
                        partial,
                    }),
                    Err(e) => self.reply_error(e),
                };
                (Next::Continue, Some(name), 0, result)
            }
            Request::List { pattern } => {
                let result = match self.shared.store.list(pattern.as_deref()) {
                    Ok(files) => {
                        let count = files.len() as u64;
                        self.reply(&ListReply { ok: true, count }).and_then(|()| {
                            for f in &files {
                                protocol::write_message(&mut self.writer, f)
                                    .map_err(|e| Error::io("send", &e))?;
                            }
                            Ok(())
                        })
                    }
                    Err(e) => self.reply_error(e),
                };
                (Next::Continue, pattern, 0, result)
            }
            Request::Rm { name } => {
                let result = self.name(&name).and_then(|n| {
                    if self.shared.settings.read_only {
                        return Err(read_only_error());
                    }
                    self.shared.store.remove(&n)
                });
                let result = match result {
                    Ok(()) => self.reply(&RmReply {
                        ok: true,
                        name: name.clone(),
                    }),
                    Err(e) => self.reply_error(e),
                };
                (Next::Continue, Some(name), 0, result)
            }
            Request::Hello { .. } => {
                let err = Error::new(ErrorKind::Protocol, "hello was already received");
                let result = self.reply_error(err);
                (Next::Close, None, 0, result)
            }
            Request::Put { .. } => unreachable!("puts are handled by serve"),
        }
    }

    fn reply<T: serde::Serialize>(&mut self, msg: &T) -> Result<(), Error> {
        protocol::write_message(&mut self.writer, msg).map_err(|e| Error::io("cannot send the reply", &e))
    }

    /// Sends `err` as the reply and returns it as the request's result (for the log).
    fn reply_error(&mut self, err: Error) -> Result<(), Error> {
        let reply = ErrorReply {
            ok: false,
            code: err.kind.code().to_string(),
            message: err.message.clone(),
        };
        match protocol::write_message(&mut self.writer, &reply) {
            Ok(()) => Err(err),
            Err(e) => Err(Error::io("cannot send the reply", &e)),
        }
    }

    fn put(&mut self, raw_name: &str, size: Option<u64>, offset: u64, force: bool) -> Outcome {
        let limits = &self.shared.settings;
        let refused = match size {
            Some(size) if offset > size => Some(Error::new(
                ErrorKind::Protocol,
                format!("offset {offset} is past the end of a {size}-byte file"),
            )),
            Some(size) if size > limits.max_file_size => Some(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{size} bytes is over this server's limit of {} bytes",
                    limits.max_file_size
                ),
            )),
            None if offset > 0 => Some(Error::new(
                ErrorKind::Protocol,
                "a streamed upload (no size) cannot continue from an offset",
            )),
            _ => None,
        };
        if let Some(err) = refused {
            // The body cannot be trusted or skipped: answer and close.
            return Outcome::Refused(Next::Close, 0, err);
        }
        let body = match size {
            Some(size) => Body::Sized(size - offset),
            None => Body::Stream,
        };
        let store = &self.shared.store;
        let read_only = self.shared.settings.read_only;
        // A stream cannot be resumed: its partial is never kept.
        let resumable = size.is_some_and(|s| s >= limits.resume_min_bytes);
        let prepared = self.name(raw_name).and_then(|name| {
            if read_only {
                return Err(read_only_error());
            }
            if !force && store.exists(&name) {
                return Err(Error::exists(quote(name.as_str())));
            }
            store.begin_upload(&name, offset, size, resumable)
        });
        let mut upload = match prepared {
            Ok(u) => u,
            // Refused before the body: skip it to keep the stream in step, then answer.
            Err(err) => return self.skip_and_refuse(Some(body), 0, err),
        };
        let got = match self.receive(&mut upload, body) {
            Ok(got) => got,
            Err(Received::Cut(got, err)) => return Outcome::Cut(got, err),
            Err(Received::Fatal(got, err)) => {
                upload.discard();
                return Outcome::Refused(Next::Close, got, err);
            }
            Err(Received::Store(got, rest, err)) => {
                // Disk full or similar: drop the partial, skip the rest and the trailer, answer.
                upload.discard();
                return self.skip_and_refuse(rest, got, err);
            }
        };
        let trailer = match self.read_trailer() {
            Ok(t) => t,
            Err(e) => return Outcome::Refused(Next::Close, got, e),
        };
        if let Some(why) = trailer.cancel {
            upload.discard();
            let err = Error::new(
                ErrorKind::Interrupted,
                format!(
                    "the client canceled the upload of {} ({}); nothing was stored",
                    quote(raw_name),
                    crate::name::quote(&why)
                ),
            );
            return Outcome::Refused(Next::Continue, got, err);
        }
        match upload.finish(Some(&trailer.blake3)) {
            Ok(verified) => Outcome::Deferred(Box::new(verified), force, got),
            Err(e) => Outcome::Refused(Next::Continue, got, e),
        }
    }

    /// Skips what is left of a body (`None`: nothing) and the trailer, then answers `err`.
    fn skip_and_refuse(&mut self, left: Option<Body>, got: u64, err: Error) -> Outcome {
        let skipped = match left {
            Some(body) => self.skip(body),
            None => Ok(()),
        };
        if skipped.and_then(|()| self.read_trailer()).is_err() {
            return Outcome::Cut(got, err);
        }
        Outcome::Refused(Next::Continue, got, err)
    }

    /// Streams a body from the connection into `upload`, hashing it on the way; returns the
    /// bytes received. After a failed write (disk full…) the rest of a sized body, or of the
    /// chunk, is still read, and the error says what is left.
    fn receive(&mut self, upload: &mut Upload, body: Body) -> Result<u64, Received> {
        let len = match body {
            Body::Sized(len) => len,
            Body::Stream => return self.receive_stream(upload),
        };
        match upload.receive(&mut self.reader, len) {
            Ok(None) => Ok(len),
            Ok(Some(err)) => Err(Received::Store(len, None, err)),
            Err((got, e)) => Err(Received::Cut(got, cut_error(got, Some(len), &e))),
        }
    }

    /// Receives a streamed body chunk by chunk, within `max_file_size`.
    fn receive_stream(&mut self, upload: &mut Upload) -> Result<u64, Received> {
        let max = self.shared.settings.max_file_size;
        let mut got = 0u64;
        loop {
            let len = match self.read_chunk_header() {
                Ok(0) => return Ok(got),
                Ok(len) => len,
                Err(LineError::Invalid(why)) => {
                    return Err(Received::Fatal(got, Error::new(ErrorKind::Protocol, why)))
                }
                Err(LineError::Io(e)) => return Err(Received::Cut(got, cut_error(got, None, &e))),
                Err(_) => {
                    let eof = io::ErrorKind::UnexpectedEof.into();
                    return Err(Received::Cut(got, cut_error(got, None, &eof)));
                }
            };
            if got + len > max {
                let err = Error::new(
                    ErrorKind::TooLarge,
                    format!("the stream is over this server's limit of {max} bytes; nothing was stored"),
                );
                return Err(Received::Fatal(got, err));
            }
            match upload.receive(&mut self.reader, len) {
                Ok(None) => got += len,
                Ok(Some(err)) => return Err(Received::Store(got + len, Some(Body::Stream), err)),
                Err((n, e)) => return Err(Received::Cut(got + n, cut_error(got + n, None, &e))),
            }
        }
    }

    fn read_chunk_header(&mut self) -> Result<u64, LineError> {
        let deadline = Some(Instant::now() + self.shared.settings.idle_timeout);
        protocol::read_chunk_header(&mut self.reader, &mut self.line, deadline)
    }

    /// Reads and discards the rest of a body.
    fn skip(&mut self, body: Body) -> Result<(), Error> {
        let n = match body {
            Body::Sized(n) => n,
            Body::Stream => loop {
                match self.read_chunk_header() {
                    Ok(0) => return Ok(()),
                    Ok(len) => self.skip(Body::Sized(len))?,
                    Err(e) => return Err(Error::new(ErrorKind::Protocol, e.to_string())),
                }
            },
        };
        let copied = io::copy(&mut (&mut self.reader).take(n), &mut io::sink())
            .map_err(|e| Error::io("connection failed", &e))?;
        if copied < n {
            return Err(cut_error(copied, Some(n), &io::ErrorKind::UnexpectedEof.into()));
        }
        Ok(())
    }

    fn read_trailer(&mut self) -> Result<Trailer, Error> {
        protocol::read_message_by::<Trailer>(
            &mut self.reader,
            self.shared.settings.max_header_bytes,
            &mut self.line,
            Some(Instant::now() + self.shared.settings.idle_timeout),
        )
        .map_err(|e| Error::new(ErrorKind::Protocol, format!("bad trailer after the body: {e}")))
    }

    fn get(&mut self, raw_name: &str, offset: u64) -> (Next, u64, Result<(), Error>) {
        let opened = self
            .name(raw_name)
            .and_then(|n| self.shared.store.read(&n, offset));
        let (content, info) = match opened {
            Ok(x) => x,
            Err(e) => return (Next::Continue, 0, self.reply_error(e)),
        };
        if offset > info.size {
            let err = Error::new(
                ErrorKind::Protocol,
                format!(
                    "offset {offset} is past the end of {} ({} bytes)",
                    quote(raw_name),
                    info.size
                ),
            );
            return (Next::Continue, 0, self.reply_error(err));
        }
        let body = info.size - offset;
        if let Err(e) = self.reply(&GetReply {
            ok: true,
            file: info,
            offset,
        }) {
            return (Next::Close, 0, Err(e));
        }
        match self.send_body(content, body) {
            Ok(sent) => (Next::Continue, sent, Ok(())),
            Err((sent, e)) => (Next::Close, sent, Err(e)),
        }
    }

    /// Sends `body` bytes of `content` (already at the offset asked for); on failure, says how
    /// many went out.
    fn send_body(&mut self, content: Content, body: u64) -> Result<u64, (u64, Error)> {
        let (copied, sent) = if body > SMALL_BODY {
            // Straight to the socket, CHUNK bytes at a time, from a file or the object store
            // alike: io::copy moves a BufReader's whole buffer per write. Without it std reads
            // and sends 8 KiB at a time (it has no sendfile path towards a socket): 1 GiB to
            // `nf get -o -` took 465-483 ms that way and 381-419 ms with CHUNK, and a file not
            // in the page cache (one uploaded with O_DIRECT) reads at the disk's speed with
            // large reads only. sendfile(2) was slower on loopback; see bench/RESULTS.md.
            if let Err(e) = self.writer.flush() {
                return Err((0, peer_error("download interrupted", &e)));
            }
            let mut to = Counting::new(self.writer.get_mut());
            let mut from = BufReader::with_capacity(CHUNK, content.take(body));
            (io::copy(&mut from, &mut to), to.sent)
        } else {
            let mut to = Counting::new(&mut self.writer);
            (io::copy(&mut content.take(body), &mut to), to.sent)
        };
        match copied {
            Ok(n) if n < body => Err((
                sent,
                Error::new(ErrorKind::Other, "the stored file shrank while it was being sent"),
            )),
            Ok(_) => Ok(sent),
            Err(e) => Err((sent, peer_error("download interrupted", &e))),
        }
    }
}

/// A writer that counts the bytes it passed on, so that a download cut off can be logged with
/// the bytes that really went out.
struct Counting<W> {
    inner: W,
    sent: u64,
}

impl<W: Write> Counting<W> {
    fn new(inner: W) -> Counting<W> {
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

/// Classifies a failure of the connection while doing `what`: the client hanging up (reset,
/// closed, broken pipe) is [`ErrorKind::Hangup`], logged as such rather than as an error.
fn peer_error(what: &str, e: &io::Error) -> Error {
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

/// Compares a token in time that does not depend on where the first difference is.
fn token_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for (i, x) in a.iter().enumerate() {
        diff |= x ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// The refusal of a write on a read-only server.
fn read_only_error() -> Error {
    Error::new(
        ErrorKind::Denied,
        "this server is read-only: put and rm are refused",
    )
}

/// The error for a body cut off after `got` bytes by `e`.
fn cut_error(got: u64, want: Option<u64>, e: &io::Error) -> Error {
    let of = want.map(|w| format!(" of {w}")).unwrap_or_default();
    peer_error(&format!("upload interrupted after {got}{of} bytes"), e)
}

#[cfg(test)]
mod tests {
    use super::token_matches;

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cret", "s3cres"));
        assert!(!token_matches("s3cret", "s3cre"));
        assert!(!token_matches("s3cret", "s3cret!"));
        assert!(!token_matches("s3cret", ""));
        assert!(token_matches("", ""));
    }
}
