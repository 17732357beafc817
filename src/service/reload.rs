//! The access file in a running server: what start-up says of it, and reloading it on SIGHUP
//! or when it changes (a small thread looks at its modification time, size and inode every
//! second, and reads it once it has stayed the same for one look: a file being written is read
//! whole). A good file is put in force at once ([`super::Service::set_access`]); a bad one,
//! or a file that is gone, is logged and the rules read before stay. Connections are never
//! touched: each operation asks the policy as it is when it runs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::access::{Access, Rule, Who};
use super::{Logger, Service};

/// How often the watcher looks at the file.
pub const POLL: Duration = Duration::from_secs(1);

/// Re-reads the access file of a running server.
pub struct Reloader {
    file: PathBuf,
    svc: Arc<Service>,
    log: Logger,
    /// What the file looked like when last read, and at the last look.
    seen: Mutex<Seen>,
}

/// What the file looked like (`None`: there was none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    read: Option<Stamp>,
    looked: Option<Stamp>,
}

/// What tells a changed file from the same one without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    id: (u64, u64),
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(file: &Path) -> Option<Stamp> {
        let (id, len, mtime, ctime) = crate::sys::change_stamp(&std::fs::metadata(file).ok()?);
        Some(Stamp {
            id,
            len,
            mtime,
            ctime,
        })
    }
}

impl Reloader {
    /// A reloader of `file`, as it is now (read at start-up by the caller).
    pub fn new(file: &Path, svc: Arc<Service>, log: Logger) -> Arc<Reloader> {
        Arc::new(Reloader {
            file: file.to_path_buf(),
            svc,
            log,
            seen: Mutex::new(Seen {
                read: Stamp::of(file),
                looked: Stamp::of(file),
            }),
        })
    }

    /// Re-reads the file now (SIGHUP).
    pub fn reload(&self) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let now = Stamp::of(&self.file);
        *seen = Seen {
            read: now,
            looked: now,
        };
        self.read(now.is_some());
    }

    /// Starts the thread that re-reads the file when it changes.
    pub fn watch(self: &Arc<Self>) {
        let me = Arc::clone(self);
        let _ = std::thread::Builder::new()
            .name("access-watch".into())
            .spawn(move || loop {
                std::thread::sleep(POLL);
                me.poll();
            });
    }

    /// Re-reads the file if it changed since it was last read and has stayed the same since
    /// the last look (so that a file being written in place is read once it is whole).
    fn poll(&self) {
        let now = Stamp::of(&self.file);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let settled = now == seen.looked;
        seen.looked = now;
        if !settled || now == seen.read {
            return;
        }
        seen.read = now;
        self.read(now.is_some());
    }

    fn read(&self, exists: bool) {
        if !exists {
            self.log.line(&format!(
                "access file {} is gone; the rules read before stay in force until it is back",
                self.file.display()
            ));
            return;
        }
        match Access::load(&self.file) {
            Ok(access) => {
                if let Some(warning) = exposed(&self.file) {
                    self.log.line(&format!("WARNING: {warning}"));
                }
                let line = format!(
                    "access file {} reloaded: {}",
                    self.file.display(),
                    summary(&access)
                );
                // In force before it is said to be.
                self.svc.set_access(Some(access));
                self.log.line(&line);
            }
            Err(e) => self.log.line(&format!(
                "access file not reloaded, the rules read before stay in force: {}",
                e.message
            )),
        }
    }
}

/// "N users, M rules".
pub fn summary(access: &Access) -> String {
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        count(access.users.len(), "user"),
        count(access.rules.len(), "rule")
    )
}

/// The warning for an access file that its group or others can read (it holds password
/// hashes, which can be guessed at offline).
pub fn exposed(file: &Path) -> Option<String> {
    let mode = crate::sys::shared_mode(file)?;
    (mode & 0o044 != 0).then(|| {
        format!(
            "access file {} can be read by others (mode {mode:o}): its password hashes can be \
             guessed at offline; run: chmod 600 {}",
            file.display(),
            file.display()
        )
    })
}

/// The rules that let anyone who can reach the server change files (`write`, `overwrite` or
/// `delete` for `*` or `anonymous`), as "/PATH (rights)" for the start-up warning.
pub fn anonymous_changes(access: &Access) -> Vec<String> {
    access
        .rules
        .iter()
        .filter(|r| r.who.iter().any(|w| matches!(w, Who::Everyone | Who::Anonymous)))
        .filter(|r| !r.path.contains(super::access::USER))
        .filter_map(|r| {
            let changes: Vec<&str> = r
                .rights
                .words()
                .into_iter()
                .filter(|w| matches!(*w, "write" | "overwrite" | "delete"))
                .collect();
            (!changes.is_empty()).then(|| format!("{} ({})", shown_path(r), changes.join(", ")))
        })
        .collect()
}

/// A rule's path as the file writes it, with its leading `/`.
pub fn shown_path(rule: &Rule) -> String {
    format!("/{}", rule.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rules_that_let_anyone_change_files_are_warned_about() {
        let text = "[[allow]]\nwho = [\"*\"]\npath = \"/pub\"\nrights = [\"list\", \"read\"]\n\
                    [[allow]]\nwho = [\"anonymous\"]\npath = \"/inbox\"\nrights = [\"write\", \"read\"]\n\
                    [[allow]]\nwho = [\"*\"]\npath = \"/home/{user}\"\nrights = [\"all\"]\n\
                    [[allow]]\nwho = [\"bob\"]\npath = \"/\"\nrights = [\"all\"]\n";
        let access = Access::parse(text, Path::new("a.toml")).unwrap();
        assert_eq!(anonymous_changes(&access), ["/inbox (write)"]);
        assert_eq!(summary(&access), "0 users, 4 rules");
    }
}
