//! The tree under the storage root: names resolved to open directories beneath the root's
//! descriptor, never through a symlink ([`crate::sys::open_beneath`]: `openat2` with
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, or an `O_NOFOLLOW` walk), and the operations on
//! directories: walking a listing, creating, removing and renaming. Every call here works on a
//! directory descriptor and one component, so a symlink planted at any component of a name
//! (`ROOT/a -> /etc`) is met as what it is and refused, never followed.

use std::fs::{self, File, Metadata};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::walk::dir_entry;
use super::{meta, not_a_file, open_nofollow, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::store::{is_a_dir, is_a_file, not_found, Descend, Entry, Visit, DEFAULT_DIR_MODE};
use crate::sys;

/// Open flags of a directory that is read or fsynced, never a symlink.
const DIR_FLAGS: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW;

/// What one component names in its directory.
pub(super) enum Node {
    Missing,
    File(Metadata),
    Dir(Metadata),
    /// A symlink, FIFO, socket or device: never followed, replaced or removed.
    Other(Metadata),
}

/// What `leaf` is in the open directory `dir` (not following a symlink).
pub(super) fn node(dir: &File, leaf: &str) -> io::Result<Node> {
    match fs::symlink_metadata(sys::path_at(dir, leaf)) {
        Ok(md) if md.is_file() => Ok(Node::File(md)),
        Ok(md) if md.is_dir() => Ok(Node::Dir(md)),
        Ok(md) => Ok(Node::Other(md)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Node::Missing),
        Err(e) => Err(e),
    }
}

/// Opens the directory `leaf` of `dir` (never a symlink).
pub(super) fn open_child_dir(dir: &File, leaf: &str) -> io::Result<File> {
    sys::openat(dir, leaf, DIR_FLAGS, 0)
}

/// Makes a directory's entries (a rename, a link, an unlink, a mkdir) durable. Best effort.
pub(super) fn sync_dirs(dirs: &[File]) {
    let mut seen = Vec::with_capacity(dirs.len());
    for d in dirs {
        let id = d.metadata().map(|m| (m.dev(), m.ino())).ok();
        if id.is_some() && seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let _ = d.sync_all();
    }
}

impl Store {
    /// A descriptor of the root directory.
    pub(super) fn root_dir(&self) -> Result<File> {
        self.inner
            .root_fd
            .try_clone()
            .map_err(|e| Error::io("cannot open the storage directory", &e))
    }

    /// The open directory `dir` (`None`: the root), or `None` if it or a directory above it
    /// does not exist. `target` is the name asked for, for the error when something other
    /// than a directory is in the way.
    pub(super) fn open_dir(&self, dir: Option<&FileName>, target: &FileName) -> Result<Option<File>> {
        let Some(dir) = dir else {
            return self.root_dir().map(Some);
        };
        match sys::open_beneath(&self.inner.root_fd, dir.as_str(), DIR_FLAGS, 0) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
            Err(e) => Err(self.in_the_way(dir, target, e)),
        }
    }

    /// The open directory holding `name`, or `None` if it does not exist.
    pub(super) fn parent(&self, name: &FileName) -> Result<Option<File>> {
        self.open_dir(name.parent().as_ref(), name)
    }

    /// Says what stops `dir` from being opened as a directory (for the name `target`): walks
    /// it component by component and looks at the one that fails.
    fn in_the_way(&self, dir: &FileName, target: &FileName, err: io::Error) -> Error {
        let mut current = match self.root_dir() {
            Ok(d) => d,
            Err(e) => return e,
        };
        let mut prefix: Option<FileName> = None;
        for component in dir.components() {
            let Ok(here) = FileName::child(prefix.as_ref(), component) else {
                break;
            };
            match open_child_dir(&current, component) {
                Ok(next) => {
                    current = next;
                    prefix = Some(here);
                }
                Err(e) => return self.blocked(&current, &here, target, e),
            }
        }
        Error::io(format!("cannot open {}", quote(dir.as_str())), &err)
    }

    /// The error for the component `here` (in the open directory `dir`), which could not be
    /// opened as a directory on the way to `target` (`e`).
    fn blocked(&self, dir: &File, here: &FileName, target: &FileName, e: io::Error) -> Error {
        match node(dir, here.leaf()) {
            Ok(Node::Missing) => not_found(target),
            Ok(Node::File(_)) if here == target => Error::new(
                ErrorKind::Conflict,
                format!(
                    "{} on the server is a file, not a directory",
                    quote(here.as_str())
                ),
            ),
            Ok(Node::File(_)) => is_a_file(here, target),
            Ok(Node::Other(md)) => not_a_file(here.as_str(), &md, "a directory"),
            _ => Error::io(format!("cannot open {}", quote(here.as_str())), &e),
        }
    }

    /// Opens the directory `dir`, creating it and the missing directories above it (mode
    /// 0755); each directory whose entries changed is added to `changed`, to be fsynced. A
    /// file or a symlink in the way is an error (for the name `target`).
    pub(super) fn make_dir(
        &self,
        dir: &FileName,
        target: &FileName,
        changed: &mut Vec<File>,
    ) -> Result<File> {
        match sys::open_beneath(&self.inner.root_fd, dir.as_str(), DIR_FLAGS, 0) {
            Ok(f) => return Ok(f),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
            Err(e) => return Err(self.in_the_way(dir, target, e)),
        }
        // A directory made here may be removed before the next one is made in it (an `rm -r`
        // racing with this): then the walk starts again from the root, a few times.
        let mut rounds = 0;
        'again: loop {
            rounds += 1;
            let mut current = self.root_dir()?;
            let mut prefix: Option<FileName> = None;
            for component in dir.components() {
                let here = FileName::child(prefix.as_ref(), component)?;
                let mut tries = 0;
                current = loop {
                    tries += 1;
                    match open_child_dir(&current, component) {
                        Ok(next) => break next,
                        Err(e) if e.raw_os_error() == Some(libc::ENOENT) && tries < 8 => {
                            match sys::mkdirat(&current, component, DEFAULT_DIR_MODE) {
                                Ok(()) => changed.push(
                                    current
                                        .try_clone()
                                        .map_err(|e| Error::io("cannot open a directory", &e))?,
                                ),
                                // Made by another upload meanwhile.
                                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                                // The directory it goes into was removed meanwhile.
                                Err(e) if e.kind() == io::ErrorKind::NotFound && rounds < 8 => {
                                    continue 'again
                                }
                                Err(e) => {
                                    return Err(Error::io(
                                        format!("cannot create the directory {}", quote(here.as_str())),
                                        &e,
                                    ))
                                }
                            }
                        }
                        Err(e) => return Err(self.blocked(&current, &here, target, e)),
                    }
                };
                prefix = Some(here);
            }
            return Ok(current);
        }
    }

    /// The entry of the regular file `name`, whose `stat` is `md`, the entry `leaf` of the open
    /// directory `dir`: from its metadata, or hashed once if it has none (placed by hand).
    pub(super) fn file_entry(
        &self,
        dir: &File,
        leaf: &str,
        name: FileName,
        md: &Metadata,
    ) -> io::Result<Entry> {
        let meta = match meta::read_at(dir, leaf, md) {
            Some(m) => m,
            None => {
                let file = open_nofollow(&sys::path_at(dir, leaf))?;
                meta::adopt(&file)?
            }
        };
        Ok(meta.entry(name, md.permissions().mode()))
    }

    /// [`crate::store::Store::walk_into`] on the local tree.
    pub fn walk_into(&self, from: Option<&FileName>, into: &Descend, visit: &mut Visit<'_>) -> Result<u64> {
        let mut count = 0;
        let Some(name) = from else {
            let root = self.root_dir()?;
            self.walk_dir(&root, None, into, visit, &mut count)?;
            return Ok(count);
        };
        let parent = self.parent(name)?.ok_or_else(|| not_found(name))?;
        let leaf = name.leaf();
        let looked = node(&parent, leaf)
            .map_err(|e| Error::io(format!("cannot read {}", quote(name.as_str())), &e))?;
        match looked {
            Node::Missing => Err(not_found(name)),
            Node::Other(md) => Err(not_a_file(name.as_str(), &md, "a file or directory")),
            Node::File(md) => {
                let entry = self
                    .file_entry(&parent, leaf, name.clone(), &md)
                    .map_err(|e| Error::io(format!("cannot read {}", quote(name.as_str())), &e))?;
                visit(entry)?;
                Ok(1)
            }
            Node::Dir(_) => {
                let dir = open_child_dir(&parent, leaf).map_err(|e| self.blocked(&parent, name, name, e))?;
                self.walk_dir(&dir, Some(name), into, visit, &mut count)?;
                Ok(count)
            }
        }
    }

    /// [`crate::store::Store::mkdir`] on the local tree.
    pub fn mkdir(&self, name: &FileName) -> Result<Entry> {
        let mut changed = Vec::new();
        let dir = self.make_dir(name, name, &mut changed)?;
        sync_dirs(&changed);
        let md = dir
            .metadata()
            .map_err(|e| Error::io(format!("cannot read {}", quote(name.as_str())), &e))?;
        Ok(dir_entry(name.clone(), &md))
    }

    /// [`crate::store::Store::remove`] on the local tree.
    pub fn remove(&self, name: &FileName, recursive: bool) -> Result<u64> {
        let failed = |e: io::Error| match e.kind() {
            io::ErrorKind::NotFound => not_found(name),
            _ => Error::io(format!("cannot remove {}", quote(name.as_str())), &e),
        };
        let parent = self.parent(name)?.ok_or_else(|| not_found(name))?;
        let leaf = name.leaf();
        match node(&parent, leaf).map_err(failed)? {
            Node::Missing => Err(not_found(name)),
            Node::Other(md) => Err(not_a_file(name.as_str(), &md, "a file")),
            Node::File(_) => {
                sys::unlinkat(&parent, leaf, false).map_err(failed)?;
                sync_dirs(&[parent]);
                // Interrupted uploads of a name the user removed are of no use either.
                self.drop_partials(name);
                Ok(1)
            }
            Node::Dir(_) if !recursive => Err(is_a_dir(name, "; remove it with rm -r")),
            Node::Dir(_) => {
                let mut removed = 0;
                let mut refused: Option<Error> = None;
                // A put racing with the removal may create an entry after it was emptied: then
                // it is emptied again, a few times, before giving up.
                let mut tries = 0;
                loop {
                    tries += 1;
                    let dir = match open_child_dir(&parent, leaf) {
                        Ok(d) => d,
                        Err(e) if e.kind() == io::ErrorKind::NotFound && tries > 1 => break,
                        Err(e) => return Err(failed(e)),
                    };
                    self.empty_dir(&dir, Some(name), &mut removed, &mut refused);
                    if let Some(e) = refused {
                        sync_dirs(&[dir]);
                        return Err(e.context(format!(
                            "{} was not removed ({removed} files inside were)",
                            quote(name.as_str())
                        )));
                    }
                    match sys::unlinkat(&parent, leaf, true) {
                        Ok(()) => break,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                        Err(e) if e.raw_os_error() == Some(libc::ENOTEMPTY) && tries < 5 => continue,
                        Err(e) if e.raw_os_error() == Some(libc::ENOTEMPTY) => {
                            return Err(Error::new(
                                ErrorKind::Busy,
                                format!(
                                    "{} is being written to while it is removed; try again",
                                    quote(name.as_str())
                                ),
                            ))
                        }
                        Err(e) => return Err(failed(e)),
                    }
                }
                sync_dirs(&[parent]);
                Ok(removed)
            }
        }
    }

    /// Removes everything in the open directory `dir` (named `name` when its name is valid):
    /// files and directories, whatever their names. A symlink or special file is left alone
    /// and the first is reported in `refused`. Counts the files removed. Iterative, depth
    /// first: one open directory per level, each emptied directory removed by its parent.
    fn empty_dir(&self, dir: &File, name: Option<&FileName>, removed: &mut u64, refused: &mut Option<Error>) {
        struct Frame {
            dir: File,
            name: Option<FileName>,
            entries: std::vec::IntoIter<fs::DirEntry>,
            /// This directory's own name in its parent, to remove once it is empty.
            leaf: Option<String>,
        }
        let frame = |dir: File, name: Option<FileName>, leaf: Option<String>| -> Option<Frame> {
            let entries: Vec<fs::DirEntry> = sys::read_dir(&dir).ok()?.flatten().collect();
            Some(Frame {
                dir,
                name,
                entries: entries.into_iter(),
                leaf,
            })
        };
        let Some(first) = dir.try_clone().ok().and_then(|d| frame(d, name.cloned(), None)) else {
            return;
        };
        let mut stack = vec![first];
        while let Some(top) = stack.last_mut() {
            let Some(entry) = top.entries.next() else {
                let done = stack.pop().expect("a frame");
                if let (Some(parent), Some(leaf)) = (stack.last(), done.leaf) {
                    let _ = sys::unlinkat(&parent.dir, &leaf, true);
                }
                continue;
            };
            let raw = entry.file_name();
            let Some(leaf) = raw.to_str() else {
                // Not valid UTF-8: no `&str` for the *at calls; left, and the rmdir says so.
                continue;
            };
            let child = FileName::child(top.name.as_ref(), leaf).ok();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_file() {
                if sys::unlinkat(&top.dir, leaf, false).is_ok() {
                    *removed += 1;
                    if let Some(child) = &child {
                        self.drop_partials(child);
                    }
                }
            } else if kind.is_dir() {
                let sub = open_child_dir(&top.dir, leaf).ok();
                match sub.and_then(|d| frame(d, child, Some(leaf.to_string()))) {
                    Some(next) => stack.push(next),
                    None => {
                        let _ = sys::unlinkat(&top.dir, leaf, true);
                    }
                }
            } else if refused.is_none() {
                let shown = match &top.name {
                    Some(n) => format!("{n}/{leaf}"),
                    None => leaf.to_string(),
                };
                if let Ok(md) = entry.metadata() {
                    *refused = Some(not_a_file(&shown, &md, "a file or directory"));
                }
            }
        }
    }

    /// [`crate::store::Store::rename`] on the local tree: one `renameat2`, refusing to replace
    /// (`RENAME_NOREPLACE`) unless `force` and both are files.
    pub fn rename(&self, from: &FileName, to: &FileName, force: bool) -> Result<()> {
        let from_parent = self.parent(from)?.ok_or_else(|| not_found(from))?;
        let io_error = |e: &io::Error| Error::io(format!("cannot move {}", quote(from.as_str())), e);
        let is_dir = match node(&from_parent, from.leaf()).map_err(|e| io_error(&e))? {
            Node::Missing => return Err(not_found(from)),
            Node::Other(md) => return Err(not_a_file(from.as_str(), &md, "a file or directory")),
            Node::File(_) => false,
            Node::Dir(_) => true,
        };
        if from == to {
            return Ok(());
        }
        let mut changed = Vec::new();
        let to_parent = match to.parent() {
            None => self.root_dir()?,
            Some(dir) => self.make_dir(&dir, to, &mut changed)?,
        };
        let in_place = |to_parent: &File| -> Result<()> {
            match node(to_parent, to.leaf()).map_err(|e| io_error(&e))? {
                Node::Missing => Ok(()),
                Node::Other(md) => Err(not_a_file(to.as_str(), &md, "a file")),
                Node::Dir(_) => Err(is_a_dir(to, "; nf never replaces a directory")),
                Node::File(_) if is_dir => Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "{} on the server is a file; a directory cannot replace it",
                        quote(to.as_str())
                    ),
                )),
                Node::File(_) if !force => Err(Error::exists(quote(to.as_str()))),
                Node::File(_) => Ok(()),
            }
        };
        in_place(&to_parent)?;
        let renamed = sys::renameat(
            Some(&from_parent),
            Path::new(from.leaf()),
            &to_parent,
            to.leaf(),
            !force || is_dir,
        );
        if let Err(e) = renamed {
            return Err(match e.raw_os_error() {
                Some(libc::ENOENT) => not_found(from),
                // What took `to` meanwhile decides the message.
                Some(libc::EEXIST | libc::EISDIR | libc::ENOTDIR | libc::ENOTEMPTY) => {
                    in_place(&to_parent).err().unwrap_or_else(|| io_error(&e))
                }
                _ => io_error(&e),
            });
        }
        changed.push(to_parent);
        changed.push(from_parent);
        sync_dirs(&changed);
        if !is_dir {
            self.drop_partials(from);
            self.drop_partials(to);
        }
        Ok(())
    }
}
