//! `receipts`: the recorded uploads under a path that the principal may see, one signed receipt
//! per line in order of commit time, then a [`ListEnd`](crate::protocol::ListEnd). Streamed as
//! the operations layer reads the records, one batch at a time.

use std::io::Write;

use super::{peer_error, Handled, Session};
use crate::error::{Error, ErrorKind};
use crate::service::Wanted;

impl Session<'_> {
    pub(super) fn receipts(
        &mut self,
        path: Option<String>,
        since: Option<String>,
        by: Option<String>,
    ) -> Handled {
        let shown = path.clone();
        let wanted = match self.wanted(path, since, by) {
            Ok(w) => w,
            Err(e) => return Handled::new(shown, 0, self.reply_error(e)),
        };
        let (svc, who) = (self.svc, &self.who);
        let mut lost: Option<Error> = None;
        let stream = &mut self.stream;
        let mut line = Vec::with_capacity(1024);
        let sent = svc.receipts(who, &wanted, &mut |receipt| {
            line.clear();
            serde_json::to_writer(&mut line, &receipt).expect("receipts serialize");
            line.push(b'\n');
            stream.write_all(&line).map_err(|e| {
                let err = peer_error("cannot send the receipts", &e);
                lost = Some(err.clone());
                err
            })
        });
        self.end_stream(shown, sent, lost)
    }

    /// What the request asks for, its path and time checked.
    fn wanted(
        &self,
        path: Option<String>,
        since: Option<String>,
        by: Option<String>,
    ) -> Result<Wanted, Error> {
        let under = path.as_deref().map(|p| self.name(p)).transpose()?;
        let since = since
            .map(|t| {
                crate::human::parse_rfc3339(&t).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Protocol,
                        format!("since: {t:?} is not a time in RFC 3339, UTC"),
                    )
                })
            })
            .transpose()?;
        Ok(Wanted { under, since, by })
    }
}
