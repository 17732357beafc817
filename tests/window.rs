//! The client's window across a long link (issue 28), shown without timing: a stand-in server
//! that holds every reply sees how many requests the real `nf` sends before it reads the first
//! one; and against a real server, an upload that fails in the middle of a deep window fails
//! alone while the others are stored byte for byte.

mod common;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;

use common::stand_in::{file_info, line, run_against, stand_in};
use common::{assert_fails, stderr, Server};

/// More files than the old client kept in flight (64), fewer than the window's count (512).
const FILES: usize = 300;
/// The file whose reply is an error.
const FAILING: usize = 150;
const SIZE: usize = 4096;

fn name(i: usize) -> String {
    format!("f{i:03}")
}

/// A server, and the files to upload written in its work directory.
fn with_files() -> (Server, Vec<String>) {
    let s = Server::start();
    let names: Vec<String> = (0..FILES).map(name).collect();
    for (i, n) in names.iter().enumerate() {
        s.file(n, &content(i));
    }
    (s, names)
}

fn content(i: usize) -> Vec<u8> {
    format!("file {i}\n")
        .into_bytes()
        .repeat(SIZE)
        .into_iter()
        .take(SIZE)
        .collect()
}

/// Reads [`FILES`] get requests, then answers each with its file (or `not_found` for
/// `failing`); returns the names asked for.
fn serve_gets(input: &mut BufReader<TcpStream>, out: &mut TcpStream, failing: Option<usize>) -> Vec<String> {
    let mut asked = Vec::new();
    for _ in 0..FILES {
        let req: serde_json::Value = serde_json::from_str(&line(input)).unwrap();
        assert_eq!(req["op"], "get", "{req}");
        asked.push(req["name"].as_str().unwrap().to_string());
    }
    for (i, n) in asked.iter().enumerate() {
        if Some(i) == failing {
            let reply = serde_json::json!({"ok": false, "code": "not_found", "message": format!("no file named \"{n}\"")});
            writeln!(out, "{reply}").unwrap();
            continue;
        }
        let body = content(i);
        let mut reply = file_info(n, &body);
        reply["ok"] = true.into();
        reply["offset"] = 0.into();
        writeln!(out, "{reply}").unwrap();
        out.write_all(&body).unwrap();
    }
    out.flush().unwrap();
    asked
}

fn exists_reply(name: &str) -> serde_json::Value {
    serde_json::json!({"ok": false, "code": "exists", "message": format!("\"{name}\" already exists")})
}

#[test]
fn a_put_of_many_small_files_sends_every_one_before_reading_a_reply() {
    let (s, names) = with_files();
    // The stand-in reads every put (header, body, trailer) before it answers any: with a
    // stop-and-wait client it would wait in vain for the rest, and fail on its read deadline.
    let (addr, server) = stand_in(|input, out| {
        let mut got = Vec::new();
        for _ in 0..FILES {
            let header: serde_json::Value = serde_json::from_str(&line(input)).unwrap();
            assert_eq!(header["op"], "put", "{header}");
            let mut body = vec![0; header["size"].as_u64().unwrap() as usize];
            input.read_exact(&mut body).unwrap();
            let trailer: serde_json::Value = serde_json::from_str(&line(input)).unwrap();
            assert_eq!(trailer["blake3"], blake3::hash(&body).to_hex().to_string());
            got.push((header["name"].as_str().unwrap().to_string(), body));
        }
        for (i, (n, body)) in got.iter().enumerate() {
            let mut reply = file_info(n, body);
            reply["ok"] = true.into();
            let reply = if i == FAILING { exists_reply(n) } else { reply };
            writeln!(out, "{reply}").unwrap();
        }
        out.flush().unwrap();
        got
    });
    let mut args = vec!["put"];
    args.extend(names.iter().map(String::as_str));
    let (got, out) = run_against(&s, &addr, &args, server);
    assert_eq!(got.len(), FILES);
    for (i, (n, body)) in got.iter().enumerate() {
        assert_eq!(n, &name(i));
        assert_eq!(body, &content(i), "{n}");
    }
    // The one refused upload fails alone, with its own kind.
    assert_fails(&out, 4, "\"f150\" already exists");
    let err = stderr(&out);
    assert_eq!(err.matches("already exists").count(), 2, "{err}"); // its line and the summary
    assert!(err.contains("uploaded 299 of 300 files"), "{err}");
}

#[test]
fn a_get_of_many_names_sends_every_request_before_reading_a_reply() {
    let s = Server::start();
    let names: Vec<String> = (0..FILES).map(name).collect();
    let (addr, server) = stand_in(|input, out| serve_gets(input, out, Some(FAILING)));
    let dest = s.work.join("out");
    std::fs::create_dir(&dest).unwrap();
    let target = format!("{}/", dest.display());
    let mut args = vec!["get"];
    args.extend(names.iter().map(String::as_str));
    args.extend(["-o", &target]);
    let (asked, out) = run_against(&s, &addr, &args, server);
    assert_eq!(asked, names);
    assert_fails(&out, 3, "f150");
    for (i, n) in names.iter().enumerate() {
        let got = std::fs::read(dest.join(n));
        if i == FAILING {
            assert!(got.is_err(), "{n} was not sent, yet is there");
        } else {
            assert_eq!(got.unwrap(), content(i), "{n}");
        }
    }
}

#[test]
fn a_failed_put_in_the_middle_of_a_deep_window_fails_alone() {
    let (s, names) = with_files();
    s.file("earlier", b"stored earlier\n");
    let first = s.nf(&["put", "--as", &name(FAILING), "earlier"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let mut args = vec!["put"];
    args.extend(names.iter().map(String::as_str));
    let out = s.nf(&args);
    assert_fails(&out, 4, "\"f150\" already exists");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 2, "one error line and the summary: {err}");
    assert!(err.contains("uploaded 299 of 300 files"), "{err}");
    for (i, n) in names.iter().enumerate() {
        let want = if i == FAILING {
            b"stored earlier\n".to_vec()
        } else {
            content(i)
        };
        assert_eq!(s.read_stored(n), want, "{n}");
    }
    assert!(s.partials().is_empty(), "{:?}", s.partials());
}

#[test]
fn a_get_of_a_glob_lists_at_once_and_sends_every_get_before_reading_a_body() {
    let s = Server::start();
    let (addr, server) = stand_in(|input, out| {
        // The first request is the listing: no `stat` of the pattern first (a round trip).
        let list: serde_json::Value = serde_json::from_str(&line(input)).unwrap();
        assert_eq!(list["op"], "list", "{list}");
        assert_eq!(list["pattern"], "f*", "{list}");
        for i in 0..FILES {
            writeln!(out, "{}", file_info(&name(i), &content(i))).unwrap();
        }
        // The end of a listing starts with `"ok"`, as nf writes it.
        writeln!(out, "{{\"ok\":true,\"count\":{FILES}}}").unwrap();
        out.flush().unwrap();
        serve_gets(input, out, None)
    });
    let dest = s.work.join("out");
    std::fs::create_dir(&dest).unwrap();
    let target = format!("{}/", dest.display());
    let (asked, out) = run_against(&s, &addr, &["get", "f*", "-o", &target], server);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(asked, (0..FILES).map(name).collect::<Vec<_>>());
    for i in 0..FILES {
        assert_eq!(std::fs::read(dest.join(name(i))).unwrap(), content(i));
    }
}
