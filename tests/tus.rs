//! tus 1.0 resumable uploads on nf's port (docs/PROTOCOL.md, "Resumable uploads (tus)"):
//! tuspy (from PyPI) resumes a 64 MiB upload across a SIGKILL of the server; curl drives
//! the checksum, offset and termination rules; and the rights of a PUT hold at creation and
//! at every PATCH, for anonymous, a reader, a writer, another writer and a drop folder, with
//! the store checked after each refusal. Every test runs against the bucket too
//! (`NF_TEST_STORE=s3`).

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use common::*;

const TUS: &str = "Tus-Resumable: 1.0.0";
const CHUNK: &str = "Content-Type: application/offset+octet-stream";
const MIB: usize = 1 << 20;

/// The tuspy version the tests use, installed into a venv under ~/.cache/nf-ci on first use.
const TUSPY: &str = "tuspy==1.1.0";

/// The Python of a venv holding tuspy (made once per test process, as the bucket's is).
fn tuspy_python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let home = std::env::var("HOME").expect("HOME is set");
            let venv = PathBuf::from(home).join(".cache/nf-ci/tuspy-1.1.0");
            let python = venv.join("bin/python");
            let has = |p: &PathBuf| {
                Command::new(p)
                    .args(["-c", "import tusclient"])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !has(&python) {
                let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status();
                assert!(made.is_ok_and(|s| s.success()), "python3 -m venv (python3-venv)");
                let pip = Command::new(venv.join("bin/pip"))
                    .args(["install", "-q", "--disable-pip-version-check", TUSPY])
                    .status();
                assert!(pip.is_ok_and(|s| s.success()), "pip install {TUSPY}");
            }
            assert!(has(&python), "tuspy imports in {}", venv.display());
            python
        })
        .clone()
}

/// The tuspy client the resume test runs: creates the upload of FILE as NAME in the folder
/// URL, prints the upload's URL, then uploads in CHUNK-byte chunks; on a failed request it
/// asks the server's offset (HEAD) and goes on from there, for a while.
const TUSPY_UPLOAD: &str = r#"
import sys
from tusclient import client
sys.setrecursionlimit(20000)
folder, path, name, chunk = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
up = client.TusClient(folder).uploader(path, chunk_size=chunk, metadata={"filename": name},
                                       retries=600, retry_delay=0.5, store_url=False)
up.set_url(up.create_url())
print(up.url, flush=True)
up.upload()
print("offset", up.offset, flush=True)
"#;

/// `n` bytes that differ from any other test's (a BLAKE3 output stream of `seed`).
fn content(n: usize, seed: &str) -> Vec<u8> {
    let mut out = vec![0; n];
    blake3::Hasher::new()
        .update(seed.as_bytes())
        .finalize_xof()
        .fill(&mut out);
    out
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// curl's arguments to log in as `user` (with [`PASSWORD`]); none for anonymous.
fn login(user: Option<&str>) -> Vec<String> {
    match user {
        Some(user) => vec!["-u".into(), format!("{user}:{PASSWORD}")],
        None => Vec::new(),
    }
}

/// `POST` of the folder `dir` (`/d/`) creating an upload of `name`, `length` bytes, with the
/// extra `args`: the status, the fields and the body.
fn create(
    s: &Server,
    dir: &str,
    name: &str,
    length: usize,
    args: &[String],
) -> (u16, Vec<(String, String)>, String) {
    let meta = format!("Upload-Metadata: filename {}", b64(name));
    create_as(s, dir, (TUS, &meta), length, args)
}

/// [`create`] with these `Tus-Resumable` and `Upload-Metadata` fields.
fn create_as(
    s: &Server,
    dir: &str,
    (version, meta): (&str, &str),
    length: usize,
    args: &[String],
) -> (u16, Vec<(String, String)>, String) {
    let length = format!("Upload-Length: {length}");
    let mut all = vec!["-X", "POST", "-H", version, "-H", &length, "-H", meta];
    all.extend(args.iter().map(String::as_str));
    curl_response(s, dir, &all)
}

/// Creates an upload that must be accepted; its URL path (the `Location`).
fn created(s: &Server, dir: &str, name: &str, length: usize, args: &[String]) -> String {
    let meta = format!("Upload-Metadata: filename {}", b64(name));
    created_as(s, dir, &meta, length, args)
}

/// [`created`] with this `Upload-Metadata` field.
fn created_as(s: &Server, dir: &str, meta: &str, length: usize, args: &[String]) -> String {
    let (status, fields, body) = create_as(s, dir, (TUS, meta), length, args);
    assert_eq!(status, 201, "{body}");
    assert_eq!(field(&fields, "upload-offset"), Some("0"));
    assert!(
        field(&fields, "upload-expires").is_some_and(|e| e.ends_with(" GMT")),
        "{fields:?}"
    );
    field(&fields, "location").expect("Location").to_string()
}

/// `PATCH` of `data` at `offset` to the upload at `url`, with the extra `args`.
fn patch(
    s: &Server,
    url: &str,
    offset: usize,
    data: &[u8],
    args: &[String],
) -> (u16, Vec<(String, String)>, String) {
    let file = s.work.join(format!("chunk-{offset}-{}", data.len()));
    std::fs::write(&file, data).unwrap();
    let mut all: Vec<String> = vec![
        "-X".into(),
        "PATCH".into(),
        "-H".into(),
        TUS.into(),
        "-H".into(),
        CHUNK.into(),
        "-H".into(),
        "Expect:".into(),
        "-H".into(),
        format!("Upload-Offset: {offset}"),
        "--data-binary".into(),
        format!("@{}", file.display()),
    ];
    all.extend(args.iter().cloned());
    let answer = curl_response(s, url, &all.iter().map(String::as_str).collect::<Vec<_>>());
    std::fs::remove_file(file).unwrap();
    answer
}

/// The upload's offset as HEAD tells it, or the refusal's status.
fn offset_of(s: &Server, url: &str, args: &[String]) -> Result<u64, u16> {
    let mut all: Vec<&str> = vec!["-I", "-H", TUS];
    all.extend(args.iter().map(String::as_str));
    let (status, fields, _) = curl_response(s, url, &all);
    if status != 200 {
        return Err(status);
    }
    assert_eq!(field(&fields, "cache-control"), Some("no-store"));
    Ok(field(&fields, "upload-offset")
        .expect("Upload-Offset")
        .parse()
        .unwrap())
}

fn sha1_b64(data: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// The bytes each `PATCH 204` line of the log after the last start-up moved, summed.
fn patched_since_start(s: &Server) -> u64 {
    let log = s.log.lock().unwrap().clone();
    let since = log.rsplit(" listening on ").next().unwrap_or("");
    since
        .lines()
        .filter(|l| l.contains(" PATCH 204 "))
        .filter_map(|l| l.split_whitespace().nth(5)?.parse::<u64>().ok())
        .sum()
}

/// How many parts of an unfinished upload the bucket holds from the first on without a gap
/// (their entries, `N.SIZE.ETAG.CV`, numbered from 1): only those count when it is resumed.
/// Parts go up several at a time and may land out of order.
fn stored_parts(bucket: &Bucket) -> usize {
    let numbers: std::collections::BTreeSet<u64> = bucket
        .keys()
        .iter()
        .filter(|k| k.starts_with(".nf/parts/"))
        .filter_map(|k| {
            let leaf = k.rsplit('/').next()?;
            let words: Vec<&str> = leaf.split('.').collect();
            (words.len() == 4).then(|| words[0].parse().ok()).flatten()
        })
        .collect();
    (1..).take_while(|n| numbers.contains(n)).count()
}

/// The issue's test: tuspy uploads 64 MiB in 4 MiB chunks; once the server holds 24 MiB of
/// it, the server is killed (SIGKILL) and started again on the same storage and port; the
/// client asks the offset and continues from there, not from 0, and the file arrives whole.
#[test]
fn tuspy_resumes_an_upload_across_a_sigkill_of_the_server_and_the_file_arrives_whole() {
    let python = tuspy_python();
    let mut s = Server::start();
    let data = content(64 * MIB, "tuspy 64 MiB");
    let path = s.file("big.bin", &data);
    let mut client = Command::new(python)
        .args(["-c", TUSPY_UPLOAD])
        .arg(format!("http://{}/up/", s.addr))
        .arg(&path)
        .arg("big.bin")
        .arg((4 * MIB).to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(client.stdout.take().unwrap());
    let mut url = String::new();
    out.read_line(&mut url).unwrap();
    let url = url
        .trim()
        .strip_prefix(&format!("http://{}", s.addr))
        .expect("the upload's URL")
        .to_string();
    assert!(url.starts_with("/up/big.bin?tus="), "{url}");
    // In a bucket only whole parts (8 MiB here) outlive the server: two of them at least.
    let mut seen = 0;
    let reached = wait_until(Duration::from_secs(300), || {
        seen = offset_of(&s, &url, &[]).unwrap_or(0);
        seen >= 24 * MIB as u64 && s.bucket.as_ref().is_none_or(|b| stored_parts(b) >= 2)
    });
    assert!(reached, "the upload reached {seen} bytes only");
    s.kill();
    s.spawn();
    let finished = wait_exit(&mut client, Duration::from_secs(600));
    let mut said = String::new();
    std::io::Read::read_to_string(&mut out, &mut said).unwrap();
    assert!(finished.is_some_and(|st| st.success()), "tuspy: {said} {}", {
        let mut err = String::new();
        let _ = std::io::Read::read_to_string(&mut client.stderr.take().unwrap(), &mut err);
        err
    });
    assert_eq!(said.trim(), format!("offset {}", 64 * MIB));
    let resent = patched_since_start(&s);
    assert!(
        resent > 0 && resent <= (64 - 16) * MIB as u64,
        "after the restart {resent} bytes were sent: the upload did not continue from the server's offset"
    );
    assert!(s.read_stored("up/big.bin") == data, "the stored file differs");
    assert!(s.partials().is_empty(), "{:?}", s.partials());
    // Complete: its offset is its length, and a further chunk is refused.
    assert_eq!(offset_of(&s, &url, &[]), Ok(64 * MIB as u64));
}

/// A chunk whose `Upload-Checksum` does not match is refused with 460 and nothing is
/// appended; a chunk at another offset than the upload's is refused with 409; with the right
/// checksum and offset the upload completes, checked against the `blake3` of its metadata.
#[test]
fn a_wrong_checksum_is_460_a_wrong_offset_409_and_nothing_is_appended() {
    let s = Server::start();
    let data = content(3 * MIB, "checksums");
    let digest = blake3::hash(&data).to_hex().to_string();
    let meta = format!(
        "Upload-Metadata: filename {},blake3 {}",
        b64("c.bin"),
        b64(&digest)
    );
    let url = created_as(&s, "/", &meta, data.len(), &[]);
    let first = &data[..MIB];
    let sum = |d: &[u8]| vec!["-H".to_string(), format!("Upload-Checksum: sha1 {}", sha1_b64(d))];
    let (status, fields, body) = patch(&s, &url, 0, first, &sum(first));
    assert_eq!(status, 204, "{body}");
    assert_eq!(field(&fields, "upload-offset"), Some("1048576"));

    let second = &data[MIB..2 * MIB];
    let (status, _, body) = patch(&s, &url, MIB, second, &sum(b"something else"));
    assert_eq!(status, 460, "{body}");
    assert!(
        body.contains("does not match its Upload-Checksum; nothing was appended"),
        "{body}"
    );
    assert_eq!(offset_of(&s, &url, &[]), Ok(MIB as u64));
    let (status, _, body) = patch(&s, &url, 2 * MIB, second, &[]);
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("the upload holds 1048576 bytes, not 2097152"),
        "{body}"
    );
    let unknown = vec!["-H".to_string(), "Upload-Checksum: md5 AAAA".to_string()];
    let (status, _, body) = patch(&s, &url, MIB, second, &unknown);
    assert_eq!(status, 400, "{body}");
    assert_eq!(offset_of(&s, &url, &[]), Ok(MIB as u64));
    assert!(
        !s.stored().contains(&"c.bin".to_string()),
        "nothing is visible before the end"
    );

    let (status, _, body) = patch(&s, &url, MIB, second, &sum(second));
    assert_eq!(status, 204, "{body}");
    let rest = &data[2 * MIB..];
    let sha256 = ring::digest::digest(&ring::digest::SHA256, rest);
    let sum256 = format!(
        "Upload-Checksum: sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(sha256.as_ref())
    );
    let (status, fields, body) = patch(&s, &url, 2 * MIB, rest, &["-H".into(), sum256]);
    assert_eq!(status, 204, "{body}");
    assert_eq!(field(&fields, "upload-offset"), Some("3145728"));
    assert_eq!(
        field(&fields, "upload-expires"),
        None,
        "a complete upload does not expire"
    );
    assert!(s.read_stored("c.bin") == data);
    let (status, _, _) = patch(&s, &url, 3 * MIB, b"x", &[]);
    assert_eq!(status, 413, "past its length");
}

/// A file whose content does not match the `blake3` of its metadata is not stored.
#[test]
fn an_upload_that_does_not_match_its_metadata_digest_is_not_stored() {
    let s = Server::start();
    let data = content(1000, "digest");
    let wrong = blake3::hash(b"other").to_hex().to_string();
    let meta = format!(
        "Upload-Metadata: filename {},blake3 {}",
        b64("d.bin"),
        b64(&wrong)
    );
    let url = created_as(&s, "/", &meta, data.len(), &[]);
    let (status, _, body) = patch(&s, &url, 0, &data, &[]);
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("does not match its BLAKE3; nothing was stored"),
        "{body}"
    );
    assert!(s.stored().is_empty(), "{:?}", s.stored());
    assert!(s.partials().is_empty(), "{:?}", s.partials());
}

/// DELETE terminates an upload: its partial is removed from the store, and its URL then
/// answers 404 to HEAD and PATCH.
#[test]
fn termination_removes_the_partial_and_the_url_is_gone() {
    let s = Server::start();
    let data = content(20 * MIB, "terminate");
    let url = created(&s, "/", "t.bin", data.len(), &[]);
    let (status, _, body) = patch(&s, &url, 0, &data[..9 * MIB], &[]);
    assert_eq!(status, 204, "{body}");
    // A bucket keeps whole parts only once stored: wait for one to be there.
    assert!(
        wait_until(Duration::from_secs(30), || !s.partials().is_empty()),
        "a partial is kept"
    );
    let (status, fields, body) = curl_response(&s, &url, &["-X", "DELETE", "-H", TUS]);
    assert_eq!(status, 204, "{body}");
    assert_eq!(field(&fields, "tus-resumable"), Some("1.0.0"));
    assert!(
        wait_until(Duration::from_secs(30), || s.partials().is_empty()),
        "{:?}",
        s.partials()
    );
    assert_eq!(offset_of(&s, &url, &[]), Err(404));
    let (status, _, body) = patch(&s, &url, 9 * MIB, b"more", &[]);
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("was terminated"), "{body}");
    assert!(s.stored().is_empty(), "{:?}", s.stored());
}

/// OPTIONS tells the version, extensions, largest size and checksum algorithms; a tus request
/// of another version is refused (412); an upload of 0 bytes is complete at its creation; the
/// body of a creation is its first chunk (creation-with-upload).
#[test]
fn options_creation_with_upload_and_an_empty_file() {
    let s = Server::start();
    let (status, fields, _) = curl_response(&s, "/", &["-X", "OPTIONS", "-H", TUS]);
    assert_eq!(status, 204);
    assert_eq!(field(&fields, "tus-version"), Some("1.0.0"));
    assert_eq!(
        field(&fields, "tus-extension"),
        Some("creation,creation-with-upload,termination,expiration,checksum")
    );
    assert_eq!(field(&fields, "tus-max-size"), Some("1099511627776"));
    assert!(field(&fields, "tus-checksum-algorithm").is_some_and(|a| a.split(',').any(|x| x == "sha1")));
    let meta = format!("Upload-Metadata: filename {}", b64("v.bin"));
    let (status, fields, _) = create_as(&s, "/", ("Tus-Resumable: 0.2.2", &meta), 1, &[]);
    assert_eq!(status, 412);
    assert_eq!(field(&fields, "tus-version"), Some("1.0.0"));
    let (status, _, body) = create(
        &s,
        "/",
        "v.bin",
        1,
        &["-H".into(), "Upload-Defer-Length: 1".into()],
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Upload-Defer-Length is not supported"), "{body}");

    let (status, _, _) = create(&s, "/", "empty.txt", 0, &[]);
    assert_eq!(status, 201);
    assert_eq!(s.read_stored("empty.txt"), b"");

    let data = content(5000, "with upload");
    let file = s.file("first.bin", &data[..3000]);
    let body = format!("@{}", file.display());
    let args = ["-H", CHUNK, "--data-binary", body.as_str()].map(String::from);
    let (status, fields, body) = create(&s, "/d/", "w.bin", data.len(), &args);
    assert_eq!(status, 201, "{body}");
    assert_eq!(field(&fields, "upload-offset"), Some("3000"));
    let url = field(&fields, "location").unwrap().to_string();
    assert!(url.starts_with("/d/w.bin?tus="), "{url}");
    let receipt = vec!["-H".to_string(), "NF-Receipt: 1".to_string()];
    let (status, _, body) = patch(&s, &url, 3000, &data[3000..], &receipt);
    assert_eq!(status, 200, "the receipt asked for is the body: {body}");
    let receipt: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(receipt["path"], "d/w.bin");
    assert_eq!(receipt["blake3"], blake3::hash(&data).to_hex().as_str());
    assert!(s.read_stored("d/w.bin") == data);
}

/// The users of [`rights_server`], all with this password.
const PASSWORD: &str = "tus tus tus";

/// A server with users `reader` (read everything), `writer` and `other` (write under `up`,
/// `writer` also under `small`, at most 1 KiB a file, and `quota`, 2 KiB in all) and a drop
/// folder `drop` (write only, for everyone); `up/keep.txt` and `drop/old.txt` are stored.
fn rights_server() -> (Server, tempfile::TempDir) {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("access.toml");
    std::fs::write(&file, rules_text(r#""writer", "other""#)).unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let s = Server::with_config(&format!("access_file = {:?}\n", file.to_str().unwrap()));
    place(&s, "up/keep.txt", b"KEEP");
    place(&s, "drop/old.txt", b"OLD");
    (s, rules)
}

/// The access file of [`rights_server`], with `up_writers` (a TOML list's items) writing in `up`.
fn rules_text(up_writers: &str) -> String {
    let hash = nf::service::password::hash(PASSWORD).unwrap();
    let mut text = String::new();
    for user in ["reader", "writer", "other"] {
        text.push_str(&format!("[users.{user}]\npassword = {hash:?}\n\n"));
    }
    let write = r#"["list", "read", "write", "overwrite", "delete"]"#;
    for (who, path, rights, extra) in [
        (r#""reader""#, "/", r#"["list", "read"]"#, ""),
        (up_writers, "/up", write, ""),
        (r#""writer""#, "/small", write, "max_file_size = \"1 KiB\"\n"),
        (r#""writer""#, "/quota", write, "quota = \"2 KiB\"\n"),
        (r#""*""#, "/drop", r#"["write"]"#, ""),
    ] {
        text.push_str(&format!(
            "[[allow]]\nwho = [{who}]\npath = {path:?}\nrights = {rights}\n{extra}\n"
        ));
    }
    text
}

/// An upload of 8 bytes of `name` in `up` by `who` (curl's login arguments), holding `1234`.
fn half_uploaded(s: &Server, name: &str, who: &[String]) -> String {
    let url = created(s, "/up/", name, 8, who);
    let (status, _, body) = patch(s, &url, 0, b"1234", who);
    assert_eq!(status, 204, "{body}");
    url
}

/// The rights are asked at every request, as they are then: a writer whose right is taken
/// away by an edit of the access file mid-upload can neither append nor ask the offset, and
/// the store keeps nothing of the refused chunk.
#[test]
fn an_access_file_reload_mid_upload_applies_to_the_next_request() {
    let (s, rules) = rights_server();
    let writer = login(Some("writer"));
    let url = half_uploaded(&s, "cut.bin", &writer);
    std::fs::write(rules.path().join("access.toml"), rules_text(r#""other""#)).unwrap();
    s.log_line_within(Duration::from_secs(30), |l| l.contains("reloaded: 3 users"));
    let before = tree(&s);
    let (status, _, body) = patch(&s, &url, 4, b"5678", &writer);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("writer"), "{body}");
    assert_eq!(offset_of(&s, &url, &writer), Err(403));
    assert_eq!(tree(&s), before);
    assert!(!before.contains_key("up/cut.bin"));
}

/// Creation asks the rights and limits of a PUT: anonymous without a right is asked to log
/// in (401), a reader is refused (403), a file over a rule's size limit (413) or quota (507)
/// is refused before any byte; the store is unchanged after each.
#[test]
fn creation_without_the_right_or_over_a_limit_is_refused_and_nothing_is_stored() {
    let (s, _rules) = rights_server();
    let before = tree(&s);
    for (who, dir, length, status) in [
        (None, "/up/", 10, 401),
        (Some("reader"), "/up/", 10, 403),
        (Some("other"), "/small/", 10, 403),
        (Some("writer"), "/small/", 1025, 413),
        (Some("writer"), "/quota/", 2049, 507),
    ] {
        let (got, _, body) = create(&s, dir, "new.bin", length, &login(who));
        assert_eq!(got, status, "{who:?} creating {length} bytes in {dir}: {body}");
        assert_unchanged(&s, &before, (who, dir));
    }
    // Within the limits, the same creations go.
    for (who, dir) in [
        (Some("writer"), "/small/"),
        (Some("writer"), "/quota/"),
        (Some("other"), "/up/"),
    ] {
        let url = created(&s, dir, "new.bin", 4, &login(who));
        let (status, _, body) = patch(&s, &url, 0, b"1234", &login(who));
        assert_eq!(status, 204, "{who:?} in {dir}: {body}");
    }
}

/// An upload's URL is good only for whoever created it: a changed ticket, another user's
/// URL, anonymous with a user's URL, or the URL of another name are refused (404, or 401 to
/// ask anonymous to log in) with the upload left as it was.
#[test]
fn a_forged_or_another_principals_upload_url_is_refused() {
    let (s, _rules) = rights_server();
    let writer = login(Some("writer"));
    let url = half_uploaded(&s, "mine.bin", &writer);
    let before = tree(&s);
    let (path, ticket) = url.split_once("?tus=").unwrap();
    let forged_length = format!("{path}?tus=9{}", ticket);
    let mut tag_changed = url.clone();
    let last = tag_changed.pop().unwrap();
    tag_changed.push(if last == '0' { '1' } else { '0' });
    let renamed = url.replace("mine.bin", "keep.txt");
    for (who, attempt) in [
        (Some("other"), url.as_str()),
        (Some("writer"), forged_length.as_str()),
        (Some("writer"), tag_changed.as_str()),
        (Some("writer"), renamed.as_str()),
    ] {
        let args = login(who);
        assert_eq!(offset_of(&s, attempt, &args), Err(404), "{who:?} {attempt}");
        let (status, _, body) = patch(&s, attempt, 4, b"5678", &args);
        assert_eq!(status, 404, "{who:?} {attempt}: {body}");
        let (status, _, _) = curl_response(
            &s,
            attempt,
            &[
                &["-X", "DELETE", "-H", TUS][..],
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
            ]
            .concat(),
        );
        assert_eq!(status, 404, "{who:?} DELETE {attempt}");
    }
    let (status, _, _) = patch(&s, &url, 4, b"5678", &[]);
    assert_eq!(status, 401, "anonymous is asked to log in");
    assert_eq!(tree(&s), before);
    assert_eq!(offset_of(&s, &url, &writer), Ok(4), "the upload is as it was");
    let (status, _, body) = patch(&s, &url, 4, b"5678", &writer);
    assert_eq!(status, 204, "{body}");
    assert_eq!(s.read_stored("up/mine.bin"), b"12345678");
}

/// In a drop folder (write only) a tus upload goes, and its URL answers HEAD (to resume) but
/// never gives the file back; a name taken there is not replaced (no `overwrite`).
#[test]
fn a_drop_folder_takes_a_tus_upload_that_cannot_be_read_back() {
    let (s, _rules) = rights_server();
    let url = created(&s, "/drop/", "in.bin", 6, &[]);
    let (status, _, body) = patch(&s, &url, 0, b"abc", &[]);
    assert_eq!(status, 204, "{body}");
    assert_eq!(offset_of(&s, &url, &[]), Ok(3));
    let (status, _, body) = patch(&s, &url, 3, b"def", &[]);
    assert_eq!(status, 204, "{body}");
    assert_eq!(s.read_stored("drop/in.bin"), b"abcdef");
    let (status, _, body) = curl_response(&s, &url, &[]);
    assert_eq!(status, 405, "GET of an upload's URL: {body}");
    let (status, _, body) = curl_response(&s, "/drop/in.bin", &[]);
    assert_eq!(status, 401, "the file is not read back: {body}");
    let before = tree(&s);
    let (status, _, body) = create(&s, "/drop/", "old.txt", 3, &[]);
    assert_eq!(status, 401, "no overwrite in a drop folder: {body}");
    assert_unchanged(&s, &before, "a creation over a taken name");
}

/// The requests and answers of docs/PROTOCOL.md's tus example, in order (`\r\n` unescaped).
fn documented_exchanges() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).unwrap();
    let block = doc
        .split("```tus-session\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("docs/PROTOCOL.md has a tus-session block");
    let mut exchanges: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        let text = line[3..].replace("\\r", "\r").replace("\\n", "\n");
        match &line[..3] {
            "C: " => {
                if exchanges.last().is_none_or(|(_, answer)| !answer.is_empty()) {
                    exchanges.push(Default::default());
                }
                exchanges.last_mut().unwrap().0.push_str(&text);
            }
            "S: " => exchanges.last_mut().expect("a request first").1.push_str(&text),
            other => panic!("tus-session lines start with `C: ` or `S: `, not {other:?}"),
        }
    }
    exchanges
}

/// docs/PROTOCOL.md's tus session is what the server answers, field for field (but `Date`
/// and `Server`, and the ticket and expiry, which differ from run to run).
#[test]
fn the_tus_example_of_docs_protocol_md_is_what_the_server_says() {
    let s = Server::start();
    let mut raw = Raw::connect(&s.addr);
    let mut ticket = String::new();
    for (request, expected) in documented_exchanges() {
        raw.send(request.replace("TICKET", &ticket).as_bytes());
        let mut got = String::new();
        // Bounded: the documented answers have a few fields and no body.
        for _ in 0..30 {
            let mut line = String::new();
            raw.reader.read_line(&mut line).unwrap();
            if line.starts_with("Date: ") || line.starts_with("Server: ") {
                continue;
            }
            if let Some(location) = line.strip_prefix("Location: ") {
                ticket = location
                    .trim_end()
                    .split_once("?tus=")
                    .expect("a ticket")
                    .1
                    .to_string();
            }
            if line.starts_with("Upload-Expires: ") {
                line = "Upload-Expires: EXPIRES\r\n".into();
            }
            match ticket.is_empty() {
                true => got.push_str(&line),
                false => got.push_str(&line.replace(&ticket, "TICKET")),
            }
            if line == "\r\n" {
                break;
            }
        }
        assert_eq!(got, expected, "the answer to {request:?}");
    }
    assert_eq!(s.read_stored("hello.txt"), b"hello world");
}
