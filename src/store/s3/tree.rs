//! Directories in a bucket, which has none: a directory is every key under `DIR/`, listed one
//! level at a time with the `/` delimiter; an empty one is the marker object `DIR/.nf`
//! ([`keys::MARKER`]), written by `mkdir` and whenever removing the last entry of a directory
//! would make it vanish, as on a disk. Here are the listing (one directory's objects, sub-
//! directories and hash entries), the checks that a name is never a file and a directory at
//! once (a put's directories above must not be files, its name not a directory), and mkdir,
//! remove and rename. A rename is a copy then a delete of each object: not atomic (a reader may
//! see both names, or, for a directory, part of it moved; a crash between the two leaves
//! both), which docs/SCALING.md says.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};

use super::{adopt, chosen, etag_token, file_entry, keys, Kept, Store, DIR_MODE};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::store::{is_a_dir, is_a_file, not_found, Descend, Entry, Visit};

/// The most directories remembered as such ([`Store::known_dirs`]); then forgotten at once.
const KNOWN_DIRS: usize = 4096;

/// Copies and deletes of a directory move in flight at once.
const MOVES_AT_ONCE: usize = 16;

/// One directory's hash entries: LEAF (hashed) → each entry, when it was written, and its key.
type Sums = HashMap<String, Vec<(keys::Sum, SystemTime, Path)>>;

impl Store {
    /// Remembers the directories above `name` as directories (it was just stored there).
    pub(super) fn known_dirs(&self, name: &FileName) {
        let mut dirs = self.inner.dirs.lock().unwrap();
        if dirs.len() > KNOWN_DIRS {
            dirs.clear();
        }
        for dir in name.ancestors() {
            dirs.insert(dir.as_str().to_string());
        }
    }

    /// Forgets every remembered directory (after a remove or a rename).
    fn forget_dirs(&self) {
        self.inner.dirs.lock().unwrap().clear();
    }

    /// True when some key is under `name/`: a directory.
    pub(super) fn is_dir(&self, name: &FileName) -> Result<bool> {
        let key = self.key(name)?;
        let s3 = Arc::clone(&self.inner.s3);
        let first = self.block(async move { s3.list(Some(&key)).next().await.transpose() });
        first
            .map(|f| f.is_some())
            .map_err(|e| self.error(&format!("cannot look up {}", quote(name.as_str())), e))
    }

    /// Checks that no directory above `name` is a file (a HEAD each, in parallel, except for
    /// those known to be directories).
    fn check_above(&self, name: &FileName) -> Result<()> {
        let unknown: Vec<FileName> = {
            let dirs = self.inner.dirs.lock().unwrap();
            name.ancestors().filter(|a| !dirs.contains(a.as_str())).collect()
        };
        if unknown.is_empty() {
            return Ok(());
        }
        let keys: Vec<Path> = unknown.iter().map(|a| self.key(a)).collect::<Result<_>>()?;
        let s3 = Arc::clone(&self.inner.s3);
        let heads =
            self.block(async move { futures_util::future::join_all(keys.iter().map(|k| s3.head(k))).await });
        for (dir, head) in unknown.iter().zip(heads) {
            match head {
                Ok(_) => return Err(is_a_file(dir, name)),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.error(&format!("cannot look up {}", quote(dir.as_str())), e)),
            }
        }
        Ok(())
    }

    /// Checks that an upload of `name` could be committed: `name` is not a directory, and no
    /// directory above it is a file. (Two servers racing to store `a` and `a/b` can both
    /// succeed: the object store has no transaction to prevent it; docs/SCALING.md.)
    pub(super) fn check_target(&self, name: &FileName) -> Result<()> {
        if self.is_dir(name)? {
            return Err(is_a_dir(name, "; a file cannot replace it"));
        }
        self.check_above(name)
    }

    /// [`crate::store::Store::walk_into`] on the bucket: one directory at a time, two listings
    /// each (its hash entries, then its objects and subdirectories with the delimiter).
    pub fn walk_into(&self, from: Option<&FileName>, into: &Descend, visit: &mut Visit<'_>) -> Result<u64> {
        let mut count = 0;
        if let Some(name) = from {
            let key = self.key(name)?;
            match self.block(self.inner.s3.head(&key)) {
                Ok(meta) => {
                    let (hash, kept) = self.hash_of(name, &meta)?;
                    visit(file_entry(name, &meta, &hash, kept))?;
                    return Ok(1);
                }
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.error(&format!("cannot look up {}", quote(name.as_str())), e)),
            }
        }
        if !self.walk_dir(from, into, visit, &mut count)? {
            let name = from.expect("the top always exists");
            // Under a file, as the local store says it.
            self.check_above(name)?;
            return Err(not_found(name));
        }
        Ok(count)
    }

    /// Visits the entries of `dir` (and below, in the directories `into` accepts); false if it
    /// does not exist.
    /// Iterative: one listed level per depth, never the stack of the worker thread.
    fn walk_dir(
        &self,
        dir: Option<&FileName>,
        into: &Descend<'_>,
        visit: &mut Visit<'_>,
        count: &mut u64,
    ) -> Result<bool> {
        let Some(entries) = self.list_level(dir)? else {
            return Ok(false);
        };
        let mut stack = vec![entries.into_iter()];
        while let Some(level) = stack.last_mut() {
            let Some(entry) = level.next() else {
                stack.pop();
                continue;
            };
            let below = match entry.is_dir() && into(&entry.name) {
                // Removed meanwhile: not listed.
                true => match self.list_level(Some(&entry.name))? {
                    Some(below) => Some(below),
                    None => continue,
                },
                false => None,
            };
            *count += 1;
            visit(entry)?;
            if let Some(below) = below {
                stack.push(below.into_iter());
            }
        }
        Ok(true)
    }

    /// The entries of one directory (`None`: the top), sorted by name; `None` if the directory
    /// does not exist. Files without a hash entry are hashed once (within [`adopt::WAIT`],
    /// else `busy`); stale entries are deleted on the way. Each subdirectory is checked to hold
    /// a key (one request each, 32 at a time): some stores (SeaweedFS) go on listing a prefix
    /// as a subdirectory long after its last key was deleted.
    fn list_level(&self, dir: Option<&FileName>) -> Result<Option<Vec<Entry>>> {
        let deadline = tokio::time::Instant::now() + adopt::WAIT;
        let dir_text = dir.map_or("", |d| d.as_str());
        let sums_dir = self.path(&format!("{}/{}", keys::SUMS, keys::dir_segment(dir_text)))?;
        let at = match dir {
            Some(d) => self.key(d)?,
            None => self.path("")?,
        };
        let s3 = Arc::clone(&self.inner.s3);
        // The entries first: an entry listed before the files is never newer than the file
        // version listed after it, so an entry whose ETag differs from the file's is stale.
        let (entries, listing) = self
            .block(async move {
                let entries: Vec<ObjectMeta> = s3.list(Some(&sums_dir)).try_collect().await?;
                let prefix = (!at.as_ref().is_empty()).then_some(&at);
                let listing = s3.list_with_delimiter(prefix).await?;
                Ok::<_, object_store::Error>((entries, listing))
            })
            .map_err(|e| self.error("cannot list the bucket", e))?;
        if dir.is_some() && listing.objects.is_empty() && listing.common_prefixes.is_empty() {
            return Ok(None);
        }
        let held_before = !listing.objects.is_empty();
        let deadline = deadline.max(tokio::time::Instant::now() + adopt::WAIT / 2);
        let mut sums: Sums = HashMap::new();
        for entry in entries {
            let mut parts = entry.location.parts().rev();
            let (Some(sum), Some(leaf)) = (parts.next(), parts.next()) else {
                continue;
            };
            if let Some(parsed) = keys::parse_sum_leaf(sum.as_ref()) {
                let written = SystemTime::from(entry.last_modified);
                sums.entry(leaf.as_ref().to_string()).or_default().push((
                    parsed,
                    written,
                    entry.location.clone(),
                ));
            }
        }
        let named_in = |location: &Path| -> Option<FileName> {
            let raw = location.as_ref().strip_prefix(&self.inner.prefix)?;
            let name = FileName::parse(raw).ok()?;
            (name.parent().as_ref() == dir).then_some(name)
        };
        let mut files = Vec::new();
        for meta in listing.objects {
            // The marker `.nf` is no name, so it is never listed.
            if let Some(name) = named_in(&meta.location) {
                files.push((name, meta));
            }
        }
        let files = self.with_etags(files, &sums, deadline)?;
        let now = SystemTime::now();
        let mut dirs: Vec<FileName> = listing.common_prefixes.iter().filter_map(named_in).collect();
        if !dirs.is_empty() {
            let s3 = Arc::clone(&self.inner.s3);
            let keys: Vec<Path> = dirs.iter().map(|d| self.key(d)).collect::<Result<_>>()?;
            let held: Vec<bool> = self.block(
                futures_util::stream::iter(keys.into_iter().map(|k| {
                    let s3 = Arc::clone(&s3);
                    // An error counts as holding something: listed rather than hidden.
                    async move { s3.list(Some(&k)).next().await.is_some() }
                }))
                .buffered(32)
                .collect(),
            );
            dirs = dirs
                .into_iter()
                .zip(held)
                .filter(|(_, h)| *h)
                .map(|(d, _)| d)
                .collect();
        }
        if dir.is_some() && !held_before && dirs.is_empty() {
            // Only prefixes that hold nothing: the directory is gone.
            return Ok(None);
        }
        let mut listed: Vec<Entry> = dirs
            .into_iter()
            .map(|name| Entry::dir(name, now, DIR_MODE))
            .collect();
        let mut current: HashMap<String, Option<String>> = HashMap::new();
        let mut unknown = Vec::new();
        for (name, meta) in files {
            let leaf = keys::hashed(name.leaf());
            let etag = etag_token(&meta);
            let known = etag.as_ref().and_then(|etag| {
                let entries = sums.get(&leaf)?;
                let plain: Vec<(keys::Sum, SystemTime)> =
                    entries.iter().map(|(s, w, _)| (s.clone(), *w)).collect();
                chosen(&plain, etag)
                    .map(|i| (entries[i].0.hash.clone(), entries[i].0.kept, entries[i].2.clone()))
            });
            match known {
                Some((hash, kept, key)) => {
                    listed.push(file_entry(&name, &meta, &hash, kept));
                    current.insert(leaf, Some(key.as_ref().to_string()));
                }
                None => {
                    current.insert(leaf, None);
                    unknown.push((name, meta));
                }
            }
        }
        // Unknown content: hashed once, in parallel. One that vanished meanwhile is not listed.
        let hashes = self.adopt_all(&unknown, deadline)?;
        for ((name, meta), hash) in unknown.iter().zip(hashes) {
            if let Some(hash) = hash {
                listed.push(file_entry(name, meta, &hash, None));
            }
        }
        self.drop_stale(sums, &current);
        listed.sort_by(|a, b| a.name.leaf().as_bytes().cmp(b.name.leaf().as_bytes()));
        Ok(Some(listed))
    }

    /// Listed files with their ETags: where the listing had none, from a HEAD of each file
    /// that has hash entries to choose from (32 at a time; a file without entries is read and
    /// hashed anyway, and that answer names its ETag). A file whose HEAD fails keeps no ETag;
    /// one that is gone is dropped; `busy` if the HEADs are not done by `deadline`.
    fn with_etags(
        &self,
        named: Vec<(FileName, ObjectMeta)>,
        sums: &Sums,
        deadline: tokio::time::Instant,
    ) -> Result<Vec<(FileName, ObjectMeta)>> {
        if named.iter().all(|(_, m)| etag_token(m).is_some()) {
            return Ok(named);
        }
        self.lacks_etags(false);
        let s3 = Arc::clone(&self.inner.s3);
        let count = named.len();
        let heads = named.into_iter().map(|(name, meta)| {
            let s3 = Arc::clone(&s3);
            let needed = etag_token(&meta).is_none() && sums.contains_key(&keys::hashed(name.leaf()));
            async move {
                if !needed {
                    return Some((name, meta));
                }
                match s3.head(&meta.location).await {
                    Ok(fresh) => Some((name, fresh)),
                    Err(object_store::Error::NotFound { .. }) => None,
                    Err(_) => Some((name, meta)),
                }
            }
        });
        let all = futures_util::stream::iter(heads).buffered(32).collect::<Vec<_>>();
        let done = self
            .block(async move { tokio::time::timeout_at(deadline, all).await })
            .map_err(|_| {
                Error::new(
                    ErrorKind::Busy,
                    format!(
                        "the object store lists no ETags, and asking it for those of {count} files \
                         took longer than {} s; try again",
                        adopt::WAIT.as_secs()
                    ),
                )
            })?;
        Ok(done.into_iter().flatten().collect())
    }

    /// Deletes the hash entries of versions that are no longer stored (of files gone, or whose
    /// current version has another entry), keeping the one each current file uses (`current`:
    /// LEAF → that entry's key; `None`: not known, so all of that leaf's are kept). Best effort.
    fn drop_stale(&self, sums: Sums, current: &HashMap<String, Option<String>>) {
        let stale: Vec<Path> = sums
            .into_iter()
            .flat_map(|(leaf, entries)| {
                let keep = current.get(&leaf).cloned();
                entries.into_iter().filter_map(move |(_, _, key)| match &keep {
                    None => Some(key),
                    Some(Some(used)) if used != key.as_ref() => Some(key),
                    Some(_) => None,
                })
            })
            .collect();
        if stale.is_empty() {
            return;
        }
        let s3 = Arc::clone(&self.inner.s3);
        self.block(async move {
            let stream = futures_util::stream::iter(stale.into_iter().map(Ok)).boxed();
            s3.delete_stream(stream).for_each(|_| async {}).await;
        });
    }

    /// The key of the marker of the empty directory `dir`.
    fn marker(&self, dir: &FileName) -> Result<Path> {
        self.path(&format!("{}/{}", dir.as_str(), keys::MARKER))
    }

    /// Writes the marker of `dir` if nothing is under it any more (so that removing the last
    /// entry of a directory leaves it, as on a disk). Best effort.
    fn keep_dir(&self, dir: Option<FileName>) {
        let Some(dir) = dir else { return };
        if matches!(self.is_dir(&dir), Ok(false)) {
            if let Ok(marker) = self.marker(&dir) {
                let _ = self.block(self.inner.s3.put(&marker, PutPayload::new()));
            }
        }
    }

    /// [`crate::store::Store::mkdir`] on the bucket: the marker object, unless the directory
    /// already holds something.
    pub fn mkdir(&self, name: &FileName) -> Result<Entry> {
        let what = format!("cannot create the directory {}", quote(name.as_str()));
        self.check_above(name)?;
        match self.block(self.inner.s3.head(&self.key(name)?)) {
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "{} on the server is a file, not a directory",
                        quote(name.as_str())
                    ),
                ))
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(self.error(&what, e)),
        }
        if !self.is_dir(name)? {
            let marker = self.marker(name)?;
            self.block(self.inner.s3.put(&marker, PutPayload::new()))
                .map_err(|e| self.error(&what, e))?;
        }
        self.known_dirs(&FileName::child(Some(name), "x")?);
        Ok(Entry::dir(name.clone(), SystemTime::now(), DIR_MODE))
    }

    /// [`crate::store::Store::remove`] on the bucket.
    pub fn remove(&self, name: &FileName, recursive: bool) -> Result<u64> {
        let what = format!("cannot remove {}", quote(name.as_str()));
        let key = self.key(name)?;
        match self.block(self.inner.s3.head(&key)) {
            Ok(_) => {
                self.block(self.inner.s3.delete(&key))
                    .map_err(|e| self.error(&what, e))?;
                // Best effort: a left-over entry is dropped by the next listing.
                self.block(self.delete_under(self.sums_of(name)?));
                // Interrupted uploads of a name the user removed are of no use either.
                self.block(self.drop_uploads(name));
                self.keep_dir(name.parent());
                return Ok(1);
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(self.error(&what, e)),
        }
        if !self.is_dir(name)? {
            return Err(not_found(name));
        }
        if !recursive {
            return Err(is_a_dir(name, "; remove it with rm -r"));
        }
        let s3 = Arc::clone(&self.inner.s3);
        let all: Vec<ObjectMeta> = self
            .block(async move { s3.list(Some(&key)).try_collect().await })
            .map_err(|e| self.error(&what, e))?;
        let mut dirs: HashSet<String> = HashSet::from([name.as_str().to_string()]);
        let mut files = 0;
        for meta in &all {
            let Some(raw) = meta.location.as_ref().strip_prefix(&self.inner.prefix) else {
                continue;
            };
            if let Some((parent, leaf)) = raw.rsplit_once('/') {
                dirs.insert(parent.to_string());
                if leaf != keys::MARKER {
                    files += 1;
                }
            }
        }
        let s3 = Arc::clone(&self.inner.s3);
        let locations: Vec<Path> = all.into_iter().map(|m| m.location).collect();
        let failed: Vec<String> = self.block(async move {
            let stream = futures_util::stream::iter(locations.into_iter().map(Ok)).boxed();
            s3.delete_stream(stream)
                .filter_map(|r| async move { r.err().map(|e| super::summary(&e)) })
                .collect()
                .await
        });
        if let Some(why) = failed.first() {
            return Err(Error::new(
                ErrorKind::Unavailable,
                format!("object store {}: {what}: {why}", self.inner.location.url()),
            ));
        }
        // Their hash entries and interrupted uploads, a directory at a time. Best effort.
        self.block(async {
            for dir in &dirs {
                let segment = keys::dir_segment(dir);
                if let Ok(sums) = self.path(&format!("{}/{segment}", keys::SUMS)) {
                    self.delete_under(sums).await;
                }
                if let Ok(parts) = self.path(&format!("{}/{segment}", keys::PARTS)) {
                    if let Ok(uploads) = self.listed_uploads(&parts, 2).await {
                        for updir in uploads.keys() {
                            self.abort_recorded(updir).await;
                        }
                    }
                }
            }
        });
        self.forget_dirs();
        self.keep_dir(name.parent());
        Ok(files)
    }

    /// [`crate::store::Store::rename`] on the bucket: a copy of each object, its hash entry
    /// written for the new name, then the old ones deleted. Not atomic (see the module doc).
    pub fn rename(&self, from: &FileName, to: &FileName, force: bool) -> Result<()> {
        let what = format!("cannot move {}", quote(from.as_str()));
        let from_key = self.key(from)?;
        let to_key = self.key(to)?;
        let source = match self.block(self.inner.s3.head(&from_key)) {
            Ok(meta) => Some(meta),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => return Err(self.error(&what, e)),
        };
        let is_dir = source.is_none();
        if is_dir && !self.is_dir(from)? {
            return Err(not_found(from));
        }
        if from == to {
            return Ok(());
        }
        self.check_above(to)?;
        if self.is_dir(to)? {
            return Err(is_a_dir(to, "; nf never replaces a directory"));
        }
        match self.block(self.inner.s3.head(&to_key)) {
            Ok(_) if is_dir => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "{} on the server is a file; a directory cannot replace it",
                        quote(to.as_str())
                    ),
                ))
            }
            Ok(_) if !force => return Err(Error::exists(quote(to.as_str()))),
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(self.error(&what, e)),
        }
        if let Some(meta) = source {
            let (hash, kept) = self.hash_of(from, &meta)?;
            self.block(self.copy_file(from, to, &hash, kept))?;
            self.remove(from, false)?;
            self.block(self.drop_uploads(to));
            self.known_dirs(to);
            return Ok(());
        }
        // A directory: every entry below it, then each file copied (a few at once) and each
        // empty directory marked at its new place, then the old keys removed.
        let mut entries = Vec::new();
        self.walk_into(Some(from), crate::store::descend(true), &mut |e| {
            entries.push(e);
            Ok(())
        })?;
        let mut empty = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let next_inside = entries.get(i + 1).is_some_and(|n| e.name.contains(&n.name));
            if e.is_dir() && !next_inside {
                empty.push(e.name.clone());
            }
        }
        if entries.is_empty() {
            empty.push(from.clone());
        }
        let copies = entries.iter().filter(|e| !e.is_dir()).map(|e| {
            let new = e.name.moved(from, to).expect("below the directory moved");
            let hash = e.blake3.map(|h| h.to_hex().to_string()).unwrap_or_default();
            let kept = Some((e.modified, e.mode));
            let name = e.name.clone();
            async move { self.copy_file(&name, &new, &hash, kept).await }
        });
        let copied: Vec<Result<()>> = self.block(
            futures_util::stream::iter(copies)
                .buffered(MOVES_AT_ONCE)
                .collect(),
        );
        copied.into_iter().collect::<Result<Vec<()>>>()?;
        for dir in empty {
            let new = dir.moved(from, to).expect("below the directory moved");
            let marker = self.marker(&new)?;
            self.block(self.inner.s3.put(&marker, PutPayload::new()))
                .map_err(|e| self.error(&what, e))?;
        }
        self.remove(from, true)?;
        Ok(())
    }

    /// Copies the file `from` to `to` (replacing what is there) and writes its hash entry
    /// (`hash`, `kept`) under the new name, for the ETag the copy has.
    async fn copy_file(&self, from: &FileName, to: &FileName, hash: &str, kept: Kept) -> Result<()> {
        let what = format!("cannot move {}", quote(from.as_str()));
        let (from_key, to_key) = (self.key(from)?, self.key(to)?);
        self.inner
            .s3
            .copy(&from_key, &to_key)
            .await
            .map_err(|e| self.error(&what, e))?;
        // Best effort: without its entry the copy is hashed again by the next reader.
        if let Ok(meta) = self.inner.s3.head(&to_key).await {
            if let Some(etag) = etag_token(&meta) {
                if let Ok(entry) = self.sum_key(to, &etag, hash, kept) {
                    let _ = self.inner.s3.put(&entry, PutPayload::new()).await;
                }
            }
        }
        Ok(())
    }
}
