//! `mv`: renames a file or a directory (creating the directories above the new name),
//! replacing a file only with `force`, if the policy allows (not on a read-only server).

use super::{Handled, Session};
use crate::protocol::MvReply;

impl Session<'_> {
    pub(super) fn mv(&mut self, from: String, to: String, force: bool) -> Handled {
        let moved = self.name(&from).and_then(|f| {
            let t = self.name(&to)?;
            self.svc.rename(&self.who, &f, &t, force)
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
