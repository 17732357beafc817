//! The receipt store: what arrived when. Every upload the operations layer commits
//! ([`Service::commit`], so every dialect alike) is recorded with what a receipt signs (path,
//! size, BLAKE3, commit time, principal), one record per commit batch under `.nf/receipts/`
//! in the store ([`crate::store::records`]), so a batch of 64 small files costs one small
//! write, not 64. A record's key sorts by time: `<unix nanoseconds, 20 digits>-<server id>-<n>`
//! (the server id is random per process, so servers sharing a bucket never collide).
//!
//! A record is written after its batch is committed: a record that cannot be written is
//! logged and the uploads stay committed (a server that dies between the two keeps the files
//! without their record). Records older than `receipts_max_age_secs` are pruned
//! ([`Service::prune_receipts`]). [`Service::receipts`] reads them back, one batch at a time,
//! for `nf receipts`: what the principal may list there, and its own uploads anywhere, each
//! signed on demand.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::name::FileName;
use crate::receipt::{Accepted, Receipt};
use crate::store::records::Kind;
use crate::store::Entry;

use super::{Principal, Service};

/// One commit batch as recorded: who sent it, when it was committed, and its files.
#[derive(Debug, Serialize, Deserialize)]
struct Batch {
    committed: String,
    principal: String,
    files: Vec<Arrived>,
}

/// One file of a batch.
#[derive(Debug, Serialize, Deserialize)]
struct Arrived {
    path: String,
    size: u64,
    blake3: String,
}

/// Makes the keys of this server's records: unique, and in order of time.
pub struct Recorder {
    id: String,
    counter: AtomicU64,
}

impl Default for Recorder {
    fn default() -> Recorder {
        use ring::rand::SecureRandom;
        let mut bytes = [0u8; 6];
        let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
        Recorder {
            id: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            counter: AtomicU64::new(0),
        }
    }
}

impl Recorder {
    fn key(&self, at: SystemTime) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{}-{n}", time_prefix(at), self.id)
    }
}

/// The part of a key that says when: nanoseconds since the epoch, 20 digits.
fn time_prefix(at: SystemTime) -> String {
    let nanos = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:020}")
}

/// What `nf receipts` asks for: uploads under a path, since a time, by a principal.
#[derive(Debug, Default)]
pub struct Wanted {
    pub under: Option<FileName>,
    pub since: Option<SystemTime>,
    pub by: Option<String>,
}

impl Wanted {
    fn path_fits(&self, name: &FileName) -> bool {
        match &self.under {
            None => true,
            Some(dir) => {
                let (n, d) = (name.as_str(), dir.as_str());
                n == d || n.strip_prefix(d).is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }
}

impl Service {
    /// Records the files of a batch `who` just had committed at `at` (when the server keeps
    /// receipts): one record. A failure is logged, never returned: the files are committed.
    pub(super) fn record_batch(&self, who: &Principal, at: SystemTime, entries: &[&Entry]) {
        if !self.settings.receipts_store || entries.is_empty() {
            return;
        }
        let files = entries
            .iter()
            .filter_map(|e| {
                Some(Arrived {
                    path: e.name.as_str().to_string(),
                    size: e.size,
                    blake3: e.blake3?.to_hex().to_string(),
                })
            })
            .collect();
        let batch = Batch {
            committed: crate::human::rfc3339_exact(at),
            principal: who.as_str().to_string(),
            files,
        };
        let bytes = serde_json::to_vec(&batch).expect("a batch serializes");
        let key = self.recorder.key(at);
        if let Err(err) = self.store.record_put_lazy(Kind::Receipts, &key, &bytes) {
            self.log.line(&format!(
                "cannot record the receipts of {} upload(s) by {who} (they are stored all the same): {}",
                entries.len(),
                err.message
            ));
        }
    }

    /// Hands `visit` a signed receipt for each recorded upload `wanted` names that `who` may
    /// see, in order of time: those in folders it may list, and its own (a user's) anywhere.
    /// One record is read at a time. Returns how many were visited.
    pub fn receipts(
        &self,
        who: &Principal,
        wanted: &Wanted,
        visit: &mut dyn FnMut(Receipt) -> Result<()>,
    ) -> Result<u64> {
        let signer = self.signer.get().ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                "this server has no identity key to sign receipts with",
            )
        })?;
        let view = self.policy.view(who);
        let since = wanted.since.map(time_prefix);
        let mut count = 0;
        for key in self.store.record_keys(Kind::Receipts)? {
            if since.as_ref().is_some_and(|s| key.as_str() < s.as_str()) {
                continue;
            }
            // Pruned since the keys were listed: nothing to show.
            let Some(bytes) = self.store.record_get(Kind::Receipts, &key)? else {
                continue;
            };
            let batch: Batch = match serde_json::from_slice(&bytes) {
                Ok(b) => b,
                Err(e) => {
                    self.log
                        .line(&format!("receipt record {key} is not readable, skipped: {e}"));
                    continue;
                }
            };
            if wanted.by.as_ref().is_some_and(|by| *by != batch.principal) {
                continue;
            }
            let own = matches!(who, Principal::User(name) if **name == *batch.principal);
            for file in batch.files {
                let Ok(name) = FileName::parse(&file.path) else {
                    continue;
                };
                if !wanted.path_fits(&name) || !(own || view.shows(&name)) {
                    continue;
                }
                visit(signer.sign(&Accepted {
                    path: file.path,
                    size: file.size,
                    blake3: file.blake3,
                    committed: batch.committed.clone(),
                    principal: batch.principal.clone(),
                })?)?;
                count += 1;
            }
        }
        Ok(count)
    }

    /// Removes the records older than `max_age`; how many. A failure is logged.
    pub fn prune_receipts(&self, max_age: Duration) -> usize {
        let Some(oldest) = SystemTime::now().checked_sub(max_age) else {
            return 0;
        };
        let keep_from = time_prefix(oldest);
        let keys = match self.store.record_keys(Kind::Receipts) {
            Ok(keys) => keys,
            Err(err) => {
                self.log
                    .line(&format!("cannot prune old receipt records: {}", err.message));
                return 0;
            }
        };
        let mut pruned = 0;
        for key in keys.iter().take_while(|k| k.as_str() < keep_from.as_str()) {
            match self.store.record_remove(Kind::Receipts, key) {
                Ok(_) => pruned += 1,
                Err(err) => {
                    self.log
                        .line(&format!("cannot prune receipt record {key}: {}", err.message));
                    break;
                }
            }
        }
        if pruned > 0 {
            self.log.line(&format!(
                "pruned {pruned} receipt record(s) older than {} (receipts_max_age_secs)",
                crate::human::rfc3339(oldest)
            ));
        }
        pruned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_time_and_never_repeat() {
        let recorder = Recorder::default();
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_796_000_000, 5);
        let (a, b) = (recorder.key(t), recorder.key(t));
        assert_ne!(a, b);
        assert!(a.starts_with("01796000000000000005-"), "{a}");
        let later = recorder.key(t + Duration::from_nanos(1));
        assert!(later > a && later > b);
        crate::store::records::check_key(&a).unwrap();
        assert!(a.as_str() >= time_prefix(t).as_str());
        assert!(a.as_str() < time_prefix(t + Duration::from_nanos(1)).as_str());
    }

    #[test]
    fn a_path_fits_under_its_folders_only() {
        let under = |p: &str| Wanted {
            under: Some(FileName::parse(p).unwrap()),
            ..Wanted::default()
        };
        let name = FileName::parse("submissions/alice/essay.pdf").unwrap();
        assert!(Wanted::default().path_fits(&name));
        assert!(under("submissions").path_fits(&name));
        assert!(under("submissions/alice").path_fits(&name));
        assert!(under("submissions/alice/essay.pdf").path_fits(&name));
        assert!(!under("submissions/al").path_fits(&name));
        assert!(!under("submissions/bob").path_fits(&name));
    }
}
