//! Bad input on the wire: versions, garbage, lying sizes, oversize and unfinished headers,
//! idle and excess connections. Each gets an error reply or a closed connection, nothing half
//! written becomes visible, and the server keeps serving.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn a_client_of_another_version_gets_a_version_error_in_words() {
    let s = Server::start();
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"NF/2\n{\"op\":\"hello\"}\n");
    let reply = raw.json();
    assert_eq!(reply["ok"], false);
    assert_eq!(reply["code"], "version");
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("speaks nf protocol 1"),
        "{reply}"
    );
    assert!(raw.closed());
    s.assert_serving();
}

/// Runs `nf ls` against a fake peer that answers the client's first bytes with `reply`.
fn ls_against(reply: &'static [u8]) -> std::process::Output {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let fake = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut buf = [0u8; 256];
        let _ = sock.read(&mut buf);
        sock.write_all(reply).unwrap();
    });
    let out = std::process::Command::new(NF)
        .args(["ls", "-s", &addr])
        .env("NF_CONFIG", "/dev/null")
        .output()
        .unwrap();
    fake.join().unwrap();
    out
}

#[test]
fn the_client_reports_a_server_of_another_version_clearly() {
    let out = ls_against(b"{\"ok\":true,\"version\":2,\"server\":\"nf 9.0.0\"}\n");
    assert_fails(&out, 1, "speaks nf protocol 2");
}

#[test]
fn the_client_reports_a_server_that_is_not_nf() {
    let out = ls_against(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    assert_fails(&out, 1, "did not answer like an nf server");
}

#[test]
fn no_server_is_a_cannot_connect_error_with_a_hint() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = std::process::Command::new(NF)
        .args(["ls", "-s", &format!("127.0.0.1:{port}")])
        .env("NF_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert_fails(&out, 5, "is `nf serve` running");
    assert!(stderr(&out).contains("connection refused"), "{}", stderr(&out));
}

#[test]
fn garbage_and_unknown_operations_get_an_error_and_the_server_keeps_serving() {
    let s = Server::start();
    // HTTP is served (tests/http.rs); a malformed head gets 400 and the end. TLS a clean alert.
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"GET / HTTP/1.1\r\nHost x\r\n\r\n");
    assert_eq!(raw.line(), "HTTP/1.1 400 Bad Request\r\n");
    assert!(raw.closed());
    // A malformed ClientHello: a fatal TLS alert record, then the end.
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"\x16\x03\x01\x00\x05hello");
    let alert = raw.bytes(7);
    assert_eq!(alert[..6], [0x15, 0x03, 0x03, 0x00, 0x02, 0x02], "{alert:?}");
    assert!(raw.closed());
    // A binary first word is no dialect: a protocol error, then the end.
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"\x00\x01\x02junk\n");
    assert_eq!(raw.json()["code"], "protocol");
    assert!(raw.closed());

    let mut raw = s.raw();
    raw.send(b"{\"op\":\"format_disk\"}\n");
    assert_eq!(raw.json()["code"], "protocol");
    let mut raw = s.raw();
    raw.send(b"this is not json\n");
    assert_eq!(raw.json()["code"], "protocol");

    let mut raw = Raw::connect(&s.addr);
    let noise = random_bytes(100_000, 11);
    let _ = raw.try_send(&noise);
    assert!(raw.closed());
    s.assert_serving();
    assert!(s.stored().is_empty());
}

#[test]
fn a_body_shorter_than_declared_leaves_nothing_visible() {
    let s = Server::start();
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"put\",\"name\":\"short\",\"size\":10}\n12345");
    raw.stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert!(raw.closed());
    assert!(s.names().is_empty());
    assert!(s.stored().is_empty());
}

#[test]
fn a_body_longer_than_declared_is_a_protocol_error_and_nothing_is_stored() {
    let s = Server::start();
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"put\",\"name\":\"long\",\"size\":10}\n");
    let _ = raw.try_send(&vec![b'x'; 1 << 20]);
    let reply = raw.json();
    assert_eq!(reply["code"], "protocol", "{reply}");
    assert!(s.names().is_empty());
    s.assert_serving();
}

#[test]
fn a_size_over_the_limit_is_too_large_before_any_byte_is_stored() {
    let s = Server::with_config("max_file_size = \"1 MiB\"");
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"put\",\"name\":\"huge\",\"size\":1099511627776}\n");
    let reply = raw.json();
    assert_eq!(reply["code"], "too_large", "{reply}");
    assert!(raw.closed());
    // The real client gets the same error for a real file over the limit.
    s.file("big", &vec![0u8; (1 << 20) + 1]);
    assert_fails(&s.nf(&["put", "big"]), 1, "over this server's limit");
    assert!(s.partials().is_empty());
    s.assert_serving();
}

#[test]
fn an_oversize_header_is_refused_and_the_connection_closed() {
    let s = Server::start();
    let mut raw = s.raw();
    let mut huge = b"{\"op\":\"get\",\"name\":\"".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 200_000));
    let _ = raw.try_send(&huge);
    let reply = raw.json();
    assert_eq!(reply["code"], "too_large", "{reply}");
    assert!(raw.closed());
    s.assert_serving();
}

/// With the default limits: a client that never greets and one that never finishes its
/// request line are closed once `handshake_timeout_secs` (10 s) has passed, the request line
/// being held to the same deadline once begun.
#[test]
fn a_header_that_never_ends_and_a_silent_client_are_closed_by_the_default_deadlines() {
    let s = Server::start();
    let started = Instant::now();
    let mut silent = Raw::connect(&s.addr);
    let mut unfinished = s.raw();
    unfinished.send(b"{\"op\":\"ls");
    assert!(silent.closed());
    assert!(unfinished.closed());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    s.assert_serving();
}

/// A TCP connection through the native greeting, one descriptor (no second handle for a
/// reader), waiting for its next request.
fn greeted(addr: &str) -> std::net::TcpStream {
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    sock.write_all(b"NF/1\n{\"op\":\"hello\",\"client\":\"test\"}\n")
        .unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while reply.last() != Some(&b'\n') {
        assert_eq!(sock.read(&mut byte).unwrap(), 1, "the greeting's reply");
        reply.push(byte[0]);
    }
    assert!(
        reply.starts_with(b"{\"ok\":true"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    sock
}

/// At the default `max_connections` (16,384, or what the open-file limit leaves when that is
/// lower: `nf serve` raises its own to the hard limit and keeps 256 descriptors for itself),
/// a new client is served and the connection that waited longest is closed to make room.
#[test]
fn at_the_default_connection_limit_the_longest_waiting_idle_connection_makes_room() {
    let hard = fd_hard_limit();
    let limit = 16_384u64.min(hard.saturating_sub(256)) as usize;
    raise_fd_limit(limit as u64 + 128);
    let s = Server::start();
    let mut held: Vec<std::net::TcpStream> = Vec::with_capacity(limit);
    for _ in 0..limit {
        held.push(greeted(&s.addr));
    }
    // All wait for their next request, holding nothing but a socket: one more client is
    // served, and the one that waited longest is closed to make room.
    let out = s.nf(&["ls", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut rest = Vec::new();
    let oldest = held[0].read_to_end(&mut rest);
    assert!(
        matches!(&oldest, Ok(0))
            || oldest
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the longest-waiting connection was closed: {oldest:?}"
    );
    // The newest is still open: a request on it is answered.
    let newest = held.last_mut().unwrap();
    newest.write_all(b"{\"op\":\"list\"}\n").unwrap();
    let mut first = [0u8; 1];
    assert_eq!(newest.read(&mut first).unwrap(), 1);
}

/// With every one of the default `max_workers` held by an upload whose body never
/// comes, a new request is served within 2 s (it waits in line meanwhile): a transfer that
/// has run a second at almost nothing is cut to make room.
#[test]
fn when_every_worker_is_taken_a_stalled_transfer_gives_way_to_a_new_request() {
    let workers = default_workers();
    raise_fd_limit(2 * workers as u64 + 128);
    let s = Server::start();
    let mut stalled: Vec<Raw> = (0..workers)
        .map(|i| {
            let mut raw = s.raw();
            raw.send(format!("{{\"op\":\"put\",\"name\":\"slow{i}.bin\",\"size\":1000000}}\nabc").as_bytes());
            raw
        })
        .collect();
    // Every worker busy with one (a thread each), then the second a transfer must run before
    // it may be cut.
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.status_field("Threads") < workers as u64 {
        assert!(Instant::now() < deadline, "{} threads", s.status_field("Threads"));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1200));
    let started = Instant::now();
    let out = s.nf(&["ls", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let line = s.log_line(|l| l.contains(" put \"slow") && l.contains("cut to make room"));
    assert!(line.contains(" 3 "), "{line}");
    let cut: usize = line
        .split("\"slow")
        .nth(1)
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(stalled[cut].closed(), "the stalled transfer was cut");
}

#[test]
fn sigterm_stops_the_server_cleanly_and_an_upload_in_flight_stays_invisible() {
    let mut s = Server::start();
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"put\",\"name\":\"inflight\",\"size\":2000000}\n");
    raw.send(&[7u8; 300_000]);
    std::thread::sleep(Duration::from_millis(100));
    let status = s.signal("TERM").expect("the server exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(s.stored().is_empty());
    assert_eq!(
        s.partials().len(),
        1,
        "the interrupted upload is kept for --resume"
    );
    s.spawn();
    s.file("inflight", &[7u8; 2_000_000]);
    let out = s.nf(&["put", "--resume", "inflight"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(
        &std::fs::read(s.root.join("inflight")).unwrap(),
        &[7u8; 2_000_000],
        "resumed upload",
    );
}

#[test]
fn a_client_that_sends_part_of_the_greeting_and_closes_is_answered_at_once() {
    let s = Server::start();
    for partial in [&b"N"[..], b"NF", b"NF/"] {
        let mut raw = Raw::connect(&s.addr);
        raw.send(partial);
        raw.stream.shutdown(std::net::Shutdown::Write).unwrap();
        let started = Instant::now();
        assert!(raw.closed(), "{partial:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{partial:?} held for {:?}",
            started.elapsed()
        );
    }
    s.assert_serving();
}

/// Everything a raw connection gets until the server closes it.
fn all_of(raw: &mut Raw) -> Vec<u8> {
    let mut reply = Vec::new();
    raw.reader
        .read_to_end(&mut reply)
        .expect("the reply, then the end");
    reply
}

#[test]
fn empty_lines_before_the_first_bytes_are_skipped_whatever_dialect_follows() {
    let s = Server::start();
    s.place_by_hand("a.txt", b"alpha\n");
    // HTTP: one or more empty lines (CRLF or a bare LF), a `\r` arriving alone.
    for opening in [&b"\r\n"[..], b"\r\n\r\n", b"\n", b"\r"] {
        let mut raw = Raw::connect(&s.addr);
        raw.send(opening);
        let rest: &[u8] = if opening == b"\r" { b"\n" } else { b"" };
        raw.send(rest);
        raw.send(b"GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let reply = String::from_utf8(all_of(&mut raw)).unwrap();
        assert!(
            reply.starts_with("HTTP/1.1 200 OK\r\n"),
            "after {opening:?}: {reply:?}"
        );
        assert!(reply.ends_with("\r\n\r\nalpha\n"), "after {opening:?}: {reply:?}");
    }
    // The native protocol.
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"\r\nNF/1\n{\"op\":\"hello\",\"client\":\"test\"}\n{\"op\":\"stat\",\"name\":\"a.txt\"}\n");
    let hello = raw.json();
    assert_eq!(hello["ok"], true, "{hello}");
    let stat = raw.json();
    assert_eq!(stat["file"]["size"], 6, "{stat}");
    // The classroom dialect, word for word.
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"\r\nLIST\r\n\r\n");
    assert_eq!(
        String::from_utf8(all_of(&mut raw)).unwrap(),
        "{\"status\": \"OK\", \"data\": [\"a.txt\"]}\r\n\r\n"
    );
    // The seed dialect: `list` without a terminator, answered when the client goes quiet.
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"\r\nlist");
    assert_eq!(
        String::from_utf8(all_of(&mut raw)).unwrap(),
        "{\"status\": \"succes\", \"data\": [\"a.txt\"]}"
    );
    // Only empty lines, then quiet: the classroom dialect's empty request, as the old server
    // answered it (tests/compat.rs has its words).
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"\r\n\r\n");
    let reply = String::from_utf8(all_of(&mut raw)).unwrap();
    assert!(reply.starts_with("{\"status\": \"ERROR\""), "{reply:?}");
}

#[test]
fn a_time_outside_what_a_stored_file_keeps_is_refused_and_nothing_is_stored() {
    let s = Server::start();
    let mut raw = s.raw();
    for time in [
        "9999-12-31T23:59:59Z",
        "2446-05-10T22:38:55.5Z",
        "2446-05-10T22:38:56Z",
        "1901-12-13T20:45:52.5Z",
        "0001-01-01T00:00:00Z",
    ] {
        raw.send(
            format!(
                "{{\"op\":\"put\",\"name\":\"late.txt\",\"size\":6,\"modified\":\"{time}\"}}\nlate!\n\
                 {{\"blake3\":\"{}\"}}\n",
                blake3_hex(b"late!\n")
            )
            .as_bytes(),
        );
        let reply = raw.json();
        assert_eq!(reply["code"], "protocol", "{time}: {reply}");
        assert_eq!(
            reply["message"],
            format!(
                "\"modified\" must be between 1901-12-13T20:45:53Z and 2446-05-10T22:38:55Z \
                 (the times a stored file keeps), not \"{time}\""
            ),
            "{time}"
        );
    }
    assert!(s.stored().is_empty(), "{:?}", s.stored());
    assert!(s.partials().is_empty());
    // The connection is still usable, and the ends of the range are kept exactly.
    for (name, time) in [
        ("last.txt", "2446-05-10T22:38:55Z"),
        ("first.txt", "1901-12-13T20:45:53.000000001Z"),
    ] {
        raw.send(
            format!(
                "{{\"op\":\"put\",\"name\":\"{name}\",\"size\":6,\"modified\":\"{time}\"}}\nkept!\n\
                 {{\"blake3\":\"{}\"}}\n",
                blake3_hex(b"kept!\n")
            )
            .as_bytes(),
        );
        let reply = raw.json();
        assert_eq!(reply["ok"], true, "{reply}");
        assert_eq!(reply["modified"], time, "{reply}");
    }
    assert_eq!(s.read_stored("last.txt"), b"kept!\n");
    let listed: Vec<(String, String)> = s
        .ls()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().into(),
                e["modified"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                "first.txt".to_string(),
                "1901-12-13T20:45:53.000000001Z".to_string()
            ),
            ("last.txt".to_string(), "2446-05-10T22:38:55Z".to_string())
        ]
    );
}
