//! The old text dialects (seed and classroom) on nf's own port: driven by Python clients that
//! behave like the old ones (tests/compat_clients/, quirks included) and by raw sockets for
//! exact bytes. Everything they store is an ordinary nf file, and everything nf stores can be
//! fetched by them, byte for byte.

mod common;

use std::io::Read;
use std::net::Shutdown;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat_clients/seed.py");
const CLASSROOM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat_clients/classroom.py");

/// A server whose quiet period is short, so that the many requests without a terminator
/// here do not add up; the default is exercised by its own test.
fn server() -> Server {
    Server::with_config("compat_quiet_ms = 60")
}

/// Runs a Python test client (`python3 SCRIPT ARGS`), killing it after 60 s.
fn py(script: &str, args: &[&str]) -> Output {
    let mut child = Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs the old-client test scripts");
    let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read_all = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let (out, err) = (read_all(Box::new(out)), read_all(Box::new(err)));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{script} {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Runs the seed client and returns what it printed; it must exit with `code`.
fn seed(s: &Server, args: &[&str], code: i32) -> String {
    let mut all = vec![s.addr.as_str()];
    all.extend_from_slice(args);
    let out = py(SEED, &all);
    assert_eq!(out.status.code(), Some(code), "seed {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs the classroom client and returns the JSON it printed (the reply, minus `data_file`).
fn classroom(s: &Server, args: &[&str]) -> serde_json::Value {
    let mut all = vec![s.addr.as_str()];
    all.extend_from_slice(args);
    let out = py(CLASSROOM, &all);
    assert!(out.status.success(), "classroom {args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn assert_error(reply: &serde_json::Value, needle: &str) {
    assert_eq!(reply["status"], "ERROR", "{reply}");
    let data = reply["data"].as_str().unwrap_or_default();
    assert!(data.contains(needle), "{needle:?} not in {reply}");
}

/// The stored file `name` as `nf ls --json` shows it, once it shows `blake3`. A seed upload
/// is committed when its client closes the connection, a moment after the client has seen
/// its last `OK`: so wait for it (bounded).
fn listed(s: &Server, name: &str, blake3: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let entry = s.ls().into_iter().find(|f| f["name"] == name);
        match entry {
            Some(e) if e["blake3"] == blake3 => return e,
            other if Instant::now() > deadline => panic!("{name} is not listed as {blake3}: {other:?}"),
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Asserts that `name` is stored with exactly `content`: listed with its size and BLAKE3,
/// and fetched back by `nf get`.
fn assert_stored(s: &Server, name: &str, content: &[u8]) {
    let entry = listed(s, name, &blake3_hex(content));
    assert_eq!(entry["size"], content.len() as u64, "{entry}");
    assert_eq!(entry["blake3"], blake3_hex(content), "{entry}");
    let back = s.work.join(format!("back-{name}"));
    let out = s.nf(&["get", name, "-o", back.to_str().unwrap(), "-f"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read(&back).unwrap() == content,
        "nf get {name}: other bytes"
    );
}

fn put(s: &Server, name: &str, content: &[u8]) {
    let path = s.file(name, content);
    let out = s.nf(&["put", path.to_str().unwrap(), "-f"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_seed_list_is_answered_when_the_client_goes_quiet_in_the_old_servers_words() {
    let s = server();
    assert_eq!(seed(&s, &["list"], 0), r#"{"status": "succes", "data": []}"#);
    put(&s, "pesan.txt", b"hi");
    put(&s, "corona.jpg", b"jpg");
    put(&s, "café.txt", b"x");
    // Sorted by name; non-ASCII escaped the way Python's json.dumps does.
    assert_eq!(
        seed(&s, &["list"], 0),
        r#"{"status": "succes", "data": ["caf\u00e9.txt", "corona.jpg", "pesan.txt"]}"#
    );
}

#[test]
fn the_classroom_list_works_without_a_terminator_with_crlf_and_with_a_bare_newline() {
    let s = server();
    put(&s, "a.jpg", b"a");
    put(&s, "b.pdf", b"b");
    let reply = classroom(&s, &["list"]);
    assert_eq!(
        reply,
        serde_json::json!({"status": "OK", "data": ["a.jpg", "b.pdf"]})
    );
    let exact = b"{\"status\": \"OK\", \"data\": [\"a.jpg\", \"b.pdf\"]}\r\n\r\n".to_vec();
    assert_eq!(talk(&s.addr, b"LIST\r\n\r\n"), exact);
    assert_eq!(talk(&s.addr, b"list\n"), exact);
    assert_eq!(talk(&s.addr, b"List"), exact);
}

#[test]
fn the_quiet_period_for_requests_without_a_terminator_is_a_setting() {
    let s = Server::with_config("compat_quiet_ms = 1200");
    put(&s, "a.txt", b"a");
    let started = Instant::now();
    let reply = json_reply(&talk(&s.addr, b"LIST"));
    let waited = started.elapsed();
    assert_eq!(reply["data"], serde_json::json!(["a.txt"]));
    assert!(waited >= Duration::from_millis(1100), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    // A terminator, or the client's half-close, needs no wait.
    let started = Instant::now();
    assert_eq!(json_reply(&talk(&s.addr, b"LIST\r\n\r\n"))["status"], "OK");
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"list");
    raw.stream.shutdown(Shutdown::Write).unwrap();
    let mut reply = String::new();
    raw.reader.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, r#"{"status": "succes", "data": ["a.txt"]}"#);
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );

    // The default is a few hundred milliseconds.
    let d = Server::start();
    let started = Instant::now();
    assert_eq!(json_reply(&talk(&d.addr, b"LIST"))["status"], "OK");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

#[test]
fn a_seed_upload_is_an_ordinary_nf_file_and_overwrites_like_the_old_server() {
    let s = server();
    // Several pieces of 1024 bytes of base64, each acknowledged before the next is sent.
    let content = random_bytes(100_000, 1);
    let file = s.file("photo.jpg", &content);
    assert_eq!(seed(&s, &["upload", "photo.jpg", path_str(&file)], 0), "OK");
    assert_stored(&s, "photo.jpg", &content);
    // An existing name is overwritten (a file put with nf put too).
    put(&s, "notes.txt", b"old notes");
    let newer = s.file("newer.txt", b"new notes, longer than the old ones\n");
    assert_eq!(seed(&s, &["upload", "notes.txt", path_str(&newer)], 0), "OK");
    assert_stored(&s, "notes.txt", b"new notes, longer than the old ones\n");
    // A small file is one piece; an empty file is the command alone.
    let small = s.file("small", b"abc");
    assert_eq!(seed(&s, &["upload", "small.txt", path_str(&small)], 0), "OK");
    assert_stored(&s, "small.txt", b"abc");
    let empty = s.file("empty", b"");
    assert_eq!(seed(&s, &["upload", "empty.txt", path_str(&empty)], 0), "OK");
    assert_stored(&s, "empty.txt", b"");
    assert!(s.partials().is_empty());
}

#[test]
fn classroom_uploads_and_posts_are_ordinary_nf_files() {
    let s = server();
    let content = random_bytes(70_000, 2);
    let file = s.file("c.bin", &content);
    let reply = classroom(&s, &["upload", "c.bin", path_str(&file)]);
    assert_eq!(reply["status"], "OK", "{reply}");
    assert_eq!(reply["data"], "c.bin stored (70000 bytes)");
    assert_stored(&s, "c.bin", &content);
    let reply = classroom(&s, &["upload", "p.bin", path_str(&file), "POST"]);
    assert_eq!(reply["status"], "OK", "{reply}");
    assert_stored(&s, "p.bin", &content);
    // Overwrites, like the old server.
    let other = s.file("other", b"other");
    assert_eq!(
        classroom(&s, &["upload", "c.bin", path_str(&other)])["status"],
        "OK"
    );
    assert_stored(&s, "c.bin", b"other");

    // Variants other clients send: the word in lowercase; MIME lines ended by a bare `\n`
    // and then silence; the content cut off by the client's half-close.
    let reply = json_reply(&talk(&s.addr, b"upload lower.txt aGVsbG8=\r\n\r\n"));
    assert_eq!(reply["status"], "OK", "{reply}");
    assert_stored(&s, "lower.txt", b"hello");
    let long = random_bytes(200, 3);
    let mut mime = b"Upload mime.bin ".to_vec();
    for line in base64_lines(&long) {
        mime.extend_from_slice(line.as_bytes());
        mime.push(b'\n');
    }
    let reply = json_reply(&talk(&s.addr, &mime));
    assert_eq!(reply["status"], "OK", "{reply}");
    assert_stored(&s, "mime.bin", &long);
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"POST closed.txt aGk=");
    raw.stream.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    raw.reader.read_to_end(&mut reply).unwrap();
    assert_eq!(json_reply(&reply)["status"], "OK");
    assert_stored(&s, "closed.txt", b"hi");
    assert!(s.partials().is_empty());
}

/// Base64 in MIME lines of 76 characters, through the Python standard library (the same
/// encoder as the old clients).
fn base64_lines(data: &[u8]) -> Vec<String> {
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let out = Command::new("python3")
        .args([
            "-c",
            "import base64,sys; sys.stdout.write(base64.encodebytes(bytes.fromhex(sys.argv[1])).decode())",
            &hex,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_file_put_with_nf_put_comes_back_byte_for_byte_through_both_dialects() {
    let s = server();
    let content = random_bytes(300_001, 4);
    put(&s, "data.bin", &content);
    put(&s, "empty.bin", b"");
    put(&s, "two words.txt", b"spaces are fine in nf names\n");
    for (name, expected) in [
        ("data.bin", &content[..]),
        ("empty.bin", b""),
        ("two words.txt", b"spaces are fine in nf names\n"),
    ] {
        let via_seed = s.work.join("via-seed");
        let printed = seed(&s, &["download", name, path_str(&via_seed)], 0);
        assert_eq!(printed, expected.len().to_string());
        assert!(
            std::fs::read(&via_seed).unwrap() == expected,
            "seed download {name}"
        );
        let via_classroom = s.work.join("via-classroom");
        let reply = classroom(&s, &["get", name, path_str(&via_classroom)]);
        assert_eq!(
            reply,
            serde_json::json!({"status": "OK", "data_namafile": name}),
            "{reply}"
        );
        assert!(
            std::fs::read(&via_classroom).unwrap() == expected,
            "classroom GET {name}"
        );
    }
    // The exact bytes of a small GET reply.
    assert_eq!(
        talk(&s.addr, b"GET two words.txt\r\n\r\n"),
        b"{\"status\": \"OK\", \"data_namafile\": \"two words.txt\", \"data_file\": \
          \"c3BhY2VzIGFyZSBmaW5lIGluIG5mIG5hbWVzCg==\"}\r\n\r\n"
    );
    // Missing files.
    assert_eq!(seed(&s, &["download", "nothing.bin", "/dev/null"], 3), "ERROR");
    assert_error(
        &json_reply(&talk(&s.addr, b"GET nothing.bin")),
        "no file named \"nothing.bin\"",
    );
}

#[test]
fn classroom_delete_removes_a_file_and_reports_a_missing_one() {
    let s = server();
    put(&s, "old.log", b"log");
    put(&s, "keep.txt", b"keep");
    let reply = classroom(&s, &["delete", "old.log"]);
    assert_eq!(
        reply,
        serde_json::json!({"status": "OK", "data": "old.log deleted"})
    );
    assert_eq!(s.names(), vec!["keep.txt"]);
    assert_error(
        &classroom(&s, &["delete", "old.log"]),
        "no file named \"old.log\"",
    );
    assert_error(
        &json_reply(&talk(&s.addr, b"DELETE\r\n\r\n")),
        "names cannot be empty",
    );
    assert_eq!(s.names(), vec!["keep.txt"]);
}

#[test]
fn unknown_commands_get_errcmd_or_an_error_reply() {
    let s = server();
    // A lowercase word with no terminator is the seed dialect.
    assert_eq!(talk(&s.addr, b"hello"), b"ERRCMD");
    assert_eq!(talk(&s.addr, b"remove a.txt"), b"ERRCMD");
    // Anything else is the classroom dialect.
    assert_error(
        &json_reply(&talk(&s.addr, b"FROB x\r\n\r\n")),
        "unknown command \"FROB\"",
    );
    assert_error(
        &json_reply(&talk(&s.addr, b"hello\n")),
        "unknown command \"hello\"",
    );
    assert_error(&json_reply(&talk(&s.addr, b"\r\n\r\n")), "unknown command");
    assert_error(&json_reply(&talk(&s.addr, b"UPLOAD\r\n\r\n")), "needs a name");
    // An HTTP request is neither: it is served as HTTP (the folder page, then the end).
    let reply = String::from_utf8(talk(&s.addr, b"GET /?json HTTP/1.0\r\n\r\n")).unwrap();
    assert!(reply.starts_with("HTTP/1.0 200 OK\r\n"), "{reply}");
    assert!(
        reply.contains("Connection: close\r\n") && reply.ends_with("[]\n"),
        "{reply}"
    );
    // A request line over max_header_bytes is refused.
    let mut huge = b"GET ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 70_000));
    assert_error(&json_reply(&talk(&s.addr, &huge)), "longer than 65536 bytes");
    s.assert_serving();
}

#[test]
fn the_old_dialects_see_and_fetch_only_the_files_at_the_top() {
    let s = server();
    put(&s, "top.txt", b"at the top\n");
    let deep = s.file("deep.txt", b"in a directory\n");
    let out = s.nf(&["put", path_str(&deep), "--as", "photos/2020/deep.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(s.nf(&["mkdir", "empty"]).status.success());
    // Both listings name only the file at the top: no directory, nothing below one.
    assert_eq!(
        seed(&s, &["list"], 0).trim(),
        r#"{"status": "succes", "data": ["top.txt"]}"#
    );
    let list = json_reply(&talk(&s.addr, b"LIST\r\n\r\n"));
    assert_eq!(list["data"], serde_json::json!(["top.txt"]), "{list}");
    // A path is not a name to them, and a directory is not a file.
    let get = json_reply(&talk(&s.addr, b"GET photos/2020/deep.txt\r\n\r\n"));
    assert_error(&get, "the old text dialects see only the top level");
    let get = json_reply(&talk(&s.addr, b"GET photos\r\n\r\n"));
    assert_error(&get, "is a directory");
    let delete = json_reply(&talk(&s.addr, b"DELETE photos\r\n\r\n"));
    assert_error(&delete, "is a directory");
    assert_eq!(
        seed(&s, &["download", "photos/2020/deep.txt", "/dev/null"], 3),
        "ERROR"
    );
    assert_eq!(s.read_stored("photos/2020/deep.txt"), b"in a directory\n");
    assert_stored(&s, "top.txt", b"at the top\n");
}

#[test]
fn bad_names_never_reach_outside_the_storage_directory() {
    let s = server();
    // A file beside the storage directory that a `..` name would reach.
    std::fs::write(s.dir.path().join("secret.txt"), b"secret").unwrap();
    let content = s.file("x", b"payload");
    for name in [
        "../../etc/passwd",
        "../secret.txt",
        "..",
        ".nf",
        "a/b",
        "/etc/passwd",
        "a\\b",
    ] {
        assert_eq!(seed(&s, &["download", name, "/dev/null"], 3), "ERROR", "{name}");
        assert_eq!(
            seed(&s, &["upload", name, path_str(&content)], 0),
            "ERROR",
            "{name}"
        );
        let get = json_reply(&talk(&s.addr, format!("GET {name}").as_bytes()));
        assert_error(&get, "invalid name");
        let upload = json_reply(&talk(
            &s.addr,
            format!("UPLOAD {name} cGF5bG9hZA==\r\n\r\n").as_bytes(),
        ));
        assert_error(&upload, "invalid name");
        let delete = json_reply(&talk(&s.addr, format!("DELETE {name}\r\n\r\n").as_bytes()));
        assert_error(&delete, "invalid name");
    }
    // Control characters and invalid UTF-8 in a name.
    assert_error(
        &json_reply(&talk(&s.addr, b"GET a\x1bb\r\n\r\n")),
        "control characters",
    );
    assert_error(&json_reply(&talk(&s.addr, b"GET a\xffb\r\n\r\n")), "valid UTF-8");
    assert!(s.stored().is_empty(), "{:?}", s.stored());
    assert!(s.partials().is_empty());
    assert_eq!(std::fs::read(s.dir.path().join("secret.txt")).unwrap(), b"secret");
    let expected = [
        "client-none.toml",
        "secret.txt",
        "server-data",
        "server.toml",
        "store",
        "work",
    ];
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            expected.contains(&name.as_str()),
            "{name} appeared beside the store"
        );
    }
}

#[test]
fn bad_base64_is_refused_and_nothing_is_stored() {
    let s = server();
    // Seed: the piece with bad base64 is answered ERROR, and so is every later piece.
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"upload bad.bin QUJD@@@@\n");
    assert_eq!(raw.bytes(5), b"ERROR");
    raw.send(b"QUJD\n");
    assert_eq!(raw.bytes(5), b"ERROR");
    raw.stream.shutdown(Shutdown::Write).unwrap();
    assert!(raw.closed());
    // Classroom: an invalid character, data after the padding, a lone last character.
    for body in [&b"QUJD@@@@"[..], b"QQ==QUJD", b"QUJDR"] {
        let mut request = b"UPLOAD bad.bin ".to_vec();
        request.extend_from_slice(body);
        request.extend_from_slice(b"\r\n\r\n");
        assert_error(&json_reply(&talk(&s.addr, &request)), "not base64");
    }
    assert!(s.stored().is_empty());
    assert!(s.partials().is_empty());
}

#[test]
fn transfers_over_compat_max_bytes_are_refused() {
    let s = Server::with_config("compat_quiet_ms = 60\ncompat_max_bytes = 10000");
    let big = s.file("big", &random_bytes(20_000, 5));
    let exact = random_bytes(10_000, 6);
    let exact_file = s.file("exact", &exact);
    assert_eq!(seed(&s, &["upload", "big.bin", path_str(&big)], 0), "ERROR");
    let reply = classroom(&s, &["upload", "big.bin", path_str(&big)]);
    assert_error(&reply, "over this server's limit of 10000 bytes");
    assert!(s.stored().is_empty());
    assert!(s.partials().is_empty());
    // The limit itself is allowed.
    assert_eq!(seed(&s, &["upload", "exact.bin", path_str(&exact_file)], 0), "OK");
    assert_stored(&s, "exact.bin", &exact);
    // Downloads too: nf put has no such limit, the old dialects do.
    put(&s, "native.bin", &random_bytes(20_000, 7));
    assert_eq!(seed(&s, &["download", "native.bin", "/dev/null"], 3), "ERROR");
    assert_error(&json_reply(&talk(&s.addr, b"GET native.bin")), "nf get");
    s.assert_serving();
}

#[test]
fn a_5_mib_binary_file_goes_up_and_down_through_each_dialect() {
    let s = server();
    let content = random_bytes(5 << 20, 8);
    let file = s.file("five.bin", &content);
    let timed = |what: &str, f: &mut dyn FnMut()| {
        let started = Instant::now();
        f();
        eprintln!("5 MiB {what}: {:.2?}", started.elapsed());
    };
    timed("seed upload", &mut || {
        assert_eq!(seed(&s, &["upload", "seed.bin", path_str(&file)], 0), "OK")
    });
    assert_stored(&s, "seed.bin", &content);
    let back = s.work.join("seed-back");
    timed("seed download", &mut || {
        assert_eq!(
            seed(&s, &["download", "seed.bin", path_str(&back)], 0),
            content.len().to_string()
        )
    });
    assert!(std::fs::read(&back).unwrap() == content, "seed download differs");
    timed("classroom upload", &mut || {
        let reply = classroom(&s, &["upload", "classroom.bin", path_str(&file)]);
        assert_eq!(reply["status"], "OK", "{reply}");
    });
    assert_stored(&s, "classroom.bin", &content);
    let back = s.work.join("classroom-back");
    timed("classroom GET", &mut || {
        assert_eq!(
            classroom(&s, &["get", "classroom.bin", path_str(&back)])["status"],
            "OK"
        )
    });
    assert!(std::fs::read(&back).unwrap() == content, "classroom GET differs");
}

/// What an old client gets from a server whose old dialects are off: a refusal in its own
/// dialect (the seed dialect's `ERROR`, the classroom dialect's error reply), at once (not
/// after the idle timeout), then the end of the connection.
fn assert_refused(addr: &str, request: &[u8]) {
    let started = Instant::now();
    let reply = talk(addr, request);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let seed = request.iter().all(|b| !b.is_ascii_uppercase() && *b != b'\r');
    if seed {
        assert_eq!(reply, b"ERROR", "{}", String::from_utf8_lossy(&reply));
    } else {
        assert_error(&json_reply(&reply), "old text dialects are turned off");
    }
}

#[test]
fn compat_false_and_no_compat_turn_the_old_dialects_off() {
    let s = Server::with_config("compat = false");
    put(&s, "a.txt", b"a");
    assert_refused(&s.addr, b"list");
    assert_refused(&s.addr, b"LIST\r\n\r\n");
    assert_refused(&s.addr, b"upload a.txt QUJD\n");
    let flagged = Server::with_args("", &["--no-compat"]);
    assert_refused(&flagged.addr, b"GET a.txt");
    // The native protocol is unaffected.
    let out = Command::new(NF)
        .args(["ls", "--json", "-s", &flagged.addr])
        .env("NF_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.names(), vec!["a.txt"]);
    // Without the flag the same configuration answers them.
    let plain = Server::start();
    assert_eq!(json_reply(&talk(&plain.addr, b"LIST\r\n\r\n"))["status"], "OK");
}

#[test]
fn old_and_native_clients_are_served_at_the_same_time() {
    let s = server();
    // Two old clients that stall: an upload after its first piece, a GET without its name.
    let mut stalled_upload = Raw::connect(&s.addr);
    stalled_upload.send(b"upload stalled.bin QUJD");
    assert_eq!(stalled_upload.bytes(2), b"OK");
    let mut stalled_get = Raw::connect(&s.addr);
    stalled_get.send(b"GET");
    // Meanwhile native and old clients come and go in parallel.
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let s = &s;
            scope.spawn(move || {
                for i in 0..3u64 {
                    let data = random_bytes(150_000 + (t * 3 + i) as usize, 100 + t * 3 + i);
                    let name = format!("t{t}-{i}.bin");
                    let file = s.file(&name, &data);
                    match t {
                        0 => put(s, &name, &data),
                        1 => assert_eq!(seed(s, &["upload", &name, path_str(&file)], 0), "OK"),
                        2 => {
                            let r = classroom(s, &["upload", &name, path_str(&file)]);
                            assert_eq!(r["status"], "OK", "{r}");
                        }
                        _ => {
                            put(s, &name, &data);
                            let back = s.work.join(format!("{name}.back"));
                            let r = classroom(s, &["get", &name, path_str(&back)]);
                            assert_eq!(r["status"], "OK", "{r}");
                            assert!(std::fs::read(&back).unwrap() == data);
                        }
                    }
                    assert_stored(s, &name, &data);
                }
            });
        }
    });
    assert_eq!(s.ls().len(), 12);
    // The stalled clients were never answered early, and the stalled upload is invisible.
    stalled_get.stream.set_nonblocking(true).unwrap();
    let mut probe = [0u8; 16];
    assert!(
        stalled_get.stream.read(&mut probe).is_err(),
        "GET without a name was answered"
    );
    assert!(!s.names().contains(&"stalled.bin".to_string()));
}

#[test]
fn silent_and_stalled_old_clients_are_closed_by_the_default_deadlines() {
    // The defaults: a request head must arrive within handshake_timeout_secs (10 s), and a
    // body that stops moving falls under min_body_rate over its 10 s window.
    let s = server();
    let started = Instant::now();
    let mut silent = Raw::connect(&s.addr);
    let mut half_command = Raw::connect(&s.addr);
    half_command.send(b"download");
    let mut stopped = Raw::connect(&s.addr);
    stopped.send(b"upload cut.bin QUJDREVG\n");
    assert_eq!(stopped.bytes(2), b"OK");
    assert!(silent.closed());
    assert!(half_command.closed());
    let heads = started.elapsed();
    assert!(
        heads >= Duration::from_secs(9) && heads < Duration::from_secs(13),
        "heads closed after {heads:?}"
    );
    stopped
        .stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    assert!(stopped.closed());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(25),
        "the stopped upload closed after {waited:?}"
    );
    // The cut upload left nothing behind.
    assert!(s.stored().is_empty());
    assert!(s.partials().is_empty());
    s.assert_serving();
}

#[test]
fn every_old_dialect_request_is_logged_like_a_native_one() {
    let s = server();
    let file = s.file("log.bin", &random_bytes(3000, 9));
    assert_eq!(seed(&s, &["upload", "log.bin", path_str(&file)], 0), "OK");
    assert_error(&json_reply(&talk(&s.addr, b"GET ../x\r\n\r\n")), "invalid name");
    assert_eq!(talk(&s.addr, b"nonsense"), b"ERRCMD");
    let wanted = [
        " seed:upload \"log.bin\" 3000 ",
        " classroom:get \"../x\" 0 ",
        " seed:unknown \"nonsense\" 0 ",
    ];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = s.log.lock().unwrap().clone();
        let lines: Vec<&str> = wanted
            .iter()
            .filter_map(|w| log.lines().find(|l| l.contains(w)))
            .collect();
        if lines.len() == wanted.len() {
            assert!(lines[0].ends_with(" ok"), "{}", lines[0]);
            assert!(lines[1].contains(" error bad_name: invalid name"), "{}", lines[1]);
            assert!(
                lines[2].contains(" error protocol: unknown command"),
                "{}",
                lines[2]
            );
            // time, peer, op, quoted name, bytes, duration, result
            let fields: Vec<&str> = lines[0].split(' ').collect();
            assert!(fields[1].starts_with("127.0.0.1:"), "{}", lines[0]);
            assert!(fields[5].ends_with('s'), "{}", lines[0]);
            break;
        }
        assert!(Instant::now() < deadline, "log lines missing:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One step of a ```compat-session example in docs/PROTOCOL.md.
#[derive(Debug)]
enum Step {
    Send(Vec<u8>),
    HalfClose,
    Expect(String),
    ServerCloses,
}

/// The ```compat-session blocks of docs/PROTOCOL.md, with their line numbers. In them `\r` and
/// `\n` stand for CR and LF; every other character is itself.
fn dialect_examples(doc: &str) -> Vec<(usize, Vec<Step>)> {
    let unescape = |t: &str| t.replace("\\r", "\r").replace("\\n", "\n");
    let mut blocks = Vec::new();
    let mut current: Option<(usize, Vec<Step>)> = None;
    for (n, line) in doc.lines().enumerate() {
        if line == "```compat-session" {
            current = Some((n + 1, Vec::new()));
        } else if line == "```" {
            blocks.extend(current.take());
        } else if let Some((_, steps)) = current.as_mut() {
            steps.push(match line {
                "C: (closes)" => Step::HalfClose,
                "S: (closes)" => Step::ServerCloses,
                _ if line.starts_with("C: ") => Step::Send(unescape(&line[3..]).into_bytes()),
                _ if line.starts_with("S: ") => Step::Expect(unescape(&line[3..])),
                _ => panic!(
                    "PROTOCOL.md line {}: a session line starts with `C: ` or `S: `",
                    n + 1
                ),
            });
        }
    }
    blocks
}

#[test]
fn the_dialect_examples_in_protocol_md_are_what_the_server_does() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).unwrap();
    let blocks = dialect_examples(&doc);
    assert!(blocks.len() >= 12, "found only {} examples", blocks.len());
    let s = server();
    for (line, steps) in blocks {
        let mut raw = Raw::connect(&s.addr);
        for step in steps {
            match step {
                Step::Send(bytes) => raw.send(&bytes),
                Step::HalfClose => raw.stream.shutdown(Shutdown::Write).unwrap(),
                Step::Expect(text) => {
                    // As many bytes as expected, or fewer if the server closes first.
                    let mut got = Vec::new();
                    (&mut raw.reader)
                        .take(text.len() as u64)
                        .read_to_end(&mut got)
                        .unwrap();
                    let got = String::from_utf8_lossy(&got);
                    assert_eq!(got, text, "PROTOCOL.md example at line {line}");
                }
                Step::ServerCloses => {}
            }
        }
        // Every example ends with the server closing, and nothing more was sent.
        let mut rest = Vec::new();
        raw.reader.read_to_end(&mut rest).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&rest),
            "",
            "PROTOCOL.md example at line {line}"
        );
    }
    // What the examples stored is ordinary nf content.
    assert_stored(&s, "pesan.txt", b"hello\n");
    assert_eq!(s.names(), vec!["corona.jpg", "pesan.txt"]);
}

#[test]
fn a_seed_download_whose_client_shuts_its_side_after_the_command_is_sent_whole() {
    // `printf 'download big.bin' | nc -N host port` ends the command by a half-close, which
    // PROTOCOL.md allows; the client still reads the whole reply.
    let s = server();
    let content = random_bytes(2 << 20, 31);
    s.file("big.bin", &content);
    assert!(s.nf(&["put", "big.bin"]).status.success());
    // A small receive window, so that the server waits for the peer to take its download.
    let mut sock = connect_with_window(&s.addr, "127.0.0.1", Some(4096));
    std::io::Write::write_all(&mut sock, b"download big.bin").unwrap();
    sock.shutdown(Shutdown::Write).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match sock.read(&mut chunk).expect("the server replies and closes") {
            0 => break,
            n => reply.extend_from_slice(&chunk[..n]),
        }
    }
    let text: Vec<u8> = reply.into_iter().filter(|b| !b.is_ascii_whitespace()).collect();
    let decoded = <base64::engine::GeneralPurpose as base64::Engine>::decode(
        &base64::engine::general_purpose::STANDARD,
        &text,
    )
    .unwrap_or_else(|e| panic!("{} bytes of base64: {e}", text.len()));
    assert!(decoded == content, "{} of {} bytes", decoded.len(), content.len());
    let line = s.log_line(|l| l.contains(" seed:download \"big.bin\""));
    assert!(line.ends_with(" ok"), "{line}");
}
