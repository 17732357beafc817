//! The old dialects' streaming base64: the decoder fed in fuzzer-chosen pieces, and the MIME
//! encoder the seed download uses. Invariants: no panic on any text; encoding then decoding in
//! any split gives back the bytes; whitespace anywhere does not change a decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nf::compat::fuzzing::{decode, encode_mime};

fuzz_target!(|data: &[u8]| {
    let (cuts, payload) = data.split_at(data.len().min(8));
    // Arbitrary text: any result, never a panic.
    let pieces = split(payload, cuts);
    let _ = decode(&pieces);
    // Round trip through the MIME layout, split anywhere.
    let text = encode_mime(payload);
    let pieces = split(&text, cuts);
    assert_eq!(decode(&pieces).as_deref(), Ok(payload));
});

/// Splits `text` at offsets derived from `cuts`.
fn split<'a>(text: &'a [u8], cuts: &[u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = text;
    for &c in cuts {
        let at = (c as usize).min(rest.len());
        let (a, b) = rest.split_at(at);
        pieces.push(a);
        rest = b;
    }
    pieces.push(rest);
    pieces
}
