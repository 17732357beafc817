//! `put`: an upload, its body streamed into the store as it arrives and hashed on the way,
//! then checked against the trailer's BLAKE3. A body of declared size, or a stream of chunks
//! (a pipe's length is known only at its end); a refusal before or during the body still reads
//! it to its end when it can, so the connection stays in step. Nothing is answered here: the
//! session answers in request order (a verified upload waits for its batch commit).

use std::io;
use std::time::Instant;

use super::{cut_error, Next, Session};
use crate::error::{Error, ErrorKind};
use crate::name::quote;
use crate::protocol::{self, LineError, Trailer};
use crate::store::{Attrs, Upload, Verified};

/// The time and mode a put asks to keep, checked: a malformed one refuses the put (before its
/// body, which is then skipped).
fn attrs(modified: Option<&str>, mode: Option<&str>) -> Result<Attrs, Error> {
    let modified = modified
        .map(|m| {
            let t = crate::human::parse_rfc3339(m).ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "\"modified\" must be RFC 3339 in UTC (2026-01-02T03:04:05.123456789Z), not {}",
                        quote(m)
                    ),
                )
            })?;
            if !crate::store::time_kept(t) {
                let (earliest, latest) = crate::store::TIMES.into_inner();
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "\"modified\" must be between {} and {} (the times a stored file keeps), not {}",
                        crate::human::rfc3339(crate::human::from_unix(earliest, 0)),
                        crate::human::rfc3339(crate::human::from_unix(latest, 0)),
                        quote(m)
                    ),
                ));
            }
            Ok(t)
        })
        .transpose()?;
    let mode = mode
        .map(|m| {
            crate::protocol::parse_mode(m).ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "\"mode\" must be 1 to 4 octal digits (\"0644\"), not {}",
                        quote(m)
                    ),
                )
            })
        })
        .transpose()?;
    Ok(Attrs { modified, mode })
}

/// The result of one put. Nothing is answered yet: replies go out in request order, so the
/// verified uploads waiting for their batch commit are answered first.
pub enum Outcome {
    /// To be answered with this error: next step, body bytes received, the error.
    Refused(Next, u64, Error),
    /// The connection broke after this many body bytes: nobody to answer.
    Cut(u64, Error),
    /// Verified; to be committed (and answered) with the batch.
    Deferred(Box<Verified>, bool, u64),
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

impl Session<'_> {
    pub(super) fn put(
        &mut self,
        raw_name: &str,
        size: Option<u64>,
        offset: u64,
        force: bool,
        modified: Option<&str>,
        mode: Option<&str>,
    ) -> Outcome {
        if let Err(err) = self.svc.room(size, offset) {
            // Answered before the body, which is not read: the connection closes (politely,
            // so the client reads the answer; nf's client stops sending when it arrives).
            return Outcome::Refused(Next::Close, 0, err);
        }
        let body = match size {
            Some(size) => Body::Sized(size - offset),
            None => Body::Stream,
        };
        let prepared = self.name(raw_name).and_then(|name| {
            let attrs = attrs(modified, mode)?;
            self.svc
                .begin_upload(&self.who, &name, (offset, size), force, attrs)
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
        match upload.receive(&mut self.stream, len) {
            Ok(None) => Ok(len),
            Ok(Some(err)) => Err(Received::Store(len, None, err)),
            Err((got, e)) => Err(Received::Cut(got, cut_error(got, Some(len), &e))),
        }
    }

    /// Receives a streamed body chunk by chunk, within its limit ([`Service::upload_limit`]).
    ///
    /// [`Service::upload_limit`]: crate::service::Service::upload_limit
    fn receive_stream(&mut self, upload: &mut Upload) -> Result<u64, Received> {
        let limit = match self.svc.upload_limit(&self.who, upload.name()) {
            Ok(limit) => limit,
            Err(err) => return Err(Received::Store(0, Some(Body::Stream), err)),
        };
        let max = limit.bytes;
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
                let err = limit.stream_refusal("the stream");
                return Err(Received::Fatal(got, err));
            }
            match upload.receive(&mut self.stream, len) {
                Ok(None) => got += len,
                Ok(Some(err)) => return Err(Received::Store(got + len, Some(Body::Stream), err)),
                Err((n, e)) => return Err(Received::Cut(got + n, cut_error(got + n, None, &e))),
            }
        }
    }

    fn read_chunk_header(&mut self) -> Result<u64, LineError> {
        let deadline = Some(Instant::now() + self.svc.settings.idle_timeout);
        protocol::read_chunk_header(&mut self.stream, &mut self.line, deadline)
    }

    /// Reads and discards the rest of a body.
    fn skip(&mut self, body: Body) -> Result<(), Error> {
        match body {
            Body::Sized(n) => self.skip_bytes(n),
            Body::Stream => loop {
                match self.read_chunk_header() {
                    Ok(0) => return Ok(()),
                    Ok(len) => self.skip_bytes(len)?,
                    Err(e) => return Err(Error::new(ErrorKind::Protocol, e.to_string())),
                }
            },
        }
    }

    fn read_trailer(&mut self) -> Result<Trailer, Error> {
        protocol::read_message_by::<Trailer>(
            &mut self.stream,
            self.svc.settings.max_header_bytes,
            &mut self.line,
            // A header line: whole within the handshake timeout once it has begun.
            Some(Instant::now() + self.svc.settings.handshake_timeout),
        )
        .map_err(|e| Error::new(ErrorKind::Protocol, format!("bad trailer after the body: {e}")))
    }
}
