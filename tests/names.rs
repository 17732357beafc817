//! Bad names and escapes: every rule of the flat namespace is enforced on both sides, and
//! nothing outside the storage directory can be read, written or listed.

mod common;

use common::*;

const BAD: &[&str] = &[
    "",
    ".",
    "..",
    ".nf",
    "../../etc/passwd",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "tab\there",
    "new\nline",
];

#[test]
fn the_client_rejects_every_bad_name_before_sending() {
    let s = Server::start();
    s.file("ok.txt", b"x");
    let long = "x".repeat(256);
    let mut bad: Vec<&str> = BAD.to_vec();
    bad.push(&long);
    for name in bad {
        assert_fails(&s.nf(&["put", "ok.txt", "--as", name]), 2, "invalid name");
        assert_fails(&s.nf(&["get", name]), 2, "invalid name");
        assert_fails(&s.nf(&["rm", name]), 2, "invalid name");
    }
    assert!(s.names().is_empty());
}

#[test]
fn the_server_rejects_every_bad_name_on_the_wire() {
    let s = Server::start();
    let long = "y".repeat(256);
    let mut bad: Vec<String> = BAD.iter().map(|b| b.to_string()).collect();
    bad.push(long);
    bad.push("nul\u{0}byte".into());
    for name in &bad {
        let mut raw = s.raw();
        let header = serde_json::json!({"op": "put", "name": name, "size": 3});
        let trailer = serde_json::json!({"blake3": blake3_hex(b"abc")});
        raw.send(format!("{header}\nabc{trailer}\n").as_bytes());
        let reply = raw.json();
        assert_eq!(reply["ok"], false, "{name:?}: {reply}");
        assert_eq!(reply["code"], "bad_name", "{name:?}: {reply}");
        // The connection stays in step: the next request on it works.
        raw.send(b"{\"op\":\"list\"}\n");
        assert_eq!(raw.json()["count"], 0);
        for op in ["get", "rm", "stat"] {
            raw.send(format!("{}\n", serde_json::json!({"op": op, "name": name})).as_bytes());
            assert_eq!(raw.json()["code"], "bad_name", "{op} {name:?}");
        }
    }
    assert!(s.stored().is_empty());
    assert!(!s.dir.path().join("etc").exists());
}

#[test]
fn a_non_utf8_local_file_name_needs_as() {
    use std::os::unix::ffi::OsStrExt;
    let s = Server::start();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(s.work.join(name), b"latin-1 name").unwrap();
    let out = std::process::Command::new(NF)
        .arg("put")
        .arg(name)
        .args(["-s", &s.addr])
        .current_dir(&s.work)
        .output()
        .unwrap();
    assert_fails(&out, 2, "UTF-8");
    let out = std::process::Command::new(NF)
        .arg("put")
        .arg(name)
        .args(["--as", "cafe.txt", "-s", &s.addr])
        .current_dir(&s.work)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.names(), vec!["cafe.txt"]);
}

/// Plants `ROOT/x -> target` and checks that no operation follows, replaces or removes it,
/// and that what the link points to (created outside the store if relative) never changes.
fn a_planted_symlink_is_left_alone(target: &str) {
    let s = Server::start();
    let link = s.root.join("x");
    std::os::unix::fs::symlink(target, &link).unwrap();
    let outside = s.root.join(target);
    if !outside.exists() {
        std::fs::write(&outside, b"beside the store, not in it").unwrap();
    }
    let before = std::fs::read(&outside).unwrap();
    let still_there = || {
        let md = std::fs::symlink_metadata(&link).expect("the link is still there");
        assert!(md.file_type().is_symlink(), "{target}: the link was replaced");
        assert_eq!(std::fs::read_link(&link).unwrap().to_str(), Some(target));
        assert_eq!(std::fs::read(&outside).unwrap(), before, "{target} was changed");
    };
    let says = "\"x\" on the server is a symbolic link, not a file: nf never follows, replaces or \
                removes one in its storage directory";
    // Every operation says what is there, with the exit code of a refusal (7).
    assert_fails(&s.nf(&["get", "x"]), 7, says);
    assert!(!s.work.join("x").exists(), "{target}: nothing was downloaded");
    assert_fails(&s.nf(&["get", "x", "-o", "-"]), 7, says);
    assert_fails(&s.nf(&["stat", "x"]), 7, says);
    assert_fails(&s.nf(&["rm", "x"]), 7, says);
    still_there();
    s.file("x", b"new content");
    assert_fails(&s.nf(&["put", "x"]), 7, says);
    still_there();
    assert_fails(&s.nf(&["put", "-f", "x"]), 7, says);
    still_there();
    // A large file asks first (stat), a resume too: refused before any byte is sent.
    s.file("x", &random_bytes(3 << 20, 7));
    let out = s.nf(&["put", "-f", "--resume", "x"]);
    assert_fails(&out, 7, says);
    assert!(stderr(&out).contains("uploaded 0 of 1 file"), "{}", stderr(&out));
    still_there();
    // On the wire, forced or not: `denied` before the body, and the connection goes on.
    let mut raw = s.raw();
    for force in [false, true] {
        let header = serde_json::json!({"op": "put", "name": "x", "size": 3, "force": force});
        let trailer = serde_json::json!({"blake3": blake3_hex(b"abc")});
        raw.send(format!("{header}\nabc{trailer}\n").as_bytes());
        let reply = raw.json();
        assert_eq!(reply["code"], "denied", "{reply}");
        assert!(reply["message"].as_str().unwrap().contains(says), "{reply}");
    }
    raw.send(b"{\"op\":\"get\",\"name\":\"x\"}\n");
    assert_eq!(raw.json()["code"], "denied");
    still_there();
    assert!(s.names().is_empty(), "a link is never listed");
    assert!(s.partials().is_empty(), "nothing was kept");
    s.log_line(|l| {
        l.contains(" put \"x\" ") && l.contains("error denied: \"x\" on the server is a symbolic link")
    });
}

#[test]
fn a_symlink_planted_in_the_store_is_never_followed_replaced_or_removed() {
    if !local_store_only("symlinks in the storage directory") {
        return;
    }
    a_planted_symlink_is_left_alone("/etc/passwd");
    a_planted_symlink_is_left_alone("../outside");
}

#[test]
fn a_directory_in_the_store_is_refused_by_name_and_never_replaced() {
    if !local_store_only("directories in the storage directory") {
        return;
    }
    let s = Server::start();
    std::fs::create_dir(s.root.join("adir")).unwrap();
    std::fs::write(s.root.join("adir/inside"), b"kept").unwrap();
    s.file("adir", b"a file now");
    let says = "\"adir\" on the server is a directory, not a file";
    assert_fails(&s.nf(&["put", "-f", "adir"]), 7, says);
    assert_fails(&s.nf(&["get", "adir", "-o", "-"]), 7, says);
    assert_fails(&s.nf(&["rm", "adir"]), 7, says);
    assert_eq!(std::fs::read(s.root.join("adir/inside")).unwrap(), b"kept");
    assert!(s.names().is_empty());
}

#[test]
fn bidi_and_invisible_characters_in_names_are_escaped_on_every_terminal_line() {
    let s = Server::start();
    let evil = "invoice_\u{202e}txt.exe";
    let zero = "pay\u{200b}pal\u{feff}.txt";
    s.place_by_hand(evil, b"MZ not a text file");
    s.place_by_hand(zero, b"looks like paypal.txt");
    let raw_chars = ['\u{202e}', '\u{200b}', '\u{feff}'];
    let clean = |text: &str, what: &str| {
        assert!(
            !text.contains(raw_chars),
            "{what} shows a raw bidi or invisible character: {text:?}"
        );
    };
    // The table: each name escaped, so it reads as what it is.
    let ls = s.nf(&["ls"]);
    let table = String::from_utf8(ls.stdout).unwrap();
    clean(&table, "ls");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[0].ends_with(r"  invoice_\u{202e}txt.exe"), "{table}");
    assert!(lines[1].ends_with(r"  pay\u{200b}pal\u{feff}.txt"), "{table}");
    // JSON stays exact data.
    let mut names = s.names();
    names.sort();
    assert_eq!(names, [evil, zero]);
    // stat's table too.
    let stat = s.nf(&["stat", evil]);
    assert!(stat.status.success(), "{}", stderr(&stat));
    let text = String::from_utf8(stat.stdout).unwrap();
    assert!(text.ends_with("  invoice_\\u{202e}txt.exe\n"), "{text}");
    // The -v line of a download, and an error.
    let get = s.nf(&["get", "-v", evil]);
    assert!(get.status.success(), "{}", stderr(&get));
    let err = stderr(&get);
    clean(&err, "get -v");
    assert!(err.contains(r#""invoice_\u{202e}txt.exe"  18 B"#), "{err}");
    assert_eq!(std::fs::read(s.work.join(evil)).unwrap(), b"MZ not a text file");
    let rm = s.nf(&["rm", "gone_\u{202e}fdp.exe"]);
    assert_fails(&rm, 3, r#"nf: error: no file named "gone_\u{202e}fdp.exe""#);
    clean(&stderr(&rm), "rm");
    let put = s.nf(&["put", evil]);
    assert_fails(&put, 4, r#"nf: error: "invoice_\u{202e}txt.exe" already exists"#);
    clean(&stderr(&put), "put");
    // The server's log.
    let log = s.log_after(|l| l.contains(r#" rm "gone_\u{202e}fdp.exe" "#));
    clean(&log, "the server's log");
    assert!(log.contains(r#" get "invoice_\u{202e}txt.exe" 18 "#), "{log}");
    assert!(
        log.contains(r#"error not_found: no file named "gone_\u{202e}fdp.exe""#),
        "{log}"
    );
}

#[test]
fn an_nfd_named_local_file_is_stored_under_its_nfc_name() {
    let s = Server::start();
    // As a macOS file system hands it over: e + combining acute.
    s.file("re\u{301}sume\u{301}.pdf", b"curriculum vitae");
    let out = s.nf(&["put", "re\u{301}sume\u{301}.pdf"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.names(), ["r\u{e9}sum\u{e9}.pdf"]);
    assert_eq!(s.read_stored("r\u{e9}sum\u{e9}.pdf"), b"curriculum vitae");
    // --as too, and a second upload under the other spelling is the same name.
    let out = s.nf(&["put", "re\u{301}sume\u{301}.pdf", "--as", "cafe\u{301}.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    s.file("r\u{e9}sum\u{e9}.pdf", b"again");
    let out = s.nf(&["put", "r\u{e9}sum\u{e9}.pdf"]);
    assert_fails(&out, 4, "\"r\u{e9}sum\u{e9}.pdf\" already exists");
    let mut names = s.names();
    names.sort();
    assert_eq!(names, ["caf\u{e9}.txt", "r\u{e9}sum\u{e9}.pdf"]);
    // Two local spellings of one name in one batch would be one upload twice.
    let dir = s.work.join("two");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a\u{301}"), b"1").unwrap();
    std::fs::write(dir.join("\u{e1}"), b"2").unwrap();
    let out = s.nf_in(&dir, &["put", "a\u{301}", "\u{e1}"]);
    assert_fails(&out, 2, "would be stored as \"\u{e1}\" too");
}
