//! Receipts for committed uploads ([`crate::receipt`]): signed with the server's identity key,
//! stating the principal who sent the file. Every dialect that can return one asks here.

use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::receipt::{Accepted, Receipt, Signer};
use crate::store::Entry;

use super::{Principal, Service};

impl Service {
    /// Gives the server its identity key to sign receipts with (once, when it binds).
    pub fn set_signer(&self, signer: Signer) {
        let _ = self.signer.set(signer);
    }

    /// The signed receipt for `entry`, committed for `who` at `at`.
    pub fn receipt(&self, who: &Principal, entry: &Entry, at: SystemTime) -> Result<Receipt> {
        let signer = self.signer.get().ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                "this server has no identity key to sign receipts with",
            )
        })?;
        let blake3 = entry
            .blake3
            .map(|h| h.to_hex().to_string())
            .ok_or_else(|| Error::new(ErrorKind::Other, "a receipt is for a file with its BLAKE3"))?;
        signer.sign(&Accepted {
            path: entry.name.as_str().to_string(),
            size: entry.size,
            blake3,
            committed: crate::human::rfc3339_exact(at),
            principal: who.as_str().to_string(),
        })
    }

    /// [`Service::receipt`], or `None` with a log line when the server cannot sign: the file is
    /// committed all the same, and the dialect answers without a receipt (the client says so).
    pub fn receipt_or_log(&self, who: &Principal, entry: &Entry, at: SystemTime) -> Option<Receipt> {
        self.receipt(who, entry, at)
            .map_err(|err| {
                let name = crate::name::quote(entry.name.as_str());
                self.log.line(&format!("receipt for {name}: {}", err.message));
            })
            .ok()
    }
}
