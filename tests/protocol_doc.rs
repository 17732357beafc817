//! docs/PROTOCOL.md stays true: every ```nf-session block is replayed, in document order, against
//! one live server, and the server's answer must be the block's `S:` lines byte for byte (after
//! masking the commit times and the software version, which change from run to run).

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use common::*;

struct Session {
    sent: Vec<u8>,
    expected: String,
    line: usize,
}

fn sessions(doc: &str) -> Vec<Session> {
    sessions_in(doc, "```nf-session")
}

/// The sessions fenced with `fence` (e.g. "```nf-session-auth": run against a server with a token).
fn sessions_in(doc: &str, fence: &str) -> Vec<Session> {
    let mut out = Vec::new();
    let mut current: Option<Session> = None;
    for (n, line) in doc.lines().enumerate() {
        if line == fence {
            current = Some(Session {
                sent: Vec::new(),
                expected: String::new(),
                line: n + 1,
            });
        } else if line == "```" {
            if let Some(s) = current.take() {
                out.push(s);
            }
        } else if let Some(s) = current.as_mut() {
            if let Some(c) = line.strip_prefix("C: ") {
                s.sent.extend_from_slice(c.as_bytes());
                s.sent.push(b'\n');
            } else if let Some(r) = line.strip_prefix("S: ") {
                s.expected.push_str(r);
                s.expected.push('\n');
            } else {
                panic!(
                    "PROTOCOL.md line {}: session lines start with `C: ` or `S: `",
                    n + 1
                );
            }
        }
    }
    out
}

/// What comes before the values that legitimately differ between runs: commit times, and a
/// receipt's signing key (each test server has its own identity) and signature.
const MASKED: [&str; 5] = [
    r#""modified":""#,
    r#""committed":""#,
    r#""server":"sha256//"#,
    r#""key":""#,
    r#""signature":""#,
];

/// Masks what legitimately differs between runs.
fn mask(text: &str) -> String {
    let masked = MASKED
        .iter()
        .fold(text.to_string(), |text, before| mask_after(&text, before));
    masked
        .replace(&format!("nf {}", env!("CARGO_PKG_VERSION")), "nf VERSION")
        .replace("nf 0.1.0", "nf VERSION")
}

/// `text` with what follows each `before` up to the next `"` replaced by `MASKED`.
fn mask_after(text: &str, before: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(before) {
        let start = i + before.len();
        out.push_str(&rest[..start]);
        out.push_str("MASKED");
        let end = rest[start..].find('"').map(|e| start + e).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Sends each session on a fresh connection and compares the whole answer.
fn replay(s: &Server, sessions: Vec<Session>) {
    for session in sessions {
        let mut stream = TcpStream::connect(&s.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(&session.sent).unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).unwrap();
        let got = String::from_utf8(got).unwrap();
        assert_eq!(
            mask(&got),
            mask(&session.expected),
            "PROTOCOL.md session at line {}",
            session.line
        );
    }
}

#[test]
fn every_worked_example_in_protocol_md_is_what_the_server_answers() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).unwrap();
    let sessions = sessions(&doc);
    assert!(sessions.len() >= 12, "found only {} sessions", sessions.len());
    // The resume example uses a 12-byte file, so partials of every size are kept here.
    let s = Server::with_config("resume_min_bytes = 0");
    replay(&s, sessions);
}

#[test]
fn the_auth_example_is_what_a_server_with_a_token_answers() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).unwrap();
    let sessions = sessions_in(&doc, "```nf-session-auth");
    assert_eq!(sessions.len(), 1);
    let s = Server::with_config("token = \"s3cret\"");
    replay(&s, sessions);
}

#[test]
fn every_request_shape_in_protocol_md_parses_as_a_request() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).unwrap();
    for op in ["hello", "put", "get", "stat", "list", "rm", "mkdir", "mv"] {
        assert!(
            doc.contains(&format!("## {op}")) || op == "hello",
            "PROTOCOL.md documents {op}"
        );
    }
    for session in sessions(&doc) {
        for line in String::from_utf8(session.sent).unwrap().lines() {
            if line.starts_with("{\"op\"") {
                serde_json::from_str::<nf::protocol::Request>(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            }
        }
    }
}
