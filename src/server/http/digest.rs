//! The BLAKE3 of a body in HTTP, as an RFC 9530 digest field: `blake3=:BASE64:` (the 32 bytes
//! of the hash in base64 between colons). A PUT may send it in `Content-Digest` (checked
//! before the upload is committed); GET and HEAD answer it in `Repr-Digest`. Other algorithms
//! in the same field are ignored. Pure.

use base64::Engine;

use crate::error::{Error, ErrorKind};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The field value for a BLAKE3.
pub fn field(hash: &blake3::Hash) -> String {
    format!("blake3=:{}:", B64.encode(hash.as_bytes()))
}

/// The BLAKE3 (in hex) a digest field value carries, if it carries one; a `blake3` member
/// that is not 32 bytes of base64 between colons is an error.
pub fn parse(value: &[u8]) -> Result<Option<String>, Error> {
    let value = std::str::from_utf8(value).map_err(|_| bad())?;
    for member in value.split(',') {
        let Some((key, val)) = member.split_once('=') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("blake3") {
            continue;
        }
        let val = val.trim();
        let inner = val
            .strip_prefix(':')
            .and_then(|v| v.strip_suffix(':'))
            .ok_or_else(bad)?;
        let bytes = B64.decode(inner).map_err(|_| bad())?;
        if bytes.len() != 32 {
            return Err(bad());
        }
        return Ok(Some(bytes.iter().map(|b| format!("{b:02x}")).collect()));
    }
    Ok(None)
}

fn bad() -> Error {
    Error::new(
        ErrorKind::Protocol,
        "Content-Digest: blake3 must be the 32-byte hash in base64 between colons, `blake3=:…:`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blake3_digest_field_round_trips_and_others_are_ignored() {
        let hash = blake3::hash(b"hello");
        let hex = hash.to_hex().to_string();
        let value = field(&hash);
        assert_eq!(parse(value.as_bytes()).unwrap(), Some(hex.clone()));
        assert_eq!(
            parse(format!("sha-256=:AAAA:, {value}").as_bytes()).unwrap(),
            Some(hex)
        );
        assert_eq!(parse(b"sha-256=:AAAA:").unwrap(), None);
        for bad in [
            &b"blake3=abc"[..],
            b"blake3=:AAAA:",
            b"blake3=:!!:",
            b"BLAKE3=:",
            b"\xff",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
