//! Where nf's own keys go in the bucket, and how long any key may be.
//!
//! A file is the object `PREFIX/NAME`. nf's entries never contain the name itself, only fixed
//! length hashes of it, so their length does not grow with the name, and no two names share an
//! entry directory (a name `a` and a name `a/b` have unrelated hashes):
//!
//! - `PREFIX/.nf/sums/DIR/LEAF/ETAG.BLAKE3.SECS.NANOS.MODE`: the BLAKE3 of the version of the
//!   file whose ETag is `ETAG` (an empty object), with the modification time its uploader sent
//!   (seconds since 1970, negative before, and nanoseconds) and its permission bits in octal;
//!   `ETAG.BLAKE3` alone for a version nf hashed itself (stored by another tool: its time is
//!   the object's `Last-Modified`, its mode `0644`);
//! - `PREFIX/.nf/parts/DIR/LEAF/UPLOAD/upload`: the multipart upload id of an unfinished upload
//!   of the file (its content), and beside it one empty object per stored part,
//!   `NUMBER.SIZE.ETAG.CV` (see [`super::resume`]).
//!
//! - `PREFIX/DIR/.nf`: an empty directory `DIR` (an empty object; `.nf` is never a name, so it
//!   cannot be mistaken for a file). A directory that holds anything needs no marker: its keys
//!   imply it.
//!
//! In entry keys, `DIR` is [`hashed`] of the name's parent directory (`""` for a name at the
//! top), `LEAF` of its last component and `UPLOAD` of the upload id: 32 hex digits each. So one
//! directory's entries are one prefix listing (`.nf/sums/DIR/`), and every entry key is at most
//! [`ENTRY_BYTES`] longer than the prefix, whatever the name.
//!
//! Entries of the first layout (`.nf/b3/NAME/…`, `.nf/up/NAME/…`) are no longer read: they were
//! a cache, and an object without an entry is hashed again once (docs/SCALING.md).

use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::name::quote;

/// The directory of BLAKE3 entries, under the prefix.
pub const SUMS: &str = ".nf/sums";
/// The directory of unfinished uploads' part entries, under the prefix.
pub const PARTS: &str = ".nf/parts";
/// The leaf of an unfinished upload's record (its content is the upload id).
pub const RECORD: &str = "upload";
/// S3's limit on the length of a key, in bytes (AWS, MinIO, Ceph, Garage alike).
pub const MAX_KEY_BYTES: usize = 1024;
#[cfg(test)]
/// The longest tail an entry key adds to the prefix: `.nf/parts/` + 3 hashed segments + the
/// longest part leaf (number, size, an ETag of at most 128 bytes, a 64-digit CV).
pub const ENTRY_BYTES: usize = 10 + 3 * 33 + 20 + 1 + 20 + 1 + 128 + 1 + 64;
#[cfg(test)]
/// The longest hash entry leaf: an ETag of 128, the hash, seconds, nanoseconds and mode.
pub const SUM_LEAF_BYTES: usize = 128 + 1 + 64 + 1 + 20 + 1 + 9 + 1 + 3;

/// A fixed-length stand-in for `text` in keys: 128 bits of its BLAKE3, in hex.
pub fn hashed(text: &str) -> String {
    let hash = blake3::derive_key("nf 2026 entry key segment", text.as_bytes());
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// `DIR/LEAF` of a name: its parent directory's and its last component's hashes.
pub fn segments(name: &str) -> String {
    let (parent, leaf) = name.rsplit_once('/').unwrap_or(("", name));
    format!("{}/{}", hashed(parent), hashed(leaf))
}

/// The entry directory of the names in the directory `dir` (`""`: the top).
pub fn dir_segment(dir: &str) -> String {
    hashed(dir)
}

/// The object that marks an empty directory, inside it.
pub const MARKER: &str = crate::name::RESERVED;

/// Checks that the object key of `name` under `prefix` (`""` or ending in `/`) fits the
/// store's key limit; entry keys always fit (the prefix is at most 512 bytes).
pub fn check_key_len(prefix: &str, name: &str) -> Result<()> {
    let len = prefix.len() + name.len();
    if len > MAX_KEY_BYTES {
        return Err(Error::new(
            ErrorKind::BadName,
            format!(
                "{} is too long for the object store: its key would be {len} bytes ({} of them the \
                 store prefix), and S3 keys are at most {MAX_KEY_BYTES} bytes",
                quote(name),
                prefix.len()
            ),
        ));
    }
    Ok(())
}

/// What a hash entry records of one version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    pub etag: String,
    /// BLAKE3 in lowercase hex.
    pub hash: String,
    /// The modification time and mode its uploader sent, if the entry records them.
    pub kept: Option<(SystemTime, u32)>,
}

/// The hash entry leaf of a version: `ETAG.BLAKE3`, and `.SECS.NANOS.MODE` when `kept`.
pub fn sum_leaf(etag: &str, hash: &str, kept: Option<(SystemTime, u32)>) -> String {
    match kept {
        Some((t, mode)) => {
            let (secs, nanos) = crate::human::unix_nanos(t);
            format!("{etag}.{hash}.{secs}.{nanos}.{:o}", mode & 0o777)
        }
        None => format!("{etag}.{hash}"),
    }
}

/// Parses a hash entry leaf ([`sum_leaf`]).
pub fn parse_sum_leaf(leaf: &str) -> Option<Sum> {
    let fields: Vec<&str> = leaf.split('.').collect();
    let (etag, hash) = (*fields.first()?, *fields.get(1)?);
    let hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex || etag.is_empty() || etag.contains('/') {
        return None;
    }
    let kept = match fields[2..] {
        [] => None,
        [secs, nanos, mode] => {
            let secs: i64 = secs.parse().ok()?;
            let nanos: u32 = nanos.parse().ok().filter(|n| *n < 1_000_000_000)?;
            let mode = u32::from_str_radix(mode, 8).ok()? & 0o777;
            Some((crate::human::from_unix(secs, nanos), mode))
        }
        _ => return None,
    };
    Some(Sum {
        etag: etag.to_string(),
        hash: hash.to_ascii_lowercase(),
        kept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_segments_have_one_length_whatever_the_name() {
        let long = "x".repeat(4000);
        for name in ["a", "a/b", "dir/sub/file.txt", long.as_str()] {
            let s = segments(name);
            assert_eq!(s.len(), 65, "{name}");
            assert!(s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'/'));
        }
        // Nested names never share a directory or a leaf with their parents.
        assert_ne!(segments("a"), segments("a/b"));
        assert_eq!(segments("a").split('/').next(), Some(dir_segment("").as_str()));
        assert_eq!(segments("d/a").split('/').next(), Some(dir_segment("d").as_str()));
        assert_eq!(
            segments("a/b").split('/').nth(1),
            segments("c/b").split('/').nth(1)
        );
        const { assert!(512 + ENTRY_BYTES < MAX_KEY_BYTES) };
        const { assert!(512 + 9 + 2 * 33 + SUM_LEAF_BYTES < MAX_KEY_BYTES) };
    }

    #[test]
    fn keys_past_the_store_limit_are_bad_names() {
        assert!(check_key_len("p/", &"n".repeat(1022)).is_ok());
        let e = check_key_len("p/", &"n".repeat(1023)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadName);
        assert!(e.message.contains("1025 bytes"), "{}", e.message);
    }

    #[test]
    fn sum_leaves_parse() {
        let hash = "ab".repeat(32);
        assert_eq!(
            parse_sum_leaf(&format!("d0b8-2.{hash}")),
            Some(Sum {
                etag: "d0b8-2".into(),
                hash: hash.clone(),
                kept: None
            })
        );
        for (secs, nanos) in [(1_700_000_000, 5), (-3, 999_999_999), (0, 0)] {
            let t = crate::human::from_unix(secs, nanos);
            let leaf = sum_leaf("e1", &hash, Some((t, 0o4755)));
            assert_eq!(parse_sum_leaf(&leaf).unwrap().kept, Some((t, 0o755)), "{leaf}");
        }
        assert_eq!(parse_sum_leaf(&format!(".{hash}")), None);
        assert_eq!(parse_sum_leaf("e.abc"), None);
        assert_eq!(parse_sum_leaf(&format!("e.{hash}.1.2")), None);
        assert_eq!(parse_sum_leaf(&format!("e.{hash}.1.2000000000.644")), None);
        // The longest leaf fits the entry key budget.
        let longest = sum_leaf(
            &"e".repeat(128),
            &hash,
            Some((crate::human::from_unix(-i64::MAX / 2, 999_999_999), 0o777)),
        );
        assert!(longest.len() <= SUM_LEAF_BYTES, "{}", longest.len());
    }
}
