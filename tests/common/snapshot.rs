//! Snapshots of what a server's store holds (its directory or its bucket prefix, but nf's
//! own `.nf` entries), for tests that check a refusal changed nothing, and placing files
//! behind nf's back.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Bucket, Server};

/// Every file and directory the store holds (but nf's own `.nf` entries), with each file's
/// content: what a refusal must leave untouched. A directory is `NAME/`; in a bucket, a
/// directory is an empty one's marker or what the keys below it imply.
pub fn tree(s: &Server) -> Tree {
    match &s.bucket {
        Some(bucket) => bucket_tree(bucket),
        None => dir_tree(&s.root),
    }
}

fn dir_tree(root: &Path) -> Tree {
    let mut seen = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    // Bounded: the tests' trees hold a few dozen entries.
    for _ in 0..1000 {
        let Some(dir) = todo.pop() else {
            return seen;
        };
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(root).unwrap().to_string_lossy().to_string();
            if name == ".nf" {
                continue;
            }
            if path.is_dir() {
                seen.insert(format!("{name}/"), None);
                todo.push(path);
            } else {
                seen.insert(name, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    panic!("more than 1000 directories under {}", root.display());
}

fn bucket_tree(bucket: &Bucket) -> Tree {
    let mut seen = BTreeMap::new();
    for key in bucket.keys() {
        if key.starts_with(".nf/") {
            continue;
        }
        let name = match key.strip_suffix(".nf") {
            // An empty directory's marker: `DIR/.nf`.
            Some(dir) => dir.to_string(),
            None => {
                let content = bucket.read(&key);
                seen.insert(key.clone(), Some(content));
                key
            }
        };
        let mut at = name.as_str();
        while let Some((parent, _)) = at.trim_end_matches('/').rsplit_once('/') {
            seen.insert(format!("{parent}/"), None);
            at = parent;
        }
        if name.ends_with('/') {
            seen.insert(name, None);
        }
    }
    seen
}

pub type Tree = BTreeMap<String, Option<Vec<u8>>>;

/// Asserts the store still holds `before` and no partial upload, after `what`.
pub fn assert_unchanged(s: &Server, before: &Tree, what: impl std::fmt::Debug) {
    assert_eq!(tree(s), *before, "{what:?} changed the store");
    assert!(
        s.partials().is_empty(),
        "{what:?} left a partial: {:?}",
        s.partials()
    );
}

/// Stores `content` under `name` behind nf's back, making the folders above it (which a
/// bucket's keys imply).
pub fn place(s: &Server, name: &str, content: &[u8]) {
    if s.bucket.is_none() {
        if let Some((dir, _)) = name.rsplit_once('/') {
            std::fs::create_dir_all(s.root.join(dir)).unwrap();
        }
    }
    s.place_by_hand(name, content);
}
