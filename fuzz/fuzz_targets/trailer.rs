//! The trailer after a put body: one line read with `read_message::<Trailer>`. No panic; the
//! line is bounded by the limit; the reader stops right after its `\n`; a parsed trailer
//! re-serializes and parses back equal.

#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use nf::protocol::{read_message, write_message, Trailer};

fuzz_target!(|data: &[u8]| {
    let Some((&limit, stream)) = data.split_first() else {
        return;
    };
    let max = usize::from(limit) * 2;
    let mut reader = Cursor::new(stream);
    let mut buf = Vec::new();
    let result = read_message::<Trailer>(&mut reader, max, &mut buf);
    assert!(buf.len() <= max);
    let Ok(trailer) = result else {
        return;
    };
    assert_eq!(
        reader.position() as usize,
        buf.len() + 1,
        "consumed past the trailer line"
    );
    let mut wire = Vec::new();
    write_message(&mut wire, &trailer).unwrap();
    let again: Trailer = read_message(&mut Cursor::new(&wire), wire.len(), &mut buf).unwrap();
    assert_eq!(again, trailer);
});
