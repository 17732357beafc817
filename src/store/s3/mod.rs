//! A bucket of an S3-compatible object store (SeaweedFS, MinIO, Ceph, Garage, AWS S3) as the
//! store, shared by any number of `nf serve` processes. The object store is the distributed
//! engine; nf adds no replication of its own.
//!
//! Layout under `PREFIX/` in the bucket:
//! - `NAME`: the file itself, an ordinary object that other S3 tools can read;
//! - `.nf/b3/NAME/ETAG.BLAKE3`: an empty object whose key records the BLAKE3 of the version of
//!   `NAME` whose ETag is `ETAG`. One listing of `.nf/b3/` gives every hash, so `ls` costs a
//!   request per 1000 files, never one per file. An object with no matching entry (written by
//!   another tool, or by a server that died between completing it and writing its entry) is
//!   hashed by reading it once, and the entry is written then, as the local store does for files
//!   without its extended attribute.
//!
//! Uploads are streamed into a multipart upload with a bounded number of parts in flight, and
//! become visible only when it is completed, after the BLAKE3 matched; without `force` the
//! completion (or the single PUT of a small file) carries `If-None-Match: *`, so two servers
//! racing for one name leave exactly one complete version. The sync server threads drive the
//! async client through one small tokio runtime owned by the store. docs/SCALING.md has the
//! whole story, including what is and is not consistent.

mod budget;
mod reader;
mod resume;
mod upload;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder, S3ConditionalPut};
use object_store::path::Path;
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload,
    RetryConfig,
};

use super::{not_found, Partials};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::protocol::FileInfo;

pub use reader::Reader;
pub use upload::{Upload, Verified};

/// Where the bucket is: the `store.*` settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Location {
    /// `http(s)://HOST:PORT` of the store; empty: AWS (or `AWS_ENDPOINT_URL`).
    pub endpoint: String,
    pub bucket: String,
    /// Key prefix inside the bucket, without leading or trailing `/`; empty: the whole bucket.
    pub prefix: String,
    /// Empty: `AWS_REGION`, else `us-east-1`.
    pub region: String,
    /// Most upload bytes held in memory at once (see [`budget`]).
    pub buffer_bytes: u64,
}

/// How long to wait for the store to accept a connection, and for the next bytes of an answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The default of `store.buffer_bytes`.
pub const DEFAULT_BUFFER_BYTES: u64 = 512 << 20;
/// The least `store.buffer_bytes`: one part of the smallest size.
pub const MIN_BUFFER_BYTES: u64 = resume::MIN_PART;

impl S3Location {
    /// `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    /// Parses `s3://BUCKET[/PREFIX]` into the bucket and the prefix.
    pub fn parse_url(text: &str) -> std::result::Result<(String, String), String> {
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{text:?} is not an s3://BUCKET[/PREFIX] address"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        check_bucket(bucket)?;
        Ok((bucket.to_string(), check_prefix(prefix)?))
    }
}

/// Bucket names: 3 to 63 lowercase letters, digits, dots and hyphens.
pub fn check_bucket(bucket: &str) -> std::result::Result<(), String> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{bucket:?} is not a bucket name (3 to 63 lowercase letters, digits, `.` and `-`)"
        ))
    }
}

/// A key prefix: segments without control characters, not `.`, `..` or `.nf`; leading and
/// trailing `/` are dropped.
pub fn check_prefix(prefix: &str) -> std::result::Result<String, String> {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let bad = trimmed.split('/').any(|s| {
        s.is_empty() || s == "." || s == ".." || s == crate::name::RESERVED || s.chars().any(char::is_control)
    });
    if bad || trimmed.len() > 512 {
        return Err(format!(
            "{prefix:?} is not a usable key prefix (segments separated by single `/`, none of them \
             empty, `.`, `..` or `.nf`, at most 512 bytes)"
        ));
    }
    Ok(trimmed.to_string())
}

/// A bucket in an object store. Cheap to clone: clones share one client and runtime.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// Runs the object store client for the blocking server threads.
    rt: tokio::runtime::Runtime,
    s3: Arc<AmazonS3>,
    /// For the one request object_store does not offer: a conditional multipart completion.
    http: reqwest::Client,
    location: S3Location,
    /// `""` or `"some/prefix/"`.
    prefix: String,
    /// Multipart uploads some connection of this server is writing: not offered for resume.
    busy: Mutex<HashSet<String>>,
    /// Upload bytes in memory, server-wide.
    budget: Arc<budget::Budget>,
    /// What interrupted uploads may hold, and the log.
    partials: Partials,
}

/// The directory of BLAKE3 entries, under the prefix.
const SUMS: &str = ".nf/b3";
/// The directory of part entries of unfinished uploads (see [`resume`]).
const UPLOADS: &str = ".nf/up";

/// An unfinished upload that stored a part this recently may still be written by some server:
/// it is left alone when its name is completed or removed (and dropped by a later one).
const UPLOAD_QUIET: Duration = Duration::from_secs(120);

/// An upload in progress renews its lease (an empty `live` object among its entries) at least
/// this often, while it writes parts; the lease is deleted when the upload is cut off.
const LEASE_RENEW: Duration = Duration::from_secs(30);
const LEASE: &str = "live";

/// The lease object of the upload whose entries are under `entries`.
fn lease_key(entries: &Path) -> Path {
    entries.clone().join(LEASE)
}

/// True when a lease renewed at `at` (if the upload holds one) still protects its upload.
fn leased(at: Option<SystemTime>) -> bool {
    at.is_some_and(|at| at > SystemTime::now() - UPLOAD_QUIET)
}

/// Writes (or renews) the lease of the upload whose entries are under `entries`. Best effort.
async fn renew_lease(s3: &AmazonS3, entries: &Path) {
    let _ = s3.put(&lease_key(entries), PutPayload::new()).await;
}

/// An unfinished multipart upload that can be continued: its parts `1..=n` (their entries and
/// the ETags the store lists for them), all of `part` bytes.
pub(crate) struct Resumable {
    id: object_store::MultipartId,
    part: u64,
    parts: Vec<(resume::PartEntry, String)>,
}

impl Resumable {
    fn len(&self) -> u64 {
        self.parts.len() as u64 * self.part
    }
}

/// The resumable upload with the longest start, if any has one.
fn longest(found: impl Iterator<Item = Resumable>) -> Option<Resumable> {
    found.filter(|r| r.len() > 0).max_by_key(Resumable::len)
}

/// An unfinished upload no server is writing, as its part entries describe it.
struct Interrupted {
    name: FileName,
    id: String,
    /// The bytes of the parts it has entries for.
    bytes: u64,
    /// When its last part entry was written.
    last: SystemTime,
}

impl Store {
    /// Connects to the bucket and checks that it can be listed, so that a wrong endpoint, bucket
    /// or key fails `nf serve` at start-up rather than the first client.
    pub fn open(location: &S3Location, partials: Partials) -> Result<Store> {
        check_bucket(&location.bucket)
            .map_err(|why| Error::new(ErrorKind::Usage, format!("store.bucket: {why}")))?;
        // TLS (for https endpoints) through rustls with ring; a provider installed earlier wins.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("nf-s3")
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the object store client", &e))?;
        // A download streams for as long as its client reads: no overall timeout, only a store
        // that does not answer, or falls silent, times out.
        let options = ClientOptions::new()
            .with_allow_http(true)
            .with_connect_timeout(CONNECT_TIMEOUT)
            .with_timeout_disabled()
            .with_read_timeout(READ_TIMEOUT);
        let retry = RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 4,
            retry_timeout: Duration::from_secs(20),
        };
        // Credentials (and AWS_ENDPOINT_URL, AWS_REGION…) come from the standard variables.
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&location.bucket)
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .with_client_options(options)
            .with_retry(retry);
        if !location.endpoint.is_empty() {
            builder = builder
                .with_endpoint(&location.endpoint)
                .with_virtual_hosted_style_request(false);
        }
        if !location.region.is_empty() {
            builder = builder.with_region(&location.region);
        } else if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            builder = builder.with_region("us-east-1");
        }
        let s3 = builder.build().map_err(|e| {
            Error::new(
                ErrorKind::Usage,
                format!("cannot use the object store {}: {}", location.url(), summary(&e)),
            )
        })?;
        let prefix = if location.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", location.prefix)
        };
        let store = Store {
            inner: Arc::new(Inner {
                rt,
                s3: Arc::new(s3),
                // The requests object_store cannot send, with the same time limits.
                http: reqwest::Client::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .read_timeout(READ_TIMEOUT)
                    .build()
                    .map_err(|e| {
                        Error::new(ErrorKind::Other, format!("cannot start the HTTP client: {e}"))
                    })?,
                location: location.clone(),
                prefix,
                busy: Mutex::new(HashSet::new()),
                budget: budget::Budget::new(location.buffer_bytes),
                partials,
            }),
        };
        let probe = store.path(SUMS)?;
        let s3 = Arc::clone(&store.inner.s3);
        store
            .block(async move { s3.list(Some(&probe)).next().await.transpose() })
            .map_err(|e| store.error("cannot list the bucket", e))?;
        Ok(store)
    }

    /// `s3://bucket/prefix at ENDPOINT`, for the start-up line.
    pub fn describe(&self) -> String {
        let loc = &self.inner.location;
        if loc.endpoint.is_empty() {
            loc.url()
        } else {
            format!("{} at {}", loc.url(), loc.endpoint)
        }
    }

    /// Runs a future on the store's runtime from a server thread.
    fn block<F: Future>(&self, future: F) -> F::Output {
        self.inner.rt.block_on(future)
    }

    /// Runs `future` to its end from a server thread; from inside the runtime (where it cannot
    /// wait), starts it.
    fn run_or_spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        if tokio::runtime::Handle::try_current().is_ok() {
            self.inner.rt.spawn(future);
        } else {
            self.inner.rt.block_on(future);
        }
    }

    /// Claims the multipart upload `id` for one upload; false if another upload holds it.
    fn mark_busy(&self, id: &str) -> bool {
        self.inner.busy.lock().unwrap().insert(id.to_string())
    }

    fn unmark_busy(&self, id: &str) {
        self.inner.busy.lock().unwrap().remove(id);
    }

    /// `PREFIX/.nf/up/NAME`: the part entries of the unfinished uploads of `name`.
    fn uploads_of(&self, name: &FileName) -> Result<Path> {
        self.path(&format!("{UPLOADS}/{}", name.as_str()))
    }

    /// `PREFIX/.nf/up/NAME/UPLOAD`: the part entries of the upload `id` of `name`.
    fn entry_dir(&self, name: &FileName, id: &str) -> Result<Path> {
        self.path(&format!(
            "{UPLOADS}/{}/{}",
            name.as_str(),
            resume::upload_segment(id)
        ))
    }

    /// Deletes the part entries of the upload `id` of `name`. Best effort.
    async fn drop_entries(&self, name: &FileName, id: &str) {
        if let Ok(dir) = self.entry_dir(name, id) {
            self.delete_under(dir).await;
        }
    }

    /// Aborts the unfinished uploads of `name` and deletes their entries, after a complete
    /// version was committed or the name removed. Best effort. Never one that this server is
    /// writing or resuming, nor one whose lease was renewed within [`UPLOAD_QUIET`] (another
    /// server is writing it; a server that died leaves a lease that ages out).
    async fn drop_uploads(&self, name: &FileName) {
        let (Ok(dir), Ok(key)) = (self.uploads_of(name), self.key(name)) else {
            return;
        };
        let s3 = Arc::clone(&self.inner.s3);
        let Ok(listed) = s3.list(Some(&dir)).try_collect::<Vec<ObjectMeta>>().await else {
            return;
        };
        // Each upload and when its lease was last renewed, if it holds one.
        let mut uploads: HashMap<String, Option<SystemTime>> = HashMap::new();
        for meta in &listed {
            let Some(rest) = meta.location.as_ref().strip_prefix(dir.as_ref()) else {
                continue;
            };
            if let Some((segment, leaf)) = rest.trim_start_matches('/').split_once('/') {
                let lease = uploads.entry(segment.to_string()).or_default();
                if leaf == LEASE {
                    *lease = Some(SystemTime::from(meta.last_modified));
                }
            }
        }
        for (segment, lease) in uploads {
            let id = resume::upload_id(&segment);
            if leased(lease) || !self.mark_busy(&id) {
                continue;
            }
            let _ = object_store::multipart::MultipartStore::abort_multipart(&*s3, &key, &id).await;
            self.drop_entries(name, &id).await;
            self.unmark_busy(&id);
        }
    }

    /// Deletes every object under `dir`. Best effort.
    async fn delete_under(&self, dir: Path) {
        let s3 = Arc::clone(&self.inner.s3);
        let keys = s3.list(Some(&dir)).map_ok(|m| m.location).boxed();
        s3.delete_stream(keys).for_each(|_| async {}).await;
    }

    /// The parts the store holds of the multipart upload `id` of `key` (number, ETag token,
    /// ETag as listed); None when there is no such upload (completed or aborted).
    async fn list_parts(
        &self,
        key: &Path,
        id: &str,
    ) -> object_store::Result<Option<Vec<(u64, String, String)>>> {
        let mut parts = Vec::new();
        let mut marker = 0u64;
        loop {
            let options = SignedUrlOptions::default().with_query([
                ("uploadId", id.to_string()),
                ("part-number-marker", marker.to_string()),
            ]);
            let url = self
                .inner
                .s3
                .signed_url_opts(reqwest::Method::GET, key, Duration::from_secs(300), &options)
                .await?;
            let response = self
                .inner
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| upload::generic(format!("ListParts failed: {e}")))?;
            let status = response.status();
            let text = response
                .text()
                .await
                .map_err(|e| upload::generic(format!("ListParts failed: {e}")))?;
            if status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !status.is_success() {
                return Err(upload::generic(format!("ListParts answered {status}: {text}")));
            }
            for block in text.split("<Part>").skip(1) {
                let number = xml_values(block, "PartNumber")
                    .first()
                    .and_then(|n| n.parse().ok());
                let etag = xml_values(block, "ETag").into_iter().next();
                if let (Some(number), Some(raw)) = (number, etag) {
                    if let Some(token) = etag_text(&raw) {
                        parts.push((number, token, raw));
                    }
                }
            }
            let next = xml_values(&text, "NextPartNumberMarker")
                .first()
                .and_then(|n| n.parse().ok());
            match next {
                Some(n) if text.contains("<IsTruncated>true</IsTruncated>") && n > marker => marker = n,
                _ => return Ok(Some(parts)),
            }
        }
    }

    /// The unfinished upload of `name` that holds the longest resumable start, if any.
    /// Entries of uploads the store no longer has are deleted on the way.
    fn find_resumable(&self, name: &FileName) -> Result<Option<Resumable>> {
        let what = format!("cannot look up {}", quote(name.as_str()));
        let found = self
            .block(self.resumables(name))
            .map_err(|e| self.error(&what, e))?;
        Ok(longest(found.into_iter().map(|(r, _)| r)))
    }

    /// Every unfinished upload of `name` nf has entries for, with the start a resume of it
    /// could use (possibly none) and when its lease was last renewed, if it holds one.
    /// Entries of uploads the store no longer has are deleted on the way.
    async fn resumables(
        &self,
        name: &FileName,
    ) -> object_store::Result<Vec<(Resumable, Option<SystemTime>)>> {
        let dir = self.uploads_of(name).map_err(|e| upload::generic(e.message))?;
        let key = self.key(name).map_err(|e| upload::generic(e.message))?;
        let listed: Vec<ObjectMeta> = self.inner.s3.list(Some(&dir)).try_collect().await?;
        let mut uploads: HashMap<String, (Vec<resume::PartEntry>, Option<SystemTime>)> = HashMap::new();
        for meta in &listed {
            let Some(rest) = meta.location.as_ref().strip_prefix(dir.as_ref()) else {
                continue;
            };
            let Some((segment, leaf)) = rest.trim_start_matches('/').split_once('/') else {
                continue;
            };
            let upload = uploads.entry(resume::upload_id(segment)).or_default();
            if leaf == LEASE {
                upload.1 = Some(SystemTime::from(meta.last_modified));
            } else if let Some(entry) = resume::PartEntry::parse(leaf) {
                upload.0.push(entry);
            }
        }
        let mut found = Vec::new();
        for (id, (entries, lease)) in uploads {
            if entries.is_empty() {
                // Only a lease: an upload that has not stored a part yet.
                continue;
            }
            let Some(stored) = self.list_parts(&key, &id).await? else {
                // Completed or aborted meanwhile: its entries are of no use.
                self.drop_entries(name, &id).await;
                continue;
            };
            let listed: HashMap<u64, (&str, &str)> = stored
                .iter()
                .map(|(n, token, raw)| (*n, (token.as_str(), raw.as_str())))
                .collect();
            let (part, prefix) =
                resume::resumable_prefix(&entries, |n| listed.get(&n).map(|(token, _)| *token));
            let parts = prefix
                .into_iter()
                .map(|entry| {
                    let raw = listed[&entry.number].1.to_string();
                    (entry, raw)
                })
                .collect();
            found.push((Resumable { id, part, parts }, lease));
        }
        Ok(found)
    }

    /// Bounds what interrupted uploads hold in the bucket, after the upload `cut` of `name`
    /// was cut off and kept. First the name keeps only its interrupted upload with the
    /// longest resumable start (the one a resume continues); then, while the interrupted
    /// uploads of all names hold more than `max_partial_bytes` as their part entries record
    /// it, the oldest (by their last part entry) are aborted, but never the one the name
    /// keeps. Never an upload this server is writing or resuming, nor one whose lease is
    /// fresh (another server's). Each abort is a line in the log. Best effort: costs a
    /// ListParts per upload of the name and one listing of `.nf/up/` (a request per 1000
    /// part entries).
    async fn bound_uploads(&self, name: &FileName, cut: &str) {
        let log = &self.inner.partials.log;
        let mut spare = Some(cut.to_string());
        if let Ok(found) = self.resumables(name).await {
            // Those with a fresh lease are another server's uploads in progress.
            let interrupted: Vec<Resumable> = found
                .into_iter()
                .filter(|(_, lease)| !leased(*lease))
                .map(|(r, _)| r)
                .collect();
            let kept = interrupted
                .iter()
                .filter(|r| r.len() > 0)
                .max_by_key(|r| r.len())
                .map(|r| (r.id.clone(), r.len()));
            spare = kept.as_ref().map(|(id, _)| id.clone());
            for r in &interrupted {
                if kept.as_ref().is_some_and(|(id, _)| *id == r.id) || !self.abort_unused(name, &r.id).await {
                    continue;
                }
                log(&format!(
                    "dropped an interrupted upload of {} ({}): a larger one of that name ({}) is \
                     kept for --resume",
                    quote(name.as_str()),
                    crate::human::size(r.len()),
                    crate::human::size(kept.as_ref().map_or(0, |(_, len)| *len))
                ));
            }
        }
        let Ok(mut all) = self.interrupted_uploads().await else {
            return;
        };
        all.sort_by_key(|u| u.last);
        let max = self.inner.partials.max_bytes;
        let mut total: u64 = all.iter().map(|u| u.bytes).sum();
        for u in &all {
            if total <= max {
                break;
            }
            if spare.as_deref() == Some(u.id.as_str()) || !self.abort_unused(&u.name, &u.id).await {
                continue;
            }
            log(&format!(
                "dropped the interrupted upload of {} ({}, last written {}): interrupted uploads \
                 held {}, more than max_partial_bytes ({})",
                quote(u.name.as_str()),
                crate::human::size(u.bytes),
                crate::human::rfc3339(u.last),
                crate::human::size(total),
                crate::human::size(max)
            ));
            total -= u.bytes;
        }
    }

    /// Every unfinished upload under `.nf/up/` that no server is writing (no fresh lease, not
    /// busy here), with the bytes its part entries record and its last entry's time.
    async fn interrupted_uploads(&self) -> object_store::Result<Vec<Interrupted>> {
        let root = self.path(UPLOADS).map_err(|e| upload::generic(e.message))?;
        let listed: Vec<ObjectMeta> = self.inner.s3.list(Some(&root)).try_collect().await?;
        // What the entries of each (name, upload segment) say.
        #[derive(Default)]
        struct Seen {
            /// Part number → size.
            parts: HashMap<u64, u64>,
            last: Option<SystemTime>,
            lease: Option<SystemTime>,
        }
        let mut uploads: HashMap<(String, String), Seen> = HashMap::new();
        for meta in &listed {
            let Some(rest) = meta.location.as_ref().strip_prefix(root.as_ref()) else {
                continue;
            };
            let mut fields = rest.trim_start_matches('/').splitn(3, '/');
            let (Some(name), Some(segment), Some(leaf)) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let at = SystemTime::from(meta.last_modified);
            let seen = uploads
                .entry((name.to_string(), segment.to_string()))
                .or_default();
            if leaf == LEASE {
                seen.lease = Some(at);
            } else if let Some(entry) = resume::PartEntry::parse(leaf) {
                seen.parts.insert(entry.number, entry.size);
                seen.last = seen.last.max(Some(at));
            }
        }
        let busy = self.inner.busy.lock().unwrap().clone();
        Ok(uploads
            .into_iter()
            .filter_map(|((name, segment), seen)| {
                let id = resume::upload_id(&segment);
                let name = FileName::parse(&name).ok()?;
                (!leased(seen.lease) && !busy.contains(&id)).then_some(())?;
                Some(Interrupted {
                    name,
                    id,
                    bytes: seen.parts.values().sum(),
                    last: seen.last?,
                })
            })
            .collect())
    }

    /// Aborts the unfinished upload `id` of `name` and deletes its entries, if no upload of
    /// this server holds it (claiming it meanwhile).
    async fn abort_unused(&self, name: &FileName, id: &str) -> bool {
        let Ok(key) = self.key(name) else { return false };
        if !self.mark_busy(id) {
            return false;
        }
        let aborted =
            object_store::multipart::MultipartStore::abort_multipart(&*self.inner.s3, &key, &id.to_string())
                .await
                .is_ok();
        self.drop_entries(name, id).await;
        self.unmark_busy(id);
        aborted
    }

    fn path(&self, rest: &str) -> Result<Path> {
        Path::parse(format!("{}{rest}", self.inner.prefix))
            .map_err(|e| Error::new(ErrorKind::BadName, format!("not a usable object key: {e}")))
    }

    fn key(&self, name: &FileName) -> Result<Path> {
        self.path(name.as_str())
    }

    fn sums_of(&self, name: &FileName) -> Result<Path> {
        self.path(&format!("{SUMS}/{}", name.as_str()))
    }

    fn sum_key(&self, name: &FileName, etag: &str, hash: &str) -> Result<Path> {
        self.path(&format!("{SUMS}/{}/{etag}.{hash}", name.as_str()))
    }

    /// Turns an object store failure met while doing `what` into an error a user can act on.
    fn error(&self, what: &str, e: object_store::Error) -> Error {
        let at = &self.inner.location;
        let summary = summary(&e);
        let (kind, why) = match &e {
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => (
                ErrorKind::Denied,
                "access denied (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy)"
                    .to_string(),
            ),
            _ if denied(&summary) => (
                ErrorKind::Denied,
                format!(
                    "access denied: {summary} (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy)"
                ),
            ),
            object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. } => {
                (ErrorKind::Exists, summary)
            }
            _ => (ErrorKind::Unavailable, summary),
        };
        Error::new(kind, format!("object store {}: {what}: {why}", at.url()))
    }

    /// The stored file under `name` (if any) and how many bytes of an unfinished upload of it
    /// a resumed `put` can skip.
    pub fn stat(&self, name: &FileName) -> Result<(Option<FileInfo>, u64)> {
        let key = self.key(name)?;
        let partial = self.find_resumable(name)?.map_or(0, |r| r.len());
        let head = self.block(self.inner.s3.head(&key));
        let meta = match head {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => return Ok((None, partial)),
            Err(e) => return Err(self.error(&format!("cannot look up {}", quote(name.as_str())), e)),
        };
        let hash = self.hash_of(name, &meta)?;
        Ok((Some(info(name, &meta, hash)), partial))
    }

    /// True when an object is stored under `name`.
    pub fn exists(&self, name: &FileName) -> bool {
        let Ok(key) = self.key(name) else { return false };
        self.block(self.inner.s3.head(&key)).is_ok()
    }

    /// The BLAKE3 entries recorded for `name`: (ETag, hash).
    async fn sums(&self, name: &FileName) -> object_store::Result<Vec<(String, String)>> {
        let Ok(dir) = self.sums_of(name) else {
            return Ok(Vec::new());
        };
        let entries: Vec<ObjectMeta> = self.inner.s3.list(Some(&dir)).try_collect().await?;
        Ok(entries
            .iter()
            .filter_map(|m| self.parse_sum(m.location.as_ref()))
            .map(|(_, etag, hash)| (etag, hash))
            .collect())
    }

    /// `PREFIX/.nf/b3/NAME/ETAG.HASH` → (NAME, ETAG, HASH).
    fn parse_sum(&self, key: &str) -> Option<(String, String, String)> {
        let rest = key
            .strip_prefix(&self.inner.prefix)?
            .strip_prefix(SUMS)?
            .strip_prefix('/')?;
        let (name, leaf) = rest.split_once('/')?;
        let (etag, hash) = leaf.rsplit_once('.')?;
        let hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        hex.then(|| (name.to_string(), etag.to_string(), hash.to_ascii_lowercase()))
    }

    /// The BLAKE3 of the version of `name` described by `meta`: from its entry, or by reading
    /// it once (then recorded).
    fn hash_of(&self, name: &FileName, meta: &ObjectMeta) -> Result<String> {
        let sums = self
            .block(self.sums(name))
            .map_err(|e| self.error(&format!("cannot read the BLAKE3 of {}", quote(name.as_str())), e))?;
        match etag_token(meta).and_then(|etag| only_hash(&sums, &etag)) {
            Some(hash) => Ok(hash),
            None => self.adopt(name, meta),
        }
    }

    /// Hashes the version of `name` described by `meta` by reading it, and records the hash.
    fn adopt(&self, name: &FileName, meta: &ObjectMeta) -> Result<String> {
        let what = format!("cannot read {}", quote(name.as_str()));
        let key = self.key(name)?;
        let options = GetOptions {
            if_match: meta.e_tag.clone(),
            ..GetOptions::default()
        };
        let s3 = Arc::clone(&self.inner.s3);
        let hash = self
            .block(async move {
                let mut stream = s3.get_opts(&key, options).await?.into_stream();
                let mut hasher = blake3::Hasher::new();
                while let Some(chunk) = stream.next().await {
                    hasher.update(&chunk?);
                }
                Ok::<_, object_store::Error>(hasher.finalize().to_hex().to_string())
            })
            .map_err(|e| self.error(&what, e))?;
        if let Some(etag) = etag_token(meta) {
            // Best effort: without the entry the next reader hashes it again.
            if let Ok(entry) = self.sum_key(name, &etag, &hash) {
                let _ = self.block(self.inner.s3.put(&entry, PutPayload::new()));
            }
        }
        Ok(hash)
    }

    /// Every stored file whose name matches `pattern`, sorted by name: two listings (the
    /// BLAKE3 entries, then the files), a request per 1000 keys each.
    pub fn list(&self, pattern: Option<&str>) -> Result<Vec<FileInfo>> {
        let glob = super::listing_glob(pattern)?;
        let sums_root = self.path(SUMS)?;
        let top = self.path("")?;
        let s3 = Arc::clone(&self.inner.s3);
        // The entries first: an entry listed before the files is never newer than the file
        // version listed after it, so an entry whose ETag differs from the file's is stale.
        let (entries, files) = self
            .block(async move {
                let entries: Vec<ObjectMeta> = s3.list(Some(&sums_root)).try_collect().await?;
                let prefix = (!top.as_ref().is_empty()).then_some(&top);
                let files = s3.list_with_delimiter(prefix).await?.objects;
                Ok::<_, object_store::Error>((entries, files))
            })
            .map_err(|e| self.error("cannot list the bucket", e))?;
        let mut sums: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut entry_keys = Vec::new();
        for entry in &entries {
            if let Some((name, etag, hash)) = self.parse_sum(entry.location.as_ref()) {
                sums.entry(name.clone()).or_default().push((etag.clone(), hash));
                entry_keys.push((name, etag, entry.location.clone()));
            }
        }
        let mut current: HashMap<String, String> = HashMap::new();
        let mut listed = Vec::new();
        for meta in &files {
            let Some(raw) = meta.location.as_ref().strip_prefix(&self.inner.prefix) else {
                continue;
            };
            let Ok(name) = FileName::parse(raw) else { continue };
            let etag = etag_token(meta);
            if let Some(etag) = &etag {
                current.insert(raw.to_string(), etag.clone());
            }
            if glob.as_ref().is_some_and(|g| !g.matches(raw)) {
                continue;
            }
            let known = etag.and_then(|etag| sums.get(raw).and_then(|s| only_hash(s, &etag)));
            let hash = match known {
                Some(hash) => hash,
                // Unknown content: hash it once. One that vanished meanwhile is not listed.
                None => match self.adopt(&name, meta) {
                    Ok(hash) => hash,
                    Err(_) => continue,
                },
            };
            listed.push(info(&name, meta, hash));
        }
        self.drop_stale(entry_keys, &current);
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(listed)
    }

    /// Deletes the BLAKE3 entries of versions that are no longer stored. Best effort.
    fn drop_stale(&self, entries: Vec<(String, String, Path)>, current: &HashMap<String, String>) {
        let stale: Vec<Path> = entries
            .into_iter()
            .filter(|(name, etag, _)| current.get(name) != Some(etag))
            .map(|(_, _, key)| key)
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

    /// Opens `name` for reading from `offset` (a ranged read). The hash is that of exactly the
    /// version being read: the read is pinned to its ETag.
    pub fn read(&self, name: &FileName, offset: u64) -> Result<(Reader, FileInfo)> {
        let what = format!("cannot read {}", quote(name.as_str()));
        let key = self.key(name)?;
        let meta = match self.block(self.inner.s3.head(&key)) {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => return Err(not_found(name)),
            Err(e) => return Err(self.error(&what, e)),
        };
        let hash = self.hash_of(name, &meta)?;
        let info = info(name, &meta, hash);
        if offset >= meta.size {
            return Ok((Reader::empty(), info));
        }
        let options = GetOptions {
            if_match: meta.e_tag.clone(),
            range: (offset > 0).then_some(GetRange::Offset(offset)),
            ..GetOptions::default()
        };
        let s3 = Arc::clone(&self.inner.s3);
        let got = self.block(async move { s3.get_opts(&key, options).await });
        match got {
            Ok(result) => Ok((Reader::start(self.inner.rt.handle(), result.into_stream()), info)),
            Err(object_store::Error::NotFound { .. }) => Err(not_found(name)),
            Err(object_store::Error::Precondition { .. }) => Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "{} was replaced while it was being opened; try again",
                    quote(name.as_str())
                ),
            )),
            Err(e) => Err(self.error(&what, e)),
        }
    }

    /// Deletes `name` and its BLAKE3 entries.
    pub fn remove(&self, name: &FileName) -> Result<()> {
        let what = format!("cannot remove {}", quote(name.as_str()));
        let key = self.key(name)?;
        match self.block(self.inner.s3.head(&key)) {
            Ok(_) => {}
            Err(object_store::Error::NotFound { .. }) => return Err(not_found(name)),
            Err(e) => return Err(self.error(&what, e)),
        }
        self.block(self.inner.s3.delete(&key))
            .map_err(|e| self.error(&what, e))?;
        // Best effort: a left-over entry is dropped by the next listing.
        self.block(self.delete_under(self.sums_of(name)?));
        // Interrupted uploads of a name the user removed are of no use either.
        self.block(self.drop_uploads(name));
        Ok(())
    }

    /// Starts an upload of `name`, a file of `size` bytes if known. With `offset > 0` it
    /// continues the unfinished upload of that name with the longest resumable start, which
    /// must hold at least `offset` bytes, `offset` being a whole number of its parts.
    pub fn begin_upload(&self, name: &FileName, offset: u64, size: Option<u64>) -> Result<Upload> {
        let key = self.key(name)?;
        if offset == 0 {
            return Ok(Upload::new(self.clone(), name.clone(), key, size));
        }
        let Some(found) = self.find_resumable(name)? else {
            return Err(super::nothing_to_resume(name));
        };
        if found.len() < offset || offset % found.part != 0 {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "the partial upload of {} holds {} bytes in parts of {}, not {offset}",
                    quote(name.as_str()),
                    found.len(),
                    found.part
                ),
            ));
        }
        let entries = self.entry_dir(name, &found.id)?;
        // One upload at a time continues a multipart upload: claimed here, atomically.
        if !self.mark_busy(&found.id) {
            return Err(super::being_resumed(name));
        }
        // Being written again: other servers must not drop it.
        self.block(renew_lease(&self.inner.s3, &entries));
        Ok(Upload::resume(
            self.clone(),
            name.clone(),
            key,
            found,
            entries,
            offset,
            size,
        ))
    }

    /// Completes verified uploads (concurrently) and records their BLAKE3 entries.
    pub fn commit(&self, batch: Vec<(Verified, bool)>) -> Vec<Result<FileInfo>> {
        self.block(futures_util::future::join_all(
            batch.into_iter().map(|(v, force)| v.commit(force)),
        ))
    }
}

/// Every value of `<tag>…</tag>` in an S3 XML answer, with the XML escapes S3 uses undone.
fn xml_values(text: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    text.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(v, _)| v))
        .map(|v| {
            v.replace("&quot;", "\"")
                .replace("&#34;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

/// The file info of the version described by `meta`.
fn info(name: &FileName, meta: &ObjectMeta, hash: String) -> FileInfo {
    FileInfo {
        name: name.as_str().to_string(),
        size: meta.size,
        modified: crate::human::rfc3339(SystemTime::from(meta.last_modified)),
        blake3: hash,
    }
}

/// True for the S3 error codes of a refused identity or signature (object_store reports some
/// of them as generic errors).
fn denied(summary: &str) -> bool {
    [
        "AccessDenied",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "InvalidToken",
        "ExpiredToken",
    ]
    .iter()
    .any(|code| summary.starts_with(code))
}

/// An object's ETag as it appears in entry keys: without quotes, only `[0-9A-Za-z-]`.
fn etag_token(meta: &ObjectMeta) -> Option<String> {
    etag_text(meta.e_tag.as_deref()?)
}

fn etag_text(raw: &str) -> Option<String> {
    let t = raw.trim().trim_start_matches("W/").trim_matches('"');
    let ok = !t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then(|| t.to_string())
}

/// The one hash recorded for `etag`; none when there is none or the entries disagree (two
/// contents with one ETag: then the content is hashed again rather than trusted).
fn only_hash(sums: &[(String, String)], etag: &str) -> Option<String> {
    let mut found: Option<&String> = None;
    for (e, hash) in sums {
        if e == etag {
            match found {
                Some(h) if h != hash => return None,
                _ => found = Some(hash),
            }
        }
    }
    found.cloned()
}

/// The useful part of an object store error: the S3 error code and message when there is one,
/// else the deepest cause (such as "connection refused"), without the request dump.
pub(crate) fn summary(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    summary_of(&text)
}

fn summary_of(text: &str) -> String {
    let tag = |t: &str| xml_values(text, t).into_iter().next();
    if let Some(code) = tag("Code") {
        return match tag("Message") {
            Some(m) => format!("{code}: {m}"),
            None => code,
        };
    }
    for (hint, said) in [
        ("onnection refused", "connection refused"),
        ("onnection reset", "connection reset"),
        (
            "connection closed before message completed",
            "the store closed the connection",
        ),
        ("dns error", "host not found"),
        ("timed out", "timed out"),
        ("tcp connect error", "connection failed"),
    ] {
        if text.contains(hint) {
            return format!("cannot connect ({said})");
        }
    }
    // The deepest cause is last.
    let deepest = text.rsplit(": ").next().unwrap_or(text).trim();
    if text.contains("invalid peer certificate") {
        return format!("the store's TLS certificate is not trusted ({deepest})");
    }
    if text.contains("error sending request") || text.contains("connection was not ready") {
        // Any other failure to get a request to the store and an answer back.
        return format!("cannot connect ({deepest})");
    }
    deepest.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_become_key_tokens() {
        assert_eq!(etag_text("\"d0b894e5f372-1\"").as_deref(), Some("d0b894e5f372-1"));
        assert_eq!(etag_text("W/\"abc\"").as_deref(), Some("abc"));
        assert_eq!(etag_text("\"a/b\""), None);
        assert_eq!(etag_text("\"\""), None);
    }

    #[test]
    fn disagreeing_entries_give_no_hash() {
        let sums = vec![
            ("e1".to_string(), "aa".to_string()),
            ("e2".to_string(), "bb".to_string()),
        ];
        assert_eq!(only_hash(&sums, "e1").as_deref(), Some("aa"));
        assert_eq!(only_hash(&sums, "e3"), None);
        let split = vec![
            ("e1".to_string(), "aa".to_string()),
            ("e1".to_string(), "cc".to_string()),
        ];
        assert_eq!(only_hash(&split, "e1"), None);
    }

    #[test]
    fn store_urls_and_prefixes() {
        assert_eq!(
            S3Location::parse_url("s3://nf-ci").unwrap(),
            ("nf-ci".into(), "".into())
        );
        assert_eq!(
            S3Location::parse_url("s3://nf-ci/team/a/").unwrap(),
            ("nf-ci".into(), "team/a".into())
        );
        assert!(S3Location::parse_url("nf-ci/x").is_err());
        assert!(S3Location::parse_url("s3://NF").is_err());
        assert!(S3Location::parse_url("s3://nf-ci/a//b").is_err());
        assert!(S3Location::parse_url("s3://nf-ci/a/../b").is_err());
        assert!(S3Location::parse_url("s3://nf-ci/.nf").is_err());
    }

    #[test]
    fn summaries_keep_the_s3_code() {
        let e = "Generic S3 error: ... <Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>";
        assert_eq!(summary_of(e), "NoSuchBucket: The specified bucket does not exist");
        assert_eq!(
            summary_of("HTTP error: error sending request: connection was not ready"),
            "cannot connect (connection was not ready)"
        );
        assert_eq!(
            summary_of("error sending request: tcp connect error: Connection refused (os error 111)"),
            "cannot connect (connection refused)"
        );
    }
}
