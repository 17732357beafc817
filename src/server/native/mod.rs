//! The native protocol on the server, after the handshake (which the accept loop answers,
//! see [`hello`]): a [`Session`] serves the requests that are in hand, one file per operation
//! ([`put`], [`get`], [`stat`], [`list`], [`rm`], [`mkdir`], [`mv`], [`share`]), each returning a
//! [`Handled`] for its log line; verified uploads wait in [`batch`] to be committed together. Every request gets
//! exactly one reply, in order. When no complete request line is buffered, the session hands
//! its connection back to the accept loop ([`Next::Park`]): a connection waiting for its
//! next request holds no worker.

mod batch;
mod get;
pub mod hello;
mod list;
mod mkdir;
mod mv;
mod put;
mod receipts;
mod rm;
mod share;
mod stat;

use std::io::{self, BufRead, Read, Write};
use std::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::hashpipe::CHUNK;
use crate::name::FileName;
use crate::protocol::{self, ErrorReply, LineError, Request};
use crate::server::body::{self, cut_error, peer_error};
use crate::service::{Principal, Service};
use crate::transport::{Stream, Transport};

/// What to do after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Go on with the next request.
    Continue,
    /// Close the connection (after the reply): the stream cannot be trusted to be in step.
    Close,
    /// Nothing more is in hand: give the connection back to the accept loop to wait.
    Park,
}

/// What one request did, for its log line.
pub struct Handled {
    pub next: Next,
    /// The name it was about, as sent.
    pub name: Option<String>,
    /// Body bytes that really moved.
    pub bytes: u64,
    pub result: Result<(), Error>,
}

impl Handled {
    fn new(name: Option<String>, bytes: u64, result: Result<(), Error>) -> Handled {
        Handled {
            next: Next::Continue,
            name,
            bytes,
            result,
        }
    }

    fn closing(mut self) -> Handled {
        self.next = Next::Close;
        self
    }
}

/// One native connection being served by a worker.
pub struct Session<'a> {
    svc: &'a Service,
    peer: String,
    /// Who this connection acts for: settled by the hello, carried into every operation.
    who: Principal,
    stream: Stream,
    line: Vec<u8>,
    pending: batch::Pending,
}

impl<'a> Session<'a> {
    /// A session acting for `who` (settled by the hello).
    pub fn new(transport: Transport, svc: &'a Service, who: Principal) -> Session<'a> {
        let peer = transport
            .peer()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "?".into());
        Session {
            svc,
            peer,
            who,
            stream: Stream::new(transport, CHUNK, 64 * 1024),
            line: Vec::new(),
            pending: batch::Pending::default(),
        }
    }

    /// Who this connection acts for.
    pub fn who(&self) -> &Principal {
        &self.who
    }

    /// Serves every request in hand; returns [`Next::Park`] when the next is not complete yet,
    /// or [`Next::Close`] when the connection ends.
    pub fn serve(&mut self) -> Next {
        let next = self.serve_requests();
        // Uploads verified before the connection ended are committed and answered all the same.
        self.commit_pending();
        if self.stream.flush().is_err() {
            return Next::Close;
        }
        next
    }

    fn serve_requests(&mut self) -> Next {
        loop {
            match self.line_in_hand() {
                Ok(true) => {}
                Ok(false) => return Next::Park,
                Err(_) => return Next::Close,
            }
            let max = self.svc.settings.max_header_bytes;
            let request = match protocol::read_message::<Request>(&mut self.stream, max, &mut self.line) {
                Ok(r) => r,
                Err(LineError::Closed) => return Next::Close,
                Err(e) => {
                    self.commit_pending();
                    self.fail_line(&e);
                    return Next::Close;
                }
            };
            self.stream.transport().begin_request();
            let started = Instant::now();
            let op = request.op();
            if !matches!(request, Request::Put { .. }) || self.pending.due() {
                // Replies go out in request order: answer the waiting puts first (and do not
                // keep them waiting behind another body for long).
                self.commit_pending();
            }
            let handled = match request {
                Request::Put {
                    name,
                    size,
                    offset,
                    force,
                    modified,
                    mode,
                    receipt,
                } => match self.put(&name, size, offset, force, modified.as_deref(), mode.as_deref()) {
                    put::Outcome::Refused(next, bytes, err) => {
                        self.commit_pending();
                        let result = self.reply_error(err);
                        Handled {
                            next,
                            name: Some(name),
                            bytes,
                            result,
                        }
                    }
                    put::Outcome::Cut(bytes, err) => {
                        self.commit_pending();
                        Handled::new(Some(name), bytes, Err(err)).closing()
                    }
                    put::Outcome::Deferred(verified, force, bytes) => {
                        if self.pending.add(verified, (force, receipt), name, bytes, started) {
                            self.commit_pending();
                        }
                        continue;
                    }
                },
                Request::Get { name, offset } => self.get(name, offset),
                Request::Stat { name } => self.stat(name),
                Request::List {
                    path,
                    recursive,
                    pattern,
                } => self.list(path, recursive, pattern),
                Request::Rm { name, recursive } => self.rm(name, recursive),
                Request::Mkdir { name } => self.mkdir(name),
                Request::Mv { from, to, force } => self.mv(from, to, force),
                Request::Receipts { path, since, who } => self.receipts(path, since, who),
                Request::Share {
                    path,
                    upload,
                    expires_secs,
                    max_uses,
                } => self.share(path, (upload, expires_secs, max_uses)),
                Request::Shares => self.shares(),
                Request::Unshare { id } => self.unshare(id),
                Request::Hello { .. } => {
                    let err = Error::new(ErrorKind::Protocol, "hello was already received");
                    Handled::new(None, 0, self.reply_error(err)).closing()
                }
            };
            self.log(
                op,
                handled.name.as_deref(),
                handled.bytes,
                started,
                &handled.result,
            );
            if handled.next != Next::Continue {
                return handled.next;
            }
        }
    }

    /// True when a whole request line is buffered (the next request can be served without
    /// waiting on the client).
    fn line_in_hand(&mut self) -> io::Result<bool> {
        if self.stream.buffered().is_empty() && !self.stream.transport_ref().has_ahead() {
            return Ok(false);
        }
        Ok(self.stream.fill_buf()?.contains(&b'\n'))
    }

    /// The connection, with what is buffered and unread, for the accept loop to wait on.
    pub fn into_transport(self) -> Transport {
        self.stream.into_transport()
    }

    /// Closes politely (see [`body::linger`]).
    pub fn linger(self) {
        body::linger(self.stream)
    }

    fn commit_pending(&mut self) {
        let (at, answered) = self.pending.commit(self.svc, &self.who);
        let answered_any = !answered.is_empty();
        for (reply, receipt, name, bytes, started) in answered {
            let result = match reply {
                Ok(entry) => {
                    // A file committed through an upload link is one of its uses.
                    self.svc.share_used(&self.who);
                    let receipt = receipt
                        .then(|| self.svc.receipt_or_log(&self.who, &entry, at))
                        .flatten();
                    self.reply(&protocol::PutReply {
                        ok: true,
                        file: crate::service::wire(&entry),
                        receipt,
                    })
                }
                Err(e) => self.reply_error(e),
            };
            self.log("put", Some(&name), bytes, started, &result);
        }
        if answered_any {
            // Stream the replies: the client may be waiting on them to send more.
            let _ = self.stream.flush();
        }
    }

    fn log(&self, op: &str, name: Option<&str>, bytes: u64, started: Instant, result: &Result<(), Error>) {
        self.svc.log.request_by(
            (&self.peer, &self.who),
            op,
            name,
            bytes,
            started,
            result.as_ref().err(),
        );
    }

    /// Answers a header that could not be read, then the connection closes.
    fn fail_line(&mut self, e: &LineError) {
        let kind = match e {
            LineError::TooLong(_) => ErrorKind::TooLarge,
            LineError::Io(err) => crate::error::kind_of_io(err),
            _ => ErrorKind::Protocol,
        };
        let err = Error::new(kind, e.to_string());
        self.svc
            .log
            .line(&format!("{} bad request: {}", self.peer, err.message));
        if !matches!(e, LineError::Io(_) | LineError::Truncated) {
            let _ = self.reply_error(err);
        }
    }

    fn name(&self, raw: &str) -> Result<FileName, Error> {
        self.svc.file_name(raw.as_bytes())
    }

    fn reply<T: serde::Serialize>(&mut self, msg: &T) -> Result<(), Error> {
        protocol::write_message(&mut self.stream, msg).map_err(|e| Error::io("cannot send the reply", &e))
    }

    /// Sends `err` as the reply and returns it as the request's result (for the log).
    fn reply_error(&mut self, err: Error) -> Result<(), Error> {
        let reply = ErrorReply::of(&err);
        match protocol::write_message(&mut self.stream, &reply) {
            Ok(()) => Err(err),
            Err(e) => Err(Error::io("cannot send the reply", &e)),
        }
    }

    /// Reads and discards `n` body bytes.
    fn skip_bytes(&mut self, n: u64) -> Result<(), Error> {
        let copied = io::copy(&mut (&mut self.stream).take(n), &mut io::sink())
            .map_err(|e| peer_error("connection failed", &e))?;
        if copied < n {
            return Err(cut_error(copied, Some(n), &io::ErrorKind::UnexpectedEof.into()));
        }
        Ok(())
    }
}

/// Writes a refusal line to a native client that has not been served (busy, or the old
/// dialects refused), through any writer.
pub fn write_refusal(out: &mut impl Write, err: &Error) -> io::Result<()> {
    out.write_all(&super::router::native_refusal(err))?;
    out.flush()
}
