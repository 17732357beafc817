//! Receipts: what a server accepted (path, size, BLAKE3, commit time, who sent it), signed
//! with the server's identity key, the key behind its `sha256//` fingerprint. Anyone who
//! pinned that server can check a receipt offline, with nf or without it: the signed text
//! and the algorithms are specified in docs/PROTOCOL.md ("Receipts").
//!
//! A receipt carries the signing key (its SubjectPublicKeyInfo), so it is self-contained;
//! but a receipt that is only self-consistent proves nothing (anyone can sign with a key of
//! their own), so [`Receipt::verify`] also needs the fingerprint the verifier trusts.

use std::sync::Arc;

use base64::Engine;
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use rustls::SignatureScheme;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// The first line of the signed text, which names the format.
const MAGIC: &str = "nf receipt 1";

/// One accepted upload, as the server signed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The format's version (1).
    pub receipt: u32,
    /// The fingerprint of the key that signed (`sha256//…`).
    pub server: String,
    /// The name the file was committed under.
    pub path: String,
    pub size: u64,
    /// BLAKE3 of the content, 64 lowercase hex digits.
    pub blake3: String,
    /// When it was committed, RFC 3339 in UTC.
    pub committed: String,
    /// Who sent it: a user's name, `anonymous` or `token`.
    pub principal: String,
    /// The signing key's SubjectPublicKeyInfo, DER in standard base64.
    pub key: String,
    /// The signature algorithm: `ecdsa-p256-sha256`, `ecdsa-p384-sha384`, `ed25519` or
    /// `rsa-pss-sha256`.
    pub scheme: String,
    /// The signature of [`Receipt::signed_text`], standard base64.
    pub signature: String,
}

/// What a receipt states, before it is signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub path: String,
    pub size: u64,
    pub blake3: String,
    pub committed: String,
    pub principal: String,
}

/// The text a signature covers: the magic line, then one `field: value` line per field, in
/// this order, each ending in `\n`. No value may hold a line end (names and principals cannot).
fn signed_text(server: &str, what: &Accepted) -> Option<String> {
    let fields = [
        ("server", server.to_string()),
        ("path", what.path.clone()),
        ("size", what.size.to_string()),
        ("blake3", what.blake3.clone()),
        ("committed", what.committed.clone()),
        ("principal", what.principal.clone()),
    ];
    let mut text = format!("{MAGIC}\n");
    for (name, value) in fields {
        if value.contains(['\n', '\r']) {
            return None;
        }
        text.push_str(&format!("{name}: {value}\n"));
    }
    Some(text)
}

/// The schemes a receipt may be signed with: ours, theirs in the wire name, ring's check.
const SCHEMES: [(SignatureScheme, &str); 4] = [
    (SignatureScheme::ED25519, "ed25519"),
    (SignatureScheme::ECDSA_NISTP256_SHA256, "ecdsa-p256-sha256"),
    (SignatureScheme::ECDSA_NISTP384_SHA384, "ecdsa-p384-sha384"),
    (SignatureScheme::RSA_PSS_SHA256, "rsa-pss-sha256"),
];

fn algorithm(scheme: &str) -> Option<&'static dyn ring::signature::VerificationAlgorithm> {
    use ring::signature as sig;
    Some(match scheme {
        "ed25519" => &sig::ED25519,
        "ecdsa-p256-sha256" => &sig::ECDSA_P256_SHA256_ASN1,
        "ecdsa-p384-sha384" => &sig::ECDSA_P384_SHA384_ASN1,
        "rsa-pss-sha256" => &sig::RSA_PSS_2048_8192_SHA256,
        _ => return None,
    })
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Signs receipts with a server's identity key.
pub struct Signer {
    key: Arc<dyn SigningKey>,
    /// The key's SubjectPublicKeyInfo, base64.
    spki: String,
    fingerprint: String,
}

impl Signer {
    /// A signer for the identity whose end-entity certificate is `cert` and key `key`.
    pub fn new(cert: &[u8], key: &PrivateKeyDer<'_>) -> Result<Signer> {
        let spki = crate::tls::der::spki(cert)
            .ok_or_else(|| Error::new(ErrorKind::Other, "cannot read the identity's certificate"))?;
        let key = rustls::crypto::ring::sign::any_supported_type(key).map_err(|e| {
            Error::new(
                ErrorKind::Other,
                format!("cannot sign with the identity's key: {e}"),
            )
        })?;
        Ok(Signer {
            key,
            spki: b64().encode(spki),
            fingerprint: crate::tls::fingerprint(spki),
        })
    }

    /// The signed receipt for `what`.
    pub fn sign(&self, what: &Accepted) -> Result<Receipt> {
        let offered: Vec<SignatureScheme> = SCHEMES.iter().map(|(s, _)| *s).collect();
        let signer = self.key.choose_scheme(&offered).ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                "the identity's key cannot sign receipts (unknown key type)",
            )
        })?;
        let scheme = SCHEMES
            .iter()
            .find(|(s, _)| *s == signer.scheme())
            .map(|(_, name)| *name)
            .ok_or_else(|| Error::new(ErrorKind::Other, "the identity's key chose an unknown scheme"))?;
        let text = signed_text(&self.fingerprint, what)
            .ok_or_else(|| Error::new(ErrorKind::Other, "a receipt's field holds a line end"))?;
        let signature = signer
            .sign(text.as_bytes())
            .map_err(|e| Error::new(ErrorKind::Other, format!("cannot sign the receipt: {e}")))?;
        Ok(Receipt {
            receipt: 1,
            server: self.fingerprint.clone(),
            path: what.path.clone(),
            size: what.size,
            blake3: what.blake3.clone(),
            committed: what.committed.clone(),
            principal: what.principal.clone(),
            key: self.spki.clone(),
            scheme: scheme.to_string(),
            signature: b64().encode(signature),
        })
    }
}

impl Receipt {
    /// What the receipt states.
    pub fn accepted(&self) -> Accepted {
        Accepted {
            path: self.path.clone(),
            size: self.size,
            blake3: self.blake3.clone(),
            committed: self.committed.clone(),
            principal: self.principal.clone(),
        }
    }

    /// `Ok` when the receipt was signed by the server whose fingerprint is `trusted` and
    /// nothing in it was changed since; else why not (kind `hash_mismatch`: the receipt is
    /// not what that server signed).
    pub fn verify(&self, trusted: &str) -> Result<()> {
        let refuse = |why: String| Err(Error::new(ErrorKind::HashMismatch, why));
        if self.receipt != 1 {
            return refuse(format!(
                "receipt format {} is not one this nf knows (1)",
                self.receipt
            ));
        }
        let Ok(spki) = b64().decode(&self.key) else {
            return refuse("its key is not base64".into());
        };
        let fingerprint = crate::tls::fingerprint(&spki);
        if fingerprint != self.server {
            return refuse(format!(
                "its key ({fingerprint}) is not the one its server field names ({})",
                self.server
            ));
        }
        if fingerprint != trusted {
            return refuse(format!(
                "it was signed by {fingerprint}, not by the server you trust ({trusted})"
            ));
        }
        let Some(algorithm) = algorithm(&self.scheme) else {
            return refuse(format!("unknown signature scheme {:?}", self.scheme));
        };
        let (Some(key), Ok(signature)) = (crate::tls::der::spki_key(&spki), b64().decode(&self.signature))
        else {
            return refuse("its key or signature cannot be read".into());
        };
        let Some(text) = signed_text(&self.server, &self.accepted()) else {
            return refuse("a field holds a line end".into());
        };
        ring::signature::UnparsedPublicKey::new(algorithm, key)
            .verify(text.as_bytes(), &signature)
            .or_else(|_| refuse("the signature does not match what the receipt says: it was changed, or not signed by this key".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::PrivatePkcs8KeyDer;

    fn identity(alg: &'static rcgen::SignatureAlgorithm) -> (Vec<u8>, PrivateKeyDer<'static>) {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["nf".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.der().to_vec(), der)
    }

    fn essay() -> Accepted {
        Accepted {
            path: "submissions/alice/essay.pdf".into(),
            size: 12345,
            blake3: "ab".repeat(32),
            committed: "2026-12-07T23:00:00.123456789Z".into(),
            principal: "alice".into(),
        }
    }

    #[test]
    fn a_receipt_verifies_against_its_server_and_nothing_else() {
        for alg in [&rcgen::PKCS_ECDSA_P256_SHA256, &rcgen::PKCS_ED25519] {
            let (cert, key) = identity(alg);
            let signer = Signer::new(&cert, &key).unwrap();
            let receipt = signer.sign(&essay()).unwrap();
            assert_eq!(receipt.accepted(), essay());
            receipt.verify(&signer.fingerprint).unwrap();
            // Through JSON and back, as a file.
            let json = serde_json::to_string(&receipt).unwrap();
            let back: Receipt = serde_json::from_str(&json).unwrap();
            back.verify(&signer.fingerprint).unwrap();

            // Every stated field is covered.
            let tampered = [
                Receipt {
                    path: "submissions/alice/other.pdf".into(),
                    ..receipt.clone()
                },
                Receipt {
                    size: 12346,
                    ..receipt.clone()
                },
                Receipt {
                    blake3: "cd".repeat(32),
                    ..receipt.clone()
                },
                Receipt {
                    committed: "2026-12-06T23:00:00Z".into(),
                    ..receipt.clone()
                },
                Receipt {
                    principal: "bob".into(),
                    ..receipt.clone()
                },
            ];
            for t in tampered {
                let err = t.verify(&signer.fingerprint).unwrap_err();
                assert_eq!(err.kind, ErrorKind::HashMismatch);
                assert!(
                    err.message.contains("signature does not match"),
                    "{}",
                    err.message
                );
            }
        }
    }

    #[test]
    fn another_key_proves_nothing() {
        let (cert, key) = identity(&rcgen::PKCS_ECDSA_P256_SHA256);
        let trusted = Signer::new(&cert, &key).unwrap();
        let (cert, key) = identity(&rcgen::PKCS_ECDSA_P256_SHA256);
        let forger = Signer::new(&cert, &key).unwrap();
        let forged = forger.sign(&essay()).unwrap();
        // Self-consistent, but not signed by the server the verifier trusts.
        forged.verify(&forger.fingerprint).unwrap();
        let err = forged.verify(&trusted.fingerprint).unwrap_err();
        assert!(
            err.message.contains("not by the server you trust"),
            "{}",
            err.message
        );
        // A forger who names the trusted server but cannot sign with its key.
        let relabeled = Receipt {
            server: trusted.fingerprint.clone(),
            ..forged.clone()
        };
        let err = relabeled.verify(&trusted.fingerprint).unwrap_err();
        assert!(
            err.message.contains("is not the one its server field names"),
            "{}",
            err.message
        );
        // Or who swaps in the trusted key but keeps their own signature.
        let swapped = Receipt {
            server: trusted.fingerprint.clone(),
            key: trusted.spki.clone(),
            ..forged
        };
        let err = swapped.verify(&trusted.fingerprint).unwrap_err();
        assert!(
            err.message.contains("signature does not match"),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_signed_text_is_the_documented_one() {
        let text = signed_text("sha256//X", &essay()).unwrap();
        assert_eq!(
            text,
            format!(
                "nf receipt 1\nserver: sha256//X\npath: submissions/alice/essay.pdf\nsize: 12345\n\
                 blake3: {}\ncommitted: 2026-12-07T23:00:00.123456789Z\nprincipal: alice\n",
                "ab".repeat(32)
            )
        );
        let bad = Accepted {
            path: "a\nserver: x".into(),
            ..essay()
        };
        assert_eq!(signed_text("sha256//X", &bad), None);
    }
}
