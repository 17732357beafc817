//! Several `nf serve` processes on one bucket (issue 7): what one stores, the others list and
//! serve byte for byte; racing puts of one name leave one complete version; a server killed
//! mid-upload leaves nothing visible; the object store failing or refusing reaches clients as
//! clear errors while the server keeps serving. Needs an object store: the one S3_ENDPOINT
//! names (as under .ci/run), else a SeaweedFS the fixture starts for the test process. The
//! behaviour every backend shares is in the store suites, run against the bucket with
//! NF_TEST_STORE=s3.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::bucket::{assert_get_is_right_or_refused, store_has, store_pairs_etags_apart};
use common::relay::{Fault, Relay};
use common::*;

/// Two servers on one fresh prefix.
fn two_servers() -> (Bucket, Server, Server) {
    let bucket = Bucket::fresh();
    let a = Server::on_bucket(&bucket, "");
    let b = Server::on_bucket(&bucket, "");
    (bucket, a, b)
}

#[test]
fn a_put_through_one_server_is_listed_and_fetched_through_another() {
    if !s3_available() {
        return;
    }
    let (bucket, a, b) = two_servers();
    let big = random_bytes(19 << 20, 7); // several multipart parts
    a.file("big.bin", &big);
    a.file("small.txt", b"hello from a");
    let put = a.nf(&["put", "big.bin", "small.txt"]);
    assert!(put.status.success(), "{}", stderr(&put));

    let listed = b.ls();
    let names: Vec<_> = listed.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["big.bin", "small.txt"]);
    assert_eq!(listed[0]["size"], big.len() as u64);
    assert_eq!(listed[0]["blake3"], blake3_hex(&big));
    assert_eq!(listed[1]["blake3"], blake3_hex(b"hello from a"));

    let get = b.nf(&["get", "big.bin", "small.txt"]);
    assert!(get.status.success(), "{}", stderr(&get));
    assert_same(
        &std::fs::read(b.work.join("big.bin")).unwrap(),
        &big,
        "big.bin via b",
    );
    assert_eq!(std::fs::read(b.work.join("small.txt")).unwrap(), b"hello from a");
    // The files are plain objects that any S3 tool reads; the hashes live in entry keys.
    assert_same(&bucket.read("big.bin"), &big, "the object itself");
    assert_eq!(bucket.names(), ["big.bin", "small.txt"]);

    // Removed through b, gone for a too.
    assert!(b.nf(&["rm", "small.txt"]).status.success());
    assert_eq!(a.names(), ["big.bin"]);
    let empty = a.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_fails(&a.nf_in(&empty, &["get", "small.txt"]), 3, "no file named");
    assert!(
        !bucket.keys().iter().any(|k| k.contains("small.txt")),
        "rm leaves no entry behind: {:?}",
        bucket.keys()
    );
}

/// Puts `content` as `name` through `server` (with `-f` when `force`), from a work file of
/// its own; returns the exit code.
fn put_from(server: &Server, dir: &str, name: &str, content: &[u8], force: bool) -> i32 {
    let dir = server.work.join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), content).unwrap();
    let mut args = vec!["put", name];
    if force {
        args.push("-f");
    }
    server.nf_in(&dir, &args).status.code().unwrap()
}

#[test]
fn racing_puts_of_one_name_leave_one_complete_version() {
    if !s3_available() {
        return;
    }
    let (bucket, a, b) = two_servers();
    // A small file (single conditional PUT) and a large one (conditional multipart completion).
    for (round, size) in [(0u64, 1000usize), (1, 17 << 20)] {
        let name = format!("race{round}.bin");
        let one = random_bytes(size, 100 + round);
        let two = random_bytes(size, 200 + round);
        let (ca, cb) = std::thread::scope(|s| {
            let ta = s.spawn(|| put_from(&a, "from-a", &name, &one, false));
            let tb = s.spawn(|| put_from(&b, "from-b", &name, &two, false));
            (ta.join().unwrap(), tb.join().unwrap())
        });
        // Each put either stored its file or was told the name exists (exit 4); at least one
        // stored. Where the store serialises conditional writes (AWS S3) exactly one wins;
        // SeaweedFS checks If-None-Match before it writes, so a close race can let both
        // through, the later one replacing the earlier (docs/SCALING.md).
        assert!(
            [0, 4].contains(&ca) && [0, 4].contains(&cb),
            "exit codes {ca} {cb}"
        );
        assert!(ca == 0 || cb == 0, "one put stored its file");
        let stored = bucket.read(&name);
        assert!(
            stored == one || stored == two,
            "the stored version is one whole upload"
        );
        if ca != cb {
            let winner = if ca == 0 { &one } else { &two };
            assert_same(&stored, winner, "the stored version is the winner's");
        }
        let listed = a.ls().into_iter().find(|f| f["name"] == name.as_str()).unwrap();
        assert_eq!(listed["blake3"], blake3_hex(&stored));
        // Once one version is there, a put without --force through either server is refused.
        assert_eq!(put_from(&b, "late", &name, b"late", false), 4);
        assert_same(&bucket.read(&name), &stored, "the refused put changed nothing");
    }
    // With --force both succeed, and what is left is one of the two, complete and hashed right.
    let one = random_bytes(17 << 20, 300);
    let two = random_bytes(17 << 20, 400);
    let (ca, cb) = std::thread::scope(|s| {
        let ta = s.spawn(|| put_from(&a, "fa", "forced.bin", &one, true));
        let tb = s.spawn(|| put_from(&b, "fb", "forced.bin", &two, true));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    assert_eq!((ca, cb), (0, 0));
    let stored = bucket.read("forced.bin");
    assert!(stored == one || stored == two, "the object is one whole version");
    if store_pairs_etags_apart("a get returns the stored content or fails its BLAKE3 check") {
        // nf's hash entries are keyed by ETag; the end-to-end check still holds.
        assert_get_is_right_or_refused(&a, "forced.bin", &stored);
        return;
    }
    let listed = b.ls().into_iter().find(|f| f["name"] == "forced.bin").unwrap();
    assert_eq!(listed["blake3"], blake3_hex(&stored));
    let get = a.nf(&["get", "forced.bin"]);
    assert!(get.status.success(), "{}", stderr(&get));
    assert_same(
        &std::fs::read(a.work.join("forced.bin")).unwrap(),
        &stored,
        "get after the race",
    );
}

/// A raw put of `name` (all of `data` declared) through `server` that has sent only its first
/// `sent` bytes so far.
fn start_put(server: &Server, name: &str, data: &[u8], sent: usize) -> Raw {
    let mut raw = server.raw();
    let header = serde_json::json!({"op": "put", "name": name, "size": data.len()});
    raw.send(format!("{header}\n").as_bytes());
    raw.send(&data[..sent]);
    raw
}

#[test]
fn a_server_killed_mid_upload_leaves_no_visible_object() {
    if !s3_available() {
        return;
    }
    let (bucket, mut a, b) = two_servers();
    let data = random_bytes(40 << 20, 9);
    let raw = start_put(&a, "cut.bin", &data, 30 << 20);
    // Parts are on their way to the store when the server dies.
    let deadline = Instant::now() + Duration::from_secs(20);
    while a.partials().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!a.partials().is_empty(), "a multipart upload was under way");
    a.kill();
    drop(raw);
    assert!(bucket.names().is_empty(), "{:?}", bucket.names());
    assert!(b.names().is_empty());
    assert_fails(&b.nf(&["get", "cut.bin"]), 3, "no file named");
    // The other server takes the same name at once, whole.
    let put = put_from(&b, "again", "cut.bin", &data, false);
    assert_eq!(put, 0);
    assert_same(&bucket.read("cut.bin"), &data, "the complete upload");
    // The dead server's unfinished upload stays in the store until a lifecycle rule (or an
    // operator) aborts it (docs/SCALING.md); it is never visible.
    assert_eq!(bucket.partials_named("cut.bin"), 1);
}

/// A server on a fresh prefix that reaches the store through a [`Relay`].
fn behind_relay() -> (Bucket, Relay, Server) {
    let bucket = Bucket::fresh();
    let relay = Relay::start(bucket.endpoint.trim_start_matches("http://"));
    let mut through_relay = Bucket::at(&bucket.prefix);
    through_relay.endpoint = relay.addr.clone();
    let server = Server::on_bucket(&through_relay, "");
    (bucket, relay, server)
}

#[test]
fn an_unreachable_store_is_a_clear_error_and_the_server_keeps_serving() {
    if !s3_available() {
        return;
    }
    let (_bucket, relay, s) = behind_relay();
    s.file("a.txt", b"before");
    assert!(s.nf(&["put", "a.txt"]).status.success());

    let fetch = s.dir.path().join("fetch");
    std::fs::create_dir(&fetch).unwrap();

    relay.cut();
    let ls = s.nf(&["ls"]);
    assert_fails(&ls, 5, "object store");
    assert!(stderr(&ls).contains("cannot connect"), "{}", stderr(&ls));
    assert!(
        !stderr(&ls).contains("Error performing"),
        "no request dump: {}",
        stderr(&ls)
    );
    let get = s.nf_in(&fetch, &["get", "a.txt"]);
    assert_eq!(get.status.code(), Some(5), "{}", stderr(&get));
    assert!(!fetch.join("a.txt").exists());
    s.file("b.txt", b"during");
    let put = s.nf(&["put", "b.txt"]);
    assert_eq!(put.status.code(), Some(5), "{}", stderr(&put));
    let json = s.nf(&["ls", "--json"]);
    assert!(stderr(&json).contains("unavailable") || stderr(&json).contains("object store"));

    relay.restore();
    // The same server, without a restart, serves again.
    assert_eq!(s.names(), ["a.txt"]);
    assert!(s.nf(&["put", "b.txt"]).status.success());
    let get = s.nf_in(&fetch, &["get", "a.txt"]);
    assert!(get.status.success(), "{}", stderr(&get));
    assert_eq!(std::fs::read(fetch.join("a.txt")).unwrap(), b"before");
}

#[test]
fn a_wrong_bucket_or_key_stops_nf_serve_with_a_clear_error() {
    if !s3_available() {
        return;
    }
    let bucket = Bucket::fresh();
    let serve = |store: &str, secret: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("none.toml"), "").unwrap();
        std::process::Command::new(NF)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--store",
                store,
                "--s3-endpoint",
                &bucket.endpoint,
            ])
            .env("NF_CONFIG", dir.path().join("none.toml"))
            .envs(s3_env().unwrap().vars.iter().cloned())
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .output()
            .unwrap()
    };
    let secret = s3_env().unwrap().var("AWS_SECRET_ACCESS_KEY").to_string();
    let missing = serve("s3://no-such-bucket-for-nf/x", &secret);
    assert_fails(&missing, 5, "NoSuchBucket");
    let denied = serve(
        &format!("s3://{}/{}", bucket.bucket, bucket.prefix),
        "wrong-secret",
    );
    assert_fails(&denied, 7, "access denied");
    let bad = serve("s3://Not_A_Bucket", &secret);
    assert_fails(&bad, 2, "bucket name");
}

/// `partial` from a `stat` of `name` through `server`.
fn partial_of(server: &Server, name: &str) -> u64 {
    let mut raw = server.raw();
    raw.send(format!("{}\n", serde_json::json!({"op": "stat", "name": name})).as_bytes());
    let stat = raw.json();
    assert!(stat["file"].is_null(), "nothing visible under the name: {stat}");
    stat["partial"].as_u64().unwrap()
}

#[test]
fn an_upload_cut_on_one_server_is_resumed_through_another_without_resending_its_parts() {
    if !s3_available() {
        return;
    }
    let (bucket, a, b) = two_servers();
    let data = random_bytes(40 << 20, 21);
    drop(start_put(&a, "movie.mkv", &data, 30 << 20));
    if !store_has(
        "part-etags",
        "the cut upload is aborted, and the resumed put sends the whole file",
    ) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !bucket.unfinished_uploads().is_empty() {
            assert!(Instant::now() < deadline, "the cut upload was never aborted");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(partial_of(&b, "movie.mkv"), 0);
        b.file("movie.mkv", &data);
        let resumed = b.nf(&["put", "--resume", "movie.mkv"]);
        assert!(resumed.status.success(), "{}", stderr(&resumed));
        let line = b.log_line(|l| l.contains(" put \"movie.mkv\""));
        assert!(line.contains(&format!(" {} ", 40 << 20)), "sent whole: {line}");
        assert_same(&bucket.read("movie.mkv"), &data, "the completed object");
        assert!(bucket.unfinished_uploads().is_empty());
        assert!(!bucket.keys().iter().any(|k| k.starts_with(".nf/parts/")));
        return;
    }
    // Three whole 8 MiB parts are stored; the 6 MiB after them were never sent to the store.
    let deadline = Instant::now() + Duration::from_secs(20);
    while partial_of(&b, "movie.mkv") != 24 << 20 {
        assert!(Instant::now() < deadline, "server b never saw the stored parts");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(bucket.names().is_empty(), "nothing visible while unfinished");
    b.file("movie.mkv", &data);
    let resumed = b.nf(&["put", "--resume", "movie.mkv"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let line = b.log_line(|l| l.contains(" put \"movie.mkv\""));
    assert!(
        line.contains(&format!(" {} ", 16 << 20)),
        "only the rest was sent: {line}"
    );
    assert_same(&bucket.read("movie.mkv"), &data, "the completed object");
    assert_eq!(a.ls()[0]["blake3"], blake3_hex(&data));
    assert!(bucket.unfinished_uploads().is_empty());
    assert!(
        !bucket.keys().iter().any(|k| k.starts_with(".nf/parts/")),
        "the part entries are gone: {:?}",
        bucket.keys()
    );
}

#[test]
fn a_throttling_store_is_retried_and_a_lasting_one_is_a_clear_error() {
    if !s3_available() {
        return;
    }
    let (bucket, relay, s) = behind_relay();
    s.file("a.txt", b"first");
    assert!(s.nf(&["put", "a.txt"]).status.success());

    // Three 503s in a row: retried with backoff, and the client never notices.
    let throttled = relay.throttle(3);
    assert_eq!(s.names(), ["a.txt"]);
    assert_eq!(
        throttled.load(Ordering::SeqCst),
        3,
        "the throttled requests were retried"
    );
    let throttled = relay.throttle(3);
    s.file("b.txt", b"second");
    let put = s.nf(&["put", "b.txt"]);
    assert!(put.status.success(), "{}", stderr(&put));
    assert_eq!(throttled.load(Ordering::SeqCst), 3);
    assert_eq!(bucket.read("b.txt"), b"second");

    // Throttled beyond the retries: a clear error with the store's code, and then service.
    relay.throttle(1000);
    let ls = s.nf(&["ls"]);
    assert_fails(&ls, 5, "SlowDown");
    relay.clear();
    assert_eq!(s.names(), ["a.txt", "b.txt"]);
}

#[test]
fn listing_thousands_of_files_costs_a_few_requests_not_one_per_file() {
    if !s3_available() {
        return;
    }
    let (bucket, relay, s) = behind_relay();
    // 2500 files put straight into the bucket by another tool (pages of 1000 keys).
    let files: Vec<(String, Vec<u8>)> = (0..2500)
        .map(|i| (format!("f{i:05}.txt"), format!("content {i}").into_bytes()))
        .collect();
    bucket.write_many(&files);
    // The first listing reads each file once to learn its hash (32 at a time), and records
    // it. Where that takes longer than nf waits (20 s), the server answers busy with the count
    // still to go, in time, the hashing goes on, and the client asks again while the count
    // falls: the user's one `ls` lists everything.
    // (s3s-fs hashes about 40 files a second here: four tries.)
    let out = s.nf(&["ls", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Each wait is one line: the files not hashed yet at that try, and how many are still
    // to go (never more than the try before).
    let mut last = usize::MAX;
    for line in stderr(&out).lines() {
        let to_go = line
            .strip_prefix("nf: waiting: ")
            .filter(|l| l.contains(" files stored by another tool "))
            .and_then(|l| l.strip_suffix(" still to go)"))
            .and_then(|l| l.rsplit_once("being hashed for the first time ("))
            .and_then(|(_, n)| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("{line}"));
        assert!(to_go <= last, "{line}");
        last = to_go;
    }
    let first: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(first.len(), files.len());
    let before = relay.requests.load(Ordering::SeqCst);
    let listed = s.ls();
    let used = relay.requests.load(Ordering::SeqCst) - before;
    assert_eq!(listed.len(), files.len());
    for (entry, (name, content)) in listed.iter().zip(&files) {
        assert_eq!(entry["name"], name.as_str());
        assert_eq!(entry["size"], content.len() as u64);
        assert_eq!(entry["blake3"], blake3_hex(content));
    }
    assert!(used >= 2, "the relay saw the listing ({used} requests)");
    // Every hash entry was written once and kept.
    let entries = bucket
        .keys()
        .iter()
        .filter(|k| k.starts_with(".nf/sums/"))
        .count();
    assert_eq!(entries, files.len());
    if store_has(
        "list-etags",
        "one HEAD per file besides the listings, and the hash entries kept",
    ) {
        // Two listings (the hash entries, then the files) of 3 pages each.
        assert!(used <= 6, "{used} requests to list {} files", files.len());
    } else {
        assert!(
            used <= 6 + files.len() as u32,
            "{used} requests to list {} files",
            files.len()
        );
    }
}

#[test]
fn many_uploads_at_once_stay_within_the_servers_upload_memory_and_all_complete() {
    if !s3_available() {
        return;
    }
    let bucket = Bucket::fresh();
    // Room for two 8 MiB parts server-wide; eight 20 MiB uploads would want 8 × 24 MiB.
    let s = Server::on_bucket(&bucket, "store.buffer_bytes = \"16 MiB\"");
    let files: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("u{i}.bin"), random_bytes(20 << 20, 500 + i)))
        .collect();
    for (name, data) in &files {
        s.file(name, data);
    }
    let codes: Vec<Option<i32>> = std::thread::scope(|scope| {
        let runs: Vec<_> = files
            .iter()
            .map(|(name, _)| scope.spawn(|| s.nf(&["put", name]).status.code()))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert!(
        codes.iter().all(|c| *c == Some(0)),
        "every upload completes: {codes:?}"
    );
    for (name, data) in &files {
        assert_same(&bucket.read(name), data, name);
    }
    let peak_mib = s.peak_kib() / 1024;
    // Measured here: 45 MiB, against 190 MiB with room for everything (1 GiB).
    assert!(
        peak_mib < 80,
        "server peak {peak_mib} MiB with 16 MiB of upload room"
    );
}

/// `size` pseudo-random bytes put through `server` as `name`; the exit code.
fn put_bytes(server: &Server, name: &str, data: &[u8]) -> i32 {
    server.file(name, data);
    let put = server.nf(&["put", name]);
    put.status.code().unwrap()
}

#[test]
fn a_put_whose_reply_was_lost_is_stored_and_not_reported_as_existing() {
    if !s3_available() {
        return;
    }
    let (bucket, relay, s) = behind_relay();
    // The store stores the file and its answer is lost; the retry is refused (412), and what
    // the store holds decides: this upload, so the put succeeded.
    let small = random_bytes(1000, 31);
    let lost = relay.inject("PUT", "/small.bin", true, Fault::LoseReply, 1);
    s.file("small.bin", &small);
    let put = s.nf(&["put", "small.bin"]);
    assert!(
        put.status.success(),
        "{}\n{}",
        stderr(&put),
        s.log.lock().unwrap()
    );
    assert_eq!(
        lost.load(Ordering::SeqCst),
        1,
        "the reply of the single PUT was lost"
    );
    assert_eq!(bucket.read("small.bin"), small);
    // The same for a multipart completion (sent by nf itself).
    let big = random_bytes(17 << 20, 32);
    let lost = relay.inject("POST", "uploadId=", true, Fault::LoseReply, 1);
    assert_eq!(put_bytes(&s, "big.bin", &big), 0);
    assert_eq!(
        lost.load(Ordering::SeqCst),
        1,
        "the reply of the completion was lost"
    );
    assert_same(&bucket.read("big.bin"), &big, "the completed object");
    let listed = s.ls();
    assert_eq!(listed[0]["name"], "big.bin");
    assert_eq!(listed[0]["blake3"], blake3_hex(&big));
    assert_eq!(listed[1]["blake3"], blake3_hex(&small));
    assert!(bucket.unfinished_uploads().is_empty());
    let line = s.log_line(|l| l.contains(" put \"big.bin\""));
    assert!(line.ends_with(" ok"), "{line}");
    // A put of another content under a stored name is still refused.
    assert_eq!(put_bytes(&s, "small.bin", b"other"), 4);
    assert_eq!(bucket.read("small.bin"), small);
}

#[test]
fn a_conflict_on_completion_is_retried_and_a_lasting_one_asks_to_put_again() {
    if !s3_available() {
        return;
    }
    let (bucket, relay, s) = behind_relay();
    let conflict = Fault::Answer(409, "ConditionalRequestConflict");
    let data = random_bytes(17 << 20, 41);
    let hits = relay.inject("POST", "uploadId=", true, conflict, 2);
    assert_eq!(put_bytes(&s, "a.bin", &data), 0);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "two 409s, then the completion went through"
    );
    assert_same(&bucket.read("a.bin"), &data, "the completed object");

    // A conflict that lasts past the retries: nothing stored, the upload aborted, and the
    // user told to put the file again (exit 5, busy).
    let hits = relay.inject("POST", "uploadId=", true, conflict, 1000);
    s.file("b.bin", &data);
    let put = s.nf(&["put", "b.bin"]);
    assert_fails(&put, 5, "ConditionalRequestConflict");
    assert!(stderr(&put).contains("put it again"), "{}", stderr(&put));
    assert_eq!(hits.load(Ordering::SeqCst), 5, "the first try and four retries");
    relay.clear();
    assert_eq!(bucket.names(), ["a.bin"]);
    assert!(bucket.unfinished_uploads().is_empty(), "the upload was aborted");
    assert!(s
        .log_line(|l| l.contains(" put \"b.bin\""))
        .contains("error busy"));
    // Sent again, it is stored.
    assert_eq!(put_bytes(&s, "b.bin", &data), 0);
    assert_same(&bucket.read("b.bin"), &data, "the object put again");
}

#[test]
fn the_requests_nf_signs_itself_are_retried_on_500_and_slow_down() {
    if !s3_available() {
        return;
    }
    let (bucket, relay, s) = behind_relay();
    // The conditional completion: two 500s and a 503 SlowDown, then through.
    let data = random_bytes(17 << 20, 51);
    let errors = relay.inject("POST", "uploadId=", false, Fault::Answer(500, "InternalError"), 2);
    let slow = relay.inject("POST", "uploadId=", false, Fault::Answer(503, "SlowDown"), 1);
    assert_eq!(put_bytes(&s, "done.bin", &data), 0);
    assert_eq!(
        (errors.load(Ordering::SeqCst), slow.load(Ordering::SeqCst)),
        (2, 1)
    );
    assert_same(&bucket.read("done.bin"), &data, "the completed object");

    // ListParts, which a stat (and so a resumed put) sends for each unfinished upload.
    if !store_has("part-etags", "nothing: nf sends no ListParts to this store") {
        return;
    }
    let cut = random_bytes(40 << 20, 52);
    drop(start_put(&s, "cut.bin", &cut, 30 << 20));
    let deadline = Instant::now() + Duration::from_secs(20);
    while partial_of(&s, "cut.bin") != 24 << 20 {
        assert!(Instant::now() < deadline, "the cut upload's parts never showed");
        std::thread::sleep(Duration::from_millis(20));
    }
    let errors = relay.inject("GET", "uploadId=", false, Fault::Answer(500, "InternalError"), 2);
    let slow = relay.inject("GET", "uploadId=", false, Fault::Answer(503, "SlowDown"), 1);
    assert_eq!(partial_of(&s, "cut.bin"), 24 << 20);
    assert_eq!(
        (errors.load(Ordering::SeqCst), slow.load(Ordering::SeqCst)),
        (2, 1)
    );
    // Throttled past the retries: a clear error with the store's code.
    relay.inject("GET", "uploadId=", false, Fault::Answer(503, "SlowDown"), 1000);
    s.file("cut.bin", &cut);
    let resumed = s.nf(&["put", "--resume", "cut.bin"]);
    assert_fails(&resumed, 5, "SlowDown");
    relay.clear();
    let resumed = s.nf(&["put", "--resume", "cut.bin"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_same(&bucket.read("cut.bin"), &cut, "the resumed object");
}

#[test]
fn a_download_whose_answer_is_another_version_sends_no_byte() {
    if !s3_available() {
        return;
    }
    let (_bucket, relay, s) = behind_relay();
    let data = random_bytes(100_000, 61);
    assert_eq!(put_bytes(&s, "swap.bin", &data), 0);
    // The store serves another version than the one pinned (as a store that ignores If-Match
    // does when the file is replaced between nf's HEAD and its GET).
    let hits = relay.inject("GET", "/swap.bin", false, Fault::OtherVersion, 1);
    let fetch = s.dir.path().join("fetch");
    std::fs::create_dir(&fetch).unwrap();
    let get = s.nf_in(&fetch, &["get", "swap.bin"]);
    assert_fails(&get, 5, "was replaced while it was being opened");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert!(!fetch.join("swap.bin").exists());
    let line = s.log_line(|l| l.contains(" get \"swap.bin\""));
    assert!(
        line.contains(" get \"swap.bin\" 0 ") && line.contains("error busy"),
        "{line}"
    );
    // Asked again, it is served.
    let get = s.nf_in(&fetch, &["get", "swap.bin"]);
    assert!(get.status.success(), "{}", stderr(&get));
    assert_eq!(std::fs::read(fetch.join("swap.bin")).unwrap(), data);
}

#[test]
fn a_listing_that_waits_for_slow_hashing_is_answered_busy_in_time_and_the_client_asks_again() {
    if !s3_available() {
        return;
    }
    let (bucket, relay, s) = behind_relay();
    // Another tool stored a file, and reading it takes the store 25 s: longer than nf waits
    // for a hash (20 s). The server answers busy within the client's idle timeout (60 s),
    // saying one file is still to go; the client says why it waits and asks again, and the
    // second answer, once the hashing is done, is the listing.
    bucket.write("slow.bin", b"stored by another tool");
    relay.inject("GET", "/slow.bin", false, Fault::Stall(25_000), 1);
    let ls = s.nf(&["ls", "--json"]);
    assert!(ls.status.success(), "{}", stderr(&ls));
    assert_eq!(
        stderr(&ls),
        "nf: waiting: \"slow.bin\" was stored by another tool and is being hashed for the first \
         time (1 still to go)\n"
    );
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&ls.stdout).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "slow.bin");
    assert_eq!(listed[0]["blake3"], blake3_hex(b"stored by another tool"));
    // The server logged the first answer as busy, in time, and the second as served.
    let busy = s.log_line(|l| l.contains(" list ") && l.contains("error busy"));
    assert!(busy.contains("still to go"), "{busy}");
    s.log_line(|l| l.contains(" list ") && l.contains(" ok"));
}
