//! The access file (`access_file`, `access.toml` in nf's config directory): the users (an
//! argon2id hash of each password, and the groups each belongs to) and the `[[allow]]` rules
//! that give rights on paths. Read and checked here, with errors naming `file:line`; the
//! [`Access`] it becomes answers, purely, which rights a principal has where
//! ([`Access::rights`]) and which folders lead to a grant ([`Access::leads_to_grant`]). The
//! [`super::policy`] asks it; nothing here does I/O beyond reading the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};

use super::policy::{Principal, Right};

/// A set of [`Right`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rights(u8);

impl Rights {
    pub const NONE: Rights = Rights(0);
    pub const ALL: Rights = Rights(0b1_1111);

    /// The words the access file and `nf access check` use, in order.
    pub const WORDS: [(&'static str, Right); 5] = [
        ("list", Right::List),
        ("read", Right::Read),
        ("write", Right::Write),
        ("overwrite", Right::Overwrite),
        ("delete", Right::Delete),
    ];

    fn bit(right: Right) -> u8 {
        match right {
            Right::List => 1,
            Right::Read => 2,
            Right::Write => 4,
            Right::Overwrite => 8,
            Right::Delete => 16,
        }
    }

    pub fn of(right: Right) -> Rights {
        Rights(Rights::bit(right))
    }

    pub fn has(self, right: Right) -> bool {
        self.0 & Rights::bit(right) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn with(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// This set without `write`, `overwrite` and `delete`.
    pub fn without_changes(self) -> Rights {
        Rights(self.0 & (Rights::bit(Right::List) | Rights::bit(Right::Read)))
    }

    /// The words of the rights in this set, in [`Rights::WORDS`] order.
    pub fn words(self) -> Vec<&'static str> {
        Rights::WORDS
            .iter()
            .filter(|(_, r)| self.has(*r))
            .map(|(w, _)| *w)
            .collect()
    }

    /// Parses one word of a rule's `rights` (`all` is every right).
    pub fn parse_word(word: &str) -> Option<Rights> {
        if word == "all" {
            return Some(Rights::ALL);
        }
        Rights::WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, r)| Rights::of(*r))
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = self.words();
        if words.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&words.join(", "))
        }
    }
}

/// Whom a rule names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// `*`: everyone, anonymous included.
    Everyone,
    /// `anonymous`: whoever did not log in (and the old dialects).
    Anonymous,
    /// `@group`: every user listed in that group.
    Group(String),
    /// A user's name.
    User(String),
}

impl Who {
    fn parse(word: &str) -> std::result::Result<Who, String> {
        match word {
            "*" => Ok(Who::Everyone),
            "anonymous" => Ok(Who::Anonymous),
            _ => match word.strip_prefix('@') {
                Some(group) => check_name(group, "group").map(|()| Who::Group(group.to_string())),
                None => check_name(word, "user").map(|()| Who::User(word.to_string())),
            },
        }
    }
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Who::Everyone => f.write_str("*"),
            Who::Anonymous => f.write_str("anonymous"),
            Who::Group(g) => write!(f, "@{g}"),
            Who::User(u) => f.write_str(u),
        }
    }
}

/// One user of the access file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The PHC string of the password's argon2id hash (`$argon2id$v=19$…`).
    pub password: String,
    pub groups: Vec<String>,
    /// Where the user's table starts in the file (1-based).
    pub line: usize,
}

/// One `[[allow]]` rule: `who` may use `rights` on `path` and everything below it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub who: Vec<Who>,
    /// The path as written, `{user}` unexpanded, without leading or trailing `/` (empty:
    /// the whole tree).
    pub path: String,
    pub rights: Rights,
    /// After this moment the rule's `write`, `overwrite` and `delete` no longer apply
    /// (`until`, a hand-in's deadline); with its text as written, for messages.
    pub until: Option<(SystemTime, String)>,
    /// The largest file its `write` takes (`max_file_size`).
    pub max_file_size: Option<u64>,
    /// The most bytes stored under its path, as it applies to the principal (`quota`: per
    /// user with `{user}`, the folder's total otherwise).
    pub quota: Option<u64>,
    /// Where the rule starts in the file (1-based).
    pub line: usize,
}

impl Rule {
    /// The rights the rule gives at `now`: without the changing ones once its deadline passed.
    pub fn rights_at(&self, now: SystemTime) -> Rights {
        match &self.until {
            Some((until, _)) if now > *until => self.rights.without_changes(),
            _ => self.rights,
        }
    }

    /// Whether the rule names `who` (whose groups, if a user, are in `users`).
    fn names(&self, who: &Principal, users: &BTreeMap<String, User>) -> bool {
        self.who.iter().any(|w| match (w, who) {
            (Who::Everyone, _) => true,
            (Who::Anonymous, Principal::Anonymous) => true,
            // A user removed from the file (on a connection opened before) is nobody's name.
            (Who::User(n), Principal::User(u)) => n.as_str() == &**u && users.contains_key(&**u),
            (Who::Group(g), Principal::User(u)) => users
                .get(&**u)
                .is_some_and(|user| user.groups.iter().any(|ug| ug == g)),
            _ => false,
        })
    }

    /// The rule's path for `who`, `{user}` expanded (`None` when the rule has `{user}` and
    /// `who` is not a user); `Some(None)` is the whole tree.
    pub fn path_for(&self, who: &Principal) -> Option<Option<FileName>> {
        if self.path.is_empty() {
            return Some(None);
        }
        let path = if self.path.contains(USER) {
            let Principal::User(name) = who else {
                return None;
            };
            self.path.replace(USER, name)
        } else {
            self.path.clone()
        };
        FileName::parse(&path).ok().map(Some)
    }
}

/// The placeholder for the logged-in user's name in a rule's path.
pub const USER: &str = "{user}";

/// The users and rules of one access file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// The file it was read from (for messages).
    pub file: PathBuf,
    pub users: BTreeMap<String, User>,
    pub rules: Vec<Rule>,
}

/// True when `dir` (`None`: the top) is `name` or a folder above it.
fn within(dir: Option<&FileName>, name: Option<&FileName>) -> bool {
    match (dir, name) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(d), Some(n)) => d.contains(n),
    }
}

impl Access {
    /// Reads and checks the access file at `file`.
    pub fn load(file: &Path) -> Result<Access> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::io(format!("cannot read the access file {}", file.display()), &e))?;
        Access::parse(&text, file)
    }

    /// Checks the text of an access file (`file` names it in errors, which say `file:line`).
    pub fn parse(text: &str, file: &Path) -> Result<Access> {
        let at = |span: std::ops::Range<usize>, why: String| {
            Error::new(
                ErrorKind::Usage,
                format!("{}:{}: {why}", file.display(), line_of(text, span.start)),
            )
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            Error::new(
                ErrorKind::Usage,
                format!("{}:{line}: {}", file.display(), e.message().trim_end()),
            )
        })?;
        let mut users = BTreeMap::new();
        for (name, user) in raw.users {
            let span = user.span();
            let user = user.into_inner();
            check_name(&name, "user").map_err(|why| at(span.clone(), why))?;
            let password = user.password.ok_or_else(|| {
                at(
                    span.clone(),
                    format!("user {name} has no password: set one with `nf user passwd {name}`"),
                )
            })?;
            if let Some(why) = super::password::unusable(&password) {
                return Err(at(
                    span,
                    format!(
                        "the password of user {name} is not a usable argon2id hash: {why} (a \
                         plaintext password never belongs here); set it with `nf user passwd \
                         {name}`"
                    ),
                ));
            }
            for group in &user.groups {
                check_name(group, "group").map_err(|why| at(span.clone(), why))?;
            }
            users.insert(
                name,
                User {
                    password,
                    groups: user.groups,
                    line: line_of(text, span.start),
                },
            );
        }
        let mut rules = Vec::new();
        for rule in raw.allow {
            let span = rule.span();
            let rule = rule.into_inner();
            let mut who = Vec::new();
            for word in &rule.who {
                who.push(Who::parse(word.get_ref()).map_err(|why| at(word.span(), why))?);
            }
            if who.is_empty() {
                return Err(at(span, "a rule's `who` names nobody".into()));
            }
            let mut rights = Rights::NONE;
            for word in &rule.rights {
                let one = Rights::parse_word(word.get_ref()).ok_or_else(|| {
                    at(
                        word.span(),
                        format!(
                            "unknown right {}: the rights are list, read, write, overwrite, \
                             delete and all",
                            quote(word.get_ref())
                        ),
                    )
                })?;
                rights = rights.with(one);
            }
            let path = tidy_path(rule.path.get_ref()).map_err(|why| at(rule.path.span(), why))?;
            let until = match rule.until {
                None => None,
                Some(raw) => {
                    let span = raw.span();
                    let text = time_text(raw.into_inner());
                    let when = parse_deadline(&text).ok_or_else(|| {
                        at(
                            span,
                            format!(
                                "`until` {} is not a date and time with a zone, such as \
                                 2026-12-20T23:59:00Z or 2026-12-20T23:59:00+01:00",
                                quote(&text)
                            ),
                        )
                    })?;
                    Some((when, text))
                }
            };
            let size = |raw: Option<Spanned<toml::Value>>, key: &str| -> Result<Option<u64>> {
                let Some(raw) = raw else { return Ok(None) };
                let span = raw.span();
                let bytes = match raw.into_inner() {
                    toml::Value::Integer(n) => u64::try_from(n).ok(),
                    toml::Value::String(t) => crate::human::parse_size(&t),
                    _ => None,
                };
                bytes.map(Some).ok_or_else(|| {
                    at(
                        span,
                        format!("`{key}` is not a size: write bytes, or text such as \"10 MiB\""),
                    )
                })
            };
            let max_file_size = size(rule.max_file_size, "max_file_size")?;
            let quota = size(rule.quota, "quota")?;
            rules.push(Rule {
                who,
                path,
                rights,
                until,
                max_file_size,
                quota,
                line: line_of(text, span.start),
            });
        }
        Ok(Access {
            file: file.to_path_buf(),
            users,
            rules,
        })
    }

    /// The rules that give `who` rights on `path` (`None`: the top), with the rights each gives.
    pub fn grants<'a>(
        &'a self,
        who: &'a Principal,
        path: Option<&'a FileName>,
    ) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules.iter().filter(move |rule| {
            rule.names(who, &self.users) && rule.path_for(who).is_some_and(|at| within(at.as_ref(), path))
        })
    }

    /// The rights `who` has on `path` (`None`: the top) now: what every rule naming `who` on
    /// `path` or a folder above it gives, added up.
    pub fn rights(&self, who: &Principal, path: Option<&FileName>) -> Rights {
        self.rights_at(who, path, SystemTime::now())
    }

    /// [`Access::rights`] at the moment `now` (a rule's deadline may have passed).
    pub fn rights_at(&self, who: &Principal, path: Option<&FileName>, now: SystemTime) -> Rights {
        self.grants(who, path)
            .fold(Rights::NONE, |acc, rule| acc.with(rule.rights_at(now)))
    }

    /// The rule whose deadline, passed at `now`, took `right` on `path` from `who`: why a
    /// hand-in is refused. `None` when no passed deadline explains it.
    pub fn passed_deadline<'a>(
        &'a self,
        who: &'a Principal,
        right: Right,
        path: Option<&'a FileName>,
        now: SystemTime,
    ) -> Option<&'a Rule> {
        self.grants(who, path)
            .find(|rule| rule.rights.has(right) && !rule.rights_at(now).has(right))
    }

    /// True when `path` (`None`: the top) is a folder above a path where a rule gives `who`
    /// some right: such a folder may be listed, showing only the names that lead there.
    pub fn leads_to_grant(&self, who: &Principal, path: Option<&FileName>) -> bool {
        self.rules.iter().any(|rule| {
            !rule.rights.is_empty()
                && rule.names(who, &self.users)
                && match rule.path_for(who) {
                    Some(Some(at)) => within(path, Some(&at)) && path != Some(&at),
                    _ => false,
                }
        })
    }

    /// True when `who` may know that `name` exists: `list` on its folder, a right on the name
    /// itself, or a grant below it.
    pub fn shows(&self, who: &Principal, name: &FileName) -> bool {
        self.rights(who, name.parent().as_ref()).has(Right::List)
            || !self.rights(who, Some(name)).is_empty()
            || self.leads_to_grant(who, Some(name))
    }

    /// True when `name` appears in `who`'s listings: `list` on its folder, a rule giving `who`
    /// a right on `name` itself now, or a grant below it (the way there). Stricter than
    /// [`Access::shows`], which it implies: a right inherited from a folder above (a drop
    /// folder's `write`) lets `who` name what is there, not list it.
    pub fn listed(&self, who: &Principal, name: &FileName) -> bool {
        let now = SystemTime::now();
        self.rights(who, name.parent().as_ref()).has(Right::List)
            || self.leads_to_grant(who, Some(name))
            || self.rules.iter().any(|rule| {
                !rule.rights_at(now).is_empty()
                    && rule.names(who, &self.users)
                    && matches!(rule.path_for(who), Some(Some(at)) if at == *name)
            })
    }
}

/// The access file when none is configured: `~/.config/nf/access.toml` on Linux.
pub fn default_file() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "nf").map(|d| d.config_dir().join("access.toml"))
}

/// The access file the settings name, read and checked: `None` when the default one does not
/// exist (an explicitly configured one must).
pub fn configured(settings: &crate::config::Config) -> Result<Option<Access>> {
    let file = &settings.access_file;
    let explicit = settings.origins.get("access_file") != Some(&crate::config::Origin::Default);
    if !explicit && !file.exists() {
        return Ok(None);
    }
    Access::load(file).map(Some)
}

/// The file's shape, as serde reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    users: BTreeMap<String, Spanned<RawUser>>,
    #[serde(default)]
    allow: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    password: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    who: Vec<Spanned<String>>,
    path: Spanned<String>,
    rights: Vec<Spanned<String>>,
    until: Option<Spanned<toml::Value>>,
    max_file_size: Option<Spanned<toml::Value>>,
    quota: Option<Spanned<toml::Value>>,
}

/// A moment as TOML writes it (`until = 2026-12-20T23:59:00Z`), or as a string; other
/// values as TOML would write them (for the message).
fn time_text(value: toml::Value) -> String {
    match value {
        toml::Value::String(t) => t,
        other => other.to_string(),
    }
}

/// An RFC 3339 moment with its zone (`Z` or `±HH:MM`); `None` for anything else, a local
/// time without a zone included (whose zone: the server's or the student's?).
pub fn parse_deadline(text: &str) -> Option<SystemTime> {
    let text = text.trim().replacen(' ', "T", 1);
    if let Some(t) = crate::human::parse_rfc3339(&text) {
        return Some(t);
    }
    let split = text.len().checked_sub(6)?;
    let (base, zone) = text.split_at(split);
    let sign = match zone.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = zone[1..].split_once(':')?;
    let (h, m): (u64, u64) = (h.parse().ok()?, m.parse().ok()?);
    if h > 23 || m > 59 || zone[1..].len() != 5 {
        return None;
    }
    let local = crate::human::parse_rfc3339(&format!("{base}Z"))?;
    let offset = std::time::Duration::from_secs(h * 3600 + m * 60);
    // 12:00+01:00 is 11:00Z.
    if sign > 0 {
        local.checked_sub(offset)
    } else {
        local.checked_add(offset)
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Checks a user or group name: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.` or
/// `-`, and not a word the rules reserve. A user's name is a valid path component, so
/// `{user}` expands to one.
pub fn check_name(name: &str, what: &str) -> std::result::Result<(), String> {
    let fine = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !fine {
        return Err(format!(
            "invalid {what} name {}: use 1 to 64 letters, digits, `.`, `_` or `-`, not starting \
             with `.` or `-`",
            quote(name)
        ));
    }
    if matches!(name, "anonymous" | "token") {
        return Err(format!("{} is a reserved word, not a {what} name", quote(name)));
    }
    Ok(())
}

/// A rule's path without its leading and trailing `/` (`/` is the whole tree: empty), checked
/// as a name with `{user}` standing for a valid one.
fn tidy_path(raw: &str) -> std::result::Result<String, String> {
    let path = raw.trim_matches('/');
    if path.is_empty() {
        return Ok(String::new());
    }
    FileName::parse(&path.replace(USER, "user"))
        .map_err(|e| format!("{} (in the rule's path)", e.message))?;
    Ok(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

    fn class() -> Access {
        let text = format!(
            r#"
# a class
[users.alice]
password = "{HASH}"
groups = ["students"]

[users.bob]
password = "{HASH}"
groups = ["students"]

[users.teacher]
password = "{HASH}"

[[allow]]
who = ["*"]
path = "/pub"
rights = ["list", "read"]

[[allow]]
who = ["@students"]
path = "/submissions/{{user}}"
rights = ["list", "read", "write", "overwrite"]

[[allow]]
who = ["teacher"]
path = "/"
rights = ["all"]
"#
        );
        Access::parse(&text, Path::new("access.toml")).unwrap()
    }

    fn user(name: &str) -> Principal {
        Principal::User(name.into())
    }

    fn name(raw: &str) -> FileName {
        FileName::parse(raw).unwrap()
    }

    #[test]
    fn rules_add_up_per_principal_and_path() {
        let access = class();
        let alice = user("alice");
        let sub = name("submissions/alice/essay.txt");
        // (who, path, rights)
        let table: [(&Principal, Option<FileName>, &str); 9] = [
            (&alice, Some(sub.clone()), "list, read, write, overwrite"),
            (&alice, Some(name("submissions/bob/essay.txt")), "none"),
            (&alice, Some(name("pub/notes.pdf")), "list, read"),
            (&alice, None, "none"),
            (&Principal::Anonymous, Some(name("pub")), "list, read"),
            (&Principal::Anonymous, Some(sub.clone()), "none"),
            (
                &user("teacher"),
                Some(sub.clone()),
                "list, read, write, overwrite, delete",
            ),
            (&user("teacher"), None, "list, read, write, overwrite, delete"),
            (&user("mallory"), Some(name("pub/x")), "list, read"),
        ];
        for (who, path, want) in table {
            assert_eq!(
                access.rights(who, path.as_ref()).to_string(),
                want,
                "{who} {path:?}"
            );
        }
    }

    #[test]
    fn folders_above_a_grant_lead_to_it_and_only_granted_names_show() {
        let access = class();
        let alice = user("alice");
        assert!(access.leads_to_grant(&alice, None));
        assert!(access.leads_to_grant(&alice, Some(&name("submissions"))));
        assert!(!access.leads_to_grant(&alice, Some(&name("submissions/alice"))));
        assert!(!access.leads_to_grant(&alice, Some(&name("submissions/bob"))));
        // A user removed from the file (still connected) gets only what `*` gives, even where
        // a rule still names them.
        let mut removed = access.clone();
        removed.users.remove("teacher");
        let gone = user("teacher");
        assert_eq!(removed.rights(&gone, None), Rights::NONE);
        assert_eq!(
            removed.rights(&gone, Some(&name("pub/x"))).to_string(),
            "list, read"
        );
        assert!(access.shows(&alice, &name("submissions")));
        assert!(access.shows(&alice, &name("submissions/alice")));
        assert!(access.shows(&alice, &name("submissions/alice/a.txt")));
        assert!(!access.shows(&alice, &name("submissions/bob")));
        assert!(!access.shows(&alice, &name("submissions/bob/a.txt")));
        assert!(!access.shows(&alice, &name("secret.txt")));
        assert!(access.shows(&alice, &name("pub")));
        assert!(!access.shows(&Principal::Anonymous, &name("submissions")));
        assert!(access.shows(&Principal::Anonymous, &name("pub/x")));
    }

    #[test]
    fn listings_show_the_way_to_a_grant_and_listable_folders_but_not_what_a_drop_holds() {
        let text = format!(
            "{}\n[[allow]]\nwho = [\"*\"]\npath = \"/drop\"\nrights = [\"write\"]\n",
            "[[allow]]\nwho = [\"@students\"]\npath = \"/submissions/{user}\"\nrights = [\"list\", \"read\"]\n\n[users.alice]\npassword = \"HASH\"\ngroups = [\"students\"]\n"
                .replace("HASH", HASH)
        );
        let access = Access::parse(&text, Path::new("access.toml")).unwrap();
        let alice = user("alice");
        // (name, listed, shown: may be named in a request without not_found)
        let table = [
            ("submissions", true, true),
            ("submissions/alice", true, true),
            ("submissions/alice/essay.txt", true, true),
            ("submissions/bob", false, false),
            ("drop", true, true),
            ("drop/old.txt", false, true),
            ("secret.txt", false, false),
        ];
        for (path, listed, shown) in table {
            assert_eq!(access.listed(&alice, &name(path)), listed, "{path} listed");
            assert_eq!(access.shows(&alice, &name(path)), shown, "{path} shown");
        }
        assert!(!access.listed(&Principal::Anonymous, &name("submissions")));
        assert!(access.listed(&Principal::Anonymous, &name("drop")));
        // A drop folder whose deadline passed gives nothing: neither listed nor shown.
        let past = "[[allow]]\nwho = [\"*\"]\npath = \"/drop\"\nrights = [\"write\"]\nuntil = 2000-01-01T00:00:00Z\n";
        let access = Access::parse(past, Path::new("access.toml")).unwrap();
        assert!(!access.listed(&Principal::Anonymous, &name("drop")));
        assert!(!access.shows(&Principal::Anonymous, &name("drop")));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases = [
            (
                "[[allow]]\nwho = [\"*\"]\npath = \"/\"\nrights = [\"fly\"]\n",
                ":4: unknown right",
            ),
            (
                "[users.alice]\npassword = \"hunter2\"\n",
                ":1: the password of user alice",
            ),
            ("\n[users.alice]\ngroups = []\n", ":2: user alice has no password"),
            (
                "[[allow]]\nwho = [\"a b\"]\npath = \"/\"\nrights = []\n",
                ":2: invalid user name",
            ),
            (
                "[[allow]]\nwho = [\"*\"]\npath = \"/a/../b\"\nrights = []\n",
                ":3: invalid name",
            ),
            (
                "[[allow]]\nwho = [\"*\"]\npath = \"/\"\nrights = []\nuntil = \"soon\"\n",
                ":5: `until` \"soon\" is not",
            ),
            (
                "[[allow]]\nwho = [\"*\"]\npath = \"/\"\nrights = []\nuntil = 2026-12-20T23:59:00\n",
                ":5: `until`",
            ),
            (
                "[[allow]]\nwho = [\"*\"]\npath = \"/\"\nrights = []\nuntil = 3\n",
                ":5: `until` \"3\" is not",
            ),
            (
                "[[allow]]\nwho = [\"*\"]\npath = \"/\"\nrights = []\nwhen = 3\n",
                ":5: unknown field",
            ),
            ("[users]\nalice = 3\n", ":2:"),
            ("x = \n", ":1:"),
        ];
        for (text, want) in cases {
            let err = Access::parse(text, Path::new("/etc/nf/access.toml")).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Usage);
            assert!(
                err.message.starts_with("/etc/nf/access.toml:") && err.message.contains(want),
                "{text:?}: {}",
                err.message
            );
        }
    }

    #[test]
    fn a_passed_deadline_keeps_list_and_read_and_takes_the_rest() {
        let text = "[users.alice]\npassword = \"HASH\"\ngroups = [\"students\"]\n\n\
                    [[allow]]\nwho = [\"@students\"]\npath = \"/hw1/{user}\"\n\
                    rights = [\"all\"]\nuntil = 2026-12-20T23:59:00+01:00\n"
            .replace("HASH", HASH);
        let access = Access::parse(&text, Path::new("a.toml")).unwrap();
        let rule = &access.rules[0];
        assert_eq!(rule.until.as_ref().unwrap().1, "2026-12-20T23:59:00+01:00");
        let deadline = crate::human::parse_rfc3339("2026-12-20T22:59:00Z").unwrap();
        assert_eq!(rule.until.as_ref().unwrap().0, deadline);
        let alice = user("alice");
        let path = name("hw1/alice/a.txt");
        let before = deadline - std::time::Duration::from_secs(1);
        let after = deadline + std::time::Duration::from_secs(1);
        assert_eq!(access.rights_at(&alice, Some(&path), before), Rights::ALL);
        assert_eq!(
            access.rights_at(&alice, Some(&path), after).to_string(),
            "list, read"
        );
        assert!(access
            .passed_deadline(&alice, Right::Write, Some(&path), before)
            .is_none());
        assert_eq!(
            access
                .passed_deadline(&alice, Right::Write, Some(&path), after)
                .map(|r| r.line),
            Some(5)
        );
        assert!(access
            .passed_deadline(&alice, Right::Read, Some(&path), after)
            .is_none());
    }

    #[test]
    fn deadlines_need_a_zone() {
        let z = parse_deadline("2026-12-20T23:59:00Z").unwrap();
        assert_eq!(parse_deadline("2026-12-20 23:59:00Z"), Some(z));
        assert_eq!(
            parse_deadline("2026-12-21T01:29:00+01:30"),
            Some(z + std::time::Duration::from_secs(0))
        );
        assert_eq!(parse_deadline("2026-12-20T18:59:00-05:00"), Some(z));
        for bad in [
            "2026-12-20T23:59:00",
            "2026-12-20",
            "soon",
            "2026-12-20T23:59:00+1:00",
            "",
        ] {
            assert_eq!(parse_deadline(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_checked() {
        for good in ["alice", "a.b-c_d", "X9"] {
            assert!(check_name(good, "user").is_ok(), "{good}");
        }
        for bad in [
            "",
            ".x",
            "-x",
            "a/b",
            "a b",
            "anonymous",
            "token",
            &"a".repeat(65),
        ] {
            assert!(check_name(bad, "user").is_err(), "{bad}");
        }
    }
}
