//! Where the server keeps files: a local directory ([`local`], the default) or a bucket of an
//! S3-compatible object store ([`s3`]), shared by any number of servers.
//!
//! Both backends give the same guarantees behind one narrow interface (list / stat / read /
//! begin upload / commit / remove / mkdir / rename) over a tree of directories and files named
//! by [`FileName`] paths: a name shows only complete, verified content; each file's BLAKE3,
//! modification time and permission bits are kept with it, so listings never read content; an
//! upload is written as it arrives and becomes visible only at [`Store::commit`], atomically,
//! and without replacing an existing file unless asked to. A path is never a file and a
//! directory at once. The store speaks its own [`Entry`]; the dialects turn it into wire or
//! JSON text. This module only dispatches; the backends hold the logic.
//!
//! Interrupted uploads are kept for a resume within [`Partials`]: each name keeps only its
//! largest, all of them together hold at most `max_partial_bytes` (the oldest go first), and
//! the store says in the server's log what it dropped.

#[cfg(unix)]
pub mod local;
/// Windows: the local store is not written yet; opening it says so (`nf serve` refuses).
#[cfg(windows)]
#[path = "local_unsupported.rs"]
pub mod local;
pub mod records;
pub mod s3;

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::error::{Error, ErrorKind, Result};
use crate::glob;
use crate::name::{quote, FileName};

pub use s3::S3Location;

/// Which backend to open, from the `store.*` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreKind {
    Local,
    S3(S3Location),
}

/// What a store keeps of interrupted uploads, and where it says what it dropped.
#[derive(Clone)]
pub struct Partials {
    /// Interrupted uploads last written longer ago are removed (`partial_max_age_hours`; the
    /// local store only, see docs/SCALING.md for buckets).
    pub max_age: Duration,
    /// Most bytes all interrupted uploads hold together (`max_partial_bytes`): when an upload
    /// is cut and kept, the oldest others go until the total fits. The one just cut is kept
    /// whatever its size, so a large upload can always be resumed.
    pub max_bytes: u64,
    /// Writes one line to the server's log.
    pub log: Arc<dyn Fn(&str) + Send + Sync>,
}

impl Partials {
    /// Bounds that log nowhere (tests, tools).
    pub fn unlogged(max_age: Duration, max_bytes: u64) -> Partials {
        Partials {
            max_age,
            max_bytes,
            log: Arc::new(|_| {}),
        }
    }
}

/// The default of `max_partial_bytes`.
pub const DEFAULT_MAX_PARTIAL_BYTES: u64 = 16 << 30;

/// What a name is in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Dir,
}

/// One entry of the tree, as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The whole path from the top.
    pub name: FileName,
    pub kind: Kind,
    /// Bytes of content (0 for a directory).
    pub size: u64,
    /// The modification time kept with the file (the one its uploader sent, else the time it
    /// was stored); a directory's is the file system's (or the store's).
    pub modified: SystemTime,
    /// Permission bits (`0o777` at most).
    pub mode: u32,
    /// The BLAKE3 of the content (files only).
    pub blake3: Option<blake3::Hash>,
}

impl Entry {
    /// A directory entry.
    pub fn dir(name: FileName, modified: SystemTime, mode: u32) -> Entry {
        Entry {
            name,
            kind: Kind::Dir,
            size: 0,
            modified,
            mode: mode & 0o777,
            blake3: None,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind == Kind::Dir
    }
}

/// What an uploader asks the store to keep with a file besides its content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attrs {
    /// The file's modification time (none: the time of the commit).
    pub modified: Option<SystemTime>,
    /// Its permission bits (none: `0o644`).
    pub mode: Option<u32>,
}

/// The earliest and latest modification times a file may be given, in seconds since the
/// epoch: 1901-12-13T20:45:53Z to 2446-05-10T22:38:55Z, what ext4 keeps exactly (Linux clamps
/// a time to the file system's range and drops the fraction of a second at either end, so
/// its first second is left out and its last is kept only at its start). A time outside is
/// refused, never silently changed.
pub const TIMES: std::ops::RangeInclusive<i64> = -(1 << 31) + 1..=(1 << 34) - (1 << 31) - 1;

/// True when `t` is within [`TIMES`].
pub fn time_kept(t: SystemTime) -> bool {
    let (secs, nanos) = crate::human::unix_nanos(t);
    TIMES.contains(&secs) && (secs < *TIMES.end() || nanos == 0)
}

/// The mode of a file whose uploader sent none.
pub const DEFAULT_FILE_MODE: u32 = 0o644;
/// The mode of a directory nf creates.
pub const DEFAULT_DIR_MODE: u32 = 0o755;

/// What `walk` hands each entry to; an error stops the walk and is returned by it.
pub type Visit<'a> = dyn FnMut(Entry) -> Result<()> + 'a;

/// Which directories a walk goes into, by name ([`Store::walk_into`]): none (one level), all
/// (the whole tree), or those whose entries a listing may show.
pub type Descend<'a> = dyn Fn(&FileName) -> bool + 'a;

/// Going into every directory, or none: what `recursive` asks of a walk.
pub fn descend(recursive: bool) -> &'static Descend<'static> {
    static ALL: fn(&FileName) -> bool = |_| true;
    static NONE: fn(&FileName) -> bool = |_| false;
    match recursive {
        true => &ALL,
        false => &NONE,
    }
}

/// The store of one server process. Cheap to clone: clones share one backend.
#[derive(Clone)]
pub enum Store {
    Local(local::Store),
    S3(s3::Store),
}

/// One upload in progress; see [`Store::begin_upload`]. Each backend knows the BLAKE3 of what
/// it holds its own way (the local one hashes as it writes; the object store joins the hashes
/// of its parts); the check against the sender's hash is made here, once, for both.
pub struct Upload {
    name: FileName,
    backend: Backend,
    /// False: committed only under a free name, whatever `force` says ([`Upload::never_replacing`]).
    replaces: bool,
}

enum Backend {
    Local(local::Upload),
    S3(Box<s3::Upload>),
}

/// An upload whose content matched its hash, waiting for [`Store::commit`].
pub struct Verified {
    backend: VerifiedIn,
    /// See [`Upload::never_replacing`].
    replaces: bool,
}

// On Windows a local upload cannot exist (its type is empty).
#[cfg_attr(windows, allow(clippy::large_enum_variant))]
enum VerifiedIn {
    Local(local::Verified),
    S3(s3::Verified),
}

/// The content of a stored file, positioned at the offset asked for.
pub enum Content {
    /// A local file: the server sends it straight from the file.
    File(File),
    /// A stream from the object store.
    Remote(s3::Reader),
}

impl Store {
    /// Opens the backend: the local directory `root`, or the bucket (checking that it answers).
    pub fn open(kind: &StoreKind, root: &std::path::Path, partials: Partials) -> Result<Store> {
        match kind {
            StoreKind::Local => Ok(Store::Local(local::Store::open(root, partials)?)),
            StoreKind::S3(location) => Ok(Store::S3(s3::Store::open(location, partials)?)),
        }
    }

    /// Hands the store the server's log, for what the store has to say: the object store's
    /// start-up probe at once, and later what it finds the store lacks.
    pub fn set_log(&self, sink: s3::LogSink) {
        if let Store::S3(s) = self {
            s.set_log(sink);
        }
    }

    /// Where the files are, for the start-up line: a directory or `s3://bucket/prefix at URL`.
    pub fn describe(&self) -> String {
        match self {
            Store::Local(s) => s.root().display().to_string(),
            Store::S3(s) => s.describe(),
        }
    }

    /// Removes abandoned partial uploads older than `max_age` (the object store's unfinished
    /// multipart uploads are aborted by the upload that started them, see docs/SCALING.md).
    pub fn clean_partials(&self, max_age: Duration) -> usize {
        match self {
            Store::Local(s) => s.clean_partials(max_age),
            Store::S3(_) => 0,
        }
    }

    /// Visits the entries under `from` (none: the top of the tree), one directory's entries in
    /// byte order of their names, each directory before what it holds; with `recursive` the
    /// whole tree below, depth first, else one level. A `from` that names a file visits that
    /// file alone. Nothing is gathered: a listing of any size costs the memory of the
    /// directories on the current path. Returns how many entries were visited.
    pub fn walk(&self, from: Option<&FileName>, recursive: bool, visit: &mut Visit<'_>) -> Result<u64> {
        self.walk_into(from, descend(recursive), visit)
    }

    /// [`Store::walk`], going into only the directories `into` accepts: a listing skips the
    /// subtrees its principal may not see, which cost a read of each directory (two requests
    /// each in a bucket) for nothing.
    pub fn walk_into(&self, from: Option<&FileName>, into: &Descend, visit: &mut Visit<'_>) -> Result<u64> {
        match self {
            Store::Local(s) => s.walk_into(from, into, visit),
            Store::S3(s) => s.walk_into(from, into, visit),
        }
    }

    /// The entries of the directory `dir` (none: the top), one level, in byte order of their
    /// names; only those whose last component matches `pattern`, if given.
    pub fn list(&self, dir: Option<&FileName>, pattern: Option<&str>) -> Result<Vec<Entry>> {
        let glob = listing_glob(pattern)?;
        let mut entries = Vec::new();
        self.walk(dir, false, &mut |e| {
            if glob.as_ref().is_none_or(|g| g.matches(e.name.leaf())) {
                entries.push(e);
            }
            Ok(())
        })?;
        Ok(entries)
    }

    /// The entry under `name` (if any: a file or a directory) and how many bytes of an
    /// interrupted upload of it a resumed `put` can skip.
    pub fn stat(&self, name: &FileName) -> Result<(Option<Entry>, u64)> {
        match self {
            Store::Local(s) => s.stat(name),
            Store::S3(s) => s.stat(name),
        }
    }

    /// Opens the file `name` for reading from `offset`; the entry describes exactly the
    /// content returned. An `offset` past the end returns the entry with content that must not
    /// be read. A directory is a `conflict`.
    pub fn read(&self, name: &FileName, offset: u64) -> Result<(Content, Entry)> {
        match self {
            Store::Local(s) => s.read(name, offset).map(|(f, i)| (Content::File(f), i)),
            Store::S3(s) => s.read(name, offset).map(|(r, i)| (Content::Remote(r), i)),
        }
    }

    /// Writes the record `key` of `kind` ([`records`]), replacing it atomically and durably.
    pub fn record_put(&self, kind: records::Kind, key: &str, bytes: &[u8]) -> Result<()> {
        match self {
            Store::Local(s) => s.record_put(kind, key, bytes),
            Store::S3(s) => s.record_put(kind, key, bytes),
        }
    }

    /// Writes the record `key` of `kind` atomically, without waiting for the disk (a local
    /// record is durable after the next batch commit's `syncfs` or the kernel's writeback; a
    /// bucket's at once): for records a crash may lose, written often (the receipt store's).
    pub fn record_put_lazy(&self, kind: records::Kind, key: &str, bytes: &[u8]) -> Result<()> {
        match self {
            Store::Local(s) => s.record_put_lazy(kind, key, bytes),
            Store::S3(s) => s.record_put_lazy(kind, key, bytes),
        }
    }

    /// The record `key` of `kind`, if there is one.
    pub fn record_get(&self, kind: records::Kind, key: &str) -> Result<Option<Vec<u8>>> {
        match self {
            Store::Local(s) => s.record_get(kind, key),
            Store::S3(s) => s.record_get(kind, key),
        }
    }

    /// The keys of the records of `kind`, in byte order.
    pub fn record_keys(&self, kind: records::Kind) -> Result<Vec<String>> {
        match self {
            Store::Local(s) => s.record_keys(kind),
            Store::S3(s) => s.record_keys(kind),
        }
    }

    /// Removes the record `key` of `kind`; false if there was none.
    pub fn record_remove(&self, kind: records::Kind, key: &str) -> Result<bool> {
        match self {
            Store::Local(s) => s.record_remove(kind, key),
            Store::S3(s) => s.record_remove(kind, key),
        }
    }

    /// The bytes a new upload can still take, when the store knows (its file system's free
    /// space); `None` for a bucket, whose room is not known.
    pub fn free_bytes(&self) -> Option<u64> {
        match self {
            Store::Local(s) => s.free_bytes(),
            Store::S3(_) => None,
        }
    }

    /// True when a file (not a directory) is stored under `name`.
    pub fn exists(&self, name: &FileName) -> bool {
        match self {
            Store::Local(s) => s.exists(name),
            Store::S3(s) => s.exists(name),
        }
    }

    /// Deletes the file `name`, or with `recursive` also a directory and everything in it;
    /// returns how many files went.
    pub fn remove(&self, name: &FileName, recursive: bool) -> Result<u64> {
        match self {
            Store::Local(s) => s.remove(name, recursive),
            Store::S3(s) => s.remove(name, recursive),
        }
    }

    /// Creates the directory `name` and the missing ones above it; one that exists is fine.
    pub fn mkdir(&self, name: &FileName) -> Result<Entry> {
        match self {
            Store::Local(s) => s.mkdir(name),
            Store::S3(s) => s.mkdir(name),
        }
    }

    /// Moves the file or directory `from` to `to` (creating the directories above `to`),
    /// replacing a file at `to` only with `force`; a directory is never replaced. Atomic on
    /// the local store; a copy then a delete on the object store (docs/SCALING.md).
    pub fn rename(&self, from: &FileName, to: &FileName, force: bool) -> Result<()> {
        if from.contains(to) && from != to {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "cannot move {} into itself ({})",
                    quote(from.as_str()),
                    quote(to.as_str())
                ),
            ));
        }
        match self {
            Store::Local(s) => s.rename(from, to, force),
            Store::S3(s) => s.rename(from, to, force),
        }
    }

    /// Starts an upload of `name`, a file of `size` bytes if known; with `offset > 0` it
    /// continues an interrupted one. `resumable`: keep what arrived if the upload is cut off
    /// (the object store keeps every part it stored).
    /// `attrs`: the time and mode to keep with the file. A name that is a directory, or under
    /// a file, is a `conflict`.
    pub fn begin_upload(
        &self,
        name: &FileName,
        offset: u64,
        size: Option<u64>,
        resumable: bool,
        attrs: Attrs,
    ) -> Result<Upload> {
        let backend = match self {
            Store::Local(s) => Backend::Local(s.begin_upload(name, offset, resumable, attrs)?),
            Store::S3(s) => Backend::S3(Box::new(s.begin_upload(name, offset, size, attrs)?)),
        };
        Ok(Upload {
            name: name.clone(),
            backend,
            replaces: true,
        })
    }

    /// Makes verified uploads visible under their names (`force`: replace an existing file;
    /// otherwise an existing name is an `exists` error). One result per upload, in order.
    pub fn commit(&self, batch: Vec<(Verified, bool)>) -> Vec<Result<Entry>> {
        match self {
            Store::Local(s) => s.commit(
                batch
                    .into_iter()
                    .map(|(v, force)| match v.backend {
                        VerifiedIn::Local(local) => (local, force && v.replaces),
                        VerifiedIn::S3(_) => unreachable!("an S3 upload in a local store"),
                    })
                    .collect(),
            ),
            Store::S3(s) => s.commit(
                batch
                    .into_iter()
                    .map(|(v, force)| match v.backend {
                        VerifiedIn::S3(s3) => (s3, force && v.replaces),
                        VerifiedIn::Local(_) => unreachable!("a local upload in an S3 store"),
                    })
                    .collect(),
            ),
        }
    }
}

/// The error for a name with no stored file.
fn not_found(name: &FileName) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("no file named {}", quote(name.as_str())),
    )
}

/// The error for a name where a file is needed and a directory is.
fn is_a_dir(name: &FileName, what: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!("{} on the server is a directory{what}", quote(name.as_str())),
    )
}

/// The error for a directory path (`dir`, above `name`) that is a file on the server.
fn is_a_file(dir: &FileName, name: &FileName) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "{} on the server is a file, not a directory, so {} cannot be there",
            quote(dir.as_str()),
            quote(name.as_str())
        ),
    )
}

/// The error for a resume (`offset > 0`) with no partial upload of `name` to continue.
fn nothing_to_resume(name: &FileName) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "no partial upload of {} to resume; upload it again without --resume",
            crate::name::quote(name.as_str())
        ),
    )
}

/// The error for a resume of `name` while another connection of this server is continuing the
/// same partial upload.
fn being_resumed(name: &FileName) -> Error {
    Error::new(
        ErrorKind::Busy,
        format!(
            "the partial upload of {} is being continued by another upload; try again",
            crate::name::quote(name.as_str())
        ),
    )
}

/// The glob of a listing's pattern (none: every entry), matched against last components.
pub fn listing_glob(pattern: Option<&str>) -> Result<Option<glob::Glob>> {
    pattern
        .map(|p| {
            glob::Glob::new(p).ok_or_else(|| {
                Error::new(
                    ErrorKind::TooLarge,
                    format!("patterns are at most {} bytes", glob::MAX_PATTERN_BYTES),
                )
            })
        })
        .transpose()
}

impl Upload {
    /// The name it will be stored under.
    pub fn name(&self) -> &FileName {
        &self.name
    }
}

impl Upload {
    /// Appends `data`.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        match &mut self.backend {
            Backend::Local(u) => u.write(data),
            Backend::S3(u) => u.write(data),
        }
    }

    /// Streams a `body`-byte body from `reader` into the upload. A failed write (disk full…)
    /// does not stop the reading, so the stream stays in step: it comes back as
    /// `Ok(Some(error))`. A failed read is `Err((bytes read, error))`.
    pub fn receive(
        &mut self,
        reader: &mut impl std::io::BufRead,
        body: u64,
    ) -> std::result::Result<Option<Error>, (u64, std::io::Error)> {
        match &mut self.backend {
            Backend::Local(u) => u.receive(reader, body),
            Backend::S3(u) => u.receive(reader, body),
        }
    }

    /// Checks the content against `expected` (hex BLAKE3; `None`: takes it as received, for
    /// the old text dialects, whose clients send no hash); on a mismatch nothing is kept.
    pub fn finish(mut self, expected: Option<&str>) -> Result<Verified> {
        let whole = match &mut self.backend {
            Backend::Local(u) => Ok(u.whole_hash()),
            Backend::S3(u) => u.whole_hash(),
        };
        let actual = match whole {
            Ok(hash) => hash,
            Err(e) => {
                self.discard();
                return Err(e);
            }
        };
        if expected.is_some_and(|e| !actual.to_hex().eq_ignore_ascii_case(e)) {
            let name = self.name.clone();
            self.discard();
            return Err(Error::new(
                ErrorKind::HashMismatch,
                format!(
                    "the content received for {} does not match its BLAKE3; nothing was stored",
                    crate::name::quote(name.as_str())
                ),
            ));
        }
        let backend = match self.backend {
            Backend::Local(u) => VerifiedIn::Local(u.finish(actual)?),
            Backend::S3(u) => VerifiedIn::S3(u.finish(actual)),
        };
        Ok(Verified {
            backend,
            replaces: self.replaces,
        })
    }

    /// This upload will never replace a file, even committed with `force`: a name taken
    /// since it began is an `exists` error then (an uploader who may create names but not
    /// replace files).
    pub fn never_replacing(mut self) -> Upload {
        self.replaces = false;
        self
    }

    /// Abandons the upload for good: nothing is kept for a resume.
    pub fn discard(self) {
        match self.backend {
            Backend::Local(u) => u.discard(),
            Backend::S3(u) => u.discard(),
        }
    }
}

impl Read for Content {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Content::File(f) => f.read(buf),
            Content::Remote(r) => r.read(buf),
        }
    }
}
