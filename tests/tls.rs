//! TLS on nf's port: trust on first use and pinned fingerprints (an impostor gets nothing), what
//! a relay between client and server sees (nothing readable), the server's plaintext policy
//! (`allow_plaintext_from`, `require_tls`), and a token that never crosses a network in clear.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::tap::{contains, tls_records, Tap};
use common::*;
use rcgen::PublicKeyData;

/// A random string, different in every run (to look for in captured bytes).
fn random_text(what: &str) -> String {
    let mut seed = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut seed)
        .unwrap();
    let bytes = random_bytes(16, u64::from_le_bytes(seed));
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{what}-{hex}")
}

/// `nf ARGS` through `via` with `--tls MODE`, and the token if any.
fn nf_via(s: &Server, via: &str, tls: &str, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = s.cmd_via(via, &s.work, args);
    cmd.args(["--tls", tls]).env_remove("NF_FINGERPRINT");
    if let Some(t) = token {
        cmd.env("NF_TOKEN", t);
    }
    cmd.output().unwrap()
}

fn ok(out: &Output) {
    assert!(out.status.success(), "nf failed: {}", stderr(out));
}

/// The one line a client prints when it trusts `s` on first use, recording it in `known`.
fn first_use_line(s: &Server, known: &std::path::Path) -> String {
    format!(
        "nf: trusting {} on first use: its key is {} (recorded in {})\n",
        s.addr,
        s.fingerprint,
        known.display()
    )
}

/// `nf ls --tls MODE` with the server's fingerprint pinned.
fn ls_pinned(s: &Server, tls: &str) -> Output {
    s.cmd_in(&s.work, &["ls", "--tls", tls, "--fingerprint", &s.fingerprint])
        .output()
        .unwrap()
}

/// What `nf serve --fingerprint` prints with the server's config and data directory.
fn serve_fingerprint(s: &Server) -> String {
    let out = std::process::Command::new(NF)
        .args(["--config", s.config.to_str().unwrap(), "serve", "--fingerprint"])
        .env("XDG_DATA_HOME", s.dir.path().join("server-data"))
        .output()
        .unwrap();
    ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

/// What a TLS server in the test saw on one connection: every byte that arrived, the plaintext
/// it could decrypt from them, and how the session ended.
#[derive(Default, Clone, Debug)]
struct Seen {
    raw: Vec<u8>,
    plaintext: Vec<u8>,
    ended: String,
}

/// A TLS server with a key of its own (not the real server's), that records what clients send
/// it: an impostor on an address the client knows.
struct Impostor {
    addr: String,
    fingerprint: String,
    seen: Arc<Mutex<Vec<Arc<Mutex<Seen>>>>>,
    done: Arc<Mutex<usize>>,
    _dir: tempfile::TempDir,
}

impl Impostor {
    fn start() -> Impostor {
        let dir = tempfile::tempdir().unwrap();
        let identity = nf::tls::identity::Identity::load(None, None, Some(dir.path())).unwrap();
        let config = identity.server_config().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let imp = Impostor {
            addr: listener.local_addr().unwrap().to_string(),
            fingerprint: identity.fingerprint.clone(),
            seen: Arc::default(),
            done: Arc::default(),
            _dir: dir,
        };
        let (seen, done) = (Arc::clone(&imp.seen), Arc::clone(&imp.done));
        std::thread::spawn(move || {
            for sock in listener.incoming().flatten() {
                let one = Arc::new(Mutex::new(Seen::default()));
                seen.lock().unwrap().push(Arc::clone(&one));
                let (config, done) = (Arc::clone(&config), Arc::clone(&done));
                std::thread::spawn(move || {
                    impersonate(sock, config, &one);
                    *done.lock().unwrap() += 1;
                });
            }
        });
        imp
    }

    /// What each connection saw, once all of them have ended.
    fn seen(&self) -> Vec<Seen> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let all = self.seen.lock().unwrap().clone();
            if *self.done.lock().unwrap() == all.len() {
                return all.iter().map(|s| s.lock().unwrap().clone()).collect();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the impostor's connections did not end"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Serves one TLS connection as the impostor, recording everything.
fn impersonate(mut sock: TcpStream, config: Arc<rustls::ServerConfig>, seen: &Mutex<Seen>) {
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut conn = rustls::ServerConnection::new(config).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match sock.read(&mut buf) {
            Ok(0) => {
                seen.lock().unwrap().ended = "closed".into();
                return;
            }
            Ok(n) => n,
            Err(e) => {
                seen.lock().unwrap().ended = format!("read: {e}");
                return;
            }
        };
        seen.lock().unwrap().raw.extend_from_slice(&buf[..n]);
        let mut input = &buf[..n];
        while !input.is_empty() {
            conn.read_tls(&mut input).unwrap();
            if let Err(e) = conn.process_new_packets() {
                seen.lock().unwrap().ended = format!("{e:?}");
                let _ = conn.write_tls(&mut sock);
                return;
            }
        }
        let mut plain = [0u8; 4096];
        loop {
            match conn.reader().read(&mut plain) {
                Ok(0) => break,
                Ok(n) => seen.lock().unwrap().plaintext.extend_from_slice(&plain[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    seen.lock().unwrap().ended = format!("plaintext: {e}");
                    return;
                }
            }
        }
        while conn.wants_write() {
            if conn.write_tls(&mut sock).is_err() {
                return;
            }
        }
    }
}

/// Asserts that a client refused by its trust check sent the impostor only its handshake: a
/// ClientHello, perhaps the compatibility ChangeCipherSpec, and one encrypted record (the
/// alert, 2 bytes with its content type and 16 of tag), and no byte of plaintext.
fn assert_only_a_refused_handshake(seen: &Seen, token: &str) {
    assert_eq!(
        seen.plaintext,
        b"",
        "the impostor decrypted {:?}",
        String::from_utf8_lossy(&seen.plaintext)
    );
    assert!(
        seen.ended.starts_with("AlertReceived("),
        "the session ended with {}",
        seen.ended
    );
    let records = tls_records(&seen.raw).expect("only TLS records");
    let kinds: Vec<(u8, usize)> = records
        .iter()
        .map(|&(kind, len)| (kind, if kind == 22 { 0 } else { len }))
        .filter(|&(kind, _)| kind != 20)
        .collect();
    assert_eq!(kinds, [(22, 0), (23, 19)], "records: {records:?}");
    assert_eq!(seen.raw[5], 1, "the first handshake message is a ClientHello");
    assert!(!contains(&seen.raw, token.as_bytes()));
    assert!(!contains(&seen.raw, b"NF/1"));
}

#[test]
fn an_impostor_on_a_known_or_pinned_address_receives_no_token_and_no_request() {
    let token = random_text("token");
    let s = Server::with_config(&format!("token = {token:?}"));
    let tap = Tap::start(&s.addr);
    // The client meets the real server first (through the tap's address) and records it.
    ok(&nf_via(&s, &tap.addr, "always", Some(&token), &["ls"]));
    let known = s.dir.path().join("known_servers");
    let recorded = std::fs::read_to_string(&known).unwrap();
    assert_eq!(recorded, format!("{} {}\n", tap.addr, s.fingerprint));

    // Then someone else answers on that address.
    let imp = Impostor::start();
    assert_ne!(imp.fingerprint, s.fingerprint);
    tap.retarget(&imp.addr);
    s.file("secret.txt", b"not for the impostor");
    let out = nf_via(&s, &tap.addr, "always", Some(&token), &["put", "secret.txt"]);
    assert_fails(&out, 7, "has changed");
    let err = stderr(&out);
    assert!(
        err.contains(&imp.fingerprint) && err.contains(&s.fingerprint),
        "{err}"
    );
    assert!(err.contains(&format!("{}:1", known.display())), "{err}");
    // The same with the real server's fingerprint pinned, and none recorded.
    std::fs::remove_file(&known).unwrap();
    let out = s
        .cmd_via(&tap.addr, &s.work, &["ls", "--fingerprint", &s.fingerprint])
        .env("NF_TOKEN", &token)
        .output()
        .unwrap();
    assert_fails(&out, 7, "is not the one pinned");
    let err = stderr(&out);
    assert!(
        err.contains(&imp.fingerprint) && err.contains(&s.fingerprint),
        "{err}"
    );
    assert!(!known.exists(), "a refused server is not recorded");

    let seen = imp.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for one in &seen {
        assert_only_a_refused_handshake(one, &token);
    }
    // The tap in between saw exactly what the impostor got, and nothing came back but TLS.
    let captures = tap.captures();
    for (capture, one) in captures[1..].iter().zip(&seen) {
        assert_eq!(capture.up, one.raw);
        assert!(tls_records(&capture.down).is_some());
    }
}

#[test]
fn first_use_records_the_server_and_a_changed_key_is_refused_with_both_fingerprints() {
    let mut s = Server::start();
    let known = s.dir.path().join("known_servers");
    let before =
        "# servers nf trusts\nfileserver:8889 sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
    std::fs::write(&known, before).unwrap();
    let out = nf_via(&s, &s.addr, "always", None, &["ls"]);
    ok(&out);
    assert_eq!(stderr(&out), first_use_line(&s, &known));
    let line = format!("{} {}\n", s.addr, s.fingerprint);
    assert_eq!(
        std::fs::read_to_string(&known).unwrap(),
        format!("{before}{line}")
    );
    // Known now: nothing said, nothing added.
    let out = nf_via(&s, &s.addr, "always", None, &["ls"]);
    ok(&out);
    assert_eq!(stderr(&out), "");
    assert_eq!(
        std::fs::read_to_string(&known).unwrap(),
        format!("{before}{line}")
    );

    // The server gets a new key (its identity file deleted): the client refuses it.
    let old = s.fingerprint.clone();
    s.kill();
    std::fs::remove_file(s.identity_file()).unwrap();
    s.spawn();
    assert_ne!(s.fingerprint, old);
    s.file("a.txt", b"kept here");
    let out = nf_via(&s, &s.addr, "always", None, &["put", "a.txt"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "nf: error: the identity of {addr} has changed: it presents {new}, but {old} is \
             recorded for it in {file}:3. Someone may be impersonating it, or its key was \
             replaced: check with its operator (`nf serve --fingerprint` there), then delete \
             that line to trust the new key; nothing was sent\n",
            addr = s.addr,
            new = s.fingerprint,
            file = known.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&known).unwrap(),
        format!("{before}{line}")
    );
    // The refused client made no request: the next one the server logs is the pinned client's.
    let out = ls_pinned(&s, "always");
    ok(&out);
    // (Waited for in the log since the restart: the log before it has list lines too.)
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let since_restart = loop {
        let log = s.log_after(|_| true);
        let since = log.rsplit(&s.fingerprint).next().unwrap().to_string();
        if since.lines().any(|l| l.contains(" list ")) {
            break since;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the pinned ls was never logged: {since}"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let requests: Vec<&str> = since_restart
        .lines()
        .filter(|l| l.contains(" put ") || l.contains(" list ") || l.contains(" hello "))
        .collect();
    assert_eq!(requests.len(), 1, "{since_restart}");
    assert!(s.stored().is_empty());
    // Once the line is deleted, the new key is trusted on first use.
    std::fs::write(&known, before).unwrap();
    ok(&nf_via(&s, &s.addr, "always", None, &["put", "a.txt"]));
    assert_eq!(
        std::fs::read_to_string(&known).unwrap(),
        format!("{before}{} {}\n", s.addr, s.fingerprint)
    );
    assert_eq!(s.read_stored("a.txt"), b"kept here");
}

/// A file of random bytes with `marker` written into it at `places` offsets.
fn marked_file(len: usize, marker: &str, places: &[usize]) -> Vec<u8> {
    let mut content = random_bytes(len, 0x5eed_7e57);
    for &at in places {
        content[at..at + marker.len()].copy_from_slice(marker.as_bytes());
    }
    content
}

#[test]
fn a_relay_between_client_and_server_sees_neither_the_token_nor_the_files_content() {
    let token = random_text("token");
    let marker = random_text("marker");
    let s = Server::with_config(&format!("token = {token:?}"));
    let len = 3 << 20;
    // At the start, across the first 16 KiB record boundary, in the middle and at the end.
    let content = marked_file(len, &marker, &[0, 16384 - 7, len / 2, len - marker.len()]);
    s.file("marked.bin", &content);

    let tap = Tap::start(&s.addr);
    ok(&nf_via(
        &s,
        &tap.addr,
        "always",
        Some(&token),
        &["put", "marked.bin"],
    ));
    let got = s.work.join("back.bin");
    ok(&nf_via(
        &s,
        &tap.addr,
        "always",
        Some(&token),
        &["get", "marked.bin", "-o", got.to_str().unwrap()],
    ));
    assert_same(&std::fs::read(&got).unwrap(), &content, "downloaded over TLS");
    assert_same(&s.read_stored("marked.bin"), &content, "stored");
    let captures = tap.captures();
    assert_eq!(captures.len(), 2);
    for c in &captures {
        assert!(
            c.up.len() + c.down.len() > len,
            "{} and {} bytes",
            c.up.len(),
            c.down.len()
        );
        for (way, bytes) in [("up", &c.up), ("down", &c.down)] {
            assert!(tls_records(bytes).is_some(), "{way}: not TLS records");
            for secret in [&token, &marker, "NF/1", "\"op\""] {
                assert!(!contains(bytes, secret.as_bytes()), "{way} shows {secret}");
            }
        }
    }

    // The same tap on a plaintext connection (allowed on loopback) sees both: it would notice.
    let clear = Tap::start(&s.addr);
    ok(&nf_via(
        &s,
        &clear.addr,
        "never",
        Some(&token),
        &["put", "-f", "marked.bin"],
    ));
    let c = &clear.captures()[0];
    assert!(contains(&c.up, token.as_bytes()) && contains(&c.up, marker.as_bytes()));
}

/// The native error line a plaintext client gets from outside `allow_plaintext_from` (the
/// connection then closes).
fn plaintext_refusal(why: &str) -> serde_json::Value {
    serde_json::json!({
        "ok": false,
        "code": "denied",
        "message": format!(
            "{why}: connect with TLS (nf --tls always; nf uses TLS by itself for servers not on \
             loopback); plaintext is allowed only from allow_plaintext_from"
        ),
        "closing": true,
    })
}

const TOKEN_WHY: &str = "this server has a token, which must not cross a network in clear";

/// A client that tried plaintext with a server that has a token, from outside
/// `allow_plaintext_from`: exit code 7 and the server's refusal, word for word.
fn assert_refused_in_clear(out: &Output) {
    assert_eq!(out.status.code(), Some(7), "{}", stderr(out));
    assert_eq!(
        stderr(out),
        format!(
            "nf: error: {}\n",
            plaintext_refusal(TOKEN_WHY)["message"].as_str().unwrap()
        )
    );
}
const REQUIRE_WHY: &str = "this server requires TLS";

/// A native hello (with `token`) and a list request from `source`; the first reply.
fn hello_from(s: &Server, source: &str, token: Option<&str>) -> (serde_json::Value, Raw) {
    let mut raw = Raw::connect_from(&s.addr, source);
    let hello = match token {
        Some(t) => serde_json::json!({"op": "hello", "client": "test", "token": t}),
        None => serde_json::json!({"op": "hello", "client": "test"}),
    };
    raw.send(format!("NF/1\n{hello}\n{{\"op\":\"list\"}}\n").as_bytes());
    let reply = raw.json();
    (reply, raw)
}

#[test]
fn with_a_token_plaintext_from_outside_allow_plaintext_from_is_refused_even_with_the_right_token() {
    let token = random_text("token");
    let s = Server::with_config(&format!(
        "token = {token:?}\nallow_plaintext_from = \"127.0.0.1/32\""
    ));
    let (reply, mut raw) = hello_from(&s, "127.0.0.2", Some(&token));
    assert_eq!(reply, plaintext_refusal(TOKEN_WHY));
    assert!(raw.closed(), "nothing more is answered");
    let line = s.log_line(|l| l.contains(" 127.0.0.2:"));
    assert!(
        line.contains(" connect - 0 ") && line.contains("error denied:"),
        "{line}"
    );
    // Refused before authentication: no hello was read, so none is logged.
    assert!(!s.log.lock().unwrap().contains(" hello "));
    // An HTTP client from there is told the same, in HTTP.
    let mut http = connect_from(&s.addr, "127.0.0.2");
    http.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    http.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{answer}");
    assert!(answer.contains(TOKEN_WHY), "{answer}");
    // From 127.0.0.1 the same hello is served.
    let (reply, mut raw) = hello_from(&s, "127.0.0.1", Some(&token));
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(raw.json(), serde_json::json!({"ok": true, "count": 0}));
}

#[test]
fn without_a_token_plaintext_is_served_from_anywhere_unless_require_tls() {
    let open = Server::with_config("allow_plaintext_from = \"127.0.0.1/32\"");
    let (reply, mut raw) = hello_from(&open, "127.0.0.2", None);
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(raw.json(), serde_json::json!({"ok": true, "count": 0}));

    let strict = Server::with_config("allow_plaintext_from = \"127.0.0.1/32\"\nrequire_tls = true");
    let (reply, mut raw) = hello_from(&strict, "127.0.0.2", None);
    assert_eq!(reply, plaintext_refusal(REQUIRE_WHY));
    assert!(raw.closed());
    let (reply, _) = hello_from(&strict, "127.0.0.1", None);
    assert_eq!(reply["ok"], true, "{reply}");
    // Over TLS it is served from anywhere (the real client, from 127.0.0.1 outside the list).
    let strictest = Server::with_config("allow_plaintext_from = \"127.0.0.2/32\"\nrequire_tls = true");
    ok(&nf_via(&strictest, &strictest.addr, "always", None, &["ls"]));
}

#[test]
fn tls_never_to_a_server_that_refuses_plaintext_is_a_clear_error() {
    // 127.0.0.1, where the client runs, is outside allow_plaintext_from.
    let s = Server::with_config("allow_plaintext_from = \"127.0.0.2/32\"\nrequire_tls = true");
    let expected = format!(
        "nf: error: {}\n",
        plaintext_refusal(REQUIRE_WHY)["message"].as_str().unwrap()
    );
    for mode in ["never", "auto"] {
        let out = nf_via(&s, &s.addr, mode, None, &["ls"]);
        assert_eq!(out.status.code(), Some(7), "--tls {mode}: {}", stderr(&out));
        assert_eq!(stderr(&out), expected, "--tls {mode}");
        assert!(out.stdout.is_empty());
    }
    let token = random_text("token");
    let s = Server::with_config(&format!(
        "token = {token:?}\nallow_plaintext_from = \"127.0.0.2/32\""
    ));
    let out = nf_via(&s, &s.addr, "never", Some(&token), &["ls"]);
    assert_refused_in_clear(&out);
    ok(&nf_via(&s, &s.addr, "always", Some(&token), &["ls"]));
}

#[test]
fn a_pinned_fingerprint_makes_auto_use_tls_even_on_loopback_and_contradicts_never() {
    let s = Server::start();
    let tap = Tap::start(&s.addr);
    let out = s
        .cmd_via(&tap.addr, &s.work, &["ls", "--fingerprint", &s.fingerprint])
        .output()
        .unwrap();
    ok(&out);
    assert!(
        tls_records(&tap.captures()[0].up).is_some(),
        "auto with a pin is TLS"
    );
    let out = ls_pinned(&s, "never");
    assert_fails(&out, 2, "--tls never");
}

#[test]
fn nf_serve_fingerprint_prints_the_identity_of_the_start_up_line_kept_private_until_rotated() {
    let mut s = Server::start();
    assert_eq!(serve_fingerprint(&s), format!("{}\n", s.fingerprint));
    let mode = std::fs::metadata(s.identity_file()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    // Restarted, the server keeps its identity; deleting the file rotates it.
    let first = s.fingerprint.clone();
    s.kill();
    s.spawn();
    assert_eq!(s.fingerprint, first);
    s.kill();
    std::fs::remove_file(s.identity_file()).unwrap();
    assert_ne!(serve_fingerprint(&s), format!("{first}\n"));
    s.spawn();
    assert_ne!(s.fingerprint, first);
    assert_eq!(serve_fingerprint(&s), format!("{}\n", s.fingerprint));
}

/// PEM text of one DER object.
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A certificate authority of the test's own: its certificate (PEM) and what signs with it.
fn test_ca(name: &str) -> (String, rcgen::CertifiedIssuer<'static, rcgen::KeyPair>) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    let ca = rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap();
    (pem("CERTIFICATE", ca.der()), ca)
}

#[test]
fn a_ca_issued_certificate_from_tls_cert_and_tls_key_is_trusted_through_the_system_roots() {
    // An operator's certificate for 127.0.0.1, issued by a CA (the test's own).
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, ca) = test_ca("nf test CA");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let (cert_file, key_file, ca_file) = (
        dir.path().join("server.crt"),
        dir.path().join("server.key"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert_file, pem("CERTIFICATE", cert.der())).unwrap();
    std::fs::write(&key_file, pem("PRIVATE KEY", &key.serialize_der())).unwrap();
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let (other_ca_pem, _) = test_ca("another CA");
    let other_ca_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca_file, other_ca_pem).unwrap();

    let s = Server::with_config(&format!(
        "tls_cert = {:?}\ntls_key = {:?}\n",
        cert_file.to_str().unwrap(),
        key_file.to_str().unwrap()
    ));
    // It presents that certificate's key, and makes no identity of its own.
    assert_eq!(
        s.fingerprint,
        nf::tls::fingerprint(&key.subject_public_key_info())
    );
    assert!(!s.identity_file().exists());
    assert_eq!(serve_fingerprint(&s), format!("{}\n", s.fingerprint));

    // A client whose system roots hold the CA trusts the server as it is: nothing said,
    // nothing recorded.
    let known = s.dir.path().join("known_servers");
    s.file("a.txt", b"certified");
    let out = s
        .cmd_in(&s.work, &["put", "-q", "a.txt", "--tls", "always"])
        .env("SSL_CERT_FILE", &ca_file)
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(stderr(&out), "");
    assert!(!known.exists(), "a certified server was recorded");
    assert_eq!(s.read_stored("a.txt"), b"certified");
    // One whose roots do not hold it falls back to trust on first use.
    let out = s
        .cmd_in(&s.work, &["ls", "--tls", "always"])
        .env("SSL_CERT_FILE", &other_ca_file)
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(stderr(&out), first_use_line(&s, &known));
    assert_eq!(
        std::fs::read_to_string(&known).unwrap(),
        format!("{} {}\n", s.addr, s.fingerprint)
    );
}

/// Runs `body` on a thread of its own inside a new network namespace in which `addr` is an
/// address of this machine (on its loopback interface, but not a loopback address): a
/// network of one host, with nothing outside it. Needs root; without it the test is skipped,
/// except under CI.
fn in_a_network_of_its_own(addr: &'static str, body: impl FnOnce() + Send + 'static) {
    let thread = std::thread::spawn(move || {
        // SAFETY: unshare affects only this thread (and what it starts).
        #[cfg(target_os = "linux")]
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        #[cfg(not(target_os = "linux"))]
        let rc = -1; // network namespaces are Linux's
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            assert!(
                std::env::var_os("CI").is_none(),
                "cannot make a network namespace ({e}): run the tests as root"
            );
            eprintln!("skipped: cannot make a network namespace ({e}); needs root");
            return;
        }
        for args in [
            &["link", "set", "lo", "up"][..],
            &["addr", "add", &format!("{addr}/32"), "dev", "lo"],
        ] {
            let out = std::process::Command::new("ip")
                .args(args)
                .output()
                .expect("run ip (from iproute2)");
            assert!(out.status.success(), "ip {args:?}: {}", stderr(&out));
        }
        body();
    });
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn the_token_never_crosses_a_network_in_clear_whatever_tls_says() {
    in_a_network_of_its_own("10.77.0.1", || {
        let token = random_text("token");
        let marker = random_text("marker");
        let s = Server::on_host("10.77.0.1", &format!("token = {token:?}"));
        let tap = Tap::start_on("10.77.0.1", &s.addr);
        s.file("marked.bin", &marked_file(256 << 10, &marker, &[0, 100_000]));
        // never: refused by the client before it connects.
        let out = nf_via(&s, &tap.addr, "never", Some(&token), &["put", "marked.bin"]);
        assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "nf: error: refusing to send the token in clear to {}, which is not on loopback: \
                 use TLS (--tls auto or always)\n",
                tap.addr
            )
        );
        assert!(tap.captures().is_empty(), "the client connected");
        // auto and always: TLS, and the first connection records the server.
        for (i, mode) in ["auto", "always"].into_iter().enumerate() {
            let out = nf_via(&s, &tap.addr, mode, Some(&token), &["put", "-f", "marked.bin"]);
            ok(&out);
            let c = &tap.captures()[i];
            assert!(tls_records(&c.up).is_some() && tls_records(&c.down).is_some());
            assert!(!contains(&c.up, token.as_bytes()) && !contains(&c.up, marker.as_bytes()));
        }
        // A client without the token may try plaintext; the server, from this address (outside
        // the default allow_plaintext_from), refuses it before any hello.
        let out = nf_via(&s, &s.addr, "never", None, &["ls"]);
        assert_refused_in_clear(&out);
        let line = s.log_line(|l| l.contains("error denied"));
        assert!(
            line.contains(" 10.77.0.1:") && line.contains(" connect "),
            "{line}"
        );
    });
}
