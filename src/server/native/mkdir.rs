//! `mkdir`: creates a directory and the missing ones above it (one that exists is fine),
//! unless the server is read-only.

use super::{read_only_error, Handled, Session};
use crate::protocol::RmReply;

impl Session<'_> {
    pub(super) fn mkdir(&mut self, name: String) -> Handled {
        let made = self.name(&name).and_then(|n| {
            if self.svc.settings.read_only {
                return Err(read_only_error());
            }
            self.svc.store.mkdir(&n)
        });
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
