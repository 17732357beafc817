//! A stored file's metadata (size, modification time, BLAKE3, and the mode its uploader sent),
//! kept in the extended attribute `user.nf.meta` of the file itself. Because the attribute is written on the partial file
//! before it is renamed into place, a name always shows content and hash of one version. The
//! value records size and mtime too, so a file edited behind nf's back is noticed and hashed
//! again ("adopted") rather than served with a stale hash. An interrupted upload kept for a
//! resume records the name it is for in `user.nf.name`, for the log.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::SystemTime;

use crate::name::FileName;
use crate::store::{Entry, Kind};

const ATTR: &[u8] = b"user.nf.meta\0";
/// On a named partial upload: the name it is for (its file name holds only a hash of it), so
/// that the log can say whose interrupted upload was dropped.
const NAME_ATTR: &[u8] = b"user.nf.name\0";

/// What nf knows about one stored file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub blake3: blake3::Hash,
    pub size: u64,
    pub mtime_sec: i64,
    pub mtime_nsec: i64,
    /// The permission bits the uploader sent (the file on disk has at most `0o755` of them,
    /// and always its owner's read bit); none for a file nf did not receive.
    pub mode: Option<u32>,
}

impl Meta {
    pub fn of_empty() -> Meta {
        Meta {
            blake3: blake3::hash(b""),
            size: 0,
            mtime_sec: 0,
            mtime_nsec: 0,
            mode: None,
        }
    }

    /// The metadata for content with `hash`, as it is on disk per `md`, with the uploader's
    /// `mode` if it sent one.
    pub fn from_metadata(hash: blake3::Hash, md: &Metadata, mode: Option<u32>) -> Meta {
        Meta {
            blake3: hash,
            size: md.len(),
            mtime_sec: md.mtime(),
            mtime_nsec: md.mtime_nsec(),
            mode: mode.map(|m| m & 0o777),
        }
    }

    fn encode(&self) -> String {
        let mut text = format!(
            "nf1 {} {} {}.{:09}",
            self.blake3.to_hex(),
            self.size,
            self.mtime_sec,
            self.mtime_nsec
        );
        if let Some(mode) = self.mode {
            text.push_str(&format!(" {mode:o}"));
        }
        text
    }

    fn decode(raw: &[u8]) -> Option<Meta> {
        let text = std::str::from_utf8(raw).ok()?;
        let mut parts = text.split(' ');
        if parts.next()? != "nf1" {
            return None;
        }
        let blake3 = blake3::Hash::from_hex(parts.next()?).ok()?;
        let size = parts.next()?.parse().ok()?;
        let (sec, nsec) = parts.next()?.split_once('.')?;
        let mode = match parts.next() {
            Some(m) => Some(u32::from_str_radix(m, 8).ok()? & 0o777),
            None => None,
        };
        Some(Meta {
            blake3,
            size,
            mtime_sec: sec.parse().ok()?,
            mtime_nsec: nsec.parse().ok()?,
            mode,
        })
    }

    /// True when this metadata still describes the file whose `stat` is `md`.
    fn matches(&self, md: &Metadata) -> bool {
        self.size == md.len() && self.mtime_sec == md.mtime() && self.mtime_nsec == md.mtime_nsec()
    }

    pub fn modified(&self) -> SystemTime {
        crate::human::from_unix(self.mtime_sec, self.mtime_nsec.clamp(0, 999_999_999) as u32)
    }

    /// The entry of the file `name` this describes; `disk_mode`: the file's permission bits on
    /// disk, reported when the uploader sent none.
    pub fn entry(&self, name: FileName, disk_mode: u32) -> Entry {
        Entry {
            name,
            kind: Kind::File,
            size: self.size,
            modified: self.modified(),
            mode: self.mode.unwrap_or(disk_mode & 0o777),
            blake3: Some(self.blake3),
        }
    }
}

/// Reads and checks the metadata of the file `leaf` of the open directory `dir` (not following
/// symlinks).
pub fn read_at(dir: &File, leaf: &str, md: &Metadata) -> Option<Meta> {
    let mut buf = [0u8; 256];
    let n = crate::sys::get_xattr_at(dir, leaf, ATTR, &mut buf).ok()?;
    let meta = Meta::decode(&buf[..n])?;
    meta.matches(md).then_some(meta)
}

/// The name recorded on the partial upload at `path` ([`write_name`]), if any.
pub fn read_name(path: &Path) -> Option<FileName> {
    let mut buf = vec![0u8; crate::name::MAX_PATH_BYTES + 1];
    let n = crate::sys::get_xattr_path(path, NAME_ATTR, &mut buf).ok()?;
    FileName::parse_bytes(&buf[..n]).ok()
}

/// Records on a partial upload the name it is for.
pub fn write_name(file: &File, name: &FileName) -> io::Result<()> {
    crate::sys::set_xattr(file, NAME_ATTR, name.as_str().as_bytes())
}

/// Reads and checks the metadata of an open file.
pub fn read_fd(file: &File, md: &Metadata) -> Option<Meta> {
    let mut buf = [0u8; 256];
    let n = crate::sys::get_xattr(file, ATTR, &mut buf).ok()?;
    let meta = Meta::decode(&buf[..n])?;
    meta.matches(md).then_some(meta)
}

/// Stores `meta` on an open file.
pub fn write(file: &File, meta: &Meta) -> io::Result<()> {
    crate::sys::set_xattr(file, ATTR, meta.encode().as_bytes())
}

/// Hashes a file that has no valid metadata (placed in the storage directory by hand, or
/// edited there) and records the result, so that it is hashed only once.
pub fn adopt(file: &File) -> io::Result<Meta> {
    let before = file.metadata()?;
    let hash = crate::hashpipe::hash_prefix(file, before.len())?.finalize();
    let after = file.metadata()?;
    let meta = Meta::from_metadata(hash, &before, None);
    if meta.matches(&after) {
        // Unchanged while it was read. Best effort: a read-only file system just means
        // hashing again next time.
        let _ = write(file, &meta);
    }
    Ok(meta)
}
