//! Slowing secret guessing, per address (an IPv6 /64 counts as one, as for the front door's
//! limits): the first [`FREE`] wrong secrets from an address cost nothing; each further one
//! makes the address wait before its next try, 1 s, then 2, 4, … up to [`MAX_WAIT`]. A try
//! from an address that must wait is refused at once, without its secret being checked (so
//! waiting costs no thread and the right secret does not help a guesser), and counts as one
//! more wrong secret: a client that keeps trying instead of waiting waits longer. Other
//! addresses are not affected. An address is forgotten [`FORGET`] after its last wrong
//! secret. The log gets one line per address per [`SAY_EVERY`], not one per try. Knows
//! nothing of dialects: callers say what failed. A table counts per address (the token) or per
//! address and user name (passwords, [`Guesses::for_passwords`], see [`super::login`]: one
//! user's typos behind a shared address do not slow the others).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cidr::address_key;
use crate::error::{Error, ErrorKind};

/// Wrong secrets an address may send before it has to wait.
pub const FREE: u32 = 5;

/// The longest wait between two tries from one address.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// An address is forgotten this long after its last wrong secret.
pub const FORGET: Duration = Duration::from_secs(600);

/// At most one log line per address this often.
pub const SAY_EVERY: Duration = Duration::from_secs(60);

/// At most this many addresses are remembered; beyond, the one quiet longest is forgotten.
const MAX_ADDRESSES: usize = 4096;

/// What a table counts: the token per address, or passwords per address and user name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    Token,
    Password,
}

/// What one address (or address and user name) has done.
struct Record {
    /// Wrong secrets since it was last forgotten.
    fails: u32,
    last: Instant,
    /// It must wait until then.
    until: Instant,
    /// Tries refused for waiting, and wrong secrets, since the last log line about it.
    refused: u64,
    unsaid: u32,
    said: Option<Instant>,
}

/// A try refused because its address must wait.
#[derive(Debug)]
pub struct Wait {
    pub left: Duration,
    pub secret: Secret,
}

impl Wait {
    /// Whole seconds left, at least 1 (for `Retry-After` and messages).
    pub fn secs(&self) -> u64 {
        self.left.as_secs() + u64::from(self.left.subsec_nanos() > 0)
    }

    /// The refusal, worded for people: what happened and how long to wait.
    pub fn error(&self) -> Error {
        let message = match self.secret {
            Secret::Token => format!(
                "too many wrong tokens from this address: wait {} s before trying again (check the \
                 token: NF_TOKEN or `token` in the config)",
                self.secs()
            ),
            Secret::Password => format!(
                "too many wrong passwords for this user name from this address: wait {} s before \
                 trying again (check the user name and NF_PASSWORD)",
                self.secs()
            ),
        };
        Error::new(ErrorKind::Auth, message)
    }
}

/// What a table is keyed by: an address (its /64 for IPv6), and a user name or "".
type Key = (IpAddr, Box<str>);

/// The wrong secrets of every address (or address and user name) that sent some lately.
pub struct Guesses {
    records: Mutex<HashMap<Key, Record>>,
    /// Wrong secrets a key may send before it has to wait.
    free: u32,
    secret: Secret,
}

impl Default for Guesses {
    /// The token's table: per address, [`FREE`] free tries.
    fn default() -> Guesses {
        Guesses::new(FREE, Secret::Token)
    }
}

impl Guesses {
    /// A table that lets each key send `free` wrong secrets of the kind `secret` before it
    /// waits.
    pub fn new(free: u32, secret: Secret) -> Guesses {
        Guesses {
            records: Mutex::new(HashMap::new()),
            free: free.max(1),
            secret,
        }
    }

    /// `Err` when `peer` must wait before trying again; the second part is a line to log, at
    /// most one per address per [`SAY_EVERY`].
    pub fn admit(&self, peer: IpAddr, now: Instant) -> Result<(), (Wait, Option<String>)> {
        self.admit_as(peer, "", now)
    }

    /// [`Guesses::admit`] for the user name `user` from `peer` ("": any).
    pub fn admit_as(&self, peer: IpAddr, user: &str, now: Instant) -> Result<(), (Wait, Option<String>)> {
        let mut records = self.records.lock().unwrap();
        let key = (address_key(peer), Box::from(user));
        let Some(r) = records.get_mut(&key) else {
            return Ok(());
        };
        if r.until <= now {
            return Ok(());
        }
        r.refused += 1;
        r.wrong(now, self.free);
        let wait = Wait {
            left: r.until - now,
            secret: self.secret,
        };
        let note = r.note(&key, self.secret, now);
        Err((wait, note))
    }

    /// Records a wrong secret from `peer`; a line to log, at most one per address per
    /// [`SAY_EVERY`].
    pub fn failed(&self, peer: IpAddr, now: Instant) -> Option<String> {
        self.failed_as(peer, "", now)
    }

    /// [`Guesses::failed`] for the user name `user` from `peer` ("": any).
    pub fn failed_as(&self, peer: IpAddr, user: &str, now: Instant) -> Option<String> {
        let mut records = self.records.lock().unwrap();
        let key = (address_key(peer), Box::from(user));
        if !records.contains_key(&key) && records.len() >= MAX_ADDRESSES {
            make_room(&mut records, now);
        }
        let r = records.entry(key.clone()).or_insert(Record {
            fails: 0,
            last: now,
            until: now,
            refused: 0,
            unsaid: 0,
            said: None,
        });
        if now.duration_since(r.last) >= FORGET {
            r.fails = 0;
        }
        r.unsaid += 1;
        r.wrong(now, self.free);
        if r.fails >= self.free {
            return r.note(&key, self.secret, now);
        }
        None
    }
}

impl Record {
    /// Counts one more wrong secret at `now`, and from the `free`th on sets the wait.
    fn wrong(&mut self, now: Instant, free: u32) {
        self.fails = self.fails.saturating_add(1);
        self.last = now;
        if self.fails >= free {
            let wait = Duration::from_secs(1u64 << (self.fails - free).min(16)).min(MAX_WAIT);
            self.until = now + wait;
        }
    }

    /// The log line about this key, if one is due.
    fn note(&mut self, (address, user): &Key, secret: Secret, now: Instant) -> Option<String> {
        if self.said.is_some_and(|at| now.duration_since(at) < SAY_EVERY) {
            return None;
        }
        self.said = Some(now);
        let (what, whose) = match secret {
            Secret::Token => ("tokens", String::new()),
            Secret::Password if user.is_empty() => ("passwords", String::new()),
            Secret::Password => (
                "passwords",
                format!(" the password of {}", crate::name::quote(user)),
            ),
        };
        let line = format!(
            "{address} guessing{whose}: {} wrong {what} and {} tries refused since the last line \
             about it; tries now wait {} s (forgotten after 10 minutes without a wrong one)",
            self.unsaid,
            self.refused,
            self.until.saturating_duration_since(now).as_secs_f64().ceil() as u64,
        );
        self.unsaid = 0;
        self.refused = 0;
        Some(line)
    }
}

/// Forgets the keys past [`FORGET`], or else the one quiet longest.
fn make_room(records: &mut HashMap<Key, Record>, now: Instant) {
    records.retain(|_, r| now.duration_since(r.last) < FORGET);
    if records.len() >= MAX_ADDRESSES {
        if let Some(oldest) = records.iter().min_by_key(|(_, r)| r.last).map(|(k, _)| k.clone()) {
            records.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guesser_waits_longer_and_longer_and_others_do_not() {
        let g = Guesses::default();
        let guesser: IpAddr = "2001:db8::1".parse().unwrap();
        let neighbour: IpAddr = "2001:db8::2".parse().unwrap();
        let other: IpAddr = "192.0.2.7".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..FREE - 1 {
            assert!(g.admit(guesser, t0).is_ok(), "try {i}");
            assert!(g.failed(guesser, t0).is_none());
        }
        assert!(
            g.failed(guesser, t0).is_some(),
            "the fifth wrong token is logged once"
        );
        let (wait, note) = g.admit(neighbour, t0).unwrap_err();
        assert_eq!(
            wait.secs(),
            2,
            "the same /64 waits too, and a try meanwhile doubles the wait"
        );
        assert!(note.is_none(), "no second line within a minute");
        assert_eq!(wait.error().kind, ErrorKind::Auth);
        assert!(g.admit(other, t0).is_ok(), "another address is not slowed");
        let t1 = t0 + Duration::from_secs(2);
        assert!(g.admit(guesser, t1).is_ok(), "after the wait, one more try");
        assert!(
            g.failed(guesser, t1).is_none(),
            "not logged again within the minute"
        );
        assert_eq!(
            g.admit(guesser, t1).unwrap_err().0.secs(),
            8,
            "each wrong try doubles it"
        );
        let mut t = t1;
        for _ in 0..20 {
            t += MAX_WAIT;
            g.failed(guesser, t);
        }
        assert_eq!(g.admit(guesser, t).unwrap_err().0.left, MAX_WAIT, "capped");
        let later = t + FORGET;
        assert!(g.admit(guesser, later).is_ok());
        assert!(g.failed(guesser, later).is_none(), "forgotten: free tries again");
    }

    #[test]
    fn the_table_stays_bounded() {
        let g = Guesses::default();
        let t0 = Instant::now();
        for i in 0..MAX_ADDRESSES as u32 + 10 {
            g.failed(IpAddr::V4(i.into()), t0 + Duration::from_millis(u64::from(i)));
        }
        assert_eq!(g.records.lock().unwrap().len(), MAX_ADDRESSES);
    }
}
