//! Faults: processes killed mid-transfer, connections cut or stalled, a full disk, Ctrl-C,
//! files replaced while read. Nothing acknowledged is lost, nothing half-written is visible,
//! and the server keeps serving everyone else throughout.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Waits (bounded) for `cond`; panics with `what` if it never holds.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("timed out waiting for {what}");
}

fn partial_bytes(s: &Server) -> u64 {
    s.partials()
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0)
}

/// A fake server that answers the handshake and then runs `then` on the connection.
fn fake_server(then: impl FnOnce(TcpStream) + Send + 'static) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap(); // NF/1
        line.clear();
        reader.read_line(&mut line).unwrap(); // hello
        sock.write_all(b"{\"ok\":true,\"version\":1,\"server\":\"fake\"}\n")
            .unwrap();
        then(sock);
    });
    (addr, handle)
}

#[test]
fn a_client_killed_mid_put_leaves_nothing_visible_and_resume_finishes_the_upload() {
    let s = Server::start();
    let path = s.work.join("big.img");
    // Sparse: large enough to catch mid-flight, cheap to make.
    std::fs::File::create(&path).unwrap().set_len(512 << 20).unwrap();
    let mut client = s
        .cmd_in(&s.work, &["put", "big.img"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the upload to start", || partial_bytes(&s) > 1 << 20);
    client.kill().unwrap();
    let _ = client.wait();
    assert!(s.names().is_empty(), "nothing is visible under the name");
    assert!(s.stored().is_empty());
    wait_until("the server to keep the partial", || {
        let mut probe = s.raw();
        probe.send(b"{\"op\":\"stat\",\"name\":\"big.img\"}\n");
        probe.json()["partial"].as_u64().unwrap() > 0
    });
    let kept = partial_bytes(&s);
    assert!(kept < 512 << 20, "the kill came mid-transfer ({kept} bytes)");
    let out = s.nf(&["put", "--resume", "big.img"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ls = s.ls();
    assert_eq!(ls[0]["size"], 512u64 << 20);
    assert_eq!(ls[0]["blake3"], blake3_hex(&vec![0u8; 512 << 20]));
    let log = s.log.lock().unwrap().clone();
    let line = log
        .lines()
        .rfind(|l| l.contains(" put \"big.img\"") && l.ends_with("ok"))
        .unwrap();
    let sent: u64 = line.split(' ').nth(4).unwrap().parse().unwrap();
    assert!(sent < 512 << 20, "the resume sent only the rest: {line}");
}

#[test]
fn stale_partials_are_removed_after_their_age() {
    let mut s = Server::with_config("partial_max_age_hours = 0");
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"put\",\"name\":\"old\",\"size\":4000000}\n");
    raw.send(&[1u8; 100_000]);
    drop(raw);
    wait_until("the partial", || partial_bytes(&s) == 100_000);
    s.kill();
    s.spawn();
    assert!(
        s.partials().is_empty(),
        "a restart with partial_max_age_hours = 0 removes them"
    );
}

#[test]
fn a_server_killed_mid_put_restarts_cleanly_with_the_old_version_intact() {
    let mut s = Server::start();
    let v1 = random_bytes(2 << 20, 1);
    s.file("doc.bin", &v1);
    assert!(s.nf(&["put", "doc.bin"]).status.success());
    let v2 = random_bytes(4 << 20, 2);
    let mut raw = s.raw();
    raw.send(
        format!(
            "{{\"op\":\"put\",\"name\":\"doc.bin\",\"size\":{},\"force\":true}}\n",
            v2.len()
        )
        .as_bytes(),
    );
    raw.send(&v2[..3 << 20]);
    wait_until("the server to hold 3 MiB", || partial_bytes(&s) == 3 << 20);
    s.kill();
    drop(raw);
    s.spawn();
    // The previous version is whole and listed with its own hash; no partial is visible.
    assert_same(
        &std::fs::read(s.root.join("doc.bin")).unwrap(),
        &v1,
        "old version",
    );
    let ls = s.ls();
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0]["blake3"], blake3_hex(&v1));
    assert_eq!(
        partial_bytes(&s),
        3 << 20,
        "the leftover partial survived the restart"
    );
    s.file("doc.bin", &v2);
    let out = s.nf(&["put", "-f", "--resume", "doc.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(
        &std::fs::read(s.root.join("doc.bin")).unwrap(),
        &v2,
        "new version",
    );
    assert!(s.partials().is_empty());
}

/// A peer that asks for a big file and never reads is dropped with the default limits: its
/// download stops moving, and what it takes falls under `min_body_rate` (1 KiB/s by default)
/// over the 10 s window (or `idle_timeout_secs`, 60 s, would end it).
#[test]
fn a_peer_that_stops_reading_is_dropped_by_the_default_limits() {
    let s = Server::start();
    s.file("big", &random_bytes(32 << 20, 3));
    assert!(s.nf(&["put", "big"]).status.success());
    let started = Instant::now();
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"get\",\"name\":\"big\"}\n");
    // Never read: the server's writes stall, then it gives up.
    let line = s.log_line_within(Duration::from_secs(75), |l| {
        l.contains(" get \"big\"") && l.contains("error")
    });
    let waited = started.elapsed();
    assert!(line.contains("too slow") || line.contains("timed out"), "{line}");
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(70),
        "{waited:?}"
    );
    s.assert_serving();
    drop(raw);
}

#[test]
fn a_server_that_stops_answering_makes_the_client_time_out_clearly() {
    let (addr, fake) = fake_server(|sock| {
        std::thread::sleep(Duration::from_secs(4));
        drop(sock);
    });
    let started = Instant::now();
    let out = Command::new(NF)
        .args(["ls", "-s", &addr])
        .env("NF_CONFIG", "/dev/null")
        .env("NF_IDLE_TIMEOUT_SECS", "1")
        .output()
        .unwrap();
    assert_fails(&out, 5, "timed out");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    fake.join().unwrap();
}

/// A get reply for `data` (as a real server would send it) and the first `head` bytes of it.
fn get_reply(name: &str, data: &[u8], head: usize) -> (String, Vec<u8>) {
    let reply = format!(
        "{{\"ok\":true,\"name\":\"{name}\",\"size\":{},\"modified\":\"2026-01-01T00:00:00Z\",\"blake3\":\"{}\",\"offset\":0}}\n",
        data.len(),
        blake3_hex(data)
    );
    (reply, data[..head].to_vec())
}

#[test]
fn a_connection_reset_mid_download_leaves_only_the_partial_and_resume_completes() {
    let data = random_bytes(3 << 20, 4);
    let (reply, head) = get_reply("movie", &data, 1 << 20);
    // The get request came with the hello (the client pipelines it): answer it at once.
    let (addr, fake) = fake_server(move |mut sock| {
        sock.write_all(reply.as_bytes()).unwrap();
        sock.write_all(&head).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        // Reset instead of a clean close.
        let s2 = socket_linger_zero(sock);
        drop(s2);
    });
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(NF)
        .args(["get", "movie", "-s", &addr])
        .current_dir(dir.path())
        .env("NF_CONFIG", "/dev/null")
        .output()
        .unwrap();
    fake.join().unwrap();
    assert_fails(&out, 5, "");
    assert!(!dir.path().join("movie").exists(), "no half-written target");
    let partial = std::fs::read(dir.path().join(".movie.nf-part")).unwrap();
    assert_same(&partial, &data[..partial.len()], "the partial is a prefix");
    assert!(!partial.is_empty());
    // The real server has the file: --resume fetches only the rest.
    let s = Server::start();
    s.file("movie", &data);
    assert!(s.nf(&["put", "movie"]).status.success());
    let out = Command::new(NF)
        .args(["get", "--resume", "movie", "-s", &s.addr])
        .current_dir(dir.path())
        .env("NF_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(
        &std::fs::read(dir.path().join("movie")).unwrap(),
        &data,
        "resumed download",
    );
}

fn socket_linger_zero(sock: TcpStream) -> TcpStream {
    use std::os::unix::io::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on an open socket with a valid struct.
    unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    sock
}

#[test]
fn a_get_interrupted_by_sigint_leaves_no_target_and_says_how_to_resume() {
    let data = random_bytes(2 << 20, 6);
    let (reply, head) = get_reply("f", &data, 512 << 10);
    // The get request came with the hello (the client pipelines it): answer it at once.
    let (addr, fake) = fake_server(move |mut sock| {
        sock.write_all(reply.as_bytes()).unwrap();
        sock.write_all(&head).unwrap();
        // Stall until the client goes away.
        let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = sock.read(&mut [0u8; 256]);
    });
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(NF)
        .args(["get", "f", "-s", &addr])
        .current_dir(dir.path())
        .env("NF_CONFIG", "/dev/null")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let part = dir.path().join(".f.nf-part");
    wait_until("the first bytes", || {
        std::fs::metadata(&part)
            .map(|m| m.len() == 512 << 10)
            .unwrap_or(false)
    });
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    fake.join().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(libc::SIGINT),
        "ended by SIGINT, as the shell shows 130"
    );
    let err = stderr(&out);
    assert!(err.contains("interrupted") && err.contains("--resume"), "{err}");
    assert!(!dir.path().join("f").exists());
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 512 << 10);
}

#[test]
fn ctrl_c_during_a_put_exits_with_a_clear_message() {
    let (addr, fake) = fake_server(|sock| {
        // Read nothing: the client's writes stall.
        std::thread::sleep(Duration::from_secs(3));
        drop(sock);
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::File::create(dir.path().join("big"))
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let child = Command::new(NF)
        .args(["put", "-f", "big", "-s", &addr])
        .current_dir(dir.path())
        .env("NF_CONFIG", "/dev/null")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(libc::SIGINT),
        "ended by SIGINT, as the shell shows 130"
    );
    let err = stderr(&out);
    assert!(
        err.contains("nf: interrupted by SIGINT") && err.contains("--resume"),
        "{err}"
    );
    fake.join().unwrap();
}

#[test]
fn a_full_disk_fails_the_put_clearly_and_the_next_one_succeeds() {
    // The server may write files of at most 4 MiB.
    let s = Server::with_file_size_limit("", 4096);
    s.file("too-big", &random_bytes(8 << 20, 7));
    let out = s.nf(&["put", "too-big"]);
    assert_fails(&out, 1, "no space on the server");
    // The summary says why, and counts no bytes as uploaded.
    let summary = stderr(&out).lines().last().unwrap_or_default().to_string();
    assert_eq!(summary, "uploaded 0 of 1 file; 1 failed: no space on the server");
    assert!(s.names().is_empty());
    assert!(s.stored().is_empty());
    assert!(s.partials().is_empty(), "the failed upload's partial is gone");
    s.assert_serving();
    s.file("fits", &random_bytes(1 << 20, 8));
    let out = s.nf(&["put", "fits"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.names(), vec!["fits"]);
}

#[test]
fn a_file_replaced_during_a_download_arrives_as_one_complete_version() {
    let s = Server::start();
    let v1 = random_bytes(16 << 20, 9);
    let v2 = random_bytes(16 << 20, 10);
    s.file("doc", &v1);
    assert!(s.nf(&["put", "doc"]).status.success());
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"get\",\"name\":\"doc\"}\n");
    let reply = raw.json();
    assert_eq!(reply["blake3"], blake3_hex(&v1));
    let first = raw.bytes(1 << 20);
    // Replace it while the download is under way.
    s.file("doc", &v2);
    let out = s.nf(&["put", "-f", "doc"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rest = raw.bytes((16 << 20) - (1 << 20));
    let mut got = first;
    got.extend_from_slice(&rest);
    assert_same(&got, &v1, "the download is the version it started with");
    assert_eq!(s.ls()[0]["blake3"], blake3_hex(&v2));
}

/// Starts `nf put NAME` of `content` against a fake server that accepts the connection and
/// reads the greeting and the hello without answering them.
fn put_to_a_silent_server(
    name: &str,
    content: &[u8],
) -> (
    std::process::Child,
    TcpStream,
    BufReader<TcpStream>,
    tempfile::TempDir,
) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), content).unwrap();
    let child = Command::new(NF)
        .args(["put", name, "-s", &addr])
        .current_dir(dir.path())
        .env("NF_CONFIG", "/dev/null")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (sock, _) = listener.accept().unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(sock.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "NF/1\n");
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains("\"op\":\"hello\""), "{line}");
    (child, sock, reader, dir)
}

#[test]
fn a_small_put_goes_out_with_the_hello_so_one_file_costs_one_round_trip() {
    let content = b"eleven byte".to_vec();
    let (child, mut sock, mut reader, _dir) = put_to_a_silent_server("small", &content);
    // The hello is not answered yet, and the whole put is already here (a client that waited
    // for the hello's reply would leave this read to time out).
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let header: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(header["op"], "put");
    assert_eq!(header["name"], "small");
    assert_eq!(header["size"], 11);
    let mut body = vec![0u8; content.len()];
    reader.read_exact(&mut body).unwrap();
    assert_eq!(body, content);
    line.clear();
    reader.read_line(&mut line).unwrap();
    let trailer: serde_json::Value = serde_json::from_str(&line).unwrap();
    let hash = blake3_hex(&content);
    assert_eq!(trailer["blake3"], hash.as_str());
    sock.write_all(b"{\"ok\":true,\"version\":1,\"server\":\"fake\"}\n")
        .unwrap();
    let reply = format!(
        "{{\"ok\":true,\"name\":\"small\",\"size\":11,\"modified\":\"2026-11-24T12:00:00Z\",\"blake3\":\"{hash}\"}}\n"
    );
    sock.write_all(reply.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_larger_put_waits_for_the_servers_size_limit_and_sends_no_body_over_it() {
    let (child, mut sock, mut reader, _dir) = put_to_a_silent_server("big", &[7u8; 100_000]);
    // Nothing follows the hello until it is answered.
    sock.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut byte = [0u8; 1];
    let early = reader.read(&mut byte);
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        "the client sent {early:?} before the hello's reply"
    );
    sock.write_all(b"{\"ok\":true,\"version\":1,\"server\":\"fake\",\"max_file_size\":1000}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_fails(
        &out,
        1,
        "big is 100000 bytes, over this server's limit of 1000 bytes",
    );
    // The client refused it itself: not one byte of it came.
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{} bytes arrived after the hello", rest.len());
}

#[test]
fn a_download_the_client_abandons_is_logged_with_the_bytes_sent_as_hung_up() {
    let s = Server::start();
    let data = random_bytes(24 << 20, 81);
    s.place_by_hand("big.bin", &data);
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"get\",\"name\":\"big.bin\"}\n");
    let reply = raw.json();
    assert_eq!(reply["size"], 24 << 20);
    let head = raw.bytes(4 << 20);
    assert_same(&head, &data[..4 << 20], "the start of the body");
    // Hang up with a reset, as a killed client does, and wait for the server's line.
    drop(socket_linger_zero(raw.stream.try_clone().unwrap()));
    drop(raw);
    let line = s.log_line(|l| l.contains(" get \"big.bin\""));
    assert!(line.ends_with(" hung up"), "{line}");
    let bytes: u64 = line.split(' ').nth(4).unwrap().parse().unwrap();
    assert!(
        (4 << 20..24 << 20).contains(&bytes),
        "the log counts what went out before the hang-up: {line}"
    );
}

#[test]
fn a_cancel_trailer_stores_nothing_and_the_connection_goes_on() {
    let s = Server::start();
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"put\",\"name\":\"x.txt\",\"size\":5}\nhello{\"cancel\":\"it changed\"}\n");
    let reply = raw.json();
    assert_eq!(reply["code"], "interrupted", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("\"it changed\""),
        "{reply}"
    );
    raw.send(b"{\"op\":\"stat\",\"name\":\"x.txt\"}\n");
    let stat = raw.json();
    assert_eq!(
        (stat["file"].is_null(), &stat["partial"]),
        (true, &serde_json::json!(0))
    );
    assert!(s.stored().is_empty());
}

/// A fake server that reads a put header and `first` body bytes, then runs `meanwhile` while
/// the client waits on a full socket, then reads the rest of the body and returns the trailer.
fn slow_reader(
    first: usize,
    meanwhile: impl FnOnce() + Send + 'static,
) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        let mut line = String::new();
        for _ in 0..2 {
            line.clear();
            reader.read_line(&mut line).unwrap(); // NF/1, hello
        }
        sock.write_all(b"{\"ok\":true,\"version\":1,\"server\":\"fake\",\"max_file_size\":1000000000}\n")
            .unwrap();
        let header: serde_json::Value = loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            let request: serde_json::Value = serde_json::from_str(&line).unwrap();
            if request["op"] != "stat" {
                break request;
            }
            // Files of 1 MiB or more are asked about first.
            sock.write_all(b"{\"ok\":true,\"file\":null,\"partial\":0}\n")
                .unwrap();
        };
        let size = header["size"].as_u64().unwrap() as usize;
        let mut body = vec![0u8; first];
        reader.read_exact(&mut body).unwrap();
        meanwhile();
        let mut rest = vec![0u8; size - first];
        reader.read_exact(&mut rest).unwrap();
        line.clear();
        reader.read_line(&mut line).unwrap();
        sock.write_all(b"{\"ok\":false,\"code\":\"interrupted\",\"message\":\"canceled\"}\n")
            .unwrap();
        line
    });
    (addr, handle)
}

#[test]
fn a_file_that_shrinks_or_grows_while_uploading_is_canceled_not_stored() {
    for (how, change) in [("shrank", 1u64 << 20), ("grew", 64 << 20)] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.bin");
        std::fs::write(&path, random_bytes(32 << 20, 82)).unwrap();
        let target = path.clone();
        // The client is blocked on a full socket while the file changes under it.
        let (addr, fake) = slow_reader(1 << 20, move || {
            let f = std::fs::OpenOptions::new().write(true).open(&target).unwrap();
            f.set_len(change).unwrap();
        });
        let out = Command::new(NF)
            .args(["put", "log.bin", "-s", &addr])
            .current_dir(dir.path())
            .env("NF_CONFIG", "/dev/null")
            .output()
            .unwrap();
        let trailer = fake.join().unwrap();
        assert!(trailer.contains("\"cancel\""), "{how}: {trailer}");
        assert_fails(
            &out,
            1,
            &format!("log.bin {how} while it was being uploaded; nothing was stored"),
        );
    }
}

#[test]
fn a_put_larger_than_the_free_space_is_refused_at_its_header_before_any_body_byte() {
    let (size, within_limit) = beyond_free_space();
    let s = Server::with_config(&within_limit);
    let mut raw = s.raw();
    // The header alone: no body byte is sent, and the answer comes all the same.
    raw.send(format!("{{\"op\":\"put\",\"name\":\"big.raw\",\"size\":{size}}}\n").as_bytes());
    let reply = raw.json();
    assert_eq!(reply["code"], "no_space", "{reply}");
    let message = reply["message"].as_str().unwrap();
    assert!(message.starts_with("no space on the server for "), "{message}");
    assert!(message.ends_with("nothing was stored (free some space there, then try again)"));
    // The body was never read, so the connection cannot go on: it closes.
    assert!(raw.closed());
    assert!(s.partials().is_empty() && s.stored().is_empty());
    s.assert_serving();
}

#[test]
fn the_client_stops_sending_a_body_the_server_refused_before_reading_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let refusal = "{\"ok\":false,\"code\":\"no_space\",\"message\":\"no space on the server for 1.0 \
                   GiB more: its storage has 8.0 MiB free; nothing was stored (free some space \
                   there, then try again)\"}\n";
    // A server that refuses the put at its header, then counts what the client still sends
    // until it closes (at most 256 MiB, or 60 s).
    let fake = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        let mut out = sock;
        let mut line = String::new();
        // The greeting, the hello, a stat (the client asks first for large files), the put.
        for _ in 0..4 {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line.starts_with("{\"op\":\"hello\"") {
                out.write_all(b"{\"ok\":true,\"version\":1,\"server\":\"fake\"}\n")
                    .unwrap();
            } else if line.starts_with("{\"op\":\"stat\"") {
                out.write_all(b"{\"ok\":true,\"file\":null,\"partial\":0}\n")
                    .unwrap();
            }
        }
        assert!(line.starts_with("{\"op\":\"put\""), "{line}");
        out.write_all(refusal.as_bytes()).unwrap();
        let mut taken = reader.buffer().len();
        reader.consume(taken);
        let mut buf = vec![0u8; 1 << 16];
        let deadline = Instant::now() + Duration::from_secs(60);
        while taken < 256 << 20 && Instant::now() < deadline {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => taken += n,
            }
        }
        taken
    });
    let dir = tempfile::tempdir().unwrap();
    // Sparse: 1 GiB to send, nothing on disk.
    std::fs::File::create(dir.path().join("big.raw"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let out = Command::new(NF)
        .args(["put", "big.raw", "-s", &addr])
        .current_dir(dir.path())
        .env("NF_CONFIG", "/dev/null")
        .env("NF_KNOWN_SERVERS", dir.path().join("known_servers"))
        .output()
        .unwrap();
    let taken = fake.join().unwrap();
    assert_fails(&out, 1, "nf: error: no space on the server for 1.0 GiB more");
    assert_eq!(
        stderr(&out).lines().last(),
        Some("uploaded 0 of 1 file; 1 failed: no space on the server")
    );
    // What the socket buffers held when the answer came, not the gigabyte.
    assert!(taken < 32 << 20, "the client sent {taken} bytes of the body");
}

#[test]
fn nf_put_of_more_than_the_server_holds_fails_fast_with_what_to_do() {
    let (s, _) = Server::with_a_file_beyond_its_free_space("big.raw");
    s.file("small.txt", b"fits");
    // The files after it go over a new connection (the server closed the first).
    let out = s.nf(&["put", "big.raw", "small.txt"]);
    assert_fails(&out, 1, "nf: error: no space on the server for ");
    let err = stderr(&out);
    assert!(
        err.contains("free; nothing was stored (free some space there, then try again)"),
        "{err}"
    );
    let summary = err.lines().last().unwrap();
    assert!(summary.starts_with("uploaded 1 of 2 files (4 B) in "), "{err}");
    assert!(summary.ends_with("; 1 failed: no space on the server"), "{err}");
    assert_eq!(s.read_stored("small.txt"), b"fits");
    // The server took none of the body: its log line of the put says 0 bytes.
    let line = s.log_line(|l| l.contains(" put \"big.raw\""));
    assert!(
        line.contains(" put \"big.raw\" 0 ") && line.contains(" error no_space: "),
        "{line}"
    );
    assert!(s.partials().is_empty());
    assert_eq!(s.stored(), ["small.txt"]);
}
