//! Bad names and escapes: every rule of names (relative paths) is enforced on both sides, a
//! symlink planted anywhere in the storage directory is never followed, and nothing outside
//! the storage directory can be read, written or listed.

mod common;

use common::*;

/// Names no side accepts: on the command line they are bad names even once tidied.
const BAD: &[&str] = &[
    "",
    ".",
    "..",
    ".nf",
    "a/.nf/b",
    "../../etc/passwd",
    "a/../../x",
    "a\\b",
    "tab\there",
    "new\nline",
];

/// Names the client tidies (`/etc/passwd` is `etc/passwd` on the server) but the server takes
/// only exactly: on the wire they are bad names.
const BAD_ON_THE_WIRE: &[&str] = &["/etc/passwd", "/abs", "a//b", "a/", "a/./b", "./a"];

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
    let mut bad: Vec<String> = BAD.iter().chain(BAD_ON_THE_WIRE).map(|b| b.to_string()).collect();
    bad.push(long);
    bad.push(vec!["d"; 129].join("/"));
    bad.push(vec!["x".repeat(250); 17].join("/"));
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
        for op in ["get", "rm", "stat", "mkdir"] {
            raw.send(format!("{}\n", serde_json::json!({"op": op, "name": name})).as_bytes());
            assert_eq!(raw.json()["code"], "bad_name", "{op} {name:?}");
        }
        for request in [
            serde_json::json!({"op": "rm", "name": name, "recursive": true}),
            serde_json::json!({"op": "mv", "from": name, "to": "ok"}),
            serde_json::json!({"op": "mv", "from": "ok", "to": name}),
            serde_json::json!({"op": "list", "path": name, "recursive": true}),
        ] {
            raw.send(format!("{request}\n").as_bytes());
            assert_eq!(raw.json()["code"], "bad_name", "{request}");
        }
    }
    assert!(s.stored().is_empty());
    assert!(!s.dir.path().join("etc").exists());
    assert!(!s.dir.path().join("x").exists());
}

#[test]
fn names_at_the_limits_of_depth_and_length_are_stored_and_one_more_is_refused() {
    let s = Server::with_config("max_path_components = 4\nmax_path_bytes = 20");
    let mut raw = s.raw();
    let put = |raw: &mut Raw, name: &str| {
        let header = serde_json::json!({"op": "put", "name": name, "size": 1});
        let trailer = serde_json::json!({"blake3": blake3_hex(b"z")});
        raw.send(format!("{header}\nz{trailer}\n").as_bytes());
        raw.json()
    };
    assert_eq!(put(&mut raw, "a/b/c/d")["ok"], true);
    assert_eq!(put(&mut raw, "aaaaaaaaaa/bbbbbbbbb")["ok"], true);
    let deep = put(&mut raw, "a/b/c/d/e");
    assert_eq!(deep["code"], "bad_name", "{deep}");
    assert!(
        deep["message"].as_str().unwrap().contains("at most 4 components"),
        "{deep}"
    );
    let long = put(&mut raw, "aaaaaaaaaa/bbbbbbbbbb");
    assert_eq!(long["code"], "bad_name", "{long}");
    assert!(
        long["message"].as_str().unwrap().contains("at most 20 bytes"),
        "{long}"
    );
    assert_eq!(s.read_stored("a/b/c/d"), b"z");
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
fn a_name_is_never_a_file_and_a_directory_at_once() {
    let s = Server::start();
    s.file("one", b"a file now");
    assert!(s.nf(&["mkdir", "adir"]).status.success());
    s.file("inside", b"kept");
    assert!(s.nf(&["put", "inside", "--as", "adir/inside"]).status.success());
    // A file where a directory is: refused, forced or not, with exit code 4.
    let says = "\"adir\" on the server is a directory";
    assert_fails(&s.nf(&["put", "-f", "one", "--as", "adir"]), 4, says);
    assert_fails(
        &s.nf(&["get", "adir", "-o", "-"]),
        4,
        "fetch a directory with get -r",
    );
    assert_fails(&s.nf(&["rm", "adir"]), 4, "remove it with rm -r");
    // A directory where a file is, or a file in the way of a directory.
    assert!(s.nf(&["put", "one"]).status.success());
    let in_the_way = "\"one\" on the server is a file, not a directory";
    assert_fails(&s.nf(&["put", "inside", "--as", "one/x"]), 4, in_the_way);
    assert_fails(&s.nf(&["mkdir", "one"]), 4, in_the_way);
    assert_fails(&s.nf(&["mkdir", "one/sub"]), 4, in_the_way);
    assert_fails(
        &s.nf(&["mv", "-f", "adir", "one"]),
        4,
        "a directory cannot replace it",
    );
    assert_fails(&s.nf(&["mv", "adir", "adir/inside/deeper"]), 4, "");
    // On the wire, the same codes, and the connection goes on.
    let mut raw = s.raw();
    for (request, code) in [
        (serde_json::json!({"op": "mkdir", "name": "one"}), "conflict"),
        (serde_json::json!({"op": "rm", "name": "adir"}), "conflict"),
        (
            serde_json::json!({"op": "mv", "from": "one", "to": "adir"}),
            "conflict",
        ),
        (
            serde_json::json!({"op": "mv", "from": "adir", "to": "adir/x"}),
            "conflict",
        ),
        (serde_json::json!({"op": "get", "name": "adir"}), "conflict"),
        (serde_json::json!({"op": "list", "path": "one/x"}), "conflict"),
    ] {
        raw.send(format!("{request}\n").as_bytes());
        let reply = raw.json();
        assert_eq!(reply["code"], code, "{request}: {reply}");
    }
    let header = serde_json::json!({"op": "put", "name": "adir", "size": 3, "force": true});
    let trailer = serde_json::json!({"blake3": blake3_hex(b"abc")});
    raw.send(format!("{header}\nabc{trailer}\n").as_bytes());
    assert_eq!(raw.json()["code"], "conflict");
    // Nothing changed.
    assert_eq!(s.read_stored("adir/inside"), b"kept");
    assert_eq!(s.read_stored("one"), b"a file now");
    let ls = s.ls();
    let listed: Vec<(&str, &str)> = ls
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["type"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("adir", "dir"), ("one", "file")]);
}

/// Plants `ROOT/a -> target` (a directory outside the store) and checks that no operation on a
/// name below `a` goes through it: each is refused with `denied`, and nothing outside the
/// storage directory is read, written or listed.
fn an_intermediate_symlink_is_never_followed(target: &str) {
    let s = Server::start();
    let outside = s.root.join(target);
    if !outside.exists() {
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("passwd"), b"beside the store, not in it").unwrap();
    }
    let before: Vec<(std::path::PathBuf, Vec<u8>)> = if target.starts_with('/') {
        Vec::new()
    } else {
        vec![(
            outside.join("passwd"),
            std::fs::read(outside.join("passwd")).unwrap(),
        )]
    };
    std::os::unix::fs::symlink(target, s.root.join("a")).unwrap();
    let says = "\"a\" on the server is a symbolic link, not a directory: nf never follows";
    s.file("x", b"new");
    assert_fails(&s.nf(&["put", "x", "--as", "a/x"]), 7, says);
    assert_fails(&s.nf(&["put", "-f", "x", "--as", "a/deeper/x"]), 7, says);
    assert_fails(&s.nf(&["get", "a/passwd", "-o", "-"]), 7, says);
    assert_fails(&s.nf(&["get", "-r", "a", "-o", "got"]), 7, "symbolic link");
    assert_fails(&s.nf(&["ls", "a/"]), 7, "\"a\" on the server is a symbolic link");
    assert_fails(&s.nf(&["ls", "-r", "a/passwd"]), 7, says);
    assert_fails(&s.nf(&["stat", "a/passwd"]), 7, says);
    assert_fails(&s.nf(&["rm", "a/passwd"]), 7, says);
    assert_fails(&s.nf(&["rm", "-r", "a/x"]), 7, says);
    assert_fails(&s.nf(&["mkdir", "a/b"]), 7, says);
    assert!(s.nf(&["put", "x"]).status.success());
    assert_fails(&s.nf(&["mv", "x", "a/x"]), 7, says);
    assert_fails(&s.nf(&["mv", "a/passwd", "stolen"]), 7, says);
    // The link itself is left alone, named as a whole: not followed, not removed.
    assert_fails(
        &s.nf(&["rm", "-r", "a"]),
        7,
        "\"a\" on the server is a symbolic link",
    );
    assert!(std::fs::symlink_metadata(s.root.join("a"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(!s.work.join("got").join("a").join("passwd").exists());
    assert!(!s.work.join("passwd").exists());
    for (path, content) in before {
        assert_eq!(std::fs::read(&path).unwrap(), content, "{}", path.display());
    }
    if !target.starts_with('/') {
        let mut left: Vec<String> = std::fs::read_dir(&outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        left.sort();
        assert_eq!(left, ["passwd"], "nothing was written beside the store");
    }
    assert!(!std::path::Path::new("/etc/x").exists());
    assert_eq!(s.names(), ["x"], "the link is never listed");
}

#[test]
fn a_symlink_planted_at_an_intermediate_component_is_never_followed() {
    if !local_store_only("symlinks in the storage directory") {
        return;
    }
    an_intermediate_symlink_is_never_followed("/etc");
    an_intermediate_symlink_is_never_followed("../outside");
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

/// A Linux server holds names Windows cannot: a device name, a trailing dot, two names that
/// differ only by case. A Windows client's `get -r` refuses each of those items with its reason
/// and brings the rest; a later `sync` down refuses them again and overwrites nothing. A client
/// elsewhere brings everything.
#[test]
fn names_windows_cannot_hold_are_refused_one_by_one_on_a_windows_client_and_the_rest_arrive() {
    let s = Server::start();
    let files: &[(&str, &[u8])] = &[
        ("d/A.txt", b"upper"),
        ("d/CON.txt", b"a device on Windows"),
        ("d/a.", b"trailing dot"),
        ("d/a.txt", b"lower"),
        ("d/fine.txt", b"fine"),
        ("d/sub/keep.txt", b"kept"),
    ];
    // Stored by a protocol client (the client under test may not hold these names).
    for (name, data) in files {
        let mut raw = s.raw();
        let header = serde_json::json!({"op": "put", "name": name, "size": data.len()});
        let trailer = serde_json::json!({"blake3": blake3_hex(data)});
        raw.send(format!("{header}\n").as_bytes());
        raw.send(data);
        raw.send(format!("{trailer}\n").as_bytes());
        assert_eq!(raw.json()["ok"], true, "{name}");
    }
    let local = s.work.join("d");
    let out = s.nf(&["get", "-r", "d"]);
    let mut arrived: Vec<String> = std::fs::read_dir(&local)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    arrived.sort();
    if !windows_client() {
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(arrived, ["A.txt", "CON.txt", "a.", "a.txt", "fine.txt", "sub"]);
        for (name, data) in files {
            assert_eq!(std::fs::read(s.work.join(name)).unwrap(), *data, "{name}");
        }
        return;
    }
    // The first failed item's kind sets the exit code: CON.txt's bad_name.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let refused = |out: &std::process::Output| {
        let err = stderr(out);
        for (name, why) in [
            ("CON.txt", "it is a device name on Windows"),
            ("a.", "Windows drops a trailing dot or space from a name"),
            ("a.txt", "only by case"),
        ] {
            assert!(
                err.lines()
                    .any(|l| l.starts_with("nf: error: not saved as") && l.contains(name) && l.contains(why)),
                "no refusal of {name} ({why}) in:\n{err}"
            );
        }
        err
    };
    let err = refused(&out);
    assert!(
        err.lines().last().unwrap().starts_with("downloaded 3 of 6 files"),
        "{err}"
    );
    assert_eq!(arrived, ["A.txt", "fine.txt", "sub"]);
    assert_eq!(std::fs::read(local.join("A.txt")).unwrap(), b"upper");
    assert_eq!(std::fs::read(local.join("fine.txt")).unwrap(), b"fine");
    assert_eq!(std::fs::read(local.join("sub/keep.txt")).unwrap(), b"kept");
    // `sync` down (which replaces what differs) still refuses them: a.txt would replace A.txt.
    let out = s.nf(&["sync", ":d", local.to_str().unwrap()]);
    assert!(!out.status.success());
    refused(&out);
    assert_eq!(std::fs::read(local.join("A.txt")).unwrap(), b"upper");
    let mut after: Vec<String> = std::fs::read_dir(&local)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    after.sort();
    assert_eq!(after, ["A.txt", "fine.txt", "sub"], "nothing else was made");
}
