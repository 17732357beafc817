//! What every dialect shares: the store, the settings, the log, name validation from the wire,
//! and whether the server is stopping. The native handlers, the old text dialects (and HTTP)
//! depend on this module and never on each other or on the accept loop; it knows nothing of
//! sockets.

mod log;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::error::Result;
use crate::name::FileName;
use crate::store::Store;

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

    /// Validates a name from the wire against the rules and this server's length limit.
    pub fn file_name(&self, raw: &[u8]) -> Result<FileName> {
        FileName::parse_bytes_with_limit(raw, self.settings.max_name_bytes)
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
