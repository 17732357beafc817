//! WebDAV's state beside the files, kept in this server's memory: write locks (exclusive and
//! shared, on a name or a whole tree, with timeouts) and dead properties (what clients store
//! with PROPPATCH). Neither reaches the store: with several servers on one bucket, locks
//! are per server, and dead properties are lost when the server stops (docs/PROTOCOL.md).
//! Names are the store's (`""`: the top). Bounded: at most [`MAX_LOCKS`] locks and
//! [`MAX_PROP_BYTES`] of properties.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Principal;

/// The most locks held at once.
pub const MAX_LOCKS: usize = 10_000;
/// The most bytes of dead properties (names and values) kept.
pub const MAX_PROP_BYTES: usize = 4 << 20;
/// The longest a lock lasts before it is refreshed (a longer or infinite `Timeout` asked for
/// gets this).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// One write lock.
#[derive(Debug, Clone)]
pub struct Lock {
    /// `opaquelocktoken:…`
    pub token: String,
    /// The name locked (`""`: the top).
    pub root: String,
    /// `Depth: infinity`: everything below too.
    pub deep: bool,
    pub shared: bool,
    /// The client's `owner` element, as XML.
    pub owner: String,
    pub who: Principal,
    pub timeout: Duration,
    expires: Instant,
}

impl Lock {
    /// True when this lock covers `name`: it is its root, or below a deep lock's.
    pub fn covers(&self, name: &str) -> bool {
        self.root == name || (self.deep && is_below(name, &self.root))
    }

    /// Seconds left before it expires.
    pub fn left(&self) -> u64 {
        self.expires.saturating_duration_since(Instant::now()).as_secs()
    }
}

/// True when `name` is strictly below `dir` (`""`: the top).
pub fn is_below(name: &str, dir: &str) -> bool {
    if dir.is_empty() {
        return !name.is_empty();
    }
    name.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// `name` with `from` (or the part of it below `from`) moved to `to`.
fn moved(name: &str, from: &str, to: &str) -> Option<String> {
    if name == from {
        return Some(to.to_string());
    }
    is_below(name, from).then(|| format!("{to}{}", &name[from.len()..]))
}

/// A property's namespace URI and local name.
pub type PropName = (String, String);

#[derive(Default)]
struct Inner {
    locks: Vec<Lock>,
    /// Each name's dead properties: their values as XML.
    props: BTreeMap<String, BTreeMap<PropName, String>>,
    prop_bytes: usize,
}

impl Inner {
    fn expire(&mut self) {
        let now = Instant::now();
        self.locks.retain(|l| l.expires > now);
    }
}

/// Why a lock was not granted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Another lock conflicts (423).
    Locked,
    /// [`MAX_LOCKS`] are held (503).
    Full,
}

/// WebDAV's locks and dead properties of one server.
#[derive(Default)]
pub struct DavState {
    inner: Mutex<Inner>,
}

fn prop_size(name: &PropName, value: &str) -> usize {
    name.0.len() + name.1.len() + value.len()
}

impl DavState {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Grants a new lock on `root` unless one it overlaps conflicts (an exclusive one, or
    /// any when this one is exclusive).
    pub fn lock(
        &self,
        root: &str,
        deep: bool,
        shared: bool,
        owner: String,
        who: &Principal,
        timeout: Duration,
    ) -> Result<Lock, Refused> {
        let mut inner = self.inner();
        inner.expire();
        let overlaps = |l: &Lock| l.covers(root) || (l.root == root) || (deep && is_below(&l.root, root));
        if inner.locks.iter().any(|l| overlaps(l) && (!l.shared || !shared)) {
            return Err(Refused::Locked);
        }
        if inner.locks.len() >= MAX_LOCKS {
            return Err(Refused::Full);
        }
        let timeout = timeout.min(MAX_TIMEOUT);
        let lock = Lock {
            token: new_token(),
            root: root.to_string(),
            deep,
            shared,
            owner,
            who: who.clone(),
            timeout,
            expires: Instant::now() + timeout,
        };
        inner.locks.push(lock.clone());
        Ok(lock)
    }

    /// Refreshes the lock `token` of `who` that covers `name`; `None` if there is none.
    pub fn refresh(&self, token: &str, name: &str, who: &Principal, timeout: Duration) -> Option<Lock> {
        let mut inner = self.inner();
        inner.expire();
        let lock = inner
            .locks
            .iter_mut()
            .find(|l| l.token == token && l.covers(name) && l.who == *who)?;
        lock.timeout = timeout.min(MAX_TIMEOUT);
        lock.expires = Instant::now() + lock.timeout;
        Some(lock.clone())
    }

    /// Removes the lock `token` that covers `name`; false if there is none.
    pub fn unlock(&self, token: &str, name: &str, who: &Principal) -> bool {
        let mut inner = self.inner();
        inner.expire();
        let before = inner.locks.len();
        inner
            .locks
            .retain(|l| !(l.token == token && l.covers(name) && l.who == *who));
        inner.locks.len() < before
    }

    /// The locks that cover `name`.
    pub fn covering(&self, name: &str) -> Vec<Lock> {
        let mut inner = self.inner();
        inner.expire();
        inner.locks.iter().filter(|l| l.covers(name)).cloned().collect()
    }

    /// The lock `token` if it is held and covers `name`.
    pub fn holds(&self, token: &str, name: &str) -> bool {
        self.covering(name).iter().any(|l| l.token == token)
    }

    /// `Ok` when a change of `name` may go ahead: no lock covers it or its folder (whose
    /// members it changes), nor, for a change of a whole tree (`tree`), anything below it;
    /// or one of those is among `tokens`, taken by `who`.
    pub fn may_change(&self, name: &str, tree: bool, tokens: &[&str], who: &Principal) -> bool {
        let parent = name.rsplit_once('/').map_or("", |(p, _)| p);
        let mut inner = self.inner();
        inner.expire();
        let mut in_way = inner
            .locks
            .iter()
            .filter(|l| {
                l.covers(name) || (!name.is_empty() && l.root == parent) || (tree && is_below(&l.root, name))
            })
            .peekable();
        if in_way.peek().is_none() {
            return true;
        }
        in_way.any(|l| l.who == *who && tokens.contains(&l.token.as_str()))
    }

    /// Drops the locks and properties of `name` and below (it was deleted, or moved away).
    pub fn forget(&self, name: &str) {
        let mut inner = self.inner();
        inner
            .locks
            .retain(|l| !(l.root == name || is_below(&l.root, name)));
        let gone: Vec<String> = inner
            .props
            .keys()
            .filter(|k| *k == name || is_below(k, name))
            .cloned()
            .collect();
        for key in gone {
            if let Some(props) = inner.props.remove(&key) {
                inner.prop_bytes -= props.iter().map(|(n, v)| prop_size(n, v)).sum::<usize>();
            }
        }
    }

    /// Carries the properties of `from` and below to `to` (`keep`: a copy, else a move, which
    /// also drops the locks on the source).
    pub fn carry(&self, from: &str, to: &str, keep: bool) {
        if !keep {
            self.inner()
                .locks
                .retain(|l| !(l.root == from || is_below(&l.root, from)));
        }
        self.forget(to);
        let mut inner = self.inner();
        let carried: Vec<(String, BTreeMap<PropName, String>)> = inner
            .props
            .iter()
            .filter_map(|(k, v)| moved(k, from, to).map(|n| (n, v.clone())))
            .collect();
        let size: usize = carried
            .iter()
            .flat_map(|(_, p)| p.iter())
            .map(|(n, v)| prop_size(n, v))
            .sum();
        if keep && inner.prop_bytes + size > MAX_PROP_BYTES {
            return;
        }
        if !keep {
            inner.props.retain(|k, _| !(k == from || is_below(k, from)));
        } else {
            inner.prop_bytes += size;
        }
        inner.props.extend(carried);
    }

    /// The dead properties of `name`.
    pub fn props(&self, name: &str) -> BTreeMap<PropName, String> {
        self.inner().props.get(name).cloned().unwrap_or_default()
    }

    /// Applies `changes` to the dead properties of `name` all together (a value: set; none:
    /// remove); false, changing nothing, when they would pass [`MAX_PROP_BYTES`].
    pub fn set_props(&self, name: &str, changes: Vec<(PropName, Option<String>)>) -> bool {
        let mut inner = self.inner();
        let mut props = inner.props.get(name).cloned().unwrap_or_default();
        let old: usize = props.iter().map(|(n, v)| prop_size(n, v)).sum();
        for (prop, value) in changes {
            match value {
                Some(v) => props.insert(prop, v),
                None => props.remove(&prop),
            };
        }
        let new: usize = props.iter().map(|(n, v)| prop_size(n, v)).sum();
        if inner.prop_bytes - old + new > MAX_PROP_BYTES {
            return false;
        }
        inner.prop_bytes = inner.prop_bytes - old + new;
        if props.is_empty() {
            inner.props.remove(name);
        } else {
            inner.props.insert(name.to_string(), props);
        }
        true
    }
}

/// A new lock token: `opaquelocktoken:` and 128 random bits written as a UUID.
fn new_token() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .expect("the system's random source works");
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "opaquelocktoken:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_conflict_cover_and_admit_their_tokens() {
        let s = DavState::default();
        let who = Principal::Anonymous;
        let t = Duration::from_secs(60);
        let dir = s.lock("d", true, false, String::new(), &who, t).unwrap();
        assert!(dir.token.starts_with("opaquelocktoken:") && dir.token.len() == 52);
        assert_eq!(
            s.lock("d/x", false, true, String::new(), &who, t).unwrap_err(),
            Refused::Locked
        );
        assert_eq!(
            s.lock("", true, true, String::new(), &who, t).unwrap_err(),
            Refused::Locked
        );
        assert!(s.lock("e", false, true, String::new(), &who, t).is_ok());
        assert!(s.lock("e", false, true, String::new(), &who, t).is_ok());
        assert!(!s.may_change("d/x", false, &[], &who));
        assert!(s.may_change("d/x", false, &[&dir.token], &who));
        assert!(!s.may_change("d/x", false, &[&dir.token], &Principal::Token));
        assert!(s.may_change("dd", false, &[], &who));
        assert!(!s.may_change("", true, &[], &who));
        assert!(s.unlock(&dir.token, "d/x", &who));
        assert!(s.may_change("d/x", false, &[], &who));
        assert!(s.set_props("a", vec![(("u:".into(), "p".into()), Some("v".into()))]));
        s.carry("a", "b", false);
        assert!(s.props("a").is_empty());
        assert_eq!(s.props("b").len(), 1);
        s.forget("b");
        assert!(s.props("b").is_empty());
    }
}
