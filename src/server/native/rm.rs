//! `rm`: deletes a stored file (and its interrupted uploads), or with `recursive` a directory
//! and everything in it, unless the server is read-only.

use super::{read_only_error, Handled, Session};
use crate::protocol::RmReply;

impl Session<'_> {
    pub(super) fn rm(&mut self, name: String, recursive: bool) -> Handled {
        let removed = self.name(&name).and_then(|n| {
            if self.svc.settings.read_only {
                return Err(read_only_error());
            }
            self.svc.store.remove(&n, recursive)
        });
        let result = match removed {
            Ok(_) => self.reply(&RmReply {
                ok: true,
                name: name.clone(),
            }),
            Err(e) => self.reply_error(e),
        };
        Handled::new(Some(name), 0, result)
    }
}
