//! The one `Config`: every setting nf reads, where each value came from, and how to find and
//! parse the TOML file. Precedence: flag > environment (`NF_*`) > file > built-in default.
//! Errors name the file, the line and the key, and say what to write instead. Every key is
//! defined once, in [`KEYS`] (keys.rs, which also says how to add one); the loader, `nf config`,
//! `config.example.toml`, the man pages and README's table all follow from it (text.rs).

mod keys;
mod text;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use keys::{key, split_list, Initial, Key, Kind, Raw, ReadBy, Val, KEYS, SIZE_UNITS};
pub use text::{effective_toml, example_toml, origin_comment, readme_table};

use crate::error::{Error, ErrorKind, Result};
use crate::store::{S3Location, StoreKind};

/// When the client commands use TLS (`tls`, `--tls`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsMode {
    /// To every server not on loopback.
    #[default]
    Auto,
    Always,
    Never,
}

/// Which backend the `store.*` keys choose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoreChoice {
    #[default]
    Local,
    S3,
}

/// Where a value came from, for `nf config` and for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(String),
    Flag,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(p) => write!(f, "file {}", p.display()),
            Origin::Env(v) => write!(f, "environment {v}"),
            Origin::Flag => f.write_str("flag"),
        }
    }
}

/// The effective configuration: one field per key of [`KEYS`] (whose entry reads and writes
/// it), the file read and each value's origin. Make one with [`Config::defaults`] or
/// [`Config::load`]; `Config::default()` is the blank (zeros, empty strings) that `defaults`
/// fills in from the definitions.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub server: String,
    pub listen: String,
    pub root: PathBuf,
    pub max_connections: usize,
    pub max_workers: usize,
    pub max_startups_per_address: usize,
    pub queue_wait: Duration,
    pub busy_retry: Duration,
    pub handshake_timeout: Duration,
    pub idle_timeout: Duration,
    pub min_body_rate: u64,
    pub max_header_bytes: usize,
    pub max_http_headers: usize,
    pub max_name_bytes: usize,
    pub max_path_bytes: usize,
    pub max_path_components: usize,
    pub max_file_size: u64,
    pub resume_min_bytes: u64,
    pub partial_max_age: Duration,
    pub max_partial_bytes: u64,
    /// `receipts_store`: every committed upload is recorded for `nf receipts`.
    pub receipts_store: bool,
    /// `receipts_max_age_secs`: recorded uploads older than this are pruned.
    pub receipts_max_age: Duration,
    pub token: Option<String>,
    /// The user the client logs in as, and their password (`user`, `password`).
    pub user: Option<String>,
    pub password: Option<String>,
    pub tls: TlsMode,
    pub fingerprint: Option<String>,
    pub known_servers: PathBuf,
    pub access_file: PathBuf,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub allow_plaintext_from: Vec<crate::cidr::Cidr>,
    pub require_tls: bool,
    /// `allowed_hosts`: names HTTP requests may give as their Host, in lower case.
    pub allowed_hosts: Vec<String>,
    /// `public_url`: the start of share links' URLs (`https://files.example.org`).
    pub public_url: Option<String>,
    pub compat_allow_without_token: bool,
    pub read_only: bool,
    pub compat: bool,
    pub compat_max_bytes: u64,
    pub compat_quiet: Duration,
    pub store: StoreChoice,
    pub s3: S3Location,
    /// The config file that was read, if any.
    pub file: Option<PathBuf>,
    /// For each key, where its value came from.
    pub origins: BTreeMap<&'static str, Origin>,
}

impl Config {
    /// The built-in defaults, from the definitions.
    pub fn defaults() -> Config {
        let mut cfg = Config::default();
        for key in KEYS {
            (key.set)(&mut cfg, key.default_value());
            cfg.origins.insert(key.name, Origin::Default);
        }
        cfg
    }

    /// Loads the configuration: defaults, then the file (`explicit`, or the default path if it
    /// exists), then `NF_*` variables from `env`, then `flags` (key, value) from the command line.
    ///
    /// `reads` is what the running command reads: a value that is wrong for a key it does not
    /// read is passed over (the key keeps its other value), so that a bad server setting does
    /// not stop `nf ls`; `ReadBy::Both` (`nf config`) checks every key. A malformed file and an
    /// unknown key are errors for every command. A file that holds a token and that others may
    /// read gets a warning on stderr.
    pub fn load(
        explicit: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: &[(&'static str, String)],
        reads: ReadBy,
    ) -> Result<Config> {
        let mut cfg = Config::defaults();
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => default_path().filter(|p| p.exists()),
        };
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Error::new(
                    ErrorKind::Usage,
                    format!(
                        "cannot read config file {}: {}",
                        path.display(),
                        crate::error::describe_io(&e)
                    ),
                )
            })?;
            cfg.apply_file(&path, &text, reads)?;
            if let Some(warning) = cfg.exposed_token_warning(&path) {
                eprintln!("nf: warning: {warning}");
            }
            cfg.file = Some(path);
        }
        for key in KEYS {
            let var = key.env();
            if let Some(value) = env(&var) {
                cfg.set_if_read(key, Raw::Text(&value), Origin::Env(var.clone()), reads)
                    .map_err(|why| usage(format!("environment variable {var}: {why}")))?;
            }
        }
        for (name, value) in flags {
            let Some(key) = key(name) else {
                unreachable!("flags_of gives config keys, not {name}");
            };
            let flag = key.long_flag().unwrap_or(name);
            cfg.set_if_read(key, Raw::Text(value), Origin::Flag, reads)
                .map_err(|why| usage(format!("{flag}: {why}")))?;
        }
        Ok(cfg)
    }

    /// Applies the text of a config file found at `path`; see [`Config::load`] for `reads`.
    pub fn apply_file(&mut self, path: &Path, text: &str, reads: ReadBy) -> Result<()> {
        let fail = |line: Option<usize>, why: String| {
            let at = match line {
                Some(l) => format!("config file {}, line {l}", path.display()),
                None => format!("config file {}", path.display()),
            };
            usage(format!("{at}: {why}"))
        };
        let table: BTreeMap<String, toml::Spanned<toml::Value>> = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let why = line
                .and_then(|l| unquoted_value_hint(text, l))
                .unwrap_or_else(|| e.message().trim().to_string());
            fail(line, why)
        })?;
        for (name, value, line) in flatten(text, &table) {
            let line = Some(line);
            let Some(key) = key(&name) else {
                return Err(fail(line, unknown_key(&name)));
            };
            self.set_if_read(key, Raw::Toml(value), Origin::File(path.to_path_buf()), reads)
                .map_err(|why| fail(line, format!("`{name}`: {why}")))?;
        }
        Ok(())
    }

    /// Sets one key from a raw value, checking it against the key's kind.
    pub fn set(&mut self, name: &str, raw: Raw<'_>, origin: Origin) -> std::result::Result<(), String> {
        let key = key(name).ok_or_else(|| unknown_key(name))?;
        self.set_if_read(key, raw, origin, ReadBy::Both)
    }

    /// Sets `key` if its value is right; a wrong value is an error only if a command reading
    /// `reads` reads the key, and otherwise leaves the key as it was.
    fn set_if_read(
        &mut self,
        key: &'static Key,
        raw: Raw<'_>,
        origin: Origin,
        reads: ReadBy,
    ) -> std::result::Result<(), String> {
        match key.kind.parse(&raw) {
            Ok(value) => {
                (key.set)(self, value);
                self.origins.insert(key.name, origin);
                Ok(())
            }
            Err(why) if key.read_by.meets(reads) => Err(why),
            Err(_) => Ok(()),
        }
    }

    /// The value of `name` as a config file writes it (a secret as `"(set)"`).
    pub fn value_toml(&self, name: &str) -> String {
        key(name).map_or_else(String::new, |k| k.kind.show(&(k.get)(self)))
    }

    /// The backend `nf serve` opens, checked: an S3 store needs a bucket.
    pub fn store_kind(&self) -> Result<StoreKind> {
        match self.store {
            StoreChoice::Local => Ok(StoreKind::Local),
            StoreChoice::S3 if self.s3.bucket.is_empty() => Err(usage(
                "store.kind is \"s3\" but no bucket is set: set store.bucket, or use \
                 `nf serve --store s3://BUCKET/PREFIX`",
            )),
            StoreChoice::S3 => Ok(StoreKind::S3(self.s3.clone())),
        }
    }

    /// The warning for a config file at `path` that set the token or a password and that the
    /// group or others may read.
    fn exposed_token_warning(&self, path: &Path) -> Option<String> {
        let from_file = |key| self.origins.get(key) == Some(&Origin::File(path.to_path_buf()));
        let what = if from_file("token") && self.token.is_some() {
            "a token"
        } else if from_file("password") && self.password.is_some() {
            "a password"
        } else {
            return None;
        };
        let mode = crate::sys::shared_mode(path)?;
        (mode & 0o044 != 0).then(|| {
            format!(
                "config file {} holds {what} and others can read it (mode {mode:o}); \
                 run: chmod 600 {}",
                path.display(),
                path.display()
            )
        })
    }
}

fn usage(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Usage, message)
}

/// What is said about a key that is not one: the nearest known key, or the list of them.
fn unknown_key(name: &str) -> String {
    let nearest = KEYS
        .iter()
        .map(|k| (edit_distance(name, k.name), k.name))
        .min()
        .filter(|&(d, _)| d <= (name.chars().count() / 3).max(1));
    match nearest {
        Some((_, known)) => format!("unknown key `{name}`; did you mean `{known}`?"),
        None => format!(
            "unknown key `{name}` (known keys: {})",
            KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The number of single-character insertions, deletions, substitutions and swaps of two
/// neighbours that turn `a` into `b` (optimal string alignment distance), ignoring case.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let width = b.len() + 1;
    let mut d: Vec<usize> = vec![0; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// For a file that is not valid TOML because line `line` is `key = value` with a value TOML
/// cannot read (`server = 127.0.0.1`): what to write instead, by the key's kind.
fn unquoted_value_hint(text: &str, line: usize) -> Option<String> {
    let source = text.lines().nth(line.checked_sub(1)?)?;
    let (name, value) = source.split_once('=')?;
    let name = name.trim().trim_matches('"');
    // A comment after an unquoted value is not part of it.
    let value = value.split(" #").next().unwrap_or(value).trim();
    let opens_something = value.starts_with(['"', '\'', '[', '{']) || value.contains('=');
    if name.is_empty() || value.is_empty() || opens_something {
        return None;
    }
    if toml::from_str::<toml::Table>(&format!("v = {value}")).is_ok() {
        return None;
    }
    // The key inside a `[store]` table is `store.NAME`.
    let section = text
        .lines()
        .take(line - 1)
        .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']'))
        .last();
    let full = match section {
        Some(table) => format!("{}.{name}", table.trim()),
        None => name.to_string(),
    };
    let hint = match key(&full) {
        Some(k) => k.kind.toml_hint(name, value),
        None => Kind::Address.toml_hint(name, value),
    };
    Some(format!("the value of `{full}` is not valid TOML; {hint}"))
}

/// The (key, value, line) settings of a parsed file; a `[store]` table gives `store.*` keys.
fn flatten<'a>(
    text: &str,
    table: &'a BTreeMap<String, toml::Spanned<toml::Value>>,
) -> Vec<(String, &'a toml::Value, usize)> {
    let mut out = Vec::new();
    for (key, value) in table {
        let line = line_of(text, value.span().start);
        match value.get_ref() {
            toml::Value::Table(inner) if key == "store" => {
                for (sub, v) in inner {
                    // The table's values carry no spans: find the key's own line after it.
                    let at = text[value.span().start.min(text.len())..]
                        .lines()
                        .position(|l| l.trim_start().starts_with(sub.as_str()))
                        .map_or(line, |i| line + i);
                    out.push((format!("store.{sub}"), v, at));
                }
            }
            v => out.push((key.clone(), v, line)),
        }
    }
    out
}

/// The config file read when `--config` is not given: `~/.config/nf/config.toml` on Linux.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "nf").map(|d| d.config_dir().join("config.toml"))
}

/// The storage directory used when none is configured: `~/.local/share/nf/files` on Linux.
pub fn default_root() -> PathBuf {
    directories::ProjectDirs::from("", "", "nf")
        .map(|d| d.data_dir().join("files"))
        .unwrap_or_else(|| PathBuf::from("nf-files"))
}

/// `~/x` → `$HOME/x`; other paths unchanged.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// What a command-line flag sets, as the (key, value) pairs [`Config::load`] takes: each key
/// whose definition names `flag` (by its long form), in the order of [`KEYS`], gets the next of
/// `values` (`--store s3://B/P` gives `s3`, `B` and `P` to store.kind, store.bucket and
/// store.prefix). A switch passes no values: `--read-only` sets its key to true, a `--no-…`
/// switch to false.
///
/// Panics if no key names the flag: flags_of and the definitions disagree.
pub fn flag_sets(flag: &str, values: &[&str]) -> Vec<(&'static str, String)> {
    let keys: Vec<&'static str> = KEYS
        .iter()
        .filter(|k| k.long_flag() == Some(flag))
        .map(|k| k.name)
        .collect();
    assert!(
        !keys.is_empty() && values.len() <= keys.len(),
        "no config key is set by {flag} with {} values",
        values.len()
    );
    if values.is_empty() {
        let on = !flag.starts_with("--no-");
        return vec![(keys[0], on.to_string())];
    }
    keys.into_iter()
        .zip(values.iter().map(|v| v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config> {
        load_text_for(text, ReadBy::Both)
    }

    fn load_text_for(text: &str, reads: ReadBy) -> Result<Config> {
        let mut cfg = Config::defaults();
        cfg.apply_file(Path::new("/etc/nf.toml"), text, reads)?;
        Ok(cfg)
    }

    /// Asserts that loading `text` fails with a message that ends with `end`.
    fn fails_with(text: &str, end: &str) {
        let err = load_text(text).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Usage);
        assert!(err.message.ends_with(end), "{text:?}: {}", err.message);
    }

    #[test]
    fn unknown_keys_name_the_file_line_and_key_and_the_nearest_known_key() {
        fails_with(
            "server = \"h:1\"\n\nlisen = \"x\"\n",
            "config file /etc/nf.toml, line 3: unknown key `lisen`; did you mean `listen`?",
        );
        fails_with(
            "[store]\nbuckets = \"x\"\n",
            "line 2: unknown key `store.buckets`; did you mean `store.bucket`?",
        );
        fails_with("max-file-size = 3\n", "did you mean `max_file_size`?");
        // Nothing near: the list of keys.
        let err = load_text("colour = true\n").unwrap_err();
        assert!(
            err.message
                .contains("unknown key `colour` (known keys: server, listen, root,"),
            "{}",
            err.message
        );
    }

    #[test]
    fn edit_distance_counts_edits_and_swaps() {
        assert_eq!(edit_distance("lisen", "listen"), 1);
        assert_eq!(edit_distance("sevrer", "server"), 1);
        assert_eq!(edit_distance("Server", "server"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn malformed_files_name_the_line() {
        let err = load_text("server = \"h:1\"\nmax_connections = = 3\n").unwrap_err();
        assert!(err.message.contains("line 2"), "{}", err.message);
        let err = load_text("max_connections = \"many\"\n").unwrap_err();
        assert!(
            err.message.contains("line 1") && err.message.contains("max_connections"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_value_toml_cannot_read_gets_a_hint_by_the_keys_kind() {
        fails_with(
            "server = 127.0.0.1\n",
            "config file /etc/nf.toml, line 1: the value of `server` is not valid TOML; \
             write it in quotes: server = \"127.0.0.1\"",
        );
        fails_with(
            "# c\nmax_file_size = 10 GB  # big\n",
            "line 2: the value of `max_file_size` is not valid TOML; \
             write it in quotes: max_file_size = \"10 GB\"",
        );
        fails_with(
            "[store]\nkind = \"s3\"\nendpoint = http://h:1\n",
            "line 3: the value of `store.endpoint` is not valid TOML; \
             write it in quotes: endpoint = \"http://h:1\"",
        );
        fails_with(
            "compat = yes\n",
            "write true or false without quotes: compat = true",
        );
        fails_with(
            "max_connections = lots\n",
            "write a whole number without quotes or units, such as max_connections = 10",
        );
        // Other mistakes keep TOML's own words.
        assert!(!load_text("max_connections = = 3\n")
            .unwrap_err()
            .message
            .contains("quotes"));
    }

    #[test]
    fn sizes_in_the_file_are_read_as_written() {
        let cfg = load_text("max_file_size = \"10 GB\"\ncompat_max_bytes = \"10 GiB\"\n").unwrap();
        assert_eq!(cfg.max_file_size, 10_000_000_000);
        assert_eq!(cfg.compat_max_bytes, 10 << 30);
        let cfg = load_text("max_file_size = \"64K\"\nresume_min_bytes = \"2 MB\"\n").unwrap();
        assert_eq!((cfg.max_file_size, cfg.resume_min_bytes), (65536, 2_000_000));
        assert_eq!(cfg.value_toml("max_file_size"), "\"64 KiB\"");
        assert_eq!(cfg.value_toml("resume_min_bytes"), "\"2 MB\"");
    }

    #[test]
    fn a_bad_value_stops_only_the_commands_that_read_its_key() {
        let text = "server = \"h:1\"\nmax_file_size = \"abc\"\n";
        let cfg = load_text_for(text, ReadBy::Client).unwrap();
        assert_eq!(cfg.server, "h:1");
        assert_eq!(cfg.max_file_size, Config::defaults().max_file_size);
        assert_eq!(cfg.origins["max_file_size"], Origin::Default);
        for reads in [ReadBy::Server, ReadBy::Both] {
            let err = load_text_for(text, reads).unwrap_err();
            assert!(
                err.message.ends_with(
                    "line 2: `max_file_size`: expected a size such as 65536, \"64 KiB\" or \
                     \"10 GB\", found \"abc\""
                ),
                "{}",
                err.message
            );
        }
        // A key both read is checked for clients too.
        assert!(load_text_for("idle_timeout_secs = 0\n", ReadBy::Client).is_err());
        let env = |v: &str| (v == "NF_MAX_FILE_SIZE").then(|| "abc".to_string());
        assert!(Config::load(Some(Path::new("/dev/null")), &env, &[], ReadBy::Client).is_ok());
        let err = Config::load(Some(Path::new("/dev/null")), &env, &[], ReadBy::Server).unwrap_err();
        assert!(
            err.message
                .starts_with("environment variable NF_MAX_FILE_SIZE: expected a size"),
            "{}",
            err.message
        );
    }

    #[test]
    fn flags_beat_environment_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "server = \"file:1\"\nlisten = \"file:2\"\nroot = \"/file\"\nmax_file_size = \"2 KiB\"\n",
        )
        .unwrap();
        let env = |v: &str| match v {
            "NF_SERVER" => Some("env:1".to_string()),
            "NF_LISTEN" => Some("env:2".to_string()),
            _ => None,
        };
        let cfg = Config::load(Some(&file), &env, &[("server", "flag:1".into())], ReadBy::Both).unwrap();
        assert_eq!(cfg.server, "flag:1");
        assert_eq!(cfg.listen, "env:2");
        assert_eq!(cfg.root, PathBuf::from("/file"));
        assert_eq!(cfg.max_file_size, 2048);
        assert_eq!(cfg.origins["server"], Origin::Flag);
        assert_eq!(cfg.origins["listen"], Origin::Env("NF_LISTEN".into()));
        assert_eq!(cfg.origins["root"], Origin::File(file.clone()));
        assert_eq!(cfg.origins["max_connections"], Origin::Default);
    }

    #[test]
    #[cfg(unix)]
    fn a_token_in_a_file_others_can_read_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "token = \"s3cret\"\n").unwrap();
        let loaded = |mode: u32| {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let mut cfg = Config::defaults();
            cfg.apply_file(&file, "token = \"s3cret\"\n", ReadBy::Both)
                .unwrap();
            cfg.exposed_token_warning(&file)
        };
        assert_eq!(
            loaded(0o644),
            Some(format!(
                "config file {0} holds a token and others can read it (mode 644); run: chmod 600 {0}",
                file.display()
            ))
        );
        assert!(loaded(0o640).is_some());
        assert_eq!(loaded(0o600), None);
        assert_eq!(loaded(0o400), None);
        // No token in the file, nothing to warn about.
        let mut cfg = Config::defaults();
        cfg.apply_file(&file, "server = \"h:1\"\n", ReadBy::Both).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(cfg.exposed_token_warning(&file), None);
    }

    #[test]
    #[cfg(unix)]
    fn a_password_in_a_file_others_can_read_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        let text = "user = \"alice\"\npassword = \"s3cret\"\n";
        std::fs::write(&file, text).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut cfg = Config::defaults();
        cfg.apply_file(&file, text, ReadBy::Both).unwrap();
        assert_eq!(
            cfg.exposed_token_warning(&file),
            Some(format!(
                "config file {0} holds a password and others can read it (mode 644); run: chmod 600 {0}",
                file.display()
            ))
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(cfg.exposed_token_warning(&file), None);
    }

    #[test]
    fn a_list_key_takes_a_toml_array_or_one_string_and_shows_an_array() {
        let array = load_text("allowed_hosts = [\"Files.Example.org.\", \"*.lan\"]").unwrap();
        let text = load_text("allowed_hosts = \"files.example.org, *.lan\"").unwrap();
        assert_eq!(array.allowed_hosts, ["files.example.org", "*.lan"]);
        assert_eq!(text.allowed_hosts, array.allowed_hosts);
        assert_eq!(
            array.value_toml("allowed_hosts"),
            "[\"files.example.org\", \"*.lan\"]"
        );
        assert_eq!(Config::defaults().value_toml("allowed_hosts"), "[]");
        assert!(load_text("allowed_hosts = []").unwrap().allowed_hosts.is_empty());
        fails_with(
            "allowed_hosts = [1]",
            "expected strings in the list, found integer as item 1",
        );
        fails_with(
            "allowed_hosts = [\"a b\"]",
            "\"a b\" is not a host name such as \"files.example.org\", \"*.example.org\" or \"*\"",
        );
    }

    #[test]
    fn a_store_table_chooses_the_object_store() {
        let cfg =
            load_text("server = \"h:1\"\n[store]\nkind = \"s3\"\nbucket = \"nf-ci\"\nprefix = \"/a/b/\"\n")
                .unwrap();
        let StoreKind::S3(loc) = cfg.store_kind().unwrap() else {
            panic!("an S3 store")
        };
        assert_eq!((loc.bucket.as_str(), loc.prefix.as_str()), ("nf-ci", "a/b"));
        // Dotted keys are the same table.
        let dotted = load_text("store.kind = \"s3\"\nstore.bucket = \"nf-ci\"\n").unwrap();
        assert!(matches!(dotted.store_kind().unwrap(), StoreKind::S3(_)));
        fails_with(
            "[store]\n\nkind = \"s4\"\n",
            "line 3: `store.kind`: expected \"local\" or \"s3\", found \"s4\"",
        );
        let err = load_text("[store]\nkind = \"s3\"\n")
            .unwrap()
            .store_kind()
            .unwrap_err();
        assert!(err.message.contains("no bucket"), "{}", err.message);
    }

    #[test]
    fn flags_set_the_keys_their_definitions_name() {
        assert_eq!(flag_sets("--server", &["h:1"]), [("server", "h:1".to_string())]);
        assert_eq!(flag_sets("--no-compat", &[]), [("compat", "false".to_string())]);
        assert_eq!(flag_sets("--read-only", &[]), [("read_only", "true".to_string())]);
        assert_eq!(
            flag_sets("--store", &["s3", "b", "p"]),
            [
                ("store.kind", "s3".to_string()),
                ("store.bucket", "b".to_string()),
                ("store.prefix", "p".to_string())
            ]
        );
        assert_eq!(
            flag_sets("--store", &["local"]),
            [("store.kind", "local".to_string())]
        );
        assert_eq!(
            flag_sets("--s3-endpoint", &["http://h:1"]),
            [("store.endpoint", "http://h:1".to_string())]
        );
    }
}
