//! The local storage directory. It owns every path under the root: validated names map to real
//! directories and plain files, so other tools see the tree; each file's size, time, mode and
//! BLAKE3 are kept with the file (an extended attribute set before the file becomes visible),
//! and uploads go to partial files under `.nf/partial/` that are fsynced and renamed into
//! place only when complete and verified.
//!
//! It implements the narrow interface of [`crate::store`]. Every name is resolved beneath the
//! root's directory descriptor without following a symlink at any component ([`tree`]:
//! `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, or a component-by-component
//! `O_NOFOLLOW` walk), and it never follows, replaces or removes a symlink (or anything else
//! that is neither a regular file nor a directory): such an entry is not listed, and every
//! operation through it is refused with a `denied` error that says what is there
//! ([`not_a_file`]).
//!
//! Interrupted uploads stay within [`Partials`]: when one is cut and kept, the smaller unused
//! partials of its name are deleted, then the oldest unused ones of any name while all of
//! them hold more than `max_partial_bytes` ([`Store::bound_partials`]).

mod meta;
mod records;
mod tree;
mod upload;
mod walk;

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Seek};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::{is_a_dir, not_found, Attrs, Entry, Partials};
use crate::error::{Error, ErrorKind, Result};
use crate::human;
use crate::name::{quote, FileName, RESERVED};
use tree::{node, Node};

pub use meta::Meta;
pub use upload::{Upload, Verified};

/// A local storage directory. Cheap to clone: clones share one directory.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    /// The root, open: every name is resolved beneath this descriptor ([`tree`]).
    root_fd: File,
    partial_dir: PathBuf,
    /// Partial files some upload in this process is writing right now.
    busy: Mutex<HashSet<PathBuf>>,
    /// Keys of names that may have kept partials on disk; others need no directory scan.
    kept: Mutex<HashSet<String>>,
    counter: AtomicU64,
    pid: u32,
    /// Uploads writing with O_DIRECT right now (see [`DIRECT_UPLOADS`]).
    direct: AtomicUsize,
    /// What interrupted uploads may hold, and the log.
    partials: Partials,
    /// Held while partials are bounded, so that two cuts at once do not both delete for room.
    bounding: Mutex<()>,
}

/// An unused partial upload on disk: its path, the key of its name, length and last write.
struct Partial {
    path: PathBuf,
    key: String,
    len: u64,
    modified: SystemTime,
}

/// At most this many uploads write with O_DIRECT at once. Each holds
/// [`crate::hashpipe::BLOCKS`] × [`crate::hashpipe::BLOCK`] bytes (4 MiB) instead of the
/// page-cache path's 1 MiB, so this bounds what the server's memory grows by; two keep this
/// machine's disk busy, and more uploads at once share it anyway.
pub const DIRECT_UPLOADS: usize = 2;

/// The right to write one upload with O_DIRECT; given back when dropped.
pub struct DirectSlot(Arc<Inner>);

impl Drop for DirectSlot {
    fn drop(&mut self) {
        self.0.direct.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Store {
    /// Opens (creating if needed) the storage directory `root`, checks that its file system
    /// keeps extended attributes, removes partial uploads older than `partials.max_age`, and
    /// brings the others within `partials` (a name keeps its largest; the total fits).
    pub fn open(root: &Path, partials: Partials) -> Result<Store> {
        let mkdir = |p: &Path| {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(p)
                .map_err(|e| Error::io(format!("cannot create {}", p.display()), &e))
        };
        mkdir(root)?;
        let root = root
            .canonicalize()
            .map_err(|e| Error::io(format!("cannot open {}", root.display()), &e))?;
        let partial_dir = root.join(RESERVED).join("partial");
        mkdir(&partial_dir)?;
        let root_fd = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(&root)
            .map_err(|e| Error::io(format!("cannot open {}", root.display()), &e))?;
        let store = Store {
            inner: Arc::new(Inner {
                root,
                root_fd,
                partial_dir,
                busy: Mutex::new(HashSet::new()),
                kept: Mutex::new(HashSet::new()),
                counter: AtomicU64::new(0),
                pid: std::process::id(),
                direct: AtomicUsize::new(0),
                partials,
                bounding: Mutex::new(()),
            }),
        };
        store.check_xattrs()?;
        store.clean_partials(store.inner.partials.max_age);
        store.note_kept_partials();
        store.bound_partials(None);
        Ok(store)
    }

    /// One of the [`DIRECT_UPLOADS`] slots, if one is free.
    fn direct_slot(&self) -> Option<DirectSlot> {
        self.inner
            .direct
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < DIRECT_UPLOADS).then_some(n + 1)
            })
            .ok()
            .map(|_| DirectSlot(self.inner.clone()))
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The free space of the storage directory's file system (`None` when it cannot be read).
    pub fn free_bytes(&self) -> Option<u64> {
        crate::sys::free_bytes(&self.inner.root_fd).ok()
    }

    fn check_xattrs(&self) -> Result<()> {
        let probe = self
            .inner
            .partial_dir
            .join(format!("probe.{}", std::process::id()));
        let file = File::create(&probe)
            .map_err(|e| Error::io(format!("cannot write in {}", self.inner.root.display()), &e))?;
        let result = meta::write(&file, &Meta::of_empty());
        drop(file);
        let _ = fs::remove_file(&probe);
        result.map_err(|e| {
            Error::new(
                ErrorKind::Other,
                format!(
                    "the file system of {} does not keep extended attributes ({}); nf keeps each \
                     file's BLAKE3 in one: choose a storage directory on ext4, xfs, btrfs or tmpfs",
                    self.inner.root.display(),
                    crate::error::describe_io(&e)
                ),
            )
        })
    }

    /// Removes partial uploads whose last write is older than `max_age`.
    pub fn clean_partials(&self, max_age: Duration) -> usize {
        let Ok(dir) = fs::read_dir(&self.inner.partial_dir) else {
            return 0;
        };
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in dir.flatten() {
            let path = entry.path();
            if self.inner.busy.lock().unwrap().contains(&path) {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| now.duration_since(t).unwrap_or_default() >= max_age)
                .unwrap_or(false);
            if old && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Records which names have partials on disk (left by an earlier run).
    fn note_kept_partials(&self) {
        let Ok(dir) = fs::read_dir(&self.inner.partial_dir) else {
            return;
        };
        let mut kept = self.inner.kept.lock().unwrap();
        for entry in dir.flatten() {
            if let Some((key, _)) = entry.file_name().to_str().and_then(|n| n.split_once('.')) {
                kept.insert(key.to_string());
            }
        }
    }

    /// Notes that a partial of `name` stays on disk for a later resume, then bounds what
    /// interrupted uploads hold ([`Store::bound_partials`]).
    pub(crate) fn keep_partial(&self, name: &FileName) {
        self.inner.kept.lock().unwrap().insert(Store::partial_key(name));
        self.bound_partials(Some(name));
    }

    /// Keeps interrupted uploads within bounds, after one of `cut` was kept (`None`: at
    /// start-up, for every name). First each name keeps only its largest unused partial (the
    /// one a resume continues; the most recent of equals); then, while the unused partials
    /// of all names hold more than `max_partial_bytes`, the oldest go, but never the one
    /// `cut` keeps (at start-up, the most recent), so the upload just cut can always be
    /// resumed. A partial an upload is writing or resuming is never touched: each is claimed
    /// ([`Store::mark_busy`]) before it goes. Each deletion is a line in the log.
    fn bound_partials(&self, cut: Option<&FileName>) {
        let _one_at_a_time = self.inner.bounding.lock().unwrap();
        let mut files = self.unused_partials();
        let only = cut.map(Store::partial_key);
        // The partial each name keeps: its largest, then its most recent.
        let mut best: HashMap<String, (u64, SystemTime)> = HashMap::new();
        for f in files
            .iter()
            .filter(|f| only.as_ref().is_none_or(|key| *key == f.key))
        {
            let kept = best.entry(f.key.clone()).or_insert((f.len, f.modified));
            *kept = (*kept).max((f.len, f.modified));
        }
        let log = &self.inner.partials.log;
        files.retain(|f| {
            let Some(&(kept, _)) = best.get(&f.key).filter(|&&k| k != (f.len, f.modified)) else {
                return true;
            };
            let what = describe_partial(f);
            if !self.remove_unused(&f.path) {
                return true;
            }
            log(&format!(
                "dropped an interrupted upload of {what} ({}): a larger one of that name ({}) is \
                 kept for --resume",
                human::size(f.len),
                human::size(kept)
            ));
            false
        });
        // Oldest first; the partial to spare is that of `cut`, or the most recent.
        files.sort_by_key(|f| f.modified);
        let spare = match &only {
            Some(key) => files.iter().rposition(|f| f.key == *key),
            None => files.len().checked_sub(1),
        };
        let max = self.inner.partials.max_bytes;
        let mut total: u64 = files.iter().map(|f| f.len).sum();
        for (i, f) in files.iter().enumerate() {
            if total <= max {
                break;
            }
            if Some(i) == spare {
                continue;
            }
            let what = describe_partial(f);
            if !self.remove_unused(&f.path) {
                continue;
            }
            log(&format!(
                "dropped the interrupted upload of {what} ({}, last written {}): interrupted \
                 uploads held {}, more than max_partial_bytes ({})",
                human::size(f.len),
                human::rfc3339(f.modified),
                human::size(total),
                human::size(max)
            ));
            total -= f.len;
        }
    }

    /// Every partial upload on disk that no upload is writing or resuming.
    fn unused_partials(&self) -> Vec<Partial> {
        let Ok(dir) = fs::read_dir(&self.inner.partial_dir) else {
            return Vec::new();
        };
        let busy = self.inner.busy.lock().unwrap();
        dir.flatten()
            .filter(|e| !busy.contains(&e.path()))
            .filter_map(|e| {
                let file_name = e.file_name();
                let (key, _) = file_name.to_str()?.split_once('.')?;
                let md = e.metadata().ok()?;
                md.is_file().then(|| Partial {
                    path: e.path(),
                    key: key.to_string(),
                    len: md.len(),
                    modified: md.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                })
            })
            .collect()
    }

    /// Deletes the partial at `path` if no upload holds it (claiming it meanwhile).
    fn remove_unused(&self, path: &Path) -> bool {
        if !self.mark_busy(path) {
            return false;
        }
        let removed = fs::remove_file(path).is_ok();
        self.unmark_busy(path);
        removed
    }

    /// Removes the partials of `name` not in use, after a complete version was committed or
    /// the name removed.
    /// Never one that another upload is writing or resuming: each is claimed before it goes.
    pub(crate) fn drop_partials(&self, name: &FileName) {
        let mut in_use = false;
        for (path, _) in self.partials_of(name, true) {
            if self.mark_busy(&path) {
                let _ = fs::remove_file(&path);
                self.unmark_busy(&path);
            } else {
                in_use = true;
            }
        }
        if !in_use {
            self.inner.kept.lock().unwrap().remove(&Store::partial_key(name));
        }
    }

    /// The entry under `name` (a file or a directory), if any, and the size of the partial
    /// upload of it that a resumed `put` would continue (the largest; after a cut each name
    /// keeps only that one).
    pub fn stat(&self, name: &FileName) -> Result<(Option<Entry>, u64)> {
        let what = |e: &io::Error| Error::io(format!("cannot read {}", quote(name.as_str())), e);
        let partial = self.best_partial(name).map(|(_, len)| len).unwrap_or(0);
        let Some(parent) = self.parent(name)? else {
            return Ok((None, partial));
        };
        let leaf = name.leaf();
        let entry = match node(&parent, leaf).map_err(|e| what(&e))? {
            Node::Missing => None,
            Node::Other(md) => return Err(not_a_file(name.as_str(), &md, "a file")),
            Node::Dir(md) => Some(walk::dir_entry(name.clone(), &md)),
            Node::File(md) => match self.file_entry(&parent, leaf, name.clone(), &md) {
                Ok(entry) => Some(entry),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(what(&e)),
            },
        };
        Ok((entry, partial))
    }

    /// Opens a stored file for reading from `offset` (when that is within it); the returned
    /// entry (hash included) describes exactly the content of the returned handle, even if the
    /// name is replaced meanwhile.
    pub fn read(&self, name: &FileName, offset: u64) -> Result<(File, Entry)> {
        let parent = self.parent(name)?.ok_or_else(|| not_found(name))?;
        let leaf = name.leaf();
        let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK;
        let file = match crate::sys::openat(&parent, leaf, flags, 0) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found(name)),
            // A symlink (O_NOFOLLOW) or something else that cannot be opened: say what is there.
            Err(e) => {
                return Err(match node(&parent, leaf) {
                    Ok(Node::Other(md)) => not_a_file(name.as_str(), &md, "a file"),
                    Ok(Node::Missing) => not_found(name),
                    _ => Error::io(format!("cannot open {}", quote(name.as_str())), &e),
                })
            }
        };
        let md = file
            .metadata()
            .map_err(|e| Error::io(format!("cannot open {}", quote(name.as_str())), &e))?;
        if md.is_dir() {
            return Err(is_a_dir(name, "; fetch a directory with get -r"));
        }
        if !md.is_file() {
            return Err(not_a_file(name.as_str(), &md, "a file"));
        }
        let meta = match meta::read_fd(&file, &md) {
            Some(m) => m,
            None => meta::adopt(&file).map_err(|e| Error::io(format!("cannot read {name}"), &e))?,
        };
        let mut file = file;
        if offset > 0 && offset <= meta.size {
            // A fresh handle reads from 0: only a resumed download needs to move.
            file.seek(io::SeekFrom::Start(offset))
                .map_err(|e| Error::io(format!("cannot read {name}"), &e))?;
        }
        let mode = std::os::unix::fs::PermissionsExt::mode(&md.permissions());
        Ok((file, meta.entry(name.clone(), mode)))
    }

    /// True when a file is stored under `name`.
    pub fn exists(&self, name: &FileName) -> bool {
        match self.parent(name) {
            Ok(Some(parent)) => matches!(node(&parent, name.leaf()), Ok(Node::File(_))),
            _ => false,
        }
    }

    /// Checks that an upload of `name` could be committed: nothing but a file (or nothing) at
    /// the name, and nothing but directories (or nothing) above it.
    fn check_target(&self, name: &FileName) -> Result<()> {
        let Some(parent) = self.parent(name)? else {
            return Ok(());
        };
        match node(&parent, name.leaf()) {
            Ok(Node::Dir(_)) => Err(is_a_dir(name, "; a file cannot replace it")),
            Ok(Node::Other(md)) => Err(not_a_file(name.as_str(), &md, "a file")),
            Ok(_) => Ok(()),
            Err(e) => Err(Error::io(format!("cannot read {}", quote(name.as_str())), &e)),
        }
    }

    /// Starts an upload of `name`. With `offset > 0` it continues the largest partial upload of
    /// that name, which must hold at least `offset` bytes. A fresh upload that is not
    /// `resumable` is written to an anonymous file, which disappears if it is cut off. A resumed
    /// upload starts with the hash of the bytes it already holds. A name that is a symlink or
    /// anything else but a regular file is refused before any byte is stored ([`not_a_file`]).
    pub fn begin_upload(
        &self,
        name: &FileName,
        offset: u64,
        resumable: bool,
        attrs: Attrs,
    ) -> Result<Upload> {
        self.check_target(name)?;
        if offset == 0 && !resumable {
            // Small: an anonymous file (O_TMPFILE) that gets its one directory entry only at
            // commit. Cut off, it vanishes; sending it again costs less than resuming it.
            if let Ok(file) = crate::fsutil::anonymous_file(&self.inner.partial_dir) {
                return Ok(Upload::new(
                    self,
                    name,
                    None,
                    file,
                    0,
                    blake3::Hasher::new(),
                    attrs,
                ));
            }
        }
        if offset == 0 {
            let path = self.new_partial_path(name);
            self.mark_busy(&path);
            let file = fs::OpenOptions::new()
                .write(true)
                .read(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .map_err(|e| {
                    self.unmark_busy(&path);
                    Error::io("cannot create a partial upload", &e)
                })?;
            return Ok(Upload::new(
                self,
                name,
                Some(path),
                file,
                0,
                blake3::Hasher::new(),
                attrs,
            ));
        }
        let Some((path, len)) = self.best_partial(name) else {
            return Err(super::nothing_to_resume(name));
        };
        if len < offset {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "the partial upload of {} holds {len} bytes, not {offset}",
                    crate::name::quote(name.as_str())
                ),
            ));
        }
        if !self.mark_busy(&path) {
            return Err(super::being_resumed(name));
        }
        let opened = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .and_then(|file| {
                file.set_len(offset)?;
                let hasher = crate::hashpipe::hash_prefix(&file, offset)?;
                let mut file = file;
                file.seek(io::SeekFrom::Start(offset))?;
                Ok((file, hasher))
            });
        match opened {
            Ok((file, hasher)) => Ok(Upload::new(self, name, Some(path), file, offset, hasher, attrs)),
            Err(e) => {
                self.unmark_busy(&path);
                Err(Error::io("cannot reopen the partial upload", &e))
            }
        }
    }

    fn partial_key(name: &FileName) -> String {
        blake3::hash(name.as_str().as_bytes()).to_hex()[..32].to_string()
    }

    pub(crate) fn new_partial_path(&self, name: &FileName) -> PathBuf {
        let n = self.inner.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        self.inner.partial_dir.join(format!(
            "{}.{}-{}-{:x}",
            Store::partial_key(name),
            self.inner.pid,
            n,
            nanos
        ))
    }

    /// Partial files of `name` with their lengths; `with_busy`: also those an upload is
    /// writing right now.
    fn partials_of(&self, name: &FileName, with_busy: bool) -> Vec<(PathBuf, u64)> {
        let key = Store::partial_key(name);
        if !self.inner.kept.lock().unwrap().contains(&key) {
            return Vec::new();
        }
        let prefix = format!("{key}.");
        let Ok(dir) = fs::read_dir(&self.inner.partial_dir) else {
            return Vec::new();
        };
        let busy = self.inner.busy.lock().unwrap();
        dir.flatten()
            .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)))
            .filter(|e| with_busy || !busy.contains(&e.path()))
            .filter_map(|e| {
                let md = e.metadata().ok()?;
                md.is_file().then(|| (e.path(), md.len()))
            })
            .collect()
    }

    fn best_partial(&self, name: &FileName) -> Option<(PathBuf, u64)> {
        self.partials_of(name, true)
            .into_iter()
            .max_by_key(|(_, len)| *len)
    }

    /// Claims `path` for one upload; false if another upload holds it.
    fn mark_busy(&self, path: &Path) -> bool {
        self.inner.busy.lock().unwrap().insert(path.to_path_buf())
    }

    fn unmark_busy(&self, path: &Path) {
        self.inner.busy.lock().unwrap().remove(path);
    }
}

/// How the log names the partial `f`: by the name it records (see [`meta::write_name`]), else
/// by its file.
fn describe_partial(f: &Partial) -> String {
    match meta::read_name(&f.path) {
        Some(name) => quote(name.as_str()),
        None => format!(
            "{}/partial/{}",
            RESERVED,
            f.path.file_name().unwrap_or_default().to_string_lossy()
        ),
    }
}

/// The error for a path whose entry in the storage directory is neither a regular file nor a
/// directory (a symlink, a FIFO, a socket or a device), put there behind nf's back, where
/// `wanted` (`"a file"`, `"a directory"`) was needed. nf never follows, replaces or removes
/// one, so every operation through the path is refused, with `denied`: the client cannot
/// change that (`--force` does not help), only the server's administrator can.
fn not_a_file(path: &str, md: &fs::Metadata, wanted: &str) -> Error {
    let t = md.file_type();
    let what = if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else {
        "a special file (FIFO, socket or device)"
    };
    Error::new(
        ErrorKind::Denied,
        format!(
            "{} on the server is {what}, not {wanted}: nf never follows, replaces or removes \
             one in its storage directory (the server's administrator can remove it)",
            quote(path)
        ),
    )
}

/// Opens a path for reading without following a final symlink and without blocking on FIFOs.
fn open_nofollow(path: &Path) -> io::Result<File> {
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_slots_are_bounded_and_given_back_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Partials::unlogged(Duration::from_secs(3600), 1 << 30)).unwrap();
        let held: Vec<DirectSlot> = (0..DIRECT_UPLOADS)
            .map(|_| store.direct_slot().unwrap())
            .collect();
        assert!(
            store.direct_slot().is_none(),
            "more than {DIRECT_UPLOADS} at once"
        );
        // A clone of the store shares the slots.
        assert!(store.clone().direct_slot().is_none());
        drop(held);
        let again: Vec<_> = (0..DIRECT_UPLOADS).filter_map(|_| store.direct_slot()).collect();
        assert_eq!(again.len(), DIRECT_UPLOADS);
    }

    /// Every operation through a name below a planted symlink is refused with `denied` when
    /// names are resolved by the component walk (kernels without `openat2`), as with it
    /// (tests/names.rs drives the same through the server), and nothing outside is touched.
    #[test]
    fn without_openat2_a_symlink_at_an_intermediate_component_is_never_followed() {
        crate::sys::disable_openat2();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("store");
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("passwd"), b"outside").unwrap();
        let store = Store::open(&root, Partials::unlogged(Duration::from_secs(3600), 1 << 30)).unwrap();
        std::os::unix::fs::symlink("../outside", root.join("a")).unwrap();
        let name = |n: &str| FileName::parse(n).unwrap();
        let denied = |r: Result<()>| {
            let e = r.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Denied, "{}", e.message);
            assert!(
                e.message.starts_with("\"a\" on the server is a symbolic link"),
                "{}",
                e.message
            );
        };
        denied(
            store
                .begin_upload(&name("a/x"), 0, false, Attrs::default())
                .map(|_| ()),
        );
        denied(
            store
                .begin_upload(&name("a/deeper/x"), 0, true, Attrs::default())
                .map(|_| ()),
        );
        denied(store.read(&name("a/passwd"), 0).map(|_| ()));
        denied(store.stat(&name("a/passwd")).map(|_| ()));
        denied(store.mkdir(&name("a/b")).map(|_| ()));
        denied(store.remove(&name("a/passwd"), false).map(|_| ()));
        denied(
            store
                .walk_into(Some(&name("a/passwd")), crate::store::descend(true), &mut |_| {
                    Ok(())
                })
                .map(|_| ()),
        );
        let up = store
            .begin_upload(&name("x"), 0, false, Attrs::default())
            .unwrap();
        let verified = up.finish(blake3::hash(b"")).unwrap();
        store.commit(vec![(verified, false)]).pop().unwrap().unwrap();
        denied(store.rename(&name("x"), &name("a/x"), false));
        denied(store.rename(&name("a/passwd"), &name("y"), false));
        assert_eq!(fs::read(outside.join("passwd")).unwrap(), b"outside");
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 1);
        // The tree itself works as usual through the walk.
        store.mkdir(&name("d/e")).unwrap();
        store.rename(&name("x"), &name("d/e/x"), false).unwrap();
        let mut seen = Vec::new();
        store
            .walk_into(None, crate::store::descend(true), &mut |e| {
                seen.push(e.name.as_str().to_string());
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, ["d", "d/e", "d/e/x"]);
    }

    #[test]
    fn partials_left_by_an_earlier_run_are_brought_within_bounds_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let partial_dir = dir.path().join(".nf/partial");
        fs::create_dir_all(&partial_dir).unwrap();
        let name = |n: &str| FileName::parse(n).unwrap();
        let now = SystemTime::now();
        // (name, file suffix, length, seconds ago, records its name)
        let planted = [
            ("a.bin", "1", 100, 40, true),
            ("a.bin", "2", 300, 30, true),
            ("b.bin", "1", 200, 50, true),
            ("c.bin", "1", 250, 10, false),
        ];
        for (n, suffix, len, ago, named) in planted {
            let path = partial_dir.join(format!("{}.{suffix}", Store::partial_key(&name(n))));
            let file = File::create(&path).unwrap();
            file.set_len(len).unwrap();
            if named {
                meta::write_name(&file, &name(n)).unwrap();
            }
            file.set_modified(now - Duration::from_secs(ago)).unwrap();
        }
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let log = Arc::clone(&lines);
        let partials = Partials {
            max_age: Duration::from_secs(3600),
            max_bytes: 500,
            log: Arc::new(move |l| log.lock().unwrap().push(l.to_string())),
        };
        let store = Store::open(dir.path(), partials).unwrap();
        // a.bin keeps its largest; then the oldest go until 500 bytes hold the rest, but never
        // the most recent (c.bin, 250 bytes).
        let left: Vec<(String, u64)> = store
            .unused_partials()
            .into_iter()
            .map(|p| (p.key, p.len))
            .collect();
        assert_eq!(left, [(Store::partial_key(&name("c.bin")), 250)]);
        assert_eq!(store.stat(&name("c.bin")).unwrap(), (None, 250));
        assert_eq!(store.stat(&name("a.bin")).unwrap(), (None, 0));
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(
            lines[0].starts_with(
                "dropped an interrupted upload of \"a.bin\" (100 B): a larger one of that name (300 B)"
            ),
            "{lines:#?}"
        );
        assert!(
            lines[1].starts_with("dropped the interrupted upload of \"b.bin\" (200 B, last written "),
            "{lines:#?}"
        );
        assert!(
            lines[1].ends_with("interrupted uploads held 750 B, more than max_partial_bytes (500 B)"),
            "{lines:#?}"
        );
        assert!(
            lines[2].starts_with("dropped the interrupted upload of \"a.bin\" (300 B"),
            "{lines:#?}"
        );
    }
}
