//! The framing of a streamed body (a `put` without `size`): chunks, each one line with its
//! length in decimal and then that many raw bytes, ended by the line `0`. A sender writes
//! whatever its source gave it as one chunk; a receiver reads the length lines here and the
//! bytes itself.

use std::io::{self, BufRead, Write};
use std::time::Instant;

use super::line::{read_line_by, LineError};

/// The largest chunk a receiver accepts. Senders use far less (nf sends what one read of its
/// source returned, at most 256 KiB).
pub const MAX_CHUNK: u64 = 16 << 20;

/// Writes the length line of a chunk of `len` bytes (`len == 0` ends the stream).
pub fn write_chunk_header(writer: &mut impl Write, len: usize) -> io::Result<()> {
    writer.write_all(format!("{len}\n").as_bytes())
}

/// Reads the length line of the next chunk; 0 means the stream ended. A line that is not a
/// decimal number, or a length over [`MAX_CHUNK`], is [`LineError::Invalid`].
pub fn read_chunk_header(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    deadline: Option<Instant>,
) -> Result<u64, LineError> {
    read_line_by(reader, 24, buf, deadline)?;
    let text = std::str::from_utf8(buf).unwrap_or("");
    let text = text.strip_suffix('\r').unwrap_or(text);
    let len: u64 = match text.parse() {
        Ok(n) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => {
            return Err(LineError::Invalid(format!(
                "expected a chunk length, got {}",
                crate::name::quote(&String::from_utf8_lossy(buf))
            )))
        }
    };
    if len > MAX_CHUNK {
        return Err(LineError::Invalid(format!(
            "a chunk of {len} bytes is over the limit of {MAX_CHUNK}"
        )));
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_headers_round_trip_and_bad_ones_are_refused() {
        let mut wire = Vec::new();
        for len in [5usize, 0, 1 << 20] {
            write_chunk_header(&mut wire, len).unwrap();
        }
        assert_eq!(wire, b"5\n0\n1048576\n");
        let mut r = io::BufReader::new(&wire[..]);
        let mut buf = Vec::new();
        assert_eq!(read_chunk_header(&mut r, &mut buf, None).unwrap(), 5);
        assert_eq!(read_chunk_header(&mut r, &mut buf, None).unwrap(), 0);
        assert_eq!(read_chunk_header(&mut r, &mut buf, None).unwrap(), 1 << 20);
        for bad in [&b"-1\n"[..], b"\n", b"1e3\n", b"+5\n", b"16777217\n", b" 5\n"] {
            let mut r = io::BufReader::new(bad);
            assert!(
                matches!(
                    read_chunk_header(&mut r, &mut buf, None),
                    Err(LineError::Invalid(_))
                ),
                "{bad:?}"
            );
        }
        let mut r = io::BufReader::new(&b"123456789012345678901234567\n"[..]);
        assert!(matches!(
            read_chunk_header(&mut r, &mut buf, None),
            Err(LineError::TooLong(_))
        ));
    }
}
