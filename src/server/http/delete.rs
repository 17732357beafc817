//! DELETE of a file (the stored file and its interrupted uploads go, as with `nf rm`), or of a
//! folder with everything in it, as with `nf rm -r` (and WebDAV's DELETE); its WebDAV locks
//! and properties go with it.

use super::head::Head;
use super::response::{write_head, Framing};
use super::{Done, Session};
use crate::name::FileName;

impl Session<'_> {
    pub(super) fn delete(&mut self, head: &Head, name: &FileName) -> Done {
        let shown = Some(name.as_str().to_string());
        let removed = self.svc.remove(&self.who, name, true).map(|_| ());
        if let Err(err) = removed {
            return self.fail(head, shown, err);
        }
        self.svc.dav.forget(name.as_str());
        let keep = self.keep(head);
        let sent = write_head(&mut self.stream, head.minor, 204, &[], Framing::Empty, keep);
        self.done(Some(204), shown, 0, sent, keep)
    }
}
