//! Configuration: the shipped example file, precedence, and errors that name the file, the
//! line and the key.

mod common;

use std::process::Command;

use common::*;

/// Compares a checked-in file with what the code generates now; `UPDATE_EXPECT=1` rewrites it.
fn assert_in_step(path: &str, generated: &str) {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&full, generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&full).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{path} is out of date; run `UPDATE_EXPECT=1 cargo test --test config`"
    );
}

#[test]
fn config_example_toml_is_generated_from_the_key_list() {
    assert_in_step("config.example.toml", &nf::config::example_toml());
}

#[test]
fn config_example_toml_loads_and_its_values_work_uncommented() {
    let s = Server::start();
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml")).unwrap();
    // As shipped (all commented) it loads.
    let shipped = s.dir.path().join("shipped.toml");
    std::fs::write(&shipped, &example).unwrap();
    let out = Command::new(NF)
        .args(["--config", shipped.to_str().unwrap(), "ls", "-s", &s.addr])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Uncommented, every key is accepted by the real binary.
    let live: String = example
        .lines()
        .filter(|l| l.starts_with("# ") && l.contains(" = "))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    assert!(live.lines().count() >= 9, "{live}");
    let file = s.dir.path().join("live.toml");
    std::fs::write(&file, live).unwrap();
    let out = Command::new(NF)
        .args(["--config", file.to_str().unwrap(), "ls", "-s", &s.addr])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_server_address_comes_from_the_config_file_env_and_flag_in_that_order() {
    let s = Server::start();
    s.file("x", b"x");
    assert!(s.nf(&["put", "x"]).status.success());
    let dead = "127.0.0.1:1";
    let file = s.dir.path().join("client.toml");
    // File only.
    std::fs::write(&file, format!("server = \"{}\"\n", s.addr)).unwrap();
    let run = |env: Option<&str>, flag: Option<&str>| {
        let mut cmd = Command::new(NF);
        cmd.args(["--config", file.to_str().unwrap(), "ls", "--json"])
            .env_remove("NF_SERVER");
        if let Some(e) = env {
            cmd.env("NF_SERVER", e);
        }
        if let Some(f) = flag {
            cmd.args(["-s", f]);
        }
        cmd.output().unwrap()
    };
    assert!(run(None, None).status.success());
    // Environment beats the file.
    assert_eq!(run(Some(dead), None).status.code(), Some(5));
    // The flag beats the environment.
    assert!(run(Some(dead), Some(&s.addr)).status.success());
    // NF_CONFIG names the file too.
    let out = Command::new(NF)
        .args(["ls"])
        .env("NF_CONFIG", &file)
        .env_remove("NF_SERVER")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// nf is linked statically against glibc (.cargo/config.toml): host names must still resolve.
/// `localhost` comes from /etc/hosts (it may also name ::1 first, where nothing listens: the
/// client then tries the next address).
#[test]
fn a_server_named_by_host_name_is_found() {
    let s = Server::start();
    s.place_by_hand("seen.txt", b"seen");
    let port = s.addr.rsplit(':').next().unwrap();
    let empty = s.dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let out = Command::new(NF)
        .args(["ls", "--json", "-s", &format!("localhost:{port}")])
        .env("NF_CONFIG", &empty)
        .env_remove("NF_SERVER")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let files: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["name"], "seen.txt");
}

#[test]
fn a_malformed_config_file_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "server = \"127.0.0.1:8889\"\nroot = [unclosed\n").unwrap();
    let out = Command::new(NF)
        .args(["--config", file.to_str().unwrap(), "ls"])
        .output()
        .unwrap();
    assert_fails(&out, 2, &format!("config file {}, line 2", file.display()));
}

#[test]
fn an_unknown_key_names_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("typo.toml");
    std::fs::write(&file, "# comment\nservr = \"x:1\"\n").unwrap();
    let out = Command::new(NF)
        .args(["--config", file.to_str().unwrap(), "ls"])
        .output()
        .unwrap();
    assert_fails(&out, 2, "line 2: unknown key `servr`; did you mean `server`?");
    // A wrong type is an error for the commands that read the key (nf serve, nf config).
    let wrong_type = dir.path().join("type.toml");
    std::fs::write(&wrong_type, "max_path_components = \"lots\"\n").unwrap();
    let out = Command::new(NF)
        .args(["--config", wrong_type.to_str().unwrap(), "config"])
        .output()
        .unwrap();
    assert_fails(
        &out,
        2,
        "line 1: `max_path_components`: expected a whole number, found string",
    );
}

#[test]
fn a_missing_default_config_file_is_fine_but_a_missing_explicit_one_is_an_error() {
    let s = Server::start();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(NF)
        .args(["ls", "-s", &s.addr])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("cfg"))
        .env_remove("NF_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = Command::new(NF)
        .args(["--config", "/nonexistent/nf.toml", "ls"])
        .output()
        .unwrap();
    assert_fails(&out, 2, "cannot read config file /nonexistent/nf.toml");
    // -c is sync's --checksum; the old short form of --config gets a pointer to the long one.
    let out = Command::new(NF).args(["-c", "/dev/null", "ls"]).output().unwrap();
    assert_fails(&out, 2, "unexpected argument '-c'");
    assert_fails(
        &out,
        2,
        "given with --config PATH (or NF_CONFIG); -c is nf sync's --checksum",
    );
}

#[test]
fn the_default_config_file_is_found_in_the_platform_config_dir() {
    let s = Server::start();
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cfg").join("nf");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), format!("server = \"{}\"\n", s.addr)).unwrap();
    let out = Command::new(NF)
        .args(["ls", "--json"])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("cfg"))
        .env_remove("NF_CONFIG")
        .env_remove("NF_SERVER")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(NF).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(NF).args(["put"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(NF).args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The block of README.md between the generated table's markers.
const TABLE_START: &str =
    "<!-- generated from src/config/keys.rs; UPDATE_EXPECT=1 cargo test --test config rewrites it -->\n";
const TABLE_END: &str = "<!-- end of the generated table -->\n";

#[test]
fn the_readme_configuration_table_is_generated_from_the_key_definitions() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(TABLE_START)
        .expect("README.md lacks the table's start marker")
        + TABLE_START.len();
    let end = start
        + readme[start..]
            .find(TABLE_END)
            .expect("README.md lacks the table's end marker");
    let table = nf::config::readme_table();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, format!("{}{table}{}", &readme[..start], &readme[end..])).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert!(
        on_disk[start..].starts_with(&format!("{table}{TABLE_END}")),
        "README.md's configuration table is out of date; run `UPDATE_EXPECT=1 cargo test --test config`"
    );
    // One row per key, each naming the key, its default, flag and variable as the definitions do.
    let rows: Vec<Vec<String>> = table
        .lines()
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().replace('`', ""))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), nf::config::KEYS.len());
    for (row, key) in rows.iter().zip(nf::config::KEYS) {
        assert_eq!(row[0], key.name);
        assert_eq!(row[1], key.documented_default());
        assert_eq!(row[2], key.flag.unwrap_or(""));
        assert_eq!(row[3], key.env());
    }
}

/// `nf ARGS` with `extra` environment, no other `NF_*` variables and no config file.
fn nf_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(NF);
    cmd.args(args);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("NF_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("NF_CONFIG", "/dev/null").envs(env.iter().copied());
    cmd.output().unwrap()
}

/// `nf config`'s lines as key → (value, origin).
fn config_lines(out: &std::process::Output) -> std::collections::BTreeMap<String, (String, String)> {
    assert!(out.status.success(), "{}", stderr(out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (setting, origin) = l.split_once("  # ").unwrap();
            let (key, value) = setting.split_once(" = ").unwrap();
            (key.to_string(), (value.trim().to_string(), origin.to_string()))
        })
        .collect()
}

#[test]
fn nf_config_names_each_flag_as_its_definition_spells_it() {
    let lines = config_lines(&nf_env(&["config", "--no-compat", "--read-only"], &[]));
    assert_eq!(lines["compat"], ("false".into(), "flag --no-compat".into()));
    assert_eq!(lines["read_only"], ("true".into(), "flag --read-only".into()));
    let lines = config_lines(&nf_env(
        &[
            "config",
            "--store",
            "s3://my-bucket/a/b",
            "--s3-endpoint",
            "http://h:1",
            "-s",
            "h:2",
        ],
        &[],
    ));
    assert_eq!(lines["store.kind"], ("\"s3\"".into(), "flag --store".into()));
    assert_eq!(
        lines["store.bucket"],
        ("\"my-bucket\"".into(), "flag --store".into())
    );
    assert_eq!(lines["store.prefix"], ("\"a/b\"".into(), "flag --store".into()));
    assert_eq!(
        lines["store.endpoint"],
        ("\"http://h:1\"".into(), "flag --s3-endpoint".into())
    );
    assert_eq!(lines["server"], ("\"h:2\"".into(), "flag --server".into()));
    // Every flag a definition names is one `nf config` takes and reports under that name.
    for key in nf::config::KEYS {
        let Some(long) = key.long_flag() else { continue };
        let help = nf_env(&["config", "--help"], &[]);
        assert!(String::from_utf8_lossy(&help.stdout).contains(long), "{long}");
    }
}

#[test]
fn sizes_are_read_as_written_and_shown_so() {
    let lines = config_lines(&nf_env(
        &["config"],
        &[
            ("NF_MAX_FILE_SIZE", "10 GB"),
            ("NF_COMPAT_MAX_BYTES", "10 GiB"),
            ("NF_RESUME_MIN_BYTES", "10G"),
        ],
    ));
    assert_eq!(lines["max_file_size"].0, "\"10 GB\"");
    assert_eq!(lines["compat_max_bytes"].0, "\"10 GiB\"");
    assert_eq!(lines["resume_min_bytes"].0, "\"10 GiB\"");
    let lines = config_lines(&nf_env(&["config"], &[("NF_MAX_FILE_SIZE", "10000000000")]));
    assert_eq!(lines["max_file_size"].0, "\"10 GB\"");
}

#[test]
fn a_server_limit_of_1_kb_is_1000_bytes() {
    let s = Server::with_config("max_file_size = \"1 kB\"");
    s.file("fits.bin", &[7; 1000]);
    s.file("over.bin", &[7; 1001]);
    let out = s.nf(&["put", "fits.bin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = s.nf(&["put", "over.bin"]);
    assert_fails(&out, 1, "over this server's limit of 1000 bytes");
    assert_eq!(s.stored(), ["fits.bin"]);
}

#[test]
fn a_bad_value_of_a_server_key_stops_nf_serve_and_nf_config_but_not_the_clients() {
    let s = Server::start();
    s.place_by_hand("here.txt", b"here");
    let bad = [("NF_MAX_FILE_SIZE", "abc")];
    let out = nf_env(&["ls", "-s", &s.addr], &bad);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("here.txt\n"));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let expected = "environment variable NF_MAX_FILE_SIZE: expected a size such as 65536, \
                    \"64 KiB\" or \"10 GB\", found \"abc\"";
    for args in [&["config"][..], &["serve", "--listen", "127.0.0.1:0"]] {
        assert_usage_error(&nf_env(args, &bad), expected);
    }
    // A key the clients read is still checked for them.
    let out = nf_env(&["ls", "-s", &s.addr], &[("NF_IDLE_TIMEOUT_SECS", "0")]);
    assert_fails(
        &out,
        2,
        "environment variable NF_IDLE_TIMEOUT_SECS: must be at least 1",
    );
    // And a bad server value in the file only stops the server side too.
    let file = s.dir.path().join("bad-server-value.toml");
    std::fs::write(&file, "max_path_components = 0\n").unwrap();
    let out = nf_env(&["--config", file.to_str().unwrap(), "ls", "-s", &s.addr], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = nf_env(&["--config", file.to_str().unwrap(), "config"], &[]);
    assert_fails(
        &out,
        2,
        &format!(
            "config file {}, line 1: `max_path_components`: must be between 1 and 4096",
            file.display()
        ),
    );
}

/// Asserts that nf exited 2 with exactly `nf: error: MESSAGE` on stderr.
fn assert_usage_error(out: &std::process::Output, message: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    assert_eq!(stderr(out), format!("nf: error: {message}\n"));
}

/// Runs `nf -c FILE ARGS` where FILE holds `text`; returns the file's path and the output.
fn with_file(text: &str, args: &[&str]) -> (tempfile::TempDir, String, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nf.toml");
    std::fs::write(&file, text).unwrap();
    let path = file.display().to_string();
    let out = nf_env(&[&["--config", path.as_str()][..], args].concat(), &[]);
    (dir, path, out)
}

#[test]
fn an_unquoted_value_gets_a_hint_to_quote_it() {
    let (_dir, file, out) = with_file("# mine\nserver = 127.0.0.1\n", &["ls"]);
    assert_usage_error(
        &out,
        &format!(
            "config file {file}, line 2: the value of `server` is not valid TOML; \
             write it in quotes: server = \"127.0.0.1\""
        ),
    );
}

#[test]
fn an_unknown_key_gets_the_nearest_known_key() {
    let (_dir, file, out) = with_file("lisen = \"0.0.0.0:8889\"\n", &["config"]);
    assert_usage_error(
        &out,
        &format!("config file {file}, line 1: unknown key `lisen`; did you mean `listen`?"),
    );
    // Unknown NF_ variables are not config keys: nf ignores them.
    let out = nf_env(&["config"], &[("NF_LISEN", "x")]);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn a_token_in_a_config_file_others_can_read_gets_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let s = Server::with_config("token = \"correct horse\"");
    s.place_by_hand("a.txt", b"a");
    let file = s.dir.path().join("client.toml");
    std::fs::write(&file, "token = \"correct horse\"\n").unwrap();
    let ls = |mode: u32| {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        // The server's key pinned: a client with a token uses TLS even on loopback.
        let pin = [("NF_FINGERPRINT", s.fingerprint.as_str())];
        nf_env(&["--config", file.to_str().unwrap(), "ls", "-s", &s.addr], &pin)
    };
    for mode in [0o644, 0o640] {
        let out = ls(mode);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "nf: warning: config file {0} holds a token and others can read it (mode {mode:o}); \
                 run: chmod 600 {0}\n",
                file.display()
            )
        );
    }
    let out = ls(0o600);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", stderr(&out));
    // Without a token, the mode is the user's business.
    std::fs::write(&file, format!("server = \"{}\"\n", s.addr)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = nf_env(&["--config", file.to_str().unwrap(), "config"], &[]);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn a_list_valued_key_takes_a_toml_array_or_the_string_form() {
    let (_dir, file, out) = with_file("allow_plaintext_from = [\"10.0.0.0/8\", \"::1\"]\n", &["config"]);
    let origin = format!("file {file}");
    assert_eq!(
        config_lines(&out)["allow_plaintext_from"],
        ("\"10.0.0.0/8, ::1\"".into(), origin)
    );
    let (_dir, _, out) = with_file("allow_plaintext_from = \"10.0.0.0/8,::1\"\n", &["config"]);
    assert_eq!(
        config_lines(&out)["allow_plaintext_from"].0,
        "\"10.0.0.0/8, ::1\""
    );
    let (_dir, _, out) = with_file("allow_plaintext_from = []\n", &["config"]);
    assert_eq!(config_lines(&out)["allow_plaintext_from"].0, "\"\"");
    let out = nf_env(&["config"], &[("NF_ALLOW_PLAINTEXT_FROM", "10.0.0.0/8, ::1")]);
    assert_eq!(
        config_lines(&out)["allow_plaintext_from"],
        (
            "\"10.0.0.0/8, ::1\"".into(),
            "environment NF_ALLOW_PLAINTEXT_FROM".into()
        )
    );
    // A bad item is named, with the file, the line and the key.
    let (_dir, file, out) = with_file("\nallow_plaintext_from = [\"10.0.0.0/8\", 8]\n", &["config"]);
    assert_usage_error(
        &out,
        &format!(
            "config file {file}, line 2: `allow_plaintext_from`: expected strings in the list, \
             found integer as item 2"
        ),
    );
    let (_dir, file, out) = with_file("allow_plaintext_from = [\"10.0.0.0/88\"]\n", &["config"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!(
            "nf: error: config file {file}, line 1: `allow_plaintext_from`: "
        )),
        "{}",
        stderr(&out)
    );
    // Every list-valued key reads its default written as an array as the default itself.
    for key in nf::config::KEYS {
        let nf::config::Kind::List(_) = key.kind else {
            continue;
        };
        let default = key.default_value();
        let nf::config::Val::Text(text) = &default else {
            panic!("{}", key.name)
        };
        let items: Vec<String> = text
            .split(", ")
            .filter(|t| !t.is_empty())
            .map(|t| format!("{t:?}"))
            .collect();
        let table: toml::Table = toml::from_str(&format!("v = [{}]", items.join(", "))).unwrap();
        let raw = nf::config::Raw::Toml(&table["v"]);
        assert_eq!(key.kind.parse(&raw), Ok(default.clone()), "{}", key.name);
    }
}

#[test]
fn a_server_applies_allow_plaintext_from_written_as_an_array() {
    let s = Server::with_config("token = \"tok\"\nallow_plaintext_from = [\"10.0.0.0/8\"]");
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\n\r\n");
    assert_eq!(raw.line(), "HTTP/1.1 403 Forbidden\r\n");
    assert!(raw.closed());
    let s = Server::with_config("token = \"tok\"\nallow_plaintext_from = [\"10.0.0.0/8\", \"127.0.0.0/8\"]");
    let mut raw = Raw::connect(&s.addr);
    raw.send(b"GET /?json HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\n\r\n");
    assert_eq!(raw.line(), "HTTP/1.1 200 OK\r\n");
}
