//! One upload in progress: a partial file under `.nf/partial/` that is written and hashed as
//! the bytes arrive, then verified, fsynced and renamed (or hard-linked, when overwriting is
//! not allowed) into place. Dropping an `Upload` keeps the partial for a later resume.

use std::fs::{self, File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::PathBuf;

use super::{meta, sync_dir, Meta, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::protocol::FileInfo;

pub struct Upload {
    store: Store,
    name: FileName,
    path: PathBuf,
    file: File,
    hasher: blake3::Hasher,
    len: u64,
}

impl Upload {
    pub(super) fn new(
        store: Store,
        name: FileName,
        path: PathBuf,
        file: File,
        hasher: blake3::Hasher,
        len: u64,
    ) -> Upload {
        Upload {
            store,
            name,
            path,
            file,
            hasher,
            len,
        }
    }

    /// Bytes held so far (the resume offset plus what was written).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `data` to the partial file and the running hash.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        self.file
            .write_all(data)
            .map_err(|e| Error::io(format!("cannot store {}", quote(self.name.as_str())), &e))?;
        self.hasher.update(data);
        self.len += data.len() as u64;
        Ok(())
    }

    /// Checks the content against `expected` (hex BLAKE3), makes it durable and gives it its
    /// name. Without `force`, an existing name is left alone and `exists` is returned.
    pub fn commit(self, expected: &str, force: bool) -> Result<FileInfo> {
        let actual = self.hasher.finalize();
        let name = quote(self.name.as_str());
        if !actual.to_hex().eq_ignore_ascii_case(expected) {
            self.discard();
            return Err(Error::new(
                ErrorKind::HashMismatch,
                format!("the content received for {name} does not match its BLAKE3; nothing was stored"),
            ));
        }
        let durable = || -> io::Result<Meta> {
            self.file.set_permissions(Permissions::from_mode(0o644))?;
            let md = self.file.metadata()?;
            let meta = Meta::from_metadata(actual, &md);
            meta::write(&self.file, &meta)?;
            self.file.sync_all()?;
            Ok(meta)
        };
        let meta = match durable() {
            Ok(m) => m,
            Err(e) => {
                let err = Error::io(format!("cannot store {name}"), &e);
                self.discard();
                return Err(err);
            }
        };
        let target = self.store.path_of(&self.name);
        let placed = if force {
            fs::rename(&self.path, &target)
        } else {
            fs::hard_link(&self.path, &target).and_then(|()| fs::remove_file(&self.path))
        };
        if let Err(e) = placed {
            let err = if e.kind() == io::ErrorKind::AlreadyExists {
                Error::new(
                    ErrorKind::Exists,
                    format!("{name} already exists; use --force to overwrite it"),
                )
            } else {
                Error::io(format!("cannot store {name}"), &e)
            };
            self.discard();
            return Err(err);
        }
        sync_dir(self.store.root());
        // The name now holds a complete version: older partials of it are of no further use.
        for (stale, _) in self.store.partials_of(&self.name) {
            let _ = fs::remove_file(stale);
        }
        Ok(meta.info(&self.name))
    }

    /// Commits the content as received, recording the BLAKE3 computed while it was written.
    /// For senders that send no hash of their own (the old text dialects); everything else
    /// about the commit (fsync, metadata, rename or link) is as in [`Upload::commit`].
    pub fn commit_as_received(self, force: bool) -> Result<FileInfo> {
        let hash = self.hasher.finalize().to_hex();
        self.commit(&hash, force)
    }

    /// Deletes the partial file: the upload is abandoned for good.
    pub fn discard(self) {
        let _ = fs::remove_file(&self.path);
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        self.store.unmark_busy(&self.path);
    }
}

/// Hashes the first `len` bytes of `file`, to continue a resumed upload's running hash.
pub(super) fn hash_prefix(file: &File, len: u64) -> io::Result<blake3::Hasher> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut pos = 0u64;
    while pos < len {
        let want = buf.len().min((len - pos) as usize);
        let n = file.read_at(&mut buf[..want], pos)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        hasher.update(&buf[..n]);
        pos += n as u64;
    }
    Ok(hasher)
}
