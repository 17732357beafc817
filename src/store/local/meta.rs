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
/// The start of the binary form of the value of [`ATTR`] ([`Meta::encode`]).
const BINARY: &[u8] = b"nf2";
/// Its length with a mode.
const MAX_BINARY: usize = 3 + 32 + 8 + 8 + 4 + 2;
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

    /// The attribute's value: `nf2`, then the BLAKE3 (32 bytes), the size (u64), the
    /// modification time (i64 seconds, u32 nanoseconds) and, if sent, the mode (u16), little
    /// endian: 55 or 57 bytes, which ext4 keeps in a 256-byte inode (its room for attributes
    /// takes a value of up to 64 bytes), so that reading it reads no block of its own. The text
    /// form `nf1 HASH SIZE SEC.NSEC [MODE]` of earlier versions (91 bytes and more, a 4 KiB
    /// block per file on ext4) is still read.
    fn encode(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(MAX_BINARY);
        raw.extend_from_slice(BINARY);
        raw.extend_from_slice(self.blake3.as_bytes());
        raw.extend_from_slice(&self.size.to_le_bytes());
        raw.extend_from_slice(&self.mtime_sec.to_le_bytes());
        // A nanosecond count from stat is below 10^9; anything else is not a time nf wrote.
        raw.extend_from_slice(&u32::try_from(self.mtime_nsec).unwrap_or(u32::MAX).to_le_bytes());
        if let Some(mode) = self.mode {
            // mode is at most 0o777.
            raw.extend_from_slice(&((mode & 0o777) as u16).to_le_bytes());
        }
        raw
    }

    fn decode(raw: &[u8]) -> Option<Meta> {
        match raw.strip_prefix(BINARY) {
            Some(rest) => Meta::decode_binary(rest),
            None => Meta::decode_text(raw),
        }
    }

    fn decode_binary(rest: &[u8]) -> Option<Meta> {
        if rest.len() != MAX_BINARY - BINARY.len() - 2 && rest.len() != MAX_BINARY - BINARY.len() {
            return None;
        }
        let (hash, rest) = rest.split_first_chunk::<32>()?;
        let (size, rest) = rest.split_first_chunk::<8>()?;
        let (sec, rest) = rest.split_first_chunk::<8>()?;
        let (nsec, rest) = rest.split_first_chunk::<4>()?;
        let mode = rest
            .first_chunk::<2>()
            .map(|m| u32::from(u16::from_le_bytes(*m)) & 0o777);
        Some(Meta {
            blake3: blake3::Hash::from_bytes(*hash),
            size: u64::from_le_bytes(*size),
            mtime_sec: i64::from_le_bytes(*sec),
            mtime_nsec: i64::from(u32::from_le_bytes(*nsec)),
            mode,
        })
    }

    fn decode_text(raw: &[u8]) -> Option<Meta> {
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
    crate::sys::set_xattr(file, ATTR, &meta.encode())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(mode: Option<u32>) -> Meta {
        Meta {
            blake3: blake3::hash(b"some content"),
            size: 12,
            mtime_sec: 1_795_967_142,
            mtime_nsec: 935_657_477,
            mode,
        }
    }

    /// The binary form reads back as written, with and without a mode, and stays within the
    /// 64 bytes ext4 keeps in a 256-byte inode.
    #[test]
    fn the_binary_form_round_trips_and_fits_in_an_ext4_inode() {
        for meta in [sample(Some(0o755)), sample(None), Meta::of_empty()] {
            let raw = meta.encode();
            assert!(raw.len() <= 64, "{} bytes", raw.len());
            assert_eq!(Meta::decode(&raw), Some(meta));
        }
        let before_1970 = Meta {
            mtime_sec: -86_400,
            ..sample(Some(0o600))
        };
        assert_eq!(Meta::decode(&before_1970.encode()), Some(before_1970));
    }

    /// What earlier versions wrote is still read; a value of neither form, or cut short, is
    /// none (the file is then hashed again).
    #[test]
    fn the_text_form_is_still_read_and_anything_else_is_refused() {
        let text = format!(
            "nf1 {} 12 1795967142.935657477 755",
            blake3::hash(b"some content").to_hex()
        );
        assert_eq!(Meta::decode(text.as_bytes()), Some(sample(Some(0o755))));
        let text = format!(
            "nf1 {} 12 1795967142.935657477",
            blake3::hash(b"some content").to_hex()
        );
        assert_eq!(Meta::decode(text.as_bytes()), Some(sample(None)));
        let raw = sample(Some(0o644)).encode();
        assert_eq!(Meta::decode(&raw[..raw.len() - 1]), None);
        assert_eq!(Meta::decode(&raw[..20]), None);
        assert_eq!(Meta::decode(b"nf2"), None);
        assert_eq!(Meta::decode(b"nf3 whatever"), None);
        assert_eq!(Meta::decode(b""), None);
    }
}
