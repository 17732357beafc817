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
        .args(["-c", shipped.to_str().unwrap(), "ls", "-s", &s.addr])
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
        .args(["-c", file.to_str().unwrap(), "ls", "-s", &s.addr])
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
        cmd.args(["-c", file.to_str().unwrap(), "ls", "--json"])
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
        .args(["-c", file.to_str().unwrap(), "ls"])
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
        .args(["-c", file.to_str().unwrap(), "ls"])
        .output()
        .unwrap();
    assert_fails(&out, 2, "line 2: unknown key `servr`");
    let wrong_type = dir.path().join("type.toml");
    std::fs::write(&wrong_type, "max_connections = \"lots\"\n").unwrap();
    let out = Command::new(NF)
        .args(["-c", wrong_type.to_str().unwrap(), "ls"])
        .output()
        .unwrap();
    assert_fails(&out, 2, "line 1: `max_connections`");
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
        .args(["-c", "/nonexistent/nf.toml", "ls"])
        .output()
        .unwrap();
    assert_fails(&out, 2, "cannot read config file /nonexistent/nf.toml");
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
