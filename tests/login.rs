//! Logging in (issue 24): the native hello's user and secret (plain on loopback, and TLS),
//! HTTP Basic and `Bearer NAME:SECRET`, each with the right password, a wrong one, an unknown
//! user and none; one answer for a wrong password and an unknown user; no secret in any log
//! line or error; guessing slowed per address and user name; verified logins remembered; and
//! a student's rights applied on disk.

mod common;

use std::process::{Command, Output, Stdio};

use common::*;

const ALICE: &str = "alice-Pw-7d1f3";
const BOB: &str = "bob-Pw-9a2c4";
const WRONG: &str = "wrong-Pw-55e0b";
const MESSAGE: &str = "wrong user name or password";

/// A class server: alice and bob are students (each may hand in work under
/// `/submissions/{user}`), everyone reads `/pub`. `args` go to `nf serve`.
fn class(args: &[&str]) -> Server {
    let mut s = Server::unstarted("");
    let file = s.dir.path().join("access.toml");
    let hash = |secret| nf::service::password::hash(secret).unwrap();
    let text = format!(
        "[users.alice]\npassword = \"{}\"\ngroups = [\"students\"]\n\n\
         [users.bob]\npassword = \"{}\"\ngroups = [\"students\"]\n\n\
         [[allow]]\nwho = [\"*\"]\npath = \"/pub\"\nrights = [\"list\", \"read\"]\n\n\
         [[allow]]\nwho = [\"@students\"]\npath = \"/submissions/{{user}}\"\n\
         rights = [\"list\", \"read\", \"write\", \"overwrite\"]\n",
        hash(ALICE),
        hash(BOB)
    );
    std::fs::write(&file, text).unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let config = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!("{config}access_file = {:?}\n", file.to_str().unwrap()),
    )
    .unwrap();
    s.args = args.iter().map(|a| a.to_string()).collect();
    s.spawn();
    for dir in ["pub", "submissions/alice", "submissions/bob"] {
        std::fs::create_dir_all(s.root.join(dir)).unwrap();
    }
    std::fs::write(s.root.join("pub/notes.txt"), b"read me\n").unwrap();
    s
}

/// `nf ARGS` as `user` with `password` (`--user`, NF_PASSWORD), TLS as `tls` says.
fn nf_as(s: &Server, tls: &str, login: Option<(&str, &str)>, args: &[&str]) -> Output {
    let mut cmd = s.cmd_in(&s.work, args);
    cmd.args(["--tls", tls]);
    if tls == "always" {
        cmd.args(["--fingerprint", &s.fingerprint]);
    } else {
        cmd.env_remove("NF_FINGERPRINT");
    }
    if let Some((user, password)) = login {
        cmd.args(["--user", user]).env("NF_PASSWORD", password);
    }
    cmd.output().expect("run nf")
}

/// The hello of a raw native connection from `source` with `user` and `secret`: its reply.
fn hello_from(s: &Server, source: &str, user: &str, secret: &str) -> serde_json::Value {
    let mut raw = Raw::connect_from(&s.addr, source);
    let hello = serde_json::json!({"op": "hello", "client": "test", "user": user, "secret": secret});
    raw.send(format!("NF/1\n{hello}\n").as_bytes());
    raw.json()
}

/// No secret used in these tests is in the server's log.
fn assert_no_secret_logged(s: &Server) {
    let log = s.log.lock().unwrap().clone();
    for secret in [ALICE, BOB, WRONG] {
        assert!(!log.contains(secret), "the secret {secret} is in the log:\n{log}");
    }
}

#[test]
fn native_logins_plain_and_over_tls_right_wrong_unknown_and_none() {
    let s = class(&[]);
    for tls in ["never", "always"] {
        let ok = nf_as(
            &s,
            tls,
            Some(("alice", ALICE)),
            &["ls", "--json", "submissions/alice"],
        );
        assert!(ok.status.success(), "{tls}: {}", stderr(&ok));
        assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "[]", "{tls}");
        let wrong = nf_as(&s, tls, Some(("alice", WRONG)), &["ls", "submissions/alice"]);
        let unknown = nf_as(&s, tls, Some(("mallory", ALICE)), &["ls", "submissions/alice"]);
        assert_fails(&wrong, 7, MESSAGE);
        assert_fails(&unknown, 7, MESSAGE);
        assert_eq!(
            stderr(&wrong),
            stderr(&unknown),
            "{tls}: the same answer for both"
        );
        for out in [&wrong, &unknown] {
            assert!(!stderr(out).contains(WRONG) && !stderr(out).contains(ALICE));
        }
        // No credentials: anonymous, with exactly its rights.
        let anonymous = nf_as(&s, tls, None, &["ls", "--json", "pub"]);
        assert!(anonymous.status.success(), "{tls}: {}", stderr(&anonymous));
        assert!(String::from_utf8_lossy(&anonymous.stdout).contains("notes.txt\""));
        // A name anonymous may not see is not found, as if it did not exist.
        let hidden = nf_as(&s, tls, None, &["ls", "submissions/alice"]);
        assert_fails(&hidden, 3, "");
    }
    // Each failure is one line a fail2ban filter can match, with the name and not the secret.
    let line = s.log_line(|l| l.contains(" login failed for \"mallory\": "));
    assert!(
        line.contains(" 127.0.0.1 login failed for \"mallory\": wrong user name or password"),
        "{line}"
    );
    let failures = s
        .log
        .lock()
        .unwrap()
        .lines()
        .filter(|l| l.contains(" login failed for "))
        .count();
    assert_eq!(
        failures, 4,
        "two wrong passwords and two unknown users, one line each"
    );
    assert_no_secret_logged(&s);
}

#[test]
fn http_basic_and_bearer_right_wrong_unknown_and_none() {
    let s = class(&[]);
    std::fs::write(s.root.join("submissions/alice/hw.txt"), b"alice's work\n").unwrap();
    let path = "/submissions/alice/hw.txt";
    let basic = |user: &str, secret: &str| curl_response(&s, path, &["-u", &format!("{user}:{secret}")]);
    let bearer = |value: &str| curl_response(&s, path, &["-H", &format!("Authorization: Bearer {value}")]);

    let (status, _, body) = basic("alice", ALICE);
    assert_eq!((status, body.as_str()), (200, "alice's work\n"));
    let (status, _, body) = bearer(&format!("alice:{ALICE}"));
    assert_eq!((status, body.as_str()), (200, "alice's work\n"));

    let mut refusals = Vec::new();
    for (status, fields, body) in [
        basic("alice", WRONG),
        basic("mallory", ALICE),
        bearer(&format!("alice:{WRONG}")),
        bearer(&format!("mallory:{ALICE}")),
    ] {
        assert_eq!(status, 401, "{body}");
        assert_eq!(
            field(&fields, "www-authenticate"),
            Some("Basic realm=\"nf\", charset=\"UTF-8\"")
        );
        assert!(
            body.contains(MESSAGE) && !body.contains(ALICE) && !body.contains(WRONG),
            "{body}"
        );
        refusals.push(body);
    }
    assert!(
        refusals.windows(2).all(|w| w[0] == w[1]),
        "one answer: {refusals:?}"
    );

    // No credentials: a name hidden from anonymous asks to log in (whether it exists or not).
    for hidden in [path, "/submissions/alice/none.txt"] {
        let (status, fields, _) = curl_response(&s, hidden, &[]);
        assert_eq!(status, 401, "{hidden}");
        assert!(field(&fields, "www-authenticate").is_some());
    }
    let (status, _, body) = curl_response(&s, "/pub/notes.txt", &[]);
    assert_eq!((status, body.as_str()), (200, "read me\n"));
    // The page's "log in" link makes the browser ask.
    let (status, fields, _) = curl_response(&s, "/pub/?login", &[]);
    assert_eq!(status, 401);
    assert!(field(&fields, "www-authenticate").is_some());
    // A logged-in user who lacks a right is refused, not asked to log in.
    let (status, fields, body) = curl_response(
        &s,
        "/pub/new.txt",
        &["-u", &format!("bob:{BOB}"), "-X", "PUT", "--data-binary", "x"],
    );
    assert_eq!(status, 403, "{body}");
    assert!(field(&fields, "www-authenticate").is_none());
    assert!(body.contains("bob has no write right"), "{body}");
    assert!(!s.root.join("pub/new.txt").exists());
    assert_no_secret_logged(&s);
}

#[test]
fn the_folder_page_says_who_is_logged_in_and_offers_only_what_they_may_do() {
    let s = class(&[]);
    let (status, _, page) = curl_response(&s, "/pub/", &[]);
    assert_eq!(status, 200);
    assert!(
        page.contains("Not logged in · <a href=\"?login\">Log in</a>"),
        "{page}"
    );
    assert!(
        !page.contains("type=\"file\"") && !page.contains("class=\"delete\""),
        "{page}"
    );
    let (status, _, page) = curl_response(&s, "/submissions/alice/", &["-u", &format!("alice:{ALICE}")]);
    assert_eq!(status, 200);
    assert!(page.contains("Logged in as alice"), "{page}");
    assert!(
        page.contains("type=\"file\""),
        "alice may write in her folder: {page}"
    );
    assert!(!page.contains("class=\"delete\""), "but not delete: {page}");
}

#[test]
fn the_sixth_wrong_password_waits_and_a_classmate_behind_the_same_address_does_not() {
    let s = class(&[]);
    let nat = "127.0.0.7";
    for i in 0..5 {
        let reply = hello_from(&s, nat, "alice", WRONG);
        assert_eq!(reply["code"], "auth", "try {i}: {reply}");
        assert_eq!(reply["message"], MESSAGE, "try {i}");
    }
    let reply = hello_from(&s, nat, "alice", ALICE);
    assert_eq!(reply["code"], "auth", "{reply}");
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.contains("too many wrong passwords") && message.contains("wait"),
        "{message}"
    );
    let classmate = hello_from(&s, nat, "bob", BOB);
    assert_eq!(classmate["ok"], true, "bob is not slowed: {classmate}");
    let elsewhere = hello_from(&s, "127.0.0.8", "alice", ALICE);
    assert_eq!(
        elsewhere["ok"], true,
        "another address is not slowed: {elsewhere}"
    );
    s.log_line(|l| l.contains("127.0.0.7 guessing the password of \"alice\": "));
    assert_no_secret_logged(&s);
}

#[test]
fn a_verified_login_is_remembered_so_short_runs_pay_argon2_once() {
    let s = class(&["-v"]);
    for _ in 0..3 {
        let out = nf_as(&s, "auto", Some(("alice", ALICE)), &["ls", "submissions/alice"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    for _ in 0..3 {
        let (status, _, _) = curl_response(&s, "/submissions/alice/", &["-u", &format!("alice:{ALICE}")]);
        assert_eq!(status, 200);
    }
    let log = s.log.lock().unwrap().clone();
    let checked = log
        .lines()
        .filter(|l| l.contains("checked the password of \"alice\""))
        .count();
    assert_eq!(checked, 1, "one argon2 check for six logins:\n{log}");
}

#[test]
fn a_student_hands_in_work_only_into_their_own_folder() {
    let s = class(&[]);
    let work = s.file("hw.txt", b"my homework\n");
    let put_as = |login, name: &str| nf_as(&s, "auto", login, &["put", work.to_str().unwrap(), "--as", name]);
    let alice = Some(("alice", ALICE));
    let own = put_as(alice, "submissions/alice/hw.txt");
    assert!(own.status.success(), "{}", stderr(&own));
    assert_eq!(
        std::fs::read(s.root.join("submissions/alice/hw.txt")).unwrap(),
        b"my homework\n"
    );
    // Bob's folder is hidden from alice: a put there is refused for the right, as it would be
    // if the folder did not exist; nothing stored.
    assert_fails(
        &put_as(alice, "submissions/bob/hw.txt"),
        7,
        "alice has no write right on \"submissions/bob/hw.txt\"",
    );
    assert!(!s.root.join("submissions/bob/hw.txt").exists());
    let anonymous = put_as(None, "pub/hw.txt");
    assert_fails(&anonymous, 7, "anonymous users have no write right");
    assert!(!s.root.join("pub/hw.txt").exists());
}

#[test]
fn a_login_is_refused_clearly_without_users_or_without_a_password() {
    let open = Server::start();
    let out = nf_as(&open, "auto", Some(("alice", ALICE)), &["ls"]);
    assert_fails(&out, 7, "this server has no users");
    let s = class(&[]);
    // No NF_PASSWORD and no terminal (setsid: no controlling terminal) to ask on.
    let mut cmd = Command::new("setsid");
    cmd.arg("-w")
        .arg(NF)
        .args(["ls", "-s", &s.addr])
        .env("NF_USER", "alice")
        .env_remove("NF_PASSWORD")
        .env("NF_CONFIG", s.dir.path().join("client-none.toml"))
        .env("NF_KNOWN_SERVERS", s.dir.path().join("known_servers"))
        .stdin(Stdio::null());
    std::fs::write(s.dir.path().join("client-none.toml"), "").unwrap();
    let out = cmd.output().expect("setsid");
    assert_fails(&out, 2, "set NF_PASSWORD");
}
