//! How large an upload may be: the server's `max_file_size`, and the access file's
//! `max_file_size` and `quota` on the rules that let the principal write there (rules add up:
//! the most generous applies). Every dialect asks here before a body ([`Service::begin_upload`])
//! and while a stream of unknown length arrives.

use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};

use super::access::{Access, Rule};
use super::{Principal, Right, Service};

/// The most bytes an upload may hold, and what sets that bound (for the refusal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    pub bytes: u64,
    /// Says which bound when a rule sets it ("the limit of … per file under …", "the quota of
    /// … under …"); `None`: the server's own `max_file_size`, said only when refusing, so an
    /// upload within it costs no message.
    pub what: Option<String>,
    /// `too_large` for a size limit, `no_space` for a quota.
    pub kind: ErrorKind,
}

impl Limit {
    /// Which bound this is, in words.
    fn what(&self) -> String {
        match &self.what {
            Some(what) => what.clone(),
            None => format!("this server's limit of {} bytes", self.bytes),
        }
    }

    /// The refusal of an upload of `size` bytes over this limit.
    pub fn refusal(&self, size: u64) -> Error {
        Error::new(
            self.kind,
            format!(
                "{} is over {}; nothing was stored",
                crate::human::size(size),
                self.what()
            ),
        )
    }

    /// The refusal of a body of unknown length (`noun`: "the stream", "the body") that went
    /// over this limit.
    pub fn stream_refusal(&self, noun: &str) -> Error {
        Error::new(
            self.kind,
            format!("{noun} is over {}; nothing was stored", self.what()),
        )
    }
}

/// The rules that let `who` write at `path` (`None`: the top) at `now`: `write` or
/// `overwrite`. Their `max_file_size` and `quota` are the limits there.
pub fn writing_rules<'a>(
    access: &'a Access,
    who: &'a Principal,
    path: Option<&'a FileName>,
    now: SystemTime,
) -> Vec<&'a Rule> {
    access
        .grants(who, path)
        .filter(|r| {
            let rights = r.rights_at(now);
            rights.has(Right::Write) || rights.has(Right::Overwrite)
        })
        .collect()
}

/// The per-file limit of `writers` and the rule that sets it: the most generous; none when
/// one of them has no limit (or none writes).
pub fn per_file<'a>(writers: &[&'a Rule]) -> Option<(u64, &'a Rule)> {
    if writers.is_empty() || writers.iter().any(|r| r.max_file_size.is_none()) {
        return None;
    }
    writers
        .iter()
        .max_by_key(|r| r.max_file_size)
        .map(|r| (r.max_file_size.unwrap_or(u64::MAX), *r))
}

/// True when a quota bounds what `writers` store: each has one (one without lifts it).
pub fn quotas_apply(writers: &[&Rule]) -> bool {
    !writers.is_empty() && writers.iter().all(|r| r.quota.is_some())
}

/// Where a rule's path is, as a message says it.
fn shown(path: Option<&FileName>) -> String {
    path.map_or_else(|| "the top folder".to_string(), |p| quote(p.as_str()))
}

impl Service {
    /// The most bytes an upload of `name` by `who` may hold.
    pub fn upload_limit(&self, who: &Principal, name: &FileName) -> Result<Limit> {
        if let Principal::Link(link) = who {
            // An upload link's files count as its creator's.
            return self.upload_limit(&link.creator, name);
        }
        let max = self.settings.max_file_size;
        let mut limit = Limit {
            bytes: max,
            what: None,
            kind: ErrorKind::TooLarge,
        };
        let Some(access) = self.policy.access() else {
            return Ok(limit);
        };
        if *who == Principal::Token {
            return Ok(limit);
        }
        let writers = writing_rules(&access, who, Some(name), SystemTime::now());
        if writers.is_empty() {
            // Refused for the right, elsewhere.
            return Ok(limit);
        }
        if let Some((bytes, rule)) = per_file(&writers) {
            if bytes < limit.bytes {
                limit = Limit {
                    bytes,
                    what: Some(format!(
                        "the limit of {} per file under {} ({}:{})",
                        crate::human::size(bytes),
                        shown(rule.path_for(who).flatten().as_ref()),
                        access.file.display(),
                        rule.line
                    )),
                    kind: ErrorKind::TooLarge,
                };
            }
        }
        // Stored bytes: the rule leaving the most room; one without a quota lifts it.
        if quotas_apply(&writers) {
            let replaced = match self.store.stat(name)? {
                (Some(entry), _) if !entry.is_dir() => entry.size,
                _ => 0,
            };
            let mut best: Option<Limit> = None;
            for rule in writers {
                let quota = rule.quota.unwrap_or(u64::MAX);
                let at = rule.path_for(who).flatten();
                let used = self.stored_under(at.as_ref())?.saturating_sub(replaced);
                let left = quota.saturating_sub(used);
                if best.as_ref().is_none_or(|b| left > b.bytes) {
                    let what = format!(
                        "the quota of {} under {} ({} used there, {} left)",
                        crate::human::size(quota),
                        shown(at.as_ref()),
                        crate::human::size(used),
                        crate::human::size(left)
                    );
                    best = Some(Limit {
                        bytes: left,
                        what: Some(what),
                        kind: ErrorKind::NoSpace,
                    });
                }
            }
            if let Some(quota) = best.filter(|q| q.bytes < limit.bytes) {
                limit = quota;
            }
        }
        Ok(limit)
    }

    /// The bytes of the files stored under `dir` (none: the whole tree; a missing folder
    /// holds none).
    fn stored_under(&self, dir: Option<&FileName>) -> Result<u64> {
        let mut total = 0u64;
        let walked = self.store.walk(dir, true, &mut |entry| {
            if !entry.is_dir() {
                total = total.saturating_add(entry.size);
            }
            Ok(())
        });
        match walked {
            Ok(_) => Ok(total),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::Attrs;

    fn class(svc: &Service) {
        let hash = crate::service::password::hash("pw").unwrap();
        let rules = format!(
            "[users.alice]\npassword = \"{hash}\"\n\n\
             [[allow]]\nwho = [\"alice\"]\npath = \"/hw/{{user}}\"\nrights = [\"write\", \"overwrite\"]\n\
             max_file_size = \"1 KiB\"\nquota = 2048\n"
        );
        svc.set_access(Some(
            super::super::access::Access::parse(&rules, "access.toml".as_ref()).unwrap(),
        ));
    }

    /// A rule's size limit and quota refuse with their figures before any body; the token and
    /// a server without rules keep the server's own limit.
    #[test]
    fn a_rules_size_limit_and_quota_refuse_with_their_figures() {
        let (svc, dir) = super::super::for_tests(Config::defaults());
        class(&svc);
        let alice = Principal::User("alice".into());
        let name = |n: &str| FileName::parse(n).unwrap();
        std::fs::create_dir_all(dir.path().join("hw/alice")).unwrap();

        let begin = |n: &str, size: u64, force: bool| {
            svc.begin_upload(&alice, &name(n), (0, Some(size)), force, Attrs::default())
                .map(|_| ())
        };
        let err = begin("hw/alice/big.bin", 1025, false).unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooLarge);
        assert_eq!(
            err.message,
            "1.0 KiB is over the limit of 1.0 KiB per file under \"hw/alice\" (access.toml:4); \
             nothing was stored"
        );
        std::fs::write(dir.path().join("hw/alice/a.bin"), vec![0u8; 1500]).unwrap();
        // 1500 of 2048 stored: 548 left.
        let err = begin("hw/alice/b.bin", 600, false).unwrap_err();
        assert_eq!(err.kind, ErrorKind::NoSpace);
        assert!(
            err.message
                .contains("the quota of 2.0 KiB under \"hw/alice\" (1.5 KiB used there, 548 B left)"),
            "{}",
            err.message
        );
        assert!(begin("hw/alice/b.bin", 548, false).is_ok());
        // Replacing a file counts what it replaces as free.
        assert!(begin("hw/alice/a.bin", 1024, true).is_ok());
        let limit = svc.upload_limit(&alice, &name("hw/alice/c.bin")).unwrap();
        assert_eq!(limit.bytes, 548);
        // The token is not bound by the rules.
        let token = svc
            .upload_limit(&Principal::Token, &name("hw/alice/c.bin"))
            .unwrap();
        assert_eq!(token.bytes, Config::defaults().max_file_size);
        assert!(std::fs::read_dir(dir.path().join("hw/alice")).unwrap().count() == 1);
    }
}
