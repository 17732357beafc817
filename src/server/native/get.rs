//! `get`: a stored file from an offset: the reply with the file's size and BLAKE3 (as recorded
//! on the version opened), then exactly the bytes from the offset to its end.

use super::{Handled, Session};
use crate::error::{Error, ErrorKind};
use crate::name::quote;
use crate::protocol::GetReply;
use crate::server::body;

impl Session<'_> {
    pub(super) fn get(&mut self, name: String, offset: u64) -> Handled {
        let opened = self
            .name(&name)
            .and_then(|n| self.svc.read(&self.who, &n, offset));
        let (content, info) = match opened {
            Ok((content, entry)) => (content, crate::service::wire(&entry)),
            Err(e) => return Handled::new(Some(name), 0, self.reply_error(e)),
        };
        if offset > info.size {
            let err = Error::new(
                ErrorKind::Protocol,
                format!(
                    "offset {offset} is past the end of {} ({} bytes)",
                    quote(&name),
                    info.size
                ),
            );
            return Handled::new(Some(name), 0, self.reply_error(err));
        }
        let body = info.size - offset;
        // A file sent through a share link is one of its uses (counted before it goes).
        self.svc.share_used(&self.who);
        if let Err(e) = self.reply(&GetReply {
            ok: true,
            file: info,
            offset,
        }) {
            return Handled::new(Some(name), 0, Err(e)).closing();
        }
        match body::send(&mut self.stream, content, body) {
            Ok(sent) => Handled::new(Some(name), sent, Ok(())),
            Err((sent, e)) => Handled::new(Some(name), sent, Err(e)).closing(),
        }
    }
}
