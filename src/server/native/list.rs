//! `list`: the entries under a path (one level, or the whole tree with `recursive`), optionally
//! only those whose last component matches a glob. Streamed: each entry is written as the
//! store's walk reaches it, so a listing of any size never becomes one message on either side
//! (the reply buffer goes out whenever it fills); the last line is the count, or the error that
//! stopped the walk.

use std::io::Write;

use super::{peer_error, Handled, Session};
use crate::error::Error;
use crate::protocol::ListEnd;

impl Session<'_> {
    pub(super) fn list(&mut self, path: Option<String>, recursive: bool, pattern: Option<String>) -> Handled {
        let shown = path.clone().or_else(|| pattern.clone());
        let from = match path.as_deref().map(|p| self.name(p)).transpose() {
            Ok(from) => from,
            Err(e) => return Handled::new(shown, 0, self.reply_error(e)),
        };
        let glob = match crate::store::listing_glob(pattern.as_deref()) {
            Ok(g) => g,
            Err(e) => return Handled::new(shown, 0, self.reply_error(e)),
        };
        let (svc, who) = (self.svc, &self.who);
        let mut sent = 0u64;
        let mut lost: Option<Error> = None;
        let stream = &mut self.stream;
        let mut line = Vec::with_capacity(256);
        let walked = svc.walk(who, from.as_ref(), recursive, &mut |entry| {
            if glob.as_ref().is_some_and(|g| !g.matches(entry.name.leaf())) {
                return Ok(());
            }
            line.clear();
            crate::service::write_json(&mut line, &entry);
            line.push(b'\n');
            stream.write_all(&line).map_err(|e| {
                let err = peer_error("cannot send the listing", &e);
                lost = Some(err.clone());
                err
            })?;
            sent += 1;
            Ok(())
        });
        self.end_stream(shown, walked.map(|_| sent), lost)
    }

    /// Ends a streamed answer (lines already sent): the [`ListEnd`] with the `count` sent, or
    /// the error that stopped it; nothing when the connection broke (`lost`).
    pub(super) fn end_stream(
        &mut self,
        shown: Option<String>,
        count: Result<u64, Error>,
        lost: Option<Error>,
    ) -> Handled {
        match (count, lost) {
            // The connection broke: nobody to tell.
            (_, Some(err)) => Handled::new(shown, 0, Err(err)).closing(),
            (Ok(count), None) => {
                let result = self.reply(&ListEnd { ok: true, count });
                Handled::new(shown, 0, result)
            }
            (Err(e), None) => {
                let result = self.reply_error(e);
                Handled::new(shown, 0, result)
            }
        }
    }
}
