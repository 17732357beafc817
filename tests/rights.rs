//! Who may do what, enforced once for every dialect by the operations layer: on a read-only
//! server every state-changing operation of every dialect (native plain and over TLS, HTTP,
//! seed, classroom) is refused in that dialect's own words and the storage directory is left
//! exactly as it was, while every read still works. The log line names the principal.

mod common;

use std::collections::BTreeMap;
use std::net::Shutdown;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;

/// Every file and directory under `root` (but nf's own `.nf`), with each file's content: what
/// a refusal must leave untouched.
fn snapshot(root: &Path) -> Tree {
    let mut seen = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    // Bounded: the tests' trees hold a handful of entries.
    for _ in 0..1000 {
        let Some(dir) = todo.pop() else {
            return seen;
        };
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(root).unwrap().to_string_lossy().to_string();
            if name == ".nf" {
                continue;
            }
            if path.is_dir() {
                seen.insert(format!("{name}/"), None);
                todo.push(path);
            } else {
                seen.insert(name, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    panic!("more than 1000 directories under {}", root.display());
}

type Tree = BTreeMap<String, Option<Vec<u8>>>;

/// Asserts the storage tree is still `before` and holds no partial upload, after `what`.
fn assert_unchanged(s: &Server, before: &Tree, what: impl std::fmt::Debug) {
    assert_eq!(snapshot(&s.root), *before, "{what:?} changed the tree");
    assert!(
        s.partials().is_empty(),
        "{what:?} left a partial: {:?}",
        s.partials()
    );
}

/// A `--read-only` server (default settings otherwise) holding `keep.txt` and `d/in.txt`.
fn read_only_server() -> Server {
    let s = Server::with_args("", &["--read-only"]);
    s.place_by_hand("keep.txt", b"KEEP");
    std::fs::create_dir(s.root.join("d")).unwrap();
    s.place_by_hand("d/in.txt", b"IN");
    s
}

/// The native client over plain TCP, or over TLS pinned to the server's identity.
#[derive(Clone, Copy, Debug)]
enum Native {
    Plain,
    Tls,
}

fn nf(s: &Server, how: Native, args: &[&str]) -> Output {
    let mut cmd = s.cmd_in(&s.work, args);
    match how {
        Native::Plain => cmd.env("NF_TLS", "never").env_remove("NF_FINGERPRINT"),
        Native::Tls => cmd.env("NF_TLS", "always").env("NF_FINGERPRINT", &s.fingerprint),
    };
    cmd.output().expect("run nf")
}

/// `curl` with `args` against `path`: the status and the body.
fn curl(s: &Server, path: &str, args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "60", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .arg(format!("http://{}{path}", s.addr))
        .current_dir(&s.work)
        .stdin(Stdio::null())
        .output()
        .expect("curl is installed (.ci/run installs it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text
        .rsplit_once('\n')
        .unwrap_or_else(|| panic!("{text:?} {}", stderr(&out)));
    (status.parse().unwrap(), body.to_string())
}

/// A classroom reply to `request` on a new connection, parsed.
fn classroom(s: &Server, request: &[u8]) -> serde_json::Value {
    json_reply(&talk(&s.addr, request))
}

/// A seed upload from a plain socket, as in the issue: its first piece is answered `ERROR`
/// (the dialect's only word for a failure), then the connection ends with nothing stored.
fn seed_upload(s: &Server, request: &[u8]) -> Vec<u8> {
    let mut raw = Raw::connect(&s.addr);
    raw.send(request);
    let first = raw.bytes(5);
    raw.stream.shutdown(Shutdown::Write).unwrap();
    assert!(raw.closed());
    first
}

#[test]
fn a_read_only_server_refuses_every_change_in_every_native_way_and_keeps_the_tree() {
    let s = read_only_server();
    let before = snapshot(&s.root);
    let new = s.file("new.txt", b"NEW");
    let new = new.to_str().unwrap();
    let changes: [&[&str]; 7] = [
        &["put", new],
        &["put", "-f", new, "keep.txt"],
        &["rm", "keep.txt"],
        &["rm", "-r", "d"],
        &["mkdir", "fresh"],
        &["mv", "keep.txt", "moved.txt"],
        &["mv", "-f", "keep.txt", "d/in.txt"],
    ];
    for how in [Native::Plain, Native::Tls] {
        for args in changes {
            let out = nf(&s, how, args);
            assert_fails(&out, 7, "this server is read-only");
            assert_unchanged(&s, &before, (how, args));
        }
        // Reads still work.
        let out = nf(&s, how, &["get", "-o", "-", "keep.txt"]);
        assert!(out.status.success(), "{how:?}: {}", stderr(&out));
        assert_eq!(out.stdout, b"KEEP");
        let out = nf(&s, how, &["ls", "--json", "-r"]);
        assert!(out.status.success(), "{how:?}: {}", stderr(&out));
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let names: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["d", "d/in.txt", "keep.txt"], "{how:?}");
        let out = nf(&s, how, &["stat", "--json", "d/in.txt"]);
        assert!(out.status.success(), "{how:?}: {}", stderr(&out));
        let stat: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(stat[0]["size"], 2, "{how:?}: {stat}");
    }
}

#[test]
fn a_read_only_server_refuses_http_puts_and_deletes_and_keeps_the_tree() {
    let s = read_only_server();
    let before = snapshot(&s.root);
    let new = s.file("new.txt", b"NEW");
    let new = new.to_str().unwrap();
    let changes: [(&str, &[&str]); 5] = [
        ("/new.txt", &["-T", new]),
        ("/keep.txt", &["-T", new]),
        ("/d/fresh.txt", &["-T", new]),
        ("/keep.txt", &["-X", "DELETE"]),
        ("/d/?recursive", &["-X", "DELETE"]),
    ];
    for (path, args) in changes {
        let (status, body) = curl(&s, path, args);
        assert_eq!(status, 403, "{args:?} {path}: {body}");
        assert!(
            body.contains("this server is read-only"),
            "{args:?} {path}: {body}"
        );
        assert_unchanged(&s, &before, (path, args));
    }
    assert_eq!(curl(&s, "/keep.txt", &[]), (200, "KEEP".to_string()));
    let (status, json) = curl(&s, "/d/?json", &[]);
    assert_eq!(status, 200);
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(listed[0]["name"], "d/in.txt", "{listed}");
}

#[test]
fn a_read_only_server_refuses_seed_uploads_and_keeps_the_tree() {
    let s = read_only_server();
    let before = snapshot(&s.root);
    // Exactly the issue's request (no terminator), an upload over an existing file, and one
    // ended by a newline.
    for request in [
        &b"upload seed.txt QUFBQQ=="[..],
        b"upload keep.txt QUFBQQ==\n",
        b"upload other.txt QUFBQQ==\n",
    ] {
        let what = String::from_utf8_lossy(request);
        assert_eq!(seed_upload(&s, request), b"ERROR", "{what:?}");
        assert_unchanged(&s, &before, what);
    }
    // The refusal is the policy's, and the log line says who asked.
    let line = s.log_line(|l| l.contains(" seed:upload \"seed.txt\" "));
    assert!(
        line.ends_with(" anonymous error denied: this server is read-only: uploads, deletions, new folders and moves are refused"),
        "{line}"
    );
    // Reads still work (seed requests have no terminator: the server answers once the
    // client goes quiet).
    let listing = talk(&s.addr, b"list");
    assert_eq!(
        String::from_utf8(listing).unwrap(),
        "{\"status\": \"succes\", \"data\": [\"keep.txt\"]}"
    );
    let download = String::from_utf8(talk(&s.addr, b"download keep.txt")).unwrap();
    assert_eq!(download.trim_end(), "S0VFUA==");
}

#[test]
fn a_read_only_server_refuses_classroom_uploads_posts_and_deletes_and_keeps_the_tree() {
    let s = read_only_server();
    let before = snapshot(&s.root);
    for request in [
        &b"UPLOAD cls.txt QUFBQQ==\r\n\r\n"[..],
        b"POST cls.txt QUFBQQ==\r\n\r\n",
        b"UPLOAD keep.txt QUFBQQ==\r\n\r\n",
        b"DELETE keep.txt\r\n\r\n",
    ] {
        let reply = classroom(&s, request);
        assert_eq!(reply["status"], "ERROR", "{reply}");
        assert!(
            reply["data"]
                .as_str()
                .unwrap()
                .contains("this server is read-only"),
            "{reply}"
        );
        assert_unchanged(&s, &before, String::from_utf8_lossy(request));
    }
    let list = classroom(&s, b"LIST\r\n\r\n");
    assert_eq!(list["status"], "OK", "{list}");
    assert_eq!(list["data"], serde_json::json!(["keep.txt"]));
    let got = classroom(&s, b"GET keep.txt\r\n\r\n");
    assert_eq!(got["status"], "OK", "{got}");
    assert_eq!(got["data_file"].as_str().unwrap().trim_end(), "S0VFUA==", "{got}");
}

#[test]
fn the_log_line_names_the_principal() {
    // Without a token everyone is anonymous; with one, a client that presented it acts as
    // `token`.
    let open = Server::start();
    assert!(open.nf(&["ls"]).status.success());
    let line = open.log_line_within(Duration::from_secs(30), |l| l.contains(" list - "));
    assert!(line.ends_with(" anonymous ok"), "{line}");

    let locked = Server::with_config("token = \"s3cret-token-for-tests\"");
    let out = locked
        .cmd_in(&locked.work, &["ls"])
        .env("NF_TOKEN", "s3cret-token-for-tests")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let line = locked.log_line_within(Duration::from_secs(30), |l| l.contains(" list - "));
    assert!(line.ends_with(" token ok"), "{line}");
    // HTTP with the token as Bearer acts as `token` too; the old dialects are anonymous.
    locked.place_by_hand("a.txt", b"A");
    let (status, body) = curl(
        &locked,
        "/a.txt",
        &["-H", "Authorization: Bearer s3cret-token-for-tests"],
    );
    assert_eq!((status, body.as_str()), (200, "A"));
    let line = locked.log_line_within(Duration::from_secs(30), |l| l.contains(" GET 200 \"a.txt\" "));
    assert!(line.ends_with(" token ok"), "{line}");
}
