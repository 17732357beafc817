//! What every dialect shares: the operations layer ([`ops`]: the only way to the store, asking
//! the [`Policy`] for each operation), the settings, the log, name validation from the wire,
//! and whether the server is stopping. The native handlers, the old text dialects (and HTTP)
//! depend on this module and never on each other or on the accept loop; it knows nothing of
//! sockets.

pub mod access;
pub mod access_edit;
pub mod davstate;
pub mod guess;
mod limits;
mod log;
pub mod login;
mod ops;
pub mod password;
pub mod policy;
mod receipt_store;
mod receipts;
pub mod reload;
mod room;
mod shares;
pub mod uploads;

use std::io::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::config::Config;
use crate::error::Result;
use crate::name::{FileName, Limits};
use crate::protocol::{EntryType, FileInfo};
use crate::store::{Entry, Kind, Store};

pub use guess::Guesses;
pub use limits::{per_file, quotas_apply, writing_rules, Limit};
pub use log::Logger;
pub use ops::Commit;
pub use policy::{Link, Policy, Principal, Right};
pub use receipt_store::Wanted;
pub use shares::ShareAsk;

/// The state every connection of one server shares.
pub struct Service {
    /// Reached only through the operations ([`ops`]).
    store: Store,
    /// Who may do what ([`policy`]).
    policy: Policy,
    /// The limits and behaviour of this server.
    pub settings: Config,
    pub log: Logger,
    /// Wrong secrets per address, to slow guessing ([`guess`]).
    pub guesses: Guesses,
    /// Users logging in: the checkers, remembered logins, guessing per name ([`login`]).
    pub logins: login::Logins,
    /// WebDAV's locks and dead properties, in this server's memory ([`davstate`]).
    pub dav: davstate::DavState,
    /// Signs receipts with the server's identity key, once the server has one ([`receipts`]).
    signer: std::sync::OnceLock<crate::receipt::Signer>,
    /// Uploads that live across requests (tus, [`uploads`]).
    resumables: uploads::Resumables,
    /// Share links' uses counted in memory, not yet in their records ([`shares`]).
    share_uses: Mutex<shares::PendingUses>,
    /// Names the records of committed uploads ([`receipt_store`]).
    recorder: receipt_store::Recorder,
    stopping: AtomicBool,
}

/// How a token a client presented fared ([`Service::check_token`]).
#[derive(Debug)]
pub enum TokenCheck {
    /// The right one, or the server has none.
    Fine,
    /// None was presented.
    Missing,
    /// A wrong one (counted against its address).
    Wrong,
    /// Its address must wait after too many wrong ones: not checked, and not logged per try.
    Wait(guess::Wait),
}

impl Service {
    pub fn new(store: Store, settings: Config, log: Logger) -> Service {
        let policy = Policy::new(settings.read_only, None);
        Service {
            store,
            policy,
            settings,
            log,
            guesses: Guesses::default(),
            logins: login::Logins::default(),
            dav: davstate::DavState::default(),
            signer: std::sync::OnceLock::new(),
            resumables: uploads::Resumables::default(),
            share_uses: Mutex::default(),
            recorder: receipt_store::Recorder::default(),
            stopping: AtomicBool::new(false),
        }
    }

    /// Puts the access file's users and rules in force (`None`: no access file); a running
    /// server's next operations follow them.
    pub fn set_access(&self, access: Option<access::Access>) {
        self.policy.set_access(access);
    }

    /// The policy every operation asks.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Checks the token `peer` presented (`None`: none) against this server's, slowing an
    /// address that sends wrong ones ([`guess`]). Every dialect that takes a token asks here.
    pub fn check_token(&self, peer: IpAddr, given: Option<&str>) -> TokenCheck {
        let Some(expected) = &self.settings.token else {
            return TokenCheck::Fine;
        };
        let now = Instant::now();
        if let Err((wait, note)) = self.guesses.admit(peer, now) {
            if let Some(line) = note {
                self.log.line(&line);
            }
            return TokenCheck::Wait(wait);
        }
        match given {
            None => TokenCheck::Missing,
            Some(given) if token_matches(expected, given) => TokenCheck::Fine,
            Some(_) => {
                if let Some(line) = self.guesses.failed(peer, now) {
                    self.log.line(&line);
                }
                TokenCheck::Wrong
            }
        }
    }

    /// This server's limits on names (`max_name_bytes`, `max_path_bytes`,
    /// `max_path_components`).
    pub fn limits(&self) -> Limits {
        Limits {
            component_bytes: self.settings.max_name_bytes,
            path_bytes: self.settings.max_path_bytes,
            components: self.settings.max_path_components,
        }
    }

    /// The principal of a connection that was let in: whoever passed the token check holds
    /// the token when the server has one; on a server without one, everyone is anonymous.
    pub fn admitted(&self) -> Principal {
        match self.settings.token {
            Some(_) => Principal::Token,
            None => Principal::Anonymous,
        }
    }

    /// Validates a name (a path) from the wire against the rules and this server's limits.
    pub fn file_name(&self, raw: &[u8]) -> Result<FileName> {
        FileName::parse_bytes_with(raw, &self.limits())
    }

    /// Validates a name at the top of the tree (one component): what the old text dialects,
    /// which know no directories, may name.
    pub fn top_name(&self, raw: &[u8]) -> Result<FileName> {
        let limits = Limits {
            component_bytes: self.settings.max_name_bytes,
            ..Limits::TOP
        };
        FileName::parse_bytes_with(raw, &limits)
    }

    /// True once the server is stopping: an end of stream may be the stop, not the client.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Marks the server as stopping; true if it already was.
    pub fn begin_stop(&self) -> bool {
        self.stopping.swap(true, Ordering::SeqCst)
    }
}

/// An entry of the store as the wire and `ls --json` show it.
pub fn wire(entry: &Entry) -> FileInfo {
    FileInfo {
        name: entry.name.as_str().to_string(),
        kind: match entry.kind {
            Kind::File => EntryType::File,
            Kind::Dir => EntryType::Dir,
        },
        size: entry.size,
        modified: crate::human::rfc3339_exact(entry.modified),
        mode: crate::protocol::mode_text(entry.mode),
        blake3: entry.blake3.map(|h| h.to_hex().to_string()).unwrap_or_default(),
    }
}

/// Appends to `out` the JSON of `entry` exactly as `serde_json` writes [`wire`]'s
/// [`FileInfo`] (the test below holds the two together), without building the strings: a
/// recursive listing writes one per file, and this is most of what the server does for it
/// outside the kernel.
pub fn write_json(out: &mut Vec<u8>, entry: &Entry) {
    out.extend_from_slice(b"{\"name\":");
    serde_json::to_writer(&mut *out, entry.name.as_str()).expect("a Vec takes every write");
    out.extend_from_slice(match entry.kind {
        Kind::File => b",\"type\":\"file\",\"size\":",
        Kind::Dir => b",\"type\":\"dir\",\"size\":",
    });
    write!(out, "{}", entry.size).expect("a Vec takes every write");
    out.extend_from_slice(b",\"modified\":\"");
    crate::human::write_rfc3339_exact(out, entry.modified);
    out.extend_from_slice(b"\",\"mode\":\"0");
    let mode = entry.mode & 0o777;
    out.extend_from_slice(&[
        b'0' + (mode >> 6) as u8,
        b'0' + ((mode >> 3) & 7) as u8,
        b'0' + (mode & 7) as u8,
        b'"',
    ]);
    if let Some(hash) = entry.blake3 {
        out.extend_from_slice(b",\"blake3\":\"");
        out.extend_from_slice(hash.to_hex().as_bytes());
        out.push(b'"');
    }
    out.push(b'}');
}

/// Compares a token in time that does not depend on where the first difference is.
pub fn token_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for (i, x) in a.iter().enumerate() {
        diff |= x ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// A service over a temporary directory with `settings`, for unit tests.
#[cfg(test)]
pub fn for_tests(settings: Config) -> (Service, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let partials = crate::store::Partials::unlogged(std::time::Duration::from_secs(3600), 1 << 30);
    let store = crate::store::Store::open(&crate::store::StoreKind::Local, dir.path(), partials).unwrap();
    let log = Logger {
        quiet: true,
        verbose: false,
    };
    (Service::new(store, settings, log), dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct writer and `serde_json` over [`wire`] agree byte for byte: files and
    /// directories, names with a quote that JSON must escape, times with and without a fraction, before
    /// 1970 and far ahead, every mode digit, with and without a hash.
    #[test]
    fn write_json_is_exactly_what_serde_writes_for_the_wire_entry() {
        use std::time::{Duration, UNIX_EPOCH};
        let names = [
            "a",
            "dir/sub/file.txt",
            "say \"quoted\" ok",
            "ünï/cödé ✓",
            "sp ace/[x]",
        ];
        let times = [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::new(1_795_967_142, 935_657_477),
            UNIX_EPOCH + Duration::new(1_795_967_142, 0),
            UNIX_EPOCH + Duration::new(1, 1),
            UNIX_EPOCH - Duration::new(86_400 * 400, 5),
            UNIX_EPOCH + Duration::new(253_402_300_799, 999_999_999),
        ];
        let mut checked = 0;
        for (i, name) in names.iter().enumerate() {
            for (j, &t) in times.iter().enumerate() {
                let name = FileName::parse(name).unwrap();
                let mode = [0o644, 0o755, 0o7777, 0, 0o123, 0o600][(i + j) % 6];
                let entries = [
                    Entry::dir(name.clone(), t, mode),
                    Entry {
                        name: name.clone(),
                        kind: Kind::File,
                        size: [0, 1, 4096, u64::MAX][j % 4],
                        modified: t,
                        mode,
                        blake3: (j % 2 == 0).then(|| blake3::hash(name.as_str().as_bytes())),
                    },
                ];
                for e in entries {
                    let mut direct = Vec::new();
                    write_json(&mut direct, &e);
                    let serde = serde_json::to_vec(&wire(&e)).unwrap();
                    assert_eq!(
                        String::from_utf8(direct).unwrap(),
                        String::from_utf8(serde).unwrap()
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, names.len() * times.len() * 2);
    }

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cret", "s3cres"));
        assert!(!token_matches("s3cret", "s3cre"));
        assert!(!token_matches("s3cret", "s3cret!"));
        assert!(!token_matches("s3cret", ""));
        assert!(token_matches("", ""));
    }
}
