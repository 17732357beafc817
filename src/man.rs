//! Man pages, generated from the clap tree with clap_mangen: `nf.1` and one page per subcommand
//! (`nf-put.1`, `nf-config-init.1`, …). Every page has a SYNOPSIS with argument names, the
//! ENVIRONMENT its command reads (the `NF_*` variables of the config keys it reads, from
//! `config::KEYS`), EXIT STATUS (README.md's "Exit codes" section) and SEE ALSO; `nf.1` also
//! documents the config file, every variable and the files nf reads and writes. Markdown `code`
//! in help texts becomes bold: no page shows a backtick. Text only, no I/O:
//! `tests/cli_docs.rs` keeps the checked-in `man/` in step with [`pages`].

use clap::{Arg, Command, CommandFactory};
use clap_mangen::roff::{bold, italic, roman, Inline, Roff};
use clap_mangen::Man;

use crate::cli::Cli;
use crate::config::{Key, Kind, ReadBy, KEYS, SIZE_UNITS};

/// README.md, the source of the exit-code table.
const README: &str = include_str!("../README.md");

/// Every page as (file name, roff source), `nf.1` first, then the subcommands in tree order.
pub fn pages() -> Vec<(String, String)> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut pages = Vec::new();
    add_pages(&root, &root, None, &mut pages);
    pages
}

fn add_pages(root: &Command, cmd: &Command, parent: Option<&Command>, pages: &mut Vec<(String, String)>) {
    pages.push((format!("{}.1", page_name(cmd)), page(root, cmd, parent)));
    for sub in visible_subcommands(cmd) {
        add_pages(root, sub, Some(cmd), pages);
    }
}

/// `nf`, `nf-put`, `nf-config-init`: the page's name without the section.
fn page_name(cmd: &Command) -> &str {
    cmd.get_display_name().unwrap_or_else(|| cmd.get_name())
}

fn visible_subcommands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// One page: clap_mangen's title, name, description, options and subcommands, our synopsis,
/// then examples, (for `nf.1`) the configuration, the environment, (for `nf.1`) the files, the
/// exit status and cross references.
fn page(root: &Command, cmd: &Command, parent: Option<&Command>) -> String {
    let man = Man::new(cmd.clone()).source(format!("nf {}", env!("CARGO_PKG_VERSION")));
    let mut out = section(|w| man.render_title(w));
    let mut add = |render: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>| {
        out.push_str(strip_preamble(&section(render)));
    };
    add(&|w| man.render_name_section(w));
    add(&|w| {
        let mut roff = Roff::new();
        synopsis(&mut roff, cmd);
        roff.to_writer(w)
    });
    add(&|w| man.render_description_section(w));
    add(&|w| man.render_options_section(w));
    if visible_subcommands(cmd).next().is_some() {
        add(&|w| man.render_subcommands_section(w));
    }
    let mut roff = Roff::new();
    examples(&mut roff, cmd);
    match parent {
        None => {
            configuration(&mut roff, root);
            environment(&mut roff, root);
            files(&mut roff);
        }
        Some(parent) => command_environment(&mut roff, cmd, parent),
    }
    exit_status(&mut roff);
    see_also(&mut roff, cmd, parent);
    out.push_str(strip_preamble(&roff.render()));
    code_to_bold(&out)
}

/// SYNOPSIS: how the command is called, every option with its value's name, the arguments
/// (`FILE...` when it takes many, `[PATTERN]` when optional), and the subcommand if any.
fn synopsis(roff: &mut Roff, cmd: &Command) {
    roff.control("SH", ["SYNOPSIS"]);
    // Ragged right and no hyphens, so that no option is split across lines.
    roff.control("ad", ["l"]);
    roff.control("nh", []);
    let mut line = vec![bold(cmd.get_bin_name().unwrap_or_else(|| cmd.get_name()))];
    let visible = || cmd.get_arguments().filter(|a| !a.is_hide_set());
    for arg in visible().filter(|a| !a.is_positional()) {
        line.push(roman(if arg.is_required_set() { " " } else { " [" }));
        if let Some(short) = arg.get_short() {
            line.push(bold(format!("-{short}")));
            if arg.get_long().is_some() {
                line.push(roman("|"));
            }
        }
        if let Some(long) = arg.get_long() {
            line.push(bold(format!("--{long}")));
        }
        if arg.get_action().takes_values() {
            line.push(roman(" "));
            line.push(italic(value_name(arg)));
        }
        if !arg.is_required_set() {
            line.push(roman("]"));
        }
    }
    for arg in visible().filter(|a| a.is_positional()) {
        let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
        let name = format!("{}{}", value_name(arg), if many { "..." } else { "" });
        line.push(roman(" "));
        if arg.is_required_set() {
            line.push(italic(name));
        } else {
            line.extend([roman("["), italic(name), roman("]")]);
        }
    }
    if visible_subcommands(cmd).next().is_some() {
        line.push(roman(" "));
        if cmd.is_subcommand_required_set() {
            line.push(italic("COMMAND"));
        } else {
            line.extend([roman("["), italic("COMMAND"), roman("]")]);
        }
    }
    roff.text(line);
    roff.control("ad", []);
    roff.control("hy", []);
}

/// The name of an argument's value, as `--help` shows it: `NAME`, `FILE`.
fn value_name(arg: &Arg) -> String {
    arg.get_value_names()
        .and_then(|names| names.first())
        .map(|n| n.to_string())
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
}

/// Roff text with each Markdown `code` span of its text lines in bold; no backtick is left.
fn code_to_bold(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for line in page.lines() {
        if line.starts_with('.') || !line.contains('`') {
            out.push_str(line);
        } else {
            for (i, part) in line.split('`').enumerate() {
                let code = i % 2 == 1 && line.split('`').count() > i + 1;
                if code {
                    out.push_str(&format!("\\fB{part}\\fR"));
                } else {
                    out.push_str(part);
                }
            }
        }
        out.push('\n');
    }
    out
}

/// Renders one clap_mangen section to text.
fn section(render: impl Fn(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    render(&mut buf).expect("writing to a Vec cannot fail");
    String::from_utf8(buf).expect("roff output is UTF-8")
}

/// Each rendered piece starts with roff's apostrophe set-up; the page needs it once, at the top.
fn strip_preamble(text: &str) -> &str {
    let preamble = Roff::new().render();
    text.strip_prefix(preamble.as_str()).unwrap_or(text)
}

/// EXAMPLES from the `Examples:` block of the command's `after_help`.
fn examples(roff: &mut Roff, cmd: &Command) {
    let Some(after) = cmd.get_after_long_help().or_else(|| cmd.get_after_help()) else {
        return;
    };
    let after = after.to_string();
    let (heading, body) = match after.strip_prefix("Examples:") {
        Some(rest) => ("EXAMPLES", rest),
        None => ("NOTES", after.as_str()),
    };
    roff.control("SH", [heading]);
    roff.control("nf", []);
    roff.control("RS", ["4"]);
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        roff.text([roman(line)]);
    }
    roff.control("RE", []);
    roff.control("fi", []);
}

/// CONFIGURATION: where the file is, precedence, and every key of `config::KEYS`.
fn configuration(roff: &mut Roff, root: &Command) {
    roff.control("SH", ["CONFIGURATION"]);
    roff.text([
        roman("nf reads one TOML file: the file given with "),
        bold("-c"),
        roman(", "),
        bold("--config"),
        roman(" or "),
        bold("NF_CONFIG"),
        roman(", otherwise "),
        italic("$XDG_CONFIG_HOME/nf/config.toml"),
        roman(" ("),
        italic("~/.config/nf/config.toml"),
        roman(
            " by default). A missing default file is fine; a malformed file or an unknown key is \
               an error that names the file, the line and the key. Every key is optional, and \
               every key has an environment variable. Precedence: command-line flag, then \
               environment variable, then the file, then the built-in default.",
        ),
    ]);
    roff.control("PP", []);
    roff.text([
        bold("nf config"),
        roman(" prints the effective configuration and where each value came from; "),
        bold("nf config path"),
        roman(" prints the path of the file; "),
        bold("nf config init"),
        roman(" writes a commented file with every key and its default."),
    ]);
    roff.control("PP", []);
    roff.text([roman(format!("Sizes: {SIZE_UNITS}."))]);
    roff.control("PP", []);
    roff.text([roman("The keys, with their built-in defaults:")]);
    for key in KEYS {
        roff.control("TP", []);
        roff.text([bold(key.name), roman(format!(" = {}", key.documented_default()))]);
        roff.text(code_spans(
            &key.doc.lines().map(str::trim).collect::<Vec<_>>().join(" "),
        ));
        roff.control("br", []);
        roff.text([roman(format!("Value: {}.", key.kind.describe()))]);
        roff.control("br", []);
        let mut how = vec![
            roman(format!("Read by {}; environment ", key.read_by.describe())),
            bold(key.env()),
        ];
        if let Some(flag) = key.flag {
            how.push(roman("; flag "));
            how.push(bold(flag));
            how.push(roman(format!(" ({})", commands_taking(root, flag).join(", "))));
        }
        how.push(roman("."));
        roff.text(how);
    }
}

/// The commands that take `flag` (`-s/--server`, by its long form), such as `nf config, nf serve`.
fn commands_taking(root: &Command, flag: &str) -> Vec<String> {
    let long = flag.rsplit('/').next().unwrap_or(flag);
    let mut commands = Vec::new();
    let mut stack: Vec<&Command> = visible_subcommands(root).collect();
    while let Some(cmd) = stack.pop() {
        if own_flag(cmd, long).is_some() {
            commands.push(cmd.get_bin_name().unwrap_or_else(|| cmd.get_name()).to_string());
        }
        stack.extend(visible_subcommands(cmd));
    }
    commands.sort();
    commands
}

/// The command's own (not global) visible flag `--long`, as `--help` spells it: `-s/--server`.
fn own_flag(cmd: &Command, long: &str) -> Option<String> {
    let arg = cmd.get_arguments().find(|a| {
        !a.is_hide_set() && !a.is_global_set() && a.get_long().map(|l| format!("--{l}")) == Some(long.into())
    })?;
    Some(match arg.get_short() {
        Some(short) => format!("-{short}/{long}"),
        None => long.to_string(),
    })
}

/// Which config keys a command reads, seen from its flags: one that takes a flag of a client key
/// (`--server`) reads the client's keys, one that takes a flag of a server key (`--listen`) the
/// server's; `nf config` takes both.
fn keys_read_by(cmd: &Command) -> Option<ReadBy> {
    // A flag that takes no value sets only a true-or-false key: `nf serve --fingerprint`
    // (print the identity) is not the client's `--fingerprint SHA256`.
    let sets = |k: &Key, long: &str| {
        cmd.get_arguments().any(|a| {
            a.get_long().map(|l| format!("--{l}")).as_deref() == Some(long)
                && !a.is_hide_set()
                && !a.is_global_set()
                && (a.get_num_args().is_some_and(|n| n.takes_values()) || matches!(k.kind, Kind::Bool))
        })
    };
    let takes = |who: ReadBy| {
        KEYS.iter()
            .filter(|k| k.read_by == who)
            .filter_map(|k| k.long_flag().map(|long| (k, long)))
            .any(|(k, long)| sets(k, long))
    };
    match (takes(ReadBy::Client), takes(ReadBy::Server)) {
        (true, true) => Some(ReadBy::Both),
        (true, false) => Some(ReadBy::Client),
        (false, true) => Some(ReadBy::Server),
        (false, false) => None,
    }
}

/// ENVIRONMENT of a subcommand's page: `NF_CONFIG` where the command or its parent reads the
/// config, and the variable of every key it reads.
fn command_environment(roff: &mut Roff, cmd: &Command, parent: &Command) {
    roff.control("SH", ["ENVIRONMENT"]);
    let reads = keys_read_by(cmd);
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    if reads.is_none() && keys_read_by(parent).is_none() {
        roff.text([bold(name), roman(" reads no environment variables of its own.")]);
        return;
    }
    env_flags(roff, cmd);
    for key in KEYS.iter().filter(|k| reads.is_some_and(|r| k.read_by.meets(r))) {
        roff.control("TP", []);
        roff.text([bold(key.env())]);
        let mut text = vec![roman("Sets the config key "), bold(key.name), roman(": ")];
        text.extend(code_spans(&lower_first(
            &key.doc.lines().map(str::trim).collect::<Vec<_>>().join(" "),
        )));
        roff.text(text);
    }
    roff.control("PP", []);
    roff.text([
        roman("A flag beats the variable, which beats the config file. "),
        bold("nf"),
        roman(
            "(1) lists the other variables nf reads (NO_COLOR, TERM, XDG_CONFIG_HOME, \
               XDG_DATA_HOME, HOME).",
        ),
    ]);
}

/// The variables of the command's flags (`NF_CONFIG`, like `--config`).
fn env_flags(roff: &mut Roff, cmd: &Command) {
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let (Some(var), Some(long)) = (arg.get_env(), arg.get_long()) else {
            continue;
        };
        roff.control("TP", []);
        roff.text([bold(var.to_string_lossy())]);
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        roff.text([roman(format!(
            "Like --{long}: {}.",
            lower_first(help.trim_end_matches('.'))
        ))]);
    }
}

/// A sentence to follow a colon: its first letter in lower case, unless the first word is in
/// capitals (`URL`).
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if !second.is_uppercase() => {
            first.to_lowercase().chain(text.chars().skip(1)).collect()
        }
        _ => text.to_string(),
    }
}

/// ENVIRONMENT: the flags' variables, one `NF_<KEY>` per config key, and the general ones.
fn environment(roff: &mut Roff, root: &Command) {
    roff.control("SH", ["ENVIRONMENT"]);
    env_flags(roff, root);
    for key in KEYS {
        roff.control("TP", []);
        roff.text([bold(key.env())]);
        roff.text([
            roman("Sets the config key "),
            bold(key.name),
            roman(" (see CONFIGURATION): a flag beats it; it beats the file."),
        ]);
    }
    let general: [(&str, &str); 4] = [
        (
            "NO_COLOR",
            "When set and not empty, nf writes no colour and draws no progress bars, only plain lines.",
        ),
        ("TERM", "When \"dumb\", nf draws no progress bars."),
        (
            "XDG_CONFIG_HOME",
            "Directory of the default config file: $XDG_CONFIG_HOME/nf/config.toml.",
        ),
        (
            "XDG_DATA_HOME, HOME",
            "Directory of the default storage directory ($XDG_DATA_HOME/nf/files) and, through \
             HOME, the defaults ~/.config and ~/.local/share; a leading ~/ in root is HOME.",
        ),
    ];
    for (var, what) in general {
        roff.control("TP", []);
        roff.text([bold(var)]);
        roff.text([roman(what)]);
    }
}

/// FILES: what nf reads and writes.
fn files(roff: &mut Roff) {
    roff.control("SH", ["FILES"]);
    let entries: [(&str, &str); 4] = [
        (
            "~/.config/nf/config.toml",
            "The config file ($XDG_CONFIG_HOME/nf/config.toml when that is set). Read by every \
             command; written only by nf config init.",
        ),
        (
            "~/.local/share/nf/files",
            "The default storage directory of nf serve (config key root; \
             $XDG_DATA_HOME/nf/files when that is set). Files are stored under their paths, in real \
             directories; each one's BLAKE3, size, modification time and mode are kept in its \
             extended attribute user.nf.meta, so the file system must support extended \
             attributes.",
        ),
        (
            "ROOT/.nf/partial/",
            "Uploads in progress or interrupted, inside the storage directory (mode 0600). nf put \
             --resume continues them; they are removed after partial_max_age_hours.",
        ),
        (
            "DIR/.NAME.nf-part",
            "A download in progress, beside its target NAME; renamed into place only once \
             verified. nf get --resume continues it.",
        ),
    ];
    for (path, what) in entries {
        roff.control("TP", []);
        roff.text([italic(path)]);
        roff.text([roman(what)]);
    }
}

/// EXIT STATUS: README.md's "Exit codes" table and the text after it.
fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    let (codes, notes) = readme_exit_codes();
    for (code, meaning) in codes {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(meaning)]);
    }
    if !notes.is_empty() {
        roff.control("PP", []);
        roff.text(code_spans(&notes));
    }
}

/// The rows (code, meaning) of README.md's "Exit codes" table, and the prose that follows it
/// (which keeps its Markdown `code` spans). Plain ASCII: `…` becomes `...`.
pub fn readme_exit_codes() -> (Vec<(u8, String)>, String) {
    let section = README
        .split("\n## ")
        .find(|s| s.starts_with("Exit codes"))
        .unwrap_or_default();
    let plain = |s: &str| s.trim().replace('…', "...");
    let mut codes = Vec::new();
    let mut notes = Vec::new();
    for line in section.lines().skip(1) {
        if let Some(row) = line.strip_prefix('|') {
            let mut cells = row.split('|');
            if let (Some(code), Some(meaning)) = (cells.next(), cells.next()) {
                if let Ok(code) = code.trim().parse::<u8>() {
                    codes.push((code, plain(meaning).replace('`', "")));
                }
            }
        } else if !line.trim().is_empty() {
            notes.push(plain(line));
        }
    }
    (codes, notes.join(" "))
}

/// Text with Markdown `code` spans, the spans in bold.
fn code_spans(text: &str) -> Vec<Inline> {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| if i % 2 == 1 { bold(part) } else { roman(part) })
        .collect()
}

/// SEE ALSO: for a subcommand its parent's page (`nf(1)` last), its siblings' and its own
/// subcommands'; for `nf.1` the subcommands' pages.
fn see_also(roff: &mut Roff, cmd: &Command, parent: Option<&Command>) {
    let mut refs: Vec<String> = Vec::new();
    if let Some(parent) = parent {
        if page_name(parent) != "nf" {
            refs.push(page_name(parent).to_string());
        }
        refs.push("nf".to_string());
        refs.extend(
            visible_subcommands(parent)
                .filter(|s| s.get_name() != cmd.get_name())
                .map(|s| page_name(s).to_string()),
        );
    }
    refs.extend(visible_subcommands(cmd).map(|s| page_name(s).to_string()));
    roff.control("SH", ["SEE ALSO"]);
    let mut line: Vec<Inline> = Vec::new();
    for (i, name) in refs.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(name.as_str()));
        line.push(roman("(1)"));
    }
    roff.text(line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn every_exit_code_nf_can_return_is_in_the_readme_table() {
        let (codes, notes) = readme_exit_codes();
        for kind in ErrorKind::ALL {
            let exit = kind.exit_code();
            assert!(
                codes.iter().any(|(c, _)| *c == exit),
                "exit code {exit} ({}) is not in README.md",
                kind.code()
            );
        }
        assert!(codes.iter().any(|(c, m)| *c == 0 && m == "success"), "{codes:?}");
        assert!(notes.contains("nf: error:"), "{notes}");
    }

    #[test]
    fn there_is_a_page_for_nf_and_every_subcommand() {
        let names: Vec<String> = pages().into_iter().map(|(n, _)| n).collect();
        for name in [
            "nf.1",
            "nf-serve.1",
            "nf-put.1",
            "nf-get.1",
            "nf-ls.1",
            "nf-rm.1",
            "nf-config.1",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    }

    #[test]
    fn every_flag_in_the_key_definitions_is_spelled_as_the_clap_tree_has_it() {
        let mut root = Cli::command();
        root.build();
        for key in KEYS {
            let Some(flag) = key.flag else { continue };
            let commands = commands_taking(&root, flag);
            assert!(!commands.is_empty(), "{}: no command takes {flag}", key.name);
            for name in &commands {
                let mut cmd = &root;
                for word in name.split(' ').skip(1) {
                    cmd = cmd.find_subcommand(word).unwrap();
                }
                let long = key.long_flag().unwrap();
                assert_eq!(
                    own_flag(cmd, long).as_deref(),
                    Some(flag),
                    "{} in {name}",
                    key.name
                );
            }
        }
        assert_eq!(commands_taking(&root, "--root"), ["nf config", "nf serve"]);
        assert_eq!(
            commands_taking(&root, "-s/--server"),
            [
                "nf config",
                "nf get",
                "nf ls",
                "nf mkdir",
                "nf mv",
                "nf put",
                "nf receipts",
                "nf rm",
                "nf share",
                "nf share ls",
                "nf share rm",
                "nf stat",
                "nf sync",
            ]
        );
    }

    #[test]
    fn a_command_reads_the_keys_whose_flags_it_takes() {
        let mut root = Cli::command();
        root.build();
        let reads = |name: &str| keys_read_by(root.find_subcommand(name).unwrap());
        assert_eq!(reads("serve"), Some(ReadBy::Server));
        assert_eq!(reads("put"), Some(ReadBy::Client));
        assert_eq!(reads("config"), Some(ReadBy::Both));
        assert_eq!(reads("completions"), None);
    }

    #[test]
    fn code_spans_become_bold_and_no_backtick_is_left() {
        assert_eq!(
            code_to_bold(".SH X\nsame as `compat = false`, see `nf ls` or ` alone\n"),
            ".SH X\nsame as \\fBcompat = false\\fR, see \\fBnf ls\\fR or  alone\n"
        );
    }
}
