//! Who may do what: tokens, read-only servers, the warning for exposed servers, file modes,
//! and logs that cannot be forged by what a client sends.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use common::*;

#[test]
fn a_server_with_a_token_refuses_clients_without_it_and_reveals_nothing() {
    let s = Server::with_config("token = \"correct horse\"");
    s.file("a.txt", b"secret content");
    let out = s.nf(&["put", "a.txt"]);
    assert_fails(&out, 7, "needs a token");
    let out = s
        .cmd_in(&s.work, &["ls", "--json"])
        .env("NF_TOKEN", "wrong horse")
        .output()
        .unwrap();
    assert_fails(&out, 7, "needs a token");
    assert!(out.stdout.is_empty());
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"NF/1\n{\"op\":\"hello\"}\n{\"op\":\"list\"}\n");
    let reply = raw.json();
    assert_eq!(reply["code"], "auth", "{reply}");
    assert!(raw.closed(), "nothing more is answered");
    assert!(s.stored().is_empty());
}

#[test]
fn a_client_with_the_right_token_works_from_env_or_config() {
    let s = Server::with_config("token = \"correct horse\"");
    s.file("a.txt", b"content");
    let out = s
        .cmd_in(&s.work, &["put", "a.txt"])
        .env("NF_TOKEN", "correct horse")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let cfg = s.dir.path().join("client.toml");
    std::fs::write(&cfg, "token = \"correct horse\"\n").unwrap();
    let out = s
        .cmd_in(&s.work, &["ls", "--json"])
        .env("NF_CONFIG", &cfg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let ls: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ls[0]["name"], "a.txt");
}

#[test]
fn nf_config_never_prints_the_token() {
    let out = Command::new(NF)
        .args(["config"])
        .env("NF_CONFIG", "/dev/null")
        .env("NF_TOKEN", "hunter2")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("token = \"(set)\""), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_read_only_server_serves_files_but_refuses_put_and_rm() {
    let mut s = Server::start();
    s.file("keep.txt", b"kept");
    assert!(s.nf(&["put", "keep.txt"]).status.success());
    s.kill();
    std::fs::write(
        &s.config,
        format!(
            "{}read_only = true\n",
            std::fs::read_to_string(&s.config).unwrap()
        ),
    )
    .unwrap();
    s.spawn();
    s.file("new.txt", b"new");
    assert_fails(&s.nf(&["put", "new.txt"]), 7, "read-only");
    assert_fails(&s.nf(&["rm", "keep.txt"]), 7, "read-only");
    assert_eq!(s.names(), vec!["keep.txt"]);
    std::fs::remove_file(s.work.join("keep.txt")).unwrap();
    let out = s.nf(&["get", "keep.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(s.work.join("keep.txt")).unwrap(), b"kept");
}

#[test]
fn serve_read_only_flag_works_too() {
    let s = Server::with_args("", &["--read-only"]);
    s.file("f", b"x");
    let out = s.nf(&["put", "f"]);
    assert_fails(&out, 7, "read-only");
}

#[test]
fn listening_beyond_loopback_without_a_token_prints_a_loud_warning() {
    let dir = tempfile::tempdir().unwrap();
    let serve = |token: Option<&str>| {
        let mut cmd = Command::new(NF);
        cmd.args(["serve", "--listen", "0.0.0.0:0", "--root"])
            .arg(dir.path().join("store"))
            .env("NF_CONFIG", "/dev/null")
            .env_remove("NF_TOKEN")
            .stderr(Stdio::piped());
        if let Some(t) = token {
            cmd.env("NF_TOKEN", t);
        }
        let mut child = cmd.spawn().unwrap();
        let mut reader = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        first
    };
    let open = serve(None);
    assert!(
        open.contains("WARNING") && open.contains("no token") && open.contains("anyone"),
        "{open}"
    );
    let guarded = serve(Some("s3cret"));
    assert!(!guarded.contains("WARNING"), "{guarded}");
}

#[test]
fn stored_files_are_0644_and_partials_0600() {
    let s = Server::start();
    s.file("f", &random_bytes(10, 1));
    assert!(s.nf(&["put", "f"]).status.success());
    let mode = std::fs::metadata(s.root.join("f")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "{mode:o}");
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"put\",\"name\":\"p\",\"size\":3000000}\n");
    raw.send(&[0u8; 1000]);
    drop(raw);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.partials().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let partial = &s.partials()[0];
    let mode = std::fs::metadata(partial).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}

#[test]
fn control_characters_from_clients_are_escaped_in_the_log() {
    let s = Server::start();
    let mut raw = s.raw();
    raw.send(b"{\"op\":\"get\",\"name\":\"evil\\u001b[2J\\nFAKE LOG LINE\"}\n");
    assert_eq!(raw.json()["code"], "bad_name");
    let log = s.log_after(|l| l.contains(" get "));
    assert!(!log.contains('\u{1b}'), "raw escape byte in the log");
    assert!(!log.lines().any(|l| l.starts_with("FAKE LOG LINE")), "{log}");
    assert!(log.contains("\\u{1b}[2J\\nFAKE LOG LINE"), "{log}");
}

#[test]
fn old_dialect_clients_are_refused_when_a_token_is_set_unless_allowed() {
    let classroom_list = |s: &Server| {
        let mut raw = Raw::connect(&s.addr);
        raw.send(b"LIST\r\n\r\n");
        let mut reply = Vec::new();
        let _ = std::io::Read::read_to_end(&mut raw.reader, &mut reply);
        String::from_utf8_lossy(&reply).to_string()
    };
    let guarded = Server::with_config("token = \"s3cret\"");
    let reply = classroom_list(&guarded);
    // Refused in the classroom dialect's own words.
    assert!(
        reply.starts_with("{\"status\": \"ERROR\", \"data\": \"this server needs a token")
            && reply.contains("compat_allow_without_token")
            && reply.ends_with("}\r\n\r\n"),
        "{reply}"
    );
    let open = Server::with_config("token = \"s3cret\"\ncompat_allow_without_token = true");
    let reply = classroom_list(&open);
    assert!(reply.starts_with("{\"status\": \"OK\", \"data\": []}"), "{reply}");
}
