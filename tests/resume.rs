//! Integrity, atomicity and resume: a corrupted upload is refused and leaves nothing, a cut
//! upload is invisible and `--resume` completes it without resending, downloads resume too.

mod common;

use common::bucket::{assert_get_is_right_or_refused, store_has, store_pairs_etags_apart};
use common::*;
use std::process::Command;

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

/// Stores `data` as `name` on the server, and leaves only `partial` of a download of it
/// beside where it would go (`.NAME.nf-part`).
fn stored_with_a_local_partial(s: &Server, name: &str, data: &[u8], partial: &[u8]) {
    s.file(name, data);
    assert!(s.nf(&["put", name]).status.success());
    std::fs::remove_file(s.work.join(name)).unwrap();
    std::fs::write(s.work.join(format!(".{name}.nf-part")), partial).unwrap();
}

#[test]
fn a_download_partial_that_does_not_match_is_replaced_by_a_full_download() {
    let s = Server::start();
    let data = random_bytes(500_000, 3);
    stored_with_a_local_partial(&s, "x.bin", &data, &[0u8; 1000]);
    let out = s.nf(&["get", "--resume", "x.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&std::fs::read(s.work.join("x.bin")).unwrap(), &data, "content");
}

#[test]
fn a_get_without_resume_says_it_found_a_partial_and_starts_over() {
    let s = Server::start();
    let data = random_bytes(300_000, 4);
    stored_with_a_local_partial(&s, "x.bin", &data, &data[..1000]);
    let out = s.nf(&["get", "x.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().next(),
        Some("nf: found a partial download of x.bin (1000 B); starting over (use --resume to continue)")
    );
    assert_same(&std::fs::read(s.work.join("x.bin")).unwrap(), &data, "content");
    assert!(!s.work.join(".x.bin.nf-part").exists());
    // Quiet with -q; and nothing to say without a partial.
    std::fs::remove_file(s.work.join("x.bin")).unwrap();
    std::fs::write(s.work.join(".x.bin.nf-part"), &data[..10]).unwrap();
    let out = s.nf(&["get", "-q", "x.bin"]);
    assert_eq!(stderr(&out), "");
    std::fs::remove_file(s.work.join("x.bin")).unwrap();
    assert!(!stderr(&s.nf(&["get", "x.bin"])).contains("partial"));
}

/// `cmd` run under a file-size limit (`ulimit -f`) of `kib` KiB.
fn under_file_size_limit(cmd: &Command, kib: u64) -> Command {
    let mut limited = Command::new("bash");
    limited
        .args(["-c", &format!("ulimit -f {kib}; exec \"$0\" \"$@\"")])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => limited.env(key, v),
            None => limited.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        limited.current_dir(dir);
    }
    limited
}

#[test]
fn a_download_that_cannot_be_written_names_the_users_file_not_the_hidden_partial() {
    let s = Server::start();
    s.file("big.bin", &random_bytes(1 << 20, 5));
    assert!(s.nf(&["put", "big.bin"]).status.success());
    std::fs::remove_file(s.work.join("big.bin")).unwrap();
    // The client may write files of at most 64 KiB: its writes fail (EFBIG).
    let out = under_file_size_limit(&s.cmd_in(&s.work, &["get", "big.bin"]), 64)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.starts_with("nf: error: cannot write big.bin: "), "{err}");
    assert!(!err.contains("nf-part"), "{err}");
    assert!(!s.work.join("big.bin").exists());
    assert!(!s.work.join(".big.bin.nf-part").exists());
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
        assert!(out.status.success(), "{:?}: {}", out.status, stderr(&out));
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

/// A whole number of MiB as nf writes it: one decimal below 10.
fn mib(bytes: u64) -> String {
    let n = bytes >> 20;
    if n < 10 {
        format!("{n}.0 MiB")
    } else {
        format!("{n} MiB")
    }
}

/// Cuts an upload of `data` as `name` after `cut` bytes; returns the bytes the store kept.
fn cut_upload(s: &Server, name: &str, data: &[u8], cut: usize) -> u64 {
    let mut raw = s.raw();
    raw.send(put_header(name, data.len() as u64, 0).as_bytes());
    raw.send(&data[..cut]);
    drop(raw);
    // The object store keeps whole parts only (8 MiB each for these sizes).
    let kept = if s3_backend() {
        cut as u64 / (8 << 20) * (8 << 20)
    } else {
        cut as u64
    };
    wait_for_partial(s, name, kept);
    kept
}

#[test]
fn a_resumed_put_reports_only_the_bytes_it_sent() {
    let s = Server::start();
    let data = random_bytes(20 << 20, 61);
    s.file("big.bin", &data);
    let kept = cut_upload(&s, "big.bin", &data, 12 << 20);
    let out = s.nf(&["put", "--resume", "big.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = format!("uploaded 1 file ({})", mib((20 << 20) - kept));
    assert!(stderr(&out).contains(&summary), "{summary:?} in {}", stderr(&out));
    assert_same(&s.read_stored("big.bin"), &data, "content");
}

#[test]
fn put_resume_of_a_file_the_server_already_holds_whole_exits_zero() {
    let s = Server::start();
    let data = random_bytes(3 << 20, 62);
    s.file("done.bin", &data);
    assert!(s.nf(&["put", "done.bin"]).status.success());
    // `until nf put --resume f; do sleep 1; done` ends.
    let out = s.nf(&["put", "--resume", "done.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("\"done.bin\" is already complete"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("nothing uploaded: 1 file was already complete"),
        "{}",
        stderr(&out)
    );
    // Nothing was sent: the only put the server logged is the first one.
    let log = s.log_after(|l| l.contains(" stat \"done.bin\""));
    assert_eq!(log.matches(" put \"done.bin\"").count(), 1, "{log}");
    // A different local file under that name is still refused without --force.
    s.file("done.bin", b"other content");
    let out = s.nf(&["put", "--resume", "done.bin"]);
    assert_fails(&out, 4, "already exists");
}

#[test]
fn get_resume_of_a_file_already_downloaded_whole_exits_zero() {
    let s = Server::start();
    let data = random_bytes(300_000, 63);
    s.place_by_hand("have.bin", &data);
    assert!(s.nf(&["get", "have.bin"]).status.success());
    let out = s.nf(&["get", "--resume", "have.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("\"have.bin\" is already complete"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("nothing downloaded: 1 file was already complete"),
        "{}",
        stderr(&out)
    );
    std::fs::write(s.work.join("have.bin"), b"changed locally").unwrap();
    let out = s.nf(&["get", "--resume", "have.bin"]);
    assert_fails(&out, 4, "already exists");
}

#[test]
fn a_put_without_resume_says_a_partial_is_there_and_a_later_put_removes_it() {
    let s = Server::start();
    let data = random_bytes(20 << 20, 64);
    s.file("iso.bin", &data);
    let kept = cut_upload(&s, "iso.bin", &data, 10 << 20);
    let out = s.nf(&["put", "iso.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let note = format!(
        "nf: the server holds {} of an interrupted upload of \"iso.bin\"; add --resume to continue from there",
        mib(kept)
    );
    assert!(stderr(&out).contains(&note), "{note:?} in {}", stderr(&out));
    assert_same(&s.read_stored("iso.bin"), &data, "content");
    // The upload that completed the name leaves no partial of it behind.
    assert!(s.partials().is_empty(), "{:?}", s.partials());
}

#[test]
fn rm_removes_the_interrupted_uploads_of_the_name_too() {
    let s = Server::start();
    let data = random_bytes(20 << 20, 65);
    cut_upload(&s, "gone.bin", &data, 10 << 20);
    s.place_by_hand("gone.bin", b"old");
    assert!(!s.partials().is_empty());
    let out = s.nf(&["rm", "gone.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(s.partials().is_empty(), "{:?}", s.partials());
    let mut probe = s.raw();
    probe.send(b"{\"op\":\"stat\",\"name\":\"gone.bin\"}\n");
    assert_eq!(probe.json()["partial"], 0);
}

/// Waits (bounded) until the store holds exactly `count` partials and the log has `lines`
/// lines containing `needle`; returns the log.
fn wait_until_bounded(s: &Server, count: usize, needle: &str, lines: usize) -> String {
    for _ in 0..500 {
        let log = s.log.lock().unwrap().clone();
        if s.partials().len() == count && log.matches(needle).count() == lines {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!(
        "expected {count} partials (have {:?}) and {lines} log lines with {needle:?}:\n{}",
        s.partials(),
        s.log.lock().unwrap()
    );
}

/// Sends an upload of `data` as `name` and cuts it after `cut` bytes, without waiting.
fn cut_now(s: &Server, name: &str, data: &[u8], cut: usize) {
    let mut raw = s.raw();
    raw.send(put_header(name, data.len() as u64, 0).as_bytes());
    raw.send(&data[..cut]);
    drop(raw);
}

#[test]
fn fifty_cut_uploads_of_one_name_leave_one_partial_and_stat_reports_it() {
    let s = Server::start();
    // The object store keeps whole parts (8 MiB) only: three cuts of 8, 16 and 8 MiB there;
    // fifty small ones on a local store (2 MiB files, over resume_min_bytes).
    let (data, cuts): (Vec<u8>, Vec<usize>) = if s3_backend() {
        let data = random_bytes(40 << 20, 90);
        (data, vec![(8 << 20) + 1, (16 << 20) + 5, (8 << 20) + 9])
    } else {
        let data = random_bytes(2 << 20, 90);
        let cuts = (0..50).map(|i| 10_000 + (i * 37 % 50) * 1000 + i).collect();
        (data, cuts)
    };
    s.file("many.bin", &data);
    for &cut in &cuts {
        cut_now(&s, "many.bin", &data, cut);
        // One at a time, so each cut is noticed before the next begins.
        std::thread::sleep(std::time::Duration::from_millis(if s3_backend() {
            300
        } else {
            20
        }));
    }
    let kept = if s3_backend() {
        16 << 20
    } else {
        *cuts.iter().max().unwrap() as u64
    };
    let log = wait_until_bounded(
        &s,
        1,
        "dropped an interrupted upload of \"many.bin\"",
        cuts.len() - 1,
    );
    assert!(log.contains("is kept for --resume"), "{log}");
    // stat reports the one partial there is, and a resume continues it.
    wait_for_partial(&s, "many.bin", kept);
    let out = s.nf(&["put", "--resume", "many.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&s.read_stored("many.bin"), &data, "content");
    let line = s.log_line(|l| l.contains(" put \"many.bin\"") && l.ends_with(" ok"));
    assert!(
        line.contains(&format!(" {} ", data.len() as u64 - kept)),
        "{line}"
    );
    assert!(s.partials().is_empty(), "{:?}", s.partials());
}

#[test]
fn interrupted_uploads_of_all_names_stay_within_max_partial_bytes_oldest_first() {
    // Four cut uploads where three fit: the oldest goes, and the log says so.
    let (part, max) = if s3_backend() {
        (8usize << 20, 20u64 << 20)
    } else {
        (1 << 20, (3 << 20) + 1024)
    };
    let s = Server::with_config(&format!("max_partial_bytes = {max}"));
    let data = random_bytes(2 * part + 7, 91);
    let names = ["q1.bin", "q2.bin", "q3.bin", "q4.bin"];
    let names = if s3_backend() { &names[..3] } else { &names[..] };
    let mut kept = Vec::new();
    for name in names {
        kept.push(cut_upload(&s, name, &data, part + 3));
        if s3_backend() {
            // The object store's times are whole seconds.
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
    }
    let log = wait_until_bounded(
        &s,
        names.len() - 1,
        "dropped the interrupted upload of \"q1.bin\"",
        1,
    );
    let line = log
        .lines()
        .find(|l| l.contains("dropped the interrupted upload"))
        .unwrap();
    let why = format!("more than max_partial_bytes ({})", human_size(max));
    assert!(line.contains(&why), "{why:?} in {line}");
    assert_eq!(log.matches("dropped the interrupted upload").count(), 1, "{log}");
    for (name, kept) in names.iter().zip(kept) {
        let mut probe = s.raw();
        probe.send(format!("{}\n", serde_json::json!({"op": "stat", "name": name})).as_bytes());
        let held = probe.json()["partial"].as_u64().unwrap();
        assert_eq!(held, if *name == "q1.bin" { 0 } else { kept }, "{name}");
    }
}

/// A size as nf writes it (the server's log): `3.0 MiB`, `20 MiB`.
fn human_size(bytes: u64) -> String {
    let mib = bytes as f64 / (1 << 20) as f64;
    if mib < 10.0 {
        format!("{mib:.1} MiB")
    } else {
        format!("{mib:.0} MiB")
    }
}
