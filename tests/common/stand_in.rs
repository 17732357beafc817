//! A stand-in nf server for tests of the client: answers the hello, then lets the test read
//! the requests and write the replies by hand (what a real server would never send, or an
//! older one).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{wait_exit, Server};

/// A stand-in nf server on a loopback port: answers the hello at once, then runs `serve` on
/// the connection (reads capped by a generous per-read deadline, so a client that stops
/// sending fails the test instead of hanging it).
pub fn stand_in<T: Send + 'static>(
    serve: impl FnOnce(&mut BufReader<TcpStream>, &mut TcpStream) -> T + Send + 'static,
) -> (String, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut out = conn.try_clone().unwrap();
        let mut input = BufReader::new(conn);
        let greeting = line(&mut input);
        assert!(greeting.starts_with("NF/"), "{greeting:?}");
        let version: u32 = greeting[3..].trim().parse().unwrap();
        let hello: serde_json::Value = serde_json::from_str(&line(&mut input)).unwrap();
        assert_eq!(hello["op"], "hello");
        let reply = serde_json::json!({"ok": true, "version": version, "server": "stand-in"});
        writeln!(out, "{reply}").unwrap();
        out.flush().unwrap();
        serve(&mut input, &mut out)
    });
    (addr, handle)
}

/// One line, or a panic saying the client sent nothing more within the read deadline.
pub fn line(input: &mut BufReader<TcpStream>) -> String {
    let mut l = String::new();
    match input.read_line(&mut l) {
        Ok(n) if n > 0 => l,
        other => panic!("the client sent no further line ({other:?})"),
    }
}

/// Runs `nf ARGS` against the stand-in at `addr`; returns what the stand-in saw (it must have
/// read every request before answering any) and the command's output once it ends.
pub fn run_against<T>(s: &Server, addr: &str, args: &[&str], stand_in: JoinHandle<T>) -> (T, Output) {
    let mut child = s
        .cmd_via(addr, &s.work, args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let seen = stand_in
        .join()
        .expect("the stand-in read every request before answering");
    wait_exit(&mut child, Duration::from_secs(60)).expect("nf ends once answered");
    (seen, child.wait_with_output().unwrap())
}

/// A file's entry as the server states it.
pub fn file_info(name: &str, body: &[u8]) -> serde_json::Value {
    serde_json::json!({
        "name": name, "type": "file", "size": body.len(),
        "modified": "2026-12-07T00:00:00Z", "mode": "0644",
        "blake3": blake3::hash(body).to_hex().to_string(),
    })
}
