//! `rm`: deletes a stored file (and its interrupted uploads), or with `recursive` a directory
//! and everything in it, if the policy allows (not on a read-only server).

use super::{Handled, Session};
use crate::protocol::RmReply;

impl Session<'_> {
    pub(super) fn rm(&mut self, name: String, recursive: bool) -> Handled {
        let removed = self
            .name(&name)
            .and_then(|n| self.svc.remove(&self.who, &n, recursive));
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
