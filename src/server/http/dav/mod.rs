//! WebDAV (RFC 4918) on nf's port: the methods HTTP lacks for a mounted share, each through
//! the operations layer with the request's principal, as every other dialect. MKCOL, MOVE
//! and COPY ([`namespace`]). GET, HEAD, PUT and DELETE of files are HTTP's own handlers.
//!
//! A URL becomes a name only through [`target`](super::target), as for GET and PUT: a
//! folder's URL with or without its final `/` names the same folder here (WebDAV clients
//! send both); whether a name is a file or a folder is asked of the store
//! ([`Service::kind`](crate::service::Service::kind)).

mod copy;
mod namespace;

use super::head::Head;
use super::response::{write_head, Framing};
use super::target::{Path, Target};
use super::{Done, Session};
use crate::error::{Error, ErrorKind};
use crate::name::FileName;

/// The WebDAV methods served here (besides HTTP's GET, HEAD, PUT, DELETE and OPTIONS).
pub const METHODS: &[&str] = &["MKCOL", "MOVE", "COPY"];

/// True when `method` is one of [`METHODS`].
pub fn serves(method: &str) -> bool {
    METHODS.contains(&method)
}

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

/// The name a WebDAV method acts on; the top folder is refused with `why` (403).
fn named(path: &Path, why: &str) -> Result<FileName, Refused> {
    match path {
        Path::File(name) | Path::Folder(Some(name)) => Ok(name.clone()),
        Path::Folder(None) => Err(refused(403, ErrorKind::Denied, why)),
    }
}

impl Session<'_> {
    /// Serves the WebDAV method `method` (one of [`METHODS`]) on `target`.
    pub(super) fn dav(&mut self, head: &Head, method: &str, target: &Target) -> Done {
        let result = match method {
            "MKCOL" => self.mkcol(&target.path),
            "MOVE" => self.relocate(head, &target.path, false),
            _ => self.relocate(head, &target.path, true),
        };
        let shown = match &target.path {
            Path::File(name) | Path::Folder(Some(name)) => Some(name.as_str().to_string()),
            Path::Folder(None) => Some("/".to_string()),
        };
        self.answer(head, shown, result)
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
}
