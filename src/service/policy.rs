//! Who is asking ([`Principal`]), what they ask to do ([`Right`]) and whether they may
//! ([`Policy`]): a pure decision, asked by the operations layer ([`super::ops`]) before every
//! operation, for every dialect: the server's `read_only` switch, then the access file's rules
//! ([`super::access`]), which a running server may swap ([`Policy::set_access`]).

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};

use super::access::{Access, Rule};

/// Who a connection acts for, settled once when it is accepted (the hello, HTTP's credentials)
/// and carried into every operation. Users and share links join as further variants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// Nobody in particular: whoever did not log in, and the old dialects, which cannot.
    Anonymous,
    /// Whoever presented the server's token: every right.
    Token,
    /// A user of the access file, by the name they logged in with (their groups and rights
    /// are looked up in the file as it is now, so a reload applies at once).
    User(Arc<str>),
    /// Whoever holds a share link: its creator's rights as they are now, limited to the
    /// link's path and to reading (or, for an upload link, to new files in its folder).
    Link(Arc<Link>),
}

/// What a share link lets its holder do, and for whom it acts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The link's identifier (the `ID` of `/s/ID`).
    pub id: String,
    /// Who made it: the link never does what its creator may not do now.
    pub creator: Principal,
    /// The file or folder shared (`None`: the top).
    pub root: Option<FileName>,
    /// An upload link (new files in the folder), not a read link.
    pub upload: bool,
    /// Its path names a folder.
    pub folder: bool,
    /// It allows so many uses (`max_uses`): each is written to its record at once.
    pub limited: bool,
    /// How the log line and receipts name it: `CREATOR via link ID`.
    word: String,
}

impl Link {
    /// `(upload, folder)`: an upload link (else a read link), to a folder (else a file).
    pub fn new(id: &str, creator: Principal, root: Option<FileName>, (upload, folder): (bool, bool)) -> Link {
        let word = format!("{creator} via link {id}");
        Link {
            id: id.to_string(),
            creator,
            root,
            upload,
            folder,
            limited: false,
            word,
        }
    }

    /// True when `path` is the link's path or below it.
    fn reaches(&self, path: Option<&FileName>) -> bool {
        match (&self.root, path) {
            (None, _) => true,
            (Some(root), Some(path)) => root.contains(path),
            (Some(_), None) => false,
        }
    }

    /// True when the link's kind allows `right` on `path` (within its reach): a read link
    /// lists and reads; an upload link only creates names strictly inside its folder.
    fn kind_allows(&self, right: Right, path: Option<&FileName>) -> bool {
        match self.upload {
            false => matches!(right, Right::List | Right::Read),
            true => right == Right::Write && path != self.root.as_ref(),
        }
    }
}

impl Principal {
    /// The word the log line shows (a user's name).
    pub fn as_str(&self) -> &str {
        match self {
            Principal::Anonymous => "anonymous",
            Principal::Token => "token",
            Principal::User(name) => name,
            Principal::Link(link) => &link.word,
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
#[derive(Debug, Default)]
pub struct Policy {
    /// Nobody may change anything (`read_only`).
    pub read_only: bool,
    /// The access file's users and rules; `None`: no access file, so whoever is let in (by
    /// the token, or on an open server) may do everything.
    access: RwLock<Option<Arc<Access>>>,
}

impl Policy {
    pub fn new(read_only: bool, access: Option<Access>) -> Policy {
        Policy {
            read_only,
            access: RwLock::new(access.map(Arc::new)),
        }
    }

    /// The access file in force (`None`: none).
    pub fn access(&self) -> Option<Arc<Access>> {
        self.access.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts a newly read access file in force; operations that already asked keep the answer
    /// they got.
    pub fn set_access(&self, access: Option<Access>) {
        *self.access.write().unwrap_or_else(|e| e.into_inner()) = access.map(Arc::new);
    }

    /// True when `who` may use `right` on `path` (`None`: the top of the tree).
    pub fn allows(&self, who: &Principal, right: Right, path: Option<&FileName>) -> bool {
        self.check(who, right, path).is_ok()
    }

    /// `Ok` when `who` may use `right` on `path` (`None`: the top); else the one refusal every
    /// dialect answers with: `denied` on a read-only server, `not_found` for a name `who` may
    /// not know exists, `forbidden` for a right `who` lacks on a name it may see.
    pub fn check(&self, who: &Principal, right: Right, path: Option<&FileName>) -> Result<()> {
        if self.read_only && right.changes() {
            return Err(read_only());
        }
        if let Principal::Link(link) = who {
            return self.check_link(link, right, path);
        }
        let Some(access) = self.access() else {
            return Ok(());
        };
        if *who == Principal::Token || access.rights(who, path).has(right) {
            return Ok(());
        }
        // A folder above a grant may be listed: its listing shows only the way there.
        if right == Right::List && access.leads_to_grant(who, path) {
            return Ok(());
        }
        // A hand-in's deadline passed: say so, before a drop folder's name turns hidden.
        if let Some(rule) = access.passed_deadline(who, right, path, SystemTime::now()) {
            return Err(deadline_passed(rule, right, path));
        }
        // Asking to see a name it may not know of is answered as for a name that does not
        // exist. A change there is refused for the missing right, the same answer whether the
        // name exists or not: clearer than "no file named" for an upload, and no probe.
        match path {
            Some(name) if !right.changes() && !access.shows(who, name) => Err(hidden(name)),
            _ => Err(forbidden(who, right, path)),
        }
    }

    /// A share link's answer: outside its path, nothing exists; inside, a right its kind does
    /// not give is `forbidden`; the rest is what its creator may do now.
    fn check_link(&self, link: &Link, right: Right, path: Option<&FileName>) -> Result<()> {
        if !link.reaches(path) {
            return Err(path.map_or_else(outside_link, hidden));
        }
        if !link.kind_allows(right, path) {
            let what = match link.upload {
                true => "an upload link only takes new files into its folder",
                false => "a share link only lets its holder read what it shares",
            };
            return Err(Error::new(
                ErrorKind::Forbidden,
                format!("{what}: {} is not allowed", right.word()),
            ));
        }
        self.check(&link.creator, right, path)
    }

    /// `Ok` when `who` may know whether `name` exists (`list` on its folder, or a right on
    /// or below it); else the `not_found` a name it may not see gets, whether or not it exists.
    pub fn check_known(&self, who: &Principal, name: &FileName) -> Result<()> {
        if let Principal::Link(link) = who {
            if !link.reaches(Some(name)) {
                return Err(hidden(name));
            }
            return self.check_known(&link.creator, name);
        }
        match self.access() {
            Some(access) if *who != Principal::Token && !access.shows(who, name) => Err(hidden(name)),
            _ => Ok(()),
        }
    }

    /// What `who` may see of the names in a listing: [`View::shows`] for each.
    pub fn view(&self, who: &Principal) -> View {
        if let Principal::Link(link) = who {
            // What a link lists is under its path already (it may list nothing else).
            return self.view(&link.creator);
        }
        View {
            access: match who {
                Principal::Token => None,
                _ => self.access(),
            },
            who: who.clone(),
        }
    }
}

/// What one principal may see of the names in listings, fixed when the listing starts.
pub struct View {
    access: Option<Arc<Access>>,
    who: Principal,
}

impl View {
    /// True when every name shows (no access file, or the token): no check per entry.
    pub fn shows_all(&self) -> bool {
        self.access.is_none()
    }

    /// True when `name` may appear in a listing: `list` on its folder, or a rule on or below
    /// it ([`Access::listed`]).
    pub fn shows(&self, name: &FileName) -> bool {
        match &self.access {
            None => true,
            Some(access) => access.listed(&self.who, name),
        }
    }
}

/// The refusal of a name the principal may not see: the words of a name that does not exist.
fn hidden(name: &FileName) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("no file named {}", quote(name.as_str())),
    )
}

/// The refusal of the top of the tree to a link to something below it.
fn outside_link() -> Error {
    Error::new(ErrorKind::NotFound, "no such file or folder")
}

/// The refusal on a read-only server.
fn read_only() -> Error {
    Error::new(
        ErrorKind::Denied,
        "this server is read-only: uploads, deletions, new folders and moves are refused",
    )
}

/// The refusal of `right` on `path` after the deadline of the rule that gave it.
fn deadline_passed(rule: &Rule, right: Right, path: Option<&FileName>) -> Error {
    let at = path.map_or_else(|| "the top folder".to_string(), |p| quote(p.as_str()));
    let (when, written) = rule
        .until
        .as_ref()
        .map_or((SystemTime::UNIX_EPOCH, ""), |(t, w)| (*t, w.as_str()));
    Error::new(
        ErrorKind::Forbidden,
        format!(
            "the deadline for {} on {at} passed at {written} ({}): {} is no longer allowed",
            right.word(),
            crate::human::rfc3339(when),
            right.word()
        ),
    )
}

/// The refusal of `right` on `path` to `who`, naming what is missing.
fn forbidden(who: &Principal, right: Right, path: Option<&FileName>) -> Error {
    let at = path.map_or_else(|| "the top folder".to_string(), |p| quote(p.as_str()));
    let word = right.word();
    let message = match who {
        Principal::Anonymous => format!(
            "anonymous users have no {word} right on {at}: log in (nf --user NAME, or curl -u NAME) if you have an account"
        ),
        _ => format!("{who} has no {word} right on {at}; the server's admin can grant it"),
    };
    Error::new(ErrorKind::Forbidden, message)
}

impl Right {
    /// The right's word in the access file.
    pub fn word(self) -> &'static str {
        match self {
            Right::List => "list",
            Right::Read => "read",
            Right::Write => "write",
            Right::Overwrite => "overwrite",
            Right::Delete => "delete",
        }
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
        let policy = Policy::new(true, None);
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
        let err = policy
            .check(&Principal::Anonymous, Right::Write, None)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Denied);
        assert!(err.message.contains("read-only"), "{}", err.message);
    }

    #[test]
    fn after_a_deadline_a_drop_folder_refuses_by_naming_it() {
        let text = "[[allow]]\nwho = [\"anonymous\"]\npath = \"/drop\"\nrights = [\"write\"]\n\
                    until = 2000-01-01T00:00:00+01:00\n\n\
                    [[allow]]\nwho = [\"anonymous\"]\npath = \"/open\"\nrights = [\"write\", \"list\"]\n\
                    until = 2999-01-01T00:00:00Z\n";
        let access = Access::parse(text, std::path::Path::new("a.toml")).unwrap();
        let policy = Policy::new(false, Some(access));
        let who = Principal::Anonymous;
        let late = FileName::parse("drop/essay.txt").unwrap();
        let err = policy.check(&who, Right::Write, Some(&late)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Forbidden);
        assert_eq!(
            err.message,
            "the deadline for write on \"drop/essay.txt\" passed at 2000-01-01T00:00:00+01:00 \
             (1999-12-31T23:00:00Z): write is no longer allowed"
        );
        // Reading was never given: still hidden, as before the deadline.
        let err = policy.check(&who, Right::Read, Some(&late)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
        let early = FileName::parse("open/essay.txt").unwrap();
        assert!(policy.allows(&who, Right::Write, Some(&early)));
    }

    #[test]
    fn principals_are_logged_by_one_word() {
        assert_eq!(Principal::Anonymous.to_string(), "anonymous");
        assert_eq!(Principal::Token.to_string(), "token");
    }
}
