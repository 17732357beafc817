//! What every dialect served by a worker does with bodies and connections alike: sending a
//! stored file's content (small ones through the reply buffer, large ones from the file
//! straight to the connection), telling a client that hung up from a failure, and closing
//! politely. Shared by the native protocol and HTTP, so a download takes
//! the same path in both (`peer_error` and `Counting` live in the transport, which the old text
//! dialects use too).

use std::io::{self, BufReader, Read, Write};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind};
use crate::hashpipe::CHUNK;
use crate::transport::Stream;
pub use crate::transport::{peer_error, Counting};

/// Bodies up to this size are copied through the reply buffer (so many small files share
/// packets); larger ones go from the file to the socket directly (see [`send`]).
pub const SMALL_BODY: u64 = 64 * 1024;

/// Sends `body` bytes of `content` (already at the offset asked for) after whatever the reply
/// buffer holds; on failure, says how many went out.
pub fn send(stream: &mut Stream, content: impl Read, body: u64) -> Result<u64, (u64, Error)> {
    let (copied, sent) = if body > SMALL_BODY {
        // Straight to the socket, CHUNK bytes at a time, from a file or the object store
        // alike: io::copy moves a BufReader's whole buffer per write. Without it std reads
        // and sends 8 KiB at a time (it has no sendfile path towards a socket): 1 GiB to
        // `nf get -o -` took 465-483 ms that way and 381-419 ms with CHUNK, and a file not
        // in the page cache (one uploaded with O_DIRECT) reads at the disk's speed with
        // large reads only. sendfile(2) was slower on loopback; see bench/RESULTS.md.
        if let Err(e) = stream.flush() {
            return Err((0, peer_error("download interrupted", &e)));
        }
        let mut to = Counting::new(stream.transport());
        let mut from = BufReader::with_capacity(CHUNK, content.take(body));
        (io::copy(&mut from, &mut to), to.sent)
    } else {
        let mut to = Counting::new(stream);
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

/// The error for an upload body cut off after `got` bytes (of `want`, if known) by `e`.
pub fn cut_error(got: u64, want: Option<u64>, e: &io::Error) -> Error {
    let of = want.map(|w| format!(" of {w}")).unwrap_or_default();
    peer_error(&format!("upload interrupted after {got}{of} bytes"), e)
}

/// Closes politely: flush the last reply, send FIN, then read and drop what the client is
/// still sending (bounded in bytes and time), so that closing does not reset the connection
/// before the client has read the reply.
pub fn linger(mut stream: Stream) {
    let _ = stream.flush();
    let mut t = stream.into_transport();
    t.shutdown(std::net::Shutdown::Write);
    let mut left: usize = 4 << 20;
    let mut sink = [0u8; 16 * 1024];
    let until = Instant::now() + Duration::from_millis(500);
    while left > 0 && Instant::now() < until {
        match t.read_within(&mut sink, until.saturating_duration_since(Instant::now())) {
            Ok(Some(0)) | Ok(None) | Err(_) => break,
            Ok(Some(n)) => left = left.saturating_sub(n),
        }
    }
}
