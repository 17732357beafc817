//! Receipts: an HTTP PUT with `NF-Receipt: 1` is answered with what the server signed, and
//! `nf receipt verify` checks it offline against a key the user trusts, refusing a changed
//! field, another server's key, and a key with no reason to be trusted.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::stand_in::{file_info, line, run_against, stand_in};
use common::*;

/// PUTs `content` as `name` asking for a receipt; the receipt's JSON text.
fn put_with_receipt(s: &Server, name: &str, content: &[u8]) -> String {
    let local = s.file("upload.bin", content);
    let out = Command::new("curl")
        .args([
            "-sS",
            "--fail-with-body",
            "--max-time",
            "60",
            "-H",
            "NF-Receipt: 1",
            "-T",
        ])
        .arg(&local)
        .arg(format!("http://{}/{name}", s.addr))
        .stdin(Stdio::null())
        .output()
        .expect("curl is installed (.ci/run installs it)");
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// `nf receipt verify ARGS` with the client settings of `known` (a known-servers file).
fn verify(known: &Path, args: &[&str]) -> Output {
    Command::new(NF)
        .args(["receipt", "verify"])
        .args(args)
        .env("NF_CONFIG", "/dev/null")
        .env("NF_KNOWN_SERVERS", known)
        .stdin(Stdio::null())
        .output()
        .expect("run nf")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_http_put_returns_a_receipt_that_verifies_against_the_servers_key_only() {
    let s = Server::start();
    let content = random_bytes(100_000, 7);
    let text = put_with_receipt(&s, "essay.pdf", &content);
    let receipt: serde_json::Value = serde_json::from_str(&text).expect("a JSON receipt");
    assert_eq!(receipt["receipt"], 1);
    assert_eq!(receipt["server"], s.fingerprint.as_str());
    assert_eq!(receipt["path"], "essay.pdf");
    assert_eq!(receipt["size"], 100_000);
    assert_eq!(receipt["blake3"], blake3_hex(&content).as_str());
    assert_eq!(receipt["principal"], "anonymous");
    assert_eq!(receipt["scheme"], "ecdsa-p256-sha256");
    assert_same(&s.read_stored("essay.pdf"), &content, "stored");

    let dir = s.dir.path();
    let file = write(dir, "r.json", &text);
    let r = file.to_str().unwrap();
    let nobody = dir.join("known-none");

    // Against the fingerprint given: valid, and the local file is that content.
    let local = s.file("copy.pdf", &content);
    let out = verify(
        &nobody,
        &[
            r,
            "--fingerprint",
            &s.fingerprint,
            "--file",
            local.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with(&format!(
            "{r}: valid: {} (given with --fingerprint) accepted \"essay.pdf\" (100000 bytes, BLAKE3 {})",
            s.fingerprint,
            blake3_hex(&content)
        )),
        "{said}"
    );

    // Against the key recorded for a server in known_servers.
    let known = write(
        dir,
        "known",
        &format!("# servers\n10.0.0.5:8889 {}\n", s.fingerprint),
    );
    let out = verify(&known, &[r]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("valid: 10.0.0.5:8889 ("),
        "{}",
        stderr(&out)
    );

    // No reason to trust the key: refused, exit 6.
    let out = verify(&nobody, &[r]);
    assert_fails(&out, 6, "a key with no reason to be trusted");

    // Another server's fingerprint.
    let other = Server::start();
    let out = verify(&nobody, &[r, "--fingerprint", &other.fingerprint]);
    assert_fails(&out, 6, "not by the server you trust");

    // A changed field.
    let changed = text.replace("\"essay.pdf\"", "\"essay2.pdf\"");
    let tampered = write(dir, "t.json", &changed);
    let out = verify(
        &nobody,
        &[tampered.to_str().unwrap(), "--fingerprint", &s.fingerprint],
    );
    assert_fails(&out, 6, "the signature does not match");

    // A local file that is not the content.
    let wrong = s.file("wrong.pdf", b"not the essay");
    let out = verify(
        &nobody,
        &[
            r,
            "--fingerprint",
            &s.fingerprint,
            "--file",
            wrong.to_str().unwrap(),
        ],
    );
    assert_fails(&out, 6, "is not the content it states");
}

#[test]
fn without_the_field_a_put_answers_the_entry_as_before() {
    let s = Server::start();
    let local = s.file("a.txt", b"AAA");
    let out = Command::new("curl")
        .args(["-sS", "--fail-with-body", "--max-time", "60", "-T"])
        .arg(&local)
        .arg(format!("http://{}/a.txt", s.addr))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let entry: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entry["name"], "a.txt");
    assert!(entry.get("signature").is_none(), "{entry}");
}

/// The code block that follows `marker` in docs/PROTOCOL.md.
fn doc_block(marker: &str) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).unwrap();
    let at = doc
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in PROTOCOL.md"));
    let rest = &doc[at..];
    let open = rest.find("```").unwrap();
    let body = &rest[open..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn the_worked_example_in_protocol_md_verifies_and_its_signed_text_is_exact() {
    let json = doc_block("<!-- receipt-example -->");
    let receipt: nf::receipt::Receipt = serde_json::from_str(json.trim()).unwrap();
    receipt
        .verify(&receipt.server.clone())
        .expect("the documented receipt verifies");
    assert_eq!(receipt.blake3, blake3_hex(b"My essay, final version.\n"));
    assert_eq!(receipt.size, 25);
    let text = doc_block("<!-- receipt-text -->");
    assert_eq!(
        text,
        format!(
            "nf receipt 1\nserver: {}\npath: {}\nsize: {}\nblake3: {}\ncommitted: {}\nprincipal: {}\n",
            receipt.server, receipt.path, receipt.size, receipt.blake3, receipt.committed, receipt.principal
        )
    );
    // One changed field and it no longer verifies.
    let changed = nf::receipt::Receipt {
        principal: "bob".into(),
        ..receipt.clone()
    };
    assert!(changed.verify(&receipt.server).is_err());
}

#[test]
fn receipts_still_verify_after_the_server_restarts_with_the_same_identity() {
    let mut s = Server::start();
    let text = put_with_receipt(&s, "a.txt", b"first");
    let before = s.fingerprint.clone();
    s.kill();
    s.spawn();
    assert_eq!(s.fingerprint, before, "same identity after a restart");
    let again = put_with_receipt(&s, "b.txt", b"second");
    let dir = s.dir.path();
    for (name, text) in [("1.json", &text), ("2.json", &again)] {
        let file = write(dir, name, text);
        let out = verify(
            &dir.join("none"),
            &[file.to_str().unwrap(), "--fingerprint", &before],
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
}

/// The receipt in the JSON file `path`, parsed.
fn receipt_at(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.ends_with("}\n"), "one JSON object and a line end: {text}");
    serde_json::from_str(&text).expect("a JSON receipt")
}

/// Asserts that the receipt at `path` states `name` with `content`, sent by `principal`, and
/// that `nf receipt verify` finds it signed by `s` (and `local` to be that content).
fn assert_receipt(s: &Server, path: &Path, name: &str, content: &[u8], principal: &str) {
    let receipt = receipt_at(path);
    assert_eq!(receipt["server"], s.fingerprint.as_str(), "{receipt}");
    assert_eq!(receipt["path"], name, "{receipt}");
    assert_eq!(receipt["size"], content.len() as u64, "{receipt}");
    assert_eq!(receipt["blake3"], blake3_hex(content).as_str(), "{receipt}");
    assert_eq!(receipt["principal"], principal, "{receipt}");
    let local = s.dir.path().join("local-copy");
    std::fs::write(&local, content).unwrap();
    let out = verify(
        &s.dir.path().join("known-none"),
        &[
            path.to_str().unwrap(),
            "--fingerprint",
            &s.fingerprint,
            "--file",
            local.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}: {}", path.display(), stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!(
            "valid: {} (given with --fingerprint) accepted \"{name}\"",
            s.fingerprint
        )),
        "{said}"
    );
}

#[test]
fn nf_put_with_receipt_writes_one_that_verifies_against_the_servers_key() {
    let s = Server::start();
    let content = random_bytes(70_000, 3);
    s.file("a.txt", &content);
    let out = s.nf(&["put", "a.txt", "--receipt", "r.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&s.read_stored("a.txt"), &content, "stored");
    assert_receipt(&s, &s.work.join("r.json"), "a.txt", &content, "anonymous");

    // A stream (standard input, sent in chunks) gets one too.
    let mut cmd = s.cmd_in(&s.work, &["put", "-", "--as", "piped.txt", "--receipt", "p.json"]);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"from a pipe\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_receipt(
        &s,
        &s.work.join("p.json"),
        "piped.txt",
        b"from a pipe\n",
        "anonymous",
    );

    // One receipt file cannot take two uploads: refused before anything is sent.
    s.file("b.txt", b"B");
    let out = s.nf(&["put", "a.txt", "b.txt", "-f", "--receipt", "two.json"]);
    assert_fails(&out, 2, "--receipt two.json/) for one receipt per upload");
    assert!(!s.work.join("two.json").exists());
    assert!(!s.names().contains(&"b.txt".to_string()), "{:?}", s.names());
}

#[test]
fn put_r_with_a_receipt_directory_writes_one_verifying_receipt_per_file() {
    let s = Server::start();
    let files: [(&str, &[u8]); 3] = [
        ("tree/a.txt", b"first file\n"),
        ("tree/sub/b.txt", b"second file\n"),
        ("tree/sub/100%.txt", b"third\n"),
    ];
    for (name, content) in files {
        let path = s.work.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let out = s.nf(&["put", "-r", "tree", "--receipt", "out/"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut written: Vec<String> = std::fs::read_dir(s.work.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "tree%2Fa.txt.receipt.json",
            "tree%2Fsub%2F100%25.txt.receipt.json",
            "tree%2Fsub%2Fb.txt.receipt.json",
        ]
    );
    for (name, content) in files {
        let receipt = s
            .work
            .join("out")
            .join(name.replace('%', "%25").replace('/', "%2F") + ".receipt.json");
        assert_receipt(&s, &receipt, name, content, "anonymous");
    }

    // An existing directory takes them too, without the slash.
    s.file("c.txt", b"C");
    let out = s.nf(&["put", "c.txt", "--receipt", "out"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_receipt(
        &s,
        &s.work.join("out/c.txt.receipt.json"),
        "c.txt",
        b"C",
        "anonymous",
    );
}

#[test]
fn a_refused_put_writes_no_receipt() {
    let s = Server::start();
    s.file("a.txt", b"the first");
    let out = s.nf(&["put", "a.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    s.file("a.txt", b"the second");
    for receipt in ["r.json", "out/"] {
        let out = s.nf(&["put", "a.txt", "--receipt", receipt]);
        assert_fails(&out, 4, "already exists");
        assert!(!s.work.join(receipt).exists(), "{receipt} was written");
    }
    assert_eq!(s.read_stored("a.txt"), b"the first");
    // Already there whole: --resume sends nothing, so the server signs nothing.
    s.file("a.txt", b"the first");
    let out = s.nf(&["put", "a.txt", "--resume", "--receipt", "r.json"]);
    assert_fails(
        &out,
        4,
        "\"a.txt\" is already on the server whole, so nothing was uploaded",
    );
    assert!(!s.work.join("r.json").exists());
    let mut left: Vec<_> = std::fs::read_dir(&s.work)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["a.txt"], "no receipt nor temporary file");
}

#[test]
fn a_logged_in_users_receipt_names_the_user() {
    let mut s = Server::unstarted("");
    let access = s.dir.path().join("access.toml");
    let hash = nf::service::password::hash("carol-Pw-31b7").unwrap();
    std::fs::write(
        &access,
        format!(
            "[users.carol]\npassword = \"{hash}\"\n\n[[allow]]\nwho = [\"carol\"]\npath = \"/\"\n\
             rights = [\"list\", \"read\", \"write\"]\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&access, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let config = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("{config}access_file = {access:?}\n")).unwrap();
    s.spawn();
    s.file("essay.txt", b"carol's essay\n");
    let out = s
        .cmd_in(&s.work, &["put", "essay.txt", "--receipt", "r.json"])
        .env("NF_USER", "carol")
        .env("NF_PASSWORD", "carol-Pw-31b7")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_receipt(
        &s,
        &s.work.join("r.json"),
        "essay.txt",
        b"carol's essay\n",
        "carol",
    );
}

#[test]
fn a_server_that_answers_without_a_receipt_fails_the_put_clearly_and_writes_none() {
    let s = Server::start();
    s.file("a.txt", b"AAA");
    // An older server: it ignores the put's "receipt" field and answers with the entry alone.
    let (addr, server) = stand_in(|input, out| {
        let header: serde_json::Value = serde_json::from_str(&line(input)).unwrap();
        let mut body = vec![0; header["size"].as_u64().unwrap() as usize];
        input.read_exact(&mut body).unwrap();
        line(input);
        let mut reply = file_info("a.txt", &body);
        reply["ok"] = true.into();
        writeln!(out, "{reply}").unwrap();
        out.flush().unwrap();
        header
    });
    let (header, out) = run_against(&s, &addr, &["put", "a.txt", "--receipt", "r.json"], server);
    assert_eq!(header["receipt"], true, "{header}");
    assert_fails(&out, 1, "\"a.txt\" was uploaded, but the server sent no receipt");
    assert!(!s.work.join("r.json").exists());
}
