//! Where nf's own keys go in the bucket, and how long any key may be.
//!
//! A file is the object `PREFIX/NAME`. nf's entries never contain the name itself, only fixed
//! length hashes of it, so their length does not grow with the name, and no two names share an
//! entry directory (a name `a` and a name `a/b` have unrelated hashes):
//!
//! - `PREFIX/.nf/sums/DIR/LEAF/ETAG.BLAKE3`: the BLAKE3 of the version of the file whose ETag is
//!   `ETAG` (an empty object);
//! - `PREFIX/.nf/parts/DIR/LEAF/UPLOAD/upload`: the multipart upload id of an unfinished upload
//!   of the file (its content), and beside it one empty object per stored part,
//!   `NUMBER.SIZE.ETAG.CV` (see [`super::resume`]).
//!
//! `DIR` is [`hashed`] of the name's parent directory (`""` for a name at the top: every name
//! today), `LEAF` of its last component and `UPLOAD` of the upload id: 32 hex digits each. So one
//! directory's entries are one prefix listing (`.nf/sums/DIR/`), and every entry key is at most
//! [`ENTRY_BYTES`] longer than the prefix, whatever the name.
//!
//! Entries of the first layout (`.nf/b3/NAME/…`, `.nf/up/NAME/…`) are no longer read: they were
//! a cache, and an object without an entry is hashed again once (docs/SCALING.md).

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

/// The entry directory of the top-level names (`DIR` of every name today).
pub fn top_dir() -> String {
    hashed("")
}

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

/// The hash entry leaf `ETAG.BLAKE3` → (ETAG, BLAKE3 in lowercase hex).
pub fn parse_sum_leaf(leaf: &str) -> Option<(String, String)> {
    let (etag, hash) = leaf.rsplit_once('.')?;
    let hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    let token = !etag.is_empty() && !etag.contains(['.', '/']);
    (hex && token).then(|| (etag.to_string(), hash.to_ascii_lowercase()))
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
        assert_eq!(segments("a").split('/').next(), Some(top_dir().as_str()));
        assert_eq!(
            segments("a/b").split('/').nth(1),
            segments("c/b").split('/').nth(1)
        );
        const { assert!(512 + ENTRY_BYTES < MAX_KEY_BYTES) };
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
            Some(("d0b8-2".into(), hash.clone()))
        );
        assert_eq!(parse_sum_leaf(&format!(".{hash}")), None);
        assert_eq!(parse_sum_leaf("e.abc"), None);
    }
}
