//! Request header lines: a pipelined stream of lines read with `read_message::<Request>` over
//! a `Cursor` with a small limit, as `server/conn.rs` does. No panic; a line is never longer
//! than the limit; the reader never consumes past the line's `\n` (the body follows it); a
//! parsed request re-serializes to one line that parses back equal, with the same `op`.

#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use nf::protocol::{read_message, write_message, LineError, Request};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the limit (0..=1020), so that too-long lines are common.
    let Some((&limit, stream)) = data.split_first() else {
        return;
    };
    let max = usize::from(limit) * 4;
    let mut reader = Cursor::new(stream);
    let mut buf = Vec::new();
    for _ in 0..256 {
        let start = reader.position() as usize;
        let result = read_message::<Request>(&mut reader, max, &mut buf);
        assert!(
            buf.len() <= max,
            "a line of {} bytes passed a limit of {max}",
            buf.len()
        );
        match result {
            Ok(request) => {
                let end = reader.position() as usize;
                assert_eq!(end, start + buf.len() + 1, "consumed past the line");
                assert_eq!(stream[end - 1], b'\n');
                round_trip(&request);
            }
            // A malformed line is answered and the connection closed; reading on still must
            // not panic, so go on to exercise the next line.
            Err(LineError::Invalid(_)) => {}
            Err(LineError::Closed) => {
                assert_eq!(start, stream.len());
                break;
            }
            Err(LineError::Truncated) => {
                assert!(stream.len() - start <= max && !stream[start..].contains(&b'\n'));
                break;
            }
            Err(LineError::TooLong(m)) => {
                assert_eq!(m, max);
                let line_len = stream[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(stream.len() - start);
                assert!(
                    line_len > max,
                    "refused a {line_len}-byte line under a limit of {max}"
                );
                break;
            }
            Err(LineError::Io(e)) => panic!("a Cursor cannot fail: {e}"),
        }
    }
});

fn round_trip(request: &Request) {
    let mut wire = Vec::new();
    write_message(&mut wire, request).expect("a request serializes");
    assert_eq!(wire.last(), Some(&b'\n'));
    assert_eq!(
        wire.iter().filter(|&&b| b == b'\n').count(),
        1,
        "a serialized request is exactly one line"
    );
    let value: serde_json::Value = serde_json::from_slice(&wire).unwrap();
    assert_eq!(value["op"], request.op());
    let mut buf = Vec::new();
    let again: Request = read_message(&mut Cursor::new(&wire), wire.len(), &mut buf)
        .unwrap_or_else(|e| panic!("{request:?} does not parse back: {e}"));
    assert_eq!(&again, request);
}
