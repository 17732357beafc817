//! The definition of every config key, in one table: [`KEYS`]. An entry says all nf knows about
//! a key: its name, the type of its value, its documentation, its default, the command-line flag
//! that sets it, which commands read it, and how it reads and writes its field of [`Config`]. Its
//! environment variable is `NF_` and the name in capitals ([`Key::env`]), and how its value is
//! shown follows from its type ([`Kind::show`]; a secret never is). Parsing, `nf config`,
//! `config.example.toml`, the man pages and README's configuration table all come from here,
//! and tests/config.rs and tests/cli_docs.rs fail when a generated file is out of step.
//!
//! # Adding a key
//!
//! 1. Add its field to [`Config`] (src/config/mod.rs).
//! 2. Add one entry to [`KEYS`], where `config.example.toml` should show it, for example:
//!
//! ```text
//! Key {
//!     name: "handshake_timeout_secs",
//!     kind: Kind::Count { min: 1, max: 3600 },
//!     doc: "Seconds a new connection has to finish its handshake before it is closed.",
//!     default: Initial::Int(10),
//!     flag: None,
//!     read_by: ReadBy::Server,
//!     get: |c| Val::Int(c.handshake_timeout.as_secs()),
//!     set: |c, v| c.handshake_timeout = Duration::from_secs(v.int()),
//! },
//! ```
//!
//! 3. Regenerate the docs: `UPDATE_EXPECT=1 cargo test --test config` (config.example.toml and
//!    README's table), then `UPDATE_EXPECT=1 cargo test --test cli_docs` (man/).
//!
//! A key with a flag also needs the flag in cli.rs and one line in `flags_of`
//! (src/commands/mod.rs) that hands the flag's value to [`super::flag_sets`]; `flag` here spells
//! it exactly as `--help` shows it (`-s/--server`), and a test checks it against the clap tree.

use std::path::PathBuf;
use std::time::Duration;

use super::{expand_home, Config, StoreChoice, TlsMode};
use crate::human;

/// One config key.
pub struct Key {
    /// The key in the file: `max_file_size`, or `store.bucket` (a `[store]` table in the file).
    pub name: &'static str,
    /// The type of its value: how it is parsed, checked, shown and documented.
    pub kind: Kind,
    /// What it does, for config.example.toml, the man page and README. Lines break where the
    /// example file breaks them; `code` in backticks.
    pub doc: &'static str,
    /// The built-in default.
    pub default: Initial,
    /// The command-line flag that sets it, exactly as `--help` spells it (`-s/--server`,
    /// `--no-compat`); several keys may share one (`--store` sets kind, bucket and prefix).
    pub flag: Option<&'static str>,
    /// Which commands read it: a bad value of a key a command does not read does not stop it.
    pub read_by: ReadBy,
    /// Its value in `Config`.
    pub get: fn(&Config) -> Val,
    /// Stores a value already checked against `kind` (so of the variant `kind` gives).
    pub set: fn(&mut Config, Val),
}

/// Which commands read a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadBy {
    /// The client commands (put, get, ls, rm and the like).
    Client,
    /// `nf serve`.
    Server,
    /// Both. As what a command reads: every key (`nf config`).
    Both,
}

/// The type of a key's value.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// HOST:PORT, as text.
    Address,
    /// A path; a leading `~/` is the home directory.
    Path,
    /// A whole number from `min` to `max`.
    Count { min: u64, max: u64 },
    /// A size in bytes from `min` to `max`: a number, or text with a unit ([`human::parse_size`]).
    Bytes { min: u64, max: u64 },
    /// true or false (in the environment also 1/0, yes/no, on/off).
    Bool,
    /// Text that nf never prints: shown as `"(set)"` or `""`.
    Secret,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// Text, checked and normalised by the function (which says what is wrong).
    Text(fn(&str) -> Result<String, String>),
    /// A list: a TOML array of strings, or one string with the items separated by commas (the
    /// form an environment variable or a flag gives). Each item is checked and normalised by
    /// the function; the value is the items joined with `, `.
    List(fn(&str) -> Result<String, String>),
}

/// A key's value once checked against its [`Kind`]: `Int` for counts and sizes, `Bool`, `Path`,
/// `Text` for the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Int(u64),
    Bool(bool),
    Text(String),
    Path(PathBuf),
}

/// A key's built-in default.
#[derive(Clone, Copy, Debug)]
pub enum Initial {
    Int(u64),
    Bool(bool),
    Text(&'static str),
    /// Decided when nf runs (the platform's directories); `shown` is how the docs write it.
    Computed {
        shown: &'static str,
        value: fn() -> Val,
    },
}

/// Every key, in the order `config.example.toml` and `nf config` show them.
pub const KEYS: &[Key] = &[
    Key {
        name: "server",
        kind: Kind::Address,
        doc: "Address the client commands (put, get, ls, rm, …) talk to: HOST:PORT, or HOST for port 8889.",
        default: Initial::Text("127.0.0.1:8889"),
        flag: Some("-s/--server"),
        read_by: ReadBy::Client,
        get: |c| Val::Text(c.server.clone()),
        set: |c, v| c.server = v.text(),
    },
    Key {
        name: "listen",
        kind: Kind::Address,
        doc: "Address `nf serve` listens on. Use 0.0.0.0:8889 or [::]:8889 to accept other machines.",
        default: Initial::Text("127.0.0.1:8889"),
        flag: Some("--listen"),
        read_by: ReadBy::Server,
        get: |c| Val::Text(c.listen.clone()),
        set: |c, v| c.listen = v.text(),
    },
    Key {
        name: "root",
        kind: Kind::Path,
        doc: "Storage directory of `nf serve`; created if missing. Default: the platform data\n\
              directory, ~/.local/share/nf/files on Linux.",
        default: Initial::Computed {
            shown: "~/.local/share/nf/files",
            value: || Val::Path(super::default_root()),
        },
        flag: Some("--root"),
        read_by: ReadBy::Server,
        get: |c| Val::Path(c.root.clone()),
        set: |c, v| c.root = v.path(),
    },
    Key {
        name: "max_connections",
        kind: Kind::Count {
            min: 1,
            max: u64::MAX,
        },
        doc: "Most connections `nf serve` holds at once, idle ones included (a connection waiting\n\
              for its handshake or its next request costs no thread). At the limit, the one that\n\
              has waited longest is closed to make room. Capped below the open-file limit.",
        default: Initial::Int(16384),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_connections as u64),
        set: |c, v| c.max_connections = v.usize(),
    },
    Key {
        name: "max_workers",
        kind: Kind::Count { min: 1, max: 65536 },
        doc: "Most requests served at once, each on a thread of its own. When all are taken, the\n\
              slowest transfer (its peer took under 64 KiB/s over the last 10 s, after 1 s) is cut\n\
              to make room; otherwise a new request waits in line (first come, first served) up\n\
              to `queue_wait_secs`.",
        default: Initial::Int(512),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_workers as u64),
        set: |c, v| c.max_workers = v.usize(),
    },
    Key {
        name: "max_startups_per_address",
        kind: Kind::Count {
            min: 1,
            max: u64::MAX,
        },
        doc: "Most connections from one address (an IPv6 /64 counts as one) that may be in their\n\
              handshake at once, as OpenSSH's MaxStartups; a new one closes that address's oldest\n\
              unfinished handshake (the newest is the likeliest to be a real client).",
        default: Initial::Int(128),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_startups_per_address as u64),
        set: |c, v| c.max_startups_per_address = v.usize(),
    },
    Key {
        name: "queue_wait_secs",
        kind: Kind::Count { min: 0, max: 3600 },
        doc: "Seconds a request that finds every worker taken waits in line (first come, first\n\
              served; costing no thread) before it is answered `busy`; meanwhile a transfer that\n\
              turns slow is cut to make room.",
        default: Initial::Int(30),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.queue_wait.as_secs()),
        set: |c, v| c.queue_wait = Duration::from_secs(v.int()),
    },
    Key {
        name: "busy_retry_secs",
        kind: Kind::Count { min: 0, max: 3600 },
        doc: "Seconds the client keeps trying again, with growing random pauses, when the server\n\
              answers `busy` before it has done anything; 0 gives up at once.",
        default: Initial::Int(10),
        flag: None,
        read_by: ReadBy::Client,
        get: |c| Val::Int(c.busy_retry.as_secs()),
        set: |c, v| c.busy_retry = Duration::from_secs(v.int()),
    },
    Key {
        name: "handshake_timeout_secs",
        kind: Kind::Count { min: 1, max: 3600 },
        doc: "Seconds a new connection has to finish its handshake (the nf greeting and hello, an\n\
              old dialect's command, an HTTP request head), and any request head has to arrive\n\
              once it has begun.",
        default: Initial::Int(10),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.handshake_timeout.as_secs()),
        set: |c, v| c.handshake_timeout = Duration::from_secs(v.int()),
    },
    Key {
        name: "idle_timeout_secs",
        kind: Kind::Count {
            min: 1,
            max: u64::MAX,
        },
        doc: "Seconds a connection may stay silent (or stop reading) before it is closed; the\n\
              client uses the same limit while waiting for the server.",
        default: Initial::Int(60),
        flag: None,
        read_by: ReadBy::Both,
        get: |c| Val::Int(c.idle_timeout.as_secs()),
        set: |c, v| c.idle_timeout = Duration::from_secs(v.int()),
    },
    Key {
        name: "min_body_rate",
        kind: Kind::Bytes {
            min: 0,
            max: u64::MAX,
        },
        doc: "Least bytes per second the client must take of a reply (what it acknowledged) or send\n\
              of a body, over the last 10 s; a slower transfer is cut (an upload cut this way is\n\
              kept for --resume). 0 turns it off.",
        default: Initial::Int(1024),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.min_body_rate),
        set: |c, v| c.min_body_rate = v.int(),
    },
    Key {
        name: "max_header_bytes",
        kind: Kind::Bytes {
            min: 1024,
            // A header line or head is served from a session's read buffer, whole.
            max: crate::hashpipe::CHUNK as u64,
        },
        doc: "Longest protocol header line, or HTTP request head, accepted (at most 256 KiB).",
        default: Initial::Int(crate::protocol::DEFAULT_MAX_HEADER as u64),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_header_bytes as u64),
        set: |c, v| c.max_header_bytes = v.usize(),
    },
    Key {
        name: "max_http_headers",
        kind: Kind::Count { min: 8, max: 10_000 },
        doc: "Most header fields in one HTTP request head (browsers send about 20).",
        default: Initial::Int(100),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_http_headers as u64),
        set: |c, v| c.max_http_headers = v.usize(),
    },
    Key {
        name: "max_name_bytes",
        kind: Kind::Count {
            min: 1,
            max: crate::name::MAX_NAME_BYTES as u64,
        },
        doc: "Longest component of a name (a file or directory name), in bytes.",
        default: Initial::Int(crate::name::MAX_NAME_BYTES as u64),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_name_bytes as u64),
        set: |c, v| c.max_name_bytes = v.usize(),
    },
    Key {
        name: "max_path_bytes",
        kind: Kind::Count { min: 1, max: 65_536 },
        doc: "Longest name accepted, in bytes: a whole path such as photos/2020/a.jpg.",
        default: Initial::Int(crate::name::MAX_PATH_BYTES as u64),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_path_bytes as u64),
        set: |c, v| c.max_path_bytes = v.usize(),
    },
    Key {
        name: "max_path_components",
        kind: Kind::Count { min: 1, max: 4096 },
        doc: "Most components of a name (directories deep, plus one).",
        default: Initial::Int(crate::name::MAX_PATH_COMPONENTS as u64),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_path_components as u64),
        set: |c, v| c.max_path_components = v.usize(),
    },
    Key {
        name: "max_file_size",
        kind: Kind::Bytes {
            min: 0,
            max: u64::MAX,
        },
        doc: "Largest file `nf serve` accepts.",
        default: Initial::Int(1 << 40),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_file_size),
        set: |c, v| c.max_file_size = v.int(),
    },
    Key {
        name: "token",
        kind: Kind::Secret,
        doc: "Shared secret. Set on the server, every client must send the same token (set it\n\
              on the client too). Prefer NF_TOKEN or a file readable only by you (mode 0600).",
        default: Initial::Text(""),
        flag: None,
        read_by: ReadBy::Both,
        get: |c| Val::Text(c.token.clone().unwrap_or_default()),
        set: |c, v| c.token = Some(v.text()).filter(|t| !t.is_empty()),
    },
    Key {
        name: "user",
        kind: Kind::Text(|u| Ok(u.to_string())),
        doc: "User name the client commands log in with, on a server with users (an access\n\
              file); its password comes from `password`, NF_PASSWORD, or a prompt on a terminal.\n\
              Empty: no login (anonymous, or the token).",
        default: Initial::Text(""),
        flag: Some("--user"),
        read_by: ReadBy::Client,
        get: |c| Val::Text(c.user.clone().unwrap_or_default()),
        set: |c, v| c.user = Some(v.text()).filter(|u| !u.is_empty()),
    },
    Key {
        name: "password",
        kind: Kind::Secret,
        doc: "Password (or generated secret) of `user`. Prefer NF_PASSWORD, the prompt, or a\n\
              file readable only by you (mode 0600); sent only over TLS or to loopback.",
        default: Initial::Text(""),
        flag: None,
        read_by: ReadBy::Client,
        get: |c| Val::Text(c.password.clone().unwrap_or_default()),
        set: |c, v| c.password = Some(v.text()).filter(|t| !t.is_empty()),
    },
    Key {
        name: "tls",
        kind: Kind::Choice(&["auto", "always", "never"]),
        doc: "When the client commands use TLS: \"auto\" (to every server that is not on loopback,\n\
              and on loopback too with a token, a user to log in as, a pinned fingerprint or a\n\
              key recorded in known_servers), \"always\" or \"never\". A token or password is never\n\
              sent in clear to a server that is not on loopback, whatever this says; on loopback\n\
              only with \"never\".",
        default: Initial::Text("auto"),
        flag: Some("--tls"),
        read_by: ReadBy::Client,
        get: |c| {
            Val::Text(
                match c.tls {
                    TlsMode::Auto => "auto",
                    TlsMode::Always => "always",
                    TlsMode::Never => "never",
                }
                .into(),
            )
        },
        set: |c, v| {
            c.tls = match v.text().as_str() {
                "always" => TlsMode::Always,
                "never" => TlsMode::Never,
                _ => TlsMode::Auto,
            }
        },
    },
    Key {
        name: "fingerprint",
        kind: Kind::Text(|f| {
            if f.is_empty() || crate::tls::is_fingerprint(f) {
                Ok(f.to_string())
            } else {
                Err(format!(
                    "{f:?} is not a fingerprint such as sha256//BASE64 (`nf serve --fingerprint` prints it)"
                ))
            }
        }),
        doc: "The fingerprint the server must present (sha256//BASE64, as `nf serve --fingerprint`\n\
              prints it). Empty: a certificate that verifies against the system's roots, else the\n\
              one recorded in known_servers, else trust on first use.",
        default: Initial::Text(""),
        flag: Some("--fingerprint"),
        read_by: ReadBy::Client,
        get: |c| Val::Text(c.fingerprint.clone().unwrap_or_default()),
        set: |c, v| c.fingerprint = Some(v.text()).filter(|f| !f.is_empty()),
    },
    Key {
        name: "known_servers",
        kind: Kind::Path,
        doc: "Where the client records the fingerprints of servers trusted on first use, one\n\
              `HOST:PORT sha256//…` line each.",
        default: Initial::Computed {
            shown: "~/.config/nf/known_servers",
            value: || {
                Val::Path(
                    crate::tls::trust::default_known_servers()
                        .unwrap_or_else(|| PathBuf::from("known_servers")),
                )
            },
        },
        flag: None,
        read_by: ReadBy::Client,
        get: |c| Val::Path(c.known_servers.clone()),
        set: |c, v| c.known_servers = v.path(),
    },
    Key {
        name: "tls_cert",
        kind: Kind::Text(|p| Ok(p.to_string())),
        doc: "Certificate chain (PEM) `nf serve` presents instead of its own self-signed identity,\n\
              such as a CA-issued one; set tls_key with it. Empty: nf's own identity, made on first\n\
              start in its data directory (~/.local/share/nf/identity.pem).",
        default: Initial::Text(""),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| {
            Val::Text(
                c.tls_cert
                    .as_ref()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
        },
        set: |c, v| c.tls_cert = Some(v.text()).filter(|p| !p.is_empty()).map(|p| expand_home(&p)),
    },
    Key {
        name: "tls_key",
        kind: Kind::Text(|p| Ok(p.to_string())),
        doc: "Private key (PEM) of tls_cert.",
        default: Initial::Text(""),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| {
            Val::Text(
                c.tls_key
                    .as_ref()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
        },
        set: |c, v| c.tls_key = Some(v.text()).filter(|p| !p.is_empty()).map(|p| expand_home(&p)),
    },
    Key {
        name: "allow_plaintext_from",
        kind: Kind::List(|list| {
            crate::cidr::parse_list(list).map(|nets| {
                nets.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        }),
        doc: "Addresses (CIDR ranges) that may use nf or HTTP without TLS when a\n\
              token is set (or with require_tls); others are refused before any token is read. The\n\
              old text dialects keep their own rules (compat, compat_allow_without_token).",
        default: Initial::Text("127.0.0.0/8, ::1"),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| {
            Val::Text(
                c.allow_plaintext_from
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        },
        set: |c, v| c.allow_plaintext_from = crate::cidr::parse_list(&v.text()).unwrap_or_default(),
    },
    Key {
        name: "require_tls",
        kind: Kind::Bool,
        doc: "Refuse nf and HTTP without TLS from outside allow_plaintext_from even without a token.",
        default: Initial::Bool(false),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Bool(c.require_tls),
        set: |c, v| c.require_tls = v.bool(),
    },
    Key {
        name: "allowed_hosts",
        kind: Kind::List(check_host_name),
        doc: "Names, besides IP addresses, localhost and this machine's own names, that HTTP\n\
              requests may give as their Host; others are answered 421, against DNS rebinding (a\n\
              web page whose name points at this server). \"*.example.org\" allows the names under\n\
              example.org; \"*\" allows any name.",
        default: Initial::Text(""),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Text(c.allowed_hosts.join(", ")),
        set: |c, v| c.allowed_hosts = split_list(&v.text()).map(str::to_string).collect(),
    },
    Key {
        name: "public_url",
        kind: Kind::Text(check_public_url),
        doc: "Where clients reach this server, as share links start: `nf share` prints\n\
              PUBLIC_URL/s/ID (\"https://files.example.org\"). Empty: the address the client used.",
        default: Initial::Text(""),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Text(c.public_url.clone().unwrap_or_default()),
        set: |c, v| c.public_url = Some(v.text()).filter(|t| !t.is_empty()),
    },
    Key {
        name: "compat_allow_without_token",
        kind: Kind::Bool,
        doc: "With a token set, the old text dialects (which cannot send one) are refused;\n\
              true lets them in anyway.",
        default: Initial::Bool(false),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Bool(c.compat_allow_without_token),
        set: |c, v| c.compat_allow_without_token = v.bool(),
    },
    Key {
        name: "access_file",
        kind: Kind::Path,
        doc: "The users and rules of `nf serve` (written by `nf user`; README, \"Users and rights\").\n\
              Without this file nothing changes: an open server stays open and the token gives\n\
              every right. Set explicitly, it must exist. Re-read on SIGHUP and when it changes.",
        default: Initial::Computed {
            shown: "~/.config/nf/access.toml",
            value: || {
                Val::Path(
                    crate::service::access::default_file().unwrap_or_else(|| PathBuf::from("access.toml")),
                )
            },
        },
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Path(c.access_file.clone()),
        set: |c, v| c.access_file = v.path(),
    },
    Key {
        name: "read_only",
        kind: Kind::Bool,
        doc: "Serve files but refuse put, rm, mkdir and mv.",
        default: Initial::Bool(false),
        flag: Some("--read-only"),
        read_by: ReadBy::Server,
        get: |c| Val::Bool(c.read_only),
        set: |c, v| c.read_only = v.bool(),
    },
    Key {
        name: "resume_min_bytes",
        kind: Kind::Bytes {
            min: 0,
            max: u64::MAX,
        },
        doc: "Interrupted uploads of files at least this large are kept for `nf put --resume`;\n\
              smaller ones are simply sent again (cheaper than tracking them).",
        default: Initial::Int(1 << 20),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.resume_min_bytes),
        set: |c, v| c.resume_min_bytes = v.int(),
    },
    Key {
        name: "partial_max_age_hours",
        kind: Kind::Count {
            min: 0,
            max: u64::MAX,
        },
        doc: "Interrupted uploads are kept this many hours for `nf put --resume`, then removed.",
        default: Initial::Int(7 * 24),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.partial_max_age.as_secs() / 3600),
        set: |c, v| c.partial_max_age = Duration::from_secs(v.int().saturating_mul(3600)),
    },
    Key {
        name: "max_partial_bytes",
        kind: Kind::Bytes {
            min: 0,
            max: u64::MAX,
        },
        doc: "Most bytes interrupted uploads (kept for `nf put --resume`) may hold in all. Each name\n\
              keeps only its largest; when an upload is cut and the total would go over, the oldest\n\
              others are deleted (and logged). The one just cut is always kept, whatever its size.\n\
              On an object store the total is that of the parts nf's entries record (docs/SCALING.md).",
        default: Initial::Int(crate::store::DEFAULT_MAX_PARTIAL_BYTES),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.max_partial_bytes),
        set: |c, v| c.max_partial_bytes = v.int(),
    },
    Key {
        name: "receipts_store",
        kind: Kind::Bool,
        doc: "Record every committed upload (path, size, BLAKE3, commit time, who sent it) under\n\
              `.nf/receipts/` in the store, one record per commit batch, so that `nf receipts` can\n\
              list what arrived when. A record that cannot be written is logged; the upload stays.",
        default: Initial::Bool(true),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Bool(c.receipts_store),
        set: |c, v| c.receipts_store = v.bool(),
    },
    Key {
        name: "receipts_max_age_secs",
        kind: Kind::Count {
            min: 1,
            max: u64::MAX,
        },
        doc: "Recorded uploads (`receipts_store`) are kept this many seconds (31536000: 365 days),\n\
              then pruned, at start and daily.",
        default: Initial::Int(365 * 86_400),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.receipts_max_age.as_secs()),
        set: |c, v| c.receipts_max_age = Duration::from_secs(v.int()),
    },
    Key {
        name: "compat",
        kind: Kind::Bool,
        doc: "Answer the old classroom clients (the seed and classroom text dialects) on the same\n\
              port as nf. With false they get a one-line error.",
        default: Initial::Bool(true),
        flag: Some("--no-compat"),
        read_by: ReadBy::Server,
        get: |c| Val::Bool(c.compat),
        set: |c, v| c.compat = v.bool(),
    },
    Key {
        name: "compat_max_bytes",
        kind: Kind::Bytes {
            min: 0,
            max: u64::MAX,
        },
        doc: "Largest file an old-dialect client may upload or download (its content travels as\n\
              base64 in one message).",
        default: Initial::Int(64 << 20),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.compat_max_bytes),
        set: |c, v| c.compat_max_bytes = v.int(),
    },
    Key {
        name: "compat_quiet_ms",
        kind: Kind::Count { min: 1, max: 60_000 },
        doc: "Old clients may send a request with no terminator: once a complete command has\n\
              arrived and the client stays quiet this many milliseconds, the request is answered.",
        default: Initial::Int(300),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.compat_quiet.as_millis() as u64),
        set: |c, v| c.compat_quiet = Duration::from_millis(v.int()),
    },
    Key {
        name: "store.kind",
        kind: Kind::Choice(&["local", "s3"]),
        doc: "Where `nf serve` keeps files: \"local\" (the directory `root`) or \"s3\" (a bucket of an\n\
              S3-compatible object store, which several servers can share; docs/SCALING.md).\n\
              The store.* keys may also be written as a [store] table. Credentials come from the\n\
              standard AWS sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, or\n\
              a web-identity, container or instance role), never from this file.\n\
              `--store s3://BUCKET/PREFIX` sets kind, bucket and prefix; `--store local` the kind.",
        default: Initial::Text("local"),
        flag: Some("--store"),
        read_by: ReadBy::Server,
        get: |c| {
            Val::Text(
                match c.store {
                    StoreChoice::Local => "local",
                    StoreChoice::S3 => "s3",
                }
                .into(),
            )
        },
        set: |c, v| {
            c.store = match v.text().as_str() {
                "s3" => StoreChoice::S3,
                _ => StoreChoice::Local,
            }
        },
    },
    Key {
        name: "store.endpoint",
        kind: Kind::Text(check_endpoint),
        doc: "URL of the object store, such as \"http://127.0.0.1:8333\"; empty for AWS itself\n\
              (or AWS_ENDPOINT_URL).",
        default: Initial::Text(""),
        flag: Some("--s3-endpoint"),
        read_by: ReadBy::Server,
        get: |c| Val::Text(c.s3.endpoint.clone()),
        set: |c, v| c.s3.endpoint = v.text(),
    },
    Key {
        name: "store.bucket",
        kind: Kind::Text(|b| match b {
            "" => Ok(String::new()),
            b => crate::store::s3::check_bucket(b).map(|()| b.to_string()),
        }),
        doc: "Bucket of the object store (it must exist).",
        default: Initial::Text(""),
        flag: Some("--store"),
        read_by: ReadBy::Server,
        get: |c| Val::Text(c.s3.bucket.clone()),
        set: |c, v| c.s3.bucket = v.text(),
    },
    Key {
        name: "store.prefix",
        kind: Kind::Text(crate::store::s3::check_prefix),
        doc: "Key prefix inside the bucket, such as \"team/files\"; empty for the whole bucket.",
        default: Initial::Text(""),
        flag: Some("--store"),
        read_by: ReadBy::Server,
        get: |c| Val::Text(c.s3.prefix.clone()),
        set: |c, v| c.s3.prefix = v.text(),
    },
    Key {
        name: "store.region",
        kind: Kind::Text(|r| Ok(r.to_string())),
        doc: "Region of the bucket; empty for AWS_REGION (or AWS_DEFAULT_REGION), else \"us-east-1\".",
        default: Initial::Text(""),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Text(c.s3.region.clone()),
        set: |c, v| c.s3.region = v.text(),
    },
    Key {
        name: "store.buffer_bytes",
        kind: Kind::Bytes {
            min: crate::store::s3::MIN_BUFFER_BYTES,
            max: u64::MAX,
        },
        doc: "Most bytes of uploads a server on an object store holds in memory at once (parts\n\
              being filled or sent, 8 MiB each for most files); more uploads wait for room.",
        default: Initial::Int(crate::store::s3::DEFAULT_BUFFER_BYTES),
        flag: None,
        read_by: ReadBy::Server,
        get: |c| Val::Int(c.s3.buffer_bytes),
        set: |c, v| c.s3.buffer_bytes = v.int(),
    },
];

/// The definition of `name`, if it is a key.
pub fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

impl Key {
    /// Its environment variable: `NF_` and the name in capitals (`store.kind` → `NF_STORE_KIND`).
    pub fn env(&self) -> String {
        format!("NF_{}", self.name.to_ascii_uppercase().replace('.', "_"))
    }

    /// The long form of its flag (`--server` for `-s/--server`).
    pub fn long_flag(&self) -> Option<&'static str> {
        self.flag.map(|f| f.rsplit('/').next().unwrap_or(f))
    }

    /// Its built-in default.
    pub fn default_value(&self) -> Val {
        match self.default {
            Initial::Int(n) => Val::Int(n),
            Initial::Bool(b) => Val::Bool(b),
            Initial::Text(t) => Val::Text(t.to_string()),
            Initial::Computed { value, .. } => value(),
        }
    }

    /// Its default as the docs write it: as a config file would, and the same on every machine.
    pub fn documented_default(&self) -> String {
        match self.default {
            Initial::Computed { shown, .. } => toml_string(shown),
            _ => self.kind.show(&self.default_value()),
        }
    }
}

impl ReadBy {
    /// Whether a command that reads `what` reads a key read by `self`: whether they overlap.
    pub fn meets(self, what: ReadBy) -> bool {
        self == ReadBy::Both || what == ReadBy::Both || self == what
    }

    /// Who reads it, in words.
    pub fn describe(self) -> &'static str {
        match self {
            ReadBy::Client => "the client commands",
            ReadBy::Server => "nf serve",
            ReadBy::Both => "nf serve and the client commands",
        }
    }

    /// Who reads it, in one word or two, for a table.
    pub fn short(self) -> &'static str {
        match self {
            ReadBy::Client => "client",
            ReadBy::Server => "server",
            ReadBy::Both => "client, server",
        }
    }
}

/// A raw value before it is checked against its key's kind: from the file, or text from the
/// environment or a flag.
#[derive(Debug)]
pub enum Raw<'a> {
    Toml(&'a toml::Value),
    Text(&'a str),
}

impl Kind {
    /// Checks a raw value; the error says what was expected.
    pub fn parse(&self, raw: &Raw<'_>) -> Result<Val, String> {
        match *self {
            Kind::Address => {
                let s = string(raw)?;
                if s.trim().is_empty() || s.contains(char::is_whitespace) {
                    return Err(format!("{s:?} is not an address; expected HOST:PORT"));
                }
                Ok(Val::Text(s))
            }
            Kind::Path => Ok(Val::Path(expand_home(&string(raw)?))),
            Kind::Count { min, max } => in_range(count(raw)?, min, max, plain).map(Val::Int),
            Kind::Bytes { min, max } => in_range(bytes(raw)?, min, max, size).map(Val::Int),
            Kind::Bool => boolean(raw).map(Val::Bool),
            Kind::Secret => {
                let t = string(raw)?;
                if t.chars().any(char::is_control) || t.len() > 1024 {
                    return Err("must be at most 1024 characters without control characters".into());
                }
                Ok(Val::Text(t))
            }
            Kind::Choice(words) => {
                let s = string(raw)?;
                if words.contains(&s.as_str()) {
                    Ok(Val::Text(s))
                } else {
                    Err(format!("expected {}, found {s:?}", quoted_list(words, "or")))
                }
            }
            Kind::Text(check) => check(&string(raw)?).map(Val::Text),
            Kind::List(check) => list(raw)?
                .iter()
                .map(|item| check(item.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map(|items| Val::Text(items.join(", "))),
        }
    }

    /// A value as a config file writes it: sizes with the shortest exact unit (`"1 TiB"`), text
    /// quoted, a secret as `"(set)"` or `""` and never itself.
    pub fn show(&self, value: &Val) -> String {
        match (self, value) {
            (Kind::Secret, Val::Text(t)) => toml_string(if t.is_empty() { "" } else { "(set)" }),
            (Kind::Bytes { .. }, Val::Int(n)) if human::exact_size(*n).contains(' ') => {
                toml_string(&human::exact_size(*n))
            }
            (Kind::List(_), Val::Text(t)) => {
                let items: Vec<String> = split_list(t).map(toml_string).collect();
                format!("[{}]", items.join(", "))
            }
            (_, Val::Int(n)) => n.to_string(),
            (_, Val::Bool(b)) => b.to_string(),
            (_, Val::Text(t)) => toml_string(t),
            (_, Val::Path(p)) => toml_string(&p.to_string_lossy()),
        }
    }

    /// What a value of this kind is, for the docs.
    pub fn describe(&self) -> String {
        match *self {
            Kind::Address => "an address HOST:PORT, in quotes".into(),
            Kind::Path => "a path in quotes; a leading ~/ is your home directory".into(),
            Kind::Count { min, max } => format!("a whole number{}", range_text(min, max, plain)),
            Kind::Bytes { min, max } => format!(
                "a size{}, such as 65536, \"64 KiB\" or \"10 GB\"",
                range_text(min, max, size)
            ),
            Kind::Bool => "true or false".into(),
            Kind::Secret => "text in quotes, never shown by nf config".into(),
            Kind::Choice(words) => quoted_list(words, "or"),
            Kind::Text(_) => "text in quotes".into(),
            Kind::List(_) => "a list of strings in quotes, [\"a\", \"b\"] (or one string \"a, b\")".into(),
        }
    }

    /// The hint for a value in a file that is not valid TOML (`server = 127.0.0.1`).
    pub fn toml_hint(&self, key: &str, value: &str) -> String {
        match self {
            Kind::Bool => format!("write true or false without quotes: {key} = true"),
            Kind::Count { .. } => {
                format!("write a whole number without quotes or units, such as {key} = 10")
            }
            _ => format!("write it in quotes: {key} = {}", toml_string(value)),
        }
    }
}

/// How sizes are read, for the docs.
pub const SIZE_UNITS: &str = "a number of bytes, or text with a unit: kB, MB, GB and TB are \
     powers of 1000 (\"10 GB\" is 10^10 bytes); KiB, MiB, GiB and TiB, and K, M, G and T alone, \
     powers of 1024 (\"10 GiB\" and \"10G\" are 10 x 2^30 bytes)";

impl Val {
    /// The number of a count or size. Panics on another variant: the key's `kind` and `set` disagree.
    pub fn int(self) -> u64 {
        match self {
            Val::Int(n) => n,
            other => panic!("expected a number, got {other:?}"),
        }
    }

    /// [`Val::int`] for a `usize` field.
    pub fn usize(self) -> usize {
        usize::try_from(self.int()).unwrap_or(usize::MAX)
    }

    pub fn bool(self) -> bool {
        match self {
            Val::Bool(b) => b,
            other => panic!("expected true or false, got {other:?}"),
        }
    }

    pub fn text(self) -> String {
        match self {
            Val::Text(t) => t,
            other => panic!("expected text, got {other:?}"),
        }
    }

    pub fn path(self) -> PathBuf {
        match self {
            Val::Path(p) => p,
            other => panic!("expected a path, got {other:?}"),
        }
    }
}

/// `s` as a TOML basic string, quotes included.
pub fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn quoted_list(words: &[&str], last: &str) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
    match quoted.split_last() {
        Some((tail, head)) if !head.is_empty() => format!("{} {last} {tail}", head.join(", ")),
        _ => quoted.join(""),
    }
}

/// A bound of a count.
fn plain(n: u64) -> String {
    n.to_string()
}

/// A bound of a size: `8 MiB`, `1500 bytes`.
fn size(n: u64) -> String {
    match human::exact_size(n) {
        text if text.contains(' ') => text,
        text => format!("{text} bytes"),
    }
}

/// ` from 1 to 255`, ` of at least 1`, or nothing.
fn range_text(min: u64, max: u64, show: fn(u64) -> String) -> String {
    match (min, max) {
        (0, u64::MAX) => String::new(),
        (min, u64::MAX) => format!(" of at least {}", show(min)),
        (min, max) => format!(" from {} to {}", show(min), show(max)),
    }
}

fn in_range(n: u64, min: u64, max: u64, show: fn(u64) -> String) -> Result<u64, String> {
    if (min..=max).contains(&n) {
        return Ok(n);
    }
    Err(match max {
        u64::MAX => format!("must be at least {}", show(min)),
        max => format!("must be between {} and {}", show(min), show(max)),
    })
}

/// A host name for `allowed_hosts`: in lower case, without a trailing dot; `*` or `*.NAME`.
fn check_host_name(name: &str) -> Result<String, String> {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    let bare = lower.strip_prefix("*.").unwrap_or(&lower);
    let ok = lower == "*"
        || (!bare.is_empty()
            && bare.split('.').all(|label| {
                !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }));
    if !ok {
        return Err(format!(
            "{name:?} is not a host name such as \"files.example.org\", \"*.example.org\" or \"*\""
        ));
    }
    Ok(lower)
}

fn check_endpoint(url: &str) -> Result<String, String> {
    let ok = url.is_empty()
        || ((url.starts_with("http://") || url.starts_with("https://"))
            && !url.contains(char::is_whitespace));
    if !ok {
        return Err(format!("{url:?} is not a URL such as \"http://127.0.0.1:8333\""));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// The items of a list key's value (as [`Kind::List`] stores it: joined with `, `).
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|item| !item.is_empty())
}

/// The items of a list given as a TOML array of strings or as one comma-separated string.
fn list(raw: &Raw<'_>) -> Result<Vec<String>, String> {
    match raw {
        Raw::Toml(toml::Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                toml::Value::String(s) => Ok(s.clone()),
                v => Err(format!(
                    "expected strings in the list, found {} as item {}",
                    v.type_str(),
                    i + 1
                )),
            })
            .collect(),
        _ => Ok(split_list(&string(raw)?).map(str::to_string).collect()),
    }
}

fn string(raw: &Raw<'_>) -> Result<String, String> {
    match raw {
        Raw::Text(s) => Ok(s.to_string()),
        Raw::Toml(toml::Value::String(s)) => Ok(s.clone()),
        Raw::Toml(v) => Err(format!("expected a string, found {}", v.type_str())),
    }
}

fn boolean(raw: &Raw<'_>) -> Result<bool, String> {
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

fn count(raw: &Raw<'_>) -> Result<u64, String> {
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

fn bytes(raw: &Raw<'_>) -> Result<u64, String> {
    let text = |s: &str| {
        human::parse_size(s)
            .ok_or_else(|| format!("expected a size such as 65536, \"64 KiB\" or \"10 GB\", found {s:?}"))
    };
    match raw {
        Raw::Toml(toml::Value::Integer(n)) => {
            u64::try_from(*n).map_err(|_| format!("expected a size ≥ 0, found {n}"))
        }
        Raw::Text(s) => text(s),
        Raw::Toml(toml::Value::String(s)) => text(s),
        Raw::Toml(v) => Err(format!("expected a size, found {}", v.type_str())),
    }
}

/// A `public_url`: empty, or `http://` or `https://` and a host, without a query or fragment
/// (a final `/` is dropped).
fn check_public_url(text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        _ if url.is_empty() => Ok(String::new()),
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => Ok(url.to_string()),
        _ => Err("an http:// or https:// URL such as \"https://files.example.org\"".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_a_valid_value_of_its_kind() {
        let defaults = Config::defaults();
        for key in KEYS {
            let value = key.default_value();
            let shown = key.kind.show(&value);
            let reparsed: toml::Table = toml::from_str(&format!("v = {shown}")).unwrap();
            assert_eq!(
                key.kind.parse(&Raw::Toml(&reparsed["v"])),
                Ok(value.clone()),
                "{}: {shown}",
                key.name
            );
            assert_eq!((key.get)(&defaults), value, "{}", key.name);
        }
    }

    #[test]
    fn names_are_unique_and_flags_spelled_as_help_shows_them() {
        for (i, key) in KEYS.iter().enumerate() {
            assert!(KEYS[..i].iter().all(|k| k.name != key.name), "{} twice", key.name);
            assert!(
                key.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.'),
                "{}",
                key.name
            );
            if let Some(flag) = key.flag {
                let (short, long) = flag.split_once('/').unwrap_or(("", flag));
                assert!(long.starts_with("--") && long.len() > 3, "{flag}");
                assert!(
                    short.is_empty() || (short.len() == 2 && short.starts_with('-')),
                    "{flag}"
                );
            }
        }
        assert_eq!(key("store.kind").unwrap().env(), "NF_STORE_KIND");
        assert_eq!(key("server").unwrap().long_flag(), Some("--server"));
        assert_eq!(key("compat").unwrap().long_flag(), Some("--no-compat"));
    }

    #[test]
    fn values_are_shown_as_a_config_file_writes_them_and_secrets_never() {
        let token = key("token").unwrap();
        assert_eq!(token.kind.show(&Val::Text("hunter2".into())), "\"(set)\"");
        assert_eq!(token.kind.show(&Val::Text(String::new())), "\"\"");
        let size = key("max_file_size").unwrap();
        assert_eq!(size.documented_default(), "\"1 TiB\"");
        assert_eq!(size.kind.show(&Val::Int(10_000_000_000)), "\"10 GB\"");
        assert_eq!(size.kind.show(&Val::Int(1500)), "1500");
        assert_eq!(
            key("root").unwrap().documented_default(),
            "\"~/.local/share/nf/files\""
        );
        assert_eq!(key("compat").unwrap().documented_default(), "true");
    }
}
