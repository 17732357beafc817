//! The S3 side of the fixture: which backend the store suites run against, and a direct view of
//! a test's key prefix in the bucket (what is visible, object content, unfinished multipart
//! uploads), read without going through nf.
//!
//! `NF_TEST_STORE=s3` runs the store suites against the bucket that
//! `.ci/seaweedfs-up.sh` starts (it exports S3_ENDPOINT, S3_BUCKET and the AWS_* credentials);
//! every server gets a key prefix of its own, deleted when it is dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// True when the store suites run against the object store (`NF_TEST_STORE=s3`).
pub fn s3_backend() -> bool {
    match std::env::var("NF_TEST_STORE").as_deref() {
        Ok("s3") => true,
        Ok("local") | Err(_) => false,
        Ok(other) => panic!("NF_TEST_STORE={other:?}: expected local or s3"),
    }
}

/// For a test about the local directory itself (symlinks, permissions, files put there by
/// hand): false, with a note, when the suite runs against the object store. Each such
/// behaviour has its object-store counterpart in tests/shared_bucket.rs.
pub fn local_store_only(what: &str) -> bool {
    if s3_backend() {
        eprintln!("not run against the object store (local directory only): {what}");
        return false;
    }
    true
}

/// True when an object store is there to test against (S3_ENDPOINT is set, as under
/// .ci/run). Without one, the object-store-only tests say so and pass, except under CI
/// (`CI` set), where a missing store is a failure.
pub fn s3_available(test: &str) -> bool {
    if std::env::var_os("S3_ENDPOINT").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: S3_ENDPOINT is not set under CI; .ci/run starts SeaweedFS for these tests"
    );
    eprintln!("{test}: skipped, no object store (run .ci/run, which starts SeaweedFS)");
    false
}

/// One test's key prefix in the bucket.
pub struct Bucket {
    pub endpoint: String,
    pub bucket: String,
    pub prefix: String,
    s3: Arc<AmazonS3>,
    rt: tokio::runtime::Runtime,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the S3 tests under .ci/seaweedfs-up.sh (see .ci/run)")
    })
}

impl Bucket {
    /// A fresh, unique prefix in the test bucket.
    pub fn fresh() -> Bucket {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let prefix = format!(
            "t/{}-{}-{nanos:x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        Bucket::at(&prefix)
    }

    /// The prefix `prefix` in the test bucket.
    pub fn at(prefix: &str) -> Bucket {
        let (endpoint, bucket) = (env("S3_ENDPOINT"), env("S3_BUCKET"));
        // nf builds rustls with ring only; a client needs the provider installed first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let s3 = AmazonS3Builder::from_env()
            .with_endpoint(&endpoint)
            .with_bucket_name(&bucket)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .build()
            .expect("S3 client");
        Bucket {
            endpoint,
            bucket,
            prefix: prefix.to_string(),
            s3: Arc::new(s3),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    /// The `store.*` lines of a server config using this prefix (dotted keys, so that a test's
    /// own `store.*` settings can sit beside them).
    pub fn config(&self) -> String {
        format!(
            "\nstore.kind = \"s3\"\nstore.endpoint = {:?}\nstore.bucket = {:?}\nstore.prefix = {:?}\n",
            self.endpoint, self.bucket, self.prefix
        )
    }

    fn key(&self, name: &str) -> Path {
        Path::parse(format!("{}/{name}", self.prefix)).unwrap()
    }

    /// Names of the objects directly under the prefix (what nf stores as files), sorted.
    pub fn names(&self) -> Vec<String> {
        let top = Path::parse(&self.prefix).unwrap();
        let listed = self.rt.block_on(self.s3.list_with_delimiter(Some(&top))).unwrap();
        let mut names: Vec<String> = listed
            .objects
            .iter()
            .map(|m| m.location.filename().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    /// Every key under the prefix, relative to it (BLAKE3 entries included), sorted.
    pub fn keys(&self) -> Vec<String> {
        let top = Path::parse(&self.prefix).unwrap();
        let all: Vec<_> = self
            .rt
            .block_on(self.s3.list(Some(&top)).try_collect::<Vec<_>>())
            .unwrap();
        let mut keys: Vec<String> = all
            .iter()
            .map(|m| m.location.as_ref()[self.prefix.len() + 1..].to_string())
            .collect();
        keys.sort();
        keys
    }

    /// The content of the object `name`.
    pub fn read(&self, name: &str) -> Vec<u8> {
        let key = self.key(name);
        self.rt
            .block_on(async { self.s3.get(&key).await?.bytes().await })
            .unwrap_or_else(|e| panic!("read {name} from the bucket: {e}"))
            .to_vec()
    }

    /// Writes an object directly, as another S3 tool would.
    pub fn write(&self, name: &str, content: &[u8]) {
        let key = self.key(name);
        self.rt
            .block_on(self.s3.put(&key, PutPayload::from(content.to_vec())))
            .unwrap();
    }

    /// Writes many objects directly, 32 at a time.
    pub fn write_many(&self, files: &[(String, Vec<u8>)]) {
        let s3 = Arc::clone(&self.s3);
        let puts = files.iter().map(|(name, content)| {
            let (s3, key, payload) = (Arc::clone(&s3), self.key(name), PutPayload::from(content.clone()));
            async move { s3.put(&key, payload).await.map(|_| ()) }
        });
        let results: Vec<_> = self
            .rt
            .block_on(futures_util::stream::iter(puts).buffer_unordered(32).collect());
        for r in results {
            r.unwrap();
        }
    }

    /// Keys of the multipart uploads begun under the prefix and neither completed nor aborted
    /// (S3 ListMultipartUploads, signed by object_store).
    pub fn unfinished_uploads(&self) -> Vec<String> {
        let options = SignedUrlOptions::default()
            .with_query([("uploads", ""), ("prefix", &format!("{}/", self.prefix))]);
        let url = self
            .rt
            .block_on(self.s3.signed_url_opts(
                reqwest::Method::GET,
                &Path::default(),
                Duration::from_secs(60),
                &options,
            ))
            .unwrap();
        let body = self
            .rt
            .block_on(async { reqwest::get(url).await?.error_for_status()?.text().await })
            .unwrap();
        body.split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(k, _)| k.to_string()))
            .collect()
    }

    /// How many unfinished multipart uploads there are of `name`.
    pub fn partials_named(&self, name: &str) -> usize {
        let key = format!("{}/{name}", self.prefix);
        self.unfinished_uploads().iter().filter(|k| **k == key).count()
    }

    /// Deletes everything under the prefix.
    pub fn clear(&self) {
        let top = Path::parse(&self.prefix).unwrap();
        let s3 = Arc::clone(&self.s3);
        self.rt.block_on(async move {
            let keys = s3.list(Some(&top)).map_ok(|m| m.location).boxed();
            s3.delete_stream(keys).for_each(|_| async {}).await;
        });
    }
}
