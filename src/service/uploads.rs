//! Uploads that live across requests (tus, docs/PROTOCOL.md "Resumable uploads"): each is an
//! ordinary partial upload of the store, begun, continued and committed through the same
//! operations (rights, limits, the partial's bounds) as any upload, plus a ticket that says
//! which upload a request continues.
//!
//! Nothing is recorded beside the partial: the ticket (in the upload's URL) carries what must
//! survive a restart (declared length, the optional BLAKE3 of the whole file, whether a receipt
//! was asked for, when it was made) and an HMAC of that, of the target name and of the
//! principal who made it, keyed by a secret derived from the server's identity key. So a
//! restarted server takes its own URLs back, and nobody can forge one or continue another
//! principal's upload. Between requests the open upload is held here (bounded), so a PATCH
//! appends without re-reading what is stored; after a restart the store's partial is reopened
//! at its length.
//!
//! One upload per name at a time: creating one while a partial of the name is kept is a
//! `conflict` (continue that one, or terminate it).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use ring::hmac;

use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::store::{Entry, Upload};

use super::{Principal, Service};

/// Open uploads held between requests at most; the least recently used one beyond is let go
/// (its partial stays in the store, reopened by its next request).
const MAX_HELD: usize = 16;
/// An open upload idle this long is let go at the next tus request (in a bucket, an open
/// upload holds its part being filled in memory, within the server's upload memory).
const HELD_IDLE: Duration = Duration::from_secs(60);
/// Finished or terminated uploads remembered (for their HEAD), at most.
const MAX_ENDED: usize = 1024;
/// Most bytes of chunks held in memory at once to check their `Upload-Checksum` before they
/// are appended.
pub const MAX_STAGED: u64 = 128 << 20;

/// The uploads of one server that live across requests.
#[derive(Default)]
pub struct Resumables {
    key: OnceLock<hmac::Key>,
    held: Mutex<HashMap<String, Held>>,
    staged: AtomicU64,
}

/// One upload this server knows of, by its ticket's id.
struct Held {
    name: FileName,
    state: State,
    touched: Instant,
}

enum State {
    /// Open between requests, holding this many bytes.
    Idle(Box<Upload>, u64),
    /// A request is appending to it; it held this many bytes when it began.
    Busy(u64),
    Completed,
    Terminated,
}

/// What an upload's URL says about it, authenticated ([`Service::upload_ticket`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub name: FileName,
    /// The file's declared length (`Upload-Length`).
    pub length: u64,
    /// The BLAKE3 (hex) the whole file must have (`Upload-Metadata`'s `blake3`).
    pub digest: Option<String>,
    /// A signed receipt was asked for at creation.
    pub receipt: bool,
    /// When it was made, in seconds since the epoch.
    created: u64,
    /// Random, so that two uploads of one name have different tickets.
    id: String,
}

impl Ticket {
    /// The ticket as the URL carries it: its fields and its HMAC for `who`.
    fn seal(&self, key: &hmac::Key, who: &Principal) -> String {
        let fields = self.fields();
        let tag = hmac::sign(
            key,
            format!("nf-tus-1\n{who}\n{}\n{fields}", self.name.as_str()).as_bytes(),
        );
        format!("{fields}.{}", hex(&tag.as_ref()[..16]))
    }

    fn fields(&self) -> String {
        format!(
            "{}.{}.{}.{}.{}",
            self.length,
            self.created,
            self.id,
            u8::from(self.receipt),
            self.digest.as_deref().unwrap_or("")
        )
    }

    /// Reads `text` as a ticket for `name` made by `who`; `None` if it is not one (forged,
    /// changed, another principal's, another name's).
    fn open(key: &hmac::Key, who: &Principal, name: &FileName, text: &str) -> Option<Ticket> {
        let (fields, _tag) = text.rsplit_once('.')?;
        let parts: Vec<&str> = fields.split('.').collect();
        let [length, created, id, receipt, digest] = parts[..] else {
            return None;
        };
        let ticket = Ticket {
            name: name.clone(),
            length: length.parse().ok()?,
            created: created.parse().ok()?,
            id: id.to_string(),
            receipt: receipt == "1",
            digest: (!digest.is_empty()).then(|| digest.to_string()),
        };
        let expected = ticket.seal(key, who);
        // Compared in constant time: the tag is the secret part.
        let same = expected.len() == text.len()
            && expected
                .bytes()
                .zip(text.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        same.then_some(ticket)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A chunk's bytes held in memory until its checksum is checked; gives its room back when
/// dropped.
pub struct Staged<'a> {
    staged: &'a AtomicU64,
    bytes: u64,
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        self.staged.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// An error about the upload of `name`: `before`, the name, `after`.
fn about(kind: ErrorKind, name: &FileName, (before, after): (&str, &str)) -> Error {
    Error::new(kind, format!("{before}{}{after}", quote(name.as_str())))
}

fn gone(name: &FileName) -> Error {
    let words = ("the upload of ", " was terminated; create a new one");
    about(ErrorKind::NotFound, name, words)
}

fn completed(name: &FileName) -> Error {
    about(ErrorKind::Conflict, name, ("the upload of ", " is complete"))
}

fn busy(name: &FileName) -> Error {
    let words = (
        "another request is appending to the upload of ",
        "; try again when it is done",
    );
    about(ErrorKind::Busy, name, words)
}

/// The refusal of a chunk sent at `offset` when the upload holds `held` bytes.
/// A request's hold on an upload it appends to ([`Service::resume_upload`]): others are told
/// it is busy meanwhile. Dropped without being handed back (the request failed, or its
/// worker panicked), it forgets the hold, and the next request reopens the store's partial.
pub struct Claim<'a> {
    svc: &'a Service,
    ticket: Ticket,
    armed: bool,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if self.armed {
            let id = &self.ticket.id;
            let let_go = self.svc.with_held(|held| held.remove(id));
            drop(let_go);
        }
    }
}

fn offset_mismatch(offset: u64, held: u64) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!("the upload holds {held} bytes, not {offset}: ask its offset (HEAD) and continue from there"),
    )
}

impl Resumables {
    /// The key of the tickets: the one the server was given, else one drawn now (its URLs
    /// then last as long as the process).
    fn key(&self) -> &hmac::Key {
        self.key.get_or_init(|| {
            let rng = ring::rand::SystemRandom::new();
            hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("the system gives random bytes")
        })
    }

    /// Removes and returns the uploads to let go: those idle longer than `max_idle`, the
    /// oldest idle ones beyond [`MAX_HELD`], the oldest ended ones beyond [`MAX_ENDED`]. They
    /// are dropped by the caller, outside the lock (dropping one keeps its partial).
    fn sweep(held: &mut HashMap<String, Held>, max_idle: Duration) -> Vec<Held> {
        let now = Instant::now();
        let stale: Vec<String> = held
            .iter()
            .filter(|(_, h)| matches!(h.state, State::Idle(..)) && now - h.touched > max_idle)
            .map(|(id, _)| id.clone())
            .collect();
        let mut out: Vec<Held> = stale.iter().filter_map(|id| held.remove(id)).collect();
        for (is_kind, max) in [(is_idle as fn(&State) -> bool, MAX_HELD), (is_ended, MAX_ENDED)] {
            let mut ids: Vec<(Instant, String)> = held
                .iter()
                .filter(|(_, h)| is_kind(&h.state))
                .map(|(id, h)| (h.touched, id.clone()))
                .collect();
            ids.sort();
            let over = ids.len().saturating_sub(max);
            out.extend(ids.into_iter().take(over).filter_map(|(_, id)| held.remove(&id)));
        }
        out
    }
}

fn is_idle(state: &State) -> bool {
    matches!(state, State::Idle(..))
}

fn is_ended(state: &State) -> bool {
    matches!(state, State::Completed | State::Terminated)
}

impl Service {
    /// Keys the upload tickets with a secret derived from the server's identity key (its
    /// PKCS#8 DER), so that they outlive a restart.
    pub fn set_upload_key(&self, identity_der: &[u8]) {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(b"nf tus upload tickets 1\n");
        ctx.update(identity_der);
        let _ = self
            .resumables
            .key
            .set(hmac::Key::new(hmac::HMAC_SHA256, ctx.finish().as_ref()));
    }

    /// Runs `f` on the held uploads (after letting go of the stale ones, outside the lock).
    fn with_held<T>(&self, f: impl FnOnce(&mut HashMap<String, Held>) -> T) -> T {
        let (out, let_go) = {
            let mut held = self.resumables.held.lock().unwrap();
            let out = f(&mut held);
            let let_go = Resumables::sweep(&mut held, HELD_IDLE.min(self.settings.partial_max_age));
            (out, let_go)
        };
        drop(let_go);
        out
    }

    /// Starts a resumable upload of `name`, `length` bytes, for `who` (the rights and limits of
    /// a replacing upload); the ticket and its text for the URL. An upload of 0 bytes is
    /// committed at once (its entry is returned too).
    pub fn create_upload(
        &self,
        who: &Principal,
        name: &FileName,
        length: u64,
        digest: Option<String>,
        receipt: bool,
    ) -> Result<(Ticket, String)> {
        self.room(Some(length), 0)?;
        let held_here = self.with_held(|held| {
            held.values()
                .any(|h| h.name == *name && matches!(h.state, State::Idle(..) | State::Busy(_)))
        });
        self.may_upload(who, name, true)?;
        if held_here || self.store.stat(name)?.1 > 0 {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "an interrupted upload of {} is kept; continue it (nf put --resume, or its \
                     tus URL) or terminate it before starting another",
                    quote(name.as_str())
                ),
            ));
        }
        let upload = self.begin_resumable(who, name, 0, length)?;
        let mut id = [0u8; 12];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id)
            .map_err(|_| Error::new(ErrorKind::Other, "the system gave no random bytes"))?;
        let ticket = Ticket {
            name: name.clone(),
            length,
            digest,
            receipt,
            created: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            id: hex(&id),
        };
        let text = ticket.seal(self.resumables.key(), who);
        self.set_state(&ticket, State::Idle(Box::new(upload), 0));
        Ok((ticket, text))
    }

    /// The upload of `name` that `text` (from its URL) names, if `who` made it; else
    /// `not_found`, whether the ticket is forged, changed or another principal's.
    pub fn upload_ticket(&self, who: &Principal, name: &FileName, text: &str) -> Result<Ticket> {
        Ticket::open(self.resumables.key(), who, name, text).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "no upload of {} at this URL for {who} (a URL is good only for whoever \
                     created the upload, at the server that made it)",
                    quote(name.as_str())
                ),
            )
        })
    }

    /// How many bytes the upload holds (its length once complete). Needs the rights of an
    /// upload there, now.
    pub fn upload_offset(&self, who: &Principal, t: &Ticket) -> Result<u64> {
        self.may_upload(who, &t.name, true)?;
        let known = self.with_held(|held| match held.get(&t.id).map(|h| &h.state) {
            Some(State::Idle(_, n) | State::Busy(n)) => Some(Ok(*n)),
            Some(State::Completed) => Some(Ok(t.length)),
            Some(State::Terminated) => Some(Err(gone(&t.name))),
            None => None,
        });
        match known {
            Some(answer) => answer,
            None => Ok(self.store.stat(&t.name)?.1),
        }
    }

    /// Sets what is known of the upload `t`.
    fn set_state(&self, t: &Ticket, state: State) {
        let before = self.with_held(|held| {
            let now = Instant::now();
            let name = t.name.clone();
            let entry = Held {
                name,
                state,
                touched: now,
            };
            held.insert(t.id.clone(), entry)
        });
        // Dropped outside the lock (an open upload's partial is kept).
        drop(before);
    }

    /// The upload, to append to from `offset` (which must be what it holds: else `conflict`),
    /// and the request's claim on it: hand both back with [`Service::hold_upload`] or
    /// [`Service::complete_upload`]; a claim dropped otherwise (the request failed) lets the
    /// next request reopen what the store kept. The rights of an upload there are asked again.
    pub fn resume_upload(&self, who: &Principal, t: &Ticket, offset: u64) -> Result<(Upload, Claim<'_>)> {
        let replaces = self.may_upload(who, &t.name, true)?;
        let taken = self.with_held(|held| {
            let Some(h) = held.get_mut(&t.id) else {
                return Ok(None);
            };
            match std::mem::replace(&mut h.state, State::Busy(offset)) {
                State::Idle(upload, n) if n == offset => {
                    h.touched = Instant::now();
                    Ok(Some(*upload))
                }
                State::Idle(upload, n) => {
                    h.state = State::Idle(upload, n);
                    Err(offset_mismatch(offset, n))
                }
                other => {
                    let err = match &other {
                        State::Busy(_) => busy(&t.name),
                        State::Completed => completed(&t.name),
                        _ => gone(&t.name),
                    };
                    h.state = other;
                    Err(err)
                }
            }
        })?;
        let upload = match taken {
            Some(upload) => upload,
            None => {
                // Not held (a restart, or let go): the store's partial, reopened at its length.
                let kept = self.store.stat(&t.name)?.1;
                if kept != offset {
                    return Err(offset_mismatch(offset, kept));
                }
                let upload = self.begin_resumable(who, &t.name, offset, t.length)?;
                self.set_state(t, State::Busy(offset));
                upload
            }
        };
        let claim = Claim {
            svc: self,
            ticket: t.clone(),
            armed: true,
        };
        Ok((super::ops::replacing(upload, replaces), claim))
    }

    /// Holds the upload, now of `offset` bytes, for the next request.
    pub fn hold_upload(&self, mut claim: Claim<'_>, upload: Upload, offset: u64) {
        claim.armed = false;
        self.set_state(&claim.ticket, State::Idle(Box::new(upload), offset));
    }

    /// Checks the whole upload (its BLAKE3 against the ticket's, if any) and commits it,
    /// replacing a file of its name if the rights allow (as an HTTP PUT).
    /// Returns the entry and its commit time.
    pub fn complete_upload(
        &self,
        who: &Principal,
        mut claim: Claim<'_>,
        upload: Upload,
    ) -> Result<(Entry, SystemTime)> {
        claim.armed = false;
        let t = &claim.ticket;
        let committed = upload.finish(t.digest.as_deref()).and_then(|v| {
            let commit = self.commit(who, vec![(v, true)]);
            let at = commit.at;
            commit.one().map(|e| (e, at))
        });
        let state = match committed {
            Ok(_) => State::Completed,
            // Refused at the end (a wrong BLAKE3 discards what was received): start again.
            Err(_) => State::Terminated,
        };
        self.set_state(t, state);
        committed
    }

    /// Terminates the upload: what it received is removed from the store.
    pub fn end_upload(&self, who: &Principal, t: &Ticket) -> Result<()> {
        let held = self.upload_offset(who, t)?;
        let (upload, mut claim) = self.resume_upload(who, t, held)?;
        claim.armed = false;
        upload.discard();
        self.set_state(t, State::Terminated);
        Ok(())
    }

    /// Room for a chunk of `bytes` to be held in memory until its checksum is checked, within
    /// [`MAX_STAGED`] for the whole server; `busy` when there is none now.
    pub fn stage(&self, bytes: u64) -> Result<Staged<'_>> {
        let staged = &self.resumables.staged;
        let before = staged.fetch_add(bytes, Ordering::Relaxed);
        let room = Staged { staged, bytes };
        if before.saturating_add(bytes) > MAX_STAGED {
            return Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "chunks with a checksum are held in memory until checked, at most {} at \
                     once on this server; try again, or send smaller chunks",
                    crate::human::size(MAX_STAGED)
                ),
            ));
        }
        Ok(room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket {
            name: FileName::parse("a/b.bin").unwrap(),
            length: 10,
            digest: None,
            receipt: false,
            created: 1,
            id: "00ff".into(),
        }
    }

    /// A ticket opens for the principal and name it was made for, and for nothing else.
    #[test]
    fn a_ticket_opens_only_for_its_principal_and_name_unchanged() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"k");
        let alice = Principal::User("alice".into());
        let t = ticket();
        let text = t.seal(&key, &alice);
        assert_eq!(Ticket::open(&key, &alice, &t.name, &text), Some(t.clone()));
        assert_eq!(Ticket::open(&key, &Principal::Anonymous, &t.name, &text), None);
        let other = FileName::parse("a/c.bin").unwrap();
        assert_eq!(Ticket::open(&key, &alice, &other, &text), None);
        let longer = text.replacen("10.", "11.", 1);
        assert_eq!(Ticket::open(&key, &alice, &t.name, &longer), None);
        let other_key = hmac::Key::new(hmac::HMAC_SHA256, b"j");
        assert_eq!(Ticket::open(&other_key, &alice, &t.name, &text), None);
        assert_eq!(Ticket::open(&key, &alice, &t.name, "garbage"), None);
    }
}
