//! Changing the access file as `nf user` does: the text of one `[users.NAME]` table is edited
//! in place, so that comments, rules and the order of everything else stay byte for byte; the
//! result is re-read with [`Access::parse`] and must say exactly what was meant before it is
//! written, atomically (a temporary file in the same directory, fsync, rename) with mode 0600.
//! No rights are decided here.

use std::fs;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

use super::access::{Access, User};

/// The text of an access file and what it says.
pub struct AccessText {
    pub text: String,
    pub access: Access,
}

impl AccessText {
    /// Reads and checks the file at `path`; a missing file is an empty one when `or_empty`.
    pub fn load(path: &Path, or_empty: bool) -> Result<AccessText> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && or_empty => String::new(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "there is no access file at {}: `nf user add NAME` creates it",
                        path.display()
                    ),
                ))
            }
            Err(e) => {
                return Err(Error::io(
                    format!("cannot read the access file {}", path.display()),
                    &e,
                ))
            }
        };
        let access = Access::parse(&text, path).map_err(|e| {
            Error::new(
                e.kind,
                format!(
                    "{}; fix the file by hand first: nf changes only a file it can read",
                    e.message
                ),
            )
        })?;
        Ok(AccessText { text, access })
    }

    /// The user `name`, or a `not_found` error naming the file.
    pub fn user(&self, name: &str) -> Result<&User> {
        self.access.users.get(name).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("no user named {name} in {}", self.access.file.display()),
            )
        })
    }

    /// Adds user `name` with the password hash `phc` and `groups`: a new table after the last
    /// user's (or at the end of the file).
    pub fn add(&mut self, name: &str, phc: &str, groups: &[String]) -> Result<()> {
        self.check_new(name)?;
        let lines = lines(&self.text);
        let after = tables(&lines)
            .filter(|t| t.user.is_some())
            .last()
            .map(|t| t.content_end);
        let table = format!(
            "[users.{}]\npassword = \"{phc}\"\ngroups = [{}]\n",
            key(name),
            groups
                .iter()
                .map(|g| format!("\"{g}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let at = after.map_or(self.text.len(), |i| offset_of(&lines, i));
        let mut text = String::with_capacity(self.text.len() + table.len() + 2);
        text.push_str(&self.text[..at]);
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&table);
        let rest = &self.text[at..];
        if !rest.is_empty() && !rest.starts_with('\n') {
            text.push('\n');
        }
        text.push_str(rest);
        self.replace(text, |access| {
            access
                .users
                .get(name)
                .is_some_and(|u| u.password == phc && u.groups == groups)
        })
    }

    /// `Ok` when there is no user `name` yet.
    pub fn check_new(&self, name: &str) -> Result<()> {
        if !self.access.users.contains_key(name) {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Exists,
            format!(
                "user {name} exists already in {}; change the password with `nf user passwd {name}`",
                self.access.file.display()
            ),
        ))
    }

    /// Sets the password hash of user `name` to `phc` (its `password = …` line is rewritten,
    /// anything after the value on that line kept).
    pub fn set_password(&mut self, name: &str, phc: &str) -> Result<()> {
        self.user(name)?;
        let lines = lines(&self.text);
        let table = self.table_of(&lines, name)?;
        let found = (table.header + 1..table.content_end).find_map(|i| {
            let line = lines[i];
            let value = value_of(line, "password")?;
            Some((i, value))
        });
        let Some((i, (from, to))) = found else {
            return Err(self.not_editable(name));
        };
        let start = offset_of(&lines, i);
        let mut text = self.text.clone();
        text.replace_range(start + from..start + to, &format!("\"{phc}\""));
        self.replace(text, |access| {
            access.users.get(name).is_some_and(|u| u.password == phc)
        })
    }

    /// Removes user `name`'s table (and the blank line before it).
    pub fn remove(&mut self, name: &str) -> Result<()> {
        self.user(name)?;
        let lines = lines(&self.text);
        let table = self.table_of(&lines, name)?;
        let mut start = table.header;
        if start > 0 && lines[start - 1].trim().is_empty() {
            start -= 1;
        }
        let (from, to) = (offset_of(&lines, start), offset_of(&lines, table.content_end));
        let mut text = self.text.clone();
        text.replace_range(from..to, "");
        self.replace(text, |access| !access.users.contains_key(name))
    }

    /// Writes the text to the file it came from (see [`write_atomically`]).
    pub fn save(&self) -> Result<()> {
        write_atomically(&self.access.file, &self.text)
    }

    /// The `[users.NAME]` table of `name`, or an error saying to edit by hand.
    fn table_of(&self, lines: &[&str], name: &str) -> Result<Table> {
        tables(lines)
            .find(|t| t.user.as_deref() == Some(name))
            .ok_or_else(|| self.not_editable(name))
    }

    fn not_editable(&self, name: &str) -> Error {
        Error::new(
            ErrorKind::Usage,
            format!(
                "cannot change user {name} in {}: its table is not written as [users.{}] with a \
                 `password = \"…\"` line; edit the file by hand",
                self.access.file.display(),
                key(name)
            ),
        )
    }

    /// Takes `text` as the new text when it parses, `meant` holds, and nothing else changed.
    fn replace(&mut self, text: String, meant: impl Fn(&Access) -> bool) -> Result<()> {
        let file = self.access.file.clone();
        let access = Access::parse(&text, &file).map_err(|e| {
            Error::new(
                ErrorKind::Other,
                format!(
                    "nf's change would make a file that does not parse ({}); nothing was written",
                    e.message
                ),
            )
        })?;
        let others_kept = access
            .rules
            .iter()
            .map(|r| (&r.who, &r.path, r.rights, &r.until))
            .eq(self
                .access
                .rules
                .iter()
                .map(|r| (&r.who, &r.path, r.rights, &r.until)));
        if !meant(&access) || !others_kept {
            return Err(Error::new(
                ErrorKind::Other,
                format!(
                    "nf could not change {} as meant; nothing was written: edit the file by hand",
                    file.display()
                ),
            ));
        }
        self.text = text;
        self.access = access;
        Ok(())
    }
}

/// Reads the file at `path` (a missing one is empty when `or_empty`), lets `change` edit it,
/// and writes the result, holding a lock on the file's directory throughout so that two
/// `nf user` at once cannot lose one's change.
pub fn change(path: &Path, or_empty: bool, change: impl FnOnce(&mut AccessText) -> Result<()>) -> Result<()> {
    let dir = dir_of(path);
    if or_empty {
        private_dir(dir)?;
    }
    let lock = fs::File::open(dir).ok();
    if let Some(lock) = &lock {
        crate::sys::lock_exclusive(lock)
            .map_err(|e| Error::io(format!("cannot lock {}", dir.display()), &e))?;
    }
    let mut text = AccessText::load(path, or_empty)?;
    change(&mut text)?;
    text.save()
}

/// The directory `path` is in.
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Creates `dir` (owner-only) and the directories above it, if missing.
fn private_dir(dir: &Path) -> Result<()> {
    crate::sys::dir_mode(fs::DirBuilder::new().recursive(true), 0o700)
        .create(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), &e))
}

/// Writes `text` to `path` with mode 0600: a temporary file in the same directory (created,
/// owner-only, if missing), fsync, rename over `path`, fsync of the directory. Refuses text
/// that is not a valid access file (the error names `file:line`).
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    Access::parse(text, path)?;
    private_dir(dir_of(path))?;
    crate::fsutil::replace_private(path, text.as_bytes())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), &e))
}

/// A user's name as a key of a table header (quoted when it holds a `.`).
fn key(name: &str) -> String {
    if name.contains('.') {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

/// The lines of `text`, each with its line end.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The byte offset of line `i` (the text's length past the last line).
fn offset_of(lines: &[&str], i: usize) -> usize {
    lines[..i].iter().map(|l| l.len()).sum()
}

/// One table of the file: its header line and the end of its content (the line after its
/// last line that is neither blank nor a comment: what follows belongs to the next table).
struct Table {
    header: usize,
    content_end: usize,
    /// The user, for a `[users.NAME]` table.
    user: Option<String>,
}

/// The tables of the file, in order.
fn tables<'a>(lines: &'a [&'a str]) -> impl Iterator<Item = Table> + 'a {
    let headers: Vec<usize> = (0..lines.len()).filter(|&i| is_header(lines[i])).collect();
    let ends: Vec<usize> = headers.iter().skip(1).copied().chain([lines.len()]).collect();
    headers.into_iter().zip(ends).map(move |(header, next)| {
        let content_end = (header + 1..next)
            .rev()
            .find(|&i| {
                let t = lines[i].trim();
                !t.is_empty() && !t.starts_with('#')
            })
            .map_or(header + 1, |i| i + 1);
        Table {
            header,
            content_end,
            user: user_of(lines[header]),
        }
    })
}

fn is_header(line: &str) -> bool {
    line.trim_start().starts_with('[')
}

/// The user a `[users.NAME]` header names (quotes and spaces aside).
fn user_of(line: &str) -> Option<String> {
    let inner = line.trim_start().strip_prefix('[')?;
    if inner.starts_with('[') {
        return None;
    }
    let inner = &inner[..inner.find(']')?];
    let tidy: String = inner
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
        .collect();
    let name = tidy.strip_prefix("users.")?;
    (!name.is_empty()).then(|| name.to_string())
}

/// Where the string value of `key = "…"` is on `line` (the quotes included), if the line sets
/// that key to a one-line string.
fn value_of(line: &str, key: &str) -> Option<(usize, usize)> {
    let rest = line.trim_start().strip_prefix(key)?;
    let rest = rest.trim_start().strip_prefix('=')?;
    let open = line.len() - rest.trim_start().len();
    let quote = line[open..].chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let close = line[open + 1..].find(quote)? + open + 1;
    Some((open, close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    const NEW: &str = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$bmV3aGFzaG5ld2hhc2huZXc";

    fn text(file: &str) -> AccessText {
        let access = Access::parse(file, Path::new("access.toml")).unwrap();
        AccessText {
            text: file.to_string(),
            access,
        }
    }

    fn class() -> String {
        format!(
            "# the class\n[users.alice]\npassword = \"{OLD}\"  # set by nf\ngroups = [\"students\"]\n\n\
             # the rules\n[[allow]]\nwho = [\"*\"]\npath = \"/pub\"\nrights = [\"list\"]\n"
        )
    }

    #[test]
    fn a_new_user_goes_after_the_last_user_and_the_rest_stays() {
        let mut t = text(&class());
        t.add("bob", NEW, &["students".into()]).unwrap();
        assert_eq!(
            t.text,
            format!(
                "# the class\n[users.alice]\npassword = \"{OLD}\"  # set by nf\ngroups = [\"students\"]\n\n\
                 [users.bob]\npassword = \"{NEW}\"\ngroups = [\"students\"]\n\n\
                 # the rules\n[[allow]]\nwho = [\"*\"]\npath = \"/pub\"\nrights = [\"list\"]\n"
            )
        );
        let mut empty = text("");
        empty.add("a.b", NEW, &[]).unwrap();
        assert_eq!(
            empty.text,
            format!("[users.\"a.b\"]\npassword = \"{NEW}\"\ngroups = []\n")
        );
        assert_eq!(t.add("bob", NEW, &[]).unwrap_err().kind, ErrorKind::Exists);
    }

    #[test]
    fn a_password_is_changed_on_its_line_and_a_user_removed_with_its_table() {
        let mut t = text(&class());
        t.set_password("alice", NEW).unwrap();
        assert_eq!(t.text, class().replace(OLD, NEW));
        t.remove("alice").unwrap();
        assert_eq!(
            t.text,
            "# the class\n\n# the rules\n[[allow]]\nwho = [\"*\"]\npath = \"/pub\"\nrights = [\"list\"]\n"
        );
        assert_eq!(t.remove("alice").unwrap_err().kind, ErrorKind::NotFound);
    }

    #[test]
    fn a_user_written_inline_is_left_to_the_hand() {
        let mut t = text(&format!("[users]\nalice = {{ password = \"{OLD}\" }}\n"));
        let err = t.set_password("alice", NEW).unwrap_err();
        assert!(err.message.contains("edit the file by hand"), "{}", err.message);
    }
}
