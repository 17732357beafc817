//! `stat`: what the server holds under a name: the stored file or directory, and the bytes of
//! a resumable partial upload.

use super::{Handled, Session};
use crate::protocol::StatReply;

impl Session<'_> {
    pub(super) fn stat(&mut self, name: String) -> Handled {
        let held = self.name(&name).and_then(|n| self.svc.stat(&self.who, &n));
        let result = match held {
            Ok((entry, partial)) => self.reply(&StatReply {
                ok: true,
                file: entry.as_ref().map(crate::service::wire),
                partial,
            }),
            Err(e) => self.reply_error(e),
        };
        Handled::new(Some(name), 0, result)
    }
}
