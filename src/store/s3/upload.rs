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
//! local store keeps its partial file (and within the same bounds: one per name, and the total
//! of `max_partial_bytes`); discarded (a hash mismatch, a store error), it is aborted.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use blake3::hazmat::ChainingValue;
use bytes::Bytes;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{MultipartId, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use tokio::task::JoinHandle;

use super::budget::Held;
use super::resume::{self, PartEntry};
use super::{Resumable, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::protocol::FileInfo;

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
    pub(super) fn new(store: Store, name: FileName, key: Path, size: Option<u64>) -> Upload {
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
        }
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
            let id = inner
                .rt
                .block_on(inner.s3.create_multipart(&self.key))
                .map_err(|e| failed(&self.store, &self.name, e))?;
            self.store.mark_busy(&id);
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
        let name = self.name.clone();
        let wait = async move {
            for part in multipart.sending {
                let _ = part.await;
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
    pub(super) async fn commit(self, force: bool) -> Result<FileInfo> {
        let Verified { mut upload, hash } = self;
        let store = upload.store.clone();
        let etag = match upload.complete(force).await {
            Ok(etag) => etag,
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                return Err(Error::exists(quote(upload.name.as_str())))
            }
            Err(e) => return Err(failed(&store, &upload.name, e)),
        };
        if let Some(multipart) = upload.multipart.take() {
            store.drop_entries(&upload.name, &multipart.id).await;
            store.unmark_busy(&multipart.id);
        }
        // The name now holds a complete version: its interrupted uploads are of no use.
        store.drop_uploads(&upload.name).await;
        if let Some(etag) = etag.as_deref().and_then(super::etag_text) {
            // Best effort: without its entry the file is hashed again by the next reader.
            if let Ok(entry) = store.sum_key(&upload.name, &etag, &hash) {
                let _ = store.inner.s3.put(&entry, PutPayload::new()).await;
            }
        }
        Ok(FileInfo {
            name: upload.name.as_str().to_string(),
            size: upload.len,
            modified: crate::human::rfc3339(SystemTime::now()),
            blake3: hash,
        })
    }
}

impl Upload {
    /// Completes the upload (every part was sent by [`Upload::seal`]); returns the new
    /// version's ETag. On failure the multipart upload is aborted (when the upload drops).
    async fn complete(&mut self, force: bool) -> object_store::Result<Option<String>> {
        let s3 = Arc::clone(&self.store.inner.s3);
        let Some(multipart) = self.multipart.as_mut() else {
            let mode = if force {
                PutMode::Overwrite
            } else {
                PutMode::Create
            };
            let payload = PutPayload::from(std::mem::take(&mut self.buf));
            let options = PutOptions {
                mode,
                ..PutOptions::default()
            };
            return Ok(s3.put_opts(&self.key, payload, options).await?.e_tag);
        };
        let parts: Vec<PartId> = multipart.parts.iter().map(|(p, _)| p.clone()).collect();
        let result = if force {
            s3.complete_multipart(&self.key, &multipart.id, parts)
                .await
                .map(|r| r.e_tag)
        } else {
            complete_if_absent(&self.store, &self.key, &multipart.id, &parts).await
        };
        if result.is_err() {
            // Not resumable past a failed completion: abort it.
            let _ = s3.abort_multipart(&self.key, &multipart.id).await;
            self.store.drop_entries(&self.name, &multipart.id).await;
            self.store.unmark_busy(&multipart.id);
            self.multipart = None;
        }
        result
    }
}

/// Completes a multipart upload only if no object has the name (`If-None-Match: *`, which
/// AWS S3 documents and SeaweedFS honours). object_store has no call for it, so this sends the
/// request itself, signed by object_store.
async fn complete_if_absent(
    store: &Store,
    key: &Path,
    id: &MultipartId,
    parts: &[PartId],
) -> object_store::Result<Option<String>> {
    let inner = &store.inner;
    let options = SignedUrlOptions::default()
        .with_query([("uploadId", id.as_str())])
        .with_signed_header(
            reqwest::header::IF_NONE_MATCH,
            reqwest::header::HeaderValue::from_static("*"),
        );
    let url = inner
        .s3
        .signed_url_opts(reqwest::Method::POST, key, Duration::from_secs(900), &options)
        .await?;
    let mut body = String::from("<CompleteMultipartUpload>");
    for (i, part) in parts.iter().enumerate() {
        body.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            i + 1,
            xml_escape(&part.content_id)
        ));
    }
    body.push_str("</CompleteMultipartUpload>");
    let response = inner
        .http
        .post(url)
        .header(reqwest::header::IF_NONE_MATCH, "*")
        .body(body)
        .send()
        .await
        .map_err(|e| generic(format!("CompleteMultipartUpload failed: {e}")))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| generic(format!("CompleteMultipartUpload failed: {e}")))?;
    if status == reqwest::StatusCode::PRECONDITION_FAILED {
        return Err(object_store::Error::AlreadyExists {
            path: key.to_string(),
            source: text.into(),
        });
    }
    // S3 may answer 200 and still report an error in the body.
    if !status.is_success() || text.contains("<Error>") {
        return Err(generic(format!(
            "CompleteMultipartUpload answered {status}: {text}"
        )));
    }
    Ok(super::xml_values(&text, "ETag").into_iter().next())
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
