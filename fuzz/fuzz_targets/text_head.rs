//! The old text dialects' request-head scanner (`compat::scan`), dialect choice and word split,
//! over arbitrary bytes fed as a growing buffer, as the server sees them arrive.
//! Invariants: no panic; every range lies inside the buffer; a head found in a prefix is the
//! same head in any longer buffer that extends it (more bytes never change what was decided).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nf::compat::fuzzing::{head, Head};

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(4096)];
    let mut decided: Option<String> = None;
    for end in 0..=data.len() {
        match head(&data[..end]) {
            Head::More { .. } => {}
            found => {
                let shown = format!("{found:?}");
                match &decided {
                    None => decided = Some(shown),
                    Some(first) => assert_eq!(first, &shown, "a longer buffer changed the head"),
                }
            }
        }
    }
});
