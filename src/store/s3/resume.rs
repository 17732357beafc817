//! What lets an interrupted upload to the object store be resumed, by any server: the BLAKE3
//! of each stored part, kept in the bucket, and the arithmetic that joins them into the hash of
//! the whole file.
//!
//! BLAKE3 is a tree: a part of `2^k` chunks that starts at a multiple of its own size is a
//! complete subtree, whose chaining value (CV) can be computed alone ([`part_hashes`]). nf's parts
//! all have one power-of-two size (the last may be shorter), so the CVs of parts `1..=n` merge
//! into the root hash exactly as `blake3::hash` of the whole file would compute it ([`root`]):
//! a server resuming an upload needs the CVs of the parts already stored, never their bytes,
//! which an S3 store cannot give back before the upload is completed.
//!
//! Each stored part gets an entry, an empty object whose key carries what resuming needs:
//! `PREFIX/.nf/parts/DIR/LEAF/UPLOAD/NUMBER.SIZE.ETAG.CV` beside the upload's record
//! (`super::keys`). A part counts only if the store lists it with the same ETag, so a part
//! replaced behind nf's back (by a second resumer, say) is never taken for the one hashed.

use std::collections::HashMap;

use blake3::hazmat::ChainingValue;
use blake3::hazmat::{left_subtree_len, merge_subtrees_non_root, merge_subtrees_root, HasherExt, Mode};

/// The smallest part; parts are powers of two from here, chosen so that a file fits in
/// [`MAX_PARTS`] of them.
pub const MIN_PART: u64 = 8 << 20;
/// S3's limit on parts in one upload.
pub const MAX_PARTS: u64 = 10_000;

/// The part size for a file of `size` bytes (unknown: the smallest).
pub fn part_size(size: Option<u64>) -> u64 {
    let needed = size.map_or(0, |s| s.div_ceil(MAX_PARTS));
    needed.next_power_of_two().max(MIN_PART)
}

/// The chaining value of the part that starts at byte `offset`, and for the first part
/// (offset 0) also its root hash: the whole file's BLAKE3 if the file is that one part.
pub fn part_hashes(offset: u64, data: &[u8]) -> (ChainingValue, Option<blake3::Hash>) {
    let mut hasher = blake3::Hasher::new();
    hasher.set_input_offset(offset);
    hasher.update(data);
    let root = (offset == 0).then(|| hasher.finalize());
    (hasher.finalize_non_root(), root)
}

/// The BLAKE3 of a file of `total` bytes stored as parts of `part` bytes (the last may be
/// shorter) whose chaining values are `cvs`. None for a file of one part (its root hash is not
/// made from a CV).
pub fn root(cvs: &[ChainingValue], part: u64, total: u64) -> Option<blake3::Hash> {
    if cvs.len() < 2 || total <= part {
        return None;
    }
    let (left, right) = split(cvs, part, total);
    Some(merge_subtrees_root(&left, &right, Mode::Hash))
}

/// The two children of the subtree over `total` bytes made of the parts `cvs`.
fn split(cvs: &[ChainingValue], part: u64, total: u64) -> (ChainingValue, ChainingValue) {
    // The left child is the largest power of two below `total`: a whole number of parts.
    let left = left_subtree_len(total);
    let k = (left / part) as usize;
    (
        subtree(&cvs[..k], part, left),
        subtree(&cvs[k..], part, total - left),
    )
}

fn subtree(cvs: &[ChainingValue], part: u64, total: u64) -> ChainingValue {
    if cvs.len() == 1 {
        return cvs[0];
    }
    let (left, right) = split(cvs, part, total);
    merge_subtrees_non_root(&left, &right, Mode::Hash)
}

/// One part as its entry key records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartEntry {
    /// 1-based, as S3 numbers parts.
    pub number: u64,
    pub size: u64,
    pub etag: String,
    pub cv: ChainingValue,
}

impl PartEntry {
    /// `NUMBER.SIZE.ETAG.CV`
    pub fn leaf(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.number,
            self.size,
            self.etag,
            blake3::Hash::from_bytes(self.cv).to_hex()
        )
    }

    pub fn parse(leaf: &str) -> Option<PartEntry> {
        let mut fields = leaf.split('.');
        let number = fields.next()?.parse().ok()?;
        let size = fields.next()?.parse().ok()?;
        let etag = fields.next()?.to_string();
        let cv = blake3::Hash::from_hex(fields.next()?).ok()?;
        if fields.next().is_some() || etag.is_empty() {
            return None;
        }
        Some(PartEntry {
            number,
            size,
            etag,
            cv: *cv.as_bytes(),
        })
    }
}

/// The bytes at the start of an upload that can be resumed: parts `1..=n` all present in
/// `entries` and in the store (`stored`: a part number's ETag as the store lists it) with
/// matching ETags, each of the one part size. Returns the part size and those entries, in
/// order. One lookup per part, so 10000 parts cost 10000 steps.
pub fn resumable_prefix<'a>(
    entries: &[PartEntry],
    stored: impl Fn(u64) -> Option<&'a str>,
) -> (u64, Vec<PartEntry>) {
    let Some(part) = entries.iter().map(|e| e.size).max() else {
        return (0, Vec::new());
    };
    let by_part: HashMap<(u64, &str), &PartEntry> = entries
        .iter()
        .filter(|e| e.size == part)
        .map(|e| ((e.number, e.etag.as_str()), e))
        .collect();
    let prefix = (1..)
        .map_while(|number| Some((*by_part.get(&(number, stored(number)?))?).clone()))
        .collect();
    (part, prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 1000) as u8).collect()
    }

    #[test]
    fn merged_part_hashes_are_the_hash_of_the_whole() {
        let part = 4096u64; // four chunks: the arithmetic does not depend on the size
        for total in [
            4097, 8192, 8193, 12288, 12289, 16384, 20000, 28672, 32768, 32769, 45000, 65536, 70000,
        ] {
            let content = data(total);
            let cvs: Vec<ChainingValue> = content
                .chunks(part as usize)
                .enumerate()
                .map(|(i, c)| part_hashes(i as u64 * part, c).0)
                .collect();
            assert_eq!(
                root(&cvs, part, total as u64),
                Some(blake3::hash(&content)),
                "{total} bytes"
            );
        }
        // One part: no merge, but the first part's own root hash is the file's.
        let (cv, first) = part_hashes(0, &data(100));
        assert_eq!(root(&[cv], part, 100), None);
        assert_eq!(first, Some(blake3::hash(&data(100))));
        assert_eq!(
            part_hashes(part, &data(100)).1,
            None,
            "only the first part has a root"
        );
    }

    #[test]
    fn part_sizes_are_powers_of_two_that_fit_the_part_limit() {
        assert_eq!(part_size(None), MIN_PART);
        assert_eq!(part_size(Some(1 << 30)), MIN_PART);
        let tib = 1u64 << 40;
        let p = part_size(Some(tib));
        assert!(p.is_power_of_two() && tib.div_ceil(p) <= MAX_PARTS, "{p}");
        assert_eq!(p, 128 << 20);
    }

    #[test]
    fn entries_round_trip_and_only_a_matching_run_is_resumable() {
        let e = |n: u64, size: u64, etag: &str| PartEntry {
            number: n,
            size,
            etag: etag.into(),
            cv: [n as u8; 32],
        };
        let one = e(1, 8, "a1");
        assert_eq!(PartEntry::parse(&one.leaf()), Some(one.clone()));
        assert_eq!(PartEntry::parse("1.8.a1"), None);
        let entries = vec![e(1, 8, "a1"), e(2, 8, "a2"), e(3, 8, "a3"), e(5, 8, "a5")];
        let stored: HashMap<u64, &str> = [(1, "a1"), (2, "a2"), (3, "XX"), (5, "a5")].into();
        let (part, prefix) = resumable_prefix(&entries, |n| stored.get(&n).copied());
        assert_eq!(part, 8);
        assert_eq!(prefix.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);
    }
}
