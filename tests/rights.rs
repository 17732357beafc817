//! Who may do what, enforced once for every dialect by the operations layer: on a read-only
//! server every state-changing operation of every dialect (native plain and over TLS, HTTP,
//! seed, classroom) is refused in that dialect's own words and the storage directory is left
//! exactly as it was, while every read still works. The log line names the principal.

mod common;

use std::net::Shutdown;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::snapshot::{assert_unchanged, place, tree, Tree};
use common::*;

/// A `--read-only` server (default settings otherwise) holding `keep.txt` and `d/in.txt`.
fn read_only_server() -> Server {
    let s = Server::with_args("", &["--read-only"]);
    place(&s, "keep.txt", b"KEEP");
    place(&s, "d/in.txt", b"IN");
    s
}

/// The native client over plain TCP, or over TLS pinned to the server's identity.
#[derive(Clone, Copy, Debug)]
enum Native {
    Plain,
    Tls,
}

fn nf(s: &Server, how: Native, args: &[&str]) -> Output {
    let mut cmd = s.cmd_in(&s.work, args);
    match how {
        Native::Plain => cmd.env("NF_TLS", "never").env_remove("NF_FINGERPRINT"),
        Native::Tls => cmd.env("NF_TLS", "always").env("NF_FINGERPRINT", &s.fingerprint),
    };
    cmd.output().expect("run nf")
}

/// `curl` with `args` against `path`: the status and the body.
fn curl(s: &Server, path: &str, args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "60", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .arg(format!("http://{}{path}", s.addr))
        .current_dir(&s.work)
        .stdin(Stdio::null())
        .output()
        .expect("curl is installed (.ci/run installs it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text
        .rsplit_once('\n')
        .unwrap_or_else(|| panic!("{text:?} {}", stderr(&out)));
    (status.parse().unwrap(), body.to_string())
}

/// A classroom reply to `request` on a new connection, parsed.
fn classroom(s: &Server, request: &[u8]) -> serde_json::Value {
    json_reply(&talk(&s.addr, request))
}

/// A seed upload from a plain socket, as in the issue: its first piece is answered `ERROR`
/// (the dialect's only word for a failure), then the connection ends with nothing stored.
fn seed_upload(s: &Server, request: &[u8]) -> Vec<u8> {
    let mut raw = Raw::connect(&s.addr);
    raw.send(request);
    let first = raw.bytes(5);
    raw.stream.shutdown(Shutdown::Write).unwrap();
    assert!(raw.closed());
    first
}

#[test]
fn a_read_only_server_refuses_every_change_in_every_native_way_and_keeps_the_tree() {
    let s = read_only_server();
    let before = tree(&s);
    let new = s.file("new.txt", b"NEW");
    let new = new.to_str().unwrap();
    let changes: [&[&str]; 7] = [
        &["put", new],
        &["put", "-f", new, "keep.txt"],
        &["rm", "keep.txt"],
        &["rm", "-r", "d"],
        &["mkdir", "fresh"],
        &["mv", "keep.txt", "moved.txt"],
        &["mv", "-f", "keep.txt", "d/in.txt"],
    ];
    for how in [Native::Plain, Native::Tls] {
        for args in changes {
            let out = nf(&s, how, args);
            assert_fails(&out, 7, "this server is read-only");
            assert_unchanged(&s, &before, (how, args));
        }
        // Reads still work.
        let out = nf(&s, how, &["get", "-o", "-", "keep.txt"]);
        assert!(out.status.success(), "{how:?}: {}", stderr(&out));
        assert_eq!(out.stdout, b"KEEP");
        let out = nf(&s, how, &["ls", "--json", "-r"]);
        assert!(out.status.success(), "{how:?}: {}", stderr(&out));
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let names: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["d", "d/in.txt", "keep.txt"], "{how:?}");
        let out = nf(&s, how, &["stat", "--json", "d/in.txt"]);
        assert!(out.status.success(), "{how:?}: {}", stderr(&out));
        let stat: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(stat[0]["size"], 2, "{how:?}: {stat}");
    }
}

#[test]
fn a_read_only_server_refuses_http_puts_and_deletes_and_keeps_the_tree() {
    let s = read_only_server();
    let before = tree(&s);
    let new = s.file("new.txt", b"NEW");
    let new = new.to_str().unwrap();
    let changes: [(&str, &[&str]); 5] = [
        ("/new.txt", &["-T", new]),
        ("/keep.txt", &["-T", new]),
        ("/d/fresh.txt", &["-T", new]),
        ("/keep.txt", &["-X", "DELETE"]),
        ("/d/?recursive", &["-X", "DELETE"]),
    ];
    for (path, args) in changes {
        let (status, body) = curl(&s, path, args);
        assert_eq!(status, 403, "{args:?} {path}: {body}");
        assert!(
            body.contains("this server is read-only"),
            "{args:?} {path}: {body}"
        );
        assert_unchanged(&s, &before, (path, args));
    }
    assert_eq!(curl(&s, "/keep.txt", &[]), (200, "KEEP".to_string()));
    let (status, json) = curl(&s, "/d/?json", &[]);
    assert_eq!(status, 200);
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(listed[0]["name"], "d/in.txt", "{listed}");
}

#[test]
fn a_read_only_server_refuses_seed_uploads_and_keeps_the_tree() {
    let s = read_only_server();
    let before = tree(&s);
    // Exactly the issue's request (no terminator), an upload over an existing file, and one
    // ended by a newline.
    for request in [
        &b"upload seed.txt QUFBQQ=="[..],
        b"upload keep.txt QUFBQQ==\n",
        b"upload other.txt QUFBQQ==\n",
    ] {
        let what = String::from_utf8_lossy(request);
        assert_eq!(seed_upload(&s, request), b"ERROR", "{what:?}");
        assert_unchanged(&s, &before, what);
    }
    // The refusal is the policy's, and the log line says who asked.
    let line = s.log_line(|l| l.contains(" seed:upload \"seed.txt\" "));
    assert!(
        line.ends_with(" anonymous error denied: this server is read-only: uploads, deletions, new folders and moves are refused"),
        "{line}"
    );
    // Reads still work (seed requests have no terminator: the server answers once the
    // client goes quiet).
    let listing = talk(&s.addr, b"list");
    assert_eq!(
        String::from_utf8(listing).unwrap(),
        "{\"status\": \"succes\", \"data\": [\"keep.txt\"]}"
    );
    let download = String::from_utf8(talk(&s.addr, b"download keep.txt")).unwrap();
    assert_eq!(download.trim_end(), "S0VFUA==");
}

#[test]
fn a_read_only_server_refuses_classroom_uploads_posts_and_deletes_and_keeps_the_tree() {
    let s = read_only_server();
    let before = tree(&s);
    for request in [
        &b"UPLOAD cls.txt QUFBQQ==\r\n\r\n"[..],
        b"POST cls.txt QUFBQQ==\r\n\r\n",
        b"UPLOAD keep.txt QUFBQQ==\r\n\r\n",
        b"DELETE keep.txt\r\n\r\n",
    ] {
        let reply = classroom(&s, request);
        assert_eq!(reply["status"], "ERROR", "{reply}");
        assert!(
            reply["data"]
                .as_str()
                .unwrap()
                .contains("this server is read-only"),
            "{reply}"
        );
        assert_unchanged(&s, &before, String::from_utf8_lossy(request));
    }
    let list = classroom(&s, b"LIST\r\n\r\n");
    assert_eq!(list["status"], "OK", "{list}");
    assert_eq!(list["data"], serde_json::json!(["keep.txt"]));
    let got = classroom(&s, b"GET keep.txt\r\n\r\n");
    assert_eq!(got["status"], "OK", "{got}");
    assert_eq!(got["data_file"].as_str().unwrap().trim_end(), "S0VFUA==", "{got}");
}

#[test]
fn the_log_line_names_the_principal() {
    // Without a token everyone is anonymous; with one, a client that presented it acts as
    // `token`.
    let open = Server::start();
    assert!(open.nf(&["ls"]).status.success());
    let line = open.log_line_within(Duration::from_secs(30), |l| l.contains(" list - "));
    assert!(line.ends_with(" anonymous ok"), "{line}");

    let locked = Server::with_config("token = \"s3cret-token-for-tests\"");
    let out = locked
        .cmd_in(&locked.work, &["ls"])
        .env("NF_TOKEN", "s3cret-token-for-tests")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let line = locked.log_line_within(Duration::from_secs(30), |l| l.contains(" list - "));
    assert!(line.ends_with(" token ok"), "{line}");
    // HTTP with the token as Bearer acts as `token` too; the old dialects are anonymous.
    locked.place_by_hand("a.txt", b"A");
    let (status, body) = curl(
        &locked,
        "/a.txt",
        &["-H", "Authorization: Bearer s3cret-token-for-tests"],
    );
    assert_eq!((status, body.as_str()), (200, "A"));
    let line = locked.log_line_within(Duration::from_secs(30), |l| l.contains(" GET 200 \"a.txt\" "));
    assert!(line.ends_with(" token ok"), "{line}");
}

// The policy matrix: every dialect × every operation × granted or not. One server per row
// holds the layout below under the rules below; each case is an operation on one path that
// the rules allow, refuse as hidden (`not_found`: the principal may not know the name
// exists) or refuse as forbidden (it may know, but lacks the right). An allowed case is
// checked by its content (the bytes read, the names listed, the store after the change); a
// refused one by its exact error in the dialect's words and a store left exactly as it was.

/// What the rules give everyone (`*`: anonymous, and any user without rules of their own):
/// each path and its rights, one `[[allow]]` rule each.
const GRANTS: &[(&str, &[&str])] = &[
    ("/pub", &["list", "read"]),
    ("/drop", &["write"]),
    ("/names", &["list"]),
    ("/a/b/c", &["all"]),
    ("/top-read.txt", &["list", "read"]),
    ("/top-listed.txt", &["list"]),
    ("/top-rw.txt", &["list", "read", "write", "overwrite"]),
    ("/top-rm.txt", &["list", "delete"]),
    ("/top-new.txt", &["write"]),
];

/// The access file of [`GRANTS`]: given to everyone, or for a user's row to the group
/// `class` that [`USER`] belongs to (so that everyone else, anonymous included, has nothing).
fn access_file(login: Login) -> String {
    let who = match login {
        Login::User => "@class",
        _ => "*",
    };
    let mut text = format!(
        "[users.{USER}]\npassword = {:?}\ngroups = [\"class\"]\n\n",
        nf::service::password::hash(PASSWORD).unwrap()
    );
    for (path, rights) in GRANTS {
        text.push_str(&format!(
            "[[allow]]\nwho = [\"{who}\"]\npath = {path:?}\nrights = {rights:?}\n\n"
        ));
    }
    text
}

/// The user of a user's row, and its password.
const USER: &str = "student";
const PASSWORD: &str = "correct horse battery staple";

/// The store every row starts from: a readable folder (`pub`), a drop folder (`drop`: write
/// only), a folder whose names may be listed but not read (`names`), a hidden one (`hidden`),
/// a grant deep down (`a/b/c`: `a` and `a/b` only lead there), and files at the top (the old
/// dialects know no folders). Each changing case has a file of its own, so that a principal
/// allowed everything changes nothing a later case looks at.
const LAYOUT: &[(&str, &str)] = &[
    ("pub/a.txt", "PUB-A"),
    ("pub/over.txt", "PUB-OVER"),
    ("pub/rm.txt", "PUB-RM"),
    ("pub/mv.txt", "PUB-MV"),
    ("pub/sub/b.txt", "PUB-SUB-B"),
    ("drop/old.txt", "DROP-OLD"),
    ("drop/rm.txt", "DROP-RM"),
    ("drop/in/x.txt", "DROP-IN-X"),
    ("names/n.txt", "NAMES-N"),
    ("hidden/h.txt", "HIDDEN-H"),
    ("hidden/rm.txt", "HIDDEN-RM"),
    ("hidden/mv.txt", "HIDDEN-MV"),
    ("a/side.txt", "A-SIDE"),
    ("a/b/other/o.txt", "A-B-OTHER"),
    ("a/b/c/deep.txt", "DEEP"),
    ("a/b/c/keep.txt", "DEEP-KEEP"),
    ("a/b/c/rm.txt", "DEEP-RM"),
    ("a/b/c/mv1.txt", "DEEP-MV1"),
    ("a/b/c/mv2.txt", "DEEP-MV2"),
    ("a/b/c/mv3.txt", "DEEP-MV3"),
    ("a/b/c/mv4.txt", "DEEP-MV4"),
    ("a/b/c/d/in.txt", "DEEP-D-IN"),
    ("top-read.txt", "TOP-READ"),
    ("top-listed.txt", "TOP-LISTED"),
    ("top-rw.txt", "TOP-RW"),
    ("top-rm.txt", "TOP-RM"),
    ("secret.txt", "SECRET"),
];

/// What the rules let everyone see of [`LAYOUT`] (folders end in `/`): every listing of
/// every dialect shows exactly these, or the part of them its folder and depth take.
const VISIBLE: &[&str] = &[
    "a/",
    "a/b/",
    "a/b/c/",
    "a/b/c/d/",
    "a/b/c/d/in.txt",
    "a/b/c/deep.txt",
    "a/b/c/keep.txt",
    "a/b/c/mv1.txt",
    "a/b/c/mv2.txt",
    "a/b/c/mv3.txt",
    "a/b/c/mv4.txt",
    "a/b/c/rm.txt",
    "drop/",
    "names/",
    "names/n.txt",
    "pub/",
    "pub/a.txt",
    "pub/mv.txt",
    "pub/over.txt",
    "pub/rm.txt",
    "pub/sub/",
    "pub/sub/b.txt",
    "top-listed.txt",
    "top-read.txt",
    "top-rm.txt",
    "top-rw.txt",
];

/// The visible files that may be listed but not read: left out of a `?tar`.
const UNREADABLE: &[&str] = &["names/n.txt", "top-listed.txt", "top-rm.txt"];

/// The content [`LAYOUT`] holds under `name`.
fn layout_content(name: &str) -> &'static str {
    LAYOUT
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not in the layout"))
        .1
}

/// Every entry of [`LAYOUT`], folders (ending in `/`) included.
fn layout_entries() -> Vec<String> {
    let mut all = std::collections::BTreeSet::new();
    for (name, _) in LAYOUT {
        all.insert(name.to_string());
        let mut at = *name;
        while let Some((parent, _)) = at.rsplit_once('/') {
            all.insert(format!("{parent}/"));
            at = parent;
        }
    }
    all.into_iter().collect()
}

/// The entries of `all` directly in the folder `dir` (`""`: the top).
fn in_folder(all: &[String], dir: &str) -> Vec<String> {
    let mut names: Vec<String> = all
        .iter()
        .filter(|e| {
            let path = e.trim_end_matches('/');
            let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
            parent == dir
        })
        .cloned()
        .collect();
    names.sort();
    names
}

/// The server of one row: [`LAYOUT`] under [`GRANTS`], and the token if the row uses it.
fn layout_server(login: Login) -> (Server, tempfile::TempDir) {
    let token = (login == Login::Token).then_some(TOKEN);
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("access.toml");
    std::fs::write(&file, access_file(login)).unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut config = format!("access_file = {:?}\n", file.to_str().unwrap());
    if let Some(token) = token {
        config.push_str(&format!("token = {token:?}\n"));
    }
    let s = Server::with_config(&config);
    for (name, content) in LAYOUT {
        place(&s, name, content.as_bytes());
    }
    (s, rules)
}

const TOKEN: &str = "s3cret-token-for-the-matrix";

/// One operation of the matrix.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// One level of a folder (`""`: the top).
    List(&'static str),
    Stat(&'static str),
    Get(&'static str),
    /// An upload of a name that is free.
    PutNew(&'static str),
    /// An upload replacing a file (`-f`).
    PutOver(&'static str),
    Mkdir(&'static str),
    Rm(&'static str),
    /// `rm -r` of a folder.
    RmR(&'static str),
    Mv(&'static str, &'static str),
}

impl Op {
    /// True when it works on the top folder or names in it, all the old dialects know.
    fn at_top(self) -> bool {
        match self {
            Op::List(dir) => dir.is_empty(),
            Op::Stat(n)
            | Op::Get(n)
            | Op::PutNew(n)
            | Op::PutOver(n)
            | Op::Mkdir(n)
            | Op::Rm(n)
            | Op::RmR(n) => !n.contains('/'),
            Op::Mv(a, b) => !a.contains('/') && !b.contains('/'),
        }
    }

    /// What an upload by this case stores.
    fn upload(self) -> Vec<u8> {
        format!("NEW {self:?}").into_bytes()
    }
}

/// What the rules say of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    /// `not_found`, exactly as for a name that does not exist.
    Hidden,
    /// `forbidden`.
    Forbidden,
}

use Expect::{Allowed, Forbidden, Hidden};

/// Every case, in the order a row runs them (reads before changes), with what [`GRANTS`] say.
const CASES: &[(Op, Expect)] = &[
    (Op::List(""), Allowed),
    (Op::List("pub"), Allowed),
    (Op::List("names"), Allowed),
    (Op::List("a"), Allowed),
    (Op::List("a/b"), Allowed),
    (Op::List("a/b/c"), Allowed),
    (Op::List("drop"), Forbidden),
    (Op::List("hidden"), Hidden),
    (Op::List("a/b/other"), Hidden),
    (Op::Stat("pub/a.txt"), Allowed),
    (Op::Stat("a/b/c/deep.txt"), Allowed),
    (Op::Stat("top-read.txt"), Allowed),
    (Op::Stat("names/n.txt"), Forbidden),
    (Op::Stat("drop/old.txt"), Forbidden),
    (Op::Stat("hidden/h.txt"), Hidden),
    (Op::Stat("a/side.txt"), Hidden),
    (Op::Get("pub/sub/b.txt"), Allowed),
    (Op::Get("a/b/c/keep.txt"), Allowed),
    (Op::Get("top-read.txt"), Allowed),
    (Op::Get("names/n.txt"), Forbidden),
    (Op::Get("drop/old.txt"), Forbidden),
    (Op::Get("top-listed.txt"), Forbidden),
    (Op::Get("hidden/h.txt"), Hidden),
    (Op::Get("a/b/other/o.txt"), Hidden),
    (Op::Get("secret.txt"), Hidden),
    (Op::PutNew("drop/new.txt"), Allowed),
    (Op::PutNew("a/b/c/new.txt"), Allowed),
    (Op::PutNew("top-new.txt"), Allowed),
    (Op::PutNew("pub/new.txt"), Forbidden),
    (Op::PutNew("names/new.txt"), Forbidden),
    (Op::PutNew("hidden/new.txt"), Forbidden),
    (Op::PutNew("a/new.txt"), Forbidden),
    (Op::PutNew("secret-new.txt"), Forbidden),
    (Op::PutOver("a/b/c/deep.txt"), Allowed),
    (Op::PutOver("top-rw.txt"), Allowed),
    (Op::PutOver("drop/old.txt"), Forbidden),
    (Op::PutOver("pub/over.txt"), Forbidden),
    (Op::PutOver("top-read.txt"), Forbidden),
    (Op::PutOver("hidden/h.txt"), Forbidden),
    (Op::PutOver("secret.txt"), Forbidden),
    (Op::Mkdir("a/b/c/sub"), Allowed),
    (Op::Mkdir("drop/sub"), Allowed),
    (Op::Mkdir("pub/sub2"), Forbidden),
    (Op::Mkdir("hidden/sub"), Forbidden),
    (Op::Mv("a/b/c/mv1.txt", "a/b/c/moved.txt"), Allowed),
    (Op::Mv("a/b/c/mv2.txt", "drop/moved.txt"), Allowed),
    (Op::Mv("pub/mv.txt", "a/b/c/from-pub.txt"), Forbidden),
    (Op::Mv("a/b/c/mv3.txt", "pub/from-c.txt"), Forbidden),
    (Op::Mv("hidden/mv.txt", "a/b/c/from-hidden.txt"), Forbidden),
    (Op::Mv("a/b/c/mv4.txt", "hidden/from-c.txt"), Forbidden),
    (Op::Rm("a/b/c/rm.txt"), Allowed),
    (Op::Rm("top-rm.txt"), Allowed),
    (Op::Rm("pub/rm.txt"), Forbidden),
    (Op::Rm("drop/rm.txt"), Forbidden),
    (Op::Rm("top-listed.txt"), Forbidden),
    (Op::Rm("hidden/rm.txt"), Forbidden),
    (Op::Rm("secret.txt"), Forbidden),
    (Op::RmR("a/b/c/d"), Allowed),
    (Op::RmR("pub/sub"), Forbidden),
    (Op::RmR("drop/in"), Forbidden),
    (Op::RmR("hidden"), Forbidden),
];

/// How a row's client speaks to the server.
#[derive(Clone, Copy, Debug)]
enum Dialect {
    Native(Native),
    Http,
    Seed,
    Classroom,
}

/// Who a row's client is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Login {
    Anonymous,
    Token,
    /// [`USER`], given [`GRANTS`] through its group; it logs in with its password.
    User,
}

/// What a row's principal may do: what [`GRANTS`] give everyone, or everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rights {
    Rules,
    All,
}

/// The answer to one case: the bytes an allowed read gave (or `Ok(None)` for a change or an
/// operation the dialect does not have), or the refusal's kind.
type Answer = Result<Option<Vec<u8>>, Expect>;

struct Row {
    s: Server,
    how: Dialect,
    login: Login,
    work: PathBuf,
}

impl Row {
    /// Runs `op` and returns its answer, having checked that the dialect named the refusal
    /// exactly (exit code and message, HTTP status, the old dialects' error reply and the
    /// error code in the log line); `None` when the dialect has no such operation.
    fn run(&self, op: Op) -> Option<Answer> {
        match self.how {
            Dialect::Native(native) => Some(self.native(native, op)),
            Dialect::Http => self.http(op),
            // The old dialects know the top folder only.
            Dialect::Seed | Dialect::Classroom if !op.at_top() => None,
            Dialect::Seed => self.seed(op),
            Dialect::Classroom => self.classroom(op),
        }
    }

    fn native(&self, how: Native, op: Op) -> Answer {
        let local = self.work.join("upload.bin");
        std::fs::write(&local, op.upload()).unwrap();
        let local = local.to_str().unwrap();
        let args: Vec<&str> = match op {
            Op::List("") => vec!["ls", "--json"],
            Op::List(dir) => vec!["ls", "--json", dir],
            Op::Stat(n) => vec!["stat", "--json", n],
            Op::Get(n) => vec!["get", "-o", "-", n],
            Op::PutNew(n) => vec!["put", local, "--as", n],
            Op::PutOver(n) => vec!["put", "-f", local, "--as", n],
            Op::Mkdir(n) => vec!["mkdir", n],
            Op::Rm(n) => vec!["rm", n],
            Op::RmR(n) => vec!["rm", "-r", n],
            Op::Mv(from, to) => vec!["mv", from, to],
        };
        let mut cmd = self.s.cmd_in(&self.work, &args);
        match how {
            Native::Plain => cmd.env("NF_TLS", "never").env_remove("NF_FINGERPRINT"),
            Native::Tls => cmd
                .env("NF_TLS", "always")
                .env("NF_FINGERPRINT", &self.s.fingerprint),
        };
        match self.login {
            Login::Token => {
                cmd.env("NF_TOKEN", TOKEN);
            }
            Login::User => {
                cmd.env("NF_USER", USER).env("NF_PASSWORD", PASSWORD);
            }
            Login::Anonymous => {}
        }
        let out = cmd.output().expect("run nf");
        if out.status.success() {
            return Ok(Some(out.stdout));
        }
        let err = stderr(&out);
        let kind = match out.status.code() {
            Some(3) => Hidden,
            Some(7) => Forbidden,
            _ => panic!("{op:?}: unexpected failure: {err}"),
        };
        let needle = match kind {
            Hidden => "no file named",
            _ => "right on",
        };
        assert!(
            err.contains("nf: error:") && err.contains(needle),
            "{op:?}: {err}"
        );
        Err(kind)
    }

    fn http(&self, op: Op) -> Option<Answer> {
        let local = self.work.join("upload.bin");
        std::fs::write(&local, op.upload()).unwrap();
        let local = local.to_str().unwrap().to_string();
        let (path, mut args): (String, Vec<String>) = match op {
            Op::List("") => ("/?json".into(), vec![]),
            Op::List(dir) => (format!("/{dir}/?json"), vec![]),
            Op::Stat(n) => (format!("/{n}"), vec!["-I".into()]),
            Op::Get(n) => (format!("/{n}"), vec![]),
            Op::PutNew(n) | Op::PutOver(n) => (format!("/{n}"), vec!["-T".into(), local]),
            Op::Rm(n) => (format!("/{n}"), vec!["-X".into(), "DELETE".into()]),
            Op::RmR(n) => (format!("/{n}/?recursive"), vec!["-X".into(), "DELETE".into()]),
            // Folders are made by the PUTs below them; HTTP moves nothing.
            Op::Mkdir(_) | Op::Mv(..) => return None,
        };
        match self.login {
            Login::Token => args.extend(["-H".into(), format!("Authorization: Bearer {TOKEN}")]),
            Login::User => args.extend(["-u".into(), format!("{USER}:{PASSWORD}")]),
            Login::Anonymous => {}
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let asked = self.lines(" 401 ");
        let (status, body) = curl(&self.s, &path, &args);
        Some(match status {
            200..=299 => Ok(Some(body.into_bytes())),
            404 => Err(Hidden),
            403 => Err(Forbidden),
            // Where logins exist, an anonymous request without credentials lacking a right (or
            // asking for a name hidden from anonymous) is asked for them instead; its log line
            // still says which refusal it is.
            401 if self.login == Login::Anonymous => {
                self.next_line(" 401 ", asked);
                let log = self.s.log.lock().unwrap().clone();
                Err(logged_refusal(
                    log.lines().rfind(|l| l.contains(" 401 ")).unwrap(),
                ))
            }
            _ => panic!("{op:?}: status {status}: {body}"),
        })
    }

    fn seed(&self, op: Op) -> Option<Answer> {
        let (request, what) = match op {
            Op::List(_) => (b"list".to_vec(), "seed:list -".to_string()),
            Op::Get(n) => (
                format!("download {n}").into_bytes(),
                format!("seed:download \"{n}\""),
            ),
            Op::PutNew(n) | Op::PutOver(n) => {
                let mut r = format!("upload {n} ").into_bytes();
                r.extend_from_slice(base64(&op.upload()).as_bytes());
                (r, format!("seed:upload \"{n}\""))
            }
            _ => return None,
        };
        let before = self.lines(&what);
        let reply = match op {
            Op::PutNew(_) | Op::PutOver(_) => {
                // Every piece is acknowledged: `OK`, or `ERROR` once the upload failed; the
                // client's close ends it.
                let mut raw = Raw::connect(&self.s.addr);
                raw.send(&request);
                let first = raw.bytes(2);
                raw.stream.shutdown(Shutdown::Write).unwrap();
                assert!(raw.closed());
                first
            }
            _ => talk(&self.s.addr, &request),
        };
        let line = self.next_line(&what, before);
        if reply.starts_with(b"ER") {
            assert_eq!(
                reply,
                &b"ERROR"[..reply.len()],
                "{op:?}: {}",
                String::from_utf8_lossy(&reply)
            );
            return Some(Err(logged_refusal(&line)));
        }
        assert!(line.ends_with(" ok"), "{op:?}: {line}");
        Some(Ok(match op {
            Op::Get(_) => Some(unbase64(&reply)),
            Op::List(_) => Some(reply),
            _ => None,
        }))
    }

    fn classroom(&self, op: Op) -> Option<Answer> {
        let (request, what) = match op {
            Op::List(_) => ("LIST".to_string(), "classroom:list -".to_string()),
            Op::Get(n) => (format!("GET {n}"), format!("classroom:get \"{n}\"")),
            Op::PutNew(n) | Op::PutOver(n) => (
                format!("UPLOAD {n} {}", base64(&op.upload())),
                format!("classroom:upload \"{n}\""),
            ),
            Op::Rm(n) => (format!("DELETE {n}"), format!("classroom:delete \"{n}\"")),
            _ => return None,
        };
        let before = self.lines(&what);
        let reply = json_reply(&talk(&self.s.addr, format!("{request}\r\n\r\n").as_bytes()));
        let line = self.next_line(&what, before);
        if reply["status"] == "ERROR" {
            let kind = logged_refusal(&line);
            let needle = match kind {
                Hidden => "no file named",
                _ => "right on",
            };
            assert!(
                reply["data"].as_str().unwrap().contains(needle),
                "{op:?}: {reply}"
            );
            return Some(Err(kind));
        }
        assert_eq!(reply["status"], "OK", "{op:?}: {reply}");
        assert!(line.ends_with(" ok"), "{op:?}: {line}");
        Some(Ok(match op {
            Op::Get(_) => Some(unbase64(reply["data_file"].as_str().unwrap().as_bytes())),
            Op::List(_) => Some(reply["data"].to_string().into_bytes()),
            _ => None,
        }))
    }

    /// How many log lines mention `what` so far.
    fn lines(&self, what: &str) -> usize {
        self.s
            .log
            .lock()
            .unwrap()
            .lines()
            .filter(|l| l.contains(what))
            .count()
    }

    /// The log line of the request after the `before` ones that mention `what`: the
    /// server logs a request once it is done with it, changes included.
    fn next_line(&self, what: &str, before: usize) -> String {
        assert!(
            wait_until(Duration::from_secs(30), || self.lines(what) > before),
            "no log line for {what} in:\n{}",
            self.s.log.lock().unwrap()
        );
        self.s.log_line(|l| l.contains(what))
    }
}

/// The refusal a log line records (the old dialects answer every failure alike).
fn logged_refusal(line: &str) -> Expect {
    if line.contains(" anonymous error not_found: no file named ") {
        Hidden
    } else if line.contains(" anonymous error forbidden: ") {
        Forbidden
    } else {
        panic!("not a refusal of the rules: {line}")
    }
}

fn base64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn unbase64(text: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let clean: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(clean).unwrap()
}

/// The names a listing answer holds: a JSON array of entries (`nf ls --json`, `?json`), with
/// folders as `NAME/`, or of names (the old dialects', files only), parsed.
fn listed_names(answer: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(answer);
    // The seed dialect's reply is a Python-style object around the array.
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let array = match json.get("data") {
        Some(data) => data.clone(),
        None => json,
    };
    let mut names: Vec<String> = array
        .as_array()
        .unwrap_or_else(|| panic!("{text}"))
        .iter()
        .map(|e| match e.as_str() {
            Some(name) => name.to_string(),
            None => {
                let name = e["name"].as_str().unwrap();
                match e["type"] == "dir" {
                    true => format!("{name}/"),
                    false => name.to_string(),
                }
            }
        })
        .collect();
    names.sort();
    names
}

/// Runs every case of [`CASES`] a row's dialect has, checking each answer against the rules
/// (or against everything being allowed) and the store after it. Returns how many ran.
fn matrix(how: Dialect, login: Login, rights: Rights) -> usize {
    let (s, _rules) = layout_server(login);
    let work = s.work.clone();
    let row = Row { s, how, login, work };
    let seen: Vec<String> = match rights {
        Rights::All => layout_entries(),
        Rights::Rules => VISIBLE.iter().map(|n| n.to_string()).collect(),
    };
    let mut ran = 0;
    for &(op, rules_say) in CASES {
        let want = match rights {
            Rights::All => Allowed,
            Rights::Rules => rules_say,
        };
        let before = tree(&row.s);
        let Some(answer) = row.run(op) else {
            continue;
        };
        ran += 1;
        let what = (how, login, op);
        match (want, answer) {
            (Allowed, Ok(got)) => {
                let after = expected_after(&before, op);
                assert_eq!(tree(&row.s), after, "{what:?}: the store after it");
                check_read(how, op, got.as_deref(), &seen, what);
            }
            (Allowed, Err(kind)) => panic!("{what:?} was refused ({kind:?})"),
            (_, Ok(_)) => panic!("{what:?} was allowed; the rules say {want:?}"),
            (_, Err(kind)) => {
                assert_eq!(kind, want, "{what:?}");
                assert_unchanged(&row.s, &before, what);
            }
        }
    }
    ran
}

/// The store after `op` was allowed on `before`.
fn expected_after(before: &Tree, op: Op) -> Tree {
    let mut after = before.clone();
    match op {
        Op::PutNew(n) | Op::PutOver(n) => {
            after.insert(n.to_string(), Some(op.upload()));
        }
        Op::Mkdir(n) => {
            after.insert(format!("{n}/"), None);
        }
        Op::Rm(n) => {
            after.remove(n).unwrap_or_else(|| panic!("{n} was not there"));
        }
        Op::RmR(n) => {
            let gone = after.remove(&format!("{n}/"));
            assert!(gone.is_some(), "{n}/ was not there");
            after.retain(|name, _| !name.starts_with(&format!("{n}/")));
        }
        Op::Mv(from, to) => {
            let content = after
                .remove(from)
                .unwrap_or_else(|| panic!("{from} was not there"));
            after.insert(to.to_string(), content);
        }
        Op::List(_) | Op::Stat(_) | Op::Get(_) => {}
    }
    after
}

/// Checks what an allowed read gave: the listing exactly the names `seen` shows there (the
/// old dialects: its files), the content byte for byte, the size.
fn check_read(how: Dialect, op: Op, got: Option<&[u8]>, seen: &[String], what: impl std::fmt::Debug) {
    let got = || got.unwrap_or_else(|| panic!("{what:?}: no answer"));
    match op {
        Op::List(dir) => {
            let mut want = in_folder(seen, dir);
            if matches!(how, Dialect::Seed | Dialect::Classroom) {
                want.retain(|n| !n.ends_with('/'));
            }
            assert_eq!(listed_names(got()), want, "{what:?}");
        }
        Op::Get(name) => assert_eq!(String::from_utf8_lossy(got()), layout_content(name), "{what:?}"),
        Op::Stat(name) => {
            let text = String::from_utf8_lossy(got()).to_string();
            let size = layout_content(name).len();
            match how {
                Dialect::Http => assert!(
                    text.to_ascii_lowercase()
                        .contains(&format!("content-length: {size}\r\n")),
                    "{what:?}: {text}"
                ),
                _ => {
                    let stat: serde_json::Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(stat[0]["size"], size, "{what:?}: {stat}");
                    assert_eq!(
                        stat[0]["blake3"],
                        blake3_hex(layout_content(name).as_bytes()),
                        "{what:?}: {stat}"
                    );
                }
            }
        }
        _ => {}
    }
}

/// One test per row of the matrix: `row!(test_name, dialect, login, rights, at_least)` runs
/// [`matrix`] for that row and checks that at least `at_least` cases applied to its dialect.
/// A row for a user is one more line, once its [`Login`] exists.
macro_rules! rows {
    ($($name:ident: $how:expr, $login:expr, $rights:expr, $at_least:expr;)*) => {$(
        #[test]
        fn $name() {
            let ran = matrix($how, $login, $rights);
            assert!(ran >= $at_least, "only {ran} cases ran");
        }
    )*};
}

rows! {
    the_matrix_holds_for_anonymous_over_native: Dialect::Native(Native::Plain), Login::Anonymous, Rights::Rules, CASES.len();
    the_matrix_holds_for_anonymous_over_native_tls: Dialect::Native(Native::Tls), Login::Anonymous, Rights::Rules, CASES.len();
    the_matrix_holds_for_anonymous_over_http: Dialect::Http, Login::Anonymous, Rights::Rules, 51;
    the_matrix_holds_for_anonymous_over_seed: Dialect::Seed, Login::Anonymous, Rights::Rules, 9;
    the_matrix_holds_for_anonymous_over_classroom: Dialect::Classroom, Login::Anonymous, Rights::Rules, 12;
    the_matrix_holds_for_the_token_over_native: Dialect::Native(Native::Plain), Login::Token, Rights::All, CASES.len();
    the_matrix_holds_for_the_token_over_http: Dialect::Http, Login::Token, Rights::All, 51;
    the_matrix_holds_for_a_user_by_group_over_native: Dialect::Native(Native::Plain), Login::User, Rights::Rules, CASES.len();
    the_matrix_holds_for_a_user_by_group_over_native_tls: Dialect::Native(Native::Tls), Login::User, Rights::Rules, CASES.len();
    the_matrix_holds_for_a_user_by_group_over_http: Dialect::Http, Login::User, Rights::Rules, 51;
}

/// The member names (below `files/`, sorted) of the tar at `path`, fetched with curl and
/// listed with the real tar.
fn tar_members(s: &Server, path: &str) -> Vec<String> {
    let archive = s.work.join("members.tar");
    let got = Command::new("curl")
        .args(["-sSf", "--max-time", "60", "-o"])
        .arg(&archive)
        .arg(format!("http://{}{path}", s.addr))
        .status()
        .expect("curl is installed (.ci/run installs it)");
    assert!(got.success(), "curl {path}: {got}");
    let out = Command::new("tar")
        .arg("-tf")
        .arg(&archive)
        .output()
        .expect("tar is installed (.ci/run installs it)");
    assert!(out.status.success(), "tar -t: {}", stderr(&out));
    let mut members: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            l.strip_prefix("files/")
                .unwrap_or_else(|| panic!("{l}"))
                .to_string()
        })
        .collect();
    members.sort();
    members
}

/// The names a principal may not see are in no kind of listing: native `ls` (one level, and
/// recursive from the top and from a folder that only leads to a grant), HTTP `?json`, the
/// folder page, the member names of `?tar` (which also leaves out the files that may be
/// listed but not read), and the old dialects' `list`: each shows exactly its part of
/// [`VISIBLE`].
#[test]
fn hidden_names_are_in_no_kind_of_listing() {
    let (s, _rules) = layout_server(Login::Anonymous);
    let visible: Vec<String> = VISIBLE.iter().map(|n| n.to_string()).collect();
    let below = |dir: &str| -> Vec<String> {
        visible
            .iter()
            .filter(|n| n.starts_with(&format!("{dir}/")) && **n != format!("{dir}/"))
            .cloned()
            .collect()
    };
    let native: [(&[&str], Vec<String>); 4] = [
        (&["ls", "--json", "-r"], visible.clone()),
        (&["ls", "--json", "-r", "a"], below("a")),
        (&["ls", "--json"], in_folder(&visible, "")),
        (&["ls", "--json", "a/b"], in_folder(&visible, "a/b")),
    ];
    for (args, want) in native {
        let out = s.nf(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(listed_names(&out.stdout), want, "{args:?}");
    }
    for dir in ["", "a/", "pub/"] {
        let (status, json) = curl(&s, &format!("/{dir}?json"), &[]);
        assert_eq!(status, 200, "{dir}: {json}");
        assert_eq!(
            listed_names(json.as_bytes()),
            in_folder(&visible, dir.trim_end_matches('/')),
            "?json of /{dir}"
        );
    }
    let (status, page) = curl(&s, "/", &[]);
    assert_eq!(status, 200, "{page}");
    let mut linked: Vec<String> = page
        .split("<tr><td><a href=\"")
        .skip(1)
        .map(|row| row.split('"').next().unwrap().to_string())
        .collect();
    linked.sort();
    assert_eq!(linked, in_folder(&visible, ""), "the folder page");
    let members = tar_members(&s, "/?tar");
    let readable: Vec<String> = visible
        .iter()
        .filter(|n| !UNREADABLE.contains(&n.as_str()))
        .cloned()
        .collect();
    assert_eq!(members, readable, "the members of ?tar");
    // The page's pick of names for a tar (`?tar&name=…`) is the same walk: a hidden name
    // picked adds nothing, the visible ones picked bring what is below them.
    let picked = tar_members(&s, "/?tar&name=hidden&name=pub&name=names&name=nothing");
    let want: Vec<String> = readable
        .iter()
        .filter(|n| n.starts_with("pub/") || n.starts_with("names/"))
        .cloned()
        .collect();
    assert_eq!(
        picked, want,
        "the members of ?tar&name=hidden&name=pub&name=names"
    );
    let files: Vec<String> = in_folder(&visible, "")
        .into_iter()
        .filter(|n| !n.ends_with('/'))
        .collect();
    assert_eq!(listed_names(&talk(&s.addr, b"list")), files, "seed list");
    let classroom = classroom(&s, b"LIST\r\n\r\n");
    assert_eq!(
        listed_names(classroom.to_string().as_bytes()),
        files,
        "classroom LIST"
    );
}

/// Whatever a principal asks about a name it may not see, the answer is the one it gets for
/// a name that does not exist there, byte for byte but the name: every native command (put,
/// put -f and --resume, get, stat, rm, mv either way), every HTTP method and precondition
/// (GET and HEAD with and without conditions and ranges, PUT with `If-None-Match: *` and
/// `If-Match`, DELETE), and the old dialects' requests. The store is unchanged after all.
#[test]
fn a_hidden_name_answers_exactly_as_a_missing_one_in_every_dialect() {
    let (s, _rules) = layout_server(Login::Anonymous);
    let before = tree(&s);
    let upload = s.file("probe.bin", &random_bytes(2 << 20, 24));
    let upload = upload.to_str().unwrap();
    let native = |name: &str| -> Vec<(Option<i32>, String)> {
        let runs: [Vec<&str>; 8] = [
            vec!["put", upload, "--as", name],
            vec!["put", "-f", upload, "--as", name],
            vec!["put", "--resume", upload, "--as", name],
            vec!["get", "-o", "-", name],
            vec!["stat", "--json", name],
            vec!["rm", name],
            vec!["mv", name, "a/b/c/probe.txt"],
            vec!["mv", "a/b/c/keep.txt", name],
        ];
        runs.iter()
            .map(|args| {
                let out = s.nf(args);
                let errors: Vec<&str> = std::str::from_utf8(&out.stderr)
                    .unwrap()
                    .lines()
                    .filter(|l| l.starts_with("nf: error:"))
                    .collect();
                (out.status.code(), errors.join("\n").replace(name, "NAME"))
            })
            .collect()
    };
    let http = |name: &str| -> Vec<(u16, String)> {
        let runs: [&[&str]; 9] = [
            &[],
            &["-I"],
            &["-H", "If-None-Match: *"],
            &["-H", "Range: bytes=1-2"],
            &["-H", "If-Match: \"x\"", "-H", "Range: bytes=1-2"],
            &["-T", upload],
            &["-T", upload, "-H", "If-None-Match: *"],
            &["-T", upload, "-H", "If-Match: \"x\""],
            &["-X", "DELETE"],
        ];
        runs.iter()
            .map(|args| {
                let (status, body) = curl(&s, &format!("/{name}"), args);
                // The names compared are of one length: so are the bodies.
                let body: Vec<&str> = body.lines().filter(|l| !l.starts_with("Date: ")).collect();
                (status, body.join("\n").replace(name, "NAME"))
            })
            .collect()
    };
    let old = |name: &str| -> Vec<String> {
        let requests = [
            format!("download {name}"),
            format!("GET {name}\r\n\r\n"),
            format!("DELETE {name}\r\n\r\n"),
            format!("UPLOAD {name} QUFBQQ==\r\n\r\n"),
        ];
        requests
            .iter()
            .map(|r| String::from_utf8_lossy(&talk(&s.addr, r.as_bytes())).replace(name, "NAME"))
            .collect()
    };
    for (hidden, missing) in [("hidden/h.txt", "hidden/x.txt"), ("a/side.txt", "a/none.txt")] {
        let (a, b) = (native(hidden), native(missing));
        assert_eq!(a, b, "native: {hidden} and {missing}");
        // Reads answer as for a missing name (3); changes are refused for the right (7).
        let codes: Vec<Option<i32>> = a.iter().map(|(code, _)| *code).collect();
        let want = [7, 7, 7, 3, 3, 7, 7, 7].map(Some);
        assert_eq!(codes, want, "{a:?}");
        let (a, b) = (http(hidden), http(missing));
        assert_eq!(a, b, "HTTP: {hidden} and {missing}");
        // Without credentials, a name hidden from anonymous asks for them (401), existing or not.
        assert!(a.iter().all(|(status, _)| *status == 401), "{a:?}");
    }
    assert_eq!(old("secret.txt"), old("absent.txt"), "the old dialects");
    assert_unchanged(&s, &before, "the probes");
}

/// A folder's name without its final `/` is sent to the folder (301) for whoever may list it,
/// `read` or not; a hidden folder's name is answered as a missing name.
#[test]
fn a_folder_that_may_be_listed_is_reached_without_its_slash_and_a_hidden_one_is_not_found() {
    let (s, _rules) = layout_server(Login::Anonymous);
    for (path, status, location) in [
        ("/names", 301, Some("/names/")),
        ("/pub", 301, Some("/pub/")),
        ("/a", 301, Some("/a/")),
        // Hidden from anonymous: asked to log in, whether the name exists or not.
        ("/hidden", 401, None),
        ("/hiddex", 401, None),
    ] {
        let (got, head) = curl(&s, path, &["-I"]);
        assert_eq!(got, status, "{path}: {head}");
        let found = head
            .lines()
            .find_map(|l| l.strip_prefix("Location: "))
            .map(str::trim_end);
        assert_eq!(found, location, "{path}: {head}");
    }
    let (_, hidden) = curl(&s, "/hidden", &[]);
    let (_, missing) = curl(&s, "/hiddex", &[]);
    assert_eq!(
        hidden.replace("hidden", "NAME"),
        missing.replace("hiddex", "NAME")
    );
}

/// A rule's `max_file_size` and `quota` refuse uploads over them with their figures, in the
/// native protocol and HTTP, sized or streamed, and nothing is stored; within them uploads go.
#[test]
fn a_rules_size_limit_and_quota_refuse_with_their_figures_in_every_dialect() {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("access.toml");
    std::fs::write(
        &file,
        "[[allow]]\nwho = [\"*\"]\npath = \"/hw\"\nrights = [\"list\", \"read\", \"write\"]\n\
         max_file_size = \"1 KiB\"\nquota = \"2 KiB\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let s = Server::with_config(&format!("access_file = {:?}\n", file.to_str().unwrap()));
    let big = s.file("big.bin", &random_bytes(1025, 1));
    let kib = s.file("kib.bin", &random_bytes(1024, 2));
    let big = big.to_str().unwrap();
    let kib = kib.to_str().unwrap();
    let before = tree(&s);

    // Over the per-file limit: native sized, native stream, HTTP sized, HTTP chunked.
    let out = s.nf(&["put", big, "--as", "hw/big.bin"]);
    assert_fails(&out, 1, "is over the limit of 1.0 KiB per file under \"hw\"");
    let out = s
        .cmd_in(&s.work, &["put", "-", "--as", "hw/stream.bin"])
        .stdin(std::fs::File::open(big).unwrap())
        .output()
        .unwrap();
    assert_fails(&out, 1, "the stream is over the limit of 1.0 KiB per file");
    let (status, body) = curl(&s, "/hw/big.bin", &["-T", big]);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("per file under \"hw\""), "{body}");
    let (status, body) = curl(
        &s,
        "/hw/chunked.bin",
        &["-T", big, "-H", "Transfer-Encoding: chunked"],
    );
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("the body is over the limit of 1.0 KiB"), "{body}");
    assert_eq!(tree(&s), before, "nothing stored by the refusals");

    // Within: two of 1 KiB fill the 2 KiB quota; a third byte is over it (507 over HTTP).
    let out = s.nf(&["put", kib, "--as", "hw/one.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (status, body) = curl(&s, "/hw/two.bin", &["-T", kib]);
    assert_eq!(status, 201, "{body}");
    let one = s.file("one-byte.bin", b"x");
    let out = s.nf(&["put", one.to_str().unwrap(), "--as", "hw/three.bin"]);
    assert_fails(
        &out,
        1,
        "the quota of 2.0 KiB under \"hw\" (2.0 KiB used there, 0 B left)",
    );
    let (status, body) = curl(&s, "/hw/three.bin", &["-T", one.to_str().unwrap()]);
    assert_eq!(status, 507, "{body}");
    let stored: Vec<(String, usize)> = tree(&s)
        .into_iter()
        .filter_map(|(name, content)| Some((name, content?.len())))
        .filter(|(name, _)| name.starts_with("hw/"))
        .collect();
    assert_eq!(
        stored,
        [("hw/one.bin".to_string(), 1024), ("hw/two.bin".to_string(), 1024)]
    );
}

/// The folder page offers exactly the controls the principal's rights in the folder allow
/// (upload and new folder: `write`; delete: `delete`; rename or move: both), for anonymous
/// given [`GRANTS`], a user given them through a group, anonymous beside that user (nothing),
/// and the token (everything); a drop folder (`write` only) shows an upload page without its
/// names (upload and new folder). Every reader gets sorting, the filter and picking for a tar.
#[test]
fn the_folder_page_offers_only_the_controls_the_rights_allow() {
    const NONE: [bool; 4] = [false; 4];
    const ALL: [bool; 4] = [true; 4];
    const DROP: [bool; 4] = [true, true, false, false];
    let controls = |page: &str| {
        [
            page.contains("id=\"files\""),
            page.contains("id=\"mkdir\""),
            page.contains("class=\"delete\""),
            page.contains("class=\"rename\""),
        ]
    };
    // Each folder's page: its controls (upload, mkdir, delete, rename), or `None`: no page.
    type Pages<'a> = &'a [(&'a str, Option<[bool; 4]>)];
    let rows: [(Login, &[&str], Pages); 4] = [
        (
            Login::Anonymous,
            &[],
            &[
                ("/", Some(NONE)),
                ("/pub/", Some(NONE)),
                ("/names/", Some(NONE)),
                ("/a/b/c/", Some(ALL)),
                ("/drop/", Some(DROP)),
            ],
        ),
        (
            Login::User,
            &["-u", "student:correct horse battery staple"],
            &[
                ("/pub/", Some(NONE)),
                ("/a/b/c/", Some(ALL)),
                ("/drop/", Some(DROP)),
            ],
        ),
        (Login::User, &[], &[("/pub/", None), ("/a/b/c/", None)]),
        (
            Login::Token,
            &["-H", "Authorization: Bearer s3cret-token-for-the-matrix"],
            &[("/", Some(ALL)), ("/pub/", Some(ALL)), ("/drop/", Some(ALL))],
        ),
    ];
    for (login, args, folders) in rows {
        let (s, _rules) = layout_server(login);
        for (dir, want) in folders {
            let (status, page) = curl(&s, dir, args);
            let what = format!("{login:?} {args:?} {dir}");
            match want {
                None => assert!(matches!(status, 401 | 403 | 404), "{what}: {status} {page}"),
                Some(want) => {
                    assert_eq!(status, 200, "{what}: {page}");
                    assert_eq!(controls(&page), *want, "{what}: upload, mkdir, delete, rename");
                    assert!(
                        page.contains("id=\"filter\"") && page.contains("class=\"sel\""),
                        "{what}"
                    );
                }
            }
        }
    }
}
