//! Folders: `put -r`, `get -r`, `ls -r`, `mkdir`, `mv` and `rm -r` on trees with empty
//! directories, deep nesting and odd names, with modification times and modes kept end to end;
//! symlinks in a source tree; a put racing a removal; a listing streamed entry by entry. A store
//! suite: `NF_TEST_STORE=s3` runs it against a bucket.

mod common;

use std::fs::{self, File, FileTimes};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;

/// A file of the test tree: its path below the tree, content, mode and modification time.
struct Planted {
    rel: String,
    content: Vec<u8>,
    mode: u32,
    modified: SystemTime,
}

/// Writes `files` and the empty directories `empty` under `root`.
fn plant(root: &Path, files: &[Planted], empty: &[&str]) {
    for f in files {
        let path = root.join(&f.rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &f.content).unwrap();
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_times(FileTimes::new().set_modified(f.modified))
            .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(f.mode)).unwrap();
    }
    for d in empty {
        fs::create_dir_all(root.join(d)).unwrap();
    }
}

/// The test tree: spaces, unicode and `[ ]` in names, modes 0600, 0644 and 0755, times from
/// 2001 with nanoseconds to now, a file 100 directories down, empty directories (one inside
/// another), and one file larger than a buffer.
fn odd_tree() -> (Vec<Planted>, Vec<&'static str>, String) {
    let deep: String = (0..100).map(|i| format!("d{i}/")).collect();
    let at = |secs: u64, nanos: u32| UNIX_EPOCH + Duration::new(secs, nanos);
    let files = vec![
        Planted {
            rel: "a b.txt".into(),
            content: b"spaces\n".to_vec(),
            mode: 0o644,
            modified: at(1_000_000_000, 123_456_789),
        },
        Planted {
            rel: "[1] x.jpg".into(),
            content: random_bytes(300 * 1024 + 7, 3),
            mode: 0o600,
            modified: at(1_600_000_000, 1),
        },
        Planted {
            rel: "na\u{ef}ve/\u{65e5}\u{672c} \u{8a9e}.txt".into(),
            content: "unicode\n".as_bytes().to_vec(),
            mode: 0o640,
            modified: at(1_700_000_000, 999_999_999),
        },
        Planted {
            rel: "bin/run.sh".into(),
            content: b"#!/bin/sh\necho hi\n".to_vec(),
            mode: 0o755,
            modified: at(1_650_000_000, 0),
        },
        Planted {
            rel: format!("{deep}bottom.txt"),
            content: b"a hundred down\n".to_vec(),
            mode: 0o644,
            modified: at(1_234_567_890, 500),
        },
        Planted {
            rel: "empty file".into(),
            content: Vec::new(),
            mode: 0o644,
            modified: at(1_500_000_000, 0),
        },
    ];
    (files, vec!["empty", "outer/inner", "[x]/y z"], deep)
}

/// Every file below `root` with its mode and modification time, and every directory. For a
/// Windows client (`NF_TEST_CLIENT`), what Windows keeps: times to 100 ns, and no mode (it
/// sends 0644, and sets none on what it downloads; README, "Platforms").
fn inventory(root: &Path) -> Vec<(String, Option<(u32, SystemTime)>)> {
    let windows = windows_client();
    let kept = |mode: u32, time: SystemTime| {
        if !windows {
            return (mode, time);
        }
        let since = time.duration_since(SystemTime::UNIX_EPOCH).unwrap();
        (
            0,
            time - Duration::from_nanos(u64::from(since.subsec_nanos() % 100)),
        )
    };
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let path = e.path();
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().to_string();
            let md = fs::symlink_metadata(&path).unwrap();
            if md.is_dir() {
                out.push((rel, None));
                stack.push(path);
            } else {
                out.push((
                    rel,
                    Some(kept(md.permissions().mode() & 0o777, md.modified().unwrap())),
                ));
            }
        }
    }
    out.sort();
    out
}

fn diff_r(a: &Path, b: &Path) {
    let out = std::process::Command::new("diff")
        .arg("-r")
        .arg(a)
        .arg(b)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "diff -r {} {}:\n{}{}",
        a.display(),
        b.display(),
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(out));
    stderr(out)
}

/// `nf ls -r --json PATH` (all of the tree without PATH): (name, type) of each entry.
fn tree_of(s: &Server, path: Option<&str>) -> Vec<(String, String)> {
    let mut args = vec!["ls", "-r", "--json"];
    args.extend(path);
    let out = s.nf(&args);
    ok(&out);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    entries
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_tree_with_empty_directories_odd_names_and_depth_100_comes_back_the_same_with_times_and_modes() {
    let s = Server::start();
    let (files, empty, deep) = odd_tree();
    let src = s.work.join("src/photos");
    plant(&src, &files, &empty);
    // A trailing slash changes nothing: the tree is stored under its own name.
    let err = ok(&s.nf(&["put", "-r", "src/photos/"]));
    assert!(err.contains(&format!("uploaded {} files", files.len())), "{err}");
    let listed = tree_of(&s, None);
    let dirs: Vec<&str> = listed
        .iter()
        .filter(|(_, t)| t == "dir")
        .map(|(n, _)| n.as_str())
        .collect();
    for d in [
        "photos",
        "photos/empty",
        "photos/outer",
        "photos/outer/inner",
        "photos/[x]",
        "photos/[x]/y z",
        "photos/bin",
    ] {
        assert!(dirs.contains(&d), "{d} not in {dirs:?}");
    }
    let bottom = format!("photos/{deep}bottom.txt");
    assert!(listed.contains(&(bottom.clone(), "file".into())), "{listed:?}");
    assert_eq!(s.read_stored(&bottom), b"a hundred down\n");
    // The stored times and modes, as ls --json shows them.
    let out = s.nf(&["ls", "--json", "photos/bin/run.sh"]);
    let entry: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entry[0]["mode"], "0755");
    assert_eq!(entry[0]["modified"], "2022-04-15T05:20:00Z");
    // Back, into a directory of its own.
    ok(&s.nf(&["get", "-r", "photos", "-o", "back"]));
    let back = s.work.join("back/photos");
    diff_r(&src, &back);
    assert_eq!(inventory(&back), inventory(&src), "times and modes");
    // One level of ls: directories first, with a trailing slash.
    let out = s.nf(&["ls", "photos"]);
    let table = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = table.lines().map(|l| l.rsplit("  ").next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "[x]/",
            "bin/",
            "d0/",
            "empty/",
            "na\u{ef}ve/",
            "outer/",
            "[1] x.jpg",
            "a b.txt",
            "empty file"
        ],
        "{table}"
    );
}

#[test]
fn each_tree_goes_under_its_own_name_or_the_one_given_with_as() {
    let s = Server::start();
    for (tree, file) in [("one", "a.txt"), ("two", "b.txt")] {
        fs::create_dir_all(s.work.join(tree)).unwrap();
        fs::write(s.work.join(tree).join(file), tree.as_bytes()).unwrap();
    }
    ok(&s.nf(&["put", "-r", "one", "./two/"]));
    ok(&s.nf(&["put", "-r", "one", "--as", "www/site"]));
    assert_eq!(
        tree_of(&s, None),
        [
            ("one", "dir"),
            ("one/a.txt", "file"),
            ("two", "dir"),
            ("two/b.txt", "file"),
            ("www", "dir"),
            ("www/site", "dir"),
            ("www/site/a.txt", "file"),
        ]
        .map(|(n, t)| (n.to_string(), t.to_string()))
    );
    // Without -r a directory is refused with a hint, and nothing else is stopped.
    fs::write(s.work.join("c.txt"), b"c").unwrap();
    let out = s.nf(&["put", "one", "c.txt"]);
    assert_fails(&out, 2, "one is a directory; upload it with -r (nf put -r one)");
    assert_eq!(s.read_stored("c.txt"), b"c");
    // An existing file is refused without -f, as for single files; with -f it is replaced.
    fs::write(s.work.join("one/a.txt"), b"changed").unwrap();
    assert_fails(&s.nf(&["put", "-r", "one"]), 4, "\"one/a.txt\" already exists");
    ok(&s.nf(&["put", "-r", "-f", "one"]));
    assert_eq!(s.read_stored("one/a.txt"), b"changed");
    // Into the current directory by default; get -r of a file is that file.
    let here = s.work.join("here");
    fs::create_dir(&here).unwrap();
    ok(&s.nf_in(&here, &["get", "-r", "two", "one/a.txt"]));
    assert_eq!(fs::read(here.join("two/b.txt")).unwrap(), b"two");
    assert_eq!(fs::read(here.join("a.txt")).unwrap(), b"changed");
}

#[test]
fn as_with_a_trailing_slash_stores_each_file_and_tree_inside_that_directory_as_cp_does() {
    let s = Server::start();
    s.file("b.txt", b"b");
    s.file("c.txt", b"c");
    fs::create_dir_all(s.work.join("site")).unwrap();
    s.file("site/index.md", b"index");
    // Into a directory that does not exist yet, then into one that does, several at once.
    ok(&s.nf(&["put", "b.txt", "--as", "docs/"]));
    ok(&s.nf(&["put", "c.txt", "site/index.md", "--as", "docs/"]));
    ok(&s.nf(&["put", "-r", "site", "--as", "www/"]));
    ok(&s.nf(&["put", "c.txt", "--as", "/"]));
    assert_eq!(
        tree_of(&s, None),
        [
            ("c.txt", "file"),
            ("docs", "dir"),
            ("docs/b.txt", "file"),
            ("docs/c.txt", "file"),
            ("docs/index.md", "file"),
            ("www", "dir"),
            ("www/site", "dir"),
            ("www/site/index.md", "file"),
        ]
        .map(|(n, t)| (n.to_string(), t.to_string()))
    );
    assert_eq!(s.read_stored("docs/b.txt"), b"b");
    // Without the slash, --as still names the one file, and only one.
    assert_fails(&s.nf(&["put", "b.txt", "c.txt", "--as", "docs"]), 2, "--as DIR/");
}

#[test]
fn symlinks_in_a_source_tree_are_skipped_with_a_warning_and_followed_with_dash_l() {
    let s = Server::start();
    let src = s.work.join("tree");
    fs::create_dir_all(src.join("real")).unwrap();
    fs::write(src.join("real/f.txt"), b"real file").unwrap();
    fs::create_dir_all(s.work.join("elsewhere")).unwrap();
    fs::write(s.work.join("elsewhere/g.txt"), b"linked dir's file").unwrap();
    std::os::unix::fs::symlink("real/f.txt", src.join("link.txt")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", src.join("linkdir")).unwrap();
    std::os::unix::fs::symlink("..", src.join("real/loop")).unwrap();
    let err = ok(&s.nf(&["put", "-r", "tree"]));
    assert!(
        err.contains("nf: warning: skipping the symbolic link tree/link.txt (-L follows links)"),
        "{err}"
    );
    assert!(err.contains("skipping the symbolic link tree/linkdir"), "{err}");
    assert!(err.contains("uploaded 1 file"), "{err}");
    assert_eq!(
        tree_of(&s, Some("tree")),
        [("tree/real", "dir"), ("tree/real/f.txt", "file")].map(|(n, t)| (n.to_string(), t.to_string()))
    );
    // -L: links are followed (as files and directories); a loop back up is skipped.
    let err = ok(&s.nf(&["put", "-r", "-L", "tree", "--as", "followed"]));
    assert!(err.contains("a link back to a directory above it"), "{err}");
    assert_eq!(s.read_stored("followed/link.txt"), b"real file");
    assert_eq!(s.read_stored("followed/linkdir/g.txt"), b"linked dir's file");
    // The server never creates a symlink: what came back are plain files.
    ok(&s.nf(&["get", "-r", "followed", "-o", "back"]));
    let md = fs::symlink_metadata(s.work.join("back/followed/link.txt")).unwrap();
    assert!(md.is_file());
}

#[test]
fn mkdir_mv_and_rm_r_work_on_whole_trees() {
    let s = Server::start();
    ok(&s.nf(&["mkdir", "inbox/new", "outbox"]));
    fs::create_dir_all(s.work.join("t/sub")).unwrap();
    fs::write(s.work.join("t/sub/x"), b"x").unwrap();
    fs::write(s.work.join("t/y"), b"y").unwrap();
    ok(&s.nf(&["put", "-r", "t"]));
    // Into a directory, as mv does; then a rename.
    ok(&s.nf(&["mv", "t", "outbox"]));
    ok(&s.nf(&["mv", "outbox/t/sub", "inbox/new/moved"]));
    assert_eq!(
        tree_of(&s, None),
        [
            ("inbox", "dir"),
            ("inbox/new", "dir"),
            ("inbox/new/moved", "dir"),
            ("inbox/new/moved/x", "file"),
            ("outbox", "dir"),
            ("outbox/t", "dir"),
            ("outbox/t/y", "file"),
        ]
        .map(|(n, t)| (n.to_string(), t.to_string()))
    );
    assert_eq!(s.read_stored("inbox/new/moved/x"), b"x");
    // A file is replaced only with -f.
    fs::write(s.work.join("z"), b"z").unwrap();
    ok(&s.nf(&["put", "z", "--as", "outbox/z"]));
    assert_fails(&s.nf(&["mv", "outbox/t/y", "outbox/z"]), 4, "already exists");
    ok(&s.nf(&["mv", "-f", "outbox/t/y", "outbox/z"]));
    assert_eq!(s.read_stored("outbox/z"), b"y");
    // Removing the last file leaves its directory; rm -r takes the tree.
    ok(&s.nf(&["rm", "inbox/new/moved/x"]));
    assert!(tree_of(&s, Some("inbox")).contains(&("inbox/new/moved".into(), "dir".into())));
    let out = s.nf(&["rm", "inbox"]);
    assert_fails(&out, 4, "remove it with rm -r");
    ok(&s.nf(&["rm", "-r", "inbox", "outbox"]));
    assert!(tree_of(&s, None).is_empty());
    assert_fails(&s.nf(&["ls", "inbox"]), 3, "no file named \"inbox\"");
}

#[test]
fn a_put_racing_rm_r_of_its_directory_ends_as_one_order_or_the_other() {
    let s = Server::start();
    let content = b"raced".to_vec();
    let trailer = serde_json::json!({"blake3": blake3_hex(&content)});
    for round in 0..20 {
        let name = format!("a/b{round}/x");
        assert!(s.nf(&["mkdir", &format!("a/b{round}/c")]).status.success());
        let mut put = s.raw();
        let mut rm = s.raw();
        let header = serde_json::json!({"op": "put", "name": name, "size": content.len()});
        let mut body = format!("{header}\n").into_bytes();
        body.extend_from_slice(&content);
        body.extend_from_slice(format!("{trailer}\n").as_bytes());
        let remove = serde_json::json!({"op": "rm", "name": "a", "recursive": true});
        let putting = std::thread::spawn(move || {
            put.send(&body);
            put.json()
        });
        rm.send(format!("{remove}\n").as_bytes());
        let removed = rm.json();
        let stored = putting.join().unwrap();
        assert_eq!(stored["ok"], true, "round {round}: the put {stored}");
        assert!(
            removed["ok"] == true || removed["code"] == "busy",
            "round {round}: the rm {removed}"
        );
        // Either the file (whole, under directories) or nothing at all: never a half.
        let out = s.nf(&["stat", "--json", &name]);
        if out.status.success() {
            let held: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(held[0]["blake3"], blake3_hex(&content), "round {round}");
            assert_eq!(s.read_stored(&name), content);
            ok(&s.nf(&["rm", "-r", "a"]));
        } else {
            assert_fails(&out, 3, "no file named");
        }
        assert!(s.partials().is_empty(), "round {round}: {:?}", s.partials());
    }
    s.assert_serving();
}

#[test]
fn a_listing_arrives_one_line_per_entry_and_ends_with_its_count() {
    let s = Server::start();
    let src = s.work.join("many");
    for d in 0..10 {
        fs::create_dir_all(src.join(format!("dir{d}"))).unwrap();
        for f in 0..50 {
            fs::write(src.join(format!("dir{d}/f{f:02}")), format!("{d}/{f}")).unwrap();
        }
    }
    ok(&s.nf(&["put", "-r", "many"]));
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"list\",\"path\":\"many\",\"recursive\":true}\n");
    let mut names = Vec::new();
    loop {
        let line = raw.line();
        assert!(line.len() < 1024, "one entry per line: {line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v.get("ok").is_some() {
            assert_eq!(v, serde_json::json!({"ok": true, "count": 510}));
            break;
        }
        names.push(v["name"].as_str().unwrap().to_string());
    }
    assert_eq!(names.len(), 510);
    // Depth first: each directory right before what it holds, each level sorted.
    assert_eq!(names[0], "many/dir0");
    assert_eq!(names[1], "many/dir0/f00");
    assert_eq!(names[51], "many/dir1");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    // A pattern keeps the entries whose own name matches, at every depth.
    raw.send(b"{\"op\":\"list\",\"path\":\"many\",\"recursive\":true,\"pattern\":\"f4?\"}\n");
    let mut matched = 0;
    loop {
        let v = raw.json();
        if v.get("ok").is_some() {
            assert_eq!(v["count"], 100);
            break;
        }
        assert!(v["name"].as_str().unwrap().contains("/f4"), "{v}");
        matched += 1;
    }
    assert_eq!(matched, 100);
    // The same through the client, printed as it arrives.
    let out = s.nf(&["ls", "-r", "many"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 510);
    assert!(text.lines().any(|l| l.ends_with("  many/dir3/")), "{text}");
}

/// How many `put` requests of names under `dir/` the server has logged as stored, once the
/// put of `last` has been logged.
fn puts_logged(s: &Server, dir: &str, last: &str) -> usize {
    let log = s.log_after(|l| l.contains(&format!(" put \"{last}\" ")) && l.ends_with(" ok"));
    log.lines()
        .filter(|l| l.contains(&format!(" put \"{dir}/")) && l.ends_with(" ok"))
        .count()
}

#[test]
fn sync_sends_only_what_changed_and_a_second_run_sends_nothing() {
    let s = Server::start();
    let (files, empty, _) = odd_tree();
    let site = s.work.join("site");
    plant(&site, &files, &empty);
    let count = files.len();
    // The plan first: every file and directory new, nothing changed on the server.
    let out = s.nf(&["sync", "-n", "site", ":www"]);
    ok(&out);
    let plan = String::from_utf8(out.stdout).unwrap();
    assert!(plan.lines().any(|l| l == "+ a b.txt"), "{plan}");
    assert!(plan.lines().any(|l| l == "+ empty/"), "{plan}");
    assert!(plan.lines().all(|l| l.starts_with("+ ")), "{plan}");
    assert_eq!(
        plan.lines().filter(|l| !l.ends_with('/')).count(),
        count,
        "{plan}"
    );
    assert!(tree_of(&s, None).is_empty());
    ok(&s.nf(&["sync", "site", ":www"]));
    let back = s.work.join("back");
    ok(&s.nf(&["get", "-r", "www", "-o", back.to_str().unwrap()]));
    diff_r(&site, &back.join("www"));
    assert_eq!(inventory(&site), inventory(&back.join("www")));
    // The second run: nothing to send.
    let out = s.nf(&["sync", "site", ":www"]);
    let said = ok(&out);
    assert!(said.contains("sent 0 files"), "{said}");
    assert!(said.contains(&format!("{count} unchanged")), "{said}");
    let out = s.nf(&["sync", "-n", "site", ":www"]);
    assert_eq!(String::from_utf8(ok_out(&out)).unwrap(), "");
    // One file changed (same size, new time), one new, one gone: exactly those.
    let changed = site.join("bin/run.sh");
    let before = fs::read(&changed).unwrap();
    let mut after = before.clone();
    after[0] ^= 1;
    fs::write(&changed, &after).unwrap();
    fs::write(site.join("new.txt"), b"new").unwrap();
    fs::remove_file(site.join("a b.txt")).unwrap();
    let out = s.nf(&["sync", "-n", "--delete", "site", ":www"]);
    let plan = String::from_utf8(ok_out(&out)).unwrap();
    assert_eq!(plan, "~ bin/run.sh\n+ new.txt\n- a b.txt\n");
    ok(&s.nf(&["sync", "--delete", "site", ":www"]));
    assert_eq!(puts_logged(&s, "www", "www/bin/run.sh"), count + 2);
    assert_eq!(s.read_stored("www/bin/run.sh"), after);
    assert_eq!(s.read_stored("www/new.txt"), b"new");
    assert!(!tree_of(&s, Some("www")).iter().any(|(n, _)| n == "www/a b.txt"));
    // The same size and time but other content: only --checksum sees it.
    let t = fs::metadata(&changed).unwrap().modified().unwrap();
    fs::write(&changed, &before).unwrap();
    File::options()
        .write(true)
        .open(&changed)
        .unwrap()
        .set_times(FileTimes::new().set_modified(t))
        .unwrap();
    assert_eq!(
        String::from_utf8(ok_out(&s.nf(&["sync", "-n", "site", ":www"]))).unwrap(),
        ""
    );
    let plan = ok_out(&s.nf(&["sync", "-n", "-c", "site", ":www"]));
    assert_eq!(String::from_utf8(plan).unwrap(), "~ bin/run.sh\n");
    ok(&s.nf(&["sync", "--checksum", "site", ":www"]));
    assert_eq!(s.read_stored("www/bin/run.sh"), before);
}

/// A command's stdout, its lines sorted (actions of one run come in the order they finish).
fn sorted_lines(out: &std::process::Output) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8(ok_out(out))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
fn sync_says_skipped_links_once_in_its_summary_and_itemizes_what_it_did_with_v() {
    let s = Server::start();
    let site = s.work.join("site");
    fs::create_dir_all(site.join("sub")).unwrap();
    fs::write(site.join("a.txt"), b"a").unwrap();
    fs::write(site.join("sub/b.txt"), b"b").unwrap();
    std::os::unix::fs::symlink("a.txt", site.join("link.txt")).unwrap();
    std::os::unix::fs::symlink("sub", site.join("sub-link")).unwrap();
    let links = "0 deleted; 2 symbolic links skipped (-L follows them)";
    // stdout is not a terminal here and there is no -v: nothing is itemized.
    let out = s.nf(&["sync", "site", ":www"]);
    let err = ok(&out);
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    assert!(!err.contains("warning"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert_eq!(lines[0], format!("0 unchanged, 1 directory made, {links}"));
    assert!(lines[1].starts_with("sent 2 files (2 B) in "), "{err}");
    // The next run says it once again, not once per link.
    let err = ok(&s.nf(&["sync", "site", ":www"]));
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            &format!("2 unchanged, 0 directories made, {links}"),
            "sent 0 files"
        ]
    );

    // -v: what was done, in the lines of -n, and the links named.
    fs::write(site.join("a.txt"), b"changed").unwrap();
    fs::write(site.join("c.txt"), b"c").unwrap();
    fs::create_dir_all(site.join("new")).unwrap();
    fs::write(site.join("new/d.txt"), b"d").unwrap();
    let out = s.nf(&["sync", "-v", "site", ":www"]);
    assert_eq!(
        sorted_lines(&out),
        ["+ c.txt", "+ new/", "+ new/d.txt", "~ a.txt"]
    );
    let err = stderr(&out);
    assert!(
        err.contains("nf: skipped the symbolic link site/link.txt\n"),
        "{err}"
    );
    assert!(
        err.contains("nf: skipped the symbolic link site/sub-link\n"),
        "{err}"
    );
    // Deletions too, and the other way down.
    fs::remove_file(site.join("c.txt")).unwrap();
    fs::remove_dir_all(site.join("new")).unwrap();
    let out = s.nf(&["sync", "-v", "--delete", "site", ":www"]);
    assert_eq!(sorted_lines(&out), ["- c.txt", "- new/"]);
    let out = s.nf(&["sync", "-v", ":www", "back"]);
    assert_eq!(sorted_lines(&out), ["+ a.txt", "+ sub/", "+ sub/b.txt"]);
    assert_eq!(fs::read(s.work.join("back/a.txt")).unwrap(), b"changed");
    // -q: only errors.
    fs::write(site.join("e.txt"), b"e").unwrap();
    let out = s.nf(&["sync", "-q", "site", ":www"]);
    assert!(out.stdout.is_empty() && ok(&out).is_empty());
}

fn ok_out(out: &std::process::Output) -> Vec<u8> {
    ok(out);
    out.stdout.clone()
}

#[test]
fn sync_down_makes_a_local_tree_equal_the_servers() {
    let s = Server::start();
    let (files, empty, _) = odd_tree();
    let site = s.work.join("site");
    plant(&site, &files, &empty);
    ok(&s.nf(&["put", "-r", "site", "--as", "www"]));
    let copy = s.work.join("copy");
    ok(&s.nf(&["sync", ":www", copy.to_str().unwrap()]));
    diff_r(&site, &copy);
    assert_eq!(inventory(&site), inventory(&copy));
    // A local change and a local extra: the change is undone, the extra goes with --delete.
    fs::write(copy.join("a b.txt"), b"edited locally").unwrap();
    fs::write(copy.join("extra.txt"), b"extra").unwrap();
    fs::create_dir_all(copy.join("extra dir/sub")).unwrap();
    let plan = ok_out(&s.nf(&["sync", "-n", "--delete", ":www", copy.to_str().unwrap()]));
    assert_eq!(
        String::from_utf8(plan).unwrap(),
        "~ a b.txt\n- extra dir/\n- extra.txt\n"
    );
    assert!(copy.join("extra.txt").exists());
    ok(&s.nf(&["sync", "--delete", ":www", copy.to_str().unwrap()]));
    diff_r(&site, &copy);
    assert_eq!(inventory(&site), inventory(&copy));
    // Excluded paths are neither sent nor deleted.
    fs::write(copy.join("keep.tmp"), b"mine").unwrap();
    ok(&s.nf(&[
        "sync",
        "--delete",
        "--exclude",
        "*.tmp",
        ":www",
        copy.to_str().unwrap(),
    ]));
    assert_eq!(fs::read(copy.join("keep.tmp")).unwrap(), b"mine");
}

/// Downwards with `-c`: a local file of the server's size but other content is fetched (after
/// the files known to be missing, while the rest is hashed), one with the same content but
/// another time is left alone, a missing one is fetched; the server logs exactly those two
/// gets. Without `-c` the one with another time is fetched too.
#[test]
fn sync_down_with_checksum_fetches_only_what_differs_in_content() {
    let s = Server::start();
    let site = s.work.join("site");
    fs::create_dir_all(site.join("d")).unwrap();
    for i in 0..60 {
        fs::write(site.join(format!("d/f{i:02}")), format!("content {i:02}")).unwrap();
    }
    ok(&s.nf(&["put", "-r", "site", "--as", "www"]));
    let copy = s.work.join("copy");
    let dst = copy.to_str().unwrap();
    ok(&s.nf(&["sync", ":www", dst]));
    diff_r(&site, &copy);
    // The same size, other content, and the server's time put back: only -c sees it.
    let f03 = copy.join("d/f03");
    let kept = fs::metadata(&f03).unwrap().modified().unwrap();
    fs::write(&f03, b"CONTENT 03").unwrap();
    fs::File::options()
        .write(true)
        .open(&f03)
        .unwrap()
        .set_modified(kept)
        .unwrap();
    // The same content at another time.
    let f05 = copy.join("d/f05");
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    fs::File::options()
        .write(true)
        .open(&f05)
        .unwrap()
        .set_modified(old)
        .unwrap();
    fs::remove_file(copy.join("d/f07")).unwrap();
    let plan = |args: &[&str]| {
        String::from_utf8(ok_out(&s.nf(&[&["sync", "-n"], args, &[":www", dst]].concat()))).unwrap()
    };
    assert_eq!(plan(&[]), "~ d/f05\n+ d/f07\n");
    assert_eq!(plan(&["-c"]), "~ d/f03\n+ d/f07\n");
    assert_eq!(fs::read(&f03).unwrap(), b"CONTENT 03");

    ok(&s.nf(&["ls", "www/d"]));
    s.log_line(|l| l.contains(" list \"www/d\" ") && l.ends_with(" ok"));
    ok(&s.nf(&["sync", "-c", ":www", dst]));
    let log = s.log_after(|l| l.contains(" get \"www/d/f03\" ") && l.ends_with(" ok"));
    let after = log.rsplit_once(" list \"www/d\" ").unwrap().1;
    let gets: Vec<&str> = after
        .lines()
        .filter(|l| l.contains(" get \""))
        .map(|l| l.split('"').nth(1).unwrap())
        .collect();
    // The missing file first, while the others are hashed; the one found changed after (in
    // one batch in name order, f03 would come first).
    assert_eq!(gets, ["www/d/f07", "www/d/f03"]);
    assert_eq!(fs::read(&f03).unwrap(), b"content 03");
    assert_eq!(fs::read(copy.join("d/f07")).unwrap(), b"content 07");
    assert_eq!(fs::metadata(&f05).unwrap().modified().unwrap(), old);
    // A second run with -c has nothing to do.
    assert_eq!(plan(&["-c"]), "");
}

#[test]
fn sync_delete_is_refused_with_an_empty_source_or_after_an_error() {
    let s = Server::start();
    let site = s.work.join("site");
    fs::create_dir_all(site.join("locked")).unwrap();
    fs::write(site.join("a.txt"), b"a").unwrap();
    fs::write(site.join("locked/b.txt"), b"b").unwrap();
    ok(&s.nf(&["sync", "site", ":www"]));
    fs::write(s.work.join("old.txt"), b"old").unwrap();
    ok(&s.nf(&["put", "old.txt", "--as", "www/old.txt"]));
    // An empty source would delete everything: refused, nothing changes.
    let empty = s.work.join("empty");
    fs::create_dir_all(&empty).unwrap();
    for dry in [true, false] {
        let mut args = vec!["sync", "--delete", "empty", ":www"];
        if dry {
            args.insert(1, "-n");
        }
        assert_fails(&s.nf(&args), 2, "refusing --delete");
    }
    assert_eq!(s.read_stored("www/old.txt"), b"old");
    assert_eq!(s.read_stored("www/a.txt"), b"a");
    // A directory of the source that cannot be read: the rest is sent, nothing deleted.
    // (Root reads any directory, so the unreadable part is a name nf cannot store instead.)
    fs::write(site.join("new.txt"), b"new").unwrap();
    fs::write(site.join("bad\u{1}name"), b"x").unwrap();
    let out = s.nf(&["sync", "--delete", "site", ":www"]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("not deleting anything"), "{said}");
    assert_eq!(s.read_stored("www/new.txt"), b"new");
    assert_eq!(s.read_stored("www/old.txt"), b"old");
    // A directory where the server has a file is a conflict, replaced only with --delete.
    fs::remove_file(site.join("bad\u{1}name")).unwrap();
    fs::create_dir_all(site.join("old.txt")).unwrap();
    assert_fails(
        &s.nf(&["sync", "site", ":www"]),
        4,
        "is a directory in SRC and a file in DST",
    );
    ok(&s.nf(&["sync", "--delete", "site", ":www"]));
    assert!(tree_of(&s, Some("www")).contains(&("www/old.txt".into(), "dir".into())));
    // Exactly one side is remote.
    assert_fails(&s.nf(&["sync", "site", "other"]), 2, "exactly one of SRC and DST");
}

#[test]
fn a_server_killed_mid_tree_leaves_only_whole_files_and_sync_finishes_the_job() {
    let mut s = Server::start();
    let site = s.work.join("site");
    let files: Vec<Planted> = (0..300)
        .map(|i| Planted {
            rel: format!("d{}/f{i}.bin", i % 7),
            content: random_bytes(32 * 1024 + i, i as u64),
            mode: 0o640,
            modified: UNIX_EPOCH + Duration::new(1_500_000_000 + i as u64, 7),
        })
        .collect();
    plant(&site, &files, &["empty"]);
    let mut put = s.cmd_in(&s.work, &["put", "-r", "site"]);
    let mut child = put
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the first file is committed: the rest of the tree is in flight or unsent.
    s.log_line(|l| l.contains(" put \"site/") && l.ends_with(" ok"));
    s.kill();
    child.wait().unwrap();
    s.spawn();
    for (name, kind) in tree_of(&s, Some("site")) {
        if kind == "file" {
            let rel = name.strip_prefix("site/").unwrap();
            let planted = files.iter().find(|f| f.rel == rel).unwrap();
            assert_same(&s.read_stored(&name), &planted.content, &name);
        }
    }
    ok(&s.nf(&["sync", "site", ":site"]));
    let back = s.work.join("back");
    ok(&s.nf(&["get", "-r", "site", "-o", back.to_str().unwrap()]));
    diff_r(&site, &back.join("site"));
    assert_eq!(inventory(&site), inventory(&back.join("site")));
}
