//! Objects that nf did not store (copied in by another tool, or completed by a server that died
//! before writing the entry) have no BLAKE3 entry: nf reads each once, hashes it, and records
//! the entry, as the local store does for files without its extended attribute.
//!
//! The hashing runs in tasks on the store's runtime, at most [`PARALLEL`] at once server-wide,
//! and a request waits for its hashes at most [`WAIT`]: past that it is answered `busy` ("being
//! hashed; try again", with `pending`: how many are still to go) while the hashing goes on, so
//! no client waits longer than its idle timeout for a reply; nf's client then asks again for as
//! long as the count falls. A second request for an object already being hashed joins that hashing
//! rather than starting another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use object_store::{GetOptions, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};
use tokio::sync::{watch, Semaphore};

use super::Store;
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};

/// Objects hashed at once, server-wide.
pub const PARALLEL: usize = 32;
/// The longest a request waits for hashes before it is answered `busy`: well inside the
/// client's idle timeout (`idle_timeout_secs`, 60 s by default).
pub const WAIT: Duration = Duration::from_secs(20);

/// A hashing's outcome: the hash, or why not (`None`: the version is gone).
type Outcome = std::result::Result<String, Option<String>>;

/// The hashings under way.
pub struct Hashing {
    running: Mutex<HashMap<String, watch::Receiver<Option<Outcome>>>>,
    permits: Arc<Semaphore>,
}

impl Hashing {
    pub fn new() -> Hashing {
        Hashing {
            running: Mutex::new(HashMap::new()),
            permits: Arc::new(Semaphore::new(PARALLEL)),
        }
    }
}

impl Store {
    /// Starts hashing the version of `name` that `meta` describes, or joins the hashing of it
    /// already under way.
    fn hashing(&self, name: &FileName, meta: &ObjectMeta) -> watch::Receiver<Option<Outcome>> {
        let id = format!("{}\n{:?}\n{}", meta.location, meta.e_tag, meta.size);
        let mut running = self.inner.hashing.running.lock().unwrap();
        if let Some(rx) = running.get(&id) {
            return rx.clone();
        }
        let (tx, rx) = watch::channel(None);
        running.insert(id.clone(), rx.clone());
        drop(running);
        let (store, name, meta) = (self.clone(), name.clone(), meta.clone());
        let permits = Arc::clone(&self.inner.hashing.permits);
        self.inner.rt.spawn(async move {
            let outcome = match permits.acquire().await {
                Ok(_permit) => store.hash_version(&name, &meta).await,
                Err(_) => Err(Some("the store is closing".into())),
            };
            store.inner.hashing.running.lock().unwrap().remove(&id);
            let _ = tx.send(Some(outcome));
        });
        rx
    }

    /// Reads the version `meta` of `name` (pinned to its ETag) and hashes it; records the entry.
    async fn hash_version(&self, name: &FileName, meta: &ObjectMeta) -> Outcome {
        let key = meta.location.clone();
        let options = GetOptions {
            if_match: meta.e_tag.clone(),
            ..GetOptions::default()
        };
        let got = match self.inner.s3.get_opts(&key, options).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. } | object_store::Error::Precondition { .. }) => {
                return Err(None)
            }
            Err(e) => return Err(Some(super::summary(&e))),
        };
        // A store that ignores If-Match: the answer's own ETag says which version this is.
        if super::replaced(meta, &got.meta) {
            return Err(None);
        }
        // Listed without an ETag: the version read is the one the answer names.
        let etag = super::etag_token(meta).or_else(|| super::etag_token(&got.meta));
        let hash = match super::hash_body(got).await {
            Ok(hash) => hash.to_hex().to_string(),
            Err(e) => return Err(Some(super::summary(&e))),
        };
        if let Some(etag) = etag {
            // Best effort: without the entry the next reader hashes it again.
            if let Ok(entry) = self.sum_key(name, &etag, &hash, None) {
                let _ = self.inner.s3.put(&entry, PutPayload::new()).await;
            }
        }
        Ok(hash)
    }

    /// The hashes of `objects` (none for one that vanished or could not be read), hashed
    /// [`PARALLEL`] at a time; `busy` if they are not all done by `deadline`.
    pub(super) fn adopt_all(
        &self,
        objects: &[(FileName, ObjectMeta)],
        deadline: tokio::time::Instant,
    ) -> Result<Vec<Option<String>>> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        let mut waiting: Vec<_> = objects.iter().map(|(n, m)| self.hashing(n, m)).collect();
        let outcomes: Vec<Option<Outcome>> = self.block(async {
            let mut done = Vec::with_capacity(waiting.len());
            for rx in &mut waiting {
                let got = tokio::time::timeout_at(deadline, rx.wait_for(Option::is_some)).await;
                done.push(match got {
                    Ok(Ok(outcome)) => outcome.clone(),
                    Ok(Err(_)) => Some(Err(Some("the hashing task stopped".into()))),
                    Err(_) => None,
                });
            }
            done
        });
        let unfinished = outcomes.iter().filter(|o| o.is_none()).count();
        if unfinished > 0 {
            return Err(still_hashing(objects, unfinished));
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.and_then(|outcome| outcome.ok()))
            .collect())
    }

    /// The hash of one version of `name`, read and hashed; `busy` past [`WAIT`]; `not_found`
    /// if it vanished meanwhile.
    pub(super) fn adopt(&self, name: &FileName, meta: &ObjectMeta) -> Result<String> {
        let rx = self.hashing(name, meta);
        let mut rx2 = rx.clone();
        let outcome = self.block(async move {
            match tokio::time::timeout(WAIT, rx2.wait_for(Option::is_some)).await {
                Ok(Ok(outcome)) => outcome.clone(),
                _ => None,
            }
        });
        drop(rx);
        match outcome {
            Some(Ok(hash)) => Ok(hash),
            Some(Err(None)) => Err(super::super::not_found(name)),
            Some(Err(Some(why))) => Err(Error::new(
                ErrorKind::Unavailable,
                format!(
                    "object store {}: cannot read {}: {why}",
                    self.inner.location.url(),
                    quote(name.as_str())
                ),
            )),
            None => Err(still_hashing(&[(name.clone(), meta.clone())], 1)),
        }
    }
}

/// The `busy` answer for a request whose hashes of `objects` were not done in time.
fn still_hashing(objects: &[(FileName, ObjectMeta)], unfinished: usize) -> Error {
    let bytes: u64 = objects.iter().map(|(_, m)| m.size).sum();
    let what = match objects {
        [(name, _)] => format!("{} was stored by another tool and is", quote(name.as_str())),
        _ => format!(
            "{} files stored by another tool ({}) are",
            objects.len(),
            crate::human::size(bytes)
        ),
    };
    Error::new(
        ErrorKind::Busy,
        format!("{what} being hashed for the first time ({unfinished} still to go); try again in a moment"),
    )
    .with_pending(unfinished as u64)
}
