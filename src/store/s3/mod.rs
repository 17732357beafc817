//! A bucket of an S3-compatible object store (SeaweedFS, MinIO, Ceph, Garage, AWS S3) as the
//! store, shared by any number of `nf serve` processes. The object store is the distributed
//! engine; nf adds no replication of its own.
//!
//! Layout under `PREFIX/` in the bucket ([`keys`]): `NAME` is the file itself, an ordinary
//! object that other S3 tools can read; `.nf/sums/DIR/LEAF/ETAG.BLAKE3` (empty objects, keyed
//! by hashes of the name) record the BLAKE3 of each version. One listing of a directory's
//! entries gives every hash, so `ls` costs a request per 1000 files, never one per file. An
//! object with no matching entry (written by another tool, or by a server that died between
//! completing it and writing its entry) is hashed by reading it once ([`adopt`]), and the entry
//! is written then, as the local store does for files without its extended attribute.
//!
//! Stores differ from AWS S3 in what they honour; [`probe`] finds out at start-up and the log
//! says so, and nf adapts (HEADs where listings lack ETags, checks the ETag of each download,
//! starts resumes over where part listings lack ETags).
//!
//! Uploads are streamed into a multipart upload with a bounded number of parts in flight, and
//! become visible only when it is completed, after the BLAKE3 matched; without `force` the
//! completion (or the single PUT of a small file) carries `If-None-Match: *`, so two servers
//! racing for one name leave exactly one complete version. The sync server threads drive the
//! async client through one small tokio runtime owned by the store. docs/SCALING.md has the
//! whole story, including what is and is not consistent.

mod adopt;
mod budget;
mod keys;
mod probe;
mod reader;
mod records;
mod resume;
mod signed;
mod tree;
mod upload;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder, S3ConditionalPut};
use object_store::multipart::MultipartStore;
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload,
    RetryConfig,
};

use super::{not_found, Attrs, Entry, Partials};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};

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
    /// For the requests object_store does not offer ([`signed`]).
    http: reqwest::Client,
    location: S3Location,
    /// `""` or `"some/prefix/"`.
    prefix: String,
    /// Multipart uploads some connection of this server is writing: not offered for resume.
    busy: Mutex<HashSet<String>>,
    /// Upload bytes in memory, server-wide.
    budget: Arc<budget::Budget>,
    /// What the store honours: the start-up probe, corrected by what requests show later.
    features: Mutex<probe::Features>,
    /// Objects being hashed ([`adopt`]).
    hashing: adopt::Hashing,
    /// Directories this server saw hold something, so that a put need not look at each
    /// directory above its name again ([`tree`]).
    dirs: Mutex<HashSet<String>>,
    notes: Mutex<Notes>,
    /// What interrupted uploads may hold.
    partials: Partials,
}

/// An unfinished upload another server may still be writing is protected by its lease (an
/// empty `live` object among its entries, renewed at least every [`LEASE_RENEW`] while it
/// writes, deleted when it is cut off): one renewed within this long is left alone.
const UPLOAD_QUIET: Duration = Duration::from_secs(120);
pub(super) const LEASE_RENEW: Duration = Duration::from_secs(30);
const LEASE: &str = "live";

/// The lease object of the upload whose entries are under `entries`.
pub(super) fn lease_key(entries: &Path) -> Path {
    entries.clone().join(LEASE)
}

/// True when a lease renewed at `at` (if the upload holds one) still protects its upload.
fn leased(at: Option<SystemTime>) -> bool {
    at.is_some_and(|at| at > SystemTime::now() - UPLOAD_QUIET)
}

/// Writes (or renews) the lease of the upload whose entries are under `entries`. Best effort.
pub(super) async fn renew_lease(s3: &AmazonS3, entries: &Path) {
    let _ = s3.put(&lease_key(entries), PutPayload::new()).await;
}

/// What the entries of one unfinished upload say: whether it has its record, its part entries,
/// when the last was written, and when its lease was renewed.
#[derive(Default)]
struct Listed {
    recorded: bool,
    parts: Vec<resume::PartEntry>,
    last: Option<SystemTime>,
    lease: Option<SystemTime>,
}

impl Listed {
    fn add(&mut self, leaf: &str, at: SystemTime) {
        if leaf == keys::RECORD {
            self.recorded = true;
        } else if leaf == LEASE {
            self.lease = Some(at);
        } else if let Some(entry) = resume::PartEntry::parse(leaf) {
            self.parts.push(entry);
            self.last = self.last.max(Some(at));
        }
    }

    /// The bytes its part entries record.
    fn bytes(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }
}

/// Where the store's lines for the server's log go.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Lines for the server's log: kept until the server hands the store its log.
#[derive(Default)]
struct Notes {
    sink: Option<LogSink>,
    pending: Vec<String>,
    /// The one-time notes already written.
    said: HashSet<&'static str>,
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

/// One part as ListParts gives it: its number and, where the store lists it, its ETag (as a
/// key token, and as listed).
pub(crate) struct ListedPart {
    number: u64,
    etag: Option<(String, String)>,
}

impl Store {
    /// Connects to the bucket and checks that it can be listed, so that a wrong endpoint, bucket
    /// or key fails `nf serve` at start-up rather than the first client; then probes what the
    /// store honours ([`probe`]).
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
            max_retries: signed::RETRIES as usize,
            retry_timeout: signed::RETRY_WINDOW,
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
                features: Mutex::new(probe::Features::default()),
                hashing: adopt::Hashing::new(),
                dirs: Mutex::new(HashSet::new()),
                notes: Mutex::new(Notes::default()),
                partials,
            }),
        };
        let first = store.path(keys::SUMS)?;
        let s3 = Arc::clone(&store.inner.s3);
        store
            .block(async move { s3.list(Some(&first)).next().await.transpose() })
            .map_err(|e| store.error("cannot list the bucket", e))?;
        let features = store.block(store.probe());
        *store.inner.features.lock().unwrap() = features;
        store.note(features.line());
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

    /// Hands the store the server's log: the notes kept so far (the probe's line) are written
    /// at once, later ones as they come.
    pub fn set_log(&self, sink: LogSink) {
        let pending = {
            let mut notes = self.inner.notes.lock().unwrap();
            notes.sink = Some(Arc::clone(&sink));
            std::mem::take(&mut notes.pending)
        };
        for line in pending {
            sink(&line);
        }
    }

    /// Writes `text` to the server's log (kept until there is one).
    fn note(&self, text: String) {
        let sink = {
            let mut notes = self.inner.notes.lock().unwrap();
            match &notes.sink {
                Some(sink) => Arc::clone(sink),
                None => return notes.pending.push(text),
            }
        };
        sink(&text);
    }

    /// Writes `text` once in the server's life (`what` names the note).
    fn note_once(&self, what: &'static str, text: String) {
        if self.inner.notes.lock().unwrap().said.insert(what) {
            self.note(text);
        }
    }

    /// What the store honours, as far as nf knows.
    fn features(&self) -> probe::Features {
        *self.inner.features.lock().unwrap()
    }

    /// Records that listings come without ETags (`parts`: part listings), and says so once.
    fn lacks_etags(&self, parts: bool) {
        let mut f = self.inner.features.lock().unwrap();
        let (seen, what, text) = if parts {
            (
                &mut f.part_etags,
                "part-etags",
                "the object store lists parts without ETags: interrupted uploads cannot be \
                 checked, so they are aborted and a resumed upload starts over",
            )
        } else {
            (
                &mut f.list_etags,
                "list-etags",
                "the object store lists objects without ETags: ls asks for each file's ETag \
                 (one HEAD per file), and hash entries are kept",
            )
        };
        // Said once: by the probe's line, or else now.
        let known = std::mem::replace(seen, probe::Seen::No) == probe::Seen::No;
        drop(f);
        if !known {
            self.note_once(what, text.to_string());
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

    /// `PREFIX/.nf/parts/DIR/LEAF`: the unfinished uploads of `name`.
    fn uploads_of(&self, name: &FileName) -> Result<Path> {
        self.path(&format!("{}/{}", keys::PARTS, keys::segments(name.as_str())))
    }

    /// `PREFIX/.nf/parts/DIR/LEAF/UPLOAD`: the record and part entries of the upload `id`.
    fn entry_dir(&self, name: &FileName, id: &str) -> Result<Path> {
        self.path(&format!(
            "{}/{}/{}",
            keys::PARTS,
            keys::segments(name.as_str()),
            keys::hashed(id)
        ))
    }

    /// Records the upload `id` of `name` (the record holds the id and, on a second line, the
    /// name), so that a resume can find it from its part entries and a bound on interrupted
    /// uploads can abort it.
    async fn record_upload(&self, name: &FileName, id: &str) -> object_store::Result<()> {
        let Ok(dir) = self.entry_dir(name, id) else {
            return Ok(());
        };
        let record = Path::parse(format!("{dir}/{}", keys::RECORD))?;
        let content = format!("{id}\n{}", name.as_str());
        self.inner
            .s3
            .put(&record, PutPayload::from(content.into_bytes()))
            .await
            .map(|_| ())
    }

    /// The unfinished uploads under `dir` (one name's `.nf/parts/DIR/LEAF`, depth 1, or all of
    /// `.nf/parts`, depth 3), by their entry directory.
    async fn listed_uploads(
        &self,
        dir: &Path,
        depth: usize,
    ) -> object_store::Result<HashMap<String, Listed>> {
        let mut uploads: HashMap<String, Listed> = HashMap::new();
        for meta in self.list_all(dir).await? {
            let Some(rest) = meta.location.as_ref().strip_prefix(dir.as_ref()) else {
                continue;
            };
            let rest = rest.trim_start_matches('/');
            let fields: Vec<&str> = rest.split('/').collect();
            if fields.len() != depth + 1 {
                continue;
            }
            let updir = format!("{dir}/{}", fields[..depth].join("/"));
            uploads
                .entry(updir)
                .or_default()
                .add(fields[depth], SystemTime::from(meta.last_modified));
        }
        Ok(uploads)
    }

    /// Aborts the unfinished upload recorded under `updir` (its id and name from its record)
    /// and deletes its entries, unless this server is writing it (claimed meanwhile). `None`
    /// if it is still there; once gone, the name it was for (if its record said).
    async fn abort_recorded(&self, updir: &str) -> Option<Option<FileName>> {
        let dir = Path::parse(updir).ok()?;
        let Ok(Some((id, name))) = self.read_record(&dir).await else {
            // Without a record it cannot be found for a resume: its entries are of no use.
            self.delete_under(dir).await;
            return Some(None);
        };
        if !self.mark_busy(&id) {
            return None;
        }
        if let Some(key) = name.as_ref().and_then(|n| self.key(n).ok()) {
            let _ = self.inner.s3.abort_multipart(&key, &id).await;
        }
        self.delete_under(dir).await;
        self.unmark_busy(&id);
        Some(name)
    }

    /// Aborts the unfinished uploads of `name` and deletes their entries, after a complete
    /// version was committed or the name removed. Best effort. Never one that this server is
    /// writing or resuming, nor one whose lease is fresh (another server's).
    pub(super) async fn drop_uploads(&self, name: &FileName) {
        let Ok(dir) = self.uploads_of(name) else { return };
        let Ok(uploads) = self.listed_uploads(&dir, 1).await else {
            return;
        };
        for (updir, listed) in uploads {
            if !leased(listed.lease) {
                self.abort_recorded(&updir).await;
            }
        }
    }

    /// Bounds what interrupted uploads hold, after the upload `cut` of `name` was cut off and
    /// kept: the name keeps only its largest (by the parts its entries record), and while the
    /// interrupted uploads of all names hold more than `max_partial_bytes` the oldest (by
    /// their last part entry) are aborted, never the one the name keeps. Never an upload this
    /// server is writing, nor one with a fresh lease. Each abort is a line in the log. Costs a
    /// listing of the name's entries and one of `.nf/parts` (a request per 1000 entries).
    pub(super) async fn bound_uploads(&self, name: &FileName, cut: &str) {
        let (Ok(dir), Ok(cut_dir)) = (self.uploads_of(name), self.entry_dir(name, cut)) else {
            return;
        };
        let mut kept = cut_dir.to_string();
        if let Ok(uploads) = self.listed_uploads(&dir, 1).await {
            let idle: Vec<(String, u64)> = uploads
                .into_iter()
                .filter(|(d, l)| !leased(l.lease) || *d == kept)
                .map(|(d, l)| (d, l.bytes()))
                .collect();
            if let Some((largest, size)) = idle.iter().max_by_key(|(_, b)| *b).cloned() {
                kept = largest;
                for (updir, bytes) in &idle {
                    if *updir != kept && self.abort_recorded(updir).await.is_some() {
                        self.note(format!(
                            "dropped an interrupted upload of {} ({}): a larger one of that name \
                             ({}) is kept for --resume",
                            quote(name.as_str()),
                            crate::human::size(*bytes),
                            crate::human::size(size)
                        ));
                    }
                }
            }
        }
        let Ok(root) = self.path(keys::PARTS) else { return };
        let Ok(all) = self.listed_uploads(&root, 3).await else {
            return;
        };
        let mut all: Vec<(String, Listed)> = all.into_iter().filter(|(_, l)| !leased(l.lease)).collect();
        all.sort_by_key(|(_, l)| l.last);
        let max = self.inner.partials.max_bytes;
        let mut total: u64 = all.iter().map(|(_, l)| l.bytes()).sum();
        for (updir, listed) in &all {
            if total <= max {
                break;
            }
            if *updir == kept {
                continue;
            }
            let Some(name) = self.abort_recorded(updir).await else {
                continue;
            };
            let which = match name {
                Some(name) => format!("the interrupted upload of {}", quote(name.as_str())),
                None => "an interrupted upload".to_string(),
            };
            self.note(format!(
                "dropped {which} ({}, last written {}): interrupted uploads held {}, more than \
                 max_partial_bytes ({})",
                crate::human::size(listed.bytes()),
                listed.last.map(crate::human::rfc3339).unwrap_or_default(),
                crate::human::size(total),
                crate::human::size(max)
            ));
            total -= listed.bytes();
        }
    }

    /// Deletes the record and part entries of the upload `id` of `name`. Best effort.
    async fn drop_entries(&self, name: &FileName, id: &str) {
        if let Ok(dir) = self.entry_dir(name, id) {
            self.delete_under(dir).await;
        }
    }

    /// Every object under `dir`.
    async fn list_all(&self, dir: &Path) -> object_store::Result<Vec<ObjectMeta>> {
        self.inner.s3.list(Some(dir)).try_collect().await
    }

    /// Deletes every object under `dir`. Best effort.
    async fn delete_under(&self, dir: Path) {
        let s3 = Arc::clone(&self.inner.s3);
        let keys = s3.list(Some(&dir)).map_ok(|m| m.location).boxed();
        s3.delete_stream(keys).for_each(|_| async {}).await;
    }

    /// The parts the store holds of the multipart upload `id` of `key`; None when there is no
    /// such upload (completed or aborted).
    async fn list_parts(&self, key: &Path, id: &str) -> object_store::Result<Option<Vec<ListedPart>>> {
        let mut parts = Vec::new();
        let mut marker = 0u64;
        loop {
            let request = signed::Request {
                method: reqwest::Method::GET,
                key,
                query: vec![
                    ("uploadId", id.to_string()),
                    ("part-number-marker", marker.to_string()),
                ],
                if_absent: false,
                body: None,
                retry_conflict: false,
                what: "ListParts",
            };
            let reply = signed::send(self, &request).await?;
            if reply.status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if reply.failed() {
                return Err(upload::generic(format!(
                    "ListParts answered {}: {}",
                    reply.status, reply.text
                )));
            }
            for block in reply.text.split("<Part>").skip(1) {
                let number = xml_values(block, "PartNumber")
                    .first()
                    .and_then(|n| n.parse().ok());
                let etag = xml_values(block, "ETag")
                    .into_iter()
                    .next()
                    .and_then(|raw| Some((etag_text(&raw)?, raw)));
                if let Some(number) = number {
                    parts.push(ListedPart { number, etag });
                }
            }
            let next = xml_values(&reply.text, "NextPartNumberMarker")
                .first()
                .and_then(|n| n.parse().ok());
            match next {
                Some(n) if reply.text.contains("<IsTruncated>true</IsTruncated>") && n > marker => marker = n,
                _ => return Ok(Some(parts)),
            }
        }
    }

    /// The unfinished upload of `name` that holds the longest resumable start, if any.
    /// Entries of uploads the store no longer has are deleted on the way. On a store whose
    /// part listings have no ETags nothing is resumable (a stored part cannot be told from
    /// another), and nothing is looked up.
    fn find_resumable(&self, name: &FileName) -> Result<Option<Resumable>> {
        if !self.features().part_etags.assumed() {
            return Ok(None);
        }
        let what = format!("cannot look up {}", quote(name.as_str()));
        let dir = self.uploads_of(name)?;
        let key = self.key(name)?;
        let listed = self
            .block(self.list_all(&dir))
            .map_err(|e| self.error(&what, e))?;
        // UPLOAD segment → (has a record, part entries).
        let mut uploads: HashMap<String, (bool, Vec<resume::PartEntry>)> = HashMap::new();
        for meta in &listed {
            let Some(rest) = meta.location.as_ref().strip_prefix(dir.as_ref()) else {
                continue;
            };
            let Some((segment, leaf)) = rest.trim_start_matches('/').split_once('/') else {
                continue;
            };
            let upload = uploads.entry(segment.to_string()).or_default();
            if leaf == keys::RECORD {
                upload.0 = true;
            } else if let Some(entry) = resume::PartEntry::parse(leaf) {
                upload.1.push(entry);
            }
        }
        let mut best: Option<Resumable> = None;
        for (segment, (recorded, entries)) in uploads {
            let Ok(updir) = Path::parse(format!("{dir}/{segment}")) else {
                continue;
            };
            let id = match recorded {
                true => self
                    .block(self.read_record(&updir))
                    .map_err(|e| self.error(&what, e))?
                    .map(|(id, _)| id),
                false => None,
            };
            let Some(id) = id else {
                // No record: the upload was completed or aborted and its entries are going.
                self.block(self.delete_under(updir));
                continue;
            };
            let Some(stored) = self
                .block(self.list_parts(&key, &id))
                .map_err(|e| self.error(&what, e))?
            else {
                // Completed or aborted meanwhile: its entries are of no use.
                self.block(self.delete_under(updir));
                continue;
            };
            if stored.iter().any(|p| p.etag.is_none()) {
                self.lacks_etags(true);
                return Ok(None);
            }
            let listed: HashMap<u64, (&str, &str)> = stored
                .iter()
                .filter_map(|p| {
                    p.etag
                        .as_ref()
                        .map(|(t, raw)| (p.number, (t.as_str(), raw.as_str())))
                })
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
            let found = Resumable { id, part, parts };
            if found.len() > best.as_ref().map_or(0, Resumable::len) {
                best = Some(found);
            }
        }
        Ok(best)
    }

    /// The upload id in the record under `updir`, and the name it is for if the record says;
    /// None if the record is gone.
    async fn read_record(&self, updir: &Path) -> object_store::Result<Option<(String, Option<FileName>)>> {
        let record = Path::parse(format!("{updir}/{}", keys::RECORD))?;
        match self.inner.s3.get(&record).await {
            Ok(got) => {
                let bytes = got.bytes().await?;
                let text = String::from_utf8(bytes.to_vec()).unwrap_or_default();
                let (id, name) = text.split_once('\n').unwrap_or((&text, ""));
                Ok((!id.is_empty()).then(|| (id.to_string(), FileName::parse(name).ok())))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn path(&self, rest: &str) -> Result<Path> {
        Path::parse(format!("{}{rest}", self.inner.prefix))
            .map_err(|e| Error::new(ErrorKind::BadName, format!("not a usable object key: {e}")))
    }

    /// The object key of `name`; a `bad_name` error if it would be longer than S3 allows.
    fn key(&self, name: &FileName) -> Result<Path> {
        keys::check_key_len(&self.inner.prefix, name.as_str())?;
        self.path(name.as_str())
    }

    /// `PREFIX/.nf/sums/DIR/LEAF`: the hash entries of `name`.
    fn sums_of(&self, name: &FileName) -> Result<Path> {
        self.path(&format!("{}/{}", keys::SUMS, keys::segments(name.as_str())))
    }

    fn sum_key(&self, name: &FileName, etag: &str, hash: &str, kept: Kept) -> Result<Path> {
        self.path(&format!(
            "{}/{}/{}",
            keys::SUMS,
            keys::segments(name.as_str()),
            keys::sum_leaf(etag, hash, kept)
        ))
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

    /// The entry under `name` (a file, or a directory: keys under `name/`), if any, and how
    /// many bytes of an unfinished upload of it a resumed `put` can skip.
    pub fn stat(&self, name: &FileName) -> Result<(Option<Entry>, u64)> {
        let key = self.key(name)?;
        let partial = self.find_resumable(name)?.map_or(0, |r| r.len());
        let head = self.block(self.inner.s3.head(&key));
        let meta = match head {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => {
                let dir = self
                    .is_dir(name)?
                    .then(|| Entry::dir(name.clone(), SystemTime::now(), DIR_MODE));
                return Ok((dir, partial));
            }
            Err(e) => return Err(self.error(&format!("cannot look up {}", quote(name.as_str())), e)),
        };
        let (hash, kept) = self.hash_of(name, &meta)?;
        Ok((Some(file_entry(name, &meta, &hash, kept)), partial))
    }

    /// True when an object is stored under `name`.
    pub fn exists(&self, name: &FileName) -> bool {
        let Ok(key) = self.key(name) else { return false };
        self.block(self.inner.s3.head(&key)).is_ok()
    }

    /// The BLAKE3 entries recorded for `name`, each with when it was written.
    async fn sums(&self, name: &FileName) -> object_store::Result<Vec<(keys::Sum, SystemTime)>> {
        let Ok(dir) = self.sums_of(name) else {
            return Ok(Vec::new());
        };
        let entries = self.list_all(&dir).await?;
        Ok(entries
            .iter()
            .filter_map(|m| {
                Some((
                    keys::parse_sum_leaf(m.location.filename()?)?,
                    SystemTime::from(m.last_modified),
                ))
            })
            .collect())
    }

    /// The BLAKE3 of the version of `name` described by `meta`, and the time and mode its
    /// uploader sent: from its entry, or by reading it once (then recorded, without them).
    fn hash_of(&self, name: &FileName, meta: &ObjectMeta) -> Result<(String, Kept)> {
        let sums = self
            .block(self.sums(name))
            .map_err(|e| self.error(&format!("cannot read the BLAKE3 of {}", quote(name.as_str())), e))?;
        match etag_token(meta).and_then(|etag| chosen(&sums, &etag)) {
            Some(i) => Ok((sums[i].0.hash.clone(), sums[i].0.kept)),
            None => self.adopt(name, meta).map(|hash| (hash, None)),
        }
    }

    /// Opens `name` for reading from `offset` (a ranged read). The hash is that of exactly the
    /// version being read: the read is pinned to its ETag, and the answer's ETag is checked
    /// before a byte is passed on (some stores ignore `If-Match`).
    pub fn read(&self, name: &FileName, offset: u64) -> Result<(Reader, Entry)> {
        let what = format!("cannot read {}", quote(name.as_str()));
        let key = self.key(name)?;
        let meta = match self.block(self.inner.s3.head(&key)) {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) if self.is_dir(name)? => {
                return Err(super::is_a_dir(name, "; fetch a directory with get -r"))
            }
            Err(object_store::Error::NotFound { .. }) => return Err(not_found(name)),
            Err(e) => return Err(self.error(&what, e)),
        };
        let (hash, kept) = self.hash_of(name, &meta)?;
        let info = file_entry(name, &meta, &hash, kept);
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
        let replaced_error = || {
            Error::new(
                ErrorKind::Busy,
                format!(
                    "{} was replaced while it was being opened; try again",
                    quote(name.as_str())
                ),
            )
        };
        match got {
            Ok(result) if replaced(&meta, &result.meta) => Err(replaced_error()),
            Ok(result) => Ok((Reader::start(self.inner.rt.handle(), result.into_stream()), info)),
            Err(object_store::Error::NotFound { .. }) => Err(not_found(name)),
            Err(object_store::Error::Precondition { .. }) => Err(replaced_error()),
            Err(e) => Err(self.error(&what, e)),
        }
    }

    /// Starts an upload of `name`, a file of `size` bytes if known. With `offset > 0` it
    /// continues the unfinished upload of that name with the longest resumable start, which
    /// must hold at least `offset` bytes, `offset` being a whole number of its parts.
    pub fn begin_upload(
        &self,
        name: &FileName,
        offset: u64,
        size: Option<u64>,
        attrs: Attrs,
    ) -> Result<Upload> {
        let key = self.key(name)?;
        self.check_target(name)?;
        if offset == 0 {
            return Ok(Upload::new(self.clone(), name.clone(), key, size, attrs));
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
        self.block(renew_lease(&self.inner.s3, &entries));
        Ok(Upload::resume(self.clone(), name.clone(), key, found, entries, offset, size).keeping(attrs))
    }

    /// Completes verified uploads (concurrently) and records their BLAKE3 entries.
    pub fn commit(&self, batch: Vec<(Verified, bool)>) -> Vec<Result<Entry>> {
        self.block(futures_util::future::join_all(
            batch.into_iter().map(|(v, force)| v.commit(force)),
        ))
    }
}

/// The BLAKE3 of a GET's whole body.
async fn hash_body(got: object_store::GetResult) -> object_store::Result<blake3::Hash> {
    let mut stream = got.into_stream();
    let mut hasher = blake3::Hasher::new();
    while let Some(chunk) = stream.next().await {
        hasher.update(&chunk?);
    }
    Ok(hasher.finalize())
}

/// True when the answer to a read pinned to the version `pinned` is of another version: both
/// have ETags and they differ (a store that ignores `If-Match`).
fn replaced(pinned: &ObjectMeta, answer: &ObjectMeta) -> bool {
    match (pinned.e_tag.as_deref(), answer.e_tag.as_deref()) {
        (Some(a), Some(b)) => etag_text(a) != etag_text(b),
        _ => false,
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

/// The time and mode an uploader sent with a version, as its hash entry records them.
pub(crate) type Kept = Option<(SystemTime, u32)>;

/// The mode of a directory, which the object store does not keep.
const DIR_MODE: u32 = super::DEFAULT_DIR_MODE;

/// The entry of the version of `name` described by `meta`, whose BLAKE3 is `hash` (hex) and
/// whose uploader sent `kept` (else: the object's `Last-Modified`, mode 0644).
fn file_entry(name: &FileName, meta: &ObjectMeta, hash: &str, kept: Kept) -> Entry {
    let (modified, mode) = kept.unwrap_or((SystemTime::from(meta.last_modified), super::DEFAULT_FILE_MODE));
    Entry {
        name: name.clone(),
        kind: super::Kind::File,
        size: meta.size,
        modified,
        mode,
        blake3: blake3::Hash::from_hex(hash).ok(),
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

/// Which of the hash entries `sums` (each with when it was written) describes the version with
/// `etag`: they must agree on the hash (two contents with one ETag: then the content is hashed
/// again rather than trusted); of several (the same content stored again with another time or
/// mode), the one written last, and of those the latest time. None when there is none.
fn chosen(sums: &[(keys::Sum, SystemTime)], etag: &str) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, (sum, written)) in sums.iter().enumerate() {
        if sum.etag != etag {
            continue;
        }
        match best {
            Some(b) if sums[b].0.hash != sum.hash => return None,
            Some(b) if (sums[b].1, sums[b].0.kept.map(|k| k.0)) >= (*written, sum.kept.map(|k| k.0)) => {}
            _ => best = Some(i),
        }
    }
    best
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
    fn disagreeing_entries_give_no_hash_and_the_last_written_wins() {
        let at = |s: i64| crate::human::from_unix(s, 0);
        let sum = |etag: &str, hash: &str, kept: Kept| keys::Sum {
            etag: etag.into(),
            hash: hash.into(),
            kept,
        };
        let sums = vec![
            (sum("e1", "aa", None), at(10)),
            (sum("e2", "bb", None), at(10)),
            (sum("e1", "aa", Some((at(5), 0o600))), at(20)),
        ];
        assert_eq!(chosen(&sums, "e1"), Some(2));
        assert_eq!(chosen(&sums, "e2"), Some(1));
        assert_eq!(chosen(&sums, "e3"), None);
        let split = vec![(sum("e1", "aa", None), at(1)), (sum("e1", "cc", None), at(2))];
        assert_eq!(chosen(&split, "e1"), None);
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
