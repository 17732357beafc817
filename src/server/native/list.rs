//! `list`: the stored files matching an optional glob, as a count and one line each.

use super::{peer_error, Handled, Session};
use crate::protocol::{self, ListReply};

impl Session<'_> {
    pub(super) fn list(&mut self, pattern: Option<String>) -> Handled {
        let result = match self.svc.store.list(pattern.as_deref()) {
            Ok(files) => {
                let count = files.len() as u64;
                self.reply(&ListReply { ok: true, count }).and_then(|()| {
                    for f in &files {
                        protocol::write_message(&mut self.stream, f)
                            .map_err(|e| peer_error("cannot send the listing", &e))?;
                    }
                    Ok(())
                })
            }
            Err(e) => self.reply_error(e),
        };
        Handled::new(pattern, 0, result)
    }
}
