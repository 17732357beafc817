//! WebDAV's namespace methods: MKCOL makes one folder (its parent must exist: 409; a taken
//! name is 405), MOVE and COPY take a `Destination` (an absolute URL or a path) and an
//! `Overwrite` (`T`, the default, or `F`: 412 when the destination is taken). MOVE is
//! `Service::rename` (the rights of `nf mv`: `delete` on the source, `write` on the
//! destination, `overwrite` to replace a file there); replacing a folder, or a file by a
//! folder, removes the destination first, which also needs `delete` there.

use super::{named, refused, Refused};
use crate::error::ErrorKind;
use crate::name::{quote, FileName};
use crate::server::http::head::{Body, Head};
use crate::server::http::target::{self, Path};
use crate::server::http::Session;
use crate::service::Right;
use crate::store::Kind;

impl Session<'_> {
    /// MKCOL: makes the folder `path`; 201.
    pub(super) fn mkcol(&mut self, path: &Path) -> Result<u16, Refused> {
        let name =
            named(path, "the top folder exists").map_err(|r| refused(405, r.err.kind, r.err.message))?;
        self.svc.allowed(&self.who, Right::Write, Some(&name))?;
        if !matches!(self.unread, Body::None | Body::Length(0)) {
            return Err(refused(
                415,
                ErrorKind::Protocol,
                "MKCOL takes no body here; send it without one",
            ));
        }
        if self.svc.kind(&self.who, &name)?.is_some() {
            return Err(refused(
                405,
                ErrorKind::Exists,
                format!("{} exists already", quote(name.as_str())),
            ));
        }
        self.parent_is_folder(&name)?;
        self.svc.mkdir(&self.who, &name)?;
        Ok(201)
    }

    /// MOVE (`copy` false) or COPY of `path` to the request's `Destination`: 201 when the
    /// destination was free, 204 when it was replaced.
    pub(super) fn relocate(&mut self, head: &Head, path: &Path, copy: bool) -> Result<u16, Refused> {
        let verb = if copy { "copied" } else { "moved" };
        let from = named(path, &format!("the top folder cannot be {verb}"))?;
        let to = self.destination(head, verb)?;
        let overwrite = overwrite(head)?;
        if to == from || to.contains(&from) || from.contains(&to) {
            return Err(refused(
                403,
                ErrorKind::Denied,
                format!(
                    "{} cannot be {verb} onto itself, into itself or onto a folder holding it ({})",
                    quote(from.as_str()),
                    quote(to.as_str())
                ),
            ));
        }
        if copy {
            self.svc.allowed(&self.who, Right::Read, Some(&from))?;
        } else {
            self.svc.allowed(&self.who, Right::Delete, Some(&from))?;
        }
        self.svc.allowed(&self.who, Right::Write, Some(&to))?;
        let Some(kind) = self.svc.kind(&self.who, &from)? else {
            return Err(super::props::not_found(&from));
        };
        self.parent_is_folder(&to)?;
        let taken = self.svc.kind(&self.who, &to)?;
        if let Some(there) = taken {
            if !overwrite {
                return Err(refused(
                    412,
                    ErrorKind::Exists,
                    format!(
                        "{} exists and the request says `Overwrite: F`",
                        quote(to.as_str())
                    ),
                ));
            }
            self.svc.allowed(&self.who, Right::Overwrite, Some(&to))?;
            if there == Kind::Dir || kind == Kind::Dir {
                self.svc.allowed(&self.who, Right::Delete, Some(&to))?;
                self.svc.remove(&self.who, &to, true)?;
            }
        }
        if copy {
            self.copy_tree(head, &from, kind, &to)?;
        } else {
            self.svc.rename(&self.who, &from, &to, taken.is_some())?;
        }
        self.svc.dav.carry(from.as_str(), to.as_str(), copy);
        Ok(if taken.is_some() { 204 } else { 201 })
    }

    /// 409 unless the folder above `name` exists (WebDAV makes no missing parents).
    fn parent_is_folder(&self, name: &FileName) -> Result<(), Refused> {
        let Some(parent) = name.parent() else {
            return Ok(());
        };
        match self.svc.kind(&self.who, &parent)? {
            Some(Kind::Dir) => Ok(()),
            _ => Err(refused(
                409,
                ErrorKind::Conflict,
                format!(
                    "there is no folder {}; make it first (MKCOL)",
                    quote(parent.as_str())
                ),
            )),
        }
    }

    /// The request's `Destination`, as a name.
    fn destination(&self, head: &Head, verb: &str) -> Result<FileName, Refused> {
        let Some(raw) = head.field("destination") else {
            return Err(refused(
                400,
                ErrorKind::Protocol,
                "a Destination field is needed (the URL to go to)",
            ));
        };
        match target::parse(self.svc, raw.trim())?.path {
            Path::File(name) | Path::Folder(Some(name)) => Ok(name),
            Path::Folder(None) => Err(refused(
                403,
                ErrorKind::Denied,
                format!("nothing can be {verb} onto the top folder"),
            )),
        }
    }
}

/// The request's `Overwrite` (`T` when absent).
fn overwrite(head: &Head) -> Result<bool, Refused> {
    match head.field("overwrite").map(str::trim) {
        None => Ok(true),
        Some(t) if t.eq_ignore_ascii_case("t") => Ok(true),
        Some(f) if f.eq_ignore_ascii_case("f") => Ok(false),
        Some(other) => Err(refused(
            400,
            ErrorKind::Protocol,
            format!("Overwrite is `T` or `F`, not {}", quote(other)),
        )),
    }
}
