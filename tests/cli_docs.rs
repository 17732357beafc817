//! nf as a shell citizen: the checked-in completions and man pages match what the clap tree
//! generates, help texts are complete, `nf config` reports origins, output has manners
//! (stdout for data, no escape sequences under NO_COLOR, a closed pipe ends quietly).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use clap::CommandFactory;
use common::*;

const UPDATE_HINT: &str = "run `UPDATE_EXPECT=1 cargo test --test cli_docs`";

/// Compares a checked-in file with what the code generates now; `UPDATE_EXPECT=1` rewrites it.
fn assert_in_step(path: &str, generated: &str) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&full).unwrap_or_default();
    assert!(on_disk == generated, "{path} is out of date; {UPDATE_HINT}");
}

/// The files in a checked-in directory, by name.
fn listing(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `nf ARGS` with no config file and no `NF_*` variables from the environment running the tests.
fn nf(args: &[&str]) -> Command {
    let mut cmd = Command::new(NF);
    cmd.args(args).stdin(Stdio::null());
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("NF_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("NF_CONFIG", "/dev/null");
    cmd
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

const SHELLS: [(&str, &str); 5] = [
    ("bash", "nf.bash"),
    ("zsh", "_nf"),
    ("fish", "nf.fish"),
    ("elvish", "nf.elv"),
    ("powershell", "_nf.ps1"),
];

#[test]
fn the_checked_in_completions_are_what_nf_completions_prints_now() {
    for (shell, file) in SHELLS {
        let out = nf(&["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        assert!(out.stderr.is_empty(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(
            script.contains("nf") && script.contains("serve"),
            "{shell}: {script}"
        );
        assert_in_step(&format!("completions/{file}"), &script);
    }
    let expected: BTreeSet<String> = SHELLS.iter().map(|(_, f)| f.to_string()).collect();
    assert_eq!(listing("completions"), expected, "stray files in completions/");
}

#[test]
fn the_checked_in_man_pages_are_what_the_clap_tree_generates_now() {
    let pages = nf::man::pages();
    for (name, text) in &pages {
        assert_in_step(&format!("man/{name}"), text);
    }
    let expected: BTreeSet<String> = pages.into_iter().map(|(n, _)| n).collect();
    for name in ["nf.1", "nf-serve.1", "nf-put.1", "nf-get.1", "nf-ls.1", "nf-rm.1"] {
        assert!(expected.contains(name), "{name}");
    }
    assert!(expected.contains("nf-config.1") && expected.contains("nf-completions.1"));
    assert_eq!(
        listing("man"),
        expected,
        "stray or missing files in man/; {UPDATE_HINT}"
    );
}

/// The section headings of a roff page, in order.
fn roff_sections(page: &str) -> Vec<String> {
    page.lines()
        .filter_map(|l| l.strip_prefix(".SH "))
        .map(|h| h.trim_matches('"').to_string())
        .collect()
}

/// The roff text of one section (up to the next heading).
fn roff_section<'a>(page: &'a str, heading: &str) -> &'a str {
    let start = page
        .find(&format!(".SH {heading}\n"))
        .or_else(|| page.find(&format!(".SH \"{heading}\"\n")))
        .unwrap_or_else(|| panic!("no {heading}"));
    let rest = &page[start + 4..];
    &rest[..rest.find("\n.SH ").map_or(rest.len(), |i| i + 1)]
}

#[test]
fn every_man_page_has_the_standard_sections_and_no_backticks() {
    let (codes, _) = nf::man::readme_exit_codes();
    let pages = nf::man::pages();
    for (name, page) in &pages {
        assert!(!page.contains('`'), "{name} has a literal backtick");
        let sections = roff_sections(page);
        for heading in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "ENVIRONMENT",
            "EXIT STATUS",
            "SEE ALSO",
        ] {
            assert!(
                sections.iter().any(|s| s == heading),
                "{name} lacks {heading}: {sections:?}"
            );
        }
        // Every exit code of README.md's table, on every page.
        let status = roff_section(page, "EXIT STATUS");
        for (code, _) in &codes {
            assert!(
                status.contains(&format!(".TP\n\\fB{code}\\fR\n")),
                "{name}: exit code {code}"
            );
        }
        // SEE ALSO names nf(1) (or, on nf(1), the command pages) and only pages that exist.
        let see_also = roff_section(page, "SEE ALSO");
        let refs: Vec<String> = see_also
            .split("\\fB")
            .skip(1)
            .map(|r| format!("{}.1", r.split("\\fR").next().unwrap().replace("\\-", "-")))
            .collect();
        assert!(refs.len() >= 2, "{name}: {refs:?}");
        for r in &refs {
            assert!(
                pages.iter().any(|(n, _)| n == r),
                "{name} refers to {r}, which is not a page"
            );
            assert_ne!(r, name, "{name} refers to itself");
        }
    }
    let page = |n: &str| &pages.iter().find(|(name, _)| name == n).unwrap().1;
    // The synopsis names every value and argument.
    let synopsis = roff_section(page("nf-put.1"), "SYNOPSIS");
    for part in [
        "\\fBnf put\\fR",
        "[\\fB\\-\\-as\\fR \\fINAME\\fR]",
        "[\\fB\\-s\\fR|\\fB\\-\\-server\\fR \\fIADDR\\fR]",
        "[\\fB\\-f\\fR|\\fB\\-\\-force\\fR]",
        " \\fIFILE...\\fR",
    ] {
        assert!(
            synopsis.contains(part),
            "nf-put synopsis lacks {part}: {synopsis}"
        );
    }
    assert!(roff_section(page("nf-ls.1"), "SYNOPSIS").contains("[\\fIPATH\\fR]"));
    assert!(roff_section(page("nf.1"), "SYNOPSIS").contains(" \\fICOMMAND\\fR"));
    // ENVIRONMENT: the variables of the keys the command reads, and not the others.
    let env = |n: &str| {
        roff_section(page(n), "ENVIRONMENT")
            .replace("\\fB", "")
            .replace("\\fR", "")
    };
    for (page_name, has, lacks) in [
        (
            "nf-put.1",
            &["NF_CONFIG", "NF_SERVER", "NF_TOKEN", "NF_IDLE_TIMEOUT_SECS"][..],
            &["NF_LISTEN", "NF_MAX_FILE_SIZE"][..],
        ),
        (
            "nf-serve.1",
            &[
                "NF_CONFIG",
                "NF_LISTEN",
                "NF_MAX_FILE_SIZE",
                "NF_STORE_KIND",
                "NF_TOKEN",
            ],
            &["NF_SERVER"],
        ),
        (
            "nf-config.1",
            &["NF_SERVER", "NF_LISTEN", "NF_STORE_BUFFER_BYTES"],
            &[],
        ),
        ("nf-config-path.1", &["NF_CONFIG"], &["NF_SERVER", "NF_LISTEN"]),
        ("nf-completions.1", &[], &["NF_CONFIG", "NF_SERVER"]),
    ] {
        let text = env(page_name);
        for var in has {
            assert!(
                text.contains(&format!(".TP\n{var}\n")),
                "{page_name} lacks {var}:\n{text}"
            );
        }
        for var in lacks {
            assert!(!text.contains(var), "{page_name} has {var}:\n{text}");
        }
    }
    // As man renders them: the sections are there and no backtick shows.
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in &pages {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let Ok(out) = Command::new("man")
            .arg("-l")
            .arg(&path)
            .env("MANWIDTH", "100")
            .output()
        else {
            eprintln!("man is not installed: the pages were checked as roff only");
            return;
        };
        assert!(out.status.success(), "man -l {name}: {}", stderr(&out));
        let shown = stdout(&out);
        assert!(!shown.contains('`'), "{name} shows a backtick:\n{shown}");
        for heading in ["SYNOPSIS", "ENVIRONMENT", "EXIT STATUS", "SEE ALSO"] {
            assert!(
                shown.lines().any(|l| l == heading),
                "{name} shows no {heading}:\n{shown}"
            );
        }
    }
}

#[test]
fn the_bash_completions_load_and_complete_subcommands_and_flags() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/completions/nf.bash");
    let complete = |words: &str| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {script} && complete -p nf && COMP_WORDS=({words}) && \
                 COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)) && _nf nf \"${{COMP_WORDS[COMP_CWORD]}}\" && \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\""
            ))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let subcommands = complete("nf ''");
    let registration = subcommands.lines().next().unwrap();
    assert!(
        registration.starts_with("complete ") && registration.ends_with(" -F _nf nf"),
        "{subcommands}"
    );
    for sub in ["serve", "put", "get", "ls", "rm", "config", "completions"] {
        assert!(
            subcommands.lines().any(|l| l == sub),
            "{sub} missing: {subcommands}"
        );
    }
    let put_flags = complete("nf put --");
    for flag in ["--force", "--resume", "--as", "--server", "--config"] {
        assert!(
            put_flags.lines().any(|l| l == flag),
            "{flag} missing: {put_flags}"
        );
    }
    let shells = complete("nf completions ''");
    for (shell, _) in SHELLS {
        assert!(shells.lines().any(|l| l == shell), "{shell} missing: {shells}");
    }
}

/// Every visible command of the tree, as the words after `nf` (the root is the empty path).
fn command_paths() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
        out.push((path.clone(), cmd.clone()));
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let mut sub_path = path.clone();
            sub_path.push(sub.get_name().to_string());
            walk(sub, sub_path, out);
        }
    }
    let mut root = nf::cli::Cli::command();
    root.build();
    let mut out = Vec::new();
    walk(&root, Vec::new(), &mut out);
    out
}

fn help(path: &[String], flag: &str) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push(flag);
    let out = nf(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "nf {args:?}: {}", stderr(&out));
    assert!(out.stderr.is_empty(), "help goes to stdout: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn every_long_flag_of_every_command_appears_in_its_help() {
    let paths = command_paths();
    assert!(paths.len() >= 10, "{}", paths.len());
    for (path, cmd) in paths {
        let text = help(&path, "--help");
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                assert!(
                    text.contains(&format!("--{long}")),
                    "`nf {path:?} --help` lacks --{long}:\n{text}"
                );
            }
        }
    }
}

#[test]
fn every_command_has_a_summary_a_description_and_two_or_three_examples() {
    for (path, cmd) in command_paths() {
        let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
        let long_about = cmd.get_long_about().map(|a| a.to_string()).unwrap_or_default();
        assert!(
            !about.is_empty() && !about.contains('\n'),
            "nf {path:?}: one-line summary"
        );
        assert!(
            long_about.len() > about.len() + 20,
            "nf {path:?}: longer description"
        );
        let short = help(&path, "-h");
        assert!(
            short.starts_with(&about),
            "nf {path:?} -h starts with its summary:\n{short}"
        );
        let long = help(&path, "--help");
        assert!(long.starts_with(&long_about[..40]), "nf {path:?} --help:\n{long}");
        let examples: Vec<&str> = long
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("nf {path:?} --help has no examples:\n{long}"))
            .lines()
            .take_while(|l| l.starts_with("  "))
            .collect();
        assert!((2..=3).contains(&examples.len()), "nf {path:?}: {examples:?}");
        let invocation = format!("nf {}", path.join(" "));
        for example in examples {
            assert!(
                example.contains(invocation.trim_end()) || example.contains("nf --config"),
                "nf {path:?}: example {example:?} does not run {invocation:?}"
            );
        }
    }
}

#[test]
fn nf_without_arguments_prints_a_short_usage_and_exits_2() {
    let out = nf(&[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let text = stderr(&out);
    assert!(text.contains("Usage: nf [OPTIONS] <COMMAND>"), "{text}");
    assert!(
        text.contains("serve, put, get, ls, rm, mkdir, mv, sync, stat, config, user, access, completions"),
        "{text}"
    );
    assert!(text.contains("nf --help"), "{text}");
    assert!(text.lines().count() <= 8, "not short:\n{text}");
}

#[test]
fn clap_errors_read_as_nf_errors_with_a_hint_and_exit_2() {
    let out = nf(&["lss"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let text = stderr(&out);
    assert!(
        text.starts_with("nf: error: unrecognized subcommand 'lss'"),
        "{text}"
    );
    assert!(text.contains("a similar subcommand exists: 'ls'"), "{text}");
    assert!(text.contains("Usage: nf [OPTIONS] <COMMAND>"), "{text}");

    let out = nf(&["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.starts_with("nf: error: invalid value 'tcsh'"), "{text}");
    assert!(text.contains("bash, elvish, fish, powershell, zsh"), "{text}");

    let out = nf(&["config", "-s", "h:1", "path"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("nf: error: the subcommand 'path' cannot be used with"));
}

#[test]
fn a_closed_pipe_ends_a_long_listing_quietly_with_exit_0() {
    let s = Server::start();
    let names: Vec<String> = (0..5000)
        .map(|i| format!("a-file-with-a-fairly-long-name-{i:05}.txt"))
        .collect();
    // Placed by hand (as the README allows) rather than uploaded: 5000 fsyncs would dominate.
    for name in &names {
        std::fs::write(s.root.join(name), name.as_bytes()).unwrap();
    }
    // The listing is far larger than a pipe buffer, so nf is still writing when head exits.
    let full = s.nf(&["ls"]);
    assert!(full.stdout.len() > 256 * 1024, "{}", full.stdout.len());

    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -o pipefail; {NF} ls -s {} | head -1", s.addr))
        .env("NF_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(out.stderr.is_empty(), "stderr: {}", stderr(&out));
    let first = stdout(&out);
    assert!(first.ends_with(&format!("{}\n", names[0])), "{first}");
    assert_eq!(first.lines().count(), 1);
}

/// Runs `cmd` with stdout and stderr on a new pseudo-terminal (100 columns); returns all it
/// wrote there and whether it succeeded.
fn on_a_terminal(mut cmd: Command) -> (String, bool) {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};

    let (mut master, mut slave) = (-1, -1);
    let mut size = libc::winsize {
        ws_row: 24,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors we then own; FD_CLOEXEC keeps processes that
    // other tests start meanwhile from inheriting them (which would keep the terminal open).
    let (master, slave) = unsafe {
        let rc = libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null_mut(),         // *const on Linux, *mut on macOS
            std::ptr::addr_of_mut!(size), // likewise
        );
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(slave, libc::F_SETFD, libc::FD_CLOEXEC);
        (std::fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave))
    };
    cmd.stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .stdin(Stdio::null());
    let mut child = cmd.spawn().expect("start nf");
    drop(cmd); // closes our copies of the terminal's slave side
    let reader = std::thread::spawn(move || {
        let mut master = master;
        let mut seen = Vec::new();
        // Ends with EIO once the child has closed the slave side.
        let _ = master.read_to_end(&mut seen);
        seen
    });
    let status = child.wait().unwrap();
    let seen = reader.join().unwrap();
    (String::from_utf8_lossy(&seen).to_string(), status.success())
}

#[test]
fn no_color_output_has_no_escape_sequences_even_on_a_terminal() {
    let s = Server::start();
    s.file("big.bin", &random_bytes(32 << 20, 7));
    let put = |no_color: bool| {
        let mut cmd = s.cmd_in(&s.work, &["put", "big.bin", "-f"]);
        cmd.env("TERM", "xterm").env_remove("NO_COLOR");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        on_a_terminal(cmd)
    };
    // The harness sees what a terminal gets: without NO_COLOR, put draws its bar.
    let (drawn, ok) = put(false);
    assert!(ok, "{drawn}");
    assert!(drawn.contains('\x1b'), "no bar drawn on the terminal: {drawn:?}");

    let (plain, ok) = put(true);
    assert!(ok, "{plain}");
    assert!(
        !plain.contains('\x1b'),
        "escape sequences under NO_COLOR: {plain:?}"
    );
    assert!(plain.contains("uploaded 1 file"), "{plain:?}");

    for args in [
        &["--help"][..],
        &["lss"],
        &["put"],
        &["config"],
        &["ls", "-s", &s.addr],
    ] {
        let mut cmd = nf(args);
        cmd.env("NO_COLOR", "1").env("TERM", "xterm");
        let (text, _) = on_a_terminal(cmd);
        assert!(!text.is_empty(), "{args:?}");
        assert!(
            !text.contains('\x1b'),
            "escape sequences in nf {args:?}: {text:?}"
        );
    }
}

#[test]
fn data_goes_to_stdout_and_messages_to_stderr() {
    let s = Server::start();
    s.file("a.txt", b"hello");
    let out = s.nf(&["put", "a.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "put printed data: {}", stdout(&out));
    assert!(stderr(&out).contains("uploaded 1 file"), "{}", stderr(&out));

    let out = s.nf(&["ls"]);
    assert!(
        stdout(&out).contains("a.txt") && out.stderr.is_empty(),
        "{}",
        stderr(&out)
    );

    let out = s.nf(&["get", "a.txt", "-o", "-"]);
    assert_eq!(out.stdout, b"hello");

    let out = s.nf(&["rm", "a.txt"]);
    assert!(out.stdout.is_empty() && stderr(&out).contains("removed 1 file"));
}

/// A scratch home: `nf` run with HOME and XDG_CONFIG_HOME inside it and no `NF_*` variables.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn config_home(&self) -> std::path::PathBuf {
        self.dir.path().join("xdg-config")
    }

    /// The config file nf reads by default here.
    fn default_file(&self) -> std::path::PathBuf {
        self.config_home().join("nf").join("config.toml")
    }

    fn nf(&self, args: &[&str]) -> Command {
        let mut cmd = nf(args);
        cmd.env_remove("NF_CONFIG")
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.config_home())
            .current_dir(self.dir.path());
        cmd
    }
}

/// `nf config`'s lines as key → (value, origin).
fn config_lines(text: &str) -> std::collections::BTreeMap<String, (String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (setting, origin) = l.split_once("  # ").unwrap_or_else(|| panic!("no origin: {l}"));
            let (key, value) = setting.split_once(" = ").unwrap();
            (key.to_string(), (value.trim().to_string(), origin.to_string()))
        })
        .collect()
}

#[test]
fn nf_config_shows_each_value_with_where_it_came_from() {
    let home = Home::new();
    let file = home.dir.path().join("my.toml");
    std::fs::write(&file, "partial_max_age_hours = 30\nserver = \"file-host:1\"\n").unwrap();
    let out = home
        .nf(&["--config", file.to_str().unwrap(), "config", "-s", "flag-host:2"])
        .env("NF_MAX_PATH_COMPONENTS", "7")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("# Config file: {}\n", file.display())),
        "{text}"
    );
    let lines = config_lines(&text);
    let keys: Vec<&str> = nf::config::KEYS.iter().map(|k| k.name).collect();
    let printed: BTreeSet<&str> = lines.keys().map(String::as_str).collect();
    assert_eq!(printed, keys.iter().copied().collect(), "every key, once");
    assert_eq!(
        lines["server"],
        ("\"flag-host:2\"".into(), "flag --server".into())
    );
    assert_eq!(
        lines["max_path_components"],
        ("7".into(), "environment NF_MAX_PATH_COMPONENTS".into())
    );
    assert_eq!(
        lines["partial_max_age_hours"],
        ("30".into(), format!("file {}", file.display()))
    );
    assert_eq!(lines["listen"], ("\"127.0.0.1:8889\"".into(), "default".into()));

    // The output is itself a config file that yields the same values.
    let table: toml::Table = toml::from_str(&text).expect("nf config prints TOML");
    assert_eq!(table["max_path_components"].as_integer(), Some(7));
    let copy = home.dir.path().join("copy.toml");
    std::fs::write(&copy, &text).unwrap();
    let again = home
        .nf(&["--config", copy.to_str().unwrap(), "config"])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    let again = config_lines(&stdout(&again));
    for key in keys {
        assert_eq!(again[key].0, lines[key].0, "{key}");
        assert_eq!(again[key].1, format!("file {}", copy.display()), "{key}");
    }
}

#[test]
fn nf_config_names_the_serve_flags_and_the_missing_default_file() {
    let home = Home::new();
    let out = home
        .nf(&["config", "--listen", "0.0.0.0:9", "--root", "/srv/nf"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let expected = format!(
        "# Config file: none ({} does not exist)\n",
        home.default_file().display()
    );
    assert!(text.contains(&expected), "{text}");
    let lines = config_lines(&text);
    assert_eq!(lines["listen"], ("\"0.0.0.0:9\"".into(), "flag --listen".into()));
    assert_eq!(lines["root"], ("\"/srv/nf\"".into(), "flag --root".into()));
    assert_eq!(lines["server"].1, "default");
}

#[test]
fn nf_config_path_honours_config_nf_config_and_xdg_config_home() {
    let home = Home::new();
    let path = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(
        path(&mut home.nf(&["config", "path"])),
        format!("{}\n", home.default_file().display())
    );
    assert_eq!(
        path(home.nf(&["config", "path"]).env_remove("XDG_CONFIG_HOME")),
        format!("{}/.config/nf/config.toml\n", home.dir.path().display())
    );
    // NF_CONFIG need not exist or be valid: `path` does not read it.
    assert_eq!(
        path(home.nf(&["config", "path"]).env("NF_CONFIG", "/nowhere/nf.toml")),
        "/nowhere/nf.toml\n"
    );
    assert_eq!(
        path(
            home.nf(&["--config", "/flag/nf.toml", "config", "path"])
                .env("NF_CONFIG", "/env/nf.toml")
        ),
        "/flag/nf.toml\n"
    );
}

#[test]
fn nf_config_init_writes_the_example_file_and_refuses_to_overwrite_without_force() {
    let home = Home::new();
    let target = home.default_file();
    assert!(!target.parent().unwrap().exists());
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml")).unwrap();

    let out = home.nf(&["config", "init"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert_eq!(stderr(&out), format!("wrote {}\n", target.display()));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), example);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    // The written file loads: every value is the default, read from that file.
    let out = home.nf(&["config"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("# Config file: {}\n", target.display())));

    std::fs::write(&target, "server = \"mine:1\"\n").unwrap();
    let out = home.nf(&["config", "init"]).output().unwrap();
    assert_fails(
        &out,
        4,
        &format!("{} already exists; use --force", target.display()),
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "server = \"mine:1\"\n");

    let out = home.nf(&["config", "init", "-f"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), example);

    // --config names the file to create; a broken existing file can be replaced.
    let other = home.dir.path().join("deep/dir/nf.toml");
    let out = home
        .nf(&["--config", other.to_str().unwrap(), "config", "init", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{}", stderr(&out));
    std::fs::write(&other, "broken = = =").unwrap();
    let out = home
        .nf(&["--config", other.to_str().unwrap(), "config", "init", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), example);
}

#[test]
fn completions_work_even_when_the_config_file_is_broken() {
    let home = Home::new();
    std::fs::create_dir_all(home.default_file().parent().unwrap()).unwrap();
    std::fs::write(home.default_file(), "nonsense = = =").unwrap();
    let out = home.nf(&["completions", "fish"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("complete -c nf"));
    // while commands that use the config report it.
    let out = home.nf(&["config"]).output().unwrap();
    assert_fails(
        &out,
        2,
        &format!("config file {}, line 1", home.default_file().display()),
    );
}
