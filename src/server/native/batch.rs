//! Verified uploads waiting to be committed together: a pipelined batch of small files costs
//! one `syncfs` instead of one fsync each. They are committed (and answered, in order) when
//! the batch is full, before any other reply, and whenever no further request is in hand.

use std::time::Instant;

use crate::error::Result;
use crate::service::Service;
use crate::store::Entry;
use crate::store::Verified;

/// Verified uploads waiting for their batch commit are committed at the latest at this many
/// files, or once the bodies they received add up to this many bytes.
const BATCH_FILES: usize = 64;
const BATCH_BYTES: u64 = 32 << 20;

/// A verified upload awaiting the batch commit, with what its log line needs.
struct Waiting {
    verified: Box<Verified>,
    force: bool,
    name: String,
    bytes: u64,
    started: Instant,
}

#[derive(Default)]
pub struct Pending {
    waiting: Vec<Waiting>,
}

/// One committed (or refused) upload: the reply, the name, its body bytes and when its
/// request began, for the reply and the log line.
pub type Committed = (Result<Entry>, String, u64, Instant);

impl Pending {
    /// Adds a verified upload; true when the batch is full and should be committed now.
    pub fn add(
        &mut self,
        verified: Box<Verified>,
        force: bool,
        name: String,
        bytes: u64,
        started: Instant,
    ) -> bool {
        self.waiting.push(Waiting {
            verified,
            force,
            name,
            bytes,
            started,
        });
        let held: u64 = self.waiting.iter().map(|w| w.bytes).sum();
        self.waiting.len() >= BATCH_FILES || held >= BATCH_BYTES
    }

    /// Commits every waiting upload; one result each, in order.
    pub fn commit(&mut self, svc: &Service) -> Vec<Committed> {
        if self.waiting.is_empty() {
            return Vec::new();
        }
        let (batch, info): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .map(|w| ((*w.verified, w.force), (w.name, w.bytes, w.started)))
            .unzip();
        svc.commit(batch)
            .into_iter()
            .zip(info)
            .map(|(result, (name, bytes, started))| (result, name, bytes, started))
            .collect()
    }
}
