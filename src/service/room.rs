//! The refusals of an upload decided before its body is read: an offset past its size, over
//! `max_file_size`, or larger than the store's free space. Pure; the operations layer asks it
//! ([`Service::room`](super::Service::room)) for every dialect.

use crate::error::{Error, ErrorKind};

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
