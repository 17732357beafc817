//! HTTP/1.1 (and 1.0) on nf's port, for curl, wget, scripts and browsers: GET and HEAD of a
//! file with ranges and conditions ([`get`]), PUT through the same verified, atomic upload
//! path as `nf put` ([`put`]), DELETE ([`delete`]), folder pages as HTML, the JSON of
//! `nf ls --json`, or one streamed tar ([`folder`], [`tar`]), the token as Bearer or Basic
//! credentials ([`auth`]), tus resumable uploads ([`tus`]), and share links' `/s/ID`
//! ([`share`]). The request head is parsed with httparse ([`head`]); the URL becomes a name in
//! one place ([`target`]); responses are written by [`response`].
//!
//! A [`Session`] runs on a worker like a native one: the front door hands it a connection with
//! a whole request head in hand; it serves every request in hand (pipelined ones in order,
//! replies buffered and flushed together) and, when none is, gives the connection back to the
//! front door to wait ([`Next::Park`]). It depends on the service layer only.

mod auth;
mod conditional;
mod date;
mod dav;
mod delete;
mod digest;
mod folder;
mod get;
mod guard;
pub mod head;
mod mime;
mod page;
mod put;
mod response;
mod share;
mod tar;
mod target;
mod tus;

use std::io::{self, BufRead, Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use self::head::{Body, Head, Method, Refusal};
use self::response::{write_head, Framing};
use self::target::Path;
use crate::error::{Error, ErrorKind};
use crate::hashpipe::CHUNK;
use crate::server::body;
use crate::service::{Principal, Service};
use crate::transport::{Stream, Transport};

/// What to do after the requests in hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing more is in hand: give the connection back to the front door to wait.
    Park,
    /// Close the connection.
    Close,
}

/// A body left unread after a response at most this long is read and dropped to keep the
/// connection; a longer one closes it.
const DRAIN_MAX: u64 = 64 * 1024;

/// The methods served, for `Allow`.
const ALLOW: &str = "GET, HEAD, PUT, DELETE, OPTIONS";

/// What one request did: its status (none if the client went away first), the name it was
/// about, the body bytes that moved, and its result, for the log line; and whether the
/// connection goes on.
struct Done {
    status: Option<u16>,
    name: Option<String>,
    bytes: u64,
    result: Result<(), Error>,
    keep: bool,
}

/// One HTTP connection being served by a worker.
pub struct Session<'a> {
    svc: &'a Service,
    peer: String,
    peer_ip: IpAddr,
    /// Who the current request acts for (its credentials), carried into every operation.
    who: Principal,
    /// The current request presented credentials (without, a refusal asks for them: 401).
    presented: bool,
    /// The request just served is not to be logged on its own line.
    unlogged: bool,
    stream: Stream,
    /// The current request's body, as far as it has not been read.
    unread: Body,
    /// A `100 Continue` went out for the current request.
    continued: bool,
}

impl<'a> Session<'a> {
    pub fn new(transport: Transport, svc: &'a Service) -> Session<'a> {
        let addr = transport.peer();
        let peer = addr.map(|a| a.to_string()).unwrap_or_else(|| "?".into());
        Session {
            svc,
            peer,
            peer_ip: addr.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip()),
            who: svc.admitted(),
            presented: false,
            unlogged: false,
            stream: Stream::new(transport, CHUNK, 64 * 1024),
            unread: Body::None,
            continued: false,
        }
    }

    /// Serves every request in hand; [`Next::Park`] when the next is not complete yet.
    pub fn serve(&mut self) -> Next {
        let next = self.serve_requests();
        if self.stream.flush().is_err() {
            return Next::Close;
        }
        next
    }

    fn serve_requests(&mut self) -> Next {
        loop {
            match self.head_in_hand() {
                Ok(true) => {}
                Ok(false) => return Next::Park,
                Err(_) => return Next::Close,
            }
            self.stream.transport().begin_request();
            let started = Instant::now();
            let head = match self.read_head() {
                Ok(head) => head,
                Err(refusal) => {
                    let err = Error::new(ErrorKind::Protocol, refusal.reason.clone());
                    self.svc.log.request_by(
                        (&self.peer, &self.who),
                        &format!("HTTP {}", refusal.status),
                        None,
                        0,
                        started,
                        Some(&err),
                    );
                    let _ = self.send_text(1, refusal.status, &[], &response::error_text(&err), false, false);
                    return Next::Close;
                }
            };
            self.unread = head.body().unwrap_or(Body::None);
            self.continued = false;
            let mut done = self.handle(&head);
            if done.keep && self.unread != Body::None {
                done.keep = self.drain();
            }
            let op = match done.status {
                Some(status) => format!("{} {status}", head.method.as_str()),
                None => format!("{} -", head.method.as_str()),
            };
            if !std::mem::take(&mut self.unlogged) {
                self.svc.log.request_by(
                    (&self.peer, &self.who),
                    &op,
                    done.name.as_deref(),
                    done.bytes,
                    started,
                    done.result.as_ref().err(),
                );
            }
            if !done.keep || self.svc.is_stopping() {
                return Next::Close;
            }
        }
    }

    /// The connection, with what is buffered and unread, for the front door to wait on.
    pub fn into_transport(self) -> Transport {
        self.stream.into_transport()
    }

    /// Closes politely (see [`body::linger`]).
    pub fn linger(self) {
        body::linger(self.stream)
    }

    /// True when a whole request head is buffered (served without waiting on the client).
    fn head_in_hand(&mut self) -> io::Result<bool> {
        if self.stream.buffered().is_empty() && !self.stream.transport_ref().has_ahead() {
            return Ok(false);
        }
        let max = self.svc.settings.max_header_bytes;
        let buf = self.stream.fill_buf()?;
        Ok(head::end(buf).is_some() || buf.len() > max)
    }

    /// Reads the head in hand, straight from the buffer: `max_header_bytes` is at most the
    /// buffer's size, so [`Self::head_in_hand`] has seen its end or its excess.
    fn read_head(&mut self) -> Result<Head, Refusal> {
        let max = self.svc.settings.max_header_bytes;
        let buf = self.stream.fill_buf().map_err(|e| Refusal {
            status: 400,
            reason: crate::error::describe_io(&e),
        })?;
        match head::end(buf) {
            Some(n) if n <= max => {
                let parsed = head::parse(&buf[..n], self.svc.settings.max_http_headers);
                self.stream.consume(n);
                parsed
            }
            _ => Err(Refusal {
                status: 431,
                reason: format!("the request head is longer than {max} bytes"),
            }),
        }
    }

    /// Routes one request; the response is written (or the connection broke) when it returns.
    fn handle(&mut self, head: &Head) -> Done {
        let tls = self.stream.transport_ref().is_tls();
        if let Err(refused) = guard::check(&self.svc.settings, head, tls) {
            return self.fail_with(head, refused.status, &[], None, refused.error);
        }
        if let Some(rest) = share::rest(&head.target) {
            // The link is the credential: whatever else the request carries is not looked at.
            return self.share(head, rest);
        }
        match auth::check(self.svc, head, self.peer_ip) {
            Ok(admitted) => {
                self.who = admitted.who;
                self.presented = admitted.presented;
            }
            Err(refused) => {
                // Nobody was logged in by this request: its line says anonymous, not the last one's.
                self.who = Principal::Anonymous;
                self.presented = true;
                return self.refuse_credentials(head, refused);
            }
        }
        self.route(head)
    }

    /// Answers credentials that were refused: 401, or 429 while the address must wait.
    fn refuse_credentials(&mut self, head: &Head, refused: auth::Refused) -> Done {
        match refused {
            auth::Refused::Auth(err) => self.fail(head, None, err),
            auth::Refused::Wait(wait) => {
                // Logged by the service once a minute per address, not once per try.
                self.unlogged = true;
                let retry = [("Retry-After", wait.secs().to_string())];
                self.fail_with(head, 429, &retry, None, wait.error())
            }
        }
    }

    /// Serves a request whose credentials were accepted.
    fn route(&mut self, head: &Head) -> Done {
        if head.target == "*" {
            return match head.method {
                Method::Options => self.options(head),
                _ => self.fail(
                    head,
                    None,
                    Error::new(ErrorKind::Protocol, "`*` is a target for OPTIONS only"),
                ),
            };
        }
        let target = match target::parse(self.svc, &head.target) {
            Ok(t) => t,
            Err(err) => return self.fail(head, Some(head.target.clone()), err),
        };
        if target.has("login") && self.who == Principal::Anonymous && self.svc.policy().access().is_some() {
            // The page's "log in" link: a browser answers the challenge with its login prompt.
            let err = Error::new(ErrorKind::Auth, "log in with your user name and password");
            return self.fail(head, None, err);
        }
        if let Err(err) = self.not_a_file(&target.path) {
            return self.fail(head, Some(head.target.clone()), err);
        }
        if let Some(refused) = self.dav_gate(head, &target) {
            return refused;
        }
        if let Some(done) = self.tus(head, &target) {
            return done;
        }
        match (&head.method, &target.path) {
            (Method::Options, _) => self.options(head),
            (Method::Get | Method::Head, Path::File(name)) => self.get(head, name),
            (Method::Get | Method::Head, Path::Folder(dir)) => self.folder(head, &target, dir.as_ref()),
            (Method::Put, Path::File(name)) => self.put(head, name),
            // A folder goes with all in it, as WebDAV's DELETE says (RFC 4918 §9.6.1).
            (Method::Delete, Path::File(name) | Path::Folder(Some(name))) => self.delete(head, name),
            (Method::Put, Path::Folder(_)) => self.not_allowed(
                head,
                "GET, HEAD, DELETE, OPTIONS",
                "a folder cannot be uploaded; PUT each file by its name (folders are made as needed)",
            ),
            (Method::Delete, Path::Folder(None)) => self.not_allowed(
                head,
                "GET, HEAD, OPTIONS",
                "the top folder cannot be deleted; DELETE a file or a folder in it",
            ),
            (Method::Other(m), _) if dav::serves(m) => self.dav(head, m, &target),
            (Method::Other(m), _) => {
                let why = format!("the method {} is not served here", crate::name::quote(m));
                self.not_allowed(head, &dav::allow(ALLOW), &why)
            }
        }
    }

    /// A folder's path (`/a.txt/`) that names a file is not found, whatever the method: the
    /// file is neither listed, archived, replaced nor deleted through it (as a file system
    /// answers `cat a.txt/`).
    fn not_a_file(&self, path: &Path) -> Result<(), Error> {
        let Path::Folder(Some(name)) = path else {
            return Ok(());
        };
        match self.svc.stat(&self.who, name) {
            Ok((Some(e), _)) if !e.is_dir() => Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "{} is a file, not a folder; its URL has no final `/`",
                    crate::name::quote(name.as_str())
                ),
            )),
            _ => Ok(()),
        }
    }

    fn options(&mut self, head: &Head) -> Done {
        let keep = self.keep(head);
        let sent = write_head(
            &mut self.stream,
            head.minor,
            204,
            &[
                ("Allow", dav::allow(ALLOW)),
                ("DAV", dav::CLASSES.into()),
                ("MS-Author-Via", "DAV".into()),
            ],
            Framing::Empty,
            keep,
        );
        self.done(Some(204), None, 0, sent, keep)
    }

    fn not_allowed(&mut self, head: &Head, allow: &str, why: &str) -> Done {
        let keep = self.keep(head);
        let err = Error::new(ErrorKind::Denied, why);
        let result = self.send_text(
            head.minor,
            405,
            &[("Allow", allow.to_string())],
            &response::error_text(&err),
            keep,
            head.method == Method::Head,
        );
        Done {
            status: Some(405),
            name: None,
            bytes: 0,
            result: result.and(Err(err)),
            keep,
        }
    }

    /// Answers `err` with its status and a short text body.
    fn fail(&mut self, head: &Head, name: Option<String>, err: Error) -> Done {
        let status = match self.asks_to_log_in(head, &err) {
            true => 401,
            false => response::status_of(err.kind),
        };
        let mut fields = Vec::new();
        if status == 401 {
            fields.push(("WWW-Authenticate", auth::CHALLENGE.to_string()));
        }
        self.fail_with(head, status, &fields, name, err)
    }

    /// True when a refusal is to ask for credentials (401) rather than refuse (403, 404): the
    /// request came without any, on a server with users, and anonymous lacks a right
    /// (`forbidden`) or may not see the name (`not_found` for a name hidden from anonymous,
    /// whether it exists or not, so the answer tells nothing of what is there).
    fn asks_to_log_in(&self, head: &Head, err: &Error) -> bool {
        if self.presented || self.who != Principal::Anonymous || self.svc.policy().access().is_none() {
            return false;
        }
        match err.kind {
            ErrorKind::Forbidden => true,
            ErrorKind::NotFound => match target::parse(self.svc, &head.target).map(|t| t.path) {
                Ok(Path::File(name) | Path::Folder(Some(name))) => {
                    !self.svc.policy().view(&Principal::Anonymous).shows(&name)
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Answers `err` with `status`, `fields` and a short text body.
    fn fail_with(
        &mut self,
        head: &Head,
        status: u16,
        fields: &[(&str, String)],
        name: Option<String>,
        err: Error,
    ) -> Done {
        let keep = self.keep(head);
        let sent = self.send_text(
            head.minor,
            status,
            fields,
            &response::error_text(&err),
            keep,
            head.method == Method::Head,
        );
        Done {
            status: Some(status),
            name,
            bytes: 0,
            result: sent.and(Err(err)),
            keep,
        }
    }

    /// Writes a complete response with a text body (or, for HEAD, its length only).
    fn send_text(
        &mut self,
        minor: u8,
        status: u16,
        fields: &[(&str, String)],
        text: &str,
        keep: bool,
        head_only: bool,
    ) -> Result<(), Error> {
        let mut all = vec![("Content-Type", "text/plain; charset=utf-8".to_string())];
        all.extend(fields.iter().map(|(n, v)| (*n, v.clone())));
        let wrote = write_head(
            &mut self.stream,
            minor,
            status,
            &all,
            Framing::Length(text.len() as u64),
            keep,
        )
        .and_then(|()| {
            if head_only {
                Ok(())
            } else {
                self.stream.write_all(text.as_bytes())
            }
        });
        wrote.map_err(|e| body::peer_error("cannot send the response", &e))
    }

    /// Answers `100 Continue` if the client waits for it before sending its body.
    fn continue_if_asked(&mut self, head: &Head) -> io::Result<()> {
        if head.expects_continue() {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            self.stream.flush()?;
            self.continued = true;
        }
        Ok(())
    }

    /// Writes a complete response of `status` with `fields` (its type among them) and `body`;
    /// what the log line says of it.
    fn send_body(
        &mut self,
        head: &Head,
        status: u16,
        fields: &[(&str, String)],
        body: &[u8],
        (name, bytes): (Option<String>, u64),
    ) -> Done {
        let keep = self.keep(head);
        let framing = Framing::Length(body.len() as u64);
        let sent = write_head(&mut self.stream, head.minor, status, fields, framing, keep)
            .and_then(|()| self.stream.write_all(body));
        self.done(Some(status), name, bytes, sent, keep)
    }

    /// True when the connection can go on after the response now being written: the client
    /// keeps it, the server is not stopping, and any body it sent can be read past.
    fn keep(&self, head: &Head) -> bool {
        let body_ok = match self.unread {
            Body::None => true,
            // A client waiting for 100 Continue that never came may or may not send it.
            _ if head.expects_continue() && !self.continued => false,
            Body::Length(n) => n <= DRAIN_MAX,
            Body::Chunked => false,
        };
        head.keep_alive() && body_ok && !self.svc.is_stopping()
    }

    /// Reads and drops a short body left unread; false if the connection cannot go on.
    fn drain(&mut self) -> bool {
        let Body::Length(n) = self.unread else {
            return false;
        };
        self.unread = Body::None;
        matches!(io::copy(&mut (&mut self.stream).take(n), &mut io::sink()), Ok(got) if got == n)
    }

    fn done(
        &self,
        status: Option<u16>,
        name: Option<String>,
        bytes: u64,
        sent: io::Result<()>,
        keep: bool,
    ) -> Done {
        Done {
            status,
            name,
            bytes,
            result: sent.map_err(|e| body::peer_error("cannot send the response", &e)),
            keep,
        }
    }
}

/// For the fuzz targets: the request-head parser as the server runs it.
pub mod fuzzing {
    pub use super::head::{end, parse, Body, Head, Method, Refusal};
}
