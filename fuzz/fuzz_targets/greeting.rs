//! The greeting: the first line of a connection, read with a 64-byte limit and parsed by
//! `parse_greeting`. Anything accepted is exactly `NF/` + 1 to 9 ASCII digits (+ an optional
//! `\r`), fits the limit, and its version re-serializes to a greeting that parses back equal.

#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use nf::protocol::{parse_greeting, read_line, MAGIC};

/// The limit `server/conn.rs` reads the greeting line with.
const GREETING_MAX: usize = 64;

fn check(line: &[u8]) {
    let Some(version) = parse_greeting(line) else {
        return;
    };
    let digits = line
        .strip_prefix(MAGIC)
        .expect("an accepted greeting starts with NF/");
    let digits = digits.strip_suffix(b"\r").unwrap_or(digits);
    assert!(
        !digits.is_empty() && digits.len() <= 9 && digits.iter().all(u8::is_ascii_digit),
        "accepted a greeting that is not NF/<1-9 digits>: {line:?}"
    );
    let text = std::str::from_utf8(digits).unwrap();
    assert_eq!(u64::from(version), text.parse::<u64>().unwrap());
    let again = format!("NF/{version}");
    assert_eq!(parse_greeting(again.as_bytes()), Some(version));
    assert!(again.len() < GREETING_MAX);
}

fuzz_target!(|data: &[u8]| {
    // The parser on its own, on any bytes…
    check(data);
    // …and as the server uses it: the first line of the stream, bounded.
    let mut reader = Cursor::new(data);
    let mut line = Vec::new();
    if read_line(&mut reader, GREETING_MAX, &mut line).is_ok() {
        assert!(line.len() <= GREETING_MAX);
        assert!(!line.contains(&b'\n'));
        check(&line);
    }
});
