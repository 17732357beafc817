//! Server replies, as the client parses them (a hostile server is input too): one line, parsed
//! to a JSON value, then to the reply type the client expects. No panic; whatever parses
//! re-serializes and parses back equal.

#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use nf::protocol::{ErrorReply, FileInfo, GetReply, HelloReply, ListReply, PutReply, RmReply, StatReply};
use serde::de::DeserializeOwned;
use serde::Serialize;

fn check<T: DeserializeOwned + Serialize + PartialEq + Debug>(value: &serde_json::Value) {
    let Ok(reply) = serde_json::from_value::<T>(value.clone()) else {
        return;
    };
    let wire = serde_json::to_vec(&reply).expect("a reply serializes");
    assert!(!wire.contains(&b'\n'), "a serialized reply is one line");
    let again: T = serde_json::from_slice(&wire).unwrap_or_else(|e| panic!("{reply:?}: {e}"));
    assert_eq!(again, reply);
}

fuzz_target!(|line: &[u8]| {
    // The client reads replies with `read_line`, so a line never holds `\n`.
    if line.contains(&b'\n') {
        return;
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
        return;
    };
    check::<HelloReply>(&value);
    check::<ErrorReply>(&value);
    check::<PutReply>(&value);
    check::<GetReply>(&value);
    check::<StatReply>(&value);
    check::<ListReply>(&value);
    check::<FileInfo>(&value);
    check::<RmReply>(&value);
});
