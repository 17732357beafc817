//! Text generated from the key definitions: `config.example.toml`, `nf config`'s output and
//! README's configuration table. The man pages take the same definitions (src/man.rs).

use super::{default_path, Config, Origin, KEYS, SIZE_UNITS};

/// A commented config file with every key, each set to its built-in default.
pub fn example_toml() -> String {
    let mut out = String::from(
        "# nf configuration. Every key is optional; the values shown are the built-in defaults.\n\
         # Precedence: command-line flag > environment variable (NF_<KEY>) > this file > default.\n\
         # nf reads ~/.config/nf/config.toml (on Linux), or the file given with --config / NF_CONFIG.\n",
    );
    for line in wrap(&format!("Sizes: {SIZE_UNITS}."), 92) {
        out.push_str(&format!("# {line}\n"));
    }
    for key in KEYS {
        out.push('\n');
        for line in key.doc.lines() {
            out.push_str(&format!("# {}\n", line.trim()));
        }
        out.push_str(&format!("# Value: {}.\n", key.kind.describe()));
        let mut how = format!("# Read by {}; environment {}", key.read_by.describe(), key.env());
        if let Some(flag) = key.flag {
            how.push_str(&format!("; flag {flag}"));
        }
        out.push_str(&format!("{how}.\n"));
        out.push_str(&format!("# {} = {}\n", key.name, key.documented_default()));
    }
    out
}

/// The effective configuration as TOML, each value followed by a comment naming its origin
/// (for `nf config`). The text is itself a valid config file that yields the same values.
pub fn effective_toml(cfg: &Config) -> String {
    let file_line = match (&cfg.file, default_path()) {
        (Some(path), _) => format!("# Config file: {}", comment_safe(&path.display().to_string())),
        (None, Some(path)) => format!(
            "# Config file: none ({} does not exist)",
            comment_safe(&path.display().to_string())
        ),
        (None, None) => "# Config file: none (no home directory)".to_string(),
    };
    let lines: Vec<(String, String)> = KEYS
        .iter()
        .map(|key| {
            let origin = cfg.origins.get(key.name).cloned().unwrap_or(Origin::Default);
            let setting = format!("{} = {}", key.name, key.kind.show(&(key.get)(cfg)));
            (setting, origin_comment(key.name, &origin))
        })
        .collect();
    let width = lines.iter().map(|(s, _)| s.chars().count()).max().unwrap_or(0);
    let mut out =
        format!("# The configuration nf uses here; after each value, where it came from.\n{file_line}\n");
    for (setting, origin) in lines {
        out.push_str(&format!("{setting:<width$}  # {origin}\n"));
    }
    out
}

/// How a value's origin reads in `nf config`: `flag --server` (the flag its definition
/// names), `environment NF_SERVER`, `file PATH` or `default`.
pub fn origin_comment(name: &str, origin: &Origin) -> String {
    let text = match origin {
        Origin::Flag => {
            let flag = super::key(name).and_then(|k| k.long_flag()).unwrap_or("?");
            format!("flag {flag}")
        }
        other => other.to_string(),
    };
    comment_safe(&text)
}

/// README.md's configuration table: one row per key with its default, flag, environment
/// variable and the commands that read it. tests/config.rs keeps README.md in step.
pub fn readme_table() -> String {
    let code = |s: &str| format!("`{s}`");
    let mut out =
        String::from("| key | default | flag | environment | read by |\n| --- | --- | --- | --- | --- |\n");
    for key in KEYS {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            code(key.name),
            code(&key.documented_default()),
            key.flag.map(code).unwrap_or_default(),
            code(&key.env()),
            key.read_by.short()
        ));
    }
    out
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// Text that stays on one line of a TOML comment: control characters become `?`.
fn comment_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::ReadBy;
    use super::*;

    #[test]
    fn the_example_file_is_generated_from_keys_and_loads() {
        let text = example_toml();
        for key in KEYS {
            assert!(text.contains(&format!("# {} = ", key.name)), "{}", key.name);
        }
        assert!(text.contains(
            "# Value: true or false.\n# Read by nf serve; environment NF_COMPAT; flag --no-compat.\n\
             # compat = true\n"
        ));
        // Uncommented, it loads and yields the defaults.
        let live: String = text
            .lines()
            .filter(|l| l.starts_with("# ") && l.contains(" = "))
            .map(|l| format!("{}\n", &l[2..]))
            .collect();
        let mut cfg = Config::defaults();
        cfg.apply_file(Path::new("/x.toml"), &live, ReadBy::Both).unwrap();
        let defaults = Config::defaults();
        for key in KEYS.iter().filter(|k| k.name != "root") {
            assert_eq!((key.get)(&cfg), (key.get)(&defaults), "{}", key.name);
        }
    }

    #[test]
    fn the_readme_table_has_a_row_per_key() {
        let table = readme_table();
        assert_eq!(table.lines().count(), KEYS.len() + 2);
        assert!(
            table.contains("| `server` | `\"127.0.0.1:8889\"` | `-s/--server` | `NF_SERVER` | client |\n")
        );
        assert!(table.contains("| `max_file_size` | `\"1 TiB\"` |  | `NF_MAX_FILE_SIZE` | server |\n"));
    }
}
