//! The front door under siege (issue 14), against a server with the DEFAULT configuration
//! (the fixture's config holds only `root` and `listen`; no limit is raised or lowered).
//!
//! From 1,000 loopback source addresses (127.0.1.1 … 127.0.4.250) the test holds at once
//! 10,000 connections that send nothing, 1,000 that send the native greeting and stall, 1,000
//! that drip a valid native session one byte a second, 500 that start a seed-dialect upload and
//! drip its base64 one character a second, and 256 seed-dialect downloads of a 32 MiB file whose
//! clients read nothing and reset the connection after a second. Meanwhile a normal client on
//! 127.0.0.1 (the real `nf`) puts, gets and lists a 1 MiB file.
//!
//! Asserted: the normal client's three commands succeed with the right content; the server's
//! peak resident memory stays under 64 MiB; the server closes every hostile connection within
//! its deadline plus 2 s (silent, greeting-stalled and dripping connections: the request-head
//! deadline, `handshake_timeout_secs`, 10 s by default; the seed upload drip: the minimum body
//! rate, 1 KiB/s over the last 10 s; an abandoned download: at once, seen as its log line within
//! 2 s of the reset). Measured and printed, never asserted (the machine is shared): each normal
//! command's time, the server's RSS, threads and descriptors while the attack is held, its CPU
//! over 5 s while only hostile connections are open, and the distribution of close times. One
//! line `FRONT_DOOR_REPORT {json}` carries them all (`-- --nocapture`); bench/run's section
//! `front` reads it.
//!
//! Times are the attacker's: from the moment its connect completed to the moment it saw the
//! server's end of stream or reset, so a connection left waiting in the listen backlog counts
//! against the server. Every connection is its own task on one tokio worker thread, so a drip
//! or a close is seen within a millisecond or so, not at the next turn of a polling loop.
//!
//!     cargo test --release --test front_door -- --nocapture
//!
//! The lockouts of issue 23 live here too, each on the default configuration and each failing on
//! the server before it: 300 idle sockets from one address, then a client from that address;
//! 500 stalled classroom uploads from 500 addresses, then put, get and ls; a client told `busy`.
//! The tests run one at a time ([`one_at_a_time`]): each loads the machine and times a client.

#[path = "front_door/attack.rs"]
mod attack;
mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attack::{Class, Close, Outcome, Plan, Siege};
use base64::Engine;
use common::*;
use serde_json::{json, Value};

/// The request-head deadline the issue asks for (`handshake_timeout_secs`, default 10).
const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);
/// The window of the minimum body rate (1 KiB/s over the last 10 s): a body dripped at one byte
/// a second is cut when the first window ends.
const BODY_RATE_WINDOW: Duration = Duration::from_secs(10);
/// What the issue allows beyond a deadline.
const SLACK: Duration = Duration::from_secs(2);
/// How long a dripped seed upload may wait in line before a worker takes it, when the hostile
/// requests outnumber the workers: those holding workers are cut to make room once they have
/// run `SLOW_AFTER` (1 s). The rate's window starts when a worker takes the request (time in
/// line is not the peer's doing, so it is no part of the peer's rate).
const LINE_WAIT: Duration = Duration::from_secs(1);
/// How much longer than its bound a connection is watched, to see how late it closes.
const WATCH_MORE: Duration = Duration::from_secs(3);

/// The bound on the server's peak resident memory, 64 MiB, holds for the build users
/// run (a release build: 48 MiB measured, bench/RESULTS.md section front). A debug build, as
/// `cargo test` makes, keeps every async state machine and allocation larger (each waiting
/// connection's task is about 2.5 times its release size; 71 MiB measured): it gets 96 MiB.
const MEMORY_BOUND_KIB: u64 = if cfg!(debug_assertions) {
    96 * 1024
} else {
    64 * 1024
};
/// The CPU measurement window.
const CPU_WINDOW: Duration = Duration::from_secs(5);
/// The longest any one normal command may run before the test kills it.
const COMMAND_LIMIT: Duration = Duration::from_secs(20);

const BIG_SIZE: usize = 32 << 20;
const NORMAL_SIZE: usize = 1 << 20;
/// The native session the drippers send, one byte a second.
const NATIVE_SESSION: &[u8] = b"NF/1\n{\"op\":\"hello\",\"client\":\"x\"}\n{\"op\":\"list\"}\n";

/// The five classes, in the order they are opened: the order. The downloads come last,
/// so that the normal client, which waits for them to be abandoned, runs while everything else
/// is held (and so that the server of issue 14, which spent its 256 slots on the first
/// connections, showed the lockout by idle sockets rather than by downloads). The counts are
/// issue 14's, whatever the default `max_workers`; the tests of the waiting line below take
/// every worker, however many.
fn plans(big_b64_prefix: &[u8]) -> Vec<Plan> {
    let head_bound = HANDSHAKE_DEADLINE + SLACK;
    let plan = |class, count, head: &[u8], drip: &[u8], bound: Duration| Plan {
        class,
        count,
        head: head.to_vec(),
        drip: drip.to_vec(),
        expect: Vec::new(),
        bound,
        watch: bound + WATCH_MORE,
    };
    // A base64 line of the seed clients' shape: 76 characters ("ABC" 19 times), then `\n`.
    let b64_line = format!("{}\n", "QUJD".repeat(19));
    vec![
        plan(Class::Silent, 10_000, b"", b"", head_bound),
        plan(Class::Greeting, 1_000, b"NF/1\n", b"", head_bound),
        plan(Class::Drip, 1_000, b"", NATIVE_SESSION, head_bound),
        plan(
            Class::SeedUpload,
            500,
            b"upload x.txt ",
            b64_line.as_bytes(),
            LINE_WAIT + BODY_RATE_WINDOW + SLACK,
        ),
        Plan {
            expect: big_b64_prefix.to_vec(),
            ..plan(Class::SeedDownload, 256, b"download big.bin", b"", SLACK)
        },
    ]
}

#[test]
fn a_default_server_under_siege_serves_a_normal_client_and_closes_every_hostile_connection_in_time() {
    let _alone = one_at_a_time();
    let s = Server::start();
    // The big file for the abandoned downloads; its base64 starts with a known line.
    let mut big = b"nf front door: a big file for the seed dialect's downloads\n".to_vec();
    big.extend(random_bytes(BIG_SIZE - big.len(), 14));
    s.file("big.bin", &big);
    let out = s.nf(&["put", "big.bin"]);
    assert!(out.status.success(), "setup: nf put big.bin: {}", stderr(&out));
    let b64_prefix = base64::engine::general_purpose::STANDARD.encode(&big[..57]);
    let normal = random_bytes(NORMAL_SIZE, 15);
    s.file("one.bin", &normal);

    let plans = plans(b64_prefix.as_bytes());
    let total: usize = plans.iter().map(|p| p.count).sum();
    // Every attacking socket, plus the test's own pipes, processes and runtime. Raised after
    // the server started, so that it runs with the limit it was given and must raise its own
    // (the issue asks it to).
    raise_fd_limit(total as u64 + 1024);
    let server_addr: SocketAddr = s.addr.parse().expect("the server's address");
    let idle = sample(&s);
    let log = LogWatch::start(&s);

    // 1. Open the attack and wait until every connection is made and the downloads abandoned.
    let attack_started = Instant::now();
    let siege = Siege::start(server_addr, &plans);
    let progress = Arc::clone(&siege.progress);
    let opened_all = wait_until(Duration::from_secs(60), || {
        progress.settled.load(Ordering::SeqCst) == total
    });
    let open_secs = attack_started.elapsed().as_secs_f64();
    let settled = progress.settled.load(Ordering::SeqCst);
    let abandoned_all = wait_until(Duration::from_secs(15), || {
        progress.abandoned.load(Ordering::SeqCst) >= progress.opened_of(Class::SeedDownload)
    });
    let held = progress.open();
    let held_sample = sample(&s);
    eprintln!(
        "made {settled} of {total} connections in {open_secs:.1} s ({} failed); open now: \
         {held:?}; server {held_sample:?}",
        progress.failed.load(Ordering::SeqCst)
    );

    // 2. The normal client, while the attack is held.
    let normal_started = attack_started.elapsed();
    let put = run_bounded(s.cmd_in(&s.work, &["put", "one.bin"]));
    let got_path = s.work.join("got.bin");
    let mut get = run_bounded(s.cmd_in(&s.work, &["get", "one.bin", "-o", got_path.to_str().unwrap()]));
    if get.ok {
        let got = std::fs::read(&got_path).unwrap_or_default();
        if got != normal {
            get.ok = false;
            get.problem = Some(format!(
                "got {} bytes that differ from the {} put (first difference at {:?})",
                got.len(),
                normal.len(),
                got.iter().zip(&normal).position(|(a, b)| a != b)
            ));
        }
    }
    let mut ls = run_bounded(s.cmd_in(&s.work, &["ls", "--json"]));
    if ls.ok {
        ls.problem = check_listing(&ls.stdout, &normal);
        ls.ok = ls.problem.is_none();
    }
    let after_normal = sample(&s);
    let open_after_normal = progress.open();

    // 3. The server's CPU while only hostile connections are open.
    let open_before_cpu = progress.open();
    let cpu_before = s.cpu_time();
    let window_started = Instant::now();
    std::thread::sleep(CPU_WINDOW);
    let cpu_used = s.cpu_time() - cpu_before;
    let window = window_started.elapsed();
    let open_after_cpu = progress.open();
    let after_cpu = sample(&s);
    let cpu_percent = 100.0 * cpu_used.as_secs_f64() / window.as_secs_f64();

    // 4. Every hostile connection ends (each task watches for a bounded time).
    let longest_watch = plans.iter().map(|p| p.watch).max().unwrap();
    let outcomes = siege.finish(longest_watch + Duration::from_secs(60));
    // The log lines of the downloads that were served, up to their bound after the last reset.
    let download = plans.iter().find(|p| p.class == Class::SeedDownload).unwrap();
    let served: Vec<SocketAddr> = outcomes
        .iter()
        .filter(|o| o.class == Class::SeedDownload && o.served(&download.expect))
        .filter_map(|o| o.local)
        .collect();
    let last_reset = outcomes.iter().filter_map(|o| o.abandoned).max();
    log.await_downloads(
        &served,
        last_reset.unwrap_or_else(Instant::now) + download.bound + WATCH_MORE,
    );
    let seen = log.stop();
    let peak_kib = s.peak_kib();
    let took = attack_started.elapsed();

    // The verdicts.
    let mut failures: Vec<String> = Vec::new();
    let connect_errors: Vec<&String> = outcomes.iter().filter_map(|o| o.error.as_ref()).collect();
    if !connect_errors.is_empty() {
        failures.push(format!(
            "harness: {} of {total} attacking connections could not be made (first: {}); \
             check the open-file limit and that 127.0.1.1-127.0.4.250 route to lo",
            connect_errors.len(),
            connect_errors[0]
        ));
    }
    if !opened_all {
        failures.push(format!(
            "harness: only {settled} of {total} connections were made within {open_secs:.0} s \
             (the server accepts too slowly, or the machine is too busy)"
        ));
    }
    if !abandoned_all {
        failures.push("harness: the downloads were not all abandoned within 15 s".into());
    }
    if normal_started + SLACK > HANDSHAKE_DEADLINE {
        failures.push(format!(
            "harness: opening the attack took {normal_started:?}, so the normal client started \
             when the first connections' deadline ({HANDSHAKE_DEADLINE:?}) was near: it did not \
             run against the whole attack (machine too busy, or the server accepts too slowly)"
        ));
    }
    for (what, ran) in [("nf put", &put), ("nf get", &get), ("nf ls --json", &ls)] {
        if !ran.ok {
            failures.push(format!("normal client: {what} failed: {}", ran.why()));
        }
    }
    if peak_kib >= MEMORY_BOUND_KIB {
        failures.push(format!(
            "the server's peak resident memory was {peak_kib} KiB, over {MEMORY_BOUND_KIB} KiB"
        ));
    }
    let mut classes = serde_json::Map::new();
    for plan in &plans {
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.class == plan.class).collect();
        let (report, failed) = if plan.class == Class::SeedDownload {
            downloads_report(plan, &mine, &seen)
        } else {
            closes_report(plan, &mine)
        };
        classes.insert(plan.class.key().into(), report);
        failures.extend(failed);
    }

    let held_max = [held_sample, after_normal, after_cpu];
    let report = json!({
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "config": "default (root and listen only)",
        "attack": {
            "connections": total,
            "source_addresses": attack::SOURCES,
            "open_secs": open_secs,
            "connect_errors": connect_errors.len(),
            "open_when_normal_client_started": held,
        },
        "normal": {
            "started_secs": normal_started.as_secs_f64(),
            "put": put.json(),
            "get": get.json(),
            "ls": ls.json(),
            "open_after": open_after_normal,
        },
        "server": {
            "idle": idle.json(),
            "held": held_sample.json(),
            "after_normal": after_normal.json(),
            "after_cpu_window": after_cpu.json(),
            "rss_kib_held_max": held_max.iter().map(|x| x.rss_kib).max(),
            "threads_held_max": held_max.iter().map(|x| x.threads).max(),
            "fds_held_max": held_max.iter().map(|x| x.fds).max(),
            "peak_kib": peak_kib,
            "cpu_percent": cpu_percent,
            "cpu_window_secs": window.as_secs_f64(),
            "open_during_cpu_window": [open_before_cpu, open_after_cpu],
            "busy_refusals_logged": seen.busy,
        },
        "classes": classes,
        "took_secs": took.as_secs_f64(),
        "failures": failures,
    });
    // On a line of its own: libtest may have written "test NAME ... " without a line end.
    println!("\nFRONT_DOOR_REPORT {report}");
    assert!(
        failures.is_empty(),
        "{} failure(s) under siege:\n- {}",
        failures.len(),
        failures.join("\n- ")
    );
}

/// The tests here each load the machine (hundreds or thousands of connections) and measure
/// what a normal client sees: they run one at a time, not beside each other.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long a normal command may take while the server is under load, on a busy machine (it is
/// served at once on an idle one; the time is printed).
const SERVED_WITHIN: Duration = Duration::from_secs(5);

/// Runs `nf put`, `nf get` and `nf ls --json` of a 1 MiB file from 127.0.0.1 and checks each
/// result's content; returns what failed (empty when all were served in time).
fn put_get_ls(s: &Server, what: &str) -> Vec<String> {
    let content = random_bytes(NORMAL_SIZE, 23);
    s.file("one.bin", &content);
    let put = run_bounded(s.cmd_in(&s.work, &["put", "-f", "one.bin"]));
    let got_path = s.work.join("got.bin");
    let _ = std::fs::remove_file(&got_path);
    let mut get = run_bounded(s.cmd_in(&s.work, &["get", "one.bin", "-o", got_path.to_str().unwrap()]));
    if get.ok && std::fs::read(&got_path).ok().as_deref() != Some(&content[..]) {
        get.ok = false;
        get.problem = Some("the file got differs from the one put".into());
    }
    let mut ls = run_bounded(s.cmd_in(&s.work, &["ls", "--json"]));
    if ls.ok {
        ls.problem = check_listing(&ls.stdout, &content);
        ls.ok = ls.problem.is_none();
    }
    let mut failed = Vec::new();
    for (command, ran) in [("nf put", &put), ("nf get", &get), ("nf ls --json", &ls)] {
        eprintln!("{what}: {command} took {:.2} s", ran.secs);
        if !ran.ok {
            failed.push(format!("{command} failed: {}", ran.why()));
        } else if ran.secs > SERVED_WITHIN.as_secs_f64() {
            failed.push(format!(
                "{command} took {:.1} s, over {SERVED_WITHIN:?}",
                ran.secs
            ));
        }
    }
    failed
}

/// Issue 23: 300 connections from 127.0.0.1 that never finish their handshake used to refuse
/// every other client from 127.0.0.1 for 10 s (`max_startups_per_address`, 128). Now each one
/// over the cap closes that address's oldest unfinished handshake, so the next real client from
/// the same address is served at once, well within the silent ones' 10 s deadline.
#[test]
fn three_hundred_idle_sockets_from_one_address_do_not_lock_out_its_next_client() {
    let _alone = one_at_a_time();
    raise_fd_limit(1024);
    let s = Server::start();
    s.file("one.bin", b"listed\n");
    let out = s.nf(&["put", "one.bin"]);
    assert!(out.status.success(), "setup: {}", stderr(&out));
    let idle: Vec<std::net::TcpStream> = (0..300)
        .map(|_| std::net::TcpStream::connect(&s.addr).expect("connect"))
        .collect();
    // The server has taken in all 300: 172 of them closed an older one to make room.
    let evicted = |log: &str| log.matches("closed the oldest unfinished handshake").count();
    let all_in = wait_until(Duration::from_secs(30), || evicted(&s.log.lock().unwrap()) >= 172);
    assert!(
        all_in,
        "the server did not take in all 300: {}",
        s.log.lock().unwrap()
    );
    let line = s.log_line(|l| l.contains("closed the oldest unfinished handshake"));
    assert!(
        line.contains("from 127.0.0.1 (at max_startups_per_address = 128 from that address)"),
        "{line}"
    );
    let started = Instant::now();
    let ls = run_bounded(s.cmd_in(&s.work, &["ls", "--json"]));
    eprintln!("nf ls beside 300 idle sockets from its address: {:.2} s", ls.secs);
    assert!(ls.ok, "nf ls: {}", ls.why());
    let listed: Vec<Value> = serde_json::from_slice(&ls.stdout).expect("a JSON listing");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["name"], "one.bin");
    assert_eq!(listed[0]["size"], 7);
    assert!(started.elapsed() < SERVED_WITHIN, "took {:?}", started.elapsed());
    // The oldest idle socket was the one closed to make room.
    let mut first = &idle[0];
    let mut rest = Vec::new();
    first.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let read = std::io::Read::read_to_end(&mut first, &mut rest);
    assert!(
        matches!(read, Ok(0)) || read.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the oldest idle socket was closed without a word"
    );
}

/// Issue 23: connections from as many addresses each start a classroom upload (`UPLOAD x `)
/// whose content never comes: one for each of the default `max_workers` take every worker, 244
/// more wait in line (the case was 500 against 256 workers). A normal client's put, get
/// and ls that come next wait in line too, and are served as the loop cuts the stalled
/// transfers (each has run over a second at nothing); before, they were told `busy` after 2 s.
#[test]
fn stalled_uploads_beyond_every_worker_from_as_many_addresses_give_way_to_put_get_and_ls() {
    let _alone = one_at_a_time();
    let workers = default_workers();
    let count = workers + 244;
    raise_fd_limit(count as u64 + 1024);
    let s = Server::start();
    let addr = s.addr.clone();
    let stalled: Vec<std::net::TcpStream> = (0..count)
        .map(|i| {
            let mut sock = connect_from(&addr, &loopback_source(5, i));
            std::io::Write::write_all(&mut sock, b"UPLOAD x ").expect("send");
            sock
        })
        .collect();
    // Every worker is taken (a thread each): the normal client comes now.
    let all_taken = wait_until(Duration::from_secs(60), || {
        s.status_field("Threads") >= workers as u64
    });
    assert!(all_taken, "{} threads", s.status_field("Threads"));
    let failed = put_get_ls(&s, &format!("beside {count} stalled uploads"));
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    drop(stalled);
}

/// Every worker (the default `max_workers`) busy with an honest download (each read steadily
/// at about 160 KiB/s, above the rate under which a transfer may be cut; one thread polls them
/// all): an HTTP GET and then `nf ls` wait in line. nf is told so by the server after a second
/// (one stderr line); the GET, whose wait of `queue_wait_secs` (30) ends first, gets 503 with
/// `Retry-After`; `nf ls` is served as soon as the downloads end.
#[test]
fn requests_that_find_every_worker_busy_wait_in_line_nf_is_told_so_and_http_gets_503_at_the_end() {
    let _alone = one_at_a_time();
    let workers = default_workers();
    raise_fd_limit(workers as u64 + 1024);
    let s = server_with_one_file();
    s.file("big.bin", &random_bytes(32 << 20, 31));
    assert!(s.nf(&["put", "big.bin"]).status.success());
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let readers = {
        let (addr, stop, served) = (s.addr.clone(), Arc::clone(&stop), Arc::clone(&served));
        std::thread::spawn(move || read_steadily(&addr, workers, &stop, &served))
    };
    // Every worker taken: each download has begun to arrive.
    let all_taken = wait_until(Duration::from_secs(90), || {
        served.load(Ordering::SeqCst) == workers
    });
    assert!(
        all_taken,
        "{} of {workers} downloads served",
        served.load(Ordering::SeqCst)
    );
    let mut http = std::net::TcpStream::connect(&s.addr).expect("connect");
    http.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    let asked = Instant::now();
    std::io::Write::write_all(&mut http, b"GET /one.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut ls = s
        .cmd_in(&s.work, &["ls", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nf");
    let said = Arc::new(Mutex::new(String::new()));
    let mut err = ls.stderr.take().unwrap();
    let into = Arc::clone(&said);
    let said_reader = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n @ 1..) = std::io::Read::read(&mut err, &mut buf) {
            into.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let told = wait_until(Duration::from_secs(20), || said.lock().unwrap().contains('\n'));
    let mut answer = Vec::new();
    let _ = std::io::Read::read_to_end(&mut http, &mut answer);
    let waited = asked.elapsed();
    stop.store(true, Ordering::SeqCst);
    readers.join().expect("readers");
    let started = Instant::now();
    let out = ls.wait_with_output().expect("nf ls");
    said_reader.join().unwrap();
    eprintln!(
        "nf ls served {:.2} s after the downloads ended",
        started.elapsed().as_secs_f64()
    );
    let said = said.lock().unwrap().clone();
    assert!(told && out.status.success(), "told: {told}; {said}");
    assert_eq!(
        said,
        format!(
            "nf: waiting: the server is serving {workers} requests, its limit (max_workers); \
             this one waits in line for up to 30 s\n"
        )
    );
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON listing");
    let names: Vec<&str> = listed.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, ["big.bin", "one.bin"]);
    let answer = String::from_utf8_lossy(&answer);
    eprintln!("the GET was answered after {waited:?}");
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with("waited 30 s in line; try again shortly\n"),
        "{answer}"
    );
    assert!(waited >= Duration::from_secs(30), "{waited:?}");
}

/// Bytes each steady reader takes per turn of [`read_steadily`]'s loop (every 100 ms).
const STEADY_READ: usize = 16 * 1024;

/// Downloads big.bin over `count` native connections, each from an address of its own (so the
/// per-address cap on unfinished handshakes never applies), polled by this one thread: every
/// 100 ms it reads up to [`STEADY_READ`] from each, until `stop` (or 120 s). Counts each in
/// `served` once 64 KiB have arrived on it (beyond the hello's reply, which the front door
/// sends without a worker: the download is being served).
fn read_steadily(addr: &str, count: usize, stop: &AtomicBool, served: &std::sync::atomic::AtomicUsize) {
    let request = b"NF/1\n{\"op\":\"hello\",\"client\":\"reader\"}\n{\"op\":\"get\",\"name\":\"big.bin\"}\n";
    let mut readers: Vec<(std::net::TcpStream, usize)> = (0..count)
        .map(|i| {
            let mut sock = connect_from(addr, &loopback_source(20, i));
            std::io::Write::write_all(&mut sock, request).expect("send");
            sock.set_nonblocking(true).unwrap();
            (sock, 0)
        })
        .collect();
    let mut buf = vec![0u8; STEADY_READ];
    let deadline = Instant::now() + Duration::from_secs(120);
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        let turn = Instant::now();
        for (sock, got) in readers.iter_mut() {
            if let Ok(n @ 1..) = std::io::Read::read(sock, &mut buf) {
                *got += n;
                if *got >= 64 * 1024 && *got - n < 64 * 1024 {
                    served.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100).saturating_sub(turn.elapsed()));
    }
}

/// A client refused with `busy` before anything was done tries again on a new connection,
/// with growing random pauses for up to `busy_retry_secs` (10 s by default), and says once that
/// it waits (nothing with `-q`). A relay stands in for a full server: it answers the first
/// connection `busy` and closes it, and passes the next ones to the real server.
#[test]
fn a_client_told_busy_tries_again_and_says_it_waits() {
    let _alone = one_at_a_time();
    let s = server_with_one_file();
    for quiet in [false, true] {
        let relay = Relay::start(&s.addr, Mode::BusyFirst);
        let said = ls_through(&s, &relay, quiet);
        assert_eq!(relay.refused(), 1);
        let expected = match quiet {
            true => String::new(),
            false => format!(
                "nf: waiting: the server at {} is busy; trying again for up to 10 s\n",
                relay.addr
            ),
        };
        assert_eq!(said, expected);
    }
    // With busy_retry_secs = 0 the first `busy` is the answer.
    let relay = Relay::start(&s.addr, Mode::BusyFirst);
    let out = s
        .cmd_via(&relay.addr, &s.work, &["ls"])
        .env("NF_BUSY_RETRY_SECS", "0")
        .output()
        .expect("run nf");
    assert_fails(&out, 5, "the relay is full");
    assert_eq!(relay.refused(), 1);
}

/// A client whose request waits in line is told so by the server's notice line (its hello
/// asks for notices): nf says the notice once on stderr (nothing with `-q`), passes over it and
/// reads its reply. A relay inserts the notice after the hello's reply, as a server whose
/// workers are all taken sends it.
#[test]
fn a_notice_that_the_request_waits_in_line_is_said_once_and_the_reply_follows() {
    let _alone = one_at_a_time();
    let s = server_with_one_file();
    for quiet in [false, true] {
        let relay = Relay::start(&s.addr, Mode::NoticeAfterHello);
        let expected = match quiet {
            true => String::new(),
            false => format!("nf: waiting: {}\n", queued_message()),
        };
        assert_eq!(ls_through(&s, &relay, quiet), expected);
    }
}

/// The message of the notice a [`Relay`] inserts, as a server whose default number of
/// workers are all taken words it.
fn queued_message() -> String {
    format!(
        "all {} workers are busy; this one waits in line",
        default_workers()
    )
}

/// A server holding `one.bin` (7 bytes).
fn server_with_one_file() -> Server {
    let s = Server::start();
    s.file("one.bin", b"listed\n");
    assert!(s.nf(&["put", "one.bin"]).status.success());
    s
}

/// `nf ls --json` (with `-q` if `quiet`) through `relay`: checks that it lists `one.bin` alone
/// and returns what it said on stderr.
fn ls_through(s: &Server, relay: &Relay, quiet: bool) -> String {
    let mut args = vec!["ls", "--json"];
    if quiet {
        args.push("-q");
    }
    let out = s.cmd_via(&relay.addr, &s.work, &args).output().expect("run nf");
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON listing");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["name"], "one.bin");
    stderr(&out)
}

/// What a [`Relay`] does with the connections it takes.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Answers the first with a native `busy` refusal, passes the others to the server.
    BusyFirst,
    /// Passes every one to the server, with a notice line after the hello's reply.
    NoticeAfterHello,
}

/// A relay on a loopback port in front of `server`, standing in for a server that is full.
struct Relay {
    addr: String,
    refused: Arc<std::sync::atomic::AtomicUsize>,
}

impl Relay {
    fn start(server: &str, mode: Mode) -> Relay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap().to_string();
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (count, server) = (Arc::clone(&refused), server.to_string());
        std::thread::spawn(move || {
            for (n, client) in listener.incoming().take(8).enumerate() {
                let Ok(mut client) = client else { return };
                if n == 0 && mode == Mode::BusyFirst {
                    // A refusal of the whole connection, as the server's front door words it.
                    let busy = b"{\"ok\":false,\"code\":\"busy\",\"message\":\"the relay is full\",\"closing\":true}\n";
                    let _ = std::io::Write::write_all(&mut client, busy);
                    count.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                let Ok(upstream) = std::net::TcpStream::connect(&server) else {
                    return;
                };
                let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut u2);
                    let _ = u2.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let mut from = std::io::BufReader::new(upstream);
                    if mode == Mode::NoticeAfterHello {
                        let mut hello = Vec::new();
                        let _ = std::io::BufRead::read_until(&mut from, b'\n', &mut hello);
                        let notice = format!(
                            "{{\"notice\":\"queued\",\"message\":{}}}\n",
                            json!(queued_message())
                        );
                        let _ = std::io::Write::write_all(&mut client, &hello);
                        let _ = std::io::Write::write_all(&mut client, notice.as_bytes());
                    }
                    let _ = std::io::copy(&mut from, &mut client);
                    let _ = client.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Relay { addr, refused }
    }

    fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

// ---------------------------------------------------------------------------------------
// Verdicts per class

/// Close times of a class that must be closed by the server within its bound.
fn closes_report(plan: &Plan, outcomes: &[&Outcome]) -> (Value, Vec<String>) {
    let bound = plan.bound;
    let connected: Vec<&Outcome> = outcomes.iter().copied().filter(|o| o.error.is_none()).collect();
    let times: Vec<Duration> = connected.iter().filter_map(|o| o.closed_after).collect();
    let late = times.iter().filter(|t| **t > bound).count();
    let open = connected.len() - times.len();
    let resets = connected.iter().filter(|o| o.close == Some(Close::Reset)).count();
    // What the server said before closing, if anything: a refusal, a deadline's message.
    let mut replies: HashMap<String, usize> = HashMap::new();
    for o in &connected {
        *replies.entry(text_of(&o.reply)).or_default() += 1;
    }
    let busy = connected
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.reply).contains("busy"))
        .count();
    let mut failures = Vec::new();
    if late + open > 0 {
        failures.push(format!(
            "{}: {late} of {} closed later than {bound:?} and {open} were still open after {:?} \
             (close times: {})",
            plan.class.key(),
            connected.len(),
            plan.watch,
            spread(&times)
        ));
    }
    let report = json!({
        "count": plan.count,
        "connected": connected.len(),
        "bound_secs": bound.as_secs_f64(),
        "watched_secs": plan.watch.as_secs_f64(),
        "closed": times.len(),
        "closed_within_bound": times.len() - late,
        "closed_late": late,
        "still_open": open,
        "closed_by_reset": resets,
        "refused_busy": busy,
        "replies": replies,
        "bytes_received": connected.iter().map(|o| o.received).sum::<u64>(),
        "close_secs": distribution(&times),
    });
    (report, failures)
}

/// Abandoned downloads: each must have been served (the reply began as the file's base64),
/// and the server must log its end within `plan.bound` of the client's reset.
fn downloads_report(plan: &Plan, outcomes: &[&Outcome], seen: &Seen) -> (Value, Vec<String>) {
    let connected: Vec<&Outcome> = outcomes.iter().copied().filter(|o| o.error.is_none()).collect();
    let served: Vec<&Outcome> = connected
        .iter()
        .copied()
        .filter(|o| o.served(&plan.expect))
        .collect();
    let mut refusals: HashMap<String, usize> = HashMap::new();
    for o in connected.iter().filter(|o| !o.served(&plan.expect)) {
        *refusals.entry(text_of(&o.first_bytes)).or_default() += 1;
    }
    let mut latencies = Vec::new();
    let mut ended_before_reset = 0;
    let mut unlogged = 0;
    for o in &served {
        let logged = o.local.and_then(|a| seen.downloads.get(&a));
        match (logged, o.abandoned) {
            (Some(at), Some(abandoned)) if *at >= abandoned => latencies.push(*at - abandoned),
            (Some(_), Some(_)) => {
                ended_before_reset += 1;
                latencies.push(Duration::ZERO);
            }
            _ => unlogged += 1,
        }
    }
    let late = latencies.iter().filter(|t| **t > plan.bound).count();
    let mut failures = Vec::new();
    if served.len() < connected.len() {
        failures.push(format!(
            "{}: {} of {} downloads were not served; their replies began: {refusals:?}",
            plan.class.key(),
            connected.len() - served.len(),
            connected.len()
        ));
    }
    if late + unlogged > 0 {
        failures.push(format!(
            "{}: the server logged the end of {late} abandoned downloads later than {:?} after \
             the client's reset, and of {unlogged} not at all (release times: {})",
            plan.class.key(),
            plan.bound,
            spread(&latencies)
        ));
    }
    let mut unread: Vec<u64> = served.iter().map(|o| o.unread_at_abandon).collect();
    unread.sort_unstable();
    let report = json!({
        "count": plan.count,
        "connected": connected.len(),
        "served": served.len(),
        "not_served": refusals,
        "bound_secs": plan.bound.as_secs_f64(),
        "released": latencies.len(),
        "released_within_bound": latencies.len() - late,
        "released_late": late,
        "not_released": unlogged,
        "ended_before_reset": ended_before_reset,
        "unread_kib_at_reset_median": unread.get(unread.len() / 2).map(|b| b / 1024),
        "release_secs": distribution(&latencies),
    });
    (report, failures)
}

/// The first bytes of a reply as text for the report (`(nothing)` if there were none).
fn text_of(reply: &[u8]) -> String {
    if reply.is_empty() {
        return "(nothing)".into();
    }
    String::from_utf8_lossy(&reply[..reply.len().min(40)]).into_owned()
}

/// Minimum, median, 90th and 99th percentiles and maximum, in seconds (nearest rank).
fn distribution(times: &[Duration]) -> Value {
    let mut t: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    if t.is_empty() {
        return Value::Null;
    }
    t.sort_by(f64::total_cmp);
    let rank = |q: f64| t[((q * t.len() as f64).ceil() as usize).clamp(1, t.len()) - 1];
    json!({
        "min": t[0], "p50": rank(0.5), "p90": rank(0.9), "p99": rank(0.99), "max": t[t.len() - 1],
    })
}

/// A short text of a distribution for failure messages.
fn spread(times: &[Duration]) -> String {
    match distribution(times) {
        Value::Null => "none".into(),
        d => format!(
            "min {:.1} s, median {:.1} s, p99 {:.1} s, max {:.1} s",
            d["min"].as_f64().unwrap(),
            d["p50"].as_f64().unwrap(),
            d["p99"].as_f64().unwrap(),
            d["max"].as_f64().unwrap()
        ),
    }
}

/// `nf ls --json` lists one.bin with its size and BLAKE3 (`None`), or what is wrong.
fn check_listing(stdout: &[u8], content: &[u8]) -> Option<String> {
    let listed: Vec<Value> = match serde_json::from_slice(stdout) {
        Ok(v) => v,
        Err(e) => return Some(format!("the listing is not a JSON array: {e}")),
    };
    let entry = listed.iter().find(|e| e["name"] == "one.bin");
    match entry {
        Some(e) if e["size"] == content.len() && e["blake3"] == blake3_hex(content) => None,
        other => Some(format!("one.bin is listed as {other:?}")),
    }
}

// ---------------------------------------------------------------------------------------
// The server's state

/// The server's resident memory, threads and descriptors at one moment.
#[derive(Clone, Copy, Debug)]
struct Sample {
    rss_kib: u64,
    threads: u64,
    fds: usize,
}

impl Sample {
    fn json(&self) -> Value {
        json!({"rss_kib": self.rss_kib, "threads": self.threads, "fds": self.fds})
    }
}

fn sample(s: &Server) -> Sample {
    Sample {
        rss_kib: s.status_field("VmRSS"),
        threads: s.status_field("Threads"),
        fds: s.open_fds(),
    }
}

/// What the server's log showed, as it arrived.
#[derive(Clone, Default)]
struct Seen {
    /// When the log line of each peer's seed download arrived.
    downloads: HashMap<SocketAddr, Instant>,
    /// Connections refused as busy.
    busy: usize,
}

/// Reads the server's log as it grows (the fixture collects it), noting when each seed
/// download's line arrives.
struct LogWatch {
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl LogWatch {
    fn start(s: &Server) -> LogWatch {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let log: Arc<Mutex<String>> = Arc::clone(&s.log);
        let (into, stopped) = (Arc::clone(&seen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut cursor = log.lock().unwrap().len();
            let deadline = Instant::now() + Duration::from_secs(600);
            while !stopped.load(Ordering::SeqCst) && Instant::now() < deadline {
                let fresh = {
                    let text = log.lock().unwrap();
                    let end = text[cursor..].rfind('\n').map_or(cursor, |i| cursor + i + 1);
                    let fresh = text[cursor..end].to_string();
                    cursor = end;
                    fresh
                };
                let now = Instant::now();
                let mut seen = into.lock().unwrap();
                for line in fresh.lines() {
                    if line.contains("seed:download") {
                        for peer in line.split_whitespace().filter_map(|w| w.parse().ok()) {
                            seen.downloads.entry(peer).or_insert(now);
                        }
                    } else if line.contains("busy") {
                        seen.busy += 1;
                    }
                }
                drop(seen);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        LogWatch { seen, stop, thread }
    }

    /// Waits until the log has shown the download of every peer in `peers`, or `until`.
    fn await_downloads(&self, peers: &[SocketAddr], until: Instant) {
        let seen = &self.seen;
        let all = || {
            let seen = seen.lock().unwrap();
            peers.iter().all(|p| seen.downloads.contains_key(p))
        };
        wait_until(until.saturating_duration_since(Instant::now()), all);
    }

    fn stop(self) -> Seen {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("log watcher");
        let seen = self.seen.lock().unwrap();
        seen.clone()
    }
}

// ---------------------------------------------------------------------------------------
// The normal client

/// One normal command's result and time.
struct Ran {
    ok: bool,
    secs: f64,
    code: Option<i32>,
    stderr: String,
    stdout: Vec<u8>,
    /// Why a command that exited 0 still failed (wrong content).
    problem: Option<String>,
}

impl Ran {
    fn why(&self) -> String {
        match &self.problem {
            Some(p) => p.clone(),
            None => {
                let code = self.code.map_or("by a signal".into(), |c| c.to_string());
                format!("exit {code}: {}", self.stderr.trim())
            }
        }
    }

    fn json(&self) -> Value {
        json!({
            "ok": self.ok,
            "secs": self.secs,
            "exit": self.code,
            "error": (!self.ok).then(|| self.why()),
        })
    }
}

/// Runs `cmd` to its end, killing it after [`COMMAND_LIMIT`].
fn run_bounded(mut cmd: Command) -> Ran {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nf");
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(COMMAND_LIMIT) {
        Ok(output) => output,
        Err(_) => {
            // SAFETY: a signal to our own child, which has not been reaped (its waiter has
            // not returned).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            rx.recv_timeout(Duration::from_secs(10))
                .expect("nf exits once killed")
        }
    }
    .expect("wait for nf");
    let secs = started.elapsed().as_secs_f64();
    Ran {
        ok: output.status.success(),
        secs,
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        stdout: output.stdout,
        problem: (started.elapsed() >= COMMAND_LIMIT).then(|| format!("killed after {COMMAND_LIMIT:?}")),
    }
}
