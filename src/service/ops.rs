//! The operations layer: the one way to the store. Every dialect (native, HTTP, seed,
//! classroom) parses a request, calls one of these with its connection's [`Principal`] and
//! validated names, and replies; here each operation asks the [`Policy`] for the right it
//! needs, applies the server's limits, and calls the store. Policy is written once.

use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::store::{Attrs, Content, Entry, Kind, Upload, Verified, Visit};

use super::policy::{Principal, Right};
use super::room::{needs_free_check, refuse_before_body};
use super::Service;

/// Uploads committed together ([`Service::commit`]): when, and one result each.
#[derive(Debug)]
pub struct Commit {
    /// The commit time, which their record and receipts state.
    pub at: SystemTime,
    pub results: Vec<Result<Entry>>,
}

impl Commit {
    /// The result of a batch of one upload.
    pub fn one(mut self) -> Result<Entry> {
        self.results.pop().expect("one result per upload")
    }
}

impl Service {
    /// `Ok` when `who` may use `right` on `path` (`None`: the top), else the policy's refusal.
    /// A dialect may ask first to refuse before it reads a body; the operations ask again.
    pub fn allowed(&self, who: &Principal, right: Right, path: Option<&FileName>) -> Result<()> {
        self.policy.check(who, right, path)
    }

    /// Visits the entries under `from` as [`Store::walk`](crate::store::Store::walk) does:
    /// streamed, nothing gathered; only those `who` may see ([`Policy::view`]), so every
    /// dialect's listing (native, `?json`, the page, `?tar`, the old dialects') shows the
    /// same names. Returns how many were visited.
    ///
    /// [`Policy::view`]: super::Policy::view
    pub fn walk(
        &self,
        who: &Principal,
        from: Option<&FileName>,
        recursive: bool,
        visit: &mut Visit<'_>,
    ) -> Result<u64> {
        self.allowed(who, Right::List, from)?;
        let view = self.policy.view(who);
        if view.shows_all() {
            return self.store.walk(from, recursive, visit);
        }
        // Nothing below a folder the view hides shows (whatever shows is under a listable
        // folder or on the way to a grant, and so is each folder above it): not gone into.
        let into = |dir: &FileName| recursive && view.shows(dir);
        let mut shown = 0;
        self.store.walk_into(from, &into, &mut |entry| {
            if !view.shows(&entry.name) {
                return Ok(());
            }
            shown += 1;
            visit(entry)
        })?;
        Ok(shown)
    }

    /// The entries of the directory `dir` (none: the top) that `who` may see, one level, in
    /// byte order; only those whose last component matches `pattern`, if given.
    pub fn list(&self, who: &Principal, dir: Option<&FileName>, pattern: Option<&str>) -> Result<Vec<Entry>> {
        self.allowed(who, Right::List, dir)?;
        let mut entries = self.store.list(dir, pattern)?;
        let view = self.policy.view(who);
        if !view.shows_all() {
            entries.retain(|e| view.shows(&e.name));
        }
        Ok(entries)
    }

    /// Whether a file or folder is stored under `name`, asked by a principal that may know:
    /// one with `list` on its folder or a right on or below it (else `not_found`, as for any
    /// name it may not see). An HTTP PUT into a drop folder (`write` without `read`) asks
    /// this rather than [`Service::stat`].
    pub fn exists(&self, who: &Principal, name: &FileName) -> Result<bool> {
        self.policy.check_known(who, name)?;
        Ok(self.store.exists(name))
    }

    /// What is stored under `name`: a file, a folder, or nothing; asked by a principal that
    /// may know (as [`Service::exists`], else `not_found`). WebDAV's MKCOL, MOVE and COPY
    /// answer by it (a missing parent folder is 409, a taken name 405 or 412).
    pub fn kind(&self, who: &Principal, name: &FileName) -> Result<Option<Kind>> {
        self.policy.check_known(who, name)?;
        Ok(self.store.stat(name)?.0.map(|e| e.kind))
    }

    /// The entry under `name` (if any) and the bytes of a resumable partial upload of it. A
    /// name `who` may not see is answered as one that does not exist: no entry, no partial.
    pub fn stat(&self, who: &Principal, name: &FileName) -> Result<(Option<Entry>, u64)> {
        match self.allowed(who, Right::Read, Some(name)) {
            Err(hidden) if hidden.kind == ErrorKind::NotFound => Ok((None, 0)),
            // Whoever may write there but not read (a drop folder) learns only how much of an
            // interrupted upload is kept, so that `nf put --resume` continues it.
            // A stored file's entry stays refused.
            Err(refused) => match self.allowed(who, Right::Write, Some(name)) {
                Ok(()) => match self.store.stat(name)? {
                    (None, partial) => Ok((None, partial)),
                    (Some(_), _) => Err(refused),
                },
                Err(_) => Err(refused),
            },
            Ok(()) => self.store.stat(name),
        }
    }

    /// True when `name` is a folder `who` may list: what an HTTP GET of a folder's name without
    /// its final `/` needs to know to send the client there (`read` is not needed).
    pub fn is_folder(&self, who: &Principal, name: &FileName) -> bool {
        self.allowed(who, Right::List, Some(name)).is_ok()
            && matches!(self.store.stat(name), Ok((Some(e), _)) if e.is_dir())
    }

    /// Opens the file `name` for download from `offset`.
    pub fn read(&self, who: &Principal, name: &FileName, offset: u64) -> Result<(Content, Entry)> {
        self.allowed(who, Right::Read, Some(name))?;
        self.store.read(name, offset)
    }

    /// Whether a body of `size` bytes (if known) from `offset` may be received at all: within
    /// `max_file_size` and the store's free space. Asked before the body is read.
    pub fn room(&self, size: Option<u64>, offset: u64) -> Result<()> {
        let free = match size {
            Some(s) if needs_free_check(s.saturating_sub(offset)) => self.store.free_bytes(),
            _ => None,
        };
        match refuse_before_body(size, offset, self.settings.max_file_size, free) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Starts an upload of `name` (`size` bytes if known, continuing from `offset`): a new
    /// name needs `write`; an existing file is replaced only with `force`, which needs
    /// `overwrite` where a file is (where none is, the upload will not replace one that
    /// appears before its commit). Large enough uploads keep their partial for a resume
    /// (`resume_min_bytes`). It becomes visible with [`Service::commit`] or its own commit.
    pub fn begin_upload(
        &self,
        who: &Principal,
        name: &FileName,
        (offset, size): (u64, Option<u64>),
        force: bool,
        attrs: Attrs,
    ) -> Result<Upload> {
        let replaces = self.may_upload(who, name, force)?;
        self.within_limit(who, name, size)?;
        let resumable = size.is_some_and(|s| s >= self.settings.resume_min_bytes);
        let upload = self.store.begin_upload(name, offset, size, resumable, attrs)?;
        Ok(replacing(upload, replaces))
    }

    /// A replacing upload of `name`, `length` bytes, continued from `offset`, whose partial
    /// is kept whatever its size (a tus upload, which lives across requests).
    pub(super) fn begin_resumable(
        &self,
        who: &Principal,
        name: &FileName,
        offset: u64,
        length: u64,
    ) -> Result<Upload> {
        let replaces = self.may_upload(who, name, true)?;
        self.within_limit(who, name, Some(length))?;
        let upload = self
            .store
            .begin_upload(name, offset, Some(length), true, Attrs::default())?;
        Ok(replacing(upload, replaces))
    }

    /// Refuses an upload of `size` bytes (if known) over `who`'s limit for `name`.
    fn within_limit(&self, who: &Principal, name: &FileName, size: Option<u64>) -> Result<()> {
        if let Some(size) = size {
            let limit = self.upload_limit(who, name)?;
            if size > limit.bytes {
                return Err(limit.refusal(size));
            }
        }
        Ok(())
    }

    /// Whether `who` may upload `name` now: `write`, and, with `force` where a file is,
    /// `overwrite`. True when the upload may replace a file at its commit (false: only a
    /// free name, as one appearing meanwhile may not be replaced).
    pub(super) fn may_upload(&self, who: &Principal, name: &FileName, force: bool) -> Result<bool> {
        self.allowed(who, Right::Write, Some(name))?;
        // `exists` is asked only when the answer matters: no extra look-up where overwriting
        // is allowed anyway.
        if !force && self.store.exists(name) {
            return Err(Error::exists(quote(name.as_str())));
        }
        if force {
            if let Err(refused) = self.allowed(who, Right::Overwrite, Some(name)) {
                if self.store.exists(name) {
                    return Err(refused);
                }
                // Free now: it must still be at the commit, which `force` cannot change.
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Makes verified uploads `who` sent visible (`force`: replace an existing file); one
    /// result each, in order, and the commit time. Each was allowed when it began
    /// ([`Service::begin_upload`]). Those committed are recorded for `nf receipts`, one record
    /// for the batch ([`super::receipt_store`]), before this returns.
    pub fn commit(&self, who: &Principal, batch: Vec<(Verified, bool)>) -> Commit {
        let results = self.store.commit(batch);
        let at = SystemTime::now();
        let committed: Vec<&Entry> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        self.record_batch(who, at, &committed);
        Commit { at, results }
    }

    /// Deletes the file `name`, or with `recursive` a directory and all in it.
    pub fn remove(&self, who: &Principal, name: &FileName, recursive: bool) -> Result<u64> {
        self.allowed(who, Right::Delete, Some(name))?;
        self.store.remove(name, recursive)
    }

    /// Creates the directory `name` and the missing ones above it.
    pub fn mkdir(&self, who: &Principal, name: &FileName) -> Result<Entry> {
        self.allowed(who, Right::Write, Some(name))?;
        self.store.mkdir(name)
    }

    /// Moves `from` to `to`: `delete` on the source, `write` on the target, and `overwrite`
    /// too when `force` would replace a file there. Without `overwrite`, `force` is dropped,
    /// so a target that appears meanwhile is refused by the store, not replaced.
    pub fn rename(&self, who: &Principal, from: &FileName, to: &FileName, force: bool) -> Result<()> {
        self.allowed(who, Right::Delete, Some(from))?;
        self.allowed(who, Right::Write, Some(to))?;
        let mut force = force;
        if force {
            if let Err(refused) = self.allowed(who, Right::Overwrite, Some(to)) {
                if self.store.exists(to) {
                    return Err(refused);
                }
                force = false;
            }
        }
        self.store.rename(from, to, force)
    }
}

/// `upload` as it is when it may replace a file at its commit (`replaces`), else one that
/// never replaces ([`Upload::never_replacing`]).
pub(super) fn replacing(upload: Upload, replaces: bool) -> Upload {
    match replaces {
        true => upload,
        false => upload.never_replacing(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// A service whose only rule makes `drop` a drop folder for everyone (`write` only), with
    /// that folder made.
    fn drop_folder() -> (Service, tempfile::TempDir) {
        let (svc, dir) = super::super::for_tests(Config::defaults());
        let rules = "[[allow]]\nwho = [\"*\"]\npath = \"/drop\"\nrights = [\"write\"]\n";
        svc.set_access(Some(
            super::super::access::Access::parse(rules, "access.toml".as_ref()).unwrap(),
        ));
        std::fs::create_dir(dir.path().join("drop")).unwrap();
        (svc, dir)
    }

    /// In a drop folder (`write` without `overwrite`) a forced upload of a free name begins,
    /// but a file that takes the name before its commit is kept: the commit is `exists`.
    /// Listings there show nothing of what the folder holds, and a name in it is known to
    /// exist only by whoever may name it.
    #[test]
    fn a_drop_folder_upload_never_replaces_a_file_that_appeared_meanwhile() {
        let (svc, dir) = drop_folder();
        let who = Principal::Anonymous;
        let name = FileName::parse("drop/a.txt").unwrap();
        let mut upload = svc
            .begin_upload(&who, &name, (0, Some(3)), true, Attrs::default())
            .unwrap();
        upload.write(b"NEW").unwrap();
        let verified = upload.finish(None).unwrap();
        std::fs::write(dir.path().join("drop/a.txt"), b"OLD").unwrap();
        let err = svc.commit(&who, vec![(verified, true)]).one().unwrap_err();
        assert_eq!(err.kind, ErrorKind::Exists, "{}", err.message);
        assert_eq!(std::fs::read(dir.path().join("drop/a.txt")).unwrap(), b"OLD");
        // Now that it exists, a forced upload is refused before it begins.
        let err = svc
            .begin_upload(&who, &name, (0, Some(3)), true, Attrs::default())
            .err()
            .unwrap();
        assert_eq!(err.kind, ErrorKind::Forbidden, "{}", err.message);
        let top = svc.list(&who, None, None).unwrap();
        assert_eq!(top.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["drop"]);
        assert!(svc.exists(&who, &name).unwrap());
        let hidden = FileName::parse("elsewhere.txt").unwrap();
        assert_eq!(svc.exists(&who, &hidden).unwrap_err().kind, ErrorKind::NotFound);
    }

    /// In a drop folder, an interrupted upload's kept bytes are told to its writer (to resume
    /// it), and nothing else of what is there.
    #[test]
    fn a_drop_folder_writer_learns_only_the_partial_to_resume() {
        let (svc, dir) = drop_folder();
        let who = Principal::Anonymous;
        let name = FileName::parse("drop/big.bin").unwrap();
        std::fs::write(dir.path().join("drop/old.txt"), b"OLD").unwrap();
        let mut upload = svc
            .begin_upload(&who, &name, (0, Some(4 << 20)), false, Attrs::default())
            .unwrap();
        upload.write(&vec![7u8; 2 << 20]).unwrap();
        drop(upload);
        let (entry, partial) = svc.stat(&who, &name).unwrap();
        assert!(entry.is_none());
        assert!(partial > 0 && partial <= 2 << 20, "{partial}");
        // An existing file's entry (size, hash) is still refused.
        let old = FileName::parse("drop/old.txt").unwrap();
        assert_eq!(svc.stat(&who, &old).unwrap_err().kind, ErrorKind::Forbidden);
    }

    /// On a read-only server every change is refused with the policy's one error and
    /// nothing reaches the store; reads still work.
    #[test]
    fn a_read_only_service_refuses_every_change_and_serves_reads() {
        let settings = Config {
            read_only: true,
            ..Config::default()
        };
        let (svc, dir) = super::super::for_tests(settings);
        std::fs::write(dir.path().join("a.txt"), b"AAA").unwrap();
        let who = Principal::Anonymous;
        let a = FileName::parse("a.txt").unwrap();
        let b = FileName::parse("b").unwrap();
        let refusals = [
            svc.begin_upload(&who, &b, (0, Some(3)), false, Attrs::default())
                .err(),
            svc.begin_upload(&who, &a, (0, Some(3)), true, Attrs::default())
                .err(),
            svc.remove(&who, &a, false).err(),
            svc.mkdir(&who, &b).err(),
            svc.rename(&who, &a, &b, true).err(),
        ];
        for err in refusals {
            let err = err.expect("refused");
            assert_eq!(err.kind, ErrorKind::Denied);
            assert!(err.message.contains("read-only"), "{}", err.message);
        }
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        assert_eq!(names, ["a.txt"]);
        let listed = svc.list(&who, None, None).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(svc.stat(&who, &a).unwrap().0.unwrap().size, 3);
        assert_eq!(svc.read(&who, &a, 0).unwrap().1.size, 3);
    }
}
