//! `read_line_by` under arbitrary chunking: the fuzzer picks the line limit, how the stream is
//! cut into reads (including `Interrupted` and `TimedOut` errors between them) and the bytes.
//! Every result must equal that of a simple model that splits the whole stream at `\n`: the
//! framing does not depend on how TCP delivers the bytes. The reader never returns more than
//! `max` bytes, never a `\n`, and never consumes past the end of the line (the body follows).

#![no_main]

use std::io::{self, BufRead, Read};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use nf::protocol::{read_line_by, LineError};

/// A reader that hands out the stream in fuzzer-chosen pieces.
struct Chunky<'a> {
    data: &'a [u8],
    pos: usize,
    /// End of the piece currently offered by `fill_buf`.
    end: usize,
    sizes: &'a [u8],
    next: usize,
    /// A `TimedOut` error was returned since the last reset.
    timed_out: bool,
    /// The last call returned an error: the next one delivers bytes (no endless errors).
    errored: bool,
}

impl BufRead for Chunky<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end && self.pos < self.data.len() {
            let size = if self.sizes.is_empty() {
                usize::MAX
            } else {
                let s = self.sizes[self.next % self.sizes.len()];
                self.next += 1;
                match (s, std::mem::take(&mut self.errored)) {
                    (0 | 1, true) => 1,
                    (0, false) => {
                        self.errored = true;
                        return Err(io::ErrorKind::Interrupted.into());
                    }
                    (1, false) => {
                        self.errored = true;
                        self.timed_out = true;
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                    (s, _) => usize::from(s - 1),
                }
            };
            self.end = self.pos.saturating_add(size).min(self.data.len());
        }
        Ok(&self.data[self.pos..self.end])
    }

    fn consume(&mut self, n: usize) {
        assert!(n <= self.end - self.pos, "consumed more than was offered");
        self.pos += n;
    }
}

impl Read for Chunky<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let piece = self.fill_buf()?;
        let n = piece.len().min(out.len());
        out[..n].copy_from_slice(&piece[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// What reading one line from `rest` must give.
enum Expected<'a> {
    Line(&'a [u8]),
    Closed,
    Truncated,
    TooLong,
}

fn model(rest: &[u8], max: usize) -> Expected<'_> {
    match rest.iter().position(|&b| b == b'\n') {
        Some(i) if i <= max => Expected::Line(&rest[..i]),
        Some(_) => Expected::TooLong,
        None if rest.is_empty() => Expected::Closed,
        None if rest.len() > max => Expected::TooLong,
        None => Expected::Truncated,
    }
}

fuzz_target!(|data: &[u8]| {
    // Layout: [max] [n] [n chunk sizes] [stream…]
    let [limit, n, rest @ ..] = data else {
        return;
    };
    let n = usize::from(*n).min(rest.len());
    let (sizes, stream) = rest.split_at(n);
    let max = usize::from(*limit);
    let mut reader = Chunky {
        data: stream,
        pos: 0,
        end: 0,
        sizes,
        next: 0,
        timed_out: false,
        errored: false,
    };
    let far = Instant::now() + Duration::from_secs(3600);
    let mut buf = Vec::new();
    for round in 0..1024 {
        let start = reader.pos;
        reader.timed_out = false;
        let deadline = (round % 2 == 1).then_some(far);
        let result = read_line_by(&mut reader, max, &mut buf, deadline);
        assert!(
            buf.len() <= max,
            "returned {} bytes under a limit of {max}",
            buf.len()
        );
        assert!(
            reader.pos - start <= max + 1,
            "read {} bytes of one line",
            reader.pos - start
        );
        if let Err(LineError::Io(e)) = &result {
            assert_eq!(e.kind(), io::ErrorKind::TimedOut);
            assert!(reader.timed_out, "an I/O error the reader never gave");
            return;
        }
        match (model(&stream[start..], max), result) {
            (Expected::Line(line), Ok(())) => {
                assert_eq!(buf, line);
                assert_eq!(reader.pos, start + line.len() + 1, "consumed past the line");
            }
            (Expected::Closed, Err(LineError::Closed)) => return,
            (Expected::Truncated, Err(LineError::Truncated)) => return,
            (Expected::TooLong, Err(LineError::TooLong(m))) => {
                assert_eq!(m, max);
                return;
            }
            (_, other) => panic!("at byte {start} with max {max}: got {other:?}, the model disagrees"),
        }
    }
});
