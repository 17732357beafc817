//! HTTP request heads as the server reads them: `head::end` over a growing buffer (as the
//! front door sees bytes arrive) and `head::parse` (httparse, then nf's own rules: one Host,
//! body framing) of what it finds, with a fuzzer-chosen limit on the number of fields.
//! Invariants: no panic; once a head's end is found, more bytes never move it, and it lies
//! after an empty line within the buffer; a parsed head has at most the limit of fields, its
//! body framing is decided, and written out again it parses back to the same head.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nf::server::http_fuzzing::{end, parse};

fuzz_target!(|data: &[u8]| {
    let Some((&limit, data)) = data.split_first() else {
        return;
    };
    let max_fields = usize::from(limit % 32) + 1;
    let data = &data[..data.len().min(8192)];
    let mut found: Option<usize> = None;
    for cut in 0..=data.len() {
        let at = end(&data[..cut]);
        if let Some(first) = found {
            assert_eq!(at, Some(first), "more bytes moved the end of the head");
            continue;
        }
        if let Some(n) = at {
            assert!(n <= cut, "the end is past the bytes");
            let head = &data[..n];
            assert!(head.ends_with(b"\n\n") || head.ends_with(b"\n\r\n"), "no empty line at the end");
            found = Some(n);
        }
    }
    let Some(n) = found else { return };
    let Ok(head) = parse(&data[..n], max_fields) else {
        return;
    };
    let fields: Vec<(&str, &[u8])> = head.fields().collect();
    assert!(fields.len() <= max_fields);
    assert!(head.body().is_ok(), "a parsed head has a body framing");
    let mut again = format!("{} {} HTTP/1.{}\r\n", head.method.as_str(), head.target, head.minor).into_bytes();
    for (name, value) in &fields {
        again.extend_from_slice(name.as_bytes());
        again.extend_from_slice(b": ");
        again.extend_from_slice(value);
        again.extend_from_slice(b"\r\n");
    }
    again.extend_from_slice(b"\r\n");
    assert_eq!(end(&again), Some(again.len()));
    let reparsed = parse(&again, max_fields).expect("a head written out again parses");
    assert_eq!(reparsed, head, "the head changed when written out again");
});
