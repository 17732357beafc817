//! One upload in progress: a partial file under `.nf/partial/` that is written (and hashed) as
//! the bytes arrive, then verified ([`Upload::finish`]), and finally made durable and given its
//! name by [`Store::commit`]: fsync, then rename (one that refuses to replace, when overwriting is not
//! allowed), then fsync of the directory. Several verified uploads can be committed together,
//! sharing the directory fsync. Dropping an `Upload` keeps the partial for a later resume,
//! within the store's bounds ([`Store::bound_partials`]). The name is never given to a
//! symlink's place (or any other non-regular file's), forced or not.

use std::fs::{self, File, Permissions};
use std::io::{self, BufRead, Seek, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::{meta, sync_dir, Meta, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::fsutil::direct_twin;
use crate::hashpipe::{pump, pump_to_file, Pumped, DIRECT_MIN};
use crate::name::{quote, FileName};
use crate::protocol::FileInfo;

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

    /// Records the metadata, with `actual` (the BLAKE3 the caller checked), on the partial.
    pub fn finish(self, actual: blake3::Hash) -> Result<Verified> {
        let name = quote(self.name.as_str());
        let recorded = (|| -> io::Result<Meta> {
            self.file.set_permissions(Permissions::from_mode(0o644))?;
            let md = self.file.metadata()?;
            let meta = Meta::from_metadata(actual, &md);
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

    /// Gives the verified file its name: rename (without `force`, a rename that refuses to
    /// replace) for a named partial; for an anonymous one, a link from /proc/self/fd (through a temporary name
    /// when it must replace a file).
    fn place(&self, target: &std::path::Path, force: bool) -> io::Result<()> {
        match (&self.path, force) {
            (Some(path), true) => fs::rename(path, target),
            (Some(path), false) => crate::fsutil::rename_noreplace(path, target),
            (None, false) => crate::fsutil::link_fd(&self.file, target),
            (None, true) => {
                // Claimed while it has a name, so that bounding partials leaves it alone.
                let temp = self.store.new_partial_path(&self.name);
                self.store.mark_busy(&temp);
                let placed = crate::fsutil::link_fd(&self.file, &temp).and_then(|()| {
                    fs::rename(&temp, target).inspect_err(|_| {
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
    pub fn commit(&self, batch: Vec<(Verified, bool)>) -> Vec<Result<FileInfo>> {
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
        let mut placed_any = false;
        for (mut v, force, synced) in synced {
            let name = quote(v.upload.name.as_str());
            if let Err(e) = synced {
                results.push(Err(Error::io(format!("cannot store {name}"), &e)));
                v.upload.discard();
                continue;
            }
            // Never onto a symlink or anything else that is not a regular file (planted since
            // the upload began): refused as begin_upload refuses it.
            if let Err(e) = self.entry(&v.upload.name) {
                results.push(Err(e));
                v.upload.discard();
                continue;
            }
            let target = self.path_of(&v.upload.name);
            let placed = v.upload.place(&target, force);
            match placed {
                Ok(()) => {
                    placed_any = true;
                    v.upload.done = true;
                    results.push(Ok(v.meta.info(&v.upload.name)));
                    // The name now holds a complete version: older partials are of no use.
                    self.drop_partials(&v.upload.name);
                }
                Err(e) => {
                    results.push(Err(if e.kind() == io::ErrorKind::AlreadyExists {
                        // Whatever took the name meanwhile: a file, or something nf leaves alone.
                        self.entry(&v.upload.name)
                            .err()
                            .unwrap_or_else(|| Error::exists(&name))
                    } else {
                        Error::io(format!("cannot store {name}"), &e)
                    }));
                    v.upload.discard();
                }
            }
        }
        if placed_any {
            sync_dir(self.root());
        }
        results
    }
}
