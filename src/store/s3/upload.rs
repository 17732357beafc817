//! One upload into the object store. Bytes are gathered into parts; the first full part starts
//! a multipart upload, and each part is sent by a task on the store's runtime while the next one
//! fills, with at most [`IN_FLIGHT`] parts on their way (memory: `(IN_FLIGHT + 1) × part`).
//! A file smaller than one part is sent with a single PUT at commit. Nothing is visible under
//! the name until [`Verified::commit`] completes the upload, after the BLAKE3 matched; an
//! upload dropped before that is aborted, so the store frees its parts.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{MultipartId, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use tokio::task::JoinHandle;

use super::Store;
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::protocol::FileInfo;

/// The first 1000 parts hold 8 MiB each, the next 1000 16 MiB, and so on: S3 allows 10000
/// parts, which makes the largest file 8 MiB × 1000 × (1 + 2 + … + 10) = 430 GiB.
const PART: usize = 8 << 20;
const PARTS_PER_STEP: usize = 1000;
const MAX_PARTS: usize = 10_000;

/// Parts being sent while the next one fills.
const IN_FLIGHT: usize = 2;

pub struct Upload {
    store: Store,
    name: FileName,
    key: Path,
    len: u64,
    /// The part being filled.
    buf: Vec<u8>,
    multipart: Option<Multipart>,
    /// Completed: nothing to abort.
    done: bool,
}

struct Multipart {
    id: MultipartId,
    /// Parts stored, in order.
    parts: Vec<PartId>,
    /// Parts on their way, in order.
    sending: VecDeque<JoinHandle<object_store::Result<PartId>>>,
}

impl Multipart {
    fn count(&self) -> usize {
        self.parts.len() + self.sending.len()
    }
}

/// An upload whose content matched its hash, waiting to be completed.
pub struct Verified {
    upload: Upload,
    hash: String,
}

impl Verified {
    pub fn name(&self) -> &FileName {
        &self.upload.name
    }

    pub fn len(&self) -> u64 {
        self.upload.len
    }

    pub fn is_empty(&self) -> bool {
        self.upload.len == 0
    }
}

impl Upload {
    pub(super) fn new(store: Store, name: FileName, key: Path) -> Upload {
        Upload {
            store,
            name,
            key,
            len: 0,
            buf: Vec::new(),
            multipart: None,
            done: false,
        }
    }

    pub fn name(&self) -> &FileName {
        &self.name
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn write_unhashed(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let size = self.part_size();
            if self.buf.capacity() < size {
                self.buf.reserve_exact(size - self.buf.len());
            }
            let n = (size - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            self.len += n as u64;
            if self.buf.len() == size {
                self.send_part()?;
            }
        }
        Ok(())
    }

    /// The size of the part being filled.
    fn part_size(&self) -> usize {
        let index = self.multipart.as_ref().map_or(0, Multipart::count);
        PART * (1 + index / PARTS_PER_STEP)
    }

    /// Sends the filled part (starting the multipart upload on the first one) and waits while
    /// more than [`IN_FLIGHT`] parts are on their way.
    fn send_part(&mut self) -> Result<()> {
        let inner = Arc::clone(&self.store.inner);
        let what = format!("cannot store {}", quote(self.name.as_str()));
        if self.multipart.is_none() {
            let id = inner
                .rt
                .block_on(inner.s3.create_multipart(&self.key))
                .map_err(|e| self.store.error(&what, e))?;
            self.multipart = Some(Multipart {
                id,
                parts: Vec::new(),
                sending: VecDeque::new(),
            });
        }
        let multipart = self.multipart.as_mut().expect("started above");
        let index = multipart.count();
        if index + 1 >= MAX_PARTS {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} is too large for the object store (at most {MAX_PARTS} parts, about 430 GiB)",
                    quote(self.name.as_str())
                ),
            ));
        }
        let payload = PutPayload::from(std::mem::take(&mut self.buf));
        let (s3, key, id) = (Arc::clone(&inner.s3), self.key.clone(), multipart.id.clone());
        multipart.sending.push_back(
            inner
                .rt
                .spawn(async move { s3.put_part(&key, &id, index, payload).await }),
        );
        while multipart.sending.len() > IN_FLIGHT {
            let next = multipart.sending.pop_front().expect("non-empty");
            let part = inner.rt.block_on(next);
            multipart
                .parts
                .push(joined(part).map_err(|e| self.store.error(&what, e))?);
        }
        Ok(())
    }

    /// Ready to complete, with `actual` (the BLAKE3 the caller checked).
    pub fn finish(self, actual: blake3::Hash) -> Verified {
        Verified {
            upload: self,
            hash: actual.to_hex().to_string(),
        }
    }

    /// Abandons the upload: the parts sent are deleted (when the upload is dropped).
    pub fn discard(self) {}
}

impl Drop for Upload {
    fn drop(&mut self) {
        let Some(multipart) = self.multipart.take() else {
            return;
        };
        if self.done {
            return;
        }
        for part in &multipart.sending {
            part.abort();
        }
        let s3 = Arc::clone(&self.store.inner.s3);
        let key = self.key.clone();
        // A store that misses the abort keeps the parts until its lifecycle rule removes them
        // (docs/SCALING.md).
        let abort = async move {
            let _ = s3.abort_multipart(&key, &multipart.id).await;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            // Dropped inside the runtime (a failed completion): it cannot wait there.
            self.store.inner.rt.spawn(abort);
        } else {
            self.store.inner.rt.block_on(abort);
        }
    }
}

impl Verified {
    /// Makes the upload visible under its name (replacing a file only with `force`), then
    /// records its BLAKE3 entry.
    pub(super) async fn commit(self, force: bool) -> Result<FileInfo> {
        let Verified { mut upload, hash } = self;
        let what = format!("cannot store {}", quote(upload.name.as_str()));
        let store = upload.store.clone();
        let etag = match upload.complete(force).await {
            Ok(etag) => etag,
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                return Err(Error::exists(quote(upload.name.as_str())))
            }
            Err(e) => return Err(store.error(&what, e)),
        };
        upload.done = true;
        if let Some(etag) = etag.as_deref().and_then(super::etag_text) {
            // Best effort: without its entry the file is hashed again by the next reader.
            if let Ok(entry) = store.sum_key(&upload.name, &etag, &hash) {
                let _ = store.inner.s3.put(&entry, PutPayload::new()).await;
            }
        }
        Ok(FileInfo {
            name: upload.name.as_str().to_string(),
            size: upload.len,
            modified: crate::human::rfc3339(whole_seconds(SystemTime::now())),
            blake3: hash,
        })
    }
}

impl Upload {
    /// Sends what is left and completes the upload; returns the new version's ETag.
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
        if !self.buf.is_empty() {
            let payload = PutPayload::from(std::mem::take(&mut self.buf));
            let part = s3
                .put_part(&self.key, &multipart.id, multipart.count(), payload)
                .await?;
            for sending in multipart.sending.drain(..) {
                multipart.parts.push(joined(sending.await)?);
            }
            multipart.parts.push(part);
        } else {
            for sending in multipart.sending.drain(..) {
                multipart.parts.push(joined(sending.await)?);
            }
        }
        let parts = std::mem::take(&mut multipart.parts);
        if force {
            return Ok(s3
                .complete_multipart(&self.key, &multipart.id, parts)
                .await?
                .e_tag);
        }
        complete_if_absent(&self.store, &self.key, &multipart.id, &parts).await
    }
}

/// Completes a multipart upload only if no object has the name (`If-None-Match: *`, which
/// AWS S3, MinIO and SeaweedFS honour). object_store has no call for it, so this sends the
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
    let generic = |e: String| object_store::Error::Generic {
        store: "S3",
        source: e.into(),
    };
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
    let etag = text
        .split_once("<ETag>")
        .and_then(|(_, rest)| rest.split_once("</ETag>"))
        .map(|(etag, _)| etag.replace("&quot;", "\"").replace("&#34;", "\""));
    Ok(etag)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A part task's result, with a panicked or cancelled task as an error.
fn joined(
    result: std::result::Result<object_store::Result<PartId>, tokio::task::JoinError>,
) -> object_store::Result<PartId> {
    result.map_err(|e| object_store::Error::JoinError { source: e })?
}

/// The store records times to the second.
fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}
