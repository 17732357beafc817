//! The access file's management and its life in a running server: `nf user add | passwd | rm |
//! ls` edit it in place (the rest of the file byte for byte, mode 0600, a bad file refused with
//! `file:line`), `nf access check` explains the class example, and `nf serve` reloads it on
//! SIGHUP and when it changes, under an open connection, keeping the old rules after a bad
//! edit or when the file is gone.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;
use nf::service::access::Access;
use nf::service::password;

/// `nf ARGS` for the access file `file`, with `stdin` as its standard input; no config file
/// and no `NF_*` variable of the environment running the tests.
fn nf_admin(file: &Path, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(NF);
    cmd.args(args);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("NF_") {
            cmd.env_remove(var);
        }
    }
    let mut child = cmd
        .env("NF_CONFIG", "/dev/null")
        .env("NF_ACCESS_FILE", file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nf");
    // nf may end before it reads (a refusal): a closed pipe is no failure of the test.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().expect("wait for nf")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn assert_ok(out: &Output) {
    assert!(out.status.success(), "nf failed: {}", stderr(out));
}

/// The password hash of `user` in `file`.
fn hash_of(file: &Path, user: &str) -> String {
    Access::load(file).unwrap().users[user].password.clone()
}

fn mode_of(file: &Path) -> u32 {
    std::fs::metadata(file).unwrap().permissions().mode() & 0o777
}

/// A hand-written file: comments, a user, rules.
fn hand_written() -> String {
    format!(
        "# The class of 2026.\n\n[users.teacher]   # the one who marks\npassword = \"{}\"\n\n\
         # Rules: everyone reads /pub.\n[[allow]]\nwho = [\"*\"]\npath = \"/pub\"   # notes\n\
         rights = [\"list\", \"read\"]\n",
        password::hash("marks").unwrap()
    )
}

#[test]
fn user_add_passwd_and_rm_edit_only_their_table_and_ls_shows_no_hash() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.toml");
    let original = hand_written();
    std::fs::write(&file, &original).unwrap();
    std::fs::set_permissions(&file, PermissionsExt::from_mode(0o600)).unwrap();

    let out = nf_admin(
        &file,
        &["user", "add", "alice", "--group", "students"],
        "s3cret pw\n",
    );
    assert_ok(&out);
    assert_eq!(
        stderr(&out),
        format!("nf: added user alice to {}\n", file.display())
    );
    let first = hash_of(&file, "alice");
    assert!(password::verify(&first, "s3cret pw"));
    // The new table comes right after the teacher's; every other byte stays.
    let at = original.find("\n# Rules").unwrap();
    let added = format!(
        "{}\n[users.alice]\npassword = \"{first}\"\ngroups = [\"students\"]\n{}",
        &original[..at],
        &original[at..]
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), added);
    assert_eq!(mode_of(&file), 0o600);

    let out = nf_admin(&file, &["user", "ls", "--json"], "");
    assert_ok(&out);
    assert_eq!(
        stdout(&out),
        "[{\"groups\":[\"students\"],\"name\":\"alice\"},{\"groups\":[],\"name\":\"teacher\"}]\n"
    );
    let out = nf_admin(&file, &["user", "ls"], "");
    assert_eq!(stdout(&out), "alice    students\nteacher\n");

    let out = nf_admin(&file, &["user", "passwd", "alice"], "n3w\r\n");
    assert_ok(&out);
    let second = hash_of(&file, "alice");
    assert_ne!(second, first);
    assert!(password::verify(&second, "n3w"));
    assert!(!password::verify(&second, "s3cret pw"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        added.replace(&first, &second)
    );

    let out = nf_admin(&file, &["user", "add", "alice"], "x\n");
    assert_fails(&out, 4, "user alice exists already");
    let out = nf_admin(&file, &["user", "rm", "alice"], "");
    assert_ok(&out);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    assert_eq!(mode_of(&file), 0o600);
    let out = nf_admin(&file, &["user", "rm", "alice"], "");
    assert_fails(&out, 3, "no user named alice in");
}

#[test]
fn the_first_user_add_makes_an_owner_only_file_and_a_generated_password_is_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nf/new/access.toml");

    let out = nf_admin(&file, &["user", "add", "bob"], "\n");
    assert_fails(&out, 2, "the password is empty; nothing changed");
    assert!(!file.exists());
    let out = nf_admin(&file, &["user", "add", "a/b"], "pw\n");
    assert_fails(&out, 2, "invalid user name \"a/b\"");
    let out = nf_admin(&file, &["user", "add", "bob", "--group", "@staff"], "pw\n");
    assert_fails(&out, 2, "invalid group name");
    assert!(!file.exists());

    let out = nf_admin(&file, &["user", "add", "bob", "--generate"], "");
    assert_ok(&out);
    let secret = stdout(&out);
    let secret = secret.strip_suffix('\n').expect("one line");
    assert_eq!(secret.len(), 32, "{secret:?}");
    assert!(password::verify(&hash_of(&file, "bob"), secret));
    assert_eq!(mode_of(&file), 0o600);
    assert_eq!(mode_of(file.parent().unwrap()), 0o700);
    // Nothing but the file itself is left in its directory (no temporary file).
    let names: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["access.toml"]);
}

#[test]
fn users_added_at_the_same_time_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.toml");
    let names: Vec<String> = (0..6).map(|i| format!("student{i}")).collect();
    let adds: Vec<_> = names
        .iter()
        .map(|name| {
            let file = file.clone();
            let name = name.clone();
            std::thread::spawn(move || nf_admin(&file, &["user", "add", &name], "pw\n"))
        })
        .collect();
    for add in adds {
        assert_ok(&add.join().unwrap());
    }
    let kept: Vec<String> = Access::load(&file).unwrap().users.into_keys().collect();
    assert_eq!(kept, names);
}

#[test]
fn a_file_that_does_not_parse_is_refused_with_its_line_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.toml");
    let bad = "[[allow]]\nwho = [\"*\"]\nrights = [\"list\", \"fly\"]\npath = \"/\"\n";
    std::fs::write(&file, bad).unwrap();
    for (args, stdin) in [
        (&["user", "add", "bob"][..], "pw\n"),
        (&["user", "ls"][..], ""),
        (&["access", "check", "anonymous", "/"][..], ""),
    ] {
        let out = nf_admin(&file, args, stdin);
        assert_fails(&out, 2, &format!("{}:3: unknown right \"fly\"", file.display()));
        assert!(out.stdout.is_empty());
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), bad);
}

/// The class example of issue 24, lines numbered as the file has them.
fn class(file: &Path) {
    let hash = password::hash("pw").unwrap();
    std::fs::write(
        file,
        format!(
            "[users.alice]\npassword = \"{hash}\"\ngroups = [\"students\"]\n\n\
             [users.teacher]\npassword = \"{hash}\"\n\n\
             [[allow]]\nwho = [\"*\"]\npath = \"/pub\"\nrights = [\"list\", \"read\"]\n\n\
             [[allow]]\nwho = [\"@students\"]\npath = \"/submissions/{{user}}\"\n\
             rights = [\"list\", \"read\", \"write\", \"overwrite\"]\n\n\
             [[allow]]\nwho = [\"teacher\"]\npath = \"/\"\nrights = [\"all\"]\n"
        ),
    )
    .unwrap();
}

#[test]
fn access_check_explains_the_class_example() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.toml");
    class(&file);
    let f = file.display();
    let cases = [
        (
            "alice",
            "/submissions/alice/essay.txt",
            format!(
                "alice at /submissions/alice/essay.txt: list, read, write, overwrite\n  \
                 {f}:13: @students on /submissions/{{user}} gives list, read, write, overwrite\n"
            ),
        ),
        (
            "alice",
            "/submissions",
            "alice at /submissions: none\n  traversable: alice may list it, seeing only the names \
             that lead to their grants\n"
                .to_string(),
        ),
        (
            "alice",
            "submissions/bob/essay.txt",
            "alice at /submissions/bob/essay.txt: none\n  hidden: alice is told there is no such \
             file (no rule lets them list its folder)\n"
                .to_string(),
        ),
        (
            "anonymous",
            "/pub/notes.pdf",
            format!("anonymous at /pub/notes.pdf: list, read\n  {f}:8: * on /pub gives list, read\n"),
        ),
        (
            "teacher",
            "/pub",
            format!(
                "teacher at /pub: list, read, write, overwrite, delete\n  {f}:8: * on /pub gives \
                 list, read\n  {f}:18: teacher on / gives list, read, write, overwrite, delete\n"
            ),
        ),
    ];
    for (user, path, want) in cases {
        let out = nf_admin(&file, &["access", "check", user, path], "");
        assert_ok(&out);
        assert_eq!(stdout(&out), want, "{user} {path}");
    }
    let out = nf_admin(&file, &["access", "check", "alice", "/submissions", "--json"], "");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"user": "alice", "path": "/submissions", "rights": [], "hidden": false,
                           "traversable": true, "rules": [],
                           "limits": {"max_file_size": null, "quotas": [], "deadlines": []}})
    );
    let out = nf_admin(&file, &["access", "check", "mallory", "/"], "");
    assert_fails(&out, 3, "no user named mallory in");

    // A hand-in whose deadline passed: the rule is shown with what it gives now.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(
        "\n[[allow]]\nwho = [\"@students\"]\npath = \"/hand-in\"\nrights = [\"list\", \"write\"]\n\
         until = \"2020-01-01T00:00:00Z\"\n",
    );
    std::fs::write(&file, text).unwrap();
    let out = nf_admin(&file, &["access", "check", "alice", "/hand-in"], "");
    assert_eq!(
        stdout(&out),
        format!(
            "alice at /hand-in: list\n  {f}:23: @students on /hand-in gave list, write until \
             2020-01-01T00:00:00Z; now list\n  deadline: 2020-01-01T00:00:00Z \
             (2020-01-01T00:00:00Z), passed ({f}:23)\n"
        )
    );
}

/// Waits until the server has logged `n` lines holding `needle`.
fn wait_for_lines(s: &Server, needle: &str, n: usize) {
    let arrived = wait_until(Duration::from_secs(30), || {
        s.log
            .lock()
            .unwrap()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
            >= n
    });
    assert!(
        arrived,
        "not {n} lines with {needle:?} in:\n{}",
        s.log.lock().unwrap()
    );
}

/// Lists `secret` on the raw connection: the names, or the error code.
fn list_secret(raw: &mut Raw) -> Result<Vec<String>, String> {
    raw.send(b"{\"op\":\"list\",\"path\":\"secret\"}\n");
    let mut names = Vec::new();
    for _ in 0..100 {
        let line = raw.json();
        match (line["ok"].as_bool(), line["name"].as_str()) {
            (Some(true), _) => return Ok(names),
            (Some(false), _) => return Err(line["code"].as_str().unwrap_or("").to_string()),
            (None, Some(name)) => names.push(name.to_string()),
            (None, None) => panic!("unexpected reply {line}"),
        }
    }
    panic!("no end to the listing");
}

/// Puts an access file of rules only in place (by a rename, as editors save): `*` may list
/// and read `path`.
fn rules_for_all(file: &PathBuf, path: &str) {
    let text = format!("[[allow]]\nwho = [\"*\"]\npath = \"{path}\"\nrights = [\"list\", \"read\"]\n");
    let next = file.with_extension("next");
    std::fs::write(&next, text).unwrap();
    std::fs::set_permissions(&next, PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::rename(&next, file).unwrap();
}

#[test]
fn a_running_server_reloads_its_rules_under_an_open_connection() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.toml");
    rules_for_all(&file, "/pub");
    let mut s = Server::with_config(&format!("access_file = {:?}", file.to_str().unwrap()));
    s.log_line(|l| {
        l.contains(&format!(
            "access file {} in force: 0 users, 1 rule",
            file.display()
        ))
    });
    for folder in ["secret", "pub"] {
        std::fs::create_dir_all(s.root.join(folder)).unwrap();
    }
    s.place_by_hand("secret/a.txt", b"hidden");
    s.place_by_hand("pub/b.txt", b"public");
    let mut raw = s.raw();
    assert_eq!(list_secret(&mut raw), Err("not_found".into()));

    // SIGHUP re-reads the file (unchanged: only the signal can cause this line) and no
    // longer stops the server.
    Command::new("kill")
        .args(["-HUP", &s.pid().to_string()])
        .status()
        .unwrap();
    wait_for_lines(&s, "reloaded: 0 users, 1 rule", 1);
    assert!(s.alive());

    // A change is picked up by itself; the open connection's next request follows it.
    rules_for_all(&file, "/");
    wait_for_lines(&s, "reloaded: 0 users, 1 rule", 2);
    assert_eq!(list_secret(&mut raw), Ok(vec!["secret/a.txt".to_string()]));

    // A bad edit (in place) is logged with its line; the rules read before stay.
    std::fs::write(
        &file,
        "[[allow]]\nwho = [\"*\"]\npath = \"/\"\nrights = [\"fly\"]\n",
    )
    .unwrap();
    wait_for_lines(
        &s,
        &format!(
            "not reloaded, the rules read before stay in force: {}:4: unknown right",
            file.display()
        ),
        1,
    );
    Command::new("kill")
        .args(["-HUP", &s.pid().to_string()])
        .status()
        .unwrap();
    wait_for_lines(&s, "not reloaded", 2);
    assert_eq!(list_secret(&mut raw), Ok(vec!["secret/a.txt".to_string()]));

    // A file that is gone is logged; the rules read before stay.
    std::fs::remove_file(&file).unwrap();
    wait_for_lines(&s, "is gone; the rules read before stay in force", 1);
    assert_eq!(list_secret(&mut raw), Ok(vec!["secret/a.txt".to_string()]));

    // Back, narrower: in force at once for the same connection.
    rules_for_all(&file, "/pub");
    wait_for_lines(&s, "reloaded: 0 users, 1 rule", 3);
    assert_eq!(list_secret(&mut raw), Err("not_found".into()));
    assert!(s.alive());
}

#[test]
fn an_access_file_others_can_read_is_warned_about_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.toml");
    rules_for_all(&file, "/pub");
    std::fs::set_permissions(&file, PermissionsExt::from_mode(0o644)).unwrap();
    let s = Server::with_config(&format!("access_file = {:?}", file.to_str().unwrap()));
    let line = s.log_line(|l| l.contains("can be read by others"));
    assert_eq!(
        line,
        format!(
            "nf serve: WARNING: access file {f} can be read by others (mode 644): its password \
             hashes can be guessed at offline; run: chmod 600 {f}",
            f = file.display()
        )
    );
}

#[test]
fn start_up_says_when_no_access_file_is_in_force() {
    let s = Server::start();
    let line = s.log_line(|l| l.contains("access file"));
    let none = s.dir.path().join("server-config/nf/access.toml");
    assert!(
        line.ends_with(&format!(
            " no access file ({} does not exist): whoever is let in may do everything",
            none.display()
        )),
        "{line}"
    );
}
