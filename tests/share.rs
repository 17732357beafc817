//! Share links (issue 25): `nf share` makes a link that anyone holding it can use without an
//! account, by curl, a browser or `nf get URL` / `nf put FILE URL`. A read link serves its
//! file byte for byte (or its folder: page, `?json`, `?tar`, the files inside); an upload link
//! takes new files into its folder and nothing else. A link never does more than its creator
//! may do now, never reaches outside its path, and answers 410 once expired, removed or used
//! up (404 for an ID nobody made). Links are records of the store: they survive a restart and,
//! on a bucket, work on every server of it. Runs against either store (`NF_TEST_STORE=s3`)
//! and over TLS (`NF_TEST_TLS=1`).

mod common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::snapshot::{assert_unchanged, place, tree};
use common::*;

const PASSWORD: &str = "correct horse battery staple";

/// `nf ARGS` as `user` (none: anonymous).
fn nf_as(s: &Server, user: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = s.cmd_in(&s.work, args);
    if let Some(user) = user {
        cmd.args(["--user", user]).env("NF_PASSWORD", PASSWORD);
    }
    cmd.output().expect("run nf")
}

/// Makes a link with `nf share ARGS` as `user`: its URL and ID.
fn share(s: &Server, user: Option<&str>, args: &[&str]) -> (String, String) {
    let mut all = vec!["share"];
    all.extend_from_slice(args);
    let out = nf_as(s, user, &all);
    assert!(out.status.success(), "nf share {args:?}: {}", stderr(&out));
    let url = String::from_utf8(out.stdout).unwrap().trim().to_string();
    // https when the client used TLS (NF_TEST_TLS, or to log in).
    let id = url
        .strip_prefix(&format!("http://{}/s/", s.addr))
        .or_else(|| url.strip_prefix(&format!("https://{}/s/", s.addr)))
        .unwrap_or_else(|| panic!("not a link of this server: {url}"))
        .to_string();
    assert!(
        id.len() == 26 && id.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7')),
        "128 bits in base32: {id}"
    );
    (url, id)
}

/// `curl` of `/s/` + `rest` on `s`: status, fields, body.
fn link(s: &Server, rest: &str, args: &[&str]) -> (u16, Vec<(String, String)>, String) {
    curl_response(s, &format!("/s/{rest}"), args)
}

/// The bytes curl gets from `/s/` + `rest`, and the status.
fn link_bytes(s: &Server, rest: &str) -> (u16, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "60", "-w", "\n%{http_code}"])
        .arg(format!("http://{}/s/{rest}", s.addr))
        .stdin(Stdio::null())
        .output()
        .expect("curl");
    let mut body = out.stdout;
    let at = body.iter().rposition(|&b| b == b'\n').unwrap();
    let status = String::from_utf8(body.split_off(at))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (status, body)
}

/// A server whose access file has three users: `alice` may read `/pub` and write into
/// `/drop`; `bob` may only list `/pub` and read `/drop`; `eve` nothing. The store holds
/// `pub/a.txt`, `pub/sub/b.txt`, `drop/old.txt` and `top.txt`. Returns the access file.
fn users_server() -> (Server, tempfile::TempDir, std::path::PathBuf) {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("access.toml");
    write_rules(&file, true);
    let s = Server::with_config(&format!("access_file = {:?}\n", file.to_str().unwrap()));
    layout(&s);
    (s, rules, file)
}

/// The access file of [`users_server`] (`alice_reads`: alice may read `/pub`), put in place by
/// a rename, as editors save.
fn write_rules(file: &std::path::Path, alice_reads: bool) {
    let hash = nf::service::password::hash(PASSWORD).unwrap();
    let mut text = String::new();
    for user in ["alice", "bob", "eve"] {
        text.push_str(&format!("[users.{user}]\npassword = {hash:?}\n\n"));
    }
    let mut rules = vec![
        ("alice", "/drop", "\"write\""),
        ("bob", "/pub", "\"list\""),
        ("bob", "/drop", "\"list\", \"read\""),
    ];
    if alice_reads {
        rules.push(("alice", "/pub", "\"list\", \"read\""));
    }
    for (who, path, rights) in rules {
        text.push_str(&format!(
            "[[allow]]\nwho = [\"{who}\"]\npath = \"{path}\"\nrights = [{rights}]\n\n"
        ));
    }
    let next = file.with_extension("next");
    std::fs::write(&next, text).unwrap();
    std::fs::set_permissions(&next, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::rename(&next, file).unwrap();
}

fn layout(s: &Server) {
    place(s, "pub/a.txt", b"PUB-A");
    place(s, "pub/sub/b.txt", b"PUB-SUB-B");
    place(s, "drop/old.txt", b"DROP-OLD");
    place(s, "top.txt", b"TOP-SECRET");
}

#[test]
fn a_read_link_serves_its_file_byte_for_byte_to_curl_and_to_nf_get() {
    let s = Server::start();
    let data = random_bytes(300_000, 25);
    place(&s, "docs/report.bin", &data);
    let (url, id) = share(&s, None, &["docs/report.bin"]);

    let (status, got) = link_bytes(&s, &id);
    assert_eq!(status, 200);
    assert_same(&got, &data, "the file by curl");
    let (status, fields, _) = link(&s, &id, &["-r", "10-19"]);
    assert_eq!(status, 206);
    assert_eq!(field(&fields, "content-range"), Some("bytes 10-19/300000"));
    assert_eq!(
        field(&fields, "etag"),
        Some(format!("\"{}\"", blake3_hex(&data)).as_str())
    );

    let out = nf_as(&s, None, &["get", &url, "-o", "copy.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(
        &std::fs::read(s.work.join("copy.bin")).unwrap(),
        &data,
        "the file by nf get URL",
    );

    // Three files sent (the range counts too): the creator sees the uses.
    let out = nf_as(&s, None, &["share", "ls", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["path"], "docs/report.bin");
    assert_eq!(listed[0]["kind"], "read");
    assert_eq!(listed[0]["uses"], 3);
    assert_eq!(listed[0]["state"], "active");
    assert_eq!(listed[0]["url"], url.as_str());
}

#[test]
fn a_folder_link_serves_its_page_json_tar_and_the_files_inside() {
    let s = Server::start();
    layout(&s);
    let (url, id) = share(&s, None, &["pub"]);

    let (status, fields, _) = link(&s, &id, &[]);
    assert_eq!(status, 301);
    assert_eq!(field(&fields, "location"), Some(format!("/s/{id}/").as_str()));
    let (status, _, page) = link(&s, &format!("{id}/"), &[]);
    assert_eq!(status, 200);
    assert!(page.contains("href=\"a.txt\""), "{page}");
    assert!(page.contains("href=\"sub/\""), "{page}");
    assert!(!page.contains("top.txt"), "{page}");

    let (status, _, json) = link(&s, &format!("{id}?json"), &[]);
    assert_eq!(status, 200);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = listed.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pub/a.txt", "pub/sub"]);

    let tar = Command::new("sh")
        .args(["-c", &format!("curl -sS 'http://{}/s/{id}?tar' | tar -t", s.addr)])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&tar.stdout),
        "pub/\npub/a.txt\npub/sub/\npub/sub/b.txt\n"
    );

    assert_eq!(
        link_bytes(&s, &format!("{id}/sub/b.txt")),
        (200, b"PUB-SUB-B".to_vec())
    );
    // A folder inside without its final `/`: sent there, relative to where it is.
    let (status, fields, _) = link(&s, &format!("{id}/sub"), &[]);
    assert_eq!((status, field(&fields, "location")), (301, Some("sub/")));

    // `nf get URL` of a folder link fetches the folder as a tree.
    let out = nf_as(&s, None, &["get", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(s.work.join("pub/sub/b.txt")).unwrap(), b"PUB-SUB-B");
    assert_eq!(std::fs::read(s.work.join("pub/a.txt")).unwrap(), b"PUB-A");
}

#[test]
fn an_upload_link_takes_new_files_by_curl_and_nf_put_and_nothing_else() {
    let s = Server::start();
    layout(&s);
    let (url, id) = share(&s, None, &["--upload", "drop"]);

    let (status, _, page) = link(&s, &format!("{id}/"), &[]);
    assert_eq!(status, 200);
    assert!(page.contains("<input type=\"file\" id=\"files\""), "{page}");
    assert!(!page.contains("old.txt"), "{page}");

    let essay = s.file("essay.txt", b"MY ESSAY");
    let (status, _, _) = link(
        &s,
        &format!("{id}/essay.txt"),
        &["-H", "Expect:", "-T", essay.to_str().unwrap()],
    );
    assert_eq!(status, 201);
    assert_eq!(s.read_stored("drop/essay.txt"), b"MY ESSAY");
    s.file("second.txt", b"SECOND");
    let out = nf_as(&s, None, &["put", "second.txt", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.read_stored("drop/second.txt"), b"SECOND");

    // Nothing else: no reading, listing, replacing or deleting, and the store stays as it is.
    let before = tree(&s);
    let evil = s.file("evil.txt", b"EVIL");
    let evil = evil.to_str().unwrap();
    let refusals = [
        link(&s, &format!("{id}/old.txt"), &[]),
        link(&s, &format!("{id}/essay.txt"), &[]),
        link(&s, &format!("{id}?json"), &[]),
        link(&s, &format!("{id}?tar"), &[]),
        link(&s, &format!("{id}/old.txt"), &["-H", "Expect:", "-T", evil]),
        link(&s, &format!("{id}/essay.txt"), &["-X", "DELETE"]),
    ];
    let statuses: Vec<u16> = refusals.iter().map(|r| r.0).collect();
    assert_eq!(statuses, [403, 403, 403, 403, 403, 405], "{refusals:?}");
    assert!(refusals[0].2.contains("read is not allowed"), "{}", refusals[0].2);
    assert!(
        refusals[4].2.contains("overwrite is not allowed"),
        "{}",
        refusals[4].2
    );
    let out = nf_as(&s, None, &["get", &format!("{url}/old.txt"), "-o", "got.txt"]);
    assert_fails(&out, 7, "read is not allowed");
    assert!(!s.work.join("got.txt").exists());
    assert_unchanged(&s, &before, "the upload link's refusals");

    let out = nf_as(&s, None, &["share", "ls", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (listed[0]["kind"].as_str(), listed[0]["uses"].as_u64()),
        (Some("upload"), Some(2))
    );
}

/// Polls `/s/ID` until it answers 410 (bounded), and returns its text body.
fn wait_for_gone(s: &Server, id: &str) -> String {
    let mut last = (0, String::new());
    let gone = wait_until(Duration::from_secs(60), || {
        let (status, _, body) = link(s, id, &[]);
        last = (status, body);
        last.0 == 410
    });
    assert!(gone, "still {last:?}");
    last.1
}

#[test]
fn expired_removed_and_used_up_links_answer_410_and_a_guessed_one_404() {
    let s = Server::start();
    layout(&s);
    let (_, expiring) = share(&s, None, &["pub/a.txt", "--expires", "2s"]);
    let (removed_url, removed) = share(&s, None, &["pub/a.txt"]);
    let (once_url, once) = share(&s, None, &["pub/a.txt", "--max-uses", "1"]);

    assert!(wait_for_gone(&s, &expiring).starts_with("this link expired at 20"));

    assert_eq!(link_bytes(&s, &removed), (200, b"PUB-A".to_vec()));
    let out = nf_as(&s, None, &["share", "rm", &removed_url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (status, _, body) = link(&s, &removed, &[]);
    assert_eq!(status, 410);
    assert!(body.starts_with("this link was removed at 20"), "{body}");
    let (status, _, page) = link(&s, &removed, &["-H", "Accept: text/html"]);
    assert_eq!(status, 410);
    assert!(page.contains("<h1>This link no longer works</h1>"), "{page}");
    let (_, _, json) = link(&s, &format!("{removed}?json"), &[]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["code"], "gone");

    let out = nf_as(&s, None, &["get", &once_url, "-o", "once.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (status, _, body) = link(&s, &once, &[]);
    assert_eq!(
        (status, body.as_str()),
        (410, "this link was used 1 times, as many as it allowed\n")
    );
    let out = nf_as(&s, None, &["get", &once_url, "-o", "twice.txt"]);
    assert_fails(&out, 3, "as many as it allowed");
    assert!(!s.work.join("twice.txt").exists());

    let (status, _, body) = link(&s, "aaaaaaaaaaaaaaaaaaaaaaaaaa", &[]);
    assert_eq!(
        (status, body.as_str()),
        (404, "no share link \"aaaaaaaaaaaaaaaaaaaaaaaaaa\"\n")
    );

    let out = nf_as(&s, None, &["share", "ls", "--json"]);
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut states: Vec<(String, String)> = listed
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_string(),
                l["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    states.sort();
    let mut expected = vec![
        (expiring, "expired".to_string()),
        (removed, "removed".to_string()),
        (once, "used up".to_string()),
    ];
    expected.sort();
    assert_eq!(states, expected);
}

#[test]
fn a_link_does_not_reach_outside_its_path() {
    let s = Server::start();
    layout(&s);
    let (_, folder) = share(&s, None, &["pub/sub"]);
    let (_, file) = share(&s, None, &["pub/a.txt"]);
    for rest in [
        format!("{folder}/../a.txt"),
        format!("{folder}/../../top.txt"),
        format!("{folder}/%2E%2E/a.txt"),
        format!("{folder}/%2e%2e/%2e%2e/top.txt"),
        format!("{folder}/..%2Fa.txt"),
        format!("{folder}/b.txt%2F..%2F..%2Fa.txt"),
        format!("{folder}/.nf/shares/{file}"),
        format!("{file}/../sub/b.txt"),
        format!("{file}/x"),
    ] {
        let (status, _, body) = link(&s, &rest, &["--path-as-is"]);
        assert_eq!(status, 404, "{rest}: {body}");
        assert_eq!(body, "no such file or folder in this share link\n", "{rest}");
    }
    assert_eq!(
        link_bytes(&s, &format!("{folder}/b.txt")),
        (200, b"PUB-SUB-B".to_vec())
    );
    // A top-level folder `s` is an ordinary folder: only an ID's shape below it is a link.
    place(&s, "s/notes.txt", b"NOTES");
    assert_eq!(link_bytes(&s, "notes.txt"), (200, b"NOTES".to_vec()));
    let (status, _, body) = link(&s, "?json", &[]);
    assert!(
        status == 200 && body.contains("\"s/notes.txt\""),
        "{status} {body}"
    );
}

#[test]
fn only_what_a_user_may_read_or_write_can_be_shared_and_a_link_acts_as_itself() {
    let (s, _rules, _file) = users_server();
    // bob may list /pub but not read it; he may read /drop but not write there.
    let out = nf_as(&s, Some("bob"), &["share", "pub/a.txt"]);
    assert_fails(&out, 7, "bob has no read right on \"pub/a.txt\"");
    let out = nf_as(&s, Some("bob"), &["share", "pub"]);
    assert_fails(&out, 7, "bob has no read right on \"pub\"");
    let out = nf_as(&s, Some("bob"), &["share", "--upload", "drop"]);
    assert_fails(&out, 7, "bob has no write right on \"drop\"");
    // eve sees nothing: what she cannot see does not exist for her.
    let out = nf_as(&s, Some("eve"), &["share", "top.txt"]);
    assert_fails(&out, 3, "no file named \"top.txt\"");
    let out = nf_as(&s, None, &["share", "pub/a.txt"]);
    assert_fails(&out, 3, "no file named \"pub/a.txt\"");

    let (_, read) = share(&s, Some("alice"), &["pub/a.txt"]);
    let (_, drop) = share(&s, Some("alice"), &["--upload", "drop"]);
    // Whatever credentials come with it, the request acts as the link: no 401, and no more.
    let (status, _, body) = link(&s, &read, &["-u", "eve:wrong"]);
    assert_eq!((status, body.as_str()), (200, "PUB-A"));
    let (status, _, body) = link(&s, &read, &["-u", &format!("bob:{PASSWORD}")]);
    assert_eq!((status, body.as_str()), (200, "PUB-A"));
    let (status, _, _) = link(
        &s,
        &format!("{drop}/old.txt"),
        &["-u", &format!("bob:{PASSWORD}")],
    );
    assert_eq!(status, 403);
    // alice's links are hers: bob neither lists nor removes them.
    let out = nf_as(&s, Some("bob"), &["share", "ls", "--json"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[]\n");
    let out = nf_as(&s, Some("bob"), &["share", "rm", &read]);
    assert_fails(&out, 3, "no share link");
    assert_eq!(link(&s, &read, &[]).0, 200);
}

#[test]
fn a_link_stops_working_when_its_creator_loses_the_right() {
    let (s, _rules, file) = users_server();
    let (_, id) = share(&s, Some("alice"), &["pub"]);
    assert_eq!(link_bytes(&s, &format!("{id}/a.txt")), (200, b"PUB-A".to_vec()));
    write_rules(&file, false);
    s.log_line_within(Duration::from_secs(60), |l| {
        l.contains("reloaded: 3 users, 3 rules")
    });
    let (status, _, body) = link(&s, &format!("{id}/a.txt"), &[]);
    assert_eq!((status, body.as_str()), (404, "no file named \"pub/a.txt\"\n"));
    let (status, _, _) = link(&s, &format!("{id}/?json"), &[]);
    assert_eq!(status, 404);
}

#[test]
fn links_survive_a_server_restart() {
    let mut s = Server::start();
    layout(&s);
    let (_, id) = share(&s, None, &["pub/a.txt", "--max-uses", "2"]);
    assert_eq!(link_bytes(&s, &id).0, 200);
    s.kill();
    s.spawn();
    assert_eq!(link_bytes(&s, &id), (200, b"PUB-A".to_vec()));
    // The count survived too: that was the second and last use.
    assert_eq!(link(&s, &id, &[]).0, 410);

    // A link without a limit has its uses counted in memory a second at a time: a stop
    // (Ctrl-C) writes them.
    let (_, free) = share(&s, None, &["pub/a.txt"]);
    for _ in 0..3 {
        assert_eq!(link_bytes(&s, &free).0, 200);
    }
    assert!(s.signal("INT").is_some(), "the server did not stop on SIGINT");
    s.spawn();
    let out = nf_as(&s, None, &["share", "ls", "--json"]);
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let uses = listed.iter().find(|l| l["id"] == free.as_str()).unwrap()["uses"].as_u64();
    assert_eq!(uses, Some(3));
}

#[test]
fn a_link_made_through_one_server_works_through_another_of_the_bucket() {
    if !s3_available() {
        return;
    }
    let bucket = Bucket::fresh();
    let a = Server::on_bucket(&bucket, "");
    let b = Server::on_bucket(&bucket, "");
    place(&a, "pub/a.txt", b"PUB-A");
    let (_, id) = share(&a, None, &["pub/a.txt"]);
    assert_eq!(link_bytes(&b, &id), (200, b"PUB-A".to_vec()));
    let out = nf_as(&a, None, &["share", "rm", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(link(&b, &id, &[]).0, 410);
}

#[test]
fn the_qr_code_of_a_link_is_drawn_below_its_url() {
    let s = Server::start();
    layout(&s);
    let out = nf_as(&s, None, &["share", "pub/a.txt", "--qr"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().contains("/s/"));
    let code: Vec<&str> = lines.collect();
    // Not a terminal: plain half blocks, every line as wide as the code is high, halved.
    let width = code[0].chars().count();
    assert_eq!(code.len(), width.div_ceil(2), "{text}");
    assert!(code
        .iter()
        .all(|l| l.chars().count() == width && l.chars().all(|c| " ▀▄█".contains(c))));
}

/// A drop folder (`write` without `list`) has a page too: its upload control and nothing of
/// what it holds, as an upload link's page; its listing (`?json`, `?tar`) stays refused.
#[test]
fn a_drop_folders_own_page_takes_uploads_and_shows_nothing_it_holds() {
    let (s, _rules, _file) = users_server();
    let alice = format!("alice:{PASSWORD}");
    let (status, _, page) = curl_response(&s, "/drop/", &["-u", &alice]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"files\""), "no upload control: {page}");
    assert!(
        !page.contains("old.txt") && !page.contains("class=\"delete\""),
        "{page}"
    );
    for refused in ["/drop/?json", "/drop/?tar"] {
        assert_eq!(curl_response(&s, refused, &["-u", &alice]).0, 403, "{refused}");
    }
    // Without `write` there is no such page: eve may do nothing there, nor see it.
    let eve = format!("eve:{PASSWORD}");
    assert_eq!(curl_response(&s, "/drop/", &["-u", &eve]).0, 404);
    // What the page's control sends: a PUT that must not replace anything.
    let essay = s.file("essay.txt", b"MY ESSAY");
    let (status, _, _) = curl_response(
        &s,
        "/drop/essay.txt",
        &[
            "-u",
            &alice,
            "-H",
            "Expect:",
            "-H",
            "If-None-Match: *",
            "-T",
            essay.to_str().unwrap(),
        ],
    );
    assert_eq!(status, 201);
    assert_eq!(s.read_stored("drop/essay.txt"), b"MY ESSAY");
}
