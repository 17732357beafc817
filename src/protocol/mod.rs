//! The native wire protocol and nothing else: the greeting, the message types, and reading
//! and writing one header line and its raw body over any `Read`/`Write`. No file system, no
//! threads, no sockets. docs/PROTOCOL.md documents every byte; keep the two in step.
//!
//! Shape: the client opens with the line `NF/1`, then every message is one JSON object on one
//! line (`\n`-terminated, at most `max_header_bytes`), and `put` requests and `get` replies are
//! followed by exactly the number of raw bytes their header declares (or, for a `put` of a
//! stream of unknown length, by length-prefixed chunks: [`chunk`]).

mod chunk;
mod line;
mod messages;

pub use chunk::{read_chunk_header, write_chunk_header, MAX_CHUNK};
pub use line::{read_line, read_line_by, read_message, read_message_by, write_message, LineError};
pub use messages::{
    mode_text, parse_mode, EntryType, ErrorReply, FileInfo, GetReply, HelloReply, LinkReply, ListEnd,
    ListingJson, MvReply, Notice, PutReply, Request, RmReply, ShareInfo, ShareReply, SharesReply, StatReply,
    Trailer,
};

/// The protocol version this build speaks.
pub const VERSION: u32 = 1;

/// The greeting prefix; the client's first line is `NF/<version>`.
pub const MAGIC: &[u8] = b"NF/";

/// The port nf uses when an address does not name one.
pub const DEFAULT_PORT: u16 = 8889;

/// The default limit on one header line, in bytes.
pub const DEFAULT_MAX_HEADER: usize = 64 * 1024;

/// The greeting line a client of this version sends.
pub fn greeting() -> String {
    format!("NF/{VERSION}\n")
}

/// Parses a greeting line (without its `\n`); returns the version it names.
pub fn parse_greeting(line: &[u8]) -> Option<u32> {
    let rest = line.strip_prefix(MAGIC)?;
    let text = std::str::from_utf8(rest).ok()?;
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The software name and version sent in the handshake.
pub fn software() -> String {
    format!("nf {}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_round_trips() {
        assert_eq!(greeting(), "NF/1\n");
        assert_eq!(parse_greeting(b"NF/1"), Some(1));
        assert_eq!(parse_greeting(b"NF/22\r"), Some(22));
        assert_eq!(parse_greeting(b"NF/"), None);
        assert_eq!(parse_greeting(b"NF/x"), None);
        assert_eq!(parse_greeting(b"list"), None);
    }
}
