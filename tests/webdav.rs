//! WebDAV on nf's port, driven by curl (and the WebDAV clients people use): MKCOL and MOVE on
//! files and folders with `Destination` and `Overwrite`, each answer's status and the store's
//! tree after it (through the fixture's snapshot, so the suite runs against the bucket too).

mod common;

use common::tree::*;
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
