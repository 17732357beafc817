//! One upload in progress: a partial file under `.nf/partial/` that is written (and hashed) as
//! the bytes arrive, then verified ([`Upload::finish`]), and finally made durable and given its
//! name by [`Store::commit`]: fsync, then the directories above the name are created if
//! missing, then rename (one that refuses to replace, when overwriting is not allowed), then
//! fsync of every directory that changed. Several verified uploads can be committed together,
//! sharing the fsyncs. The time and mode the uploader sent are set on the file before it is
//! verified; its mode on disk keeps at most `0o755` and always its owner's read bit. Dropping an `Upload` keeps the partial for a later resume,
//! within the store's bounds ([`Store::bound_partials`]). The name is never given to a
//! symlink's place (or any other non-regular file's), forced or not.

use std::fs::{self, File, FileTimes, Permissions};
use std::io::{self, BufRead, Seek, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::tree::{node, sync_dirs, Node};
use super::{meta, Meta, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::fsutil::direct_twin;
use crate::hashpipe::{pump, pump_to_file, Pumped, DIRECT_MIN};
use crate::name::{quote, FileName};
use crate::store::{Attrs, Entry, DEFAULT_FILE_MODE};

/// Start write-back every this many bytes, so the final fsync has little left to wait for.
const WRITEBACK_STEP: u64 = 8 << 20;

pub struct Upload {
    store: Store,
    name: FileName,
    /// The partial's path; `None` for an anonymous (O_TMPFILE) file.
    path: Option<PathBuf>,
    file: File,
    /// The BLAKE3 of everything written so far (of the kept prefix, for a resume); boxed, as
    /// the hasher is 2 KB.
    hasher: Box<blake3::Hasher>,
    len: u64,
    flushed: u64,
    /// Committed or discarded: nothing is left to resume.
    done: bool,
    /// What to keep with the file besides its content.
    attrs: Attrs,
}

/// An upload whose content matched its hash, waiting to be committed.
pub struct Verified {
    upload: Upload,
    meta: Meta,
}

impl Upload {
    /// An upload of `name` into `file` (at `path`, or anonymous), holding `len` bytes so far
    /// whose hash is `hasher`.
    pub(super) fn new(
        store: &Store,
        name: &FileName,
        path: Option<PathBuf>,
        file: File,
        len: u64,
        hasher: blake3::Hasher,
        attrs: Attrs,
    ) -> Upload {
        Upload {
            store: store.clone(),
            name: name.clone(),
            path,
            file,
            hasher: Box::new(hasher),
            len,
            flushed: len,
            done: false,
            attrs,
        }
    }

    /// The error for a failed write into the partial.
    fn write_error(&self, e: &io::Error) -> Error {
        let err = Error::io(format!("cannot store {}", quote(self.name.as_str())), e);
        if err.kind == ErrorKind::NoSpace {
            Error::new(
                ErrorKind::NoSpace,
                format!(
                    "no space on the server for {} (disk full or file size limit); nothing was stored",
                    quote(self.name.as_str())
                ),
            )
        } else {
            err
        }
    }

    /// Streams a `body`-byte body from `reader` into the partial, hashing it on the way.
    /// Bodies of [`DIRECT_MIN`] bytes or more bypass the page cache (see [`pump_to_file`])
    /// when the file system suits it and fewer than [`super::DIRECT_UPLOADS`] others do;
    /// the rest are written through it with write-back started as they arrive.
    pub fn receive(
        &mut self,
        reader: &mut impl BufRead,
        body: u64,
    ) -> std::result::Result<Option<Error>, (u64, io::Error)> {
        let hasher = std::mem::take(&mut *self.hasher);
        let direct = if body >= DIRECT_MIN {
            self.store
                .direct_slot()
                .and_then(|slot| Some((slot, direct_twin(&self.file)?)))
        } else {
            None
        };
        let Some((_slot, direct)) = direct else {
            let (hasher, failed) = pump(reader, body, hasher, |c| self.append(c), |_| {})?;
            *self.hasher = hasher;
            return Ok(failed);
        };
        let start = self.len;
        let result = pump_to_file(reader, body, hasher, &self.file, &direct, start, |_| {});
        // Whatever was received is in the file now, cut short or not.
        let got = match &result {
            Ok(Pumped::NoThreads(_)) => 0,
            Ok(Pumped::Done(..)) => body,
            Err((got, _)) => *got,
        };
        self.len = start + got;
        self.flushed = self.len;
        let _ = self.file.seek(io::SeekFrom::Start(self.len));
        match result? {
            Pumped::Done(hasher, failed) => {
                *self.hasher = hasher;
                Ok(failed.map(|e| self.write_error(&e)))
            }
            Pumped::NoThreads(hasher) => {
                // No threads to be had: through the page cache instead.
                let (hasher, failed) = pump(reader, body, hasher, |c| self.append(c), |_| {})?;
                *self.hasher = hasher;
                Ok(failed)
            }
        }
    }

    /// Appends `data` to the partial file and hashes it.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        self.append(data)?;
        self.hasher.update(data);
        Ok(())
    }

    /// The BLAKE3 of everything the upload holds.
    pub fn whole_hash(&self) -> blake3::Hash {
        self.hasher.finalize()
    }

    /// Appends `data` to the partial file (the caller hashes it).
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.file.write_all(data).map_err(|e| self.write_error(&e))?;
        self.len += data.len() as u64;
        if self.len - self.flushed >= WRITEBACK_STEP {
            crate::sys::start_writeback(&self.file, self.flushed, self.len - self.flushed);
            self.flushed = self.len;
        }
        Ok(())
    }

    /// Sets the time and mode asked for, and records the metadata, with `actual` (the BLAKE3
    /// the caller checked), on the partial.
    pub fn finish(self, actual: blake3::Hash) -> Result<Verified> {
        let name = quote(self.name.as_str());
        let recorded = (|| -> io::Result<Meta> {
            let mode = self.attrs.mode.unwrap_or(DEFAULT_FILE_MODE);
            self.file
                .set_permissions(Permissions::from_mode((mode & 0o755) | 0o400))?;
            if let Some(t) = self.attrs.modified {
                self.file.set_times(FileTimes::new().set_modified(t))?;
            }
            let md = self.file.metadata()?;
            let meta = Meta::from_metadata(actual, &md, self.attrs.mode);
            meta::write(&self.file, &meta)?;
            Ok(meta)
        })();
        match recorded {
            Ok(meta) => Ok(Verified { upload: self, meta }),
            Err(e) => {
                let err = Error::io(format!("cannot store {name}"), &e);
                self.discard();
                Err(err)
            }
        }
    }

    /// Deletes the partial file: the upload is abandoned for good.
    pub fn discard(mut self) {
        if let Some(path) = &self.path {
            let _ = fs::remove_file(path);
        }
        self.done = true;
    }

    /// Gives the verified file its name `leaf` in the open directory `dir`: rename (without
    /// `force`, a rename that refuses to replace) for a named partial; for an anonymous one, a
    /// link from /proc/self/fd (through a temporary name when it must replace a file).
    fn place(&self, dir: &File, leaf: &str, force: bool) -> io::Result<()> {
        match (&self.path, force) {
            (Some(path), true) => crate::sys::renameat(None, path, dir, leaf, false),
            (Some(path), false) => crate::fsutil::rename_noreplace_at(path, dir, leaf),
            (None, false) => crate::sys::link_fd_at(&self.file, dir, leaf),
            (None, true) => {
                // Claimed while it has a name, so that bounding partials leaves it alone.
                let temp = self.store.new_partial_path(&self.name);
                self.store.mark_busy(&temp);
                let placed = crate::fsutil::link_fd(&self.file, &temp).and_then(|()| {
                    crate::sys::renameat(None, &temp, dir, leaf, false).inspect_err(|_| {
                        let _ = fs::remove_file(&temp);
                    })
                });
                self.store.unmark_busy(&temp);
                placed
            }
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            self.store.unmark_busy(path);
            if !self.done {
                // Interrupted: the partial stays for `--resume`, within the store's bounds.
                // Best effort: without its name the log names the partial by its file.
                let _ = meta::write_name(&self.file, &self.name);
                self.store.keep_partial(&self.name);
            }
        }
    }
}

impl Store {
    /// Makes verified uploads durable and gives each its name (`force`: replace an existing
    /// file; otherwise an existing name is an `exists` error). One result per upload, in order.
    pub fn commit(&self, batch: Vec<(Verified, bool)>) -> Vec<Result<Entry>> {
        // Make every file durable before any gets its name. One file: fsync. Several (a
        // pipelined batch of small files): one syncfs, which costs one journal commit instead
        // of one per file.
        let whole = if batch.len() > 1 {
            crate::sys::syncfs(&batch[0].0.upload.file)
        } else {
            Err(io::ErrorKind::Other.into())
        };
        let synced: Vec<(Verified, bool, io::Result<()>)> = batch
            .into_iter()
            .map(|(v, force)| {
                let r = if whole.is_ok() {
                    Ok(())
                } else {
                    v.upload.file.sync_all()
                };
                (v, force, r)
            })
            .collect();
        let mut results = Vec::with_capacity(synced.len());
        let mut changed: Vec<File> = Vec::new();
        for (mut v, force, synced) in synced {
            let name = quote(v.upload.name.as_str());
            if let Err(e) = synced {
                results.push(Err(Error::io(format!("cannot store {name}"), &e)));
                v.upload.discard();
                continue;
            }
            match self.place_verified(&v, force, &mut changed) {
                Ok(()) => {
                    v.upload.done = true;
                    let mode = v.meta.mode.unwrap_or(DEFAULT_FILE_MODE);
                    results.push(Ok(v.meta.entry(v.upload.name.clone(), mode)));
                    // The name now holds a complete version: older partials are of no use.
                    self.drop_partials(&v.upload.name);
                }
                Err(e) => {
                    results.push(Err(e));
                    v.upload.discard();
                }
            }
        }
        sync_dirs(&changed);
        results
    }
}

impl Store {
    /// Gives one verified upload its name: the directories above it are created if missing
    /// (each directory whose entries change is added to `changed`), then it is renamed or
    /// linked in. Never onto a directory, a symlink or anything else that is not a regular file
    /// (planted since the upload began), forced or not. If the directory it goes into is
    /// removed meanwhile (an `rm -r` racing with it), it is made again.
    fn place_verified(&self, v: &Verified, force: bool, changed: &mut Vec<File>) -> Result<()> {
        let name = &v.upload.name;
        let leaf = name.leaf();
        let mut tries = 0;
        loop {
            tries += 1;
            let dir = match name.parent() {
                None => self.root_dir()?,
                Some(parent) => self.make_dir(&parent, name, changed)?,
            };
            let in_place = |dir: &File| -> Result<()> {
                match node(dir, leaf) {
                    Ok(Node::Dir(_)) => Err(crate::store::is_a_dir(name, "; a file cannot replace it")),
                    Ok(Node::Other(md)) => Err(super::not_a_file(name.as_str(), &md, "a file")),
                    _ => Ok(()),
                }
            };
            in_place(&dir)?;
            match v.upload.place(&dir, leaf, force) {
                Ok(()) => {
                    changed.push(dir);
                    return Ok(());
                }
                // The directory went away (removed since it was opened): make it again.
                Err(e) if e.kind() == io::ErrorKind::NotFound && tries < 4 => continue,
                Err(e) => {
                    // Whatever took the name meanwhile: a file, or something nf leaves alone.
                    in_place(&dir)?;
                    return Err(match e.kind() {
                        io::ErrorKind::AlreadyExists => Error::exists(quote(name.as_str())),
                        _ if e.raw_os_error() == Some(libc::EISDIR) => {
                            crate::store::is_a_dir(name, "; a file cannot replace it")
                        }
                        _ => Error::io(format!("cannot store {}", quote(name.as_str())), &e),
                    });
                }
            }
        }
    }
}
