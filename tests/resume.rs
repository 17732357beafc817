//! Integrity, atomicity and resume: a corrupted upload is refused and leaves nothing, a cut
//! upload is invisible and `--resume` completes it without resending, downloads resume too.

mod common;

use common::bucket::{assert_get_is_right_or_refused, store_has, store_pairs_etags_apart};
use common::*;

/// How much of an upload cut after `cut` bytes the store keeps for a resume: what arrived (the
/// local store), its whole parts of 8 MiB (the object store), or nothing where the store lists
/// no part ETags (the cut upload is aborted, and a resume sends the whole file).
fn kept_of(cut: u64) -> u64 {
    if !s3_backend() {
        return cut;
    }
    if !store_has(
        "part-etags",
        "nothing is kept of a cut upload, and a resume sends the whole file",
    ) {
        return 0;
    }
    cut / (8 << 20) * (8 << 20)
}

fn put_header(name: &str, size: u64, offset: u64) -> String {
    format!(
        "{}\n",
        serde_json::json!({"op": "put", "name": name, "size": size, "offset": offset})
    )
}

#[test]
fn a_corrupted_upload_is_refused_and_leaves_nothing() {
    let s = Server::start();
    let mut raw = s.raw();
    let wrong = blake3_hex(b"something else");
    raw.send(format!("{}hello{{\"blake3\":\"{wrong}\"}}\n", put_header("c.txt", 5, 0)).as_bytes());
    let reply = raw.json();
    assert_eq!(reply["ok"], false);
    assert_eq!(reply["code"], "hash_mismatch", "{reply}");
    assert!(s.stored().is_empty());
    assert!(s.partials().is_empty(), "the refused upload's partial is deleted");
    // The same connection goes on working.
    let right = blake3_hex(b"hello");
    raw.send(format!("{}hello{{\"blake3\":\"{right}\"}}\n", put_header("c.txt", 5, 0)).as_bytes());
    let reply = raw.json();
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["blake3"], right);
    assert_eq!(s.read_stored("c.txt"), b"hello");
}

#[test]
fn an_upload_cut_halfway_is_invisible_and_resume_completes_it() {
    let s = Server::start();
    // Big enough that the object store has begun a multipart upload when the cut comes, and
    // that the local store writes it with O_DIRECT; the cut is not on a 4 KiB boundary, so
    // the resumed upload starts at an offset no direct write may use.
    let (size, cut) = ((20 << 20) + 7, (10 << 20) + 5);
    let data = random_bytes(size, 42);
    s.file("big.bin", &data);
    let mut raw = s.raw();
    raw.send(put_header("big.bin", size as u64, 0).as_bytes());
    raw.send(&data[..cut]);
    drop(raw);
    // The local store keeps what arrived; the object store keeps the whole parts it stored
    // (8 MiB each for this size). Wait (bounded) until the server has noticed the cut.
    let kept = kept_of(cut as u64);
    wait_for_partial(&s, "big.bin", kept);
    assert!(s.names().is_empty());
    assert!(s.stored().is_empty());

    let resumed = s.nf(&["put", "--resume", "big.bin"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_same(&s.read_stored("big.bin"), &data, "content");
    assert_eq!(s.ls()[0]["blake3"], blake3_hex(&data));
    // Only what the store did not keep crossed the wire the second time.
    let line = s.log_line(|l| l.contains(" put \"big.bin\""));
    assert!(
        line.contains(&format!(" {} ", size as u64 - kept)),
        "{}",
        s.log.lock().unwrap()
    );
    assert!(s.partials().is_empty(), "the completed partial is gone");
}

#[test]
fn resume_starts_over_when_the_partial_is_not_a_prefix_of_the_file() {
    let s = Server::start();
    let mut raw = s.raw();
    raw.send(put_header("doc.txt", 20 << 20, 0).as_bytes());
    raw.send(&vec![b'Z'; 10 << 20]);
    drop(raw);
    // The object store keeps whole parts only: 8 MiB of the 10.
    wait_for_partial(&s, "doc.txt", kept_of(10 << 20));
    let data = random_bytes(20 << 20, 5);
    s.file("doc.txt", &data);
    let out = s.nf(&["put", "--resume", "doc.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&s.read_stored("doc.txt"), &data, "content");
}

#[test]
fn a_small_upload_cut_off_leaves_no_partial_at_all() {
    let s = Server::start();
    let mut raw = s.raw();
    raw.send(put_header("small.txt", 1000, 0).as_bytes());
    raw.send(&[b'a'; 500]);
    drop(raw);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut probe = s.raw();
    probe.send(b"{\"op\":\"stat\",\"name\":\"small.txt\"}\n");
    assert_eq!(probe.json()["partial"], 0);
    assert!(s.partials().is_empty());
    assert!(s.stored().is_empty());
}

/// Waits (bounded) until the server holds `len` bytes of a partial of `name` (0: until the
/// store holds no partial at all); nothing may be visible under the name meanwhile.
fn wait_for_partial(s: &Server, name: &str, len: u64) {
    for _ in 0..200 {
        if len == 0 && !s.partials().is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(20));
            continue;
        }
        let mut probe = s.raw();
        probe.send(format!("{}\n", serde_json::json!({"op": "stat", "name": name})).as_bytes());
        let stat = probe.json();
        assert!(stat["file"].is_null(), "nothing visible under the name: {stat}");
        if stat["partial"] == len {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the server never held {len} bytes of {name}");
}

#[test]
fn resume_with_nothing_to_resume_uploads_the_whole_file() {
    let s = Server::start();
    s.file("new.txt", b"brand new");
    let out = s.nf(&["put", "--resume", "new.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.read_stored("new.txt"), b"brand new");
}

#[test]
fn a_download_resumes_from_its_partial_and_checks_the_whole_file() {
    let s = Server::start();
    // A small file, and one large enough for the hashing helper thread, resumed from an
    // offset off the 4 KiB grid.
    for (size, kept) in [(2 << 20, 3 << 19), ((20 << 20) + 7, (10 << 20) + 5)] {
        let data = random_bytes(size, 9);
        s.file("video.bin", &data);
        assert!(s.nf(&["put", "-f", "video.bin"]).status.success());
        std::fs::remove_file(s.work.join("video.bin")).unwrap();
        // An earlier download stopped part of the way.
        std::fs::write(s.work.join(".video.bin.nf-part"), &data[..kept]).unwrap();
        let out = s.nf(&["get", "--resume", "video.bin"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_same(
            &std::fs::read(s.work.join("video.bin")).unwrap(),
            &data,
            "content",
        );
        assert!(!s.work.join(".video.bin.nf-part").exists());
        // Only the rest crossed the wire (waits, bounded, for the server's log line).
        let sent = format!(" {} ", size - kept);
        s.log_line(|l| l.contains(" get \"video.bin\"") && l.contains(&sent));
    }
}

#[test]
fn a_download_partial_that_does_not_match_is_replaced_by_a_full_download() {
    let s = Server::start();
    let data = random_bytes(500_000, 3);
    s.file("x.bin", &data);
    assert!(s.nf(&["put", "x.bin"]).status.success());
    std::fs::remove_file(s.work.join("x.bin")).unwrap();
    std::fs::write(s.work.join(".x.bin.nf-part"), vec![0u8; 1000]).unwrap();
    let out = s.nf(&["get", "--resume", "x.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&std::fs::read(s.work.join("x.bin")).unwrap(), &data, "content");
}

#[test]
fn concurrent_uploads_of_one_name_never_mix() {
    let s = Server::start();
    let versions: Vec<Vec<u8>> = (0..6).map(|i| vec![b'a' + i as u8; 1 << 20]).collect();
    let handles: Vec<_> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let dir = s.work.join(format!("w{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("same.bin"), v).unwrap();
            let mut cmd = s.cmd_in(&dir, &["put", "-f", "same.bin"]);
            std::thread::spawn(move || cmd.output().unwrap())
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let stored = s.read_stored("same.bin");
    assert!(
        versions.contains(&stored),
        "the stored file is one complete version"
    );
    if store_pairs_etags_apart("a get returns the stored content or fails its BLAKE3 check") {
        assert_get_is_right_or_refused(&s, "same.bin", &stored);
        return;
    }
    assert_eq!(s.ls()[0]["blake3"], blake3_hex(&stored));
}

#[test]
fn two_resumes_of_one_partial_at_once_never_share_it() {
    let s = Server::start();
    let (size, cut) = (20usize << 20, 10usize << 20);
    let data = random_bytes(size, 77);
    let mut raw = s.raw();
    raw.send(put_header("twice.bin", size as u64, 0).as_bytes());
    raw.send(&data[..cut]);
    drop(raw);
    // The object store keeps whole parts only: 8 MiB of the 10.
    let kept = kept_of(cut as u64) as usize;
    wait_for_partial(&s, "twice.bin", kept as u64);
    if kept == 0 {
        // Nothing kept, nothing to share: a resumed put sends the whole file.
        s.file("twice.bin", &data);
        let out = s.nf(&["put", "--resume", "twice.bin"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_same(&s.read_stored("twice.bin"), &data, "content");
        return;
    }
    let header = put_header("twice.bin", size as u64, kept as u64);
    let trailer = format!("{{\"blake3\":\"{}\"}}\n", blake3_hex(&data));
    // Two resumes of the same partial: the first has sent its header (the server begins the
    // upload on reading it), the second sends all of its own before the first sends a byte.
    let mut first = s.raw();
    first.send(header.as_bytes());
    std::thread::sleep(std::time::Duration::from_millis(100));
    let mut second = s.raw();
    second.send(header.as_bytes());
    second.send(&data[kept..]);
    second.send(trailer.as_bytes());
    let second_reply = second.json();
    first.send(&data[kept..]);
    first.send(trailer.as_bytes());
    let first_reply = first.json();
    // Whichever came first continues the partial; the other is told to try again.
    let mut codes: Vec<String> = [&first_reply, &second_reply]
        .iter()
        .map(|r| r["code"].as_str().unwrap_or("ok").to_string())
        .collect();
    codes.sort();
    assert_eq!(codes, ["busy", "ok"], "{first_reply} {second_reply}");
    assert_same(&s.read_stored("twice.bin"), &data, "content");
    assert_eq!(s.ls()[0]["blake3"], blake3_hex(&data));
}
