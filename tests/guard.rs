//! The guards against other programs and web pages: HTTP requests for a name the server does
//! not answer to are refused (DNS rebinding), a change from another site's page is refused
//! (Origin), a token never goes to a program that merely holds a known server's port, and
//! wrong tokens from one address are slowed. Every refusal is checked on disk.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;

/// `curl ARGS URL` (bounded in time): the status and the body.
fn request(args: &[&str], url: &str) -> (u16, String) {
    let out: Output = Command::new("curl")
        .args(["-sS", "--max-time", "60", "-w", "\n%{http_code}"])
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("curl is installed (.ci/run installs it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    let code = code
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{text:?} {}", stderr(&out)));
    (code, body.to_string())
}

/// What the storage directory holds, at every depth (but `.nf`): each path with its content
/// (none for a directory).
fn snapshot(s: &Server) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut dirs = vec![s.root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(&s.root).unwrap().to_string_lossy().to_string();
            if name == ".nf" {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
                out.push((name, None));
            } else {
                out.push((name, Some(std::fs::read(&path).unwrap())));
            }
        }
    }
    out.sort();
    out
}

/// A server with `keep.txt` and `docs/in.txt`, and a local file to upload.
fn with_files(extra: &str) -> (Server, String) {
    let s = Server::with_config(extra);
    std::fs::create_dir_all(s.root.join("docs")).unwrap();
    std::fs::write(s.root.join("keep.txt"), b"keep me\n").unwrap();
    std::fs::write(s.root.join("docs/in.txt"), b"inside\n").unwrap();
    let upload = s.file("up.txt", b"uploaded\n").to_str().unwrap().to_string();
    (s, upload)
}

/// The requests of the matrix: what curl is given, with the upload's path.
fn every_kind_of_request(upload: &str) -> Vec<(&'static str, Vec<String>)> {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        ("/", args(&[])),
        ("/keep.txt", args(&[])),
        ("/?json", args(&[])),
        ("/?tar", args(&[])),
        ("/docs/", args(&[])),
        ("/keep.txt", args(&["-I"])),
        ("/new.txt", args(&["-T", upload])),
        ("/keep.txt", args(&["-T", upload])),
        ("/keep.txt", args(&["-X", "DELETE"])),
        ("/docs/?recursive", args(&["-X", "DELETE"])),
        ("/keep.txt", args(&["-X", "POST", "--data", "x"])),
    ]
}

#[test]
fn a_request_for_a_foreign_host_is_refused_whatever_it_asks_and_changes_nothing() {
    let (s, upload) = with_files("");
    let before = snapshot(&s);
    assert_eq!(before.len(), 3);
    let pin = s.fingerprint.clone();
    let tls = ["-k", "--pinnedpubkey", pin.as_str()];
    for (scheme, extra) in [("http", &[][..]), ("https", &tls[..])] {
        for (path, args) in every_kind_of_request(&upload) {
            let mut all: Vec<&str> = extra.to_vec();
            all.extend(["-H", "Host: evil.example.com"]);
            all.extend(args.iter().map(String::as_str));
            let (status, body) = request(&all, &format!("{scheme}://{}{path}", s.addr));
            assert_eq!(status, 421, "{scheme} {args:?} {path}: {body}");
            if !args.contains(&"-I".to_string()) {
                assert!(body.contains("allowed_hosts"), "the body names the key: {body}");
                assert!(body.contains("evil.example.com"), "{body}");
            }
            assert_eq!(snapshot(&s), before, "{scheme} {args:?} {path} changed the store");
        }
    }
    let line = s.log_line(|l| l.contains("PUT 421"));
    assert!(line.contains("DNS rebinding"), "{line}");
}

#[test]
fn addresses_localhost_and_allowed_names_are_served() {
    let (s, upload) = with_files("allowed_hosts = [\"files.example.org\", \"*.lan\"]");
    let port = s.addr.rsplit_once(':').unwrap().1.to_string();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    for host in [
        format!("{}:{port}", hostname.trim()),
        s.addr.clone(),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "files.example.org".to_string(),
        format!("Box.LAN:{port}"),
    ] {
        let url = format!("http://{}/keep.txt", s.addr);
        let (status, body) = request(&["-H", &format!("Host: {host}")], &url);
        assert_eq!((status, body.as_str()), (200, "keep me\n"), "Host: {host}");
        let (status, _) = request(
            &["-H", &format!("Host: {host}"), "-T", &upload],
            &format!("http://{}/by-{port}.txt", s.addr),
        );
        assert!((200..300).contains(&status), "PUT with Host {host}: {status}");
    }
    assert_eq!(s.read_stored(&format!("by-{port}.txt")), b"uploaded\n");
    let (status, _) = request(
        &["-H", "Host: files.example.org.evil.com"],
        &format!("http://{}/", s.addr),
    );
    assert_eq!(status, 421, "only the names listed");
}

#[test]
fn a_change_from_another_sites_page_is_refused_and_the_servers_own_page_may_change() {
    let (s, upload) = with_files("");
    let before = snapshot(&s);
    let own = format!("Origin: http://{}", s.addr);
    let pin = s.fingerprint.clone();
    let tls = ["-k", "--pinnedpubkey", pin.as_str()];
    let changes = [
        ("/keep.txt", vec!["-T", upload.as_str()]),
        ("/keep.txt", vec!["-X", "DELETE"]),
        ("/docs/?recursive", vec!["-X", "DELETE"]),
    ];
    for (scheme, extra, foreign) in [
        ("http", &[][..], "Origin: http://evil.example.com"),
        ("http", &[][..], "Origin: null"),
        ("https", &tls[..], "Origin: https://evil.example.com"),
        ("https", &tls[..], own.as_str()),
    ] {
        for (path, args) in &changes {
            let mut all: Vec<&str> = extra.to_vec();
            all.extend(["-H", foreign]);
            all.extend(args);
            let (status, body) = request(&all, &format!("{scheme}://{}{path}", s.addr));
            assert_eq!(status, 403, "{scheme} {foreign} {args:?}: {body}");
            assert!(body.contains("may not change"), "{body}");
            assert_eq!(
                snapshot(&s),
                before,
                "{scheme} {foreign} {args:?} changed the store"
            );
        }
    }
    // A GET from another site is not a change (the Host check guards reads).
    let (status, _) = request(
        &["-H", "Origin: http://evil.example.com"],
        &format!("http://{}/keep.txt", s.addr),
    );
    assert_eq!(status, 200);
    // What the folder page's fetch() sends: its own origin, over http and https.
    let (status, _) = request(
        &["-H", &own, "-T", &upload],
        &format!("http://{}/keep.txt", s.addr),
    );
    assert_eq!(status, 200, "the page replaces a file");
    assert_eq!(s.read_stored("keep.txt"), b"uploaded\n");
    let https_own = format!("Origin: https://{}", s.addr);
    let mut all: Vec<&str> = tls.to_vec();
    all.extend(["-H", https_own.as_str(), "-X", "DELETE"]);
    let (status, _) = request(&all, &format!("https://{}/keep.txt", s.addr));
    assert_eq!(status, 204, "the page deletes a file over https");
    assert_eq!(s.stored(), vec!["docs".to_string()]);
}

/// The bytes a plain TCP listener on `addr` receives from one client, and what it answered:
/// it replies as a plaintext nf server would, then reads until the client hangs up.
fn impersonate(listener: TcpListener) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().expect("the client connects");
        sock.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut got = vec![0u8; 64 * 1024];
        let n = sock.read(&mut got).unwrap_or(0);
        got.truncate(n);
        let _ = std::io::Write::write_all(&mut sock, b"{\"ok\":true,\"version\":1,\"server\":\"nf\"}\n");
        let mut rest = Vec::new();
        let _ = sock.read_to_end(&mut rest);
        got.extend(rest);
        got
    })
}

/// A listener on `addr` once the port is free: a killed server's port may be taken for a
/// moment by another test's outgoing connection (ports for those come from the same range).
fn bind_when_free(addr: &str) -> TcpListener {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match TcpListener::bind(addr) {
            Ok(listener) => return listener,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(e) => panic!("cannot listen on {addr}, the stopped server's port: {e}"),
        }
    }
}

#[test]
fn a_token_never_goes_to_a_plain_listener_on_the_port_of_a_recorded_server() {
    let mut s = Server::with_config("token = \"s3cret-p6\"");
    let with_token = |s: &Server, args: &[&str]| {
        s.cmd_in(&s.work, args)
            .env("NF_TOKEN", "s3cret-p6")
            .output()
            .unwrap()
    };
    let out = with_token(&s, &["ls"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&s.fingerprint),
        "trusted on first use: {}",
        stderr(&out)
    );
    let known = std::fs::read_to_string(s.dir.path().join("known_servers")).unwrap();
    assert_eq!(
        known,
        format!("{} {}\n", s.addr, s.fingerprint),
        "the token went over TLS"
    );
    s.kill();
    let listener = bind_when_free(&s.addr);
    let got = impersonate(listener.try_clone().unwrap());
    let out = with_token(&s, &["ls"]);
    let received = got.join().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("recorded in") && err.contains("nothing was sent"),
        "{err}"
    );
    assert!(!received.is_empty(), "the listener saw the client");
    assert_eq!(
        received[0], 0x16,
        "a TLS ClientHello came first, not nf's greeting"
    );
    let find = |needle: &[u8]| received.windows(needle.len()).any(|w| w == needle);
    assert!(
        !find(b"s3cret-p6") && !find(b"NF/1"),
        "sent: {:?}",
        String::from_utf8_lossy(&received)
    );
    // Without a token, the key recorded still means TLS: no plaintext to an impostor.
    let got = impersonate(listener);
    let out = s.nf(&["ls"]);
    let received = got.join().unwrap();
    assert!(!out.status.success());
    assert_eq!(
        received.first(),
        Some(&0x16),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

/// True for a reply that refuses a wrong or missing token (not a wait).
fn wrong_token(reply: &serde_json::Value) -> bool {
    reply["code"] == "auth"
        && reply["message"]
            .as_str()
            .is_some_and(|m| m.contains("needs a token"))
}

#[test]
fn wrong_tokens_from_one_address_are_slowed_and_the_right_token_works_from_another() {
    let s = Server::with_config("token = \"right\"");
    let hello = |from: &str, token: &str| {
        let mut raw = Raw::connect_from(&s.addr, from);
        raw.send(format!("NF/1\n{{\"op\":\"hello\",\"token\":\"{token}\"}}\n").as_bytes());
        raw.json()
    };
    for i in 0..5 {
        let reply = hello("127.0.0.5", "wrong");
        assert!(wrong_token(&reply), "try {i}: {reply}");
    }
    // Tries while waiting are refused and make the wait longer (each doubles it, up to 60 s),
    // so however slow this machine is, the address soon waits far longer than this test runs.
    let replies: Vec<serde_json::Value> = (0..10).map(|_| hello("127.0.0.5", "wrong")).collect();
    let checked = replies.iter().filter(|r| wrong_token(r)).count();
    assert!(checked < 10, "the address was never made to wait: {replies:?}");
    let reply = hello("127.0.0.5", "right");
    assert_eq!(reply["code"], "auth", "even the right token waits: {reply}");
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.contains("too many wrong tokens from this address: wait"),
        "{reply}"
    );
    assert_eq!(
        hello("127.0.0.6", "right")["ok"],
        true,
        "another address is let in"
    );
    // HTTP from a third address: 401 five times, then 429 with Retry-After, and few log lines.
    let url = format!("http://{}/", s.addr);
    let bearer = ["--interface", "127.0.0.7", "-H", "Authorization: Bearer wrong"];
    for _ in 0..5 {
        assert_eq!(request(&bearer, &url).0, 401);
    }
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "60", "-D", "-", "-o", "/dev/null"])
        .args(bearer)
        .args(std::iter::repeat_n(url.as_str(), 50))
        .output()
        .unwrap();
    let heads = String::from_utf8_lossy(&out.stdout);
    let statuses: Vec<&str> = heads.lines().filter(|l| l.starts_with("HTTP/1.1 ")).collect();
    assert_eq!(statuses.len(), 50, "{heads}");
    let waited = statuses.iter().filter(|l| l.starts_with("HTTP/1.1 429")).count();
    assert!(
        waited >= 40 && statuses[49].starts_with("HTTP/1.1 429"),
        "{heads}"
    );
    assert_eq!(
        waited + statuses.iter().filter(|l| l.starts_with("HTTP/1.1 401")).count(),
        50
    );
    assert!(heads.to_ascii_lowercase().contains("retry-after: "), "{heads}");
    let right = ["--interface", "127.0.0.8", "-H", "Authorization: Bearer right"];
    let (status, body) = request(&right, &url);
    assert_eq!(status, 200, "{body}");
    // The log: a line per checked token, one `guessing` line per address, none per wait.
    let log = s.log_after(|l| l.contains(" 127.0.0.8:") && l.contains("GET 200"));
    let about = |addr: &str| -> (usize, Vec<String>) {
        let lines: Vec<String> = log
            .lines()
            .filter(|l| l.contains(addr))
            .map(str::to_string)
            .collect();
        let said = lines
            .iter()
            .filter(|l| l.contains(&format!(" {addr} guessing: ")))
            .count();
        (said, lines)
    };
    let (said, lines) = about("127.0.0.7");
    assert_eq!(said, 1, "{lines:#?}");
    assert_eq!(lines.len(), 1 + 5 + (50 - waited), "{lines:#?}");
    let (said, lines) = about("127.0.0.5");
    assert_eq!(said, 1, "{lines:#?}");
    assert_eq!(lines.len(), 1 + 5 + checked, "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("5 wrong tokens and 0 tries refused")),
        "{lines:#?}"
    );
}
