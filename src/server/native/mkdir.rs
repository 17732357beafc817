//! `mkdir`: creates a directory and the missing ones above it (one that exists is fine),
//! if the policy allows (not on a read-only server).

use super::{Handled, Session};
use crate::protocol::RmReply;

impl Session<'_> {
    pub(super) fn mkdir(&mut self, name: String) -> Handled {
        let made = self.name(&name).and_then(|n| self.svc.mkdir(&self.who, &n));
        let result = match made {
            Ok(_) => self.reply(&RmReply {
                ok: true,
                name: name.clone(),
            }),
            Err(e) => self.reply_error(e),
        };
        Handled::new(Some(name), 0, result)
    }
}
