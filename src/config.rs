//! The one `Config`: every setting nf reads, where each value came from, and how to find and
//! parse the TOML file. Precedence: flag > environment (`NF_*`) > file > built-in default.
//! Errors name the file, the line and the key. [`KEYS`] is the single list of settings: the
//! loader, `config.example.toml` and the docs all come from it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::human;
use crate::store::{S3Location, StoreKind};

/// One setting: its key (in the file), the kind of value, and the text that documents it.
pub struct KeySpec {
    pub key: &'static str,
    pub kind: Kind,
    pub doc: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Address,
    Path,
    Count,
    Bytes,
    Bool,
    Secret,
    Text,
}

/// Every setting, in the order `config.example.toml` shows them.
pub const KEYS: &[KeySpec] = &[
    KeySpec {
        key: "server",
        kind: Kind::Address,
        doc: "Address the client commands (put, get, ls, rm) talk to: HOST:PORT, or HOST for port 8889.",
    },
    KeySpec {
        key: "listen",
        kind: Kind::Address,
        doc: "Address `nf serve` listens on. Use 0.0.0.0:8889 or [::]:8889 to accept other machines.",
    },
    KeySpec {
        key: "root",
        kind: Kind::Path,
        doc: "Storage directory of `nf serve`; created if missing. Default: the platform data\n\
              directory, ~/.local/share/nf/files on Linux.",
    },
    KeySpec {
        key: "max_connections",
        kind: Kind::Count,
        doc: "Most client connections `nf serve` handles at once; more are answered `busy`.",
    },
    KeySpec {
        key: "idle_timeout_secs",
        kind: Kind::Count,
        doc: "Seconds a connection may stay silent (or stop reading) before it is closed; the\n\
              client uses the same limit while waiting for the server.",
    },
    KeySpec {
        key: "max_header_bytes",
        kind: Kind::Bytes,
        doc: "Longest protocol header line accepted, in bytes.",
    },
    KeySpec {
        key: "max_name_bytes",
        kind: Kind::Count,
        doc: "Longest file name accepted, in bytes (at most 255).",
    },
    KeySpec {
        key: "max_file_size",
        kind: Kind::Bytes,
        doc: "Largest file `nf serve` accepts. A number of bytes, or a string such as \"10 GiB\".",
    },
    KeySpec {
        key: "token",
        kind: Kind::Secret,
        doc: "Shared secret. Set on the server, every client must send the same token (set it\n\
              on the client too). Prefer NF_TOKEN or a file readable only by you (mode 0600).",
    },
    KeySpec {
        key: "compat_allow_without_token",
        kind: Kind::Bool,
        doc: "With a token set, the old text dialects (which cannot send one) are refused;\n\
              true lets them in anyway.",
    },
    KeySpec {
        key: "read_only",
        kind: Kind::Bool,
        doc: "Serve files but refuse put and rm (`nf serve --read-only`).",
    },
    KeySpec {
        key: "resume_min_bytes",
        kind: Kind::Bytes,
        doc: "Interrupted uploads of files at least this large are kept for `nf put --resume`;\n\
              smaller ones are simply sent again (cheaper than tracking them).",
    },
    KeySpec {
        key: "partial_max_age_hours",
        kind: Kind::Count,
        doc: "Interrupted uploads are kept this many hours for `nf put --resume`, then removed.",
    },
    KeySpec {
        key: "max_partial_bytes",
        kind: Kind::Bytes,
        doc: "Most bytes interrupted uploads (kept for `nf put --resume`) may hold in all. Each name\n\
              keeps only its largest; when an upload is cut and the total would go over, the oldest\n\
              others are deleted (and logged). The one just cut is always kept, whatever its size.\n\
              On an object store the total is that of the parts nf's entries record (docs/SCALING.md).",
    },
    KeySpec {
        key: "compat",
        kind: Kind::Bool,
        doc: "Answer the old classroom clients (the seed and classroom text dialects) on the same\n\
              port as nf. With false (or `nf serve --no-compat`) they get a one-line error.",
    },
    KeySpec {
        key: "compat_max_bytes",
        kind: Kind::Bytes,
        doc: "Largest file an old-dialect client may upload or download (its content travels as\n\
              base64 in one message). A number of bytes, or a string such as \"64 MiB\".",
    },
    KeySpec {
        key: "compat_quiet_ms",
        kind: Kind::Count,
        doc: "Old clients may send a request with no terminator: once a complete command has\n\
              arrived and the client stays quiet this many milliseconds, the request is answered.",
    },
    KeySpec {
        key: "store.kind",
        kind: Kind::Text,
        doc: "Where `nf serve` keeps files: \"local\" (the directory `root`) or \"s3\" (a bucket of an\n\
              S3-compatible object store, which several servers can share; docs/SCALING.md).\n\
              The store.* keys may also be written as a [store] table. Credentials come from the\n\
              standard AWS sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, or\n\
              a web-identity, container or instance role), never from this file.\n\
              `nf serve --store s3://BUCKET/PREFIX` sets kind, bucket and prefix.",
    },
    KeySpec {
        key: "store.endpoint",
        kind: Kind::Text,
        doc: "URL of the object store, such as \"http://127.0.0.1:8333\" (`--s3-endpoint`); empty\n\
              for AWS itself (or AWS_ENDPOINT_URL).",
    },
    KeySpec {
        key: "store.bucket",
        kind: Kind::Text,
        doc: "Bucket of the object store (it must exist).",
    },
    KeySpec {
        key: "store.prefix",
        kind: Kind::Text,
        doc: "Key prefix inside the bucket, such as \"team/files\"; empty for the whole bucket.",
    },
    KeySpec {
        key: "store.region",
        kind: Kind::Text,
        doc: "Region of the bucket; empty for AWS_REGION (or AWS_DEFAULT_REGION), else \"us-east-1\".",
    },
    KeySpec {
        key: "store.buffer_bytes",
        kind: Kind::Bytes,
        doc: "Most bytes of uploads a server on an object store holds in memory at once (parts\n\
              being filled or sent, 8 MiB each for most files); more uploads wait for room.",
    },
];

/// Which backend the `store.*` keys choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreChoice {
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

/// The effective configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub server: String,
    pub listen: String,
    pub root: PathBuf,
    pub max_connections: usize,
    pub idle_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_name_bytes: usize,
    pub max_file_size: u64,
    pub resume_min_bytes: u64,
    pub partial_max_age: Duration,
    pub max_partial_bytes: u64,
    pub token: Option<String>,
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

/// A raw value before it is checked against its key's kind.
#[derive(Debug)]
pub enum Raw<'a> {
    Toml(&'a toml::Value),
    Text(&'a str),
}

impl Config {
    /// The built-in defaults.
    pub fn defaults() -> Config {
        Config {
            server: "127.0.0.1:8889".into(),
            listen: "127.0.0.1:8889".into(),
            root: default_root(),
            max_connections: 256,
            idle_timeout: Duration::from_secs(60),
            max_header_bytes: crate::protocol::DEFAULT_MAX_HEADER,
            max_name_bytes: crate::name::MAX_NAME_BYTES,
            max_file_size: 1 << 40,
            resume_min_bytes: 1 << 20,
            token: None,
            compat_allow_without_token: false,
            read_only: false,
            partial_max_age: Duration::from_secs(7 * 24 * 3600),
            max_partial_bytes: crate::store::DEFAULT_MAX_PARTIAL_BYTES,
            compat: true,
            compat_max_bytes: 64 << 20,
            compat_quiet: Duration::from_millis(300),
            store: StoreChoice::Local,
            s3: S3Location {
                buffer_bytes: crate::store::s3::DEFAULT_BUFFER_BYTES,
                ..S3Location::default()
            },
            file: None,
            origins: KEYS.iter().map(|k| (k.key, Origin::Default)).collect(),
        }
    }

    /// Loads the configuration: defaults, then the file (`explicit`, or the default path if it
    /// exists), then `NF_*` variables from `env`, then `flags` (key, value) from the command line.
    pub fn load(
        explicit: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: &[(&'static str, String)],
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
            cfg.apply_file(&path, &text)?;
            cfg.file = Some(path);
        }
        for spec in KEYS {
            let var = env_var(spec.key);
            if let Some(value) = env(&var) {
                cfg.set(spec.key, Raw::Text(&value), Origin::Env(var.clone()))
                    .map_err(|why| {
                        Error::new(ErrorKind::Usage, format!("environment variable {var}: {why}"))
                    })?;
            }
        }
        for (key, value) in flags {
            cfg.set(key, Raw::Text(value), Origin::Flag)
                .map_err(|why| Error::new(ErrorKind::Usage, format!("{}: {why}", flag_of(key))))?;
        }
        Ok(cfg)
    }

    /// Applies the text of a config file found at `path`.
    pub fn apply_file(&mut self, path: &Path, text: &str) -> Result<()> {
        let fail = |line: Option<usize>, why: String| {
            let at = match line {
                Some(l) => format!("config file {}, line {l}", path.display()),
                None => format!("config file {}", path.display()),
            };
            Error::new(ErrorKind::Usage, format!("{at}: {why}"))
        };
        let table: BTreeMap<String, toml::Spanned<toml::Value>> = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            fail(line, e.message().trim().to_string())
        })?;
        for (key, value, line) in flatten(text, &table) {
            let line = Some(line);
            let Some(spec) = KEYS.iter().find(|k| k.key == key) else {
                return Err(fail(
                    line,
                    format!(
                        "unknown key `{key}` (known keys: {})",
                        KEYS.iter().map(|k| k.key).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            self.set(spec.key, Raw::Toml(value), Origin::File(path.to_path_buf()))
                .map_err(|why| fail(line, format!("`{key}`: {why}")))?;
        }
        Ok(())
    }

    /// Sets one key from a raw value, checking it against the key's kind.
    pub fn set(&mut self, key: &str, raw: Raw<'_>, origin: Origin) -> std::result::Result<(), String> {
        let spec = KEYS
            .iter()
            .find(|k| k.key == key)
            .ok_or_else(|| format!("unknown key `{key}`"))?;
        match key {
            "server" => self.server = address(&raw)?,
            "listen" => self.listen = address(&raw)?,
            "root" => self.root = expand_home(&string(&raw)?),
            "max_connections" => self.max_connections = positive(count(&raw)?)? as usize,
            "idle_timeout_secs" => self.idle_timeout = Duration::from_secs(positive(count(&raw)?)?),
            "max_header_bytes" => {
                let n = bytes(&raw)?;
                if !(1024..=16 << 20).contains(&n) {
                    return Err("must be between 1024 and 16777216 bytes".into());
                }
                self.max_header_bytes = n as usize;
            }
            "max_name_bytes" => {
                let n = count(&raw)?;
                if !(1..=255).contains(&n) {
                    return Err("must be between 1 and 255".into());
                }
                self.max_name_bytes = n as usize;
            }
            "max_file_size" => self.max_file_size = bytes(&raw)?,
            "resume_min_bytes" => self.resume_min_bytes = bytes(&raw)?,
            "token" => {
                let t = string(&raw)?;
                if t.chars().any(char::is_control) || t.len() > 1024 {
                    return Err("must be at most 1024 characters without control characters".into());
                }
                self.token = (!t.is_empty()).then_some(t);
            }
            "read_only" => self.read_only = boolean(&raw)?,
            "compat_allow_without_token" => self.compat_allow_without_token = boolean(&raw)?,
            "partial_max_age_hours" => {
                self.partial_max_age = Duration::from_secs(count(&raw)?.saturating_mul(3600))
            }
            "max_partial_bytes" => self.max_partial_bytes = bytes(&raw)?,
            "compat" => self.compat = boolean(&raw)?,
            "compat_max_bytes" => self.compat_max_bytes = bytes(&raw)?,
            "compat_quiet_ms" => {
                let n = count(&raw)?;
                if !(1..=60_000).contains(&n) {
                    return Err("must be between 1 and 60000 milliseconds".into());
                }
                self.compat_quiet = Duration::from_millis(n);
            }
            "store.kind" => {
                self.store = match string(&raw)?.as_str() {
                    "local" => StoreChoice::Local,
                    "s3" => StoreChoice::S3,
                    other => return Err(format!("expected \"local\" or \"s3\", found {other:?}")),
                }
            }
            "store.endpoint" => {
                let url = string(&raw)?;
                let ok = url.is_empty()
                    || ((url.starts_with("http://") || url.starts_with("https://"))
                        && !url.contains(char::is_whitespace));
                if !ok {
                    return Err(format!("{url:?} is not a URL such as \"http://127.0.0.1:8333\""));
                }
                self.s3.endpoint = url.trim_end_matches('/').to_string();
            }
            "store.bucket" => {
                let bucket = string(&raw)?;
                if !bucket.is_empty() {
                    crate::store::s3::check_bucket(&bucket)?;
                }
                self.s3.bucket = bucket;
            }
            "store.prefix" => self.s3.prefix = crate::store::s3::check_prefix(&string(&raw)?)?,
            "store.region" => self.s3.region = string(&raw)?,
            "store.buffer_bytes" => {
                let n = bytes(&raw)?;
                if n < crate::store::s3::MIN_BUFFER_BYTES {
                    return Err(format!(
                        "must be at least {} bytes (one part)",
                        crate::store::s3::MIN_BUFFER_BYTES
                    ));
                }
                self.s3.buffer_bytes = n;
            }
            _ => unreachable!("every key in KEYS is handled"),
        }
        self.origins.insert(spec.key, origin);
        Ok(())
    }

    /// The value of `key` as it would be written in a config file.
    pub fn value_toml(&self, key: &str) -> String {
        let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
        match key {
            "server" => quoted(&self.server),
            "listen" => quoted(&self.listen),
            "root" => quoted(&self.root.to_string_lossy()),
            "max_connections" => self.max_connections.to_string(),
            "idle_timeout_secs" => self.idle_timeout.as_secs().to_string(),
            "max_header_bytes" => self.max_header_bytes.to_string(),
            "max_name_bytes" => self.max_name_bytes.to_string(),
            "max_file_size" => self.max_file_size.to_string(),
            "resume_min_bytes" => self.resume_min_bytes.to_string(),
            // Never print the secret itself.
            "token" => quoted(if self.token.is_some() { "(set)" } else { "" }),
            "read_only" => self.read_only.to_string(),
            "compat_allow_without_token" => self.compat_allow_without_token.to_string(),
            "partial_max_age_hours" => (self.partial_max_age.as_secs() / 3600).to_string(),
            "max_partial_bytes" => self.max_partial_bytes.to_string(),
            "compat" => self.compat.to_string(),
            "compat_max_bytes" => self.compat_max_bytes.to_string(),
            "compat_quiet_ms" => self.compat_quiet.as_millis().to_string(),
            "store.kind" => quoted(match self.store {
                StoreChoice::Local => "local",
                StoreChoice::S3 => "s3",
            }),
            "store.endpoint" => quoted(&self.s3.endpoint),
            "store.bucket" => quoted(&self.s3.bucket),
            "store.prefix" => quoted(&self.s3.prefix),
            "store.region" => quoted(&self.s3.region),
            "store.buffer_bytes" => self.s3.buffer_bytes.to_string(),
            _ => String::new(),
        }
    }
}

impl Config {
    /// The backend `nf serve` opens, checked: an S3 store needs a bucket.
    pub fn store_kind(&self) -> Result<StoreKind> {
        match self.store {
            StoreChoice::Local => Ok(StoreKind::Local),
            StoreChoice::S3 if self.s3.bucket.is_empty() => Err(Error::new(
                ErrorKind::Usage,
                "store.kind is \"s3\" but no bucket is set: set store.bucket, or use \
                 `nf serve --store s3://BUCKET/PREFIX`",
            )),
            StoreChoice::S3 => Ok(StoreKind::S3(self.s3.clone())),
        }
    }
}

/// The environment variable for a key: `NF_` and the key in capitals (`store.kind` →
/// `NF_STORE_KIND`).
pub fn env_var(key: &str) -> String {
    format!("NF_{}", key.to_ascii_uppercase().replace('.', "_"))
}

/// The command-line flag that sets a key.
pub fn flag_of(key: &str) -> String {
    match key {
        "store.endpoint" => "--s3-endpoint".to_string(),
        k if k.starts_with("store.") => "--store".to_string(),
        k => format!("--{}", k.replace('_', "-")),
    }
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

/// A commented config file with every key, each set to its built-in default.
pub fn example_toml() -> String {
    let defaults = Config::defaults();
    let mut out = String::from(
        "# nf configuration. Every key is optional; the values shown are the built-in defaults.\n\
         # Precedence: command-line flag > environment variable (NF_<KEY>) > this file > default.\n\
         # nf reads ~/.config/nf/config.toml (on Linux), or the file given with --config / NF_CONFIG.\n",
    );
    for spec in KEYS {
        out.push('\n');
        for line in spec.doc.lines() {
            out.push_str(&format!("# {}\n", line.trim()));
        }
        out.push_str(&format!("# Environment: {}\n", env_var(spec.key)));
        let value = if spec.key == "root" {
            "\"~/.local/share/nf/files\"".to_string()
        } else {
            defaults.value_toml(spec.key)
        };
        out.push_str(&format!("# {} = {}\n", spec.key, value));
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
        .map(|spec| {
            let origin = cfg.origins.get(spec.key).cloned().unwrap_or(Origin::Default);
            let setting = format!("{} = {}", spec.key, cfg.value_toml(spec.key));
            (setting, origin_comment(spec.key, &origin))
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

/// How a value's origin reads in `nf config`: `flag --server`, `environment NF_SERVER`,
/// `file PATH` or `default`.
pub fn origin_comment(key: &str, origin: &Origin) -> String {
    let text = match origin {
        Origin::Flag => format!("flag {}", flag_of(key)),
        other => other.to_string(),
    };
    comment_safe(&text)
}

/// The default of `key` as documentation shows it: like [`Config::value_toml`] of the defaults,
/// but with the storage directory written as `~/.local/share/nf/files` rather than this
/// machine's home, so that generated docs do not depend on who generates them.
pub fn documented_default(key: &str) -> String {
    if key == "root" {
        "\"~/.local/share/nf/files\"".to_string()
    } else {
        Config::defaults().value_toml(key)
    }
}

/// Text that stays on one line of a TOML comment: control characters become `?`.
fn comment_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
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

fn string(raw: &Raw<'_>) -> std::result::Result<String, String> {
    match raw {
        Raw::Text(s) => Ok(s.to_string()),
        Raw::Toml(toml::Value::String(s)) => Ok(s.clone()),
        Raw::Toml(v) => Err(format!("expected a string, found {}", v.type_str())),
    }
}

fn address(raw: &Raw<'_>) -> std::result::Result<String, String> {
    let s = string(raw)?;
    if s.trim().is_empty() || s.contains(char::is_whitespace) {
        return Err(format!("{s:?} is not an address; expected HOST:PORT"));
    }
    Ok(s)
}

fn boolean(raw: &Raw<'_>) -> std::result::Result<bool, String> {
    match raw {
        Raw::Toml(toml::Value::Boolean(b)) => Ok(*b),
        Raw::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" | "" => Ok(false),
            _ => Err(format!("expected true or false, found {s:?}")),
        },
        Raw::Toml(v) => Err(format!("expected true or false, found {}", v.type_str())),
    }
}

fn count(raw: &Raw<'_>) -> std::result::Result<u64, String> {
    match raw {
        Raw::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("expected a whole number, found {s:?}")),
        Raw::Toml(toml::Value::Integer(n)) => {
            u64::try_from(*n).map_err(|_| format!("expected a whole number ≥ 0, found {n}"))
        }
        Raw::Toml(v) => Err(format!("expected a whole number, found {}", v.type_str())),
    }
}

fn positive(n: u64) -> std::result::Result<u64, String> {
    if n == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(n)
    }
}

fn size_text(s: &str) -> std::result::Result<u64, String> {
    human::parse_size(s).ok_or_else(|| format!("expected a size such as 65536 or \"64 KiB\", found {s:?}"))
}

fn bytes(raw: &Raw<'_>) -> std::result::Result<u64, String> {
    match raw {
        Raw::Toml(toml::Value::Integer(n)) => {
            u64::try_from(*n).map_err(|_| format!("expected a size ≥ 0, found {n}"))
        }
        Raw::Text(s) => size_text(s),
        Raw::Toml(toml::Value::String(s)) => size_text(s),
        Raw::Toml(v) => Err(format!("expected a size, found {}", v.type_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config> {
        let mut cfg = Config::defaults();
        cfg.apply_file(Path::new("/etc/nf.toml"), text)?;
        Ok(cfg)
    }

    #[test]
    fn unknown_keys_name_the_file_line_and_key() {
        let err = load_text("server = \"h:1\"\n\nlisen = \"x\"\n").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Usage);
        assert!(err.message.contains("/etc/nf.toml, line 3"), "{}", err.message);
        assert!(err.message.contains("`lisen`"), "{}", err.message);
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
        let cfg = Config::load(Some(&file), &env, &[("server", "flag:1".into())]).unwrap();
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
        let err = load_text("[store]\n\nkind = \"s4\"\n").unwrap_err();
        assert!(
            err.message.contains("line 3") && err.message.contains("store.kind"),
            "{}",
            err.message
        );
        let err = load_text("[store]\nbuckets = \"x\"\n").unwrap_err();
        assert!(
            err.message.contains("unknown key `store.buckets`"),
            "{}",
            err.message
        );
        let err = load_text("[store]\nkind = \"s3\"\n")
            .unwrap()
            .store_kind()
            .unwrap_err();
        assert!(err.message.contains("no bucket"), "{}", err.message);
        assert_eq!(env_var("store.kind"), "NF_STORE_KIND");
        assert_eq!(flag_of("store.bucket"), "--store");
        assert_eq!(flag_of("store.endpoint"), "--s3-endpoint");
    }

    #[test]
    fn the_example_file_is_generated_from_keys_and_loads() {
        let text = example_toml();
        for spec in KEYS {
            assert!(text.contains(&format!("# {} = ", spec.key)), "{}", spec.key);
        }
        // Uncommented, it loads and yields the defaults.
        let live: String = text
            .lines()
            .filter(|l| l.starts_with("# ") && l.contains(" = "))
            .map(|l| format!("{}\n", &l[2..]))
            .collect();
        let cfg = load_text(&live).unwrap();
        assert_eq!(cfg.max_connections, Config::defaults().max_connections);
        assert_eq!(cfg.server, "127.0.0.1:8889");
    }
}
