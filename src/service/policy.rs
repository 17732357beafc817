//! Who is asking ([`Principal`]), what they ask to do ([`Right`]) and whether they may
//! ([`Policy`]): a pure decision, asked by the operations layer ([`super::ops`]) before every
//! operation, for every dialect. Today's policy is the server's `read_only` switch; the access
//! file's rules plug in here later.

use std::fmt;

use crate::error::{Error, ErrorKind};
use crate::name::FileName;

/// Who a connection acts for, settled once when it is accepted (the hello, HTTP's credentials)
/// and carried into every operation. Users and share links join as further variants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// Nobody in particular: a server without a token, and the old dialects, which cannot
    /// present one.
    Anonymous,
    /// Whoever presented the server's token.
    Token,
}

impl Principal {
    /// The word the log line shows.
    pub fn as_str(&self) -> &'static str {
        match self {
            Principal::Anonymous => "anonymous",
            Principal::Token => "token",
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an operation needs on its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Right {
    /// See the names (list).
    List,
    /// Read contents and what the store records of a file (get, stat).
    Read,
    /// Create a new name (put, mkdir, the target of mv).
    Write,
    /// Replace an existing file (put -f, mv -f onto a name).
    Overwrite,
    /// Remove a name (rm, rm -r, the source of mv).
    Delete,
}

impl Right {
    /// True for the rights that change what is stored.
    pub fn changes(self) -> bool {
        matches!(self, Right::Write | Right::Overwrite | Right::Delete)
    }
}

/// Decides who may do what where.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Nobody may change anything (`read_only`).
    pub read_only: bool,
}

impl Policy {
    /// True when `who` may use `right` on `path` (`None`: the top of the tree).
    pub fn allows(&self, who: &Principal, right: Right, path: Option<&FileName>) -> bool {
        let _ = (who, path);
        !(self.read_only && right.changes())
    }

    /// Why `right` on `path` is refused: the one message every dialect answers with.
    pub fn refusal(&self, right: Right) -> Error {
        let _ = right;
        Error::new(
            ErrorKind::Denied,
            "this server is read-only: uploads, deletions, new folders and moves are refused",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Right; 5] = [
        Right::List,
        Right::Read,
        Right::Write,
        Right::Overwrite,
        Right::Delete,
    ];

    #[test]
    fn an_open_server_allows_everything_to_everyone() {
        let policy = Policy::default();
        let path = FileName::parse("a/b.txt").unwrap();
        for who in [Principal::Anonymous, Principal::Token] {
            for right in ALL {
                for at in [None, Some(&path)] {
                    assert!(policy.allows(&who, right, at), "{who} {right:?} {at:?}");
                }
            }
        }
    }

    #[test]
    fn a_read_only_server_allows_only_list_and_read() {
        let policy = Policy { read_only: true };
        let path = FileName::parse("x").unwrap();
        // (right, allowed)
        let table = [
            (Right::List, true),
            (Right::Read, true),
            (Right::Write, false),
            (Right::Overwrite, false),
            (Right::Delete, false),
        ];
        for who in [Principal::Anonymous, Principal::Token] {
            for (right, allowed) in table {
                for at in [None, Some(&path)] {
                    assert_eq!(policy.allows(&who, right, at), allowed, "{who} {right:?} {at:?}");
                }
            }
        }
        let err = policy.refusal(Right::Write);
        assert_eq!(err.kind, ErrorKind::Denied);
        assert!(err.message.contains("read-only"), "{}", err.message);
    }

    #[test]
    fn principals_are_logged_by_one_word() {
        assert_eq!(Principal::Anonymous.to_string(), "anonymous");
        assert_eq!(Principal::Token.to_string(), "token");
    }
}
