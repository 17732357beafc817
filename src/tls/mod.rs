//! TLS on nf's port: the server's identity ([`identity`]: a long-lived key with a self-signed
//! certificate made on first start, or the operator's own), its fingerprint (the SHA-256 of
//! the public key, `sha256//BASE64` as curl's `--pinnedpubkey` takes it), and how a client
//! decides to trust a server ([`trust`]: a pinned fingerprint, else a certificate that verifies
//! against the system's roots, else trust on first use, recorded in `known_servers`). TLS 1.3
//! only, with rustls and ring. No sockets here: the server's front door and the client drive
//! the sessions.

pub(crate) mod der;
pub mod identity;
pub mod stream;
pub mod trust;

use std::sync::Arc;

use base64::Engine;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;

/// The crypto nf uses (ring, already in the tree for the object store's HTTPS), with
/// AES-128-GCM first: TLS 1.3's mandatory suite, as strong as needed here and cheaper per byte
/// than AES-256-GCM (10 rounds instead of 14), which ring's default puts first. A server
/// follows the client's order, so other clients (curl, browsers) still get what they prefer.
pub fn provider() -> Arc<CryptoProvider> {
    use rustls::crypto::ring::cipher_suite;
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    ];
    Arc::new(provider)
}

/// The fingerprint of a public key: `sha256//` and the base64 of the SHA-256 of its
/// SubjectPublicKeyInfo (DER).
pub fn fingerprint(spki: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, spki);
    format!(
        "sha256//{}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

/// The fingerprint of the key a certificate (DER) carries; `None` if it cannot be parsed.
pub fn fingerprint_of(cert: &CertificateDer<'_>) -> Option<String> {
    der::spki(cert.as_ref()).map(fingerprint)
}

/// True when `text` has the form of a fingerprint (`sha256//` and 44 characters of base64).
pub fn is_fingerprint(text: &str) -> bool {
    text.strip_prefix("sha256//").is_some_and(|b64| {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .is_ok_and(|d| d.len() == 32)
    })
}

/// PEM text of one DER object (`label`: `CERTIFICATE`, `PRIVATE KEY`).
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_curl_pinnedpubkey_strings() {
        // SHA-256 of the empty input, as base64.
        assert_eq!(
            fingerprint(b""),
            "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert!(is_fingerprint(
            "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        ));
        assert!(!is_fingerprint("sha256//abc"));
        assert!(!is_fingerprint("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
    }

    #[test]
    fn pem_wraps_base64_at_64_columns() {
        let text = pem("CERTIFICATE", &[0u8; 60]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[3], "-----END CERTIFICATE-----");
    }
}
