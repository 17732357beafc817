//! LOCK and UNLOCK (WebDAV class 2): exclusive and shared write locks on a file or folder
//! (`Depth: 0`, or `infinity`: everything below too, the default), each with a timeout
//! (`Timeout: Second-N`, at most an hour; `Infinite` gets the hour) and a token
//! `opaquelocktoken:<random UUID>` returned in `Lock-Token`. A LOCK without a body refreshes
//! the lock whose token its `If` field names. Locking a free name makes an empty file there
//! (RFC 4918 §7.3), through the verified upload path. Taking a lock needs `write`; only the
//! principal that took a lock may use or remove it. The table is this server's
//! ([`DavState`](crate::service::davstate::DavState)).

use std::time::Duration;

use super::props::active_lock;
use super::xml::{self, DAV};
use super::{key, refused, shown, Refused};
use crate::error::ErrorKind;
use crate::name::FileName;
use crate::server::http::head::Head;
use crate::server::http::target::Path;
use crate::server::http::{Done, Session};
use crate::service::davstate::{self, Lock, MAX_TIMEOUT};
use crate::service::Right;
use crate::store::Attrs;

impl Session<'_> {
    /// LOCK: 200 (or 201 when it made the file) with the lock's `lockdiscovery`.
    pub(super) fn lock(&mut self, head: &Head, path: &Path) -> Done {
        match self.take_lock(head, path) {
            Ok((lock, status)) => {
                let xml = format!(
                    "<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery>{}</D:lockdiscovery></D:prop>",
                    active_lock(&lock)
                );
                let fields = [("Lock-Token", format!("<{}>", lock.token))];
                self.send_xml(head, status, &fields, &xml, shown(path))
            }
            Err(refusal) => self.answer(head, shown(path), Err(refusal)),
        }
    }

    fn take_lock(&mut self, head: &Head, path: &Path) -> Result<(Lock, u16), Refused> {
        let name = match path {
            Path::File(n) | Path::Folder(Some(n)) => Some(n.clone()),
            Path::Folder(None) => None,
        };
        self.svc.allowed(&self.who, Right::Write, name.as_ref())?;
        let timeout = timeout(head);
        let body = self.small_body()?;
        let at = key(path).to_string();
        if body.iter().all(u8::is_ascii_whitespace) {
            return self.refresh(head, &at, timeout).map(|lock| (lock, 200));
        }
        let root = xml::parse(&body)?;
        if !root.is(DAV, "lockinfo") {
            return Err(refused(
                400,
                ErrorKind::Protocol,
                "the body is to be a DAV:lockinfo document",
            ));
        }
        let shared = match root.dav_child("lockscope") {
            Some(scope) if scope.dav_child("shared").is_some() => true,
            Some(scope) if scope.dav_child("exclusive").is_some() => false,
            _ => {
                return Err(refused(
                    400,
                    ErrorKind::Protocol,
                    "lockinfo needs a lockscope (exclusive or shared)",
                ))
            }
        };
        if root
            .dav_child("locktype")
            .is_none_or(|t| t.dav_child("write").is_none())
        {
            return Err(refused(
                400,
                ErrorKind::Protocol,
                "only write locks are served (locktype write)",
            ));
        }
        let owner = root.dav_child("owner").map_or_else(String::new, |o| {
            let mut v = String::new();
            o.write_content(&mut v);
            v
        });
        let deep = super::depth_zero_or_infinity(head, "LOCK")?;
        let lock = self
            .svc
            .dav
            .lock(&at, deep, shared, owner, &self.who, timeout)
            .map_err(|why| match why {
                davstate::Refused::Locked => super::locked(&at),
                davstate::Refused::Full => refused(
                    503,
                    ErrorKind::Busy,
                    "too many locks are held on this server; try again later",
                ),
            })?;
        let made = match &name {
            Some(name) => self.make_locked(name),
            None => Ok(false),
        };
        match made {
            Ok(made) => Ok((lock, if made { 201 } else { 200 })),
            Err(refusal) => {
                self.svc.dav.unlock(&lock.token, &at, &self.who);
                Err(refusal)
            }
        }
    }

    /// Refreshes the lock on `at` whose token the `If` field names.
    fn refresh(&mut self, head: &Head, at: &str, timeout: Duration) -> Result<Lock, Refused> {
        let tokens = self.if_holds(head, at)?;
        tokens
            .iter()
            .find_map(|t| self.svc.dav.refresh(t, at, &self.who, timeout))
            .ok_or_else(|| {
                refused(
                    412,
                    ErrorKind::Exists,
                    "a LOCK without a body refreshes a lock: name its token in an If field",
                )
            })
    }

    /// Makes an empty file at the free name `name` (a lock on an unmapped URL); true if made.
    fn make_locked(&mut self, name: &FileName) -> Result<bool, Refused> {
        if self.svc.kind(&self.who, name)?.is_some() {
            return Ok(false);
        }
        if let Some(parent) = name.parent() {
            if self.svc.kind(&self.who, &parent)? != Some(crate::store::Kind::Dir) {
                return Err(refused(
                    409,
                    ErrorKind::Conflict,
                    "the folder to hold it does not exist; make it first (MKCOL)",
                ));
            }
        }
        let upload = self
            .svc
            .begin_upload(&self.who, name, (0, Some(0)), false, Attrs::default())?;
        let verified = upload.finish(None)?;
        self.svc.commit(&self.who, vec![(verified, false)]).one()?;
        Ok(true)
    }

    /// UNLOCK: 204, or 409 when the `Lock-Token` names no lock on the resource.
    pub(super) fn unlock(&mut self, head: &Head, path: &Path) -> Result<u16, Refused> {
        let Some(token) = head.field("lock-token") else {
            return Err(refused(
                400,
                ErrorKind::Protocol,
                "UNLOCK needs a Lock-Token field",
            ));
        };
        let token = token.trim().trim_start_matches('<').trim_end_matches('>');
        match self.svc.dav.unlock(token, key(path), &self.who) {
            true => Ok(204),
            false => Err(refused(
                409,
                ErrorKind::Conflict,
                "the Lock-Token names no lock of yours on this resource",
            )),
        }
    }
}

/// The request's `Timeout` (its first choice), within [`MAX_TIMEOUT`].
fn timeout(head: &Head) -> Duration {
    let first = head
        .field("timeout")
        .and_then(|t| t.split(',').next())
        .map(str::trim);
    match first
        .and_then(|t| t.strip_prefix("Second-"))
        .and_then(|s| s.parse::<u64>().ok())
    {
        Some(secs) => Duration::from_secs(secs).min(MAX_TIMEOUT),
        None => MAX_TIMEOUT,
    }
}
