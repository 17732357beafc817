//! `mv`: renames a file or a directory (creating the directories above the new name),
//! replacing a file only with `force`, unless the server is read-only.

use super::{read_only_error, Handled, Session};
use crate::protocol::MvReply;

impl Session<'_> {
    pub(super) fn mv(&mut self, from: String, to: String, force: bool) -> Handled {
        let moved = self.name(&from).and_then(|f| {
            let t = self.name(&to)?;
            if self.svc.settings.read_only {
                return Err(read_only_error());
            }
            self.svc.store.rename(&f, &t, force)
        });
        let result = match moved {
            Ok(()) => self.reply(&MvReply {
                ok: true,
                from: from.clone(),
                to: to.clone(),
            }),
            Err(e) => self.reply_error(e),
        };
        // The log names both: `"a" -> "b"`.
        Handled::new(Some(format!("{from} -> {to}")), 0, result)
    }
}
