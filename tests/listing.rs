//! `nf ls`: the table and `--json`, sorting, globs, directories, and what is never listed.

mod common;

use common::*;

#[test]
fn ls_json_lists_every_file_with_size_time_and_true_hash() {
    let s = Server::start();
    let files: [(&str, &[u8]); 3] = [("b.txt", b"bee"), ("a.jpg", b"jay peg"), ("c", b"")];
    for (name, content) in files {
        s.file(name, content);
    }
    assert!(s.nf(&["put", "b.txt", "a.jpg", "c"]).status.success());
    let ls = s.ls();
    let names: Vec<&str> = ls.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["a.jpg", "b.txt", "c"], "sorted by name");
    for entry in &ls {
        let (name, content) = files.iter().find(|(n, _)| *n == entry["name"]).unwrap();
        assert_eq!(entry["type"], "file");
        assert_eq!(entry["size"], content.len() as u64);
        assert_eq!(entry["blake3"], blake3_hex(content));
        // The local file's own time, to the nanosecond (to the 100 ns Windows keeps, for a
        // Windows client), and its mode.
        let md = std::fs::metadata(s.work.join(name)).unwrap();
        let modified = entry["modified"].as_str().unwrap();
        let mut local = md.modified().unwrap();
        if windows_client() {
            let since = local.duration_since(std::time::UNIX_EPOCH).unwrap();
            local -= std::time::Duration::from_nanos(u64::from(since.subsec_nanos() % 100));
        }
        assert_eq!(nf::human::parse_rfc3339(modified), Some(local), "{modified}");
        assert!(
            modified.ends_with('Z') && modified.as_bytes()[10] == b'T',
            "{modified}"
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(&md.permissions()) & 0o777;
        assert_eq!(entry["mode"], format!("{mode:04o}"));
        assert_eq!(
            entry.as_object().unwrap().len(),
            6,
            "exactly name, type, size, modified, mode, blake3"
        );
    }
}

#[test]
fn empty_storage_prints_an_empty_array_and_an_empty_table() {
    let s = Server::start();
    let json = s.nf(&["ls", "--json"]);
    assert!(json.status.success());
    assert_eq!(String::from_utf8(json.stdout).unwrap().trim(), "[]");
    let table = s.nf(&["ls"]);
    assert!(table.status.success());
    assert!(table.stdout.is_empty());
}

#[test]
fn the_table_shows_human_sizes_and_times_sorted_by_name() {
    let s = Server::start();
    s.file("zeta", &vec![1u8; 1536]);
    s.file("alpha", b"12345");
    assert!(s.nf(&["put", "zeta", "alpha"]).status.success());
    let out = s.nf(&["ls"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].ends_with("  alpha") && lines[0].contains("5 B"),
        "{text}"
    );
    assert!(
        lines[1].ends_with("  zeta") && lines[1].contains("1.5 KiB"),
        "{text}"
    );
    assert!(
        lines[0].contains(&s.ls()[0]["modified"].as_str().unwrap()[..10]),
        "{text}"
    );
}

#[test]
fn a_glob_pattern_filters_the_listing() {
    let s = Server::start();
    for n in ["a.jpg", "b.jpg", "c.pdf", "d.jpeg"] {
        s.file(n, n.as_bytes());
    }
    assert!(s
        .nf(&["put", "a.jpg", "b.jpg", "c.pdf", "d.jpeg"])
        .status
        .success());
    let out = s.nf(&["ls", "--json", "*.jpg"]);
    let ls: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = ls.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["a.jpg", "b.jpg"]);
    let out = s.nf(&["ls", "[cd]*"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("c.pdf") && text.contains("d.jpeg") && !text.contains("a.jpg"),
        "{text}"
    );
}

#[test]
fn partial_uploads_and_symlinks_are_never_listed_and_directories_are_listed_as_such() {
    let s = Server::start();
    s.file("real", b"real");
    assert!(s.nf(&["put", "real"]).status.success());
    // An upload cut off halfway leaves a partial in the store's own area.
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"put\",\"name\":\"half\",\"size\":100}\n0123456789");
    drop(raw);
    if !s3_backend() {
        std::os::unix::fs::symlink("/etc/passwd", s.root.join("link")).unwrap();
        std::os::unix::fs::symlink("/etc", s.root.join("linkdir")).unwrap();
    }
    assert!(s.nf(&["mkdir", "adir"]).status.success());
    // The cut upload is logged once its connection is gone.
    s.log_line(|l| l.contains(" put \"half\" "));
    let ls = s.ls();
    let listed: Vec<(&str, &str)> = ls
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["type"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("adir", "dir"), ("real", "file")]);
    assert!(ls[0].get("blake3").is_none(), "{}", ls[0]);
    assert_eq!(ls[0]["size"], 0);
}

#[test]
fn a_file_placed_in_the_store_by_hand_is_listed_with_its_hash() {
    let s = Server::start();
    s.place_by_hand("dropped.txt", b"put here by the admin");
    let ls = s.ls();
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0]["blake3"], blake3_hex(b"put here by the admin"));
    // Edited behind nf's back: the new content's hash is reported, not a stale one.
    std::thread::sleep(std::time::Duration::from_millis(20));
    s.place_by_hand("dropped.txt", b"edited");
    assert_eq!(s.ls()[0]["blake3"], blake3_hex(b"edited"));
    let get = s.nf(&["get", "dropped.txt"]);
    assert!(get.status.success(), "{}", stderr(&get));
    assert_eq!(std::fs::read(s.work.join("dropped.txt")).unwrap(), b"edited");
}

#[test]
fn stat_shows_exact_names_even_with_glob_characters_in_them() {
    let s = Server::start();
    s.place_by_hand("report [1].txt", b"first report\n");
    s.place_by_hand("report 1.txt", b"a decoy the glob would match\n");
    // As a glob, `report [2].txt` means `report 2.txt`, which is not there either: ls finds
    // nothing; `report [1].txt` names a file, which wins over the glob.
    for (asked, found) in [
        ("report [2].txt", None),
        ("report [1].txt", Some("report [1].txt")),
    ] {
        let ls = s.nf(&["ls", "--json", asked]);
        assert!(ls.status.success(), "{}", stderr(&ls));
        let listed: Vec<serde_json::Value> = serde_json::from_slice(&ls.stdout).unwrap();
        let names: Vec<&str> = listed.iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(names, found.into_iter().collect::<Vec<_>>(), "{asked}");
    }
    let ls = s.nf(&["ls", "--json", "report [1x].txt"]);
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&ls.stdout).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "report 1.txt");
    // stat takes the name as it is.
    let out = s.nf(&["stat", "--json", "report [1].txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stat: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stat.len(), 1);
    assert_eq!(stat[0]["name"], "report [1].txt");
    assert_eq!(stat[0]["size"], 13);
    assert_eq!(stat[0]["blake3"], blake3_hex(b"first report\n"));
    // The same object as ls --json prints for it.
    let all = s.ls();
    assert!(all.contains(&stat[0]), "{all:?}");
    // The table: size, time, hash, name; a missing name is exit code 3, the others shown.
    let out = s.nf(&["stat", "report [1].txt", "nope.txt"]);
    assert_fails(&out, 3, "no file named \"nope.txt\"");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let fields: Vec<&str> = text.split("  ").collect();
    assert_eq!(fields[0], "13 B");
    assert_eq!(fields[2], blake3_hex(b"first report\n"));
    assert_eq!(fields[3], "report [1].txt\n");
}

#[test]
fn get_and_rm_expand_a_pattern_that_names_no_file() {
    let s = Server::start();
    for name in ["a.txt", "b.txt", "c.jpg", "*.txt"] {
        s.place_by_hand(name, name.as_bytes());
    }
    // An exact name wins: `*.txt` is a file here.
    let out = s.nf(&["get", "*.txt", "-o", "exact/"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Vec<String> = std::fs::read_dir(s.work.join("exact"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(got, ["*.txt"]);
    // A pattern is expanded by the server.
    let out = s.nf(&["get", "[ab].txt", "-o", "pattern/"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("downloaded 2 files"), "{}", stderr(&out));
    for name in ["a.txt", "b.txt"] {
        assert_eq!(
            std::fs::read(s.work.join("pattern").join(name)).unwrap(),
            name.as_bytes()
        );
    }
    assert!(!s.work.join("pattern/c.jpg").exists());
    // A pattern that matches nothing is not found.
    let out = s.nf(&["get", "*.pdf"]);
    assert_fails(&out, 3, "no file named or matching \"*.pdf\"");
    let out = s.nf(&["rm", "[ab].txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("removed 2 files"), "{}", stderr(&out));
    assert_eq!(s.names(), ["*.txt", "c.jpg"]);
}

#[test]
fn names_that_differ_only_by_normalization_list_differently() {
    let s = Server::start();
    let composed = "caf\u{e9}.txt"; // é as one character (NFC, what Linux keyboards type)
    let decomposed = "cafe\u{301}.txt"; // e + combining acute (NFD, a macOS file name)
    s.place_by_hand(composed, b"composed");
    s.place_by_hand(decomposed, b"decomposed");
    // The table marks the name that is not in NFC, so the two never look the same.
    let out = s.nf(&["ls"]);
    let table = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = table.lines().map(|l| l.rsplit("  ").next().unwrap()).collect();
    assert_eq!(names, [r"cafe\u{301}.txt", composed], "{table}");
    // JSON is exact, and stat's table marks it the same way.
    let mut json = s.names();
    json.sort();
    assert_eq!(json, [decomposed, composed]);
    // Asking for either spelling means the NFC one when it exists.
    for asked in [composed, decomposed] {
        let out = s.nf(&["get", asked, "-o", "-"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(out.stdout, b"composed", "{asked:?}");
    }
    let out = s.nf(&["stat", "--json", decomposed]);
    let stat: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stat[0]["name"], composed);
    // A glob reaches the other spelling by its stored name.
    let out = s.nf(&["get", "cafe?.txt", "-o", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"decomposed");
}

#[test]
fn a_file_stored_only_under_another_spelling_is_found_by_either() {
    let s = Server::start();
    let decomposed = "nai\u{308}ve re\u{301}sume\u{301}.txt";
    s.place_by_hand(decomposed, b"stored by an older client from a Mac");
    let typed = "na\u{ef}ve r\u{e9}sum\u{e9}.txt";
    let out = s.nf(&["stat", typed]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.ends_with("  nai\\u{308}ve re\\u{301}sume\\u{301}.txt\n"),
        "{text}"
    );
    let out = s.nf(&["get", typed, "-o", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"stored by an older client from a Mac");
    let out = s.nf(&["rm", typed]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(s.names().is_empty());
}
