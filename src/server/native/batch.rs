//! Verified uploads waiting to be committed together: a pipelined batch of small files costs
//! one `syncfs` instead of one fsync each. They are committed (and answered, in order) when
//! the batch is full (in files or bytes), before any other reply, before the next put's body
//! once the oldest has waited [`BATCH_WAIT`], and whenever no further request is in hand: a
//! batch never waits for the client, however many uploads the client keeps in flight.

use std::time::{Instant, SystemTime};

use crate::error::Result;
use crate::service::{Principal, Service};
use crate::store::Entry;
use crate::store::Verified;

/// Verified uploads waiting for their batch commit are committed at the latest at this many
/// files, or once the bodies they received add up to this many bytes.
const BATCH_FILES: usize = 64;
const BATCH_BYTES: u64 = 32 << 20;

/// The longest a verified upload waits for others to join its batch while further requests
/// keep arriving (a link slower than the disk: each body arrives over a while).
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(10);

/// A verified upload awaiting the batch commit, with what its log line needs.
struct Waiting {
    verified: Box<Verified>,
    force: bool,
    /// The put asked for a signed receipt.
    receipt: bool,
    name: String,
    bytes: u64,
    started: Instant,
}

#[derive(Default)]
pub struct Pending {
    waiting: Vec<Waiting>,
    /// When the oldest waiting upload was verified.
    since: Option<Instant>,
}

/// One committed (or refused) upload: the reply, whether it asked for a receipt, the name, its
/// body bytes and when its request began, for the reply and the log line.
pub type Committed = (Result<Entry>, bool, String, u64, Instant);

impl Pending {
    /// Adds a verified upload; true when the batch is full and should be committed now.
    pub fn add(
        &mut self,
        verified: Box<Verified>,
        (force, receipt): (bool, bool),
        name: String,
        bytes: u64,
        started: Instant,
    ) -> bool {
        self.since.get_or_insert_with(Instant::now);
        self.waiting.push(Waiting {
            verified,
            force,
            receipt,
            name,
            bytes,
            started,
        });
        let held: u64 = self.waiting.iter().map(|w| w.bytes).sum();
        self.waiting.len() >= BATCH_FILES || held >= BATCH_BYTES
    }

    /// True when the oldest waiting upload has waited [`BATCH_WAIT`]: commit before reading
    /// another body.
    pub fn due(&self) -> bool {
        self.since.is_some_and(|t| t.elapsed() >= BATCH_WAIT)
    }

    /// Commits every waiting upload `who` sent; one result each, in order, and the commit
    /// time their receipts state.
    pub fn commit(&mut self, svc: &Service, who: &Principal) -> (SystemTime, Vec<Committed>) {
        self.since = None;
        if self.waiting.is_empty() {
            return (SystemTime::now(), Vec::new());
        }
        let (batch, info): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .map(|w| ((*w.verified, w.force), (w.receipt, w.name, w.bytes, w.started)))
            .unzip();
        let commit = svc.commit(who, batch);
        let answered = commit
            .results
            .into_iter()
            .zip(info)
            .map(|(result, (receipt, name, bytes, started))| (result, receipt, name, bytes, started))
            .collect();
        (commit.at, answered)
    }
}
