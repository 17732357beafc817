//! What every dialect served by a worker does with bodies and connections alike: sending a
//! stored file's content (small ones through the reply buffer, large ones from the file
//! straight to the connection), telling a client that hung up from a failure, and closing
//! politely, and the refusals of an upload decided before its body is read (too large for the
//! limit or for the free space). Shared by the native protocol and HTTP, so a download takes
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

/// Bodies at least this large are checked against the store's free space before they are
/// read; a smaller one that does not fit fails as it is written (`no_space`).
const FREE_CHECK_MIN: u64 = 1 << 20;

/// True when a body of `len` bytes is checked against the store's free space before it is
/// read (statvfs is cheap, but a batch of small files need not ask at all).
pub fn needs_free_check(len: u64) -> bool {
    len >= FREE_CHECK_MIN
}

/// Why a put must be refused before its body is read, if it must: an offset past its size, a
/// size over `max_file_size`, an offset on a stream, or a body larger than the store's `free`
/// space (when known). scp and rsync fail as fast.
pub fn refuse_before_body(
    size: Option<u64>,
    offset: u64,
    max_file_size: u64,
    free: Option<u64>,
) -> Option<Error> {
    match size {
        Some(size) if offset > size => Some(Error::new(
            ErrorKind::Protocol,
            format!("offset {offset} is past the end of a {size}-byte file"),
        )),
        Some(size) if size > max_file_size => Some(Error::new(
            ErrorKind::TooLarge,
            format!("{size} bytes is over this server's limit of {max_file_size} bytes"),
        )),
        Some(size) if free.is_some_and(|free| size - offset > free) => Some(Error::new(
            ErrorKind::NoSpace,
            format!(
                "no space on the server for {} more: its storage has {} free; nothing was \
                 stored (free some space there, then try again)",
                crate::human::size(size - offset),
                crate::human::size(free.unwrap_or(0))
            ),
        )),
        None if offset > 0 => Some(Error::new(
            ErrorKind::Protocol,
            "a streamed upload (no size) cannot continue from an offset",
        )),
        _ => None,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The refusals before the body, and their kinds, by size, offset, limit and free space.
    #[test]
    fn a_put_is_refused_before_its_body_when_the_server_cannot_hold_it() {
        let kind = |size, offset, max, free| refuse_before_body(size, offset, max, free).map(|e| e.kind);
        let mib = 1u64 << 20;
        // Fits: within the limit and the free space (or the free space is not known).
        assert_eq!(kind(Some(64 * mib), 0, 1 << 40, Some(64 * mib)), None);
        assert_eq!(kind(Some(64 * mib), 0, 1 << 40, None), None);
        assert_eq!(
            kind(None, 0, 1 << 40, Some(0)),
            None,
            "a stream is checked as it comes"
        );
        // A 64 MiB put to an 8 MiB disk; a resume needs only what is left.
        assert_eq!(
            kind(Some(64 * mib), 0, 1 << 40, Some(8 * mib)),
            Some(ErrorKind::NoSpace)
        );
        assert_eq!(kind(Some(64 * mib), 60 * mib, 1 << 40, Some(8 * mib)), None);
        // The limit first, then the free space; an offset past the end is a protocol error.
        assert_eq!(
            kind(Some(64 * mib), 0, 32 * mib, Some(0)),
            Some(ErrorKind::TooLarge)
        );
        assert_eq!(kind(Some(10), 11, 1 << 40, None), Some(ErrorKind::Protocol));
        assert_eq!(kind(None, 1, 1 << 40, None), Some(ErrorKind::Protocol));
        let err = refuse_before_body(Some(64 * mib), 0, 1 << 40, Some(8 * mib)).unwrap();
        assert_eq!(
            err.message,
            "no space on the server for 64 MiB more: its storage has 8.0 MiB free; nothing was \
             stored (free some space there, then try again)"
        );
    }
}
