//! Validated file names. Every name that comes from the wire or the command line is parsed
//! here, once, into a [`FileName`]; nothing downstream handles raw strings, and the store joins
//! only `FileName`s onto its directory. This module does no I/O.

use std::fmt;

use crate::error::{Error, ErrorKind};

/// The longest name, in bytes, that any configuration allows (most file systems' limit).
pub const MAX_NAME_BYTES: usize = 255;

/// The store keeps its own data in a directory of this name; it is not a valid file name.
pub const RESERVED: &str = ".nf";

/// A name in nf's flat namespace: 1..=255 bytes of UTF-8, not `.` or `..` or `.nf`, no `/`,
/// `\`, NUL or other control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileName(String);

impl FileName {
    /// Checks `raw` against the naming rules with the default length limit.
    pub fn parse(raw: &str) -> Result<FileName, Error> {
        FileName::parse_with_limit(raw, MAX_NAME_BYTES)
    }

    /// Checks `raw` against the naming rules, allowing at most `max_bytes` bytes.
    pub fn parse_with_limit(raw: &str, max_bytes: usize) -> Result<FileName, Error> {
        let bad = |why: &str| Error::new(ErrorKind::BadName, format!("invalid name {}: {why}", quote(raw)));
        if raw.is_empty() {
            return Err(bad("names cannot be empty"));
        }
        if raw == "." || raw == ".." {
            return Err(bad("`.` and `..` are not file names"));
        }
        if raw == RESERVED {
            return Err(bad("`.nf` is reserved for the server's own data"));
        }
        let limit = max_bytes.min(MAX_NAME_BYTES);
        if raw.len() > limit {
            return Err(bad(&format!(
                "names are at most {limit} bytes (this one has {})",
                raw.len()
            )));
        }
        if raw.contains('/') || raw.contains('\\') {
            return Err(bad("names cannot contain `/` or `\\` (there are no folders)"));
        }
        if raw.chars().any(char::is_control) {
            return Err(bad("names cannot contain control characters"));
        }
        Ok(FileName(raw.to_string()))
    }

    /// Checks a name given as raw bytes (for example a local file name that may not be UTF-8).
    pub fn parse_bytes(raw: &[u8]) -> Result<FileName, Error> {
        FileName::parse_bytes_with_limit(raw, MAX_NAME_BYTES)
    }

    /// Checks a name given as raw bytes, allowing at most `max_bytes` bytes.
    pub fn parse_bytes_with_limit(raw: &[u8], max_bytes: usize) -> Result<FileName, Error> {
        match std::str::from_utf8(raw) {
            Ok(s) => FileName::parse_with_limit(s, max_bytes),
            Err(_) => Err(Error::new(
                ErrorKind::BadName,
                format!(
                    "invalid name {}: names must be valid UTF-8",
                    quote(&String::from_utf8_lossy(raw))
                ),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Quotes a string for messages and logs: control characters and quotes are escaped, so a
/// client-provided string can never forge a log line or move the terminal cursor.
pub fn quote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 2);
    out.push('"');
    for c in raw.chars() {
        if c == '"' || c == '\\' || c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for ok in [
            "a",
            "corona.jpg",
            ".hidden",
            "naïve café.txt",
            "a b",
            "..a",
            "x".repeat(255).as_str(),
        ] {
            assert_eq!(FileName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_every_bad_name() {
        let long = "x".repeat(256);
        for bad in [
            "",
            ".",
            "..",
            ".nf",
            "a/b",
            "../../etc/passwd",
            "/etc/passwd",
            "a\\b",
            "a\0b",
            "a\nb",
            "\u{7f}",
            long.as_str(),
        ] {
            let err = FileName::parse(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::BadName, "{bad:?}");
        }
        assert_eq!(
            FileName::parse_bytes(b"a\xffb").unwrap_err().kind,
            ErrorKind::BadName
        );
        assert_eq!(
            FileName::parse_with_limit("abcd", 3).unwrap_err().kind,
            ErrorKind::BadName
        );
    }

    #[test]
    fn quote_escapes_control_characters() {
        assert_eq!(quote("a\nb\x1b[2J\""), r#""a\nb\u{1b}[2J\"""#);
    }
}
