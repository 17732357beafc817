//! PUT of a file, through the same upload path as `nf put`: the body (`Content-Length` bytes,
//! or chunks) streams into the store as it arrives, hashed on the way; it is checked against
//! the BLAKE3 of `Content-Digest` when the client sent one, then fsynced and given its name
//! atomically. Nothing is visible under the name before that: a PUT cut halfway leaves the
//! previous version (or nothing), and a large one's partial that `nf put --resume` can finish.
//!
//! PUT replaces a file, as HTTP says; `If-None-Match: *` refuses to (412, decided again at the
//! commit, so two racing creates cannot both win), and `If-Match` replaces only the version
//! named. `Expect: 100-continue` is answered once the upload has been accepted, so a refused
//! one costs no body. `NF-Receipt: 1` asks for the server's signed receipt as the answer's
//! body instead of the entry. `X-OC-Mtime` gives the file's modification time (WebDAV clients
//! that keep times send it).

use std::time::Instant;

use super::conditional::{self, etag, Validators, Verdict};
use super::head::{Body, Head};
use super::{digest, target, Done, Session};
use crate::error::{Error, ErrorKind};
use crate::human;
use crate::name::{quote, FileName};
use crate::protocol::{read_line_by, LineError};
use crate::server::body::cut_error;
use crate::service::Right;
use crate::store::Upload;

/// The request field that asks for a signed receipt instead of the entry (docs/PROTOCOL.md).
pub const RECEIPT_FIELD: &str = "nf-receipt";

/// True when the request asked for a receipt (`NF-Receipt: 1`, or `yes`, or `true`).
pub(super) fn wants_receipt(head: &Head) -> bool {
    head.field(RECEIPT_FIELD)
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "yes" | "true"))
}

/// The request field giving the file's modification time in seconds since the epoch, as
/// ownCloud and Nextcloud take it (rclone's WebDAV client sends it with `vendor = owncloud`).
const MTIME_FIELD: &str = "x-oc-mtime";

/// The time and mode to keep with the upload: the `X-OC-Mtime` sent, if any.
fn attrs_of(head: &Head) -> Result<crate::store::Attrs, Error> {
    let Some(value) = head.field(MTIME_FIELD) else {
        return Ok(crate::store::Attrs::default());
    };
    let secs = value.trim().split('.').next().and_then(|s| s.parse::<i64>().ok());
    let modified = secs
        .map(|s| human::from_unix(s, 0))
        .filter(|t| crate::store::time_kept(*t))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                format!(
                    "X-OC-Mtime is seconds since 1970 within the store's range, not {}",
                    quote(value)
                ),
            )
        })?;
    Ok(crate::store::Attrs {
        modified: Some(modified),
        mode: None,
    })
}

/// The longest chunk-size line (with its extensions) accepted.
const MAX_CHUNK_LINE: usize = 4096;

/// How a body ended early.
enum Received {
    /// The connection broke or stalled after this many bytes: nobody to answer.
    Cut(u64, Error),
    /// The body broke a rule (framing, size): answer, then close.
    Fatal(u64, Error),
    /// The store failed (disk full…) after this many bytes.
    Store(u64, Error),
}

impl Session<'_> {
    pub(super) fn put(&mut self, head: &Head, name: &FileName) -> Done {
        let shown = Some(name.as_str().to_string());
        match self.accept_put(head, name) {
            Ok((upload, create_only, existed, expected)) => {
                self.receive_put(head, name, upload, create_only, existed, expected)
            }
            Err(err) => self.fail(head, shown, err),
        }
    }

    /// Everything decided before the body: may this upload begin?
    fn accept_put(
        &mut self,
        head: &Head,
        name: &FileName,
    ) -> Result<(Upload, bool, bool, Option<String>), Error> {
        // Refused before anything else, as before the layer asks again.
        self.svc.allowed(&self.who, Right::Write, Some(name))?;
        let size = match self.unread {
            Body::Length(n) => Some(n),
            Body::Chunked => None,
            Body::None => {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    "a PUT needs a body with Content-Length or Transfer-Encoding: chunked",
                ))
            }
        };
        // Too large for the limit or for the free space: answered before the body (413,
        // 507), which a client waiting for 100 Continue then never sends.
        self.svc.room(size, 0)?;
        let expected = match head.all("content-digest").next() {
            Some(value) => digest::parse(value)?,
            None => None,
        };
        let existed = self.preconditions(head, name)?;
        let create_only = head.has("if-none-match", "*");
        let upload = self
            .svc
            .begin_upload(&self.who, name, (0, size), true, attrs_of(head)?)?;
        Ok((upload, create_only, existed, expected))
    }

    /// Checks the request's preconditions on `name`; whether a file is there. Only conditions
    /// on the file's validators (its entity-tag, its time) read them, which needs `read`: a
    /// drop folder (`write` without `read`) takes plain PUTs and `If-None-Match: *`, which
    /// ask only whether the name is taken.
    fn preconditions(&self, head: &Head, name: &FileName) -> Result<bool, Error> {
        if !conditional::needs_validators(head) {
            let existed = self.svc.exists(&self.who, name)?;
            // Without validators' conditions only `If-None-Match: *` is left to evaluate, and
            // it looks at nothing but whether there is a file.
            let taken = Validators {
                etag: "",
                modified: None,
            };
            return match conditional::evaluate(head, existed.then_some(taken), false) {
                Verdict::Failed => Err(precondition_failed(name, existed)),
                _ => Ok(existed),
            };
        }
        let (current, _) = self.svc.stat(&self.who, name)?;
        let tag = current.as_ref().map(etag);
        let validators = current.as_ref().zip(tag.as_deref()).map(|(e, tag)| Validators {
            etag: tag,
            modified: Some(human::unix_nanos(e.modified).0),
        });
        if conditional::evaluate(head, validators, false) == Verdict::Failed {
            return Err(precondition_failed(name, current.is_some()));
        }
        Ok(current.is_some())
    }

    fn receive_put(
        &mut self,
        head: &Head,
        name: &FileName,
        mut upload: Upload,
        create_only: bool,
        existed: bool,
        expected: Option<String>,
    ) -> Done {
        let shown = Some(name.as_str().to_string());
        if let Err(e) = self.continue_if_asked(head) {
            upload.discard();
            return self.done(None, shown, 0, Err(e), false);
        }
        let got = match self.receive(&mut upload) {
            Ok(got) => got,
            Err(Received::Cut(got, err)) => {
                // Dropped, not discarded: a large upload's partial stays for a resume.
                drop(upload);
                return Done {
                    status: None,
                    name: shown,
                    bytes: got,
                    result: Err(err),
                    keep: false,
                };
            }
            Err(Received::Fatal(got, err) | Received::Store(got, err)) => {
                upload.discard();
                let mut done = self.fail(head, shown, err);
                done.bytes = got;
                return done;
            }
        };
        let mut at = std::time::SystemTime::now();
        let committed = upload.finish(expected.as_deref()).and_then(|verified| {
            let commit = self.svc.commit(&self.who, vec![(verified, !create_only)]);
            at = commit.at;
            commit.one()
        });
        let entry = match committed {
            Ok(entry) => entry,
            Err(err) => {
                let err = if err.kind == ErrorKind::Exists {
                    precondition_failed(name, true)
                } else {
                    err
                };
                let mut done = self.fail(head, shown, err);
                done.bytes = got;
                return done;
            }
        };
        // A file committed through an upload link is one of its uses.
        self.svc.share_used(&self.who);
        let status = if existed { 200 } else { 201 };
        let mut text = Vec::new();
        match wants_receipt(head)
            .then(|| self.svc.receipt_or_log(&self.who, &entry, at))
            .flatten()
        {
            // What the server signed, instead of the entry it states.
            Some(receipt) => text = serde_json::to_vec(&receipt).expect("receipts serialize"),
            None => crate::service::write_json(&mut text, &entry),
        }
        text.push(b'\n');
        let mut fields = vec![
            ("ETag", etag(&entry)),
            ("Content-Type", "application/json".to_string()),
        ];
        if status == 201 {
            fields.push(("Location", target::href_path(name)));
        }
        if head.field(MTIME_FIELD).is_some() {
            fields.push(("X-OC-Mtime", "accepted".to_string()));
        }
        self.send_body(head, status, &fields, &text, (shown, got))
    }

    /// Streams the body into `upload`; the bytes received.
    fn receive(&mut self, upload: &mut Upload) -> Result<u64, Received> {
        let got = match self.unread {
            Body::Length(len) => match upload.receive(&mut self.stream, len) {
                Ok(None) => len,
                Ok(Some(err)) => {
                    // The body was read to its end all the same: the connection stays in step.
                    self.unread = Body::None;
                    return Err(Received::Store(len, err));
                }
                Err((got, e)) => return Err(Received::Cut(got, cut_error(got, Some(len), &e))),
            },
            Body::Chunked => self.receive_chunks(upload)?,
            Body::None => 0,
        };
        self.unread = Body::None;
        Ok(got)
    }

    /// Receives a chunked body (RFC 9112 §7.1) within `max_file_size`, then its trailer
    /// section within `max_header_bytes`.
    fn receive_chunks(&mut self, upload: &mut Upload) -> Result<u64, Received> {
        let limit = self
            .svc
            .upload_limit(&self.who, upload.name())
            .map_err(|err| Received::Store(0, err))?;
        let max = limit.bytes;
        let mut got = 0u64;
        let mut line = Vec::new();
        loop {
            let len = match self.chunk_line(&mut line, MAX_CHUNK_LINE) {
                Ok(()) => match chunk_size(&line) {
                    Some(len) => len,
                    None => {
                        let err = Error::new(
                            ErrorKind::Protocol,
                            format!(
                                "expected a chunk size, got {}",
                                quote(&String::from_utf8_lossy(&line))
                            ),
                        );
                        return Err(Received::Fatal(got, err));
                    }
                },
                Err(e) => return Err(line_failed(got, e)),
            };
            if len == 0 {
                break;
            }
            if got.saturating_add(len) > max {
                let err = limit.stream_refusal("the body");
                return Err(Received::Fatal(got, err));
            }
            match upload.receive(&mut self.stream, len) {
                Ok(None) => got += len,
                Ok(Some(err)) => return Err(Received::Store(got + len, err)),
                Err((n, e)) => return Err(Received::Cut(got + n, cut_error(got + n, None, &e))),
            }
            match self.chunk_line(&mut line, 2) {
                Ok(()) if line.is_empty() || line == b"\r" => {}
                Ok(()) | Err(LineError::TooLong(_)) => {
                    let err = Error::new(ErrorKind::Protocol, "a chunk is longer than its size says");
                    return Err(Received::Fatal(got, err));
                }
                Err(e) => return Err(line_failed(got, e)),
            }
        }
        // The trailer section: fields nf does not use, then an empty line.
        let mut left = self.svc.settings.max_header_bytes;
        loop {
            match self.chunk_line(&mut line, left) {
                Ok(()) if line.is_empty() || line == b"\r" => return Ok(got),
                Ok(()) => left = left.saturating_sub(line.len() + 1),
                Err(e) => return Err(line_failed(got, e)),
            }
        }
    }

    fn chunk_line(&mut self, line: &mut Vec<u8>, max: usize) -> Result<(), LineError> {
        let deadline = Some(Instant::now() + self.svc.settings.idle_timeout);
        read_line_by(&mut self.stream, max, line, deadline)
    }
}

/// The size of a chunk-size line (hex digits, then optional `;extensions`), without its `\n`.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let digits = line.split(|&b| b == b';').next()?;
    let digits = std::str::from_utf8(digits).ok()?.trim_end_matches([' ', '\t']);
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

fn line_failed(got: u64, e: LineError) -> Received {
    match e {
        LineError::TooLong(max) => Received::Fatal(
            got,
            Error::new(
                ErrorKind::Protocol,
                format!("a chunk line is longer than {max} bytes"),
            ),
        ),
        LineError::Io(e) => Received::Cut(got, cut_error(got, None, &e)),
        _ => Received::Cut(
            got,
            cut_error(got, None, &std::io::ErrorKind::UnexpectedEof.into()),
        ),
    }
}

fn precondition_failed(name: &FileName, exists: bool) -> Error {
    let why = if exists {
        format!(
            "{} exists and the request's precondition refuses to replace it",
            quote(name.as_str())
        )
    } else {
        format!(
            "no file named {} for the request's precondition",
            quote(name.as_str())
        )
    };
    Error::new(ErrorKind::Exists, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_size_lines_are_hex_with_optional_extensions() {
        assert_eq!(chunk_size(b"1a\r"), Some(26));
        assert_eq!(chunk_size(b"0\r"), Some(0));
        assert_eq!(chunk_size(b"FF;name=value\r"), Some(255));
        assert_eq!(chunk_size(b"10 ;x\r"), Some(16));
        assert_eq!(chunk_size(b"ffffffffffffffff\r"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"\r",
            b"g\r",
            b"-1\r",
            b"+1\r",
            b" 1\r",
            b"10000000000000000\r",
            b"0x10\r",
        ] {
            assert_eq!(chunk_size(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
