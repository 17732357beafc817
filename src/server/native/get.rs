//! `get`: a stored file from an offset: the reply with the file's size and BLAKE3 (as recorded
//! on the version opened), then exactly the bytes from the offset to its end.

use std::io::{self, BufReader, Read, Write};

use super::{peer_error, Handled, Session};
use crate::error::{Error, ErrorKind};
use crate::hashpipe::CHUNK;
use crate::name::quote;
use crate::protocol::GetReply;
use crate::store::Content;

/// Bodies up to this size are copied through the reply buffer (so many small files share
/// packets); larger ones go from the file to the socket directly (see `send_body`).
const SMALL_BODY: u64 = 64 * 1024;

impl Session<'_> {
    pub(super) fn get(&mut self, name: String, offset: u64) -> Handled {
        let opened = self.name(&name).and_then(|n| self.svc.store.read(&n, offset));
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
        if let Err(e) = self.reply(&GetReply {
            ok: true,
            file: info,
            offset,
        }) {
            return Handled::new(Some(name), 0, Err(e)).closing();
        }
        match self.send_body(content, body) {
            Ok(sent) => Handled::new(Some(name), sent, Ok(())),
            Err((sent, e)) => Handled::new(Some(name), sent, Err(e)).closing(),
        }
    }

    /// Sends `body` bytes of `content` (already at the offset asked for); on failure, says how
    /// many went out.
    fn send_body(&mut self, content: Content, body: u64) -> Result<u64, (u64, Error)> {
        let (copied, sent) = if body > SMALL_BODY {
            // Straight to the socket, CHUNK bytes at a time, from a file or the object store
            // alike: io::copy moves a BufReader's whole buffer per write. Without it std reads
            // and sends 8 KiB at a time (it has no sendfile path towards a socket): 1 GiB to
            // `nf get -o -` took 465-483 ms that way and 381-419 ms with CHUNK, and a file not
            // in the page cache (one uploaded with O_DIRECT) reads at the disk's speed with
            // large reads only. sendfile(2) was slower on loopback; see bench/RESULTS.md.
            if let Err(e) = self.stream.flush() {
                return Err((0, peer_error("download interrupted", &e)));
            }
            let mut to = Counting::new(self.stream.transport());
            let mut from = BufReader::with_capacity(CHUNK, content.take(body));
            (io::copy(&mut from, &mut to), to.sent)
        } else {
            let mut to = Counting::new(&mut self.stream);
            (io::copy(&mut content.take(body), &mut to), to.sent)
        };
        match copied {
            Ok(n) if n < body => Err((
                sent,
                Error::new(ErrorKind::Other, "the stored file shrank while it was being sent"),
            )),
            Ok(_) => Ok(sent),
            Err(e) => Err((sent, peer_error("download interrupted", &e))),
        }
    }
}

/// A writer that counts the bytes it passed on, so that a download cut off can be logged with
/// the bytes that really went out.
struct Counting<W> {
    inner: W,
    sent: u64,
}

impl<W: Write> Counting<W> {
    fn new(inner: W) -> Counting<W> {
        Counting { inner, sent: 0 }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sent += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
