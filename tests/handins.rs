//! Hand-ins: README's "Hand-ins" walk-through run command by command (a teacher and a class of
//! three: `nf user add`, the rules, `nf access check`, a student's put with a receipt, its
//! check, `nf receipts` for the student and the teacher, the refusal after the deadline, the
//! teacher's `nf get -r`), and the receipt store behind `nf receipts`: every dialect's uploads
//! recorded, who sees which, `--json` lines that verify, records that outlive a restart and
//! are pruned by age.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use common::*;

const README: &str = include_str!("../README.md");

/// The text of the fenced block after `<!-- handins:MARKER -->` in README.
fn readme_block(marker: &str) -> String {
    let at = README
        .find(&format!("<!-- handins:{marker} -->"))
        .unwrap_or_else(|| panic!("README has no handins:{marker} block"));
    let rest = &README[at..];
    let start = rest.find("```").unwrap();
    let body = &rest[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

/// The `nf` commands of a README block: each line that starts with `nf ` or `$ nf `, without
/// `nf`, its comment, and a `> FILE` redirection (returned apart).
fn readme_commands(marker: &str) -> Vec<(Vec<String>, Option<String>)> {
    readme_block(marker)
        .lines()
        .filter_map(|l| l.strip_prefix("$ ").or(Some(l)))
        .filter_map(|l| l.strip_prefix("nf "))
        .map(|l| {
            let l = l.split("  #").next().unwrap().trim();
            let (args, out) = match l.split_once(" > ") {
                Some((args, out)) => (args, Some(out.trim().to_string())),
                None => (l, None),
            };
            (args.split_whitespace().map(str::to_string).collect(), out)
        })
        .collect()
}

/// The class's deadline as the rules give it in README.
const README_UNTIL: &str = "2026-12-20T23:59:00Z";

/// A moment `secs` seconds from now (before now if negative), as an access file writes it.
fn moment(secs: i64) -> String {
    let now = SystemTime::now();
    let t = if secs >= 0 {
        now + Duration::from_secs(secs as u64)
    } else {
        now - Duration::from_secs(secs.unsigned_abs())
    };
    nf::human::rfc3339(t)
}

/// A server whose access file holds README's class: its rules (with the deadline `until`),
/// then the users README's commands add, with the passwords they printed.
struct Class {
    s: Server,
    access: PathBuf,
    passwords: BTreeMap<String, String>,
}

impl Class {
    fn new(until: &str) -> Class {
        let mut s = Server::unstarted("");
        let access = s.dir.path().join("access.toml");
        std::fs::write(&access, readme_block("rules").replace(README_UNTIL, until)).unwrap();
        std::fs::set_permissions(&access, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let mut passwords = BTreeMap::new();
        for (args, _) in readme_commands("users") {
            let out = Command::new(NF)
                .args(&args)
                .env("NF_CONFIG", "/dev/null")
                .env("NF_ACCESS_FILE", &access)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(out.status.success(), "nf {args:?}: {}", stderr(&out));
            let password = String::from_utf8(out.stdout).unwrap().trim().to_string();
            assert!(password.len() >= 16, "a generated password: {password:?}");
            passwords.insert(args[2].clone(), password);
        }
        assert_eq!(
            passwords.keys().collect::<Vec<_>>(),
            ["alice", "bob", "carol", "teacher"]
        );
        let config = std::fs::read_to_string(&s.config).unwrap();
        std::fs::write(&s.config, format!("{config}access_file = {access:?}\n")).unwrap();
        s.spawn();
        Class { s, access, passwords }
    }

    /// The work directory of `user` (made on first use).
    fn home(&self, user: &str) -> PathBuf {
        let dir = self.s.work.join(user);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `nf ARGS` run by `user` (`anonymous`: not logged in) in their work directory.
    fn nf(&self, user: &str, args: &[&str]) -> Output {
        if args[0] == "receipt" {
            // Offline: no server to name.
            return Command::new(NF)
                .args(args)
                .current_dir(self.home(user))
                .env("NF_CONFIG", "/dev/null")
                .env("NF_KNOWN_SERVERS", self.s.dir.path().join("known-none"))
                .stdin(Stdio::null())
                .output()
                .unwrap();
        }
        let mut cmd = self.s.cmd_in(&self.home(user), args);
        if user != "anonymous" {
            cmd.env("NF_USER", user).env("NF_PASSWORD", &self.passwords[user]);
        }
        cmd.output().unwrap()
    }

    /// A README command run by `user`: `sha256//…` is the server's fingerprint, `alice` the
    /// user; its standard output, written to the file it redirects to, if any.
    fn readme(&self, user: &str, (args, out): &(Vec<String>, Option<String>)) -> Output {
        let args: Vec<String> = args
            .iter()
            .map(|a| match a.as_str() {
                "sha256//…" => self.s.fingerprint.clone(),
                _ => a.replace("alice", user),
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = self.nf(user, &args);
        if let Some(file) = out {
            std::fs::write(self.home(user).join(file), &output.stdout).unwrap();
        }
        output
    }

    /// Rewrites the rules' deadline and waits for the server to put the file in force.
    fn move_deadline(&self, until: &str) {
        let text = std::fs::read_to_string(&self.access).unwrap();
        let line = text.lines().find(|l| l.starts_with("until = ")).unwrap();
        let before = self.s.log.lock().unwrap().matches("reloaded").count();
        std::fs::write(&self.access, text.replace(line, &format!("until = {until}"))).unwrap();
        assert!(
            wait_until(Duration::from_secs(30), || {
                self.s.log.lock().unwrap().matches("reloaded").count() > before
            }),
            "the access file was not reloaded:\n{}",
            self.s.log.lock().unwrap()
        );
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn assert_ok(out: &Output, what: &str) {
    assert!(out.status.success(), "{what}: {}", stderr(out));
}

/// The receipts of `nf receipts … --json` output, one JSON object per line.
fn receipt_lines(out: &Output) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "nf receipts: {}", stderr(out));
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The line `nf receipts` prints for `r`.
fn table_line(r: &serde_json::Value) -> String {
    let committed = r["committed"].as_str().unwrap();
    format!(
        "{}  {}  {:>10}  {}  {}",
        committed[..19].replacen('T', " ", 1),
        r["principal"].as_str().unwrap(),
        nf::human::size(r["size"].as_u64().unwrap()),
        &r["blake3"].as_str().unwrap()[..16],
        r["path"].as_str().unwrap()
    )
}

/// Checks every receipt with `nf receipt verify --fingerprint` (the server's key) as a file.
fn assert_verify(s: &Server, receipts: &[serde_json::Value]) {
    let dir = s.dir.path().join("verify");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, r) in receipts.iter().enumerate() {
        let file = dir.join(format!("{i}.json"));
        std::fs::write(&file, format!("{r}\n")).unwrap();
        let out = verify(s, &file);
        assert!(out.status.success(), "{r}: {}", stderr(&out));
        assert!(
            stdout(&out).contains(&format!(
                "valid: {} (given with --fingerprint) accepted {:?}",
                s.fingerprint,
                r["path"].as_str().unwrap()
            )),
            "{}",
            stdout(&out)
        );
    }
}

fn verify(s: &Server, file: &Path) -> Output {
    Command::new(NF)
        .args(["receipt", "verify"])
        .arg(file)
        .args(["--fingerprint", &s.fingerprint])
        .env("NF_CONFIG", "/dev/null")
        .env("NF_KNOWN_SERVERS", s.dir.path().join("known-none"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The fields a receipt states, without its signature (which `nf receipts` makes anew).
fn stated(r: &serde_json::Value) -> Vec<String> {
    ["server", "path", "size", "blake3", "committed", "principal"]
        .iter()
        .map(|f| r[f].to_string())
        .collect()
}

#[test]
fn the_hand_ins_walk_through_in_the_readme_runs_for_a_class_of_three() {
    let until = moment(86_400);
    let class = Class::new(&until);
    let s = &class.s;

    // The teacher checks what a student may do in their drop folder.
    let (check, _) = &readme_commands("check")[0];
    let out = Command::new(NF)
        .args(check)
        .env("NF_CONFIG", "/dev/null")
        .env("NF_ACCESS_FILE", &class.access)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ok(&out, "nf access check");
    let shown: String = readme_block("check")
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    let expected = shown
        .replace("/etc/nf/access.toml", &class.access.display().to_string())
        .replace(README_UNTIL, &until);
    assert_eq!(stdout(&out), expected);

    // Each student hands in an essay and keeps the receipt.
    let students = ["alice", "bob", "carol"];
    let student = readme_commands("student");
    let mut essays = BTreeMap::new();
    for (i, name) in students.iter().enumerate() {
        let essay = random_bytes(50_000 + i * 1000, i as u64);
        std::fs::write(class.home(name).join("essay.pdf"), &essay).unwrap();
        let out = class.readme(name, &student[0]);
        assert_ok(&out, "the student's put");
        let path = format!("submissions/{name}/essay.pdf");
        let receipt: serde_json::Value =
            serde_json::from_slice(&std::fs::read(class.home(name).join("r.json")).unwrap()).unwrap();
        assert_eq!(receipt["path"], path.as_str());
        assert_eq!(receipt["size"], essay.len() as u64);
        assert_eq!(receipt["blake3"], blake3_hex(&essay).as_str());
        assert_eq!(receipt["principal"], *name);
        assert_same(&s.read_stored(&path), &essay, &path);

        // Their own hand-ins, though the drop folder cannot be listed.
        let out = class.readme(name, &student[1]);
        assert_ok(&out, "nf receipts");
        assert_eq!(stdout(&out), format!("{}\n", table_line(&receipt)));
        let mine = receipt_lines(&class.nf(name, &["receipts", "--json"]));
        assert_eq!(mine.len(), 1);
        assert_eq!(
            stated(&mine[0]),
            stated(&receipt),
            "the recorded upload is the receipt's"
        );
        let out = class.nf(name, &["ls", &format!("submissions/{name}")]);
        assert_fails(
            &out,
            7,
            &format!("{name} has no list right on \"submissions/{name}\""),
        );

        let out = class.readme(name, &student[2]);
        assert_ok(&out, "nf receipt verify");
        assert!(
            stdout(&out).starts_with(&format!(
                "r.json: valid: {} (given with --fingerprint) accepted \"{path}\" ({} bytes, BLAKE3 {})",
                s.fingerprint,
                essay.len(),
                blake3_hex(&essay)
            )),
            "{}",
            stdout(&out)
        );
        essays.insert(path, (essay, receipt));
    }

    // The teacher lists what arrived, in order, and collects it all.
    let teacher = readme_commands("teacher");
    let out = class.readme("teacher", &teacher[0]);
    assert_ok(&out, "the teacher's nf receipts");
    let table: Vec<String> = students
        .iter()
        .map(|n| table_line(&essays[&format!("submissions/{n}/essay.pdf")].1))
        .collect();
    assert_eq!(stdout(&out), format!("{}\n", table.join("\n")));
    let out = class.readme("teacher", &teacher[1]);
    assert_ok(&out, "nf receipts --json");
    let arrived: Vec<serde_json::Value> =
        std::fs::read_to_string(class.home("teacher").join("arrived.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let want: Vec<Vec<String>> = students
        .iter()
        .map(|n| stated(&essays[&format!("submissions/{n}/essay.pdf")].1))
        .collect();
    assert_eq!(arrived.iter().map(stated).collect::<Vec<_>>(), want);
    assert_verify(s, &arrived);
    let out = class.readme("teacher", &teacher[2]);
    assert_ok(&out, "nf get -r submissions");
    for (path, (essay, _)) in &essays {
        let got = std::fs::read(class.home("teacher").join("grading").join(path)).unwrap();
        assert_same(&got, essay, path);
    }

    // After the deadline: refused with its time, nothing stored.
    let passed = moment(-60);
    class.move_deadline(&passed);
    std::fs::write(class.home("alice").join("essay-v2.pdf"), b"too late").unwrap();
    let late = readme_commands("late");
    let out = class.readme("alice", &late[0]);
    let said = readme_block("late")
        .lines()
        .nth(1)
        .unwrap()
        .replace(README_UNTIL, &passed);
    assert_fails(&out, 7, said.strip_prefix("nf: error: ").unwrap());
    assert!(stderr(&out).contains(&said), "{}", stderr(&out));
    let out = class.nf("teacher", &["ls", "-r", "--json", "submissions"]);
    assert_ok(&out, "ls");
    let names: Vec<String> = serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "file")
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, essays.keys().cloned().collect::<Vec<_>>());
    let out = class.nf("teacher", &["receipts", "submissions/", "--json"]);
    assert_eq!(receipt_lines(&out).len(), 3, "the refused put left no record");
}

/// `nf access check --json` states the limits: the rule's size limit, the deadline and
/// whether it passed.
#[test]
fn access_check_json_gives_the_drop_folders_limits_and_its_deadline() {
    let until = moment(-3600);
    let class = Class::new(&until);
    let out = Command::new(NF)
        .args(["access", "check", "alice", "/submissions/alice", "--json"])
        .env("NF_CONFIG", "/dev/null")
        .env("NF_ACCESS_FILE", &class.access)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ok(&out, "nf access check --json");
    let check: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rule = format!("{}:11", class.access.display());
    // The deadline passed: the rule gives nothing, and so sets no limit on writing.
    assert_eq!(check["rights"], serde_json::json!([]));
    assert_eq!(
        check["limits"],
        serde_json::json!({
            "max_file_size": null,
            "quotas": [],
            "deadlines": [{"until": until, "utc": until, "passed": true, "rule": rule}],
        })
    );
    // The teacher writes anywhere, bounded by the server's own limit only.
    let out = Command::new(NF)
        .args(["access", "check", "teacher", "/submissions/alice", "--json"])
        .env("NF_CONFIG", "/dev/null")
        .env("NF_ACCESS_FILE", &class.access)
        .env("NF_MAX_FILE_SIZE", "1 GiB")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ok(&out, "nf access check --json");
    let check: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        check["limits"],
        serde_json::json!({
            "max_file_size": {"bytes": 1u64 << 30, "by": "max_file_size of the server"},
            "quotas": [],
            "deadlines": [],
        })
    );
}

/// Uploads by three dialects, each recorded with its principal: a native put, an HTTP PUT and
/// a classroom upload; `nf receipts --json` gives them in order, each verifying.
#[test]
fn uploads_by_native_put_http_put_and_the_classroom_dialect_are_recorded() {
    let s = Server::start();
    s.file("a.txt", b"native\n");
    let out = s.nf(&["put", "a.txt"]);
    assert_ok(&out, "nf put");
    let b = s.file("b.txt", b"over http\n");
    let out = Command::new("curl")
        .args(["-sS", "--fail-with-body", "--max-time", "60", "-T"])
        .arg(&b)
        .arg(format!("http://{}/b.txt", s.addr))
        .stdin(Stdio::null())
        .output()
        .expect("curl is installed (.ci/run installs it)");
    assert_ok(&out, "curl -T");
    // "hello" in base64, as an old classroom client sends it.
    let reply = json_reply(&talk(&s.addr, b"upload c.txt aGVsbG8=\r\n\r\n"));
    assert_eq!(reply["status"], "OK", "{reply}");

    let receipts = receipt_lines(&s.nf(&["receipts", "--json"]));
    let got: Vec<(String, String, String)> = receipts
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["blake3"].as_str().unwrap().to_string(),
                r["principal"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = [
        ("a.txt", &b"native\n"[..]),
        ("b.txt", b"over http\n"),
        ("c.txt", b"hello"),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), blake3_hex(c), "anonymous".to_string()))
    .collect();
    assert_eq!(got, want);
    assert_verify(&s, &receipts);
    // The table, in the same order.
    let out = s.nf(&["receipts"]);
    assert_ok(&out, "nf receipts");
    let table: Vec<String> = receipts.iter().map(table_line).collect();
    assert_eq!(stdout(&out), format!("{}\n", table.join("\n")));
    // A path narrows it; --who and --since too.
    let only_b = receipt_lines(&s.nf(&["receipts", "b.txt", "--json"]));
    assert_eq!(
        only_b.iter().map(stated).collect::<Vec<_>>(),
        [stated(&receipts[1])]
    );
    assert!(receipt_lines(&s.nf(&["receipts", "--who", "alice", "--json"])).is_empty());
    let since = receipts[2]["committed"].as_str().unwrap();
    let late = receipt_lines(&s.nf(&["receipts", "--since", since, "--json"]));
    assert_eq!(
        late.iter().map(stated).collect::<Vec<_>>(),
        [stated(&receipts[2])]
    );
    let out = s.nf(&["receipts", "--since", "last week"]);
    assert_fails(&out, 2, "--since \"last week\" is not a time");
}

/// Who sees which recorded uploads: the teacher everything; a student their own (in a drop
/// folder they cannot list) and nothing of another's; anonymous nothing.
#[test]
fn nf_receipts_shows_each_principal_what_it_may_list_and_its_own_uploads() {
    let class = Class::new(&moment(86_400));
    for name in ["alice", "bob"] {
        std::fs::write(class.home(name).join("essay.pdf"), name.as_bytes()).unwrap();
        let target = format!("submissions/{name}/essay.pdf");
        let out = class.nf(name, &["put", "essay.pdf", "--as", &target]);
        assert_ok(&out, "put");
    }
    let (a, b) = ("submissions/alice/essay.pdf", "submissions/bob/essay.pdf");
    let cases: [(&str, Option<&str>, &[&str]); 9] = [
        ("teacher", Some("submissions/alice"), &[a]),
        ("teacher", Some("submissions/bob"), &[b]),
        ("teacher", None, &[a, b]),
        ("alice", Some("submissions/alice"), &[a]),
        ("alice", Some("submissions/bob"), &[]),
        ("alice", None, &[a]),
        ("anonymous", Some("submissions/alice"), &[]),
        ("anonymous", Some("submissions/bob"), &[]),
        ("anonymous", None, &[]),
    ];
    for (who, path, want) in cases {
        let mut args = vec!["receipts", "--json"];
        args.extend(path);
        let seen = receipt_lines(&class.nf(who, &args));
        let paths: Vec<&str> = seen.iter().map(|r| r["path"].as_str().unwrap()).collect();
        assert_eq!(paths, want, "{who} at {path:?}");
    }
    // The teacher narrows by who sent it.
    let bobs = receipt_lines(&class.nf("teacher", &["receipts", "--who", "bob", "--json"]));
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0]["principal"], "bob");
    // Asking for another's by name shows nothing either.
    assert!(receipt_lines(&class.nf("alice", &["receipts", "--who", "bob", "--json"])).is_empty());
}

/// The store's records outlive the process: after a restart (same identity) `nf receipts`
/// gives the same uploads, and their receipts verify.
#[test]
fn recorded_uploads_survive_a_restart() {
    let mut s = Server::start();
    s.file("a.txt", b"before the restart\n");
    let out = s.nf(&["put", "a.txt", "--receipt", "r.json"]);
    assert_ok(&out, "put");
    let sent: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.work.join("r.json")).unwrap()).unwrap();
    s.kill();
    s.spawn();
    let receipts = receipt_lines(&s.nf(&["receipts", "--json"]));
    assert_eq!(receipts.iter().map(stated).collect::<Vec<_>>(), [stated(&sent)]);
    assert_verify(&s, &receipts);
}

/// Records older than `receipts_max_age_secs` (here 1 s, for this test only) are pruned when
/// the server starts; newer uploads are recorded as before.
#[test]
fn old_records_are_pruned_at_start() {
    let mut s = Server::with_config("receipts_max_age_secs = 1");
    s.file("old.txt", b"old\n");
    let out = s.nf(&["put", "old.txt", "--receipt", "r.json"]);
    assert_ok(&out, "put");
    let sent: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.work.join("r.json")).unwrap()).unwrap();
    let committed = nf::human::parse_rfc3339(sent["committed"].as_str().unwrap()).unwrap();
    s.kill();
    // Until the record is older than the age kept (a clock, not the server, is waited on).
    assert!(wait_until(Duration::from_secs(10), || {
        committed.elapsed().is_ok_and(|d| d > Duration::from_secs(2))
    }));
    s.spawn();
    s.log_line(|l| l.contains("pruned 1 receipt record(s) older than"));
    s.file("new.txt", b"new\n");
    let out = s.nf(&["put", "new.txt"]);
    assert_ok(&out, "put");
    let receipts = receipt_lines(&s.nf(&["receipts", "--json"]));
    let paths: Vec<&str> = receipts.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["new.txt"]);
    // The file itself stays: only its record went.
    assert_eq!(s.read_stored("old.txt"), b"old\n");
}

/// A record that cannot be written does not fail the upload already committed: it is logged.
#[test]
fn a_record_that_cannot_be_written_is_logged_and_the_upload_stays() {
    if !local_store_only("a file planted in the storage directory") {
        return;
    }
    let s = Server::start();
    // A file where the records' folder was: once the start-up pruning made it (it looks
    // once a day after that), it is replaced.
    let records = s.root.join(".nf/receipts");
    assert!(wait_until(Duration::from_secs(10), || records.is_dir()));
    std::fs::remove_dir(&records).unwrap();
    std::fs::write(&records, b"in the way").unwrap();
    s.file("a.txt", b"kept\n");
    let out = s.nf(&["put", "a.txt"]);
    assert_ok(&out, "put");
    assert_eq!(s.read_stored("a.txt"), b"kept\n");
    s.log_line(|l| {
        l.contains("cannot record the receipts of 1 upload(s) by anonymous (they are stored all the same)")
    });
}
