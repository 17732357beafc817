//! The local store's records ([`crate::store::records`]): one file per record under
//! `ROOT/.nf/KIND/`, owner-only, written to a temporary file, fsynced and renamed over.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use super::{open_nofollow, Store};
use crate::error::{Error, Result};
use crate::name::RESERVED;
use crate::store::records::{check_key, Kind};

/// The most a record may hold, so that a planted file cannot make the server read gigabytes.
const MAX_RECORD: u64 = 1024 * 1024;

impl Store {
    fn records_dir(&self, kind: Kind) -> Result<PathBuf> {
        let dir = self.inner.root.join(RESERVED).join(kind.dir());
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), &e))?;
        Ok(dir)
    }

    /// Writes the record `key` of `kind`, replacing it atomically and durably.
    pub fn record_put(&self, kind: Kind, key: &str, bytes: &[u8]) -> Result<()> {
        self.write_record(kind, key, bytes, true)
    }

    /// Writes the record `key` of `kind` atomically, without waiting for the disk: it is
    /// durable after the next sync of the file system (a batch commit's `syncfs`) or the
    /// kernel's writeback; a crash before may lose it (or leave it empty).
    pub fn record_put_lazy(&self, kind: Kind, key: &str, bytes: &[u8]) -> Result<()> {
        self.write_record(kind, key, bytes, false)
    }

    /// A temporary file (fsynced if `durable`), renamed over the record (and the folder
    /// fsynced if `durable`).
    fn write_record(&self, kind: Kind, key: &str, bytes: &[u8], durable: bool) -> Result<()> {
        check_key(key)?;
        let dir = self.records_dir(kind)?;
        let n = self.inner.counter.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{key}.{}.{n}.tmp", self.inner.pid));
        let path = dir.join(key);
        let fail = |e: io::Error| Error::io(format!("cannot write {}", path.display()), &e);
        let written = if durable {
            crate::fsutil::write_private_new(&temp, bytes)
        } else {
            crate::fsutil::write_private_new_unsynced(&temp, bytes)
        };
        written.map_err(fail)?;
        if let Err(e) = fs::rename(&temp, &path) {
            let _ = fs::remove_file(&temp);
            return Err(fail(e));
        }
        if !durable {
            return Ok(());
        }
        fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(fail)
    }

    /// The record `key` of `kind`, if there is one.
    pub fn record_get(&self, kind: Kind, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        let path = self.records_dir(kind)?.join(key);
        let fail = |e: io::Error| Error::io(format!("cannot read {}", path.display()), &e);
        let file = match open_nofollow(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail(e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_RECORD).read_to_end(&mut bytes).map_err(fail)?;
        Ok(Some(bytes))
    }

    /// The keys of the records of `kind`, in byte order.
    pub fn record_keys(&self, kind: Kind) -> Result<Vec<String>> {
        let dir = self.records_dir(kind)?;
        let entries =
            fs::read_dir(&dir).map_err(|e| Error::io(format!("cannot list {}", dir.display()), &e))?;
        let mut keys: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|k| check_key(k).is_ok())
            .collect();
        keys.sort_unstable();
        Ok(keys)
    }

    /// Removes the record `key` of `kind`; false if there was none.
    pub fn record_remove(&self, kind: Kind, key: &str) -> Result<bool> {
        check_key(key)?;
        let path = self.records_dir(kind)?.join(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(format!("cannot remove {}", path.display()), &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::ErrorKind;
    use crate::store::Partials;

    #[test]
    fn records_are_kept_listed_replaced_and_removed_under_the_reserved_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Partials::unlogged(Duration::from_secs(3600), 1 << 30)).unwrap();
        assert_eq!(store.record_get(Kind::Shares, "abc").unwrap(), None);
        assert_eq!(store.record_keys(Kind::Shares).unwrap(), Vec::<String>::new());
        store.record_put(Kind::Shares, "b", b"two").unwrap();
        store.record_put(Kind::Shares, "a", b"one").unwrap();
        store.record_put(Kind::Receipts, "a", b"other kind").unwrap();
        store.record_put(Kind::Shares, "a", b"one again").unwrap();
        assert_eq!(store.record_keys(Kind::Shares).unwrap(), ["a", "b"]);
        assert_eq!(
            store.record_get(Kind::Shares, "a").unwrap().as_deref(),
            Some(&b"one again"[..])
        );
        let on_disk = dir.path().join(".nf/shares/a");
        assert_eq!(fs::read(&on_disk).unwrap(), b"one again");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&on_disk).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(store.record_remove(Kind::Shares, "a").unwrap());
        assert!(!store.record_remove(Kind::Shares, "a").unwrap());
        assert_eq!(store.record_keys(Kind::Shares).unwrap(), ["b"]);
        assert_eq!(store.record_keys(Kind::Receipts).unwrap(), ["a"]);
        let err = store.record_put(Kind::Shares, "../escape", b"x").unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadName);
        assert!(!dir.path().join(".nf/escape").exists());
    }
}
