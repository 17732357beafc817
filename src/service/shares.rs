//! Share links, kept by the server as records (`.nf/shares/ID`, see [`crate::store::records`]):
//! making one (a principal shares only what it may read, or, for an upload link, a folder it
//! may write), listing and removing its own, opening one for a request (the principal it acts
//! as: [`Principal::Link`]; removed, expired or used up is `gone`, a tombstone kept so it is
//! never taken for a missing page) and counting its uses. On a bucket every server of it sees
//! the same records; a use is counted by reading and rewriting the record, so two servers
//! counting at the same moment may count one use once (best effort, docs/SCALING.md).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, ErrorKind, Result};
use crate::human::rfc3339;
use crate::name::{quote, FileName};
use crate::protocol::ShareInfo;
use crate::store::records::{check_key, Kind};

use super::access::parse_deadline;
use super::policy::{Link, Principal, Right};
use super::Service;

/// What a new link is for and how long it lasts.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShareAsk {
    pub upload: bool,
    pub expires: Option<Duration>,
    pub max_uses: Option<u64>,
}

impl Service {
    /// Makes a share link to `path` (none: the top) for `who`: a read link needs `read` on a
    /// file, or `list` and `read` on a folder; an upload link needs `write` on a folder.
    pub fn share(&self, who: &Principal, path: Option<&FileName>, ask: ShareAsk) -> Result<ShareInfo> {
        if matches!(who, Principal::Link(_)) {
            return Err(Error::new(
                ErrorKind::Forbidden,
                "a share link cannot make share links",
            ));
        }
        let right = if ask.upload { Right::Write } else { Right::Read };
        self.allowed(who, right, path)?;
        let folder = match path {
            None => true,
            Some(name) => match self.store.stat(name)?.0 {
                Some(entry) => entry.is_dir(),
                None if ask.upload => false,
                None => {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!("no file named {}", quote(name.as_str())),
                    ))
                }
            },
        };
        if ask.upload && !folder {
            let what = path.map_or(String::new(), |p| quote(p.as_str()));
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("an upload link is for a folder, and {what} is not one (nf mkdir it first)"),
            ));
        }
        if folder && !ask.upload {
            self.allowed(who, Right::List, path)?;
        }
        let now = SystemTime::now();
        let info = ShareInfo {
            id: new_id()?,
            path: path.map_or(String::new(), |p| p.as_str().to_string()),
            kind: if ask.upload { "upload" } else { "read" }.to_string(),
            folder,
            creator: creator_word(who),
            created: rfc3339(now),
            expires: ask.expires.map(|d| rfc3339(now + d)),
            max_uses: ask.max_uses,
            uses: 0,
            removed: None,
            state: String::new(),
        };
        self.put_share(&info)?;
        self.log.line(&format!(
            "share {} made by {who}: {} link to {}",
            info.id,
            info.kind,
            shown_path(&info.path)
        ));
        Ok(with_state(info, now))
    }

    /// The links `who` made, newest first.
    pub fn shares(&self, who: &Principal) -> Result<Vec<ShareInfo>> {
        let mine = creator_word(who);
        let now = SystemTime::now();
        let mut found = Vec::new();
        for key in self.store.record_keys(Kind::Shares)? {
            match self.get_share(&key) {
                Ok(Some(mut info)) if info.creator == mine => {
                    info.uses += self.uses_pending(&info.id);
                    found.push(with_state(info, now));
                }
                _ => {}
            }
        }
        found.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
        Ok(found)
    }

    /// Removes the link `id` that `who` made; it answers 410 from then on.
    pub fn unshare(&self, who: &Principal, id: &str) -> Result<ShareInfo> {
        let mut info = match self.get_share(id)? {
            Some(info) if info.creator == creator_word(who) => info,
            _ => return Err(unknown(id)),
        };
        let now = SystemTime::now();
        if info.removed.is_none() {
            info.removed = Some(rfc3339(now));
            let mut pending = self.share_uses.lock().unwrap_or_else(|e| e.into_inner());
            info.uses += pending.remove(id).map_or(0, |(uses, _)| uses);
            self.put_share(&info)?;
            self.log.line(&format!("share {id} removed by {who}"));
        }
        Ok(with_state(info, now))
    }

    /// The link `id` and the principal a request through it acts as: `not_found` for an
    /// unknown one, `gone` for one removed, expired or used up.
    pub fn open_share(&self, id: &str) -> Result<(ShareInfo, Principal)> {
        let info = self.get_share(id)?.ok_or_else(|| unknown(id))?;
        let info = with_state(info, SystemTime::now());
        if let Some(why) = gone(&info) {
            return Err(Error::new(ErrorKind::Gone, why));
        }
        let root = match info.path.as_str() {
            "" => None,
            path => Some(FileName::parse(path)?),
        };
        let creator = parse_creator(&info.creator)?;
        let mut link = Link::new(&info.id, creator, root, (info.kind == "upload", info.folder));
        link.limited = info.max_uses.is_some();
        Ok((info, Principal::Link(Arc::new(link))))
    }

    /// Counts one use of the link `who` acts as (nothing for any other principal): a file
    /// read through a read link, a file committed through an upload link. Best effort: a
    /// failure is logged, never the request's.
    ///
    /// A link with `max_uses` has each use written to its record at once (durably: the limit
    /// holds across a restart). Other links' uses only inform their creator: they are counted
    /// in memory and written at most once per [`COUNT_EVERY`] per link, and when the server
    /// stops ([`Service::flush_share_uses`]), so a busy link costs a request no disk write
    /// (a crash loses at most that second's count).
    pub fn share_used(&self, who: &Principal) {
        let Principal::Link(link) = who else {
            return;
        };
        // One count at a time in this server (read, add, write back); across servers of a
        // bucket two counts at once may make one.
        let mut pending = self.share_uses.lock().unwrap_or_else(|e| e.into_inner());
        let (uses, since) = pending.entry(link.id.to_string()).or_insert((0, Instant::now()));
        *uses += 1;
        if !link.limited && since.elapsed() < COUNT_EVERY {
            return;
        }
        let counted = self
            .get_share(&link.id)
            .and_then(|found| found.map_or(Ok(()), |info| self.add_uses(info, &mut pending)));
        if let Err(err) = counted {
            self.log
                .line(&format!("share {}: use not counted: {}", link.id, err.message));
        }
    }

    /// Writes the uses counted in memory to their links' records (when the server stops).
    pub fn flush_share_uses(&self) {
        let mut pending = self.share_uses.lock().unwrap_or_else(|e| e.into_inner());
        let ids: Vec<String> = pending.keys().cloned().collect();
        for id in ids {
            let counted = self
                .get_share(&id)
                .and_then(|found| found.map_or(Ok(()), |info| self.add_uses(info, &mut pending)));
            if let Err(err) = counted {
                self.log
                    .line(&format!("share {id}: uses not counted: {}", err.message));
            }
        }
    }

    /// Adds the uses of `info`'s link counted in `pending` to its record, durably.
    fn add_uses(&self, mut info: ShareInfo, pending: &mut PendingUses) -> Result<()> {
        let Some((uses, _)) = pending.remove(&info.id) else {
            return Ok(());
        };
        info.uses += uses;
        self.put_share(&info)
    }

    /// The uses of the link `id` counted in memory, not yet in its record.
    fn uses_pending(&self, id: &str) -> u64 {
        let pending = self.share_uses.lock().unwrap_or_else(|e| e.into_inner());
        pending.get(id).map_or(0, |(uses, _)| *uses)
    }

    fn get_share(&self, id: &str) -> Result<Option<ShareInfo>> {
        if check_key(id).is_err() {
            return Ok(None);
        }
        let Some(bytes) = self.store.record_get(Kind::Shares, id)? else {
            return Ok(None);
        };
        let info = serde_json::from_slice(&bytes)
            .map_err(|e| Error::new(ErrorKind::Other, format!("share {id}: unreadable record: {e}")))?;
        Ok(Some(info))
    }

    fn put_share(&self, info: &ShareInfo) -> Result<()> {
        let kept = ShareInfo {
            state: String::new(),
            ..info.clone()
        };
        let bytes = serde_json::to_vec(&kept).expect("a share serializes");
        self.store.record_put(Kind::Shares, &info.id, &bytes)
    }
}

/// How often at most the uses of a link without `max_uses` are written to its record.
pub const COUNT_EVERY: Duration = Duration::from_secs(1);

/// Uses counted in memory and not yet written, by link: how many, and since when.
pub type PendingUses = HashMap<String, (u64, Instant)>;

/// A fresh identifier: 128 random bits in lower-case base32 without padding (26 characters
/// of `a-z2-7`: safe in a URL, as a file name, and as an argument, which never starts with `-`).
fn new_id() -> Result<String> {
    Ok(base32(&super::password::random(16)?))
}

/// RFC 4648 base32, lower case, without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// How a link's record names its creator.
fn creator_word(who: &Principal) -> String {
    match who {
        Principal::User(name) => format!("user:{name}"),
        other => other.as_str().to_string(),
    }
}

fn parse_creator(word: &str) -> Result<Principal> {
    match word {
        "token" => Ok(Principal::Token),
        "anonymous" => Ok(Principal::Anonymous),
        _ => match word.strip_prefix("user:") {
            Some(name) => Ok(Principal::User(name.into())),
            None => Err(Error::new(
                ErrorKind::Other,
                format!("a share's creator is unreadable: {word:?}"),
            )),
        },
    }
}

/// `info` with its state as of `now`.
fn with_state(mut info: ShareInfo, now: SystemTime) -> ShareInfo {
    let ended = |t: &Option<String>| t.as_deref().and_then(parse_deadline).is_some_and(|t| t <= now);
    info.state = if info.removed.is_some() {
        "removed"
    } else if ended(&info.expires) {
        "expired"
    } else if info.max_uses.is_some_and(|max| info.uses >= max) {
        "used up"
    } else {
        "active"
    }
    .to_string();
    info
}

/// Why a link no longer works, if it does not: which end, and since when.
fn gone(info: &ShareInfo) -> Option<String> {
    let since = |t: &Option<String>| t.clone().unwrap_or_default();
    match info.state.as_str() {
        "removed" => Some(format!("this link was removed at {}", since(&info.removed))),
        "expired" => Some(format!("this link expired at {}", since(&info.expires))),
        "used up" => Some(format!(
            "this link was used {} times, as many as it allowed",
            info.max_uses.unwrap_or_default()
        )),
        _ => None,
    }
}

fn unknown(id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no share link {}", quote(id)))
}

fn shown_path(path: &str) -> String {
    quote(&format!("/{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The test vectors of RFC 4648, section 10 (lower case, without padding).
    #[test]
    fn base32_is_rfc_4648() {
        let vectors = [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ];
        for (plain, coded) in vectors {
            assert_eq!(base32(plain.as_bytes()), coded, "{plain}");
        }
    }

    #[test]
    fn a_link_lives_removed_and_counts_its_uses() {
        let (svc, dir) = super::super::for_tests(Config::defaults());
        std::fs::create_dir(dir.path().join("pub")).unwrap();
        let who = Principal::Token;
        let pubdir = FileName::parse("pub").unwrap();
        let ask = ShareAsk {
            max_uses: Some(1),
            ..ShareAsk::default()
        };
        let made = svc.share(&who, Some(&pubdir), ask).unwrap();
        assert_eq!(
            (made.id.len(), made.folder, made.state.as_str()),
            (26, true, "active")
        );
        let (_, link) = svc.open_share(&made.id).unwrap();
        assert_eq!(link.as_str(), format!("token via link {}", made.id));
        svc.share_used(&link);
        let err = svc.open_share(&made.id).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Gone, "{}", err.message);
        assert_eq!(svc.shares(&who).unwrap()[0].state, "used up");
        assert!(svc.shares(&Principal::Anonymous).unwrap().is_empty());
        assert_eq!(
            svc.unshare(&Principal::Anonymous, &made.id).unwrap_err().kind,
            ErrorKind::NotFound
        );
        assert_eq!(svc.unshare(&who, &made.id).unwrap().state, "removed");
        assert_eq!(
            svc.open_share("aaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap_err().kind,
            ErrorKind::NotFound
        );
        assert_eq!(svc.open_share("../x").unwrap_err().kind, ErrorKind::NotFound);
    }

    /// What the record of `id` says of its uses (not what is pending in memory).
    fn recorded_uses(svc: &Service, id: &str) -> u64 {
        svc.get_share(id).unwrap().unwrap().uses
    }

    #[test]
    fn uses_of_an_unlimited_link_are_written_at_most_once_a_second_and_at_the_stop() {
        let (svc, dir) = super::super::for_tests(Config::defaults());
        std::fs::write(dir.path().join("a.txt"), b"A").unwrap();
        let who = Principal::Token;
        let file = FileName::parse("a.txt").unwrap();
        let made = svc.share(&who, Some(&file), ShareAsk::default()).unwrap();
        let (_, link) = svc.open_share(&made.id).unwrap();
        for _ in 0..3 {
            svc.share_used(&link);
        }
        // Within the second: in memory only, and shown to the creator.
        assert_eq!(recorded_uses(&svc, &made.id), 0);
        assert_eq!(svc.shares(&who).unwrap()[0].uses, 3);
        svc.flush_share_uses();
        assert_eq!(recorded_uses(&svc, &made.id), 3);
        assert_eq!(svc.shares(&who).unwrap()[0].uses, 3);
        // A use a second after the first pending one writes them all.
        svc.share_used(&link);
        std::thread::sleep(COUNT_EVERY);
        svc.share_used(&link);
        assert_eq!(recorded_uses(&svc, &made.id), 5);
        // Removing the link keeps what was pending.
        svc.share_used(&link);
        assert_eq!(svc.unshare(&who, &made.id).unwrap().uses, 6);
        assert_eq!(recorded_uses(&svc, &made.id), 6);
    }

    #[test]
    fn each_use_of_a_limited_link_is_written_at_once() {
        let (svc, dir) = super::super::for_tests(Config::defaults());
        std::fs::write(dir.path().join("a.txt"), b"A").unwrap();
        let who = Principal::Token;
        let file = FileName::parse("a.txt").unwrap();
        let ask = ShareAsk {
            max_uses: Some(5),
            ..ShareAsk::default()
        };
        let made = svc.share(&who, Some(&file), ask).unwrap();
        let (_, link) = svc.open_share(&made.id).unwrap();
        svc.share_used(&link);
        svc.share_used(&link);
        assert_eq!(recorded_uses(&svc, &made.id), 2);
    }
}
