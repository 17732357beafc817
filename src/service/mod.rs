//! What every dialect shares: the store, the settings, the log, name validation from the wire,
//! and whether the server is stopping. The native handlers, the old text dialects (and HTTP)
//! depend on this module and never on each other or on the accept loop; it knows nothing of
//! sockets.

mod log;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::error::Result;
use crate::name::{FileName, Limits};
use crate::protocol::{EntryType, FileInfo};
use crate::store::{Entry, Kind, Store};

pub use log::Logger;

/// The state every connection of one server shares.
pub struct Service {
    pub store: Store,
    /// The limits and behaviour of this server.
    pub settings: Config,
    pub log: Logger,
    stopping: AtomicBool,
}

impl Service {
    pub fn new(store: Store, settings: Config, log: Logger) -> Service {
        Service {
            store,
            settings,
            log,
            stopping: AtomicBool::new(false),
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

/// Compares a token in time that does not depend on where the first difference is.
pub fn token_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for (i, x) in a.iter().enumerate() {
        diff |= x ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

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
