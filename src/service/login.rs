//! Logging in with a user name and a password (or a generated secret), for every dialect that
//! can ([`Service::login`], [`Service::login_async`]): the access file in force names the
//! users and their argon2id hashes ([`super::password`]).
//!
//! - **Off the event loop.** A hash is checked on one of [`CHECKERS`] threads of a small pool
//!   (memory: at most that many × 19 MiB), never on the front door's loop (which awaits the
//!   answer) nor on more threads than that (an HTTP worker blocks on it). Logins from an
//!   address where someone logged in lately are checked first: a flood of wrong logins from
//!   other addresses waits behind them, not in front of a class's next login. At most [`QUEUE`] checks of each kind
//!   wait for a checker; beyond, a login is answered `busy` at once.
//! - **One answer for a wrong password and an unknown user**, after the same work: an unknown
//!   name is checked against a dummy hash with the same parameters.
//! - **Guessing is slowed per address and user name**, not per address: [`FREE`] wrong
//!   passwords for one name from one address are free, then that pair waits 1 s, 2, 4, … up to
//!   a minute (refused at once meanwhile, without a check) — one student behind a class's shared
//!   address slows only their own name. Spraying many names from one address is bounded per
//!   address at [`FREE_PER_ADDRESS`] wrong passwords. Other addresses are never slowed.
//! - **Each failure is one log line** (`ADDRESS login failed for "NAME": …`, for fail2ban),
//!   never with the secret.
//! - **A verified login is remembered** for [`REMEMBER`], keyed by an HMAC (with a key drawn at
//!   start-up) of the user name, the secret and the user's current hash: many HTTP requests or
//!   short `nf` runs pay argon2 once, and a changed password or a removed user (the access
//!   file reloaded) no longer matches.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ring::hmac;

use super::guess::{Guesses, Secret, Wait};
use super::{password, Principal, Service};
use crate::cidr::address_key;
use crate::error::{Error, ErrorKind};
use crate::name::quote;

/// Hashes checked at once (each takes about 19 MiB while it runs).
pub const CHECKERS: usize = 2;

/// Checks of each kind (from addresses where someone logged in lately, from others) that may
/// wait for a checker; beyond, a login is answered `busy`.
pub const QUEUE: usize = 64;

/// Wrong passwords one user name may get from one address before that pair waits.
pub const FREE: u32 = super::guess::FREE;

/// Wrong passwords (for any names) one address may send before all its logins wait.
pub const FREE_PER_ADDRESS: u32 = 100;

/// How long a verified login is remembered.
pub const REMEMBER: Duration = Duration::from_secs(300);

/// At most this many verified logins are remembered; beyond, the oldest is forgotten.
const MAX_REMEMBERED: usize = 4096;

/// The answer to a wrong password and to an unknown user alike.
pub const WRONG: &str = "wrong user name or password";

/// An argon2id hash (of nothing anyone knows) that an unknown user name is checked against, so
/// it costs what a known one does.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$bmYtZHVtbXktc2FsdC0xNg$\
                     AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Why a login is refused.
#[derive(Debug)]
pub enum Refused {
    /// A wrong password or an unknown user (the same words), no users on this server, or no
    /// checker free: answered as it is.
    Error(Error),
    /// The address (and name) must wait after too many wrong passwords.
    Wait(Wait),
}

impl Refused {
    /// The error to answer with.
    pub fn error(&self) -> Error {
        match self {
            Refused::Error(e) => e.clone(),
            Refused::Wait(w) => w.error(),
        }
    }
}

/// One hash to check, and where to say the answer.
struct Job {
    phc: String,
    secret: String,
    answer: tokio::sync::oneshot::Sender<bool>,
}

/// The checks waiting for a checker: first those from addresses where someone logged in
/// lately, then the others.
#[derive(Default)]
struct Queue {
    jobs: Mutex<[VecDeque<Job>; 2]>,
    ready: Condvar,
}

impl Queue {
    /// Queues `job` (`first`: from an address where someone logged in lately); false when its
    /// line is full.
    fn push(&self, job: Job, first: bool) -> bool {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let line = &mut jobs[usize::from(!first)];
        if line.len() >= QUEUE {
            return false;
        }
        line.push_back(job);
        self.ready.notify_one();
        true
    }

    /// The next job, waiting for one.
    fn pop(&self) -> Job {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(job) = jobs.iter_mut().find_map(VecDeque::pop_front) {
                return job;
            }
            jobs = self.ready.wait(jobs).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The login state of one server: the checkers, the remembered logins, the guess tables.
pub struct Logins {
    queue: OnceLock<Arc<Queue>>,
    key: hmac::Key,
    remembered: Mutex<HashMap<Vec<u8>, Instant>>,
    /// The addresses (an IPv6 /64 as one) where someone logged in lately, and when.
    trusted: Mutex<HashMap<IpAddr, Instant>>,
    per_name: Guesses,
    per_address: Guesses,
    /// Hashes checked with argon2 since start (for tests and the bench).
    checked: AtomicU64,
}

impl Default for Logins {
    fn default() -> Logins {
        let rng = ring::rand::SystemRandom::new();
        Logins {
            queue: OnceLock::new(),
            key: hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("the system gives random bytes"),
            remembered: Mutex::new(HashMap::new()),
            trusted: Mutex::new(HashMap::new()),
            per_name: Guesses::new(FREE, Secret::Password),
            per_address: Guesses::new(FREE_PER_ADDRESS, Secret::Password),
            checked: AtomicU64::new(0),
        }
    }
}

/// What is left to do for a login once the cheap steps are done.
enum Step {
    Done(Result<Principal, Refused>),
    /// The hash must be checked: the job is queued, the answer comes on the receiver.
    Check(Pending),
}

struct Pending {
    user: String,
    known: bool,
    remember: Vec<u8>,
    answer: tokio::sync::oneshot::Receiver<bool>,
}

impl Logins {
    /// Hashes checked with argon2 since start.
    pub fn checked(&self) -> u64 {
        self.checked.load(Ordering::Relaxed)
    }

    /// Queues a check for a checker thread (started on first use); `first`: from an address
    /// where someone logged in lately.
    fn submit(&self, job: Job, first: bool) -> Result<(), Error> {
        let queue = self.queue.get_or_init(start_checkers);
        match queue.push(job, first) {
            true => Ok(()),
            false => Err(Error::new(
                ErrorKind::Busy,
                "the server is checking too many logins at once; try again in a moment",
            )),
        }
    }

    /// True when someone logged in from `peer`'s address within [`super::guess::FORGET`].
    fn is_trusted(&self, peer: IpAddr, now: Instant) -> bool {
        let trusted = self.trusted.lock().unwrap();
        trusted
            .get(&address_key(peer))
            .is_some_and(|&at| now.duration_since(at) < super::guess::FORGET)
    }

    /// Notes that someone logged in from `peer`.
    fn trust(&self, peer: IpAddr, now: Instant) {
        let mut trusted = self.trusted.lock().unwrap();
        if trusted.len() >= MAX_REMEMBERED {
            trusted.retain(|_, at| now.duration_since(*at) < super::guess::FORGET);
        }
        if trusted.len() < MAX_REMEMBERED {
            trusted.insert(address_key(peer), now);
        }
    }

    fn tag(&self, user: &str, secret: &str, phc: &str) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.key);
        for part in [user, secret, phc] {
            ctx.update(&(part.len() as u64).to_le_bytes());
            ctx.update(part.as_bytes());
        }
        ctx.sign().as_ref().to_vec()
    }

    fn is_remembered(&self, tag: &[u8], now: Instant) -> bool {
        let remembered = self.remembered.lock().unwrap();
        remembered.get(tag).is_some_and(|&until| until > now)
    }

    fn remember(&self, tag: Vec<u8>, now: Instant) {
        let mut remembered = self.remembered.lock().unwrap();
        if remembered.len() >= MAX_REMEMBERED {
            remembered.retain(|_, until| *until > now);
        }
        if remembered.len() >= MAX_REMEMBERED {
            if let Some(oldest) = remembered.iter().min_by_key(|(_, u)| **u).map(|(k, _)| k.clone()) {
                remembered.remove(&oldest);
            }
        }
        remembered.insert(tag, now + REMEMBER);
    }
}

/// Starts the checker threads, which live as long as the process.
fn start_checkers() -> Arc<Queue> {
    let queue = Arc::new(Queue::default());
    for i in 0..CHECKERS {
        let queue = Arc::clone(&queue);
        let started = std::thread::Builder::new()
            .name(format!("nf-login-{i}"))
            .spawn(move || loop {
                let job = queue.pop();
                let ok = password::verify(&job.phc, &job.secret);
                let _ = job.answer.send(ok);
            });
        // Without a checker the queue fills and logins are answered `busy`, which says so.
        drop(started);
    }
    queue
}

impl Service {
    /// Logs `user` in with `secret`, from `peer`, blocking this thread while a checker checks
    /// the hash (for the HTTP workers; the front door's loop uses [`Service::login_async`]).
    pub fn login(&self, peer: IpAddr, user: &str, secret: &str) -> Result<Principal, Refused> {
        match self.login_start(peer, user, secret) {
            Step::Done(result) => result,
            Step::Check(pending) => {
                let ok = pending.answer.blocking_recv().unwrap_or(false);
                self.login_end(peer, pending.user, pending.known, pending.remember, ok)
            }
        }
    }

    /// [`Service::login`] awaiting the check instead of blocking.
    pub async fn login_async(&self, peer: IpAddr, user: &str, secret: &str) -> Result<Principal, Refused> {
        match self.login_start(peer, user, secret) {
            Step::Done(result) => result,
            Step::Check(pending) => {
                let ok = pending.answer.await.unwrap_or(false);
                self.login_end(peer, pending.user, pending.known, pending.remember, ok)
            }
        }
    }

    /// The cheap steps: users on this server, the waits, the remembered logins; else queues
    /// the check.
    fn login_start(&self, peer: IpAddr, user: &str, secret: &str) -> Step {
        let Some(access) = self.policy().access() else {
            return Step::Done(Err(Refused::Error(Error::new(
                ErrorKind::Auth,
                "this server has no users (no access file): log in without a user name and \
                 password (unset NF_USER and `user`)",
            ))));
        };
        let logins = &self.logins;
        let now = Instant::now();
        for (table, name) in [(&logins.per_address, ""), (&logins.per_name, user)] {
            if let Err((wait, note)) = table.admit_as(peer, name, now) {
                if let Some(line) = note {
                    self.log.line(&line);
                }
                return Step::Done(Err(Refused::Wait(wait)));
            }
        }
        let phc = access.users.get(user).map(|u| u.password.clone());
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY.to_string());
        let remember = logins.tag(user, secret, &phc);
        if known && logins.is_remembered(&remember, now) {
            logins.trust(peer, now);
            return Step::Done(Ok(Principal::User(Arc::from(user))));
        }
        let (answer, receive) = tokio::sync::oneshot::channel();
        let job = Job {
            phc,
            secret: secret.to_string(),
            answer,
        };
        if let Err(busy) = logins.submit(job, logins.is_trusted(peer, now)) {
            return Step::Done(Err(Refused::Error(busy)));
        }
        Step::Check(Pending {
            user: user.to_string(),
            known,
            remember,
            answer: receive,
        })
    }

    /// After the check: remembers a right one; logs and counts a wrong one.
    fn login_end(
        &self,
        peer: IpAddr,
        user: String,
        known: bool,
        remember: Vec<u8>,
        ok: bool,
    ) -> Result<Principal, Refused> {
        let logins = &self.logins;
        logins.checked.fetch_add(1, Ordering::Relaxed);
        self.log
            .debug(&format!("checked the password of {} with argon2", quote(&user)));
        let now = Instant::now();
        if ok && known {
            logins.remember(remember, now);
            logins.trust(peer, now);
            return Ok(Principal::User(Arc::from(user.as_str())));
        }
        self.log
            .line(&format!("{peer} login failed for {}: {WRONG}", quote(&user)));
        for (table, name) in [(&logins.per_address, ""), (&logins.per_name, user.as_str())] {
            if let Some(line) = table.failed_as(peer, name, now) {
                self.log.line(&line);
            }
        }
        Err(Refused::Error(Error::new(ErrorKind::Auth, WRONG)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn with_users(users: &[(&str, &str)]) -> (Service, tempfile::TempDir) {
        let (svc, dir) = crate::service::for_tests(Config::defaults());
        let mut text = String::new();
        for (name, secret) in users {
            let phc = password::hash(secret).unwrap();
            text.push_str(&format!("[users.{name}]\npassword = \"{phc}\"\n\n"));
        }
        let access =
            crate::service::access::Access::parse(&text, std::path::Path::new("access.toml")).unwrap();
        svc.set_access(Some(access));
        (svc, dir)
    }

    #[test]
    fn checks_from_trusted_addresses_go_first_and_each_line_is_bounded() {
        let queue = Queue::default();
        let job = |secret: &str| Job {
            phc: String::new(),
            secret: secret.into(),
            answer: tokio::sync::oneshot::channel().0,
        };
        for i in 0..QUEUE {
            assert!(queue.push(job(&format!("flood{i}")), false));
        }
        assert!(!queue.push(job("one too many"), false), "the line is bounded");
        assert!(queue.push(job("class"), true), "the other line still takes one");
        assert_eq!(queue.pop().secret, "class");
        assert_eq!(queue.pop().secret, "flood0");
    }

    #[test]
    fn the_dummy_hash_is_checkable_and_matches_nothing() {
        assert_eq!(password::unusable(DUMMY), None);
        assert!(!password::verify(DUMMY, ""));
    }

    #[test]
    fn a_right_password_logs_in_once_then_is_remembered_and_a_change_forgets_it() {
        let (svc, _dir) = with_users(&[("alice", "pw-a")]);
        let peer: IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(
            svc.login(peer, "alice", "pw-a").unwrap(),
            Principal::User("alice".into())
        );
        assert_eq!(svc.logins.checked(), 1);
        assert!(svc.login(peer, "alice", "pw-a").is_ok());
        assert_eq!(svc.logins.checked(), 1, "remembered: no second argon2");
        let wrong = svc.login(peer, "alice", "pw-b").unwrap_err().error();
        let unknown = svc.login(peer, "bob", "pw-a").unwrap_err().error();
        assert_eq!((wrong.kind, wrong.message.as_str()), (ErrorKind::Auth, WRONG));
        assert_eq!((unknown.kind, unknown.message.as_str()), (ErrorKind::Auth, WRONG));
        assert_eq!(svc.logins.checked(), 3, "the unknown user cost a check too");
        // The password changes: the remembered login no longer matches.
        let (other, _d) = with_users(&[("alice", "pw-new")]);
        svc.set_access(other.policy().access().map(|a| (*a).clone()));
        assert!(svc.login(peer, "alice", "pw-a").is_err());
        assert!(svc.login(peer, "alice", "pw-new").is_ok());
    }

    #[test]
    fn a_name_that_guesses_waits_and_its_neighbours_do_not() {
        let (svc, _dir) = with_users(&[("alice", "pw-a"), ("bob", "pw-b")]);
        let nat: IpAddr = "127.0.0.3".parse().unwrap();
        for _ in 0..FREE {
            assert!(matches!(svc.login(nat, "alice", "typo"), Err(Refused::Error(_))));
        }
        let Err(Refused::Wait(wait)) = svc.login(nat, "alice", "pw-a") else {
            panic!("the sixth try waits, right password or not")
        };
        assert!(wait.error().message.contains("wait"), "{}", wait.error());
        assert!(
            svc.login(nat, "bob", "pw-b").is_ok(),
            "bob behind the same address is not slowed"
        );
        let other: IpAddr = "127.0.0.4".parse().unwrap();
        assert!(svc.login(other, "alice", "pw-a").is_ok());
    }

    #[test]
    fn a_server_without_users_refuses_logins_clearly() {
        let (svc, _dir) = crate::service::for_tests(Config::defaults());
        let err = svc
            .login("127.0.0.1".parse().unwrap(), "alice", "x")
            .unwrap_err()
            .error();
        assert_eq!(err.kind, ErrorKind::Auth);
        assert!(err.message.contains("no users"), "{err}");
    }
}
