//! tus 1.0 resumable uploads (core, creation, creation-with-upload, termination, expiration,
//! checksum; docs/PROTOCOL.md "Resumable uploads (tus)"): `POST /dir/` creates an upload of
//! `dir/` + `Upload-Metadata`'s `filename` and answers its URL (`/dir/name?tus=TICKET`); HEAD
//! there tells its offset, PATCH appends, DELETE terminates. The uploads themselves, their
//! tickets and their rights are the operations layer's ([`crate::service::uploads`]): this
//! module only reads the fields and writes the answers.

use std::io::Read;

use base64::Engine;

use super::head::{Body, Head, Method};
use super::response::{write_head, Framing};
use super::target::{self, Path, Target};
use super::{date, Done, Session};
use crate::error::{Error, ErrorKind};
use crate::name::FileName;
use crate::server::body::cut_error;
use crate::service::uploads::Ticket;
use crate::store::{Entry, Upload};

/// A committed upload and its commit time (which its receipt states).
type Committed = (Entry, std::time::SystemTime);

/// The protocol version served.
const VERSION: &str = "1.0.0";
/// The extensions served.
const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
/// The algorithms `Upload-Checksum` may name.
const CHECKSUMS: &str = "sha1,sha256,sha512,blake3";
/// The query key of an upload's URL.
const QUERY: &str = "tus";
/// The one content type of an appended chunk.
const CHUNK_TYPE: &str = "application/offset+octet-stream";
/// The status of a chunk whose `Upload-Checksum` does not match (tus's checksum extension).
pub const CHECKSUM_MISMATCH: u16 = 460;
/// The longest `Upload-Metadata` accepted.
const MAX_METADATA: usize = 4096;

/// Why an append did not happen, and how to answer.
enum Refused {
    /// The connection broke: nobody to answer (what arrived stays in the partial).
    Cut(u64, Error),
    /// Answered with this status (none: the error's own).
    Answer(Option<u16>, Error),
}

impl From<Error> for Refused {
    fn from(err: Error) -> Refused {
        Refused::Answer(None, err)
    }
}

fn bad(why: impl Into<String>) -> Error {
    Error::new(ErrorKind::Protocol, why)
}

impl Session<'_> {
    /// Serves the request if it is tus's: `POST` of a folder, `OPTIONS` of a folder with
    /// `Tus-Resumable`, or any method on an upload's URL (`?tus=`).
    pub(super) fn tus(&mut self, head: &Head, target: &Target) -> Option<Done> {
        let ticket = target
            .query
            .iter()
            .find(|(k, _)| k == QUERY)
            .map(|(_, v)| v.as_str());
        let post = matches!(&head.method, Method::Other(m) if m == "POST");
        match (&target.path, ticket) {
            (Path::Folder(_), None)
                if head.method == Method::Options && head.field("tus-resumable").is_some() =>
            {
                Some(self.tus_options(head))
            }
            (Path::Folder(dir), None) if post => Some(self.tus_create(head, dir.as_ref())),
            (Path::File(name), Some(ticket)) => Some(self.tus_upload(head, name, ticket)),
            (Path::Folder(_), Some(_)) => Some(self.not_allowed(
                head,
                "OPTIONS",
                "an upload's URL names its file; create one with POST on its folder",
            )),
            _ => None,
        }
    }

    fn tus_upload(&mut self, head: &Head, name: &FileName, ticket: &str) -> Done {
        let shown = Some(name.as_str().to_string());
        if head.method == Method::Options {
            return self.tus_options(head);
        }
        if !matches!(&head.method, Method::Head | Method::Delete)
            && !matches!(&head.method, Method::Other(m) if m == "PATCH")
        {
            let why = "an upload's URL takes HEAD, PATCH and DELETE";
            return self.not_allowed(head, "HEAD, PATCH, DELETE, OPTIONS", why);
        }
        if let Err(done) = self.tus_version(head) {
            return done;
        }
        let t = match self.svc.upload_ticket(&self.who, name, ticket) {
            Ok(t) => t,
            Err(err) => return self.fail(head, shown, err),
        };
        match &head.method {
            Method::Head => self.tus_head(head, &t),
            Method::Delete => match self.svc.end_upload(&self.who, &t) {
                Ok(()) => self.tus_reply(head, 204, Vec::new(), shown),
                Err(err) => self.fail(head, shown, err),
            },
            _ => self.tus_patch(head, &t),
        }
    }

    /// Refuses a request without `Tus-Resumable: 1.0.0` (412, saying the version served).
    fn tus_version(&mut self, head: &Head) -> Result<(), Done> {
        if head.field("tus-resumable") == Some(VERSION) {
            return Ok(());
        }
        let err = bad(format!("a tus request needs Tus-Resumable: {VERSION}"));
        Err(self.fail_with(head, 412, &[("Tus-Version", VERSION.to_string())], None, err))
    }

    fn tus_options(&mut self, head: &Head) -> Done {
        let fields = vec![
            ("Tus-Version", VERSION.to_string()),
            ("Tus-Extension", EXTENSIONS.to_string()),
            ("Tus-Max-Size", self.svc.settings.max_file_size.to_string()),
            ("Tus-Checksum-Algorithm", CHECKSUMS.to_string()),
        ];
        self.tus_reply(head, 204, fields, None)
    }

    fn tus_head(&mut self, head: &Head, t: &Ticket) -> Done {
        let shown = Some(t.name.as_str().to_string());
        match self.svc.upload_offset(&self.who, t) {
            Ok(offset) => {
                let fields = vec![
                    ("Upload-Offset", offset.to_string()),
                    ("Upload-Length", t.length.to_string()),
                    ("Cache-Control", "no-store".to_string()),
                ];
                self.tus_reply(head, 200, fields, shown)
            }
            Err(err) => self.fail(head, shown, err),
        }
    }

    /// `POST /dir/`: creates the upload (and appends the body, if any).
    fn tus_create(&mut self, head: &Head, dir: Option<&FileName>) -> Done {
        if let Err(done) = self.tus_version(head) {
            return done;
        }
        let created = self.creation(head, dir).and_then(|(name, length, digest)| {
            let receipt = super::put::wants_receipt(head);
            self.svc.create_upload(&self.who, &name, length, digest, receipt)
        });
        let (t, text) = match created {
            Ok(created) => created,
            Err(err) => return self.fail(head, None, err),
        };
        let shown = Some(t.name.as_str().to_string());
        let location = format!("{}?{QUERY}={text}", target::href_path(&t.name));
        let appended = match (self.unread, t.length) {
            (Body::None | Body::Length(0), 0) => self.append_nothing(&t).map(|e| (0, Some(e))),
            (Body::None | Body::Length(0), _) => Ok((0, None)),
            _ => self.append(head, &t, 0),
        };
        match appended {
            Ok((offset, entry)) => {
                let mut fields = vec![("Location", location), ("Upload-Offset", offset.to_string())];
                fields.extend(self.expires(entry.is_some()));
                let mut done = self.tus_finished(head, &t, 201, fields, entry);
                done.bytes = offset;
                done
            }
            Err(refused) => {
                // Created, but its first chunk was refused: the client never learns the URL.
                let _ = self.svc.end_upload(&self.who, &t);
                self.refused(head, shown, refused)
            }
        }
    }

    /// The target name, length and BLAKE3 a creation asks for.
    fn creation(
        &self,
        head: &Head,
        dir: Option<&FileName>,
    ) -> Result<(FileName, u64, Option<String>), Error> {
        if head.field("upload-defer-length").is_some() {
            return Err(bad(
                "Upload-Defer-Length is not supported: send Upload-Length, the file's size",
            ));
        }
        let length = head
            .field("upload-length")
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| bad("a tus creation needs Upload-Length, the file's size in bytes"))?;
        let metadata = metadata(head.field("upload-metadata").unwrap_or(""))?;
        let value = |key: &str| metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice());
        let filename = value("filename")
            .filter(|f| !f.is_empty())
            .ok_or_else(|| bad("Upload-Metadata needs filename, the name to store the file under"))?;
        let mut path = dir.map(|d| d.as_str().as_bytes().to_vec()).unwrap_or_default();
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(filename);
        let name = self.svc.file_name(&path)?;
        let digest = match value("blake3") {
            None => None,
            Some(v) => Some(
                std::str::from_utf8(v)
                    .ok()
                    .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .ok_or_else(|| bad("Upload-Metadata's blake3 is the file's BLAKE3 in 64 hex digits"))?
                    .to_ascii_lowercase(),
            ),
        };
        Ok((name, length, digest))
    }

    fn tus_patch(&mut self, head: &Head, t: &Ticket) -> Done {
        let shown = Some(t.name.as_str().to_string());
        let offset = match head.field("upload-offset").and_then(|v| v.parse::<u64>().ok()) {
            Some(offset) => offset,
            None => return self.fail(head, shown, bad("a PATCH needs Upload-Offset")),
        };
        match self.append(head, t, offset) {
            Ok((end, entry)) => {
                let mut fields = vec![("Upload-Offset", end.to_string())];
                fields.extend(self.expires(entry.is_some()));
                let mut done = self.tus_finished(head, t, 204, fields, entry);
                done.bytes = end - offset;
                done
            }
            Err(refused) => self.refused(head, shown, refused),
        }
    }

    /// The answer to a creation or PATCH that went through: `status` with `fields`; once the
    /// upload is complete and a receipt was asked for (at creation or now), 200 (or 201) with
    /// the receipt as its body.
    fn tus_finished(
        &mut self,
        head: &Head,
        t: &Ticket,
        status: u16,
        fields: Vec<(&'static str, String)>,
        entry: Option<Committed>,
    ) -> Done {
        let shown = Some(t.name.as_str().to_string());
        let receipt = entry
            .filter(|_| t.receipt || super::put::wants_receipt(head))
            .and_then(|(e, at)| self.svc.receipt_or_log(&self.who, &e, at));
        let Some(receipt) = receipt else {
            return self.tus_reply(head, status, fields, shown);
        };
        let mut text = serde_json::to_vec(&receipt).expect("receipts serialize");
        text.push(b'\n');
        let mut fields = fields;
        fields.push(("Tus-Resumable", VERSION.to_string()));
        fields.push(("Content-Type", "application/json".to_string()));
        let status = if status == 204 { 200 } else { status };
        self.send_body(head, status, &fields, &text, (shown, 0))
    }

    /// `Upload-Expires`: an upload left alone is removed `partial_max_age_hours` after its
    /// last write (none once complete).
    fn expires(&self, complete: bool) -> Option<(&'static str, String)> {
        let age = self.svc.settings.partial_max_age.as_secs();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        (!complete).then(|| ("Upload-Expires", date::format(now.saturating_add(age) as i64)))
    }

    /// Completes an upload of 0 bytes.
    fn append_nothing(&mut self, t: &Ticket) -> Result<Committed, Refused> {
        let (upload, claim) = self.svc.resume_upload(&self.who, t, 0)?;
        Ok(self.svc.complete_upload(&self.who, claim, upload)?)
    }

    /// Appends the request's body at `offset`: the upload's offset after it, and its entry if
    /// that completed it.
    fn append(&mut self, head: &Head, t: &Ticket, offset: u64) -> Result<(u64, Option<Committed>), Refused> {
        if head
            .field("content-type")
            .map(|v| v.split(';').next().unwrap_or("").trim())
            != Some(CHUNK_TYPE)
        {
            return Err(Refused::Answer(
                Some(415),
                bad(format!("a chunk is sent as Content-Type: {CHUNK_TYPE}")),
            ));
        }
        let len = match self.unread {
            Body::None => 0,
            Body::Length(n) => n,
            Body::Chunked => {
                return Err(Refused::Answer(
                    Some(411),
                    bad("a chunk needs Content-Length (not Transfer-Encoding: chunked)"),
                ))
            }
        };
        if offset.checked_add(len).is_none_or(|end| end > t.length) {
            return Err(Refused::Answer(
                Some(413),
                Error::new(
                    ErrorKind::TooLarge,
                    format!(
                        "{len} bytes at offset {offset} go past the upload's length ({})",
                        t.length
                    ),
                ),
            ));
        }
        let checksum = head.field("upload-checksum").map(checksum).transpose()?;
        let staged = match checksum {
            Some(_) => Some(self.svc.stage(len)?),
            None => None,
        };
        let (mut upload, claim) = self.svc.resume_upload(&self.who, t, offset)?;
        if let Err(e) = self.continue_if_asked(head) {
            return Err(Refused::Cut(0, cut_error(0, Some(len), &e)));
        }
        let received = match checksum {
            Some((alg, expected)) => self.receive_checked(&mut upload, len, alg, &expected),
            None => self.receive_chunk(&mut upload, len),
        };
        drop(staged);
        match received {
            Ok(true) => {}
            Ok(false) => {
                // The checksum did not match: nothing was appended.
                self.svc.hold_upload(claim, upload, offset);
                return Err(Refused::Answer(
                    Some(CHECKSUM_MISMATCH),
                    Error::new(
                        ErrorKind::HashMismatch,
                        format!("the chunk at offset {offset} does not match its Upload-Checksum; nothing was appended"),
                    ),
                ));
            }
            Err(refused) => {
                // Dropped, not discarded: what arrived stays in the partial for the next request.
                drop(upload);
                drop(claim);
                return Err(refused);
            }
        }
        let end = offset + len;
        if end < t.length {
            self.svc.hold_upload(claim, upload, end);
            return Ok((end, None));
        }
        Ok((end, Some(self.svc.complete_upload(&self.who, claim, upload)?)))
    }

    /// Streams `len` bytes of the body into `upload`.
    fn receive_chunk(&mut self, upload: &mut Upload, len: u64) -> Result<bool, Refused> {
        let got = upload.receive(&mut self.stream, len);
        self.unread = Body::None;
        match got {
            Ok(None) => Ok(true),
            Ok(Some(err)) => Err(Refused::Answer(None, err)),
            Err((got, e)) => Err(Refused::Cut(got, cut_error(got, Some(len), &e))),
        }
    }

    /// Reads `len` bytes of the body into memory, checks them against `expected` and only then
    /// appends them; false when they do not match.
    fn receive_checked(
        &mut self,
        upload: &mut Upload,
        len: u64,
        alg: Alg,
        expected: &[u8],
    ) -> Result<bool, Refused> {
        let mut chunk = Vec::with_capacity(len as usize);
        let read = (&mut self.stream).take(len).read_to_end(&mut chunk);
        self.unread = Body::None;
        match read {
            Ok(n) if n as u64 == len => {}
            Ok(n) => {
                let e = std::io::ErrorKind::UnexpectedEof.into();
                return Err(Refused::Cut(n as u64, cut_error(n as u64, Some(len), &e)));
            }
            Err(e) => return Err(Refused::Cut(0, cut_error(0, Some(len), &e))),
        }
        if alg.digest(&chunk) != expected {
            return Ok(false);
        }
        upload.write(&chunk).map_err(|err| Refused::Answer(None, err))?;
        Ok(true)
    }

    fn refused(&mut self, head: &Head, shown: Option<String>, refused: Refused) -> Done {
        match refused {
            Refused::Cut(got, err) => Done {
                status: None,
                name: shown,
                bytes: got,
                result: Err(err),
                keep: false,
            },
            Refused::Answer(Some(status), err) => self.fail_with(
                head,
                status,
                &[("Tus-Resumable", VERSION.to_string())],
                shown,
                err,
            ),
            Refused::Answer(None, err) => self.fail(head, shown, err),
        }
    }

    /// A tus answer without a body: `status`, `Tus-Resumable` and `fields`.
    fn tus_reply(
        &mut self,
        head: &Head,
        status: u16,
        fields: Vec<(&'static str, String)>,
        name: Option<String>,
    ) -> Done {
        let mut fields = fields;
        fields.push(("Tus-Resumable", VERSION.to_string()));
        let keep = self.keep(head);
        let framing = if status == 204 {
            Framing::Empty
        } else {
            Framing::Length(0)
        };
        let sent = write_head(&mut self.stream, head.minor, status, &fields, framing, keep);
        self.done(Some(status), name, 0, sent, keep)
    }
}

/// An `Upload-Checksum` algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alg {
    Sha1,
    Sha256,
    Sha512,
    Blake3,
}

impl Alg {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        let ring_alg = match self {
            Alg::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Alg::Sha256 => &ring::digest::SHA256,
            Alg::Sha512 => &ring::digest::SHA512,
            Alg::Blake3 => return blake3::hash(data).as_bytes().to_vec(),
        };
        ring::digest::digest(ring_alg, data).as_ref().to_vec()
    }
}

/// Reads `Upload-Checksum: ALG BASE64`.
fn checksum(value: &str) -> Result<(Alg, Vec<u8>), Error> {
    let (alg, digest) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("Upload-Checksum is an algorithm and a base64 digest"))?;
    let alg = match alg.to_ascii_lowercase().as_str() {
        "sha1" => Alg::Sha1,
        "sha256" => Alg::Sha256,
        "sha512" => Alg::Sha512,
        "blake3" => Alg::Blake3,
        _ => return Err(bad(format!("Upload-Checksum's algorithm is one of {CHECKSUMS}"))),
    };
    let digest = base64::engine::general_purpose::STANDARD
        .decode(digest.trim())
        .map_err(|_| bad("Upload-Checksum's digest is not base64"))?;
    Ok((alg, digest))
}

/// Reads `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
fn metadata(value: &str) -> Result<Vec<(String, Vec<u8>)>, Error> {
    if value.len() > MAX_METADATA {
        return Err(bad(format!(
            "Upload-Metadata is longer than {MAX_METADATA} bytes"
        )));
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, encoded) = pair.split_once(' ').unwrap_or((pair, ""));
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| bad(format!("Upload-Metadata's {key} is not base64")))?;
            Ok((key.to_string(), decoded))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs_are_decoded_and_a_value_may_be_absent() {
        let got = metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential").unwrap();
        assert_eq!(
            got,
            [
                ("filename".to_string(), b"world_domination_plan.pdf".to_vec()),
                ("is_confidential".to_string(), Vec::new())
            ]
        );
        assert!(metadata("filename ***").is_err());
    }

    #[test]
    fn checksums_name_a_known_algorithm_and_a_base64_digest() {
        let (alg, digest) = checksum("sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=").unwrap();
        assert_eq!(alg, Alg::Sha1);
        assert_eq!(digest, alg.digest(b"hello world"));
        assert!(checksum("md5 AAAA").is_err());
        assert!(checksum("sha1").is_err());
        assert!(checksum("sha1 !!").is_err());
    }
}
