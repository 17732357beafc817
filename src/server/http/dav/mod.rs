//! WebDAV class 1 and 2 (RFC 4918) on nf's port: the methods HTTP lacks for a mounted share,
//! each through the operations layer with the request's principal, as every other dialect.
//! MKCOL, MOVE and COPY ([`namespace`], [`copy`]), PROPFIND and PROPPATCH ([`props`]), LOCK
//! and UNLOCK ([`lock`]); GET, HEAD, PUT and DELETE are HTTP's own handlers, behind the
//! checks of [`Session::dav_gate`]: the `If` field ([`ifheader`]) and the locks. Request
//! bodies are read within [`xml::MAX_BODY`] and parsed by [`xml`]. Locks and dead
//! properties are this server's ([`crate::service::davstate`]).
//!
//! A URL becomes a name only through [`target`](super::target), as for GET and PUT: a
//! folder's URL with or without its final `/` names the same folder here (WebDAV clients
//! send both); whether a name is a file or a folder is asked of the store
//! ([`Service::kind`](crate::service::Service::kind)).

mod copy;
mod ifheader;
mod lock;
mod namespace;
mod props;
mod xml;

use std::io::Read;

use super::conditional::etag;
use super::head::{Body, Head, Method};
use super::response::{write_head, Framing};
use super::target::{self, Path, Target};
use super::{Done, Session};
use crate::error::{Error, ErrorKind};
use crate::name::FileName;

/// The WebDAV methods served here (besides HTTP's GET, HEAD, PUT, DELETE and OPTIONS).
pub const METHODS: &[&str] = &["PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"];

/// True when `method` is one of [`METHODS`].
pub fn serves(method: &str) -> bool {
    METHODS.contains(&method)
}

/// `Allow` with the WebDAV methods after HTTP's `allow`.
pub fn allow(allow: &str) -> String {
    format!("{allow}, {}", METHODS.join(", "))
}

/// OPTIONS's `DAV` field: the WebDAV classes served (1, and 2: locks).
pub const CLASSES: &str = "1, 2";

/// A refusal with the status RFC 4918 gives it (`None`: the error kind's usual status).
pub(super) struct Refused {
    status: Option<u16>,
    err: Error,
}

impl From<Error> for Refused {
    fn from(err: Error) -> Refused {
        Refused { status: None, err }
    }
}

/// A refusal with its own status.
fn refused(status: u16, kind: ErrorKind, why: impl Into<String>) -> Refused {
    Refused {
        status: Some(status),
        err: Error::new(kind, why),
    }
}

/// `Depth` of a COPY or LOCK (`what`): `0` (false) or `infinity` (true, also when absent);
/// anything else is 400.
fn depth_zero_or_infinity(head: &Head, what: &str) -> Result<bool, Refused> {
    match head.field("depth").map(str::trim) {
        None => Ok(true),
        Some(d) if d.eq_ignore_ascii_case("infinity") => Ok(true),
        Some("0") => Ok(false),
        Some(other) => Err(refused(
            400,
            ErrorKind::Protocol,
            format!("{what} takes Depth 0 or infinity, not {other:?}"),
        )),
    }
}

/// The name a WebDAV method acts on; the top folder is refused with `why` (403).
fn named(path: &Path, why: &str) -> Result<FileName, Refused> {
    match path {
        Path::File(name) | Path::Folder(Some(name)) => Ok(name.clone()),
        Path::Folder(None) => Err(refused(403, ErrorKind::Denied, why)),
    }
}

/// The name of `path` as the lock table and the properties know it (`""`: the top).
fn key(path: &Path) -> &str {
    match path {
        Path::File(name) | Path::Folder(Some(name)) => name.as_str(),
        Path::Folder(None) => "",
    }
}

/// A multistatus or property document's start, with the `DAV:` prefix `D`.
const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

impl Session<'_> {
    /// Serves the WebDAV method `method` (one of [`METHODS`]) on `target`.
    pub(super) fn dav(&mut self, head: &Head, method: &str, target: &Target) -> Done {
        let result = match method {
            "PROPFIND" => return self.propfind(head, &target.path),
            "PROPPATCH" => return self.proppatch(head, &target.path),
            "LOCK" => return self.lock(head, &target.path),
            "UNLOCK" => self.unlock(head, &target.path),
            "MKCOL" => self.mkcol(&target.path),
            "MOVE" => self.relocate(head, &target.path, false),
            _ => self.relocate(head, &target.path, true),
        };
        let shown = shown(&target.path);
        self.answer(head, shown, result)
    }

    /// What every request passes before its handler: its `If` field must hold (else 412),
    /// and a change must not touch what a lock covers unless the request names that lock's
    /// token (else 423 Locked): PUT, DELETE, PROPPATCH, MKCOL, MOVE (its source and its
    /// destination) and COPY (its destination). `Some` is the refusal, answered.
    pub(super) fn dav_gate(&mut self, head: &Head, target: &Target) -> Option<Done> {
        let name = key(&target.path).to_string();
        let result = self.if_holds(head, &name).and_then(|tokens| {
            let (this, tree, dest) = match &head.method {
                Method::Put => (true, false, false),
                Method::Delete => (true, true, false),
                Method::Other(m) if m == "PROPPATCH" || m == "MKCOL" => (true, false, false),
                Method::Other(m) if m == "MOVE" => (true, true, true),
                Method::Other(m) if m == "COPY" => (false, false, true),
                _ => (false, false, false),
            };
            let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
            if this && !self.svc.dav.may_change(&name, tree, &tokens, &self.who) {
                return Err(locked(&name));
            }
            if dest {
                if let Some(to) = head
                    .field("destination")
                    .and_then(|d| target::parse(self.svc, d.trim()).ok())
                {
                    let to = key(&to.path);
                    if !self.svc.dav.may_change(to, true, &tokens, &self.who) {
                        return Err(locked(to));
                    }
                }
            }
            Ok(())
        });
        match result {
            Ok(()) => None,
            Err(refusal) => Some(self.answer(head, shown(&target.path), Err(refusal))),
        }
    }

    /// Evaluates the request's `If` field about `name`: the state tokens it names when it
    /// holds (none without the field); 412 when no list holds; 400 when malformed.
    fn if_holds(&self, head: &Head, name: &str) -> Result<Vec<String>, Refused> {
        let Some(value) = head.field("if") else {
            return Ok(Vec::new());
        };
        let lists = ifheader::parse(value)?;
        let holds = lists.iter().any(|list| {
            let about = match &list.resource {
                Some(url) => match target::parse(self.svc, url) {
                    Ok(t) => key(&t.path).to_string(),
                    Err(_) => return false,
                },
                None => name.to_string(),
            };
            let tag = self.etag_of(&about);
            list.conds.iter().all(|(not, cond)| {
                let true_ = match cond {
                    ifheader::Cond::Token(t) => self.svc.dav.holds(t, &about),
                    ifheader::Cond::Etag(e) => tag.as_deref() == Some(e.as_str()),
                };
                true_ != *not
            })
        });
        if !holds {
            return Err(refused(
                412,
                ErrorKind::Exists,
                "the request's If field does not hold (no lock token or entity-tag it names matches)",
            ));
        }
        Ok(ifheader::tokens(&lists).into_iter().map(str::to_string).collect())
    }

    /// The entity-tag of the file `name`, if there is one `who` may read.
    fn etag_of(&self, name: &str) -> Option<String> {
        let name = FileName::parse(name).ok()?;
        match self.svc.stat(&self.who, &name) {
            Ok((Some(e), _)) if !e.is_dir() => Some(etag(&e)),
            _ => None,
        }
    }

    /// Reads a WebDAV request's body (empty without one), within [`xml::MAX_BODY`].
    fn small_body(&mut self) -> Result<Vec<u8>, Refused> {
        match self.unread {
            Body::None => Ok(Vec::new()),
            Body::Length(n) if n > xml::MAX_BODY => Err(refused(
                413,
                ErrorKind::TooLarge,
                format!("a WebDAV request body is at most {} bytes here", xml::MAX_BODY),
            )),
            Body::Length(n) => {
                let mut body = vec![0; n as usize];
                self.stream
                    .read_exact(&mut body)
                    .map_err(|e| Error::new(ErrorKind::Hangup, crate::error::describe_io(&e)))?;
                self.unread = Body::None;
                Ok(body)
            }
            Body::Chunked => Err(refused(
                411,
                ErrorKind::Protocol,
                "send this request's XML body with a Content-Length",
            )),
        }
    }

    /// Answers a WebDAV method's result: its status without a body, or its refusal.
    fn answer(&mut self, head: &Head, shown: Option<String>, result: Result<u16, Refused>) -> Done {
        match result {
            Ok(status) => {
                let keep = self.keep(head);
                let sent = write_head(
                    &mut self.stream,
                    head.minor,
                    status,
                    &[],
                    Framing::Length(0),
                    keep,
                );
                self.done(Some(status), shown, 0, sent, keep)
            }
            Err(Refused { status: None, err }) => self.fail(head, shown, err),
            Err(Refused {
                status: Some(status),
                err,
            }) => self.fail_with(head, status, &[], shown, err),
        }
    }

    /// Sends an XML document with `status` and `fields`.
    fn send_xml(
        &mut self,
        head: &Head,
        status: u16,
        fields: &[(&str, String)],
        xml: &str,
        shown: Option<String>,
    ) -> Done {
        use std::io::Write;
        let keep = self.keep(head);
        let mut all = vec![("Content-Type", "application/xml; charset=utf-8".to_string())];
        all.extend(fields.iter().map(|(n, v)| (*n, v.clone())));
        let body = format!("{XML_HEAD}{xml}");
        let sent = write_head(
            &mut self.stream,
            head.minor,
            status,
            &all,
            Framing::Length(body.len() as u64),
            keep,
        )
        .and_then(|()| self.stream.write_all(body.as_bytes()));
        self.done(Some(status), shown, 0, sent, keep)
    }
}

/// The name shown on the request's log line.
fn shown(path: &Path) -> Option<String> {
    match path {
        Path::File(name) | Path::Folder(Some(name)) => Some(name.as_str().to_string()),
        Path::Folder(None) => Some("/".to_string()),
    }
}

/// 423 Locked.
fn locked(name: &str) -> Refused {
    let name = if name.is_empty() { "/" } else { name };
    refused(
        423,
        ErrorKind::Busy,
        format!(
            "{} is locked; send the lock's token in an If field (or wait for the lock to end)",
            crate::name::quote(name)
        ),
    )
}
