//! One upload into the object store. Bytes are gathered into parts of one power-of-two size
//! ([`resume::part_size`]); the first full part starts a multipart upload, and each part is
//! hashed (its BLAKE3 subtree value) and sent by a task on the store's runtime while the next
//! one fills, with at most [`IN_FLIGHT`] parts on their way (memory: `(IN_FLIGHT + 1) × part`).
//! Each full part stored gets an entry recording its hash ([`resume`]), so that a cut upload
//! can be continued by any server. A file smaller than one part is sent with a single PUT at
//! commit. Nothing is visible under the name until [`Verified::commit`] completes the upload,
//! after the BLAKE3 of the whole file matched.
//!
//! Dropped unfinished (the client went away), the multipart upload is kept for a resume, as the
//! local store keeps its partial file (except on a store whose part listings have no ETags,
//! where it could never be checked: it is aborted); discarded (a hash mismatch, a store error),
//! it is aborted.
//!
//! Every upload carries a token of its own in its user metadata (`x-amz-meta-nf-upload`). When
//! the answer to the final PUT or completion is lost and the retry is refused (412: the name
//! exists, because the first try stored it), what the store holds decides: the object is this
//! upload if it carries the token, or (on a store that keeps no metadata, or for a resumed
//! upload) if its size and BLAKE3 are this upload's. Only then is the put a success; another
//! object under the name is `exists`, as before.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::SystemTime;

use blake3::hazmat::ChainingValue;
use bytes::Bytes;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, GetOptions, MultipartId, ObjectStore, ObjectStoreExt, PutMode,
    PutMultipartOptions, PutOptions, PutPayload,
};
use tokio::task::JoinHandle;

use super::budget::Held;
use super::resume::{self, PartEntry};
use super::{probe, signed, Resumable, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::store::{Attrs, Entry, Kind, DEFAULT_FILE_MODE};

/// Parts being sent while the next one fills.
const IN_FLIGHT: usize = 2;

pub struct Upload {
    store: Store,
    name: FileName,
    key: Path,
    /// The size of every part but the last.
    part: u64,
    /// The whole file's size, when declared.
    size: Option<u64>,
    len: u64,
    /// The part being filled, and its reservation of the server's upload memory.
    buf: Vec<u8>,
    reserved: Option<Held>,
    multipart: Option<Multipart>,
    /// This upload's mark in the object's metadata (none for a resumed multipart upload, which
    /// another upload created).
    token: Option<String>,
    /// What to keep with the file besides its content (in its hash entry).
    attrs: Attrs,
}

struct Multipart {
    id: MultipartId,
    /// Where its part entries go (see [`resume`]).
    entries: Path,
    /// Parts stored, in order, with their subtree hashes.
    parts: Vec<(PartId, ChainingValue)>,
    /// Parts on their way, in order.
    sending: VecDeque<JoinHandle<object_store::Result<Sent>>>,
    /// The root hash of part 1, when this upload sent it: the file's hash if it is one part.
    first_root: Option<blake3::Hash>,
    /// When its lease (the `live` marker among its entries) was last renewed.
    leased: std::time::Instant,
}

/// A stored part: its id, its subtree hash, and for part 1 its root hash.
type Sent = (PartId, ChainingValue, Option<blake3::Hash>);

impl Multipart {
    fn count(&self) -> usize {
        self.parts.len() + self.sending.len()
    }

    /// Records a part the store has.
    fn stored(&mut self, (part, cv, root): Sent) {
        self.first_root = self.first_root.or(root);
        self.parts.push((part, cv));
    }
}

/// An upload whose content matched its hash, waiting to be completed.
pub struct Verified {
    upload: Upload,
    hash: String,
}

impl Upload {
    /// A fresh upload of a file of `size` bytes (if known).
    pub(super) fn new(store: Store, name: FileName, key: Path, size: Option<u64>, attrs: Attrs) -> Upload {
        Upload {
            store,
            name,
            key,
            part: resume::part_size(size),
            size,
            len: 0,
            buf: Vec::new(),
            reserved: None,
            multipart: None,
            token: Some(new_token()),
            attrs,
        }
    }

    /// An upload that continues after the first `offset` bytes of `from`, which the caller
    /// has claimed (`Store::mark_busy`).
    pub(super) fn resume(
        store: Store,
        name: FileName,
        key: Path,
        from: Resumable,
        entries: Path,
        offset: u64,
        size: Option<u64>,
    ) -> Upload {
        let keep = (offset / from.part) as usize;
        let parts = from
            .parts
            .into_iter()
            .take(keep)
            .map(|(entry, etag)| (PartId { content_id: etag }, entry.cv))
            .collect();
        Upload {
            store,
            name,
            key,
            part: from.part,
            size,
            len: offset,
            buf: Vec::new(),
            reserved: None,
            multipart: Some(Multipart {
                id: from.id,
                entries,
                parts,
                sending: VecDeque::new(),
                first_root: None,
                leased: std::time::Instant::now(),
            }),
            token: None,
            attrs: Attrs::default(),
        }
    }

    /// The upload, keeping `attrs` with the file.
    pub(super) fn keeping(mut self, attrs: Attrs) -> Upload {
        self.attrs = attrs;
        self
    }

    /// Streams a `body`-byte body from `reader` into parts. Nothing is hashed here: each part
    /// is hashed on its way to the store, and [`Upload::whole_hash`] joins those hashes. A failed
    /// store request does not stop the reading (see [`crate::hashpipe::stream`]).
    pub fn receive(
        &mut self,
        reader: &mut impl std::io::BufRead,
        body: u64,
    ) -> std::result::Result<Option<Error>, (u64, std::io::Error)> {
        crate::hashpipe::stream(reader, body, |c| self.write(c), |_| {})
    }

    /// Appends `data` (the part fills, and goes to the store when full).
    pub fn write(&mut self, mut data: &[u8]) -> Result<()> {
        let size = self.part as usize;
        while !data.is_empty() {
            if self.reserved.is_none() {
                // Between parts: wait here (not reading) if the server holds too much.
                let left = self.size.map_or(self.part, |s| s.saturating_sub(self.len));
                let want = left.max(data.len() as u64).min(self.part);
                let held = self.store.inner.budget.take(want);
                self.buf.reserve_exact(held.bytes() as usize);
                self.reserved = Some(held);
            }
            let n = (size - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            self.len += n as u64;
            if self.buf.len() == size {
                self.send_part(true)?;
            }
        }
        Ok(())
    }

    /// Sends the part in the buffer (starting the multipart upload on the first one); a full
    /// part gets its entry. Waits while more than [`IN_FLIGHT`] parts are on their way.
    fn send_part(&mut self, full: bool) -> Result<()> {
        let inner = Arc::clone(&self.store.inner);
        if self.multipart.is_none() {
            let options = PutMultipartOptions {
                attributes: marked(self.token.as_deref()),
                ..PutMultipartOptions::default()
            };
            let id = inner
                .rt
                .block_on(inner.s3.create_multipart_opts(&self.key, options))
                .map_err(|e| failed(&self.store, &self.name, e))?;
            self.store.mark_busy(&id);
            if self.store.features().part_etags.assumed() {
                // Without its record the upload cannot be found for a resume; it goes on.
                let _ = inner.rt.block_on(self.store.record_upload(&self.name, &id));
            }
            let entries = self.store.entry_dir(&self.name, &id)?;
            inner.rt.block_on(super::renew_lease(&inner.s3, &entries));
            self.multipart = Some(Multipart {
                entries,
                id,
                parts: Vec::new(),
                sending: VecDeque::new(),
                first_root: None,
                leased: std::time::Instant::now(),
            });
        }
        let multipart = self.multipart.as_mut().expect("started above");
        if multipart.leased.elapsed() >= super::LEASE_RENEW {
            // Still being written: keep other servers from dropping it (Store::drop_uploads).
            let (s3, entries) = (Arc::clone(&inner.s3), multipart.entries.clone());
            inner
                .rt
                .spawn(async move { super::renew_lease(&s3, &entries).await });
            multipart.leased = std::time::Instant::now();
        }
        let index = multipart.count();
        if index as u64 >= resume::MAX_PARTS {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} needs more than {} parts of {} bytes; the object store allows no more",
                    quote(self.name.as_str()),
                    resume::MAX_PARTS,
                    self.part
                ),
            ));
        }
        let data = Bytes::from(std::mem::take(&mut self.buf));
        // The reservation travels with the part and is given back once it is stored.
        let reserved = self.reserved.take();
        let offset = index as u64 * self.part;
        let (s3, key, id) = (Arc::clone(&inner.s3), self.key.clone(), multipart.id.clone());
        let entry_dir = multipart.entries.clone();
        // Part entries serve resumes, which a store without part ETags cannot have.
        let full = full && self.store.features().part_etags.assumed();
        multipart.sending.push_back(inner.rt.spawn(async move {
            let size = data.len() as u64;
            // The hash (8 MiB or more of CPU work) runs on a blocking thread, beside the
            // upload of the same bytes, not on one of the runtime's two workers.
            let hashing = {
                let data = data.clone();
                tokio::task::spawn_blocking(move || resume::part_hashes(offset, &data))
            };
            let part = s3.put_part(&key, &id, index, PutPayload::from(data)).await;
            drop(reserved);
            let (cv, root) = hashing
                .await
                .map_err(|e| object_store::Error::JoinError { source: e })?;
            let part = part?;
            if let (true, Some(etag)) = (full, super::etag_text(&part.content_id)) {
                let entry = PartEntry {
                    number: index as u64 + 1,
                    size,
                    etag,
                    cv,
                };
                // Best effort: a part without its entry is only not resumable.
                if let Ok(path) = Path::parse(format!("{entry_dir}/{}", entry.leaf())) {
                    let _ = s3.put(&path, PutPayload::new()).await;
                }
            }
            Ok((part, cv, root))
        }));
        while multipart.sending.len() > IN_FLIGHT {
            let next = multipart.sending.pop_front().expect("non-empty");
            let done = joined(inner.rt.block_on(next));
            multipart.stored(done.map_err(|e| failed(&self.store, &self.name, e))?);
        }
        Ok(())
    }

    /// Sends what is left and waits for every part (nothing to do for a file smaller than one
    /// part, which goes up whole at commit).
    fn seal(&mut self) -> Result<()> {
        if self.multipart.is_none() {
            return Ok(());
        }
        if !self.buf.is_empty() {
            self.send_part(false)?;
        }
        let inner = Arc::clone(&self.store.inner);
        let multipart = self.multipart.as_mut().expect("checked above");
        while let Some(next) = multipart.sending.pop_front() {
            let done = joined(inner.rt.block_on(next));
            multipart.stored(done.map_err(|e| failed(&self.store, &self.name, e))?);
        }
        Ok(())
    }

    /// The BLAKE3 of the whole file, once every part is stored ([`Upload::seal`]): made from the
    /// parts' hashes (those of parts stored by an earlier upload included); for a file of one
    /// part, that part's root hash; for a file smaller than a part, hashed here.
    pub fn whole_hash(&mut self) -> Result<blake3::Hash> {
        self.seal()?;
        let Some(multipart) = &self.multipart else {
            return Ok(blake3::hash(&self.buf));
        };
        let cvs: Vec<ChainingValue> = multipart.parts.iter().map(|(_, cv)| *cv).collect();
        resume::root(&cvs, self.part, self.len)
            .or(multipart.first_root)
            .ok_or_else(|| {
                // One part in all, stored by an earlier upload: only its subtree hash is known.
                Error::new(
                    ErrorKind::HashMismatch,
                    format!(
                        "the resumed upload of {} cannot be checked; send it whole",
                        quote(self.name.as_str())
                    ),
                )
            })
    }

    /// Ready to complete, with `actual` (the BLAKE3 the caller checked).
    pub fn finish(self, actual: blake3::Hash) -> Verified {
        Verified {
            upload: self,
            hash: actual.to_hex().to_string(),
        }
    }

    /// Abandons the upload for good: the multipart upload is aborted and its entries deleted.
    pub fn discard(mut self) {
        let Some(multipart) = self.multipart.take() else {
            return;
        };
        for part in &multipart.sending {
            part.abort();
        }
        let (s3, key, id) = (Arc::clone(&self.store.inner.s3), self.key.clone(), multipart.id);
        let store = self.store.clone();
        let name = self.name.clone();
        let abort = async move {
            let _ = s3.abort_multipart(&key, &id).await;
            store.drop_entries(&name, &id).await;
            store.unmark_busy(&id);
        };
        self.store.run_or_spawn(abort);
    }
}

impl Drop for Upload {
    /// Cut off: the parts on their way are waited for (so that their entries exist) and the
    /// multipart upload is kept for a resume, within the store's bounds
    /// (`Store::bound_uploads`). (Completed or aborted, it has none left.)
    fn drop(&mut self) {
        let Some(multipart) = self.multipart.take() else {
            return;
        };
        let store = self.store.clone();
        let (key, name) = (self.key.clone(), self.name.clone());
        let abort = !store.features().part_etags.assumed();
        let wait = async move {
            for part in multipart.sending {
                let _ = part.await;
            }
            if abort {
                // It could never be checked for a resume: aborted rather than left behind.
                let _ = store.inner.s3.abort_multipart(&key, &multipart.id).await;
                store.drop_entries(&name, &multipart.id).await;
                store.unmark_busy(&multipart.id);
                return;
            }
            // Nobody writes it now: a later put or rm of the name may drop it.
            let _ = store.inner.s3.delete(&super::lease_key(&multipart.entries)).await;
            store.unmark_busy(&multipart.id);
            store.bound_uploads(&name, &multipart.id).await;
        };
        self.store.run_or_spawn(wait);
    }
}

impl Verified {
    /// Makes the upload visible under its name (replacing a file only with `force`), then
    /// records its BLAKE3 entry and drops its part entries.
    pub(super) async fn commit(self, force: bool) -> Result<Entry> {
        let Verified { mut upload, hash } = self;
        let kept = (
            upload.attrs.modified.unwrap_or_else(SystemTime::now),
            upload.attrs.mode.unwrap_or(DEFAULT_FILE_MODE),
        );
        let store = upload.store.clone();
        let etag = upload.complete(force, &hash).await?;
        if let Some(multipart) = upload.multipart.take() {
            store.drop_entries(&upload.name, &multipart.id).await;
            store.unmark_busy(&multipart.id);
        }
        // The name now holds a complete version: its interrupted uploads are of no use.
        store.drop_uploads(&upload.name).await;
        if let Some(etag) = etag.as_deref().and_then(super::etag_text) {
            // Best effort: without its entry the file is hashed again by the next reader.
            if let Ok(entry) = store.sum_key(&upload.name, &etag, &hash, Some(kept)) {
                let _ = store.inner.s3.put(&entry, PutPayload::new()).await;
            }
        }
        store.known_dirs(&upload.name);
        Ok(Entry {
            name: upload.name.clone(),
            kind: Kind::File,
            size: upload.len,
            modified: kept.0,
            mode: kept.1,
            blake3: blake3::Hash::from_hex(&hash).ok(),
        })
    }
}

/// How a conditional completion ended.
pub(super) enum Completion {
    /// Completed: the new object's ETag, if the answer gave one.
    Done(Option<String>),
    /// 412: an object has the name (maybe this very upload, completed by a try whose answer
    /// was lost).
    Exists,
    /// 404 NoSuchUpload: the upload is gone (completed by a lost try, or dropped by the store).
    Gone,
    /// 409 ConditionalRequestConflict, still after the retries: a conflicting write was in
    /// flight; AWS drops the upload then, and the file must be sent again.
    Conflict,
}

/// What the store holds under an upload's name, once its completion was refused.
enum Holds {
    /// This upload, with its ETag.
    Ours(Option<String>),
    Other,
    Nothing,
}

impl Upload {
    /// Completes the upload (every part was sent by [`Upload::seal`]) and returns the new
    /// version's ETag. A refusal is decided by what the store holds ([`Upload::holds`]); on
    /// failure the multipart upload is aborted.
    async fn complete(&mut self, force: bool, hash: &str) -> Result<Option<String>> {
        let s3 = Arc::clone(&self.store.inner.s3);
        let name = quote(self.name.as_str());
        let features = self.store.features();
        let unguarded = match self.multipart {
            None => !features.create_if_absent.assumed(),
            Some(_) => !features.complete_if_absent.assumed(),
        };
        if !force && unguarded && matches!(self.holds_something().await, Ok(true)) {
            // The store would not refuse: nf checks itself, as late as it can.
            self.discard_multipart().await;
            return Err(Error::exists(name));
        }
        let Some(multipart) = self.multipart.as_mut() else {
            let options = PutOptions {
                mode: if force {
                    PutMode::Overwrite
                } else {
                    PutMode::Create
                },
                attributes: marked(self.token.as_deref()),
                ..PutOptions::default()
            };
            let payload = PutPayload::from(std::mem::take(&mut self.buf));
            return match s3.put_opts(&self.key, payload, options).await {
                Ok(done) => Ok(done.e_tag),
                Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                    // Refused: by another file, or by this one, stored by a try whose answer
                    // was lost (object_store retries a PUT that met a 5xx).
                    match self.holds(hash).await {
                        Holds::Ours(etag) => Ok(etag),
                        _ => Err(Error::exists(name)),
                    }
                }
                Err(e) => Err(failed(&self.store, &self.name, e)),
            };
        };
        let (key, id) = (self.key.clone(), multipart.id.clone());
        let parts: Vec<PartId> = multipart.parts.iter().map(|(p, _)| p.clone()).collect();
        let outcome = if force {
            s3.complete_multipart(&key, &id, parts)
                .await
                .map(|r| Completion::Done(r.e_tag))
        } else {
            complete_if_absent(&self.store, &key, &id, &parts).await
        };
        let result = match outcome {
            Ok(Completion::Done(etag)) => Ok(etag),
            Ok(refused) => match (self.holds(hash).await, refused) {
                (Holds::Ours(etag), _) => Ok(etag),
                (Holds::Other, Completion::Exists | Completion::Gone | Completion::Conflict) => {
                    Err(Error::exists(name))
                }
                (Holds::Nothing, Completion::Conflict) => Err(Error::new(
                    ErrorKind::Busy,
                    format!(
                        "the object store refused to complete {name} while a conflicting write \
                         was in flight (409 ConditionalRequestConflict), and the upload must be \
                         sent again; put it again"
                    ),
                )),
                (Holds::Nothing, _) => Err(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "object store {}: cannot store {name}: the store no longer has the \
                         upload (NoSuchUpload); put it again",
                        self.store.inner.location.url()
                    ),
                )),
                (Holds::Other, Completion::Done(_)) => unreachable!("matched above"),
            },
            // A forced completion whose answer was lost may have completed all the same.
            Err(e) => match self.holds(hash).await {
                Holds::Ours(etag) => Ok(etag),
                _ => Err(failed(&self.store, &self.name, e)),
            },
        };
        if result.is_err() {
            // Not resumable past a failed completion: abort it.
            self.discard_multipart().await;
        }
        result
    }

    /// Aborts the multipart upload (if any) and deletes its entries.
    async fn discard_multipart(&mut self) {
        if let Some(multipart) = self.multipart.take() {
            let _ = self
                .store
                .inner
                .s3
                .abort_multipart(&self.key, &multipart.id)
                .await;
            self.store.drop_entries(&self.name, &multipart.id).await;
            self.store.unmark_busy(&multipart.id);
        }
    }

    /// True when an object has the name (a HEAD).
    async fn holds_something(&self) -> object_store::Result<bool> {
        match self.store.inner.s3.head(&self.key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the object under the name is this upload: it carries this upload's token, or
    /// (where there is no token to compare) it has this upload's size and BLAKE3 `hash`.
    async fn holds(&self, hash: &str) -> Holds {
        let s3 = &self.store.inner.s3;
        let head = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let got = match s3.get_opts(&self.key, head).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Holds::Nothing,
            Err(_) => return Holds::Other,
        };
        let etag = got.meta.e_tag.clone();
        let mark = got
            .attributes
            .get(&Attribute::Metadata(probe::UPLOAD_METADATA.into()))
            .map(|v| v.as_ref().to_string());
        if let (Some(token), Some(mark)) = (&self.token, mark) {
            return if *token == mark {
                Holds::Ours(etag)
            } else {
                Holds::Other
            };
        }
        if got.meta.size != self.len {
            return Holds::Other;
        }
        // No token to compare: read it back (pinned to the version seen) and hash it.
        let pinned = GetOptions {
            if_match: etag.clone(),
            ..GetOptions::default()
        };
        let Ok(got) = s3.get_opts(&self.key, pinned).await else {
            return Holds::Other;
        };
        match super::hash_body(got).await {
            Ok(read) if read.to_hex().as_str() == hash => Holds::Ours(etag),
            _ => Holds::Other,
        }
    }
}

/// Completes a multipart upload only if no object has the name (`If-None-Match: *`, which
/// AWS S3 documents and SeaweedFS honours). object_store has no call for it, so nf sends the
/// request itself ([`signed`]), retried on 5xx and throttling, and on 409 (AWS answers it while
/// a conflicting write is in flight).
pub(super) async fn complete_if_absent(
    store: &Store,
    key: &Path,
    id: &MultipartId,
    parts: &[PartId],
) -> object_store::Result<Completion> {
    let mut body = String::from("<CompleteMultipartUpload>");
    for (i, part) in parts.iter().enumerate() {
        body.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            i + 1,
            xml_escape(&part.content_id)
        ));
    }
    body.push_str("</CompleteMultipartUpload>");
    let request = signed::Request {
        method: reqwest::Method::POST,
        key,
        query: vec![("uploadId", id.to_string())],
        if_absent: true,
        body: Some(body),
        retry_conflict: true,
        what: "CompleteMultipartUpload",
    };
    let reply = signed::send(store, &request).await?;
    let code = reply.code();
    Ok(match reply.status {
        reqwest::StatusCode::PRECONDITION_FAILED => Completion::Exists,
        reqwest::StatusCode::CONFLICT => Completion::Conflict,
        reqwest::StatusCode::NOT_FOUND if code.as_deref() == Some("NoSuchUpload") => Completion::Gone,
        _ if reply.failed() => {
            return Err(generic(format!(
                "CompleteMultipartUpload answered {}: {}",
                reply.status, reply.text
            )))
        }
        _ => Completion::Done(super::xml_values(&reply.text, "ETag").into_iter().next()),
    })
}

/// The metadata that marks an upload as this one (`token`), where it has a token.
fn marked(token: Option<&str>) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(token) = token {
        attributes.insert(
            Attribute::Metadata(probe::UPLOAD_METADATA.into()),
            token.to_string().into(),
        );
    }
    attributes
}

/// A token no other upload has: 128 bits of the BLAKE3 of this process, the time and a count.
fn new_token() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    super::keys::hashed(&format!("{}-{nanos}-{n}", std::process::id()))
}

/// The error for a store failure while storing `name`.
fn failed(store: &Store, name: &FileName, e: object_store::Error) -> Error {
    store.error(&format!("cannot store {}", quote(name.as_str())), e)
}

/// An object_store error for a request nf sent itself.
pub(super) fn generic(message: String) -> object_store::Error {
    object_store::Error::Generic {
        store: "S3",
        source: message.into(),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A part task's result, with a panicked or cancelled task as an error.
fn joined<T>(
    result: std::result::Result<object_store::Result<T>, tokio::task::JoinError>,
) -> object_store::Result<T> {
    result.map_err(|e| object_store::Error::JoinError { source: e })?
}
