//! HTTP on nf's port, driven by the tools people use: curl (every Range form, `-C -`, uploads
//! with and without a digest, chunked, `If-None-Match: *`, DELETE, 401/403, 304, HTTPS with a
//! pinned key), wget (`-c`), Python's http.client (keep-alive) and a raw socket (pipelining,
//! cut uploads, malformed and oversized heads). The JSON listing is compared with
//! `nf ls --json` byte for byte, and a tar of the folder is unpacked by tar.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Runs curl with `args` (silent, errors shown, bounded in time) in the work directory.
fn curl(s: &Server, args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "60"])
        .args(args)
        .current_dir(&s.work)
        .stdin(Stdio::null())
        .output()
        .expect("curl is installed (.ci/run installs it)")
}

fn url(s: &Server, path: &str) -> String {
    format!("http://{}{path}", s.addr)
}

/// The status and the response head (lower-case field names) of a curl run with `-D -`
/// (the body is sent elsewhere with `-o`), for the last response.
fn head_of(out: &Output) -> (u16, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text
        .split("\r\n\r\n")
        .filter(|h| h.starts_with("HTTP/"))
        .last()
        .unwrap_or_else(|| panic!("no response head in {text:?}; stderr {}", stderr(out)));
    let mut lines = last.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let fields = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, fields)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// `curl -D - -o FILE ARGS URL`: the status, the head, and the body written to FILE.
fn fetch(s: &Server, path: &str, args: &[&str]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let out_file = s.work.join("fetched.out");
    let _ = std::fs::remove_file(&out_file);
    let target = url(s, path);
    let mut all = vec!["-D", "-", "-o", out_file.to_str().unwrap()];
    all.extend_from_slice(args);
    all.push(&target);
    let out = curl(s, &all);
    assert!(out.status.success(), "curl {args:?} failed: {}", stderr(&out));
    let (status, fields) = head_of(&out);
    let body = std::fs::read(&out_file).unwrap_or_default();
    (status, fields, body)
}

/// The status curl reports (`-w %{http_code}`) and the body, for a request with `args`.
fn status_and_body(s: &Server, path: &str, args: &[&str]) -> (u16, String) {
    let target = url(s, path);
    let mut all = vec!["-w", "\n%{http_code}"];
    all.extend_from_slice(args);
    all.push(&target);
    let out = curl(s, &all);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        code.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{text:?} {}", stderr(&out))),
        body.to_string(),
    )
}

/// `curl -T` of `content` to `path` with one extra header field: status and body.
fn put_with(s: &Server, path: &str, content: &[u8], header: &str) -> (u16, String) {
    let local = s.file("put-with.bin", content);
    status_and_body(s, path, &["-T", local.to_str().unwrap(), "-H", header])
}

/// Puts `content` as `name` with the real client.
fn nf_put(s: &Server, name: &str, content: &[u8]) {
    s.file(name, content);
    let out = s.nf(&["put", "-f", name]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The RFC 9530 field value of `content`'s BLAKE3.
fn digest_of(content: &[u8]) -> String {
    use base64::Engine;
    format!(
        "blake3=:{}:",
        base64::engine::general_purpose::STANDARD.encode(blake3::hash(content).as_bytes())
    )
}

#[test]
fn get_and_head_give_the_bytes_with_length_type_time_etag_and_ranges() {
    let s = Server::start();
    let content = random_bytes(300_000, 1);
    nf_put(&s, "photo.jpg", &content);
    let (status, fields, body) = fetch(&s, "/photo.jpg", &[]);
    assert_eq!(status, 200);
    assert_same(&body, &content, "GET");
    assert_eq!(field(&fields, "content-length"), Some("300000"));
    assert_eq!(field(&fields, "content-type"), Some("image/jpeg"));
    assert_eq!(field(&fields, "accept-ranges"), Some("bytes"));
    let etag = format!("\"{}\"", blake3_hex(&content));
    assert_eq!(field(&fields, "etag"), Some(etag.as_str()));
    assert_eq!(field(&fields, "repr-digest"), Some(digest_of(&content).as_str()));
    let stored = &s.ls()[0];
    let modified = field(&fields, "last-modified").expect("Last-Modified");
    assert!(modified.ends_with(" GMT"), "{modified}");
    // The time is the listing's, in HTTP's form: 2026-11-29T13:35:21Z is Sun, 29 Nov 2026 13:35:21 GMT.
    let rfc3339 = stored["modified"].as_str().unwrap();
    assert!(modified.contains(&rfc3339[11..19]), "{modified} vs {rfc3339}");

    let out = curl(&s, &["-I", &url(&s, "/photo.jpg")]);
    let (status, head_fields) = head_of(&out);
    assert_eq!(status, 200);
    assert_eq!(field(&head_fields, "content-length"), Some("300000"));
    assert_eq!(field(&head_fields, "etag"), Some(etag.as_str()));
    // HEAD sends no body: the response ends with its head.
    assert!(out.stdout.ends_with(b"\r\n\r\n"));

    let (status, body) = status_and_body(&s, "/missing.txt", &[]);
    assert_eq!((status, body.as_str()), (404, "no file named \"missing.txt\"\n"));
    let line = s.log_line(|l| l.contains(" GET 404 \"missing.txt\""));
    assert!(
        line.ends_with("error not_found: no file named \"missing.txt\""),
        "{line}"
    );
    s.log_line(|l| l.contains(" GET 200 \"photo.jpg\" 300000 "));
    s.log_line(|l| l.contains(" HEAD 200 \"photo.jpg\" 0 "));
}

#[test]
fn every_range_form_is_answered_with_the_right_bytes_and_status() {
    let s = Server::start();
    let content = random_bytes(10_000, 2);
    nf_put(&s, "r.bin", &content);
    let etag = format!("\"{}\"", blake3_hex(&content));
    for (range, start, end) in [
        ("0-99", 0, 99),
        ("9000-", 9000, 9999),
        ("-300", 9700, 9999),
        ("9990-20000", 9990, 9999),
        ("-20000", 0, 9999),
        ("5-5", 5, 5),
    ] {
        let (status, fields, body) = fetch(&s, "/r.bin", &["-r", range]);
        assert_eq!(status, 206, "{range}");
        assert_same(&body, &content[start..=end], range);
        let expected = format!("bytes {start}-{end}/10000");
        assert_eq!(
            field(&fields, "content-range"),
            Some(expected.as_str()),
            "{range}"
        );
        assert_eq!(
            field(&fields, "content-length"),
            Some((end - start + 1).to_string().as_str())
        );
    }
    // Past the end: 416 with the size.
    let (status, fields, _) = fetch(&s, "/r.bin", &["-r", "10000-"]);
    assert_eq!(status, 416);
    assert_eq!(field(&fields, "content-range"), Some("bytes */10000"));
    // Several ranges: the whole file, 200.
    let (status, _, body) = fetch(&s, "/r.bin", &["-r", "0-9,20-29"]);
    assert_eq!(status, 200);
    assert_same(&body, &content, "several ranges");
    // If-Range: the range only while the file is still the one named.
    let (status, _, body) = fetch(&s, "/r.bin", &["-r", "0-9", "-H", &format!("If-Range: {etag}")]);
    assert_eq!((status, body.as_slice()), (206, &content[..10]));
    let (status, _, body) = fetch(&s, "/r.bin", &["-r", "0-9", "-H", "If-Range: \"another\""]);
    assert_eq!(status, 200);
    assert_same(&body, &content, "a failed If-Range");
}

#[test]
fn curl_and_wget_resume_a_download_from_what_they_have() {
    let s = Server::start();
    let content = random_bytes(3 << 20, 3);
    nf_put(&s, "big.iso", &content);
    let local = s.work.join("down.iso");
    std::fs::write(&local, &content[..1_234_567]).unwrap();
    let out = curl(
        &s,
        &["-C", "-", "-o", local.to_str().unwrap(), &url(&s, "/big.iso")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&std::fs::read(&local).unwrap(), &content, "curl -C -");
    s.log_line(|l| l.contains(" GET 206 \"big.iso\" 1911161 "));

    let dir = s.work.join("wget");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.iso"), &content[..777_777]).unwrap();
    let out = Command::new("wget")
        .args(["-q", "-c", "--tries=1", "--timeout=30", &url(&s, "/big.iso")])
        .current_dir(&dir)
        .output()
        .expect("wget is installed (.ci/run installs it)");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&std::fs::read(dir.join("big.iso")).unwrap(), &content, "wget -c");
    s.log_line(|l| l.contains(&format!(" GET 206 \"big.iso\" {} ", (3 << 20) - 777_777)));
}

#[test]
fn conditional_gets_answer_304_while_the_file_is_unchanged() {
    let s = Server::start();
    nf_put(&s, "c.txt", b"version one\n");
    let (_, fields, _) = fetch(&s, "/c.txt", &[]);
    let etag = field(&fields, "etag").unwrap().to_string();
    let modified = field(&fields, "last-modified").unwrap().to_string();
    let (status, fields, body) = fetch(&s, "/c.txt", &["-H", &format!("If-None-Match: {etag}")]);
    assert_eq!((status, body.len()), (304, 0));
    assert_eq!(field(&fields, "etag"), Some(etag.as_str()));
    let (status, _, body) = fetch(&s, "/c.txt", &["-H", &format!("If-Modified-Since: {modified}")]);
    assert_eq!((status, body.len()), (304, 0));
    let (status, _, body) = fetch(&s, "/c.txt", &["-H", "If-None-Match: \"other\""]);
    assert_eq!((status, body.as_slice()), (200, &b"version one\n"[..]));
    // Replaced: the old validators no longer match.
    nf_put(&s, "c.txt", b"version two, longer\n");
    let (status, _, body) = fetch(&s, "/c.txt", &["-H", &format!("If-None-Match: {etag}")]);
    assert_eq!((status, body.as_slice()), (200, &b"version two, longer\n"[..]));
    // If-Match on a GET: 412 when it names another version.
    let (status, _) = status_and_body(&s, "/c.txt", &["-H", &format!("If-Match: {etag}")]);
    assert_eq!(status, 412);
}

#[test]
fn put_stores_verified_content_atomically_and_replaces_unless_told_not_to() {
    let s = Server::start();
    let content = random_bytes(200_000, 4);
    let path = s.file("up.bin", &content);
    // Without a digest.
    let (status, body) = status_and_body(&s, "/up.bin", &["-T", path.to_str().unwrap()]);
    assert_eq!(status, 201, "{body}");
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["name"], "up.bin");
    assert_eq!(reply["blake3"], blake3_hex(&content));
    assert_same(&s.read_stored("up.bin"), &content, "stored");
    assert_eq!(s.ls()[0]["blake3"], blake3_hex(&content));
    // With the right digest, replacing: 200.
    let other = random_bytes(150_000, 5);
    let digest = format!("Content-Digest: {}", digest_of(&other));
    let (status, _) = put_with(&s, "/up.bin", &other, &digest);
    assert_eq!(status, 200);
    assert_same(&s.read_stored("up.bin"), &other, "replaced");
    // With a wrong digest: 400, nothing stored, the previous version intact.
    let wrong = format!("Content-Digest: {}", digest_of(b"not this"));
    let (status, body) = put_with(&s, "/up.bin", b"third", &wrong);
    assert_eq!(status, 400);
    assert!(body.contains("does not match its BLAKE3"), "{body}");
    assert_same(&s.read_stored("up.bin"), &other, "after a wrong digest");
    // A malformed digest is refused before the body.
    let (status, _) = put_with(&s, "/new.bin", b"n", "Content-Digest: blake3=:AAAA:");
    assert_eq!(status, 400);
    // If-None-Match: * never replaces (412), but creates.
    let (status, body) = put_with(&s, "/up.bin", b"x", "If-None-Match: *");
    assert_eq!(status, 412, "{body}");
    assert_same(&s.read_stored("up.bin"), &other, "after If-None-Match: *");
    let (status, _) = put_with(&s, "/fresh.bin", b"x", "If-None-Match: *");
    assert_eq!(status, 201);
    assert_eq!(s.names(), ["fresh.bin", "up.bin"]);
    assert!(s.partials().is_empty(), "no partial left: {:?}", s.partials());
}

#[test]
fn chunked_and_large_puts_stream_through_with_100_continue() {
    let s = Server::start();
    // A chunked body from a pipe (curl -T - sends chunks).
    let content = random_bytes(1_500_000, 6);
    let mut child = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "60",
            "-T",
            "-",
            "-w",
            "%{http_code}",
            &url(&s, "/piped.bin"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&content).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("201"), "{out:?}");
    assert_same(&s.read_stored("piped.bin"), &content, "chunked");
    s.log_line(|l| l.contains(" PUT 201 \"piped.bin\" 1500000 "));
    // A large file: curl waits for 100 Continue, and a digest checks it.
    let big = random_bytes(20 << 20, 7);
    let path = s.file("big.bin", &big);
    let verbose_put = |header: &str| {
        let target = url(&s, "/big.bin");
        stderr(&curl(
            &s,
            &["-v", "-T", path.to_str().unwrap(), "-H", header, &target],
        ))
    };
    let said = verbose_put(&format!("Content-Digest: {}", digest_of(&big)));
    assert!(said.contains("HTTP/1.1 100 Continue"), "{said}");
    assert_same(&s.read_stored("big.bin"), &big, "20 MiB");
    // Refused before the body: 412 comes instead of 100 Continue, and no body byte is read.
    let said = verbose_put("If-None-Match: *");
    assert!(!said.contains("100 Continue"), "{said}");
    assert!(said.contains("HTTP/1.1 412"), "{said}");
    s.log_line(|l| l.contains(" PUT 412 \"big.bin\" 0 "));
}

#[test]
fn a_put_larger_than_the_free_space_is_refused_with_507_before_its_body() {
    let (s, path) = Server::with_a_file_beyond_its_free_space("huge.raw");
    let target = url(&s, "/huge.raw");
    let out = curl(&s, &["-v", "-T", path.to_str().unwrap(), &target]);
    let said = stderr(&out);
    // curl asked to continue; the answer came instead, and no body byte was read.
    assert!(said.contains("Expect: 100-continue"), "{said}");
    assert!(!said.contains("100 Continue"), "{said}");
    assert!(said.contains("HTTP/1.1 507"), "{said}");
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(body.starts_with("no space on the server for "), "{body}");
    s.log_line(|l| l.contains(" PUT 507 \"huge.raw\" 0 "));
    assert!(s.partials().is_empty() && s.stored().is_empty());
}

#[test]
fn delete_removes_a_file_and_a_read_only_server_refuses_writes() {
    let s = Server::start();
    nf_put(&s, "gone.txt", b"bye");
    let (status, _) = status_and_body(&s, "/gone.txt", &["-X", "DELETE"]);
    assert_eq!(status, 204);
    assert!(s.names().is_empty());
    let (status, _) = status_and_body(&s, "/gone.txt", &["-X", "DELETE"]);
    assert_eq!(status, 404);

    let s = Server::with_args("", &["--read-only"]);
    s.place_by_hand("kept.txt", b"kept");
    let (status, body) = status_and_body(&s, "/kept.txt", &[]);
    assert_eq!((status, body.as_str()), (200, "kept"));
    let (status, body) = status_and_body(&s, "/kept.txt", &["-X", "DELETE"]);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("read-only"), "{body}");
    let (status, _) = status_and_body(&s, "/new.txt", &["-T", s.file("n", b"n").to_str().unwrap()]);
    assert_eq!(status, 403);
    assert_eq!(s.names(), ["kept.txt"]);
    // The page offers no upload control or delete button.
    let (_, page) = status_and_body(&s, "/", &[]);
    assert!(page.contains("kept.txt") && !page.contains("type=\"file\"") && !page.contains("<button"));
}

#[test]
fn with_a_token_nothing_is_revealed_without_it_and_bearer_or_basic_let_in() {
    let s = Server::with_config("token = \"correct horse\"");
    s.place_by_hand("secret.txt", b"top secret");
    for path in ["/", "/?json", "/?tar", "/secret.txt", "/nothing-here.txt"] {
        let (status, fields, body) = fetch(&s, path, &[]);
        assert_eq!(status, 401, "{path}");
        assert_eq!(
            field(&fields, "www-authenticate"),
            Some("Basic realm=\"nf\", charset=\"UTF-8\"")
        );
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("secret.txt") && !text.contains("top secret"),
            "{path}: {text}"
        );
    }
    let (status, _) = status_and_body(&s, "/x.txt", &["-T", s.file("x", b"x").to_str().unwrap()]);
    assert_eq!(status, 401);
    let (status, _) = status_and_body(&s, "/secret.txt", &["-H", "Authorization: Bearer wrong horse"]);
    assert_eq!(status, 401);
    let (status, body) = status_and_body(&s, "/secret.txt", &["-H", "Authorization: Bearer correct horse"]);
    assert_eq!((status, body.as_str()), (200, "top secret"));
    let (status, body) = status_and_body(&s, "/secret.txt", &["-u", "anyone:correct horse"]);
    assert_eq!((status, body.as_str()), (200, "top secret"));
    let (status, _) = status_and_body(
        &s,
        "/x.txt",
        &[
            "-u",
            "me:correct horse",
            "-T",
            s.file("x", b"x").to_str().unwrap(),
        ],
    );
    assert_eq!(status, 201);
    assert_eq!(s.stored(), ["secret.txt", "x.txt"]);
}

#[test]
fn plaintext_from_outside_allow_plaintext_from_is_refused_before_auth_and_https_is_served() {
    // Loopback is not in the allowed networks here, so the test's own connections stand for a
    // client on another machine.
    let s = Server::with_config("token = \"tok\"\nallow_plaintext_from = \"10.0.0.0/8\"");
    s.place_by_hand("a.txt", b"over TLS only");
    let (status, body) = status_and_body(&s, "/a.txt", &["-H", "Authorization: Bearer tok"]);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("in clear") && body.contains("https://"), "{body}");
    // HTTPS from the same TLS session as nf's own, pinned by the fingerprint the banner shows.
    let pin = fingerprint(&s);
    let https = format!("https://{}/a.txt", s.addr);
    let out = curl(
        &s,
        &[
            "-k",
            "--pinnedpubkey",
            &pin,
            "-H",
            "Authorization: Bearer tok",
            &https,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"over TLS only");
    let out = curl(
        &s,
        &[
            "-k",
            "--pinnedpubkey",
            &pin,
            "-w",
            "%{http_code}",
            "-o",
            "/dev/null",
            &https,
        ],
    );
    assert_eq!(out.stdout, b"401");
    // Another key is refused by curl itself.
    let wrong = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let out = curl(&s, &["-k", "--pinnedpubkey", wrong, &https]);
    assert!(!out.status.success());
}

/// The server's TLS fingerprint (`sha256//…`), from its banner.
fn fingerprint(s: &Server) -> String {
    let banner = s.log_line(|l| l.contains("TLS identity "));
    banner.rsplit("TLS identity ").next().unwrap().trim().to_string()
}

#[test]
fn https_serves_get_range_put_and_the_listing_like_http() {
    let s = Server::start();
    let pin = fingerprint(&s);
    let content = random_bytes(2 << 20, 8);
    let path = s.file("t.bin", &content);
    let base = format!("https://{}", s.addr);
    let tls = ["-k", "--pinnedpubkey", pin.as_str()];
    let out = curl(
        &s,
        &[
            &tls[..],
            &["-T", path.to_str().unwrap(), &format!("{base}/t.bin")],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&s.read_stored("t.bin"), &content, "PUT over TLS");
    let out = curl(&s, &[&tls[..], &[format!("{base}/t.bin").as_str()][..]].concat());
    assert_same(&out.stdout, &content, "GET over TLS");
    let out = curl(
        &s,
        &[&tls[..], &["-r", "100-199", &format!("{base}/t.bin")]].concat(),
    );
    assert_same(&out.stdout, &content[100..200], "a range over TLS");
    let out = curl(&s, &[&tls[..], &[format!("{base}/?json").as_str()][..]].concat());
    assert_same(
        &out.stdout,
        &s.nf(&["ls", "--json"]).stdout,
        "the listing over TLS",
    );
}

#[test]
fn the_json_listing_is_exactly_what_nf_ls_json_prints() {
    let s = Server::start();
    nf_put(&s, "b.txt", b"bee");
    nf_put(&s, "a b ü.txt", b"a");
    nf_put(&s, "empty", b"");
    let ls = s.nf(&["ls", "--json"]);
    assert!(ls.status.success());
    let (status, fields, body) = fetch(&s, "/?json", &[]);
    assert_eq!(status, 200);
    assert_eq!(field(&fields, "content-type"), Some("application/json"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        String::from_utf8(ls.stdout.clone()).unwrap()
    );
    let (_, _, body) = fetch(&s, "/", &["-H", "Accept: application/json"]);
    assert_eq!(body, ls.stdout, "Accept: application/json");
    let (_, fields, page) = fetch(&s, "/", &[]);
    assert!(field(&fields, "content-type").unwrap().starts_with("text/html"));
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains("<a href=\"a%20b%20%C3%BC.txt\" class=\"n\" title=\"a b ü.txt\""),
        "{page}"
    );
    assert!(page.contains("?tar") && page.contains("?json"));
}

#[test]
fn a_tar_of_the_folder_unpacks_to_the_same_bytes() {
    let s = Server::start();
    let long = format!("{}-ü-long.txt", "n".repeat(120));
    let files: Vec<(String, Vec<u8>)> = vec![
        ("a.txt".into(), b"alpha\n".to_vec()),
        ("big.bin".into(), random_bytes(3_000_001, 9)),
        ("empty".into(), Vec::new()),
        ("block.bin".into(), random_bytes(512, 10)),
        (long.clone(), b"a name over 100 bytes, not ASCII\n".to_vec()),
    ];
    for (name, content) in &files {
        nf_put(&s, name, content);
    }
    let out_dir = s.work.join("unpacked");
    std::fs::create_dir_all(&out_dir).unwrap();
    let (status, fields, tar) = fetch(&s, "/?tar", &[]);
    assert_eq!(status, 200);
    assert_eq!(field(&fields, "transfer-encoding"), Some("chunked"));
    assert_eq!(field(&fields, "content-type"), Some("application/x-tar"));
    assert_eq!(tar.len() % 512, 0);
    let archive = s.work.join("all.tar");
    std::fs::write(&archive, &tar).unwrap();
    let out = Command::new("tar")
        .args(["-xf", archive.to_str().unwrap(), "-C", out_dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {}", stderr(&out));
    // The top folder's archive (files.tar) unpacks into one folder, files/.
    let names: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["files"]);
    for (name, content) in &files {
        assert_same(
            &std::fs::read(out_dir.join("files").join(name)).unwrap(),
            content,
            name,
        );
    }
    assert_eq!(
        std::fs::read_dir(out_dir.join("files")).unwrap().count(),
        files.len()
    );
    // HTTP/1.0 has no chunks: the archive ends with the connection.
    let (status, fields, tar10) = fetch(&s, "/?tar", &["--http1.0"]);
    assert_eq!(status, 200);
    assert_eq!(field(&fields, "transfer-encoding"), None);
    assert_eq!(tar10, tar);
}

/// Reads one HTTP response off `r`: status, head, body (by Content-Length; none for a
/// response to HEAD, `head_request`).
fn read_response_to(r: &mut impl std::io::BufRead, head_request: bool) -> (u16, String, Vec<u8>) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(
            r.read_line(&mut line).unwrap() > 0,
            "the connection ended in a head: {head}"
        );
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![
        0;
        if head_request || status == 304 || status == 204 {
            0
        } else {
            len
        }
    ];
    r.read_exact(&mut body).unwrap();
    (status, head, body)
}

fn read_response(r: &mut impl std::io::BufRead) -> (u16, String, Vec<u8>) {
    read_response_to(r, false)
}

#[test]
fn pipelined_requests_are_answered_in_order_on_one_connection() {
    let s = Server::start();
    nf_put(&s, "p.txt", b"0123456789");
    let mut raw = Raw::connect(&s.addr);
    let mut batch = Vec::new();
    batch.extend_from_slice(b"GET /p.txt HTTP/1.1\r\nHost: localhost\r\nRange: bytes=2-4\r\n\r\n");
    batch.extend_from_slice(b"PUT /q.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
    batch.extend_from_slice(b"HEAD /p.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    batch.extend_from_slice(b"GET /q.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    batch.extend_from_slice(b"\r\nDELETE /q.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    batch.extend_from_slice(b"GET /nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    raw.send(&batch);
    let (status, _, body) = read_response(&mut raw.reader);
    assert_eq!((status, body.as_slice()), (206, &b"234"[..]));
    let (status, _, _) = read_response(&mut raw.reader);
    assert_eq!(status, 201);
    let (status, head, body) = read_response_to(&mut raw.reader, true);
    assert!(
        status == 200 && body.is_empty() && head.contains("Content-Length: 10"),
        "{head}"
    );
    let (status, _, body) = read_response(&mut raw.reader);
    assert_eq!((status, body.as_slice()), (200, &b"hello"[..]));
    let (status, _, _) = read_response(&mut raw.reader);
    assert_eq!(status, 204);
    let (status, head, _) = read_response(&mut raw.reader);
    assert!(status == 404 && head.contains("Connection: close"), "{head}");
    assert!(raw.closed());
    // All six from one peer address, one log line each.
    s.log_line(|l| l.contains(" GET 404 \"nope\""));
    let lines = http_log_lines(&s);
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| l.split(' ').nth(1) == lines[0].split(' ').nth(1)),
        "{lines:?}"
    );
}

/// The server's log lines for HTTP requests (`TIME PEER METHOD STATUS NAME BYTES TIME RESULT`).
fn http_log_lines(s: &Server) -> Vec<String> {
    let log = s.log.lock().unwrap().clone();
    log.lines()
        .filter(|l| {
            let words: Vec<&str> = l.split(' ').collect();
            words.len() > 4
                && ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(&words[2])
                && (words[3] == "-" || words[3].parse::<u16>().is_ok())
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn python_keeps_one_connection_alive_across_requests() {
    let s = Server::start();
    nf_put(&s, "k1.txt", b"one");
    nf_put(&s, "k2.txt", b"two");
    let script = format!(
        r#"
import http.client, json, urllib.request
c = http.client.HTTPConnection("{addr}", timeout=30)
out = []
for path in ["/k1.txt", "/k2.txt", "/?json", "/k1.txt"]:
    c.request("GET", path)
    r = c.getresponse()
    out.append([r.status, r.read().decode()])
    sock = c.sock
    assert sock is not None, "the server closed the connection"
    out.append(sock.getsockname()[1])
c.request("PUT", "/k3.txt", body=b"three", headers={{"If-None-Match": "*"}})
r = c.getresponse(); out.append([r.status, json.loads(r.read())["size"]])
c.close()
with urllib.request.urlopen("http://{addr}/k3.txt") as r:
    out.append([r.status, r.read().decode(), r.headers["ETag"]])
print(json.dumps(out))
"#,
        addr = s.addr
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ports: Vec<&serde_json::Value> = v.as_array().unwrap().iter().skip(1).step_by(2).take(4).collect();
    assert!(
        ports.windows(2).all(|w| w[0] == w[1]),
        "one local port throughout: {v}"
    );
    assert_eq!(v[0], serde_json::json!([200, "one"]));
    assert_eq!(v[2], serde_json::json!([200, "two"]));
    assert_eq!(v[8], serde_json::json!([201, 5]));
    assert_eq!(v[9][1], "three");
    assert_eq!(v[9][2], format!("\"{}\"", blake3_hex(b"three")));
}

#[test]
fn a_put_cut_halfway_leaves_nothing_visible_and_the_server_keeps_serving() {
    let s = Server::start();
    nf_put(&s, "doc.bin", b"the previous version");
    for (name, len) in [("doc.bin", 4 << 20), ("new.bin", 4 << 20), ("small.bin", 100_000)] {
        let mut raw = Raw::connect(&s.addr);
        raw.send(
            format!("PUT /{name} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len}\r\n\r\n").as_bytes(),
        );
        raw.send(&random_bytes(len / 2, 11));
        drop(raw);
        s.log_line(|l| l.contains(&format!(" PUT - \"{name}\" {} ", len / 2)) && l.ends_with("hung up"));
    }
    assert_eq!(s.names(), ["doc.bin"]);
    assert_eq!(s.read_stored("doc.bin"), b"the previous version");
    let (status, _) = status_and_body(&s, "/new.bin", &[]);
    assert_eq!(status, 404);
    let (status, body) = status_and_body(&s, "/doc.bin", &[]);
    assert_eq!((status, body.as_str()), (200, "the previous version"));
    // A chunked body cut mid-chunk, and one whose framing lies.
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"PUT /c.bin HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789");
    drop(raw);
    s.log_line(|l| l.contains(" PUT - \"c.bin\" 10 "));
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"PUT /c.bin HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n");
    let (status, head, _) = read_response(&mut raw.reader);
    assert!(status == 400 && head.contains("Connection: close"), "{head}");
    assert_eq!(s.names(), ["doc.bin"]);
    s.assert_serving();
}

#[test]
fn http_1_0_clients_are_answered_in_their_version_and_closed() {
    let s = Server::start();
    nf_put(&s, "old.txt", b"from the nineties");
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"GET /old.txt HTTP/1.0\r\n\r\n");
    let (status, head, body) = read_response(&mut raw.reader);
    assert_eq!((status, body.as_slice()), (200, &b"from the nineties"[..]));
    assert!(
        head.starts_with("HTTP/1.0 200 OK") && head.contains("Connection: close"),
        "{head}"
    );
    assert!(raw.closed());
    // Keep-alive when an HTTP/1.0 client asks for it.
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"GET /old.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let (_, head, _) = read_response(&mut raw.reader);
    assert!(head.contains("Connection: keep-alive"), "{head}");
    raw.send(b"HEAD /old.txt HTTP/1.0\r\n\r\n");
    let (status, _, _) = read_response_to(&mut raw.reader, true);
    assert_eq!(status, 200);
    assert!(raw.closed());
}

#[test]
fn malformed_oversized_and_dripping_heads_are_refused_and_bounded() {
    // The default limits: max_http_headers 100, max_header_bytes 64 KiB, a head within
    // handshake_timeout_secs (10 s).
    let s = Server::start();
    // The first line of the answer to `request`.
    let answer = |request: &[u8]| {
        let mut raw = Raw::connect(&s.addr);
        let _ = raw.try_send(request);
        raw.line()
    };
    for (request, status) in [
        (&b"GET / HTTP/1.1\r\n\r\n"[..], "400"),
        (
            b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "400",
        ),
        (
            b"PUT /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "400",
        ),
        (
            b"PUT /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
            "501",
        ),
        (
            b"GET /..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "400",
        ),
        (b"GET /a%00b HTTP/1.1\r\nHost: localhost\r\n\r\n", "400"),
        (b"BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n", "405"),
        (b"PUT /a HTTP/1.1\r\nHost: localhost\r\n\r\n", "400"),
    ] {
        let reply = answer(request);
        assert!(
            reply.starts_with(&format!("HTTP/1.1 {status} ")),
            "{:?} -> {reply}",
            String::from_utf8_lossy(request)
        );
    }
    // Too many fields, and a head over max_header_bytes (64 KiB): 431.
    let many: String = (0..120).map(|i| format!("X-{i}: v\r\n")).collect();
    let reply = answer(format!("GET / HTTP/1.1\r\nHost: localhost\r\n{many}\r\n").as_bytes());
    assert!(reply.starts_with("HTTP/1.1 431 "), "{reply}");
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "a".repeat(70_000)
    );
    let reply = answer(huge.as_bytes());
    assert!(reply.starts_with("HTTP/1.1 431 "), "{reply}");
    // A head dripped a byte at a time is closed at the head deadline (10 s), plus at most 2 s.
    let mut drip = TcpStream::connect(&s.addr).unwrap();
    drip.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    drip.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    let closed = loop {
        if drip.write_all(b"X").is_err() {
            break true;
        }
        let mut b = [0u8; 1];
        drip.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        match drip.read(&mut b) {
            Ok(0) => break true,
            Ok(_) => break false,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
            }
            Err(_) => break true,
        }
        assert!(
            started.elapsed() < Duration::from_secs(12),
            "the dripping head was not cut within its deadline"
        );
    };
    assert!(closed, "the server answered a head that never ended");
    s.assert_serving();
    // Nothing was written outside the store by the path tricks.
    assert!(!Path::new(&s.root).join("..").join("etc").exists());
}

/// `text` with what differs from run to run made the same: the value of `Date:` and
/// `Last-Modified:`, and the `modified` time of the JSON (same lengths, so lengths still match:
/// a time nf stores has nanoseconds, always 9 digits).
fn without_times(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("Date: ") || line.starts_with("Server: ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("Last-Modified: ") {
            out.push_str(&format!("Last-Modified: {}", "D".repeat(rest.len())));
            continue;
        }
        match line.find("\"modified\":\"") {
            Some(at) => {
                let start = at + "\"modified\":\"".len();
                let end = start + line[start..].find('"').expect("a closing quote");
                out.push_str(&line[..start]);
                out.push_str(&"T".repeat(end - start));
                out.push_str(&line[end..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

#[test]
fn the_http_example_of_docs_protocol_md_is_what_the_server_says() {
    let (sent, expected) = doc_session("http-session");
    let s = Server::start();
    let mut raw = Raw::connect(&s.addr);
    raw.send(sent.as_bytes());
    let mut reply = String::new();
    raw.reader.read_to_string(&mut reply).unwrap();
    assert_eq!(without_times(&reply), without_times(&expected));
}

#[test]
fn folders_are_pages_json_and_tar_and_delete_with_recursive() {
    use std::os::unix::fs::PermissionsExt;
    let s = Server::start();
    let src = s.work.join("photos");
    std::fs::create_dir_all(src.join("2020")).unwrap();
    std::fs::create_dir_all(src.join("empty")).unwrap();
    let jpg = random_bytes(70_000, 21);
    std::fs::write(src.join("2020/a b.jpg"), &jpg).unwrap();
    std::fs::write(src.join("2020/run.sh"), b"#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(src.join("2020/run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(src.join("top.txt"), b"top\n").unwrap();
    let out = s.nf(&["put", "-r", "photos"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // A PUT into folders that do not exist yet makes them, as `nf put` does.
    let (status, _) = put_with(&s, "/docs/deep/new.txt", b"made by curl\n", "X-Test: 1");
    assert_eq!(status, 201);
    let out = s.nf(&["get", "docs/deep/new.txt", "-o", "got.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(s.work.join("got.txt")).unwrap(), b"made by curl\n");

    // A folder's name without the slash is sent to the folder.
    let (status, fields, _) = fetch(&s, "/photos", &[]);
    assert_eq!(status, 301);
    assert_eq!(field(&fields, "location"), Some("/photos/"));

    // Its page: folders first with relative links, files, a breadcrumb back to the top.
    let (status, _, page) = fetch(&s, "/photos/", &[]);
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    let (d2020, dempty, top) = (
        page.find("<a href=\"2020/\" class=\"n\" title=\"2020/\"")
            .expect("2020/ listed"),
        page.find("<a href=\"empty/\" class=\"n\" title=\"empty/\"")
            .expect("empty/ listed"),
        page.find("<a href=\"top.txt\" class=\"n\" title=\"top.txt\"")
            .expect("top.txt listed"),
    );
    assert!(d2020 < dempty && dempty < top, "{page}");
    assert!(page.contains("<a href=\"/photos/\">photos</a>"), "{page}");
    let (_, _, page) = fetch(&s, "/photos/2020/", &[]);
    assert!(String::from_utf8(page)
        .unwrap()
        .contains("<a href=\"a%20b.jpg\" class=\"n\" title=\"a b.jpg\""));
    let (status, _, got) = fetch(&s, "/photos/2020/a%20b.jpg", &[]);
    assert_eq!(status, 200);
    assert_same(&got, &jpg, "a b.jpg over HTTP");

    // Its JSON is what `nf ls --json photos` prints (but for the time of a folder in the
    // bucket, which has none of its own: each listing gives the time it was made).
    let ls = s.nf(&["ls", "--json", "photos"]);
    assert!(ls.status.success(), "{}", stderr(&ls));
    let (_, _, json) = fetch(&s, "/photos/?json", &[]);
    let timeless = |text: &[u8]| {
        let mut v: Vec<serde_json::Value> = serde_json::from_slice(text).unwrap();
        for e in &mut v {
            if e["type"] == "dir" && s.bucket.is_some() {
                e["modified"] = serde_json::Value::Null;
            }
        }
        v
    };
    assert_eq!(timeless(&json), timeless(&ls.stdout));
    if s.bucket.is_none() {
        assert_eq!(json, ls.stdout, "byte for byte");
    }

    // Its tar holds the folder and the whole tree below it: files, modes, the empty folder.
    let (status, _, tar) = fetch(&s, "/photos/?tar", &[]);
    assert_eq!(status, 200);
    let archive = s.work.join("photos.tar");
    std::fs::write(&archive, &tar).unwrap();
    let unpacked = s.work.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let out = Command::new("tar")
        .args(["-xf", archive.to_str().unwrap(), "-C", unpacked.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {}", stderr(&out));
    let unpacked = unpacked.join("photos");
    assert_same(
        &std::fs::read(unpacked.join("2020/a b.jpg")).unwrap(),
        &jpg,
        "a b.jpg in the tar",
    );
    assert_eq!(std::fs::read(unpacked.join("top.txt")).unwrap(), b"top\n");
    let mode = std::fs::metadata(unpacked.join("2020/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    assert!(unpacked.join("empty").is_dir());
    let mut names: Vec<String> = std::fs::read_dir(&unpacked)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["2020", "empty", "top.txt"]);

    // A folder goes with all in it (as WebDAV's DELETE says; `?recursive` is still taken); an
    // encoded `/` is not a separator.
    let (status, _) = status_and_body(&s, "/photos%2F2020/", &["-X", "DELETE"]);
    assert_eq!(status, 400);
    let (status, _) = status_and_body(&s, "/photos/2020/", &["-X", "DELETE"]);
    assert_eq!(status, 204);
    let (status, _) = status_and_body(&s, "/photos/2020/?recursive", &["-X", "DELETE"]);
    assert_eq!(status, 404);
    let ls = s.nf(&["ls", "--json", "photos"]);
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&ls.stdout).unwrap();
    let names: Vec<&str> = listed.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["photos/empty", "photos/top.txt"]);
    let (status, _) = status_and_body(&s, "/", &["-X", "DELETE"]);
    assert_eq!(status, 405);
}

/// Every entry below `dir` by its path relative to `dir`: a file's bytes and permission bits,
/// or `None` for a folder.
fn tree_of(dir: &Path) -> std::collections::BTreeMap<String, Option<(Vec<u8>, u32)>> {
    use std::os::unix::fs::PermissionsExt;
    let mut tree = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_str().unwrap().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                tree.insert(rel, None);
                todo.push(path);
            } else {
                let bits = meta.permissions().mode() & 0o777;
                tree.insert(rel, Some((std::fs::read(&path).unwrap(), bits)));
            }
        }
    }
    tree
}

/// Unpacks `archive` with the real tar into the new, empty folder `into`.
fn untar(archive: &[u8], into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    assert_eq!(std::fs::read_dir(into).unwrap().count(), 0);
    let file = into.with_extension("tar");
    std::fs::write(&file, archive).unwrap();
    let out = Command::new("tar")
        .args(["-xf", file.to_str().unwrap(), "-C", into.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {}", stderr(&out));
}

/// `tar -tf` of `archive`: its entries' paths in order.
fn tar_list(s: &Server, archive: &[u8]) -> Vec<String> {
    let file = s.work.join("listed.tar");
    std::fs::write(&file, archive).unwrap();
    let out = Command::new("tar")
        .args(["-tf", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {}", stderr(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Makes `www/a.txt` and `www/sub/index.md` in the work folder and puts them with `nf put -r`.
fn put_www(s: &Server) {
    put_tree(
        s,
        "www",
        &[
            ("a.txt", b"alpha\n", 0o644),
            ("sub/index.md", b"# index\n", 0o644),
        ],
    );
}

/// Makes the folder `top` in the work folder with `files` (path below it, content, permission
/// bits) and the folders they need, then puts it with `nf put -r`; returns its path.
fn put_tree(s: &Server, top: &str, files: &[(&str, &[u8], u32)]) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let root = s.work.join(top);
    for (path, content, mode) in files {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    let out = s.nf(&["put", "-r", top]);
    assert!(out.status.success(), "{}", stderr(&out));
    root
}

#[test]
fn a_redirect_to_a_folder_keeps_the_query_so_curl_l_gets_the_tar_and_the_json() {
    let s = Server::start();
    put_www(&s);
    for (asked, location) in [
        ("/www?tar", "/www/?tar"),
        ("/www?json", "/www/?json"),
        ("/www/sub?json&x=a%20b", "/www/sub/?json&x=a%20b"),
    ] {
        let (status, fields, _) = fetch(&s, asked, &[]);
        assert_eq!(status, 301, "{asked}");
        assert_eq!(field(&fields, "location"), Some(location), "{asked}");
    }
    // `curl -L` follows it to a real archive of the folder...
    let (status, fields, tar) = fetch(&s, "/www?tar", &["-L"]);
    assert_eq!(status, 200);
    assert_eq!(field(&fields, "content-type"), Some("application/x-tar"));
    let listed = tar_list(&s, &tar);
    assert_eq!(listed.first().map(String::as_str), Some("www/"), "{listed:?}");
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, ["www/", "www/a.txt", "www/sub/", "www/sub/index.md"]);
    // ... and to the JSON listing, exactly what `nf ls --json www` prints.
    let (status, fields, json) = fetch(&s, "/www?json", &["-L"]);
    assert_eq!(status, 200);
    assert_eq!(field(&fields, "content-type"), Some("application/json"));
    let parsed: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
    let names: Vec<&str> = parsed.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["www/a.txt", "www/sub"]);
    let ls = s.nf(&["ls", "--json", "www"]);
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&ls.stdout).unwrap();
    assert_eq!(parsed.len(), listed.len());
    assert_eq!(parsed[0], listed[0], "the file's entry as nf ls --json shows it");
}

#[test]
fn a_folder_tar_unpacks_into_one_folder_of_its_name_holding_the_same_tree() {
    let s = Server::start();
    std::fs::create_dir_all(s.work.join("site/empty")).unwrap();
    let long = format!("sub/{}-ü.txt", "n".repeat(120));
    let site = put_tree(
        &s,
        "site",
        &[
            ("index.html", b"<h1>hi</h1>\n", 0o644),
            ("sub/deep/x.bin", &random_bytes(100_000, 31), 0o644),
            ("sub/run.sh", b"#!/bin/sh\necho hi\n", 0o755),
            (&long, b"a long name\n", 0o644),
        ],
    );
    for (path, top, source) in [
        ("/site/?tar", "site", site.clone()),
        ("/site/sub/?tar", "sub", site.join("sub")),
        ("/site/sub/deep/?tar", "deep", site.join("sub/deep")),
    ] {
        let (status, _, tar) = fetch(&s, path, &[]);
        assert_eq!(status, 200, "{path}");
        let into = s.work.join(format!("unpacked-{top}"));
        untar(&tar, &into);
        let made: Vec<_> = std::fs::read_dir(&into)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(made, [top], "{path}: one folder, named after the folder");
        assert_eq!(tree_of(&into.join(top)), tree_of(&source), "{path}");
    }
    // The top folder's archive unpacks into files/, holding the whole store.
    let (_, _, tar) = fetch(&s, "/?tar", &[]);
    let into = s.work.join("unpacked-top");
    untar(&tar, &into);
    let made: Vec<_> = std::fs::read_dir(&into)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(made, ["files"]);
    assert_eq!(tree_of(&into.join("files/site")), tree_of(&site));
}

#[test]
fn a_folder_path_naming_a_file_is_404_for_every_method_and_the_file_stays() {
    let s = Server::start();
    nf_put(&s, "f.txt", b"the file\n");
    s.file("g.txt", b"below\n");
    let out = s.nf(&["put", "g.txt", "--as", "d/g.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let body = s.file("replacement.bin", b"replaced!\n");
    let body = format!("@{}", body.display());
    let requests: [(&str, &[&str]); 8] = [
        ("", &[]),
        ("", &["-I"]),
        ("?json", &[]),
        ("?tar", &[]),
        ("", &["-X", "PUT", "--data-binary", &body]),
        ("?recursive", &["-X", "PUT", "--data-binary", &body]),
        ("", &["-X", "DELETE"]),
        ("?recursive", &["-X", "DELETE"]),
    ];
    for (name, content) in [("f.txt", &b"the file\n"[..]), ("d/g.txt", b"below\n")] {
        for (query, args) in &requests {
            let path = format!("/{name}/{query}");
            let (status, text) = status_and_body(&s, &path, args);
            assert_eq!(status, 404, "{path} {args:?}: {text}");
            if !args.contains(&"-I") {
                assert_eq!(
                    text,
                    format!("\"{name}\" is a file, not a folder; its URL has no final `/`\n"),
                    "{path} {args:?}"
                );
            }
            assert_eq!(
                s.read_stored(name),
                content,
                "{path} {args:?}: the file is unchanged"
            );
        }
    }
    assert_eq!(s.names(), ["d", "f.txt"]);
    // Without the slash, it is the file.
    let (status, text) = status_and_body(&s, "/d/g.txt", &[]);
    assert_eq!((status, text.as_str()), (200, "below\n"));
}

/// `text` with HTML's five escapes undone.
fn html_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every byte of `name` but the unreserved ones percent-encoded: a URL path segment.
fn percent_encoded(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text between `start` and the next `end` after it in `text`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in {text:?}"))
        + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"));
    &text[from..from + len]
}

/// Runs the script of `page` under node (tests/browser/dialogs.js) through `cases`: what it
/// showed and asked, in order (`[kind, text…]`).
fn run_page_script(s: &Server, page: &str, cases: &serde_json::Value) -> Vec<Vec<String>> {
    serde_json::from_value(run_under_node(s, "dialogs.js", page, cases)).unwrap()
}

/// Runs tests/browser/`harness` under node with the script of `page` and `cases`; what it
/// printed, as JSON.
fn run_under_node(s: &Server, harness: &str, page: &str, cases: &serde_json::Value) -> serde_json::Value {
    let work = s.work.join(harness);
    std::fs::create_dir_all(&work).unwrap();
    let script = work.join("page.js");
    std::fs::write(&script, between(page, "<script>", "</script>")).unwrap();
    let cases_file = work.join("cases.json");
    std::fs::write(&cases_file, cases.to_string()).unwrap();
    let harness = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(harness);
    let out = Command::new("node")
        .arg(harness)
        .args([script.to_str().unwrap(), cases_file.to_str().unwrap()])
        .output()
        .expect("node runs the page's script (.ci/run installs nodejs)");
    assert!(out.status.success(), "node: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_folder_page_asks_for_a_receipt_and_shows_it_after_the_upload() {
    let s = Server::start();
    let name = "essay \u{202e}fdp.exe";
    let content = vec![7u8; 1536];
    let path = format!("/{}", percent_encoded(name));
    let (status, receipt) = put_with(&s, &path, &content, "NF-Receipt: 1");
    assert_eq!(status, 201, "{receipt}");
    let (status, _, page) = fetch(&s, "/", &[]);
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("<ul id=\"receipts\" hidden></ul>"), "{page}");
    // The page's script, given the server's answer to that PUT as its own upload's.
    let cases = serde_json::json!({
        "buttons": [], "uploads": [], "error": "", "receipts": [[name, receipt]],
    });
    let shown = run_page_script(&s, &page, &cases);
    let put = shown.iter().find(|d| d[0] == "fetch").expect("the upload");
    let headers: serde_json::Value = serde_json::from_str(&put[3]).unwrap();
    assert_eq!(headers["NF-Receipt"], "1", "{put:?}");
    let lines: Vec<_> = shown.iter().filter(|d| d[0] == "receipt").collect();
    assert_eq!(lines.len(), 1, "one receipt line after the reload: {shown:?}");
    let parsed: serde_json::Value = serde_json::from_str(&receipt).unwrap();
    let blake3 = blake3::hash(&content).to_hex().to_string();
    assert_eq!(parsed["blake3"], blake3.as_str());
    let committed = parsed["committed"].as_str().unwrap();
    let label = nf::name::shown(name);
    let time = committed.split(['.', 'Z']).next().unwrap().replacen('T', " ", 1);
    assert_eq!(
        lines[0][1],
        format!(
            "{label}: received: 1.5 KiB, BLAKE3 {}…, {time} UTC — download receipt",
            &blake3[..16]
        )
    );
    assert_eq!(lines[0][2], blake3, "the whole hash on hover");
    assert_eq!(lines[0][3], format!("{label}.receipt.json"));
    assert_eq!(
        lines[0][4], receipt,
        "the link saves the server's answer byte for byte"
    );
}

#[test]
fn every_dialog_of_the_folder_page_shows_names_as_the_listing_does() {
    let s = Server::start();
    let names = [
        "invoice_\u{202e}txt.exe",
        "zero\u{200b}width.txt",
        "cafe\u{301}.txt",
        "no\u{a0}break.txt",
        "left\u{200e}mark.txt",
        "plain.txt",
    ];
    for name in names {
        let (status, text) = put_with(&s, &format!("/{}", percent_encoded(name)), b"x\n", "X-Test: 1");
        assert_eq!(status, 201, "{name:?}: {text}");
    }
    let (status, _, page) = fetch(&s, "/", &[]);
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    // Each delete button's name, and its row's label as the listing shows it.
    let rows: Vec<(String, String)> = page
        .lines()
        .filter(|l| l.contains("class=\"delete\""))
        .map(|row| {
            let label = html_unescape(between(row, "title=\"", "\""));
            (html_unescape(between(row, "data-name=\"", "\"")), label)
        })
        .collect();
    assert_eq!(rows.len(), names.len(), "{page}");
    for (name, label) in &rows {
        assert_eq!(label, &nf::name::shown(name), "the listing escapes {name:?}");
    }
    let error = "refused: \u{202e}gnp.exe";
    let cases = serde_json::json!({
        "buttons": rows.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        "uploads": names,
        "error": error,
    });
    let shown = run_page_script(&s, &page, &cases);
    let said = |kind: &str, text: &str| shown.iter().any(|d| d[0] == kind && d[1] == text);
    let error_shown = nf::name::printable(error);
    // Each name is a button (its label checked above) and an upload.
    for name in names {
        let label = nf::name::shown(name);
        for (kind, text) in [
            ("confirm", format!("Delete {label}?")),
            ("status", format!("Deleted {label}.")),
            ("status", format!("Uploading {label}…")),
            ("confirm", format!("{label} is already here. Replace it?")),
            ("status", format!("{label}: {error_shown}")),
        ] {
            assert!(said(kind, &text), "{name:?}: no {kind} {text:?} in {shown:?}");
        }
    }
    // Nothing hidden reaches a dialog; the requests carry the names themselves.
    for d in shown.iter().filter(|d| d[0] != "fetch") {
        assert!(!d[1].chars().any(nf::name::hidden), "{d:?}");
    }
    for name in names {
        let asked = shown.iter().filter(|d| d[0] == "fetch" && d[2] == name).count();
        assert_eq!(
            asked, 4,
            "{name:?}: two deletes and two uploads of the name itself"
        );
    }
}

/// The rows of a folder page as its script reads them: each name link's data attributes.
fn page_rows(page: &str) -> Vec<serde_json::Value> {
    page.split("class=\"n\" ")
        .skip(1)
        .map(|row| {
            let data = |key: &str| html_unescape(between(row, &format!("data-{key}=\""), "\""));
            serde_json::json!({
                "name": data("name"),
                "kind": data("kind"),
                "size": data("size").parse::<u64>().unwrap(),
                "time": data("time"),
            })
        })
        .collect()
}

#[test]
fn the_folder_page_sorts_as_the_server_does_filters_and_its_tus_client_resumes() {
    let s = Server::start();
    for (name, size) in [
        ("b.txt", 30),
        ("a.txt", 20),
        ("C.txt", 20),
        ("sub/x", 1),
        ("Café.txt", 5),
    ] {
        let path: Vec<String> = name.split('/').map(percent_encoded).collect();
        let (status, text) = put_with(
            &s,
            &format!("/{}", path.join("/")),
            &vec![b'x'; size],
            "X-Test: 1",
        );
        assert_eq!(status, 201, "{name}: {text}");
    }
    let (status, _, page) = fetch(&s, "/", &[]);
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    let rows = page_rows(&page);
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["sub", "C.txt", "Café.txt", "a.txt", "b.txt"], "{page}");
    let cases = serde_json::json!({
        "rows": rows, "names": names, "filters": ["CAFE\u{301}", " TXT", "sU", "nothing"],
    });
    let out = run_under_node(&s, "logic.js", &page, &cases);
    // The script orders the rows as `?sort=` does on the server.
    for sort in ["name", "-name", "size", "-size", "time", "-time"] {
        let (status, _, sorted) = fetch(&s, &format!("/?sort={sort}"), &[]);
        assert_eq!(status, 200);
        let served: Vec<serde_json::Value> = page_rows(&String::from_utf8(sorted).unwrap())
            .iter()
            .map(|r| r["name"].clone())
            .collect();
        assert_eq!(
            out["order"][sort],
            serde_json::Value::from(served),
            "?sort={sort}"
        );
    }
    assert_eq!(
        out["order"]["size"],
        serde_json::json!(["sub", "Café.txt", "C.txt", "a.txt", "b.txt"])
    );
    let filtered = serde_json::json!([["Café.txt"], ["C.txt", "Café.txt", "a.txt", "b.txt"], ["sub"], []]);
    assert_eq!(out["filters"], filtered, "whatever the case or normalization");
    let progress = serde_json::json!([
        "3.0 MiB of 64 MiB · 5.0 MiB/s · 13 s left",
        "64 MiB of 64 MiB",
        "0 B of 100 B",
        "1 h 2 min",
        "1 min 0 s"
    ]);
    assert_eq!(out["progress"], progress);
    // tus: 8 MiB chunks; the last asks for the receipt, which is what the upload returns.
    let (chunk, size) = (8u64 << 20, (16u64 << 20) + 5);
    let url = "http://h/sub/up/1";
    let patch = |from: u64, to: u64| serde_json::json!(["PATCH", url, from.to_string(), from, to]);
    let head = serde_json::json!(["HEAD", url, null, null, null]);
    let post = serde_json::json!(["POST", "sub/", null, null, null]);
    let straight = &out["straight"];
    assert_eq!(
        straight["log"],
        serde_json::json!([
            post,
            patch(0, chunk),
            patch(chunk, 2 * chunk),
            patch(2 * chunk, size)
        ])
    );
    assert_eq!(
        (&straight["status"], &straight["text"]),
        (&serde_json::json!(200), &serde_json::json!("{\"receipt\":1}"))
    );
    assert_eq!(
        straight["kept"],
        serde_json::json!([]),
        "a finished upload is forgotten"
    );
    // Dropped after 1 MiB of the second chunk, then away for two HEADs: it backs off, asks
    // where the upload stands and sends from there.
    let dropped = &out["dropped"];
    let resumed_at = chunk + (1 << 20);
    assert_eq!(
        dropped["log"],
        serde_json::json!([
            post,
            patch(0, chunk),
            patch(chunk, 2 * chunk),
            head,
            head,
            head,
            patch(resumed_at, size)
        ])
    );
    assert_eq!(dropped["waits"], serde_json::json!([500, 1000, 2000]));
    assert_eq!(dropped["text"], "{\"receipt\":1}");
    // After a reload the same file continues: HEAD, no new upload.
    let resumed = &out["resumed"];
    assert_eq!(resumed["log"], serde_json::json!([head, patch(chunk + 7, size)]));
    // A refusal ends it at once, for the page to show.
    assert_eq!(out["refused"]["status"], 403);
    assert_eq!(out["refused"]["log"], serde_json::json!([post]));
    // A server that never comes back: twelve tries, then words that say what to do, and the
    // upload's URL is kept for the next try.
    assert_eq!(
        out["gave_up"],
        serde_json::json!([
            "the connection failed (network error); choose the file again to continue",
            url
        ])
    );
}

#[test]
fn a_tar_of_picked_names_holds_those_entries_and_everything_below_them() {
    let s = Server::start();
    for name in ["a/x.txt", "a/b/y.txt", "b/z.txt", "c.txt", "d e.txt"] {
        let path: Vec<String> = name.split('/').map(percent_encoded).collect();
        let (status, text) = put_with(&s, &format!("/{}", path.join("/")), name.as_bytes(), "X-Test: 1");
        assert_eq!(status, 201, "{name}: {text}");
    }
    let listed = |path: &str| {
        let (status, _, archive) = fetch(&s, path, &[]);
        assert_eq!(status, 200, "{path}");
        let mut names = tar_list(&s, &archive);
        names.sort();
        names
    };
    assert_eq!(
        listed("/?tar&name=a&name=d%20e.txt&name=nothing"),
        [
            "files/a/",
            "files/a/b/",
            "files/a/b/y.txt",
            "files/a/x.txt",
            "files/d e.txt"
        ]
    );
    assert_eq!(listed("/a/?tar&name=x.txt"), ["a/", "a/x.txt"]);
    assert_eq!(listed("/?tar&name=nothing"), Vec::<String>::new());
    // And the bytes are the files' own.
    let (_, _, archive) = fetch(&s, "/?tar&name=c.txt", &[]);
    let into = s.work.join("picked");
    untar(&archive, &into);
    assert_eq!(std::fs::read(into.join("files/c.txt")).unwrap(), b"c.txt");
}
