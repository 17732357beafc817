//! GET and HEAD of a file: the preconditions, one byte range (206) or the whole file (200),
//! and the fields a download tool or browser needs (`Content-Length`, `Content-Type` from the
//! extension, `Last-Modified`, a strong `ETag` from the stored BLAKE3, `Accept-Ranges`). The
//! body is sent as native downloads send it ([`crate::server::body::send`]). Every field and
//! byte describes one version of the file: the one opened, even if the name is replaced
//! meanwhile.

use std::io::{Seek, SeekFrom};

use super::conditional::{self, etag, Range, Validators, Verdict};
use super::head::{Head, Method};
use super::response::{write_head, Framing};
use super::{date, digest, mime, Done, Session};
use crate::error::{Error, ErrorKind};
use crate::human;
use crate::name::FileName;
use crate::server::body;
use crate::store::Content;

/// How often a range of a file in the object store is opened again when the file is replaced
/// between the two opens, before the request fails.
const REOPENS: usize = 3;

impl Session<'_> {
    pub(super) fn get(&mut self, head: &Head, name: &FileName) -> Done {
        let shown = Some(name.as_str().to_string());
        for _ in 0..REOPENS {
            let (content, entry) = match self.svc.read(&self.who, name, 0) {
                Ok(x) => x,
                Err(err) => return self.folder_or_fail(head, name, shown, err),
            };
            let tag = etag(&entry);
            let validators = Validators {
                etag: &tag,
                modified: Some(human::unix_nanos(entry.modified).0),
            };
            let mut fields = vec![("ETag", tag.clone()), ("Accept-Ranges", "bytes".to_string())];
            if let Some(t) = validators.modified {
                fields.push(("Last-Modified", date::format(t)));
            }
            match conditional::evaluate(head, Some(validators), true) {
                Verdict::Proceed => {}
                Verdict::NotModified => {
                    let keep = self.keep(head);
                    let sent = write_head(&mut self.stream, head.minor, 304, &fields, Framing::Empty, keep);
                    return self.done(Some(304), shown, 0, sent, keep);
                }
                Verdict::Failed => {
                    let err = Error::new(ErrorKind::Exists, "a precondition of the request failed");
                    return self.fail(head, shown, err);
                }
            }
            let (status, start, len) = match conditional::range(head, entry.size, validators) {
                Range::Whole => (200, 0, entry.size),
                Range::Part { start, end } => {
                    fields.push(("Content-Range", format!("bytes {start}-{end}/{}", entry.size)));
                    (206, start, end - start + 1)
                }
                Range::Unsatisfiable => return self.unsatisfiable(head, shown, entry.size),
            };
            let content = match at_offset(self, name, content, entry.blake3, start) {
                Ok(Some(c)) => c,
                // Replaced between the two opens: start again with the new version.
                Ok(None) => continue,
                Err(err) => return self.fail(head, shown, err),
            };
            let media = mime::of(name.as_str());
            if mime::runs_script(&media) {
                fields.push(("Content-Security-Policy", "sandbox".to_string()));
            }
            fields.push(("Content-Type", media));
            fields.push(("X-Content-Type-Options", "nosniff".to_string()));
            if let Some(hash) = &entry.blake3 {
                fields.push(("Repr-Digest", digest::field(hash)));
            }
            let keep = self.keep(head);
            if let Err(e) = write_head(
                &mut self.stream,
                head.minor,
                status,
                &fields,
                Framing::Length(len),
                keep,
            ) {
                return self.done(Some(status), shown, 0, Err(e), false);
            }
            if head.method == Method::Head {
                return self.done(Some(status), shown, 0, Ok(()), keep);
            }
            // A file sent through a share link is one of its uses (counted before it goes).
            self.svc.share_used(&self.who);
            return match body::send(&mut self.stream, content, len) {
                Ok(sent) => Done {
                    status: Some(status),
                    name: shown,
                    bytes: sent,
                    result: Ok(()),
                    keep,
                },
                Err((sent, err)) => Done {
                    status: Some(status),
                    name: shown,
                    bytes: sent,
                    result: Err(err),
                    keep: false,
                },
            };
        }
        let err = Error::new(
            ErrorKind::Busy,
            format!(
                "{} kept changing while it was opened; try again",
                crate::name::quote(name.as_str())
            ),
        );
        self.fail(head, shown, err)
    }

    /// A GET of a folder's name without the final `/` is sent to the folder (301, as web
    /// servers do, so that the page's relative links work), query and all (`/www?tar` to
    /// `/www/?tar`, so `curl -L` gets the archive); any other failure is answered.
    fn folder_or_fail(&mut self, head: &Head, name: &FileName, shown: Option<String>, err: Error) -> Done {
        if !self.svc.is_folder(&self.who, name) {
            return self.fail(head, shown, err);
        }
        let location = match head.target.split_once('?') {
            Some((_, query)) => format!("{}/?{query}", super::target::href_path(name)),
            None => format!("{}/", super::target::href_path(name)),
        };
        self.redirect(head, location, shown)
    }

    /// `301 Moved Permanently` to `location`, without a body.
    pub(super) fn redirect(&mut self, head: &Head, location: String, shown: Option<String>) -> Done {
        let keep = self.keep(head);
        let sent = write_head(
            &mut self.stream,
            head.minor,
            301,
            &[("Location", location)],
            Framing::Length(0),
            keep,
        );
        self.done(Some(301), shown, 0, sent, keep)
    }

    fn unsatisfiable(&mut self, head: &Head, shown: Option<String>, size: u64) -> Done {
        let keep = self.keep(head);
        let err = Error::new(
            ErrorKind::Protocol,
            format!("the range asked for is not within the file's {size} bytes"),
        );
        let sent = self.send_text(
            head.minor,
            416,
            &[("Content-Range", format!("bytes */{size}"))],
            &super::response::error_text(&err),
            keep,
            head.method == Method::Head,
        );
        Done {
            status: Some(416),
            name: shown,
            bytes: 0,
            result: sent.and(Err(err)),
            keep,
        }
    }
}

/// `content` (opened at 0) moved to `start`: a local file seeks; a stream from the object
/// store is opened again at `start`, and if that is another version now, `None`.
fn at_offset(
    s: &Session<'_>,
    name: &FileName,
    content: Content,
    pinned: Option<blake3::Hash>,
    start: u64,
) -> Result<Option<Content>, Error> {
    if start == 0 {
        return Ok(Some(content));
    }
    match content {
        Content::File(mut f) => {
            f.seek(SeekFrom::Start(start))
                .map_err(|e| Error::io(format!("cannot read {}", crate::name::quote(name.as_str())), &e))?;
            Ok(Some(Content::File(f)))
        }
        Content::Remote(_) => {
            let (again, now) = s.svc.read(&s.who, name, start)?;
            Ok((now.blake3 == pinned).then_some(again))
        }
    }
}
