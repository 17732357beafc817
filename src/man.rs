//! Man pages, generated from the clap tree with clap_mangen: `nf.1` and one page per subcommand
//! (`nf-put.1`, `nf-config-init.1`, …). `nf.1` also documents the config file and the
//! environment (generated from `config::KEYS` and the tree's `env` flags), the files nf reads
//! and writes, and the exit codes (taken from README.md's "Exit codes" section). Text only, no
//! I/O: `tests/cli_docs.rs` keeps the checked-in `man/` in step with [`pages`].

use clap::{Command, CommandFactory};
use clap_mangen::roff::{bold, italic, roman, Inline, Roff};
use clap_mangen::Man;

use crate::cli::Cli;
use crate::config::{KEYS, SIZE_UNITS};

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

/// One page: clap_mangen's sections, then examples, (for `nf.1`) the configuration,
/// environment, files and exit status, and cross references.
fn page(root: &Command, cmd: &Command, parent: Option<&Command>) -> String {
    let man = Man::new(cmd.clone()).source(format!("nf {}", env!("CARGO_PKG_VERSION")));
    let mut out = section(|w| man.render_title(w));
    let mut add = |render: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>| {
        out.push_str(strip_preamble(&section(render)));
    };
    add(&|w| man.render_name_section(w));
    add(&|w| man.render_synopsis_section(w));
    add(&|w| man.render_description_section(w));
    add(&|w| man.render_options_section(w));
    if visible_subcommands(cmd).next().is_some() {
        add(&|w| man.render_subcommands_section(w));
    }
    let mut roff = Roff::new();
    examples(&mut roff, cmd);
    if parent.is_none() {
        configuration(&mut roff, root);
        environment(&mut roff, root);
        files(&mut roff);
        exit_status(&mut roff);
    }
    see_also(&mut roff, cmd, parent);
    out.push_str(strip_preamble(&roff.render()));
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

/// ENVIRONMENT: the flags' variables, one `NF_<KEY>` per config key, and the general ones.
fn environment(roff: &mut Roff, root: &Command) {
    roff.control("SH", ["ENVIRONMENT"]);
    for arg in root.get_arguments().filter(|a| !a.is_hide_set()) {
        let (Some(var), Some(long)) = (arg.get_env(), arg.get_long()) else {
            continue;
        };
        roff.control("TP", []);
        roff.text([bold(var.to_string_lossy())]);
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        let mut chars = help.chars();
        let help: String = chars
            .next()
            .map(|c| c.to_lowercase().chain(chars).collect())
            .unwrap_or_default();
        roff.text([roman(format!("Like --{long}: {help}."))]);
    }
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
             $XDG_DATA_HOME/nf/files when that is set). Files are stored flat under their names; \
             each one's BLAKE3, size and modification time are kept in its extended attribute \
             user.nf.meta, so the file system must support extended attributes.",
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

/// SEE ALSO: the parent page and `nf(1)` for a subcommand; the subcommands' pages for `nf.1`.
fn see_also(roff: &mut Roff, cmd: &Command, parent: Option<&Command>) {
    let mut refs: Vec<String> = Vec::new();
    if let Some(parent) = parent {
        if page_name(parent) != "nf" {
            refs.push(page_name(parent).to_string());
        }
        refs.push("nf".to_string());
    }
    refs.extend(visible_subcommands(cmd).map(|s| page_name(s).to_string()));
    if refs.is_empty() {
        return;
    }
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
            ["nf config", "nf get", "nf ls", "nf put", "nf rm"]
        );
    }
}
