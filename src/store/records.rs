//! Small records the server keeps beside the files, for what must outlive a process and, on a
//! bucket, be seen by every server of it: share links and the receipts of uploads. A record is
//! a key and a few bytes, grouped by kind; it lives under the reserved `.nf/` folder, which no
//! client can name (`ROOT/.nf/KIND/KEY` in a storage directory, `PREFIX/.nf/KIND/KEY` in a
//! bucket). Writes are atomic (a reader sees the old record or the whole new one) and durable
//! before they return.
//!
//! Keys are chosen by the server (random identifiers, times), never taken from a client as
//! they are: [`check_key`] admits `[A-Za-z0-9._-]`, 1 to 200 bytes, not starting with a dot.

use crate::error::{Error, ErrorKind, Result};

/// The kinds of records, each a folder of its own under `.nf/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Share links (`.nf/shares/ID`).
    Shares,
    /// Receipts of committed uploads (`.nf/receipts/KEY`).
    Receipts,
}

impl Kind {
    /// The folder's name under `.nf/`.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Shares => "shares",
            Kind::Receipts => "receipts",
        }
    }
}

/// The longest key, in bytes.
pub const MAX_KEY: usize = 200;

/// Refuses a key that is not `[A-Za-z0-9._-]{1,200}` or starts with a dot, so that a key is
/// one plain component on every backend.
pub fn check_key(key: &str) -> Result<()> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    if key.is_empty() || key.len() > MAX_KEY || key.starts_with('.') || !key.bytes().all(plain) {
        return Err(Error::new(
            ErrorKind::BadName,
            format!("not a record key: {key:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_plain_component() {
        for good in ["a", "K3x_9-1.json", &"x".repeat(MAX_KEY)] {
            assert!(check_key(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "..",
            "a/b",
            "a\\b",
            "ä",
            "a b",
            &"x".repeat(MAX_KEY + 1),
        ] {
            assert_eq!(check_key(bad).unwrap_err().kind, ErrorKind::BadName, "{bad:?}");
        }
    }
}
