//! How a client decides to trust a server, in this order: a pinned fingerprint (`fingerprint`,
//! `--fingerprint`, `NF_FINGERPRINT`); a certificate that verifies against the system's roots
//! (a CA-issued one); else trust on first use, as OpenSSH's `accept-new`: the fingerprint seen
//! is recorded in `known_servers` (one `HOST:PORT sha256//…` line per server) and must match
//! from then on. A mismatch is a hard error before anything but the TLS handshake is sent, and
//! it names both fingerprints and the file and line to edit.
//!
//! The verifier only notes what it decided ([`Decision`]); the client reads it after the
//! handshake, to word an error or to record a new server once the handshake has proved that
//! the server holds the key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::error::{Error, ErrorKind, Result};

/// The `known_servers` file when none is configured: beside the config file.
pub fn default_known_servers() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "nf").map(|d| d.config_dir().join("known_servers"))
}

/// What the verifier decided about the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// It matched the pinned fingerprint, or the one recorded for this server.
    Known,
    /// It verified against the system's roots.
    Certified,
    /// A server seen for the first time: to be recorded once the handshake completes.
    FirstUse(String),
    /// It did not match the pinned fingerprint.
    PinMismatch { pinned: String, seen: String },
    /// It did not match the fingerprint recorded at `line` of the known-servers file.
    Changed {
        recorded: String,
        seen: String,
        line: usize,
    },
    /// Its certificate could not be read.
    Unreadable,
}

/// The trust of one connection to the server known as `server` (`HOST:PORT`).
#[derive(Debug)]
pub struct Trust {
    server: String,
    pinned: Option<String>,
    known: PathBuf,
    decision: Mutex<Option<Decision>>,
    roots: OnceLock<Option<rustls_platform_verifier::Verifier>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl Trust {
    pub fn new(server: &str, pinned: Option<&str>, known: &Path) -> Arc<Trust> {
        Arc::new(Trust {
            server: server.to_string(),
            pinned: pinned.map(str::to_string),
            known: known.to_path_buf(),
            decision: Mutex::new(None),
            roots: OnceLock::new(),
            provider: super::provider(),
        })
    }

    /// What the verifier decided (after the handshake, or its failure).
    pub fn decision(&self) -> Option<Decision> {
        self.decision.lock().unwrap().clone()
    }

    fn decide(&self, d: Decision) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let refused = !matches!(d, Decision::Known | Decision::Certified | Decision::FirstUse(_));
        *self.decision.lock().unwrap() = Some(d);
        if refused {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        } else {
            Ok(ServerCertVerified::assertion())
        }
    }

    /// True when the certificate chains to the system's roots for `name`. The roots are loaded
    /// only when needed: a known server costs no reading of the system's store.
    fn certified(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> bool {
        let roots = self
            .roots
            .get_or_init(|| rustls_platform_verifier::Verifier::new(Arc::clone(&self.provider)).ok());
        roots.as_ref().is_some_and(|v| {
            v.verify_server_cert(end_entity, intermediates, name, ocsp, now)
                .is_ok()
        })
    }

    /// Records a server trusted on first use; the line goes at the end of the file, which
    /// is created (mode 0600) if need be.
    pub fn remember(&self, fingerprint: &str) -> Result<()> {
        if let Some(dir) = self.known.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}", dir.display()), &e))?;
        }
        let mut file = crate::sys::create_mode(fs::OpenOptions::new().append(true).create(true), 0o600)
            .open(&self.known)
            .map_err(|e| Error::io(format!("cannot write {}", self.known.display()), &e))?;
        file.write_all(format!("{} {fingerprint}\n", self.server).as_bytes())
            .map_err(|e| Error::io(format!("cannot write {}", self.known.display()), &e))
    }

    /// The error for a handshake the verifier refused, worded for people.
    pub fn refusal(&self) -> Option<Error> {
        let why = match self.decision()? {
            Decision::PinMismatch { pinned, seen } => format!(
                "the server at {} is not the one pinned: it presents {seen}, the pinned fingerprint \
                 is {pinned} (fingerprint in the config, NF_FINGERPRINT or --fingerprint); nothing \
                 was sent",
                self.server
            ),
            Decision::Changed { recorded, seen, line } => format!(
                "the identity of {} has changed: it presents {seen}, but {recorded} is recorded \
                 for it in {}:{line}. Someone may be impersonating it, or its key was \
                 replaced: check with its operator (`nf serve --fingerprint` there), then delete \
                 that line to trust the new key; nothing was sent",
                self.server,
                self.known.display()
            ),
            Decision::Unreadable => format!(
                "the server at {} presents a certificate nf cannot read; nothing was sent",
                self.server
            ),
            _ => return None,
        };
        Some(Error::new(ErrorKind::Auth, why))
    }
}

/// The line of the known-servers file `known` that records a key for `server` (`HOST:PORT`),
/// if one does: such a server is always reached over TLS and checked.
pub fn recorded_line(known: &Path, server: &str) -> Option<usize> {
    let text = fs::read_to_string(known).ok()?;
    recorded(&text, server).map(|(_, line)| line)
}

/// The servers (`HOST:PORT`) whose recorded key in the known-servers file `known` is
/// `fingerprint`, with their lines.
pub fn servers_with(known: &Path, fingerprint: &str) -> Vec<(String, usize)> {
    let text = fs::read_to_string(known).unwrap_or_default();
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let mut fields = line.split_whitespace();
            let server = fields.next().filter(|s| !s.starts_with('#'))?;
            (fields.next() == Some(fingerprint)).then(|| (server.to_string(), i + 1))
        })
        .collect()
}

/// The fingerprint recorded for `server` in the known-servers text, and its line.
fn recorded(text: &str, server: &str) -> Option<(String, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let line = line.trim();
        if line.starts_with('#') {
            return None;
        }
        let mut fields = line.split_whitespace();
        (fields.next()? == server).then(|| (fields.next().unwrap_or("").to_string(), i + 1))
    })
}

impl ServerCertVerifier for Trust {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(seen) = super::fingerprint_of(end_entity) else {
            return self.decide(Decision::Unreadable);
        };
        if let Some(pinned) = &self.pinned {
            return self.decide(if *pinned == seen {
                Decision::Known
            } else {
                Decision::PinMismatch {
                    pinned: pinned.clone(),
                    seen,
                }
            });
        }
        let text = fs::read_to_string(&self.known).unwrap_or_default();
        let known = recorded(&text, &self.server);
        if known.as_ref().is_some_and(|(fp, _)| *fp == seen) {
            return self.decide(Decision::Known);
        }
        if self.certified(end_entity, intermediates, name, ocsp, now) {
            return self.decide(Decision::Certified);
        }
        self.decide(match known {
            Some((recorded, line)) => Decision::Changed { recorded, seen, line },
            None => Decision::FirstUse(seen),
        })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        // The server proves here that it holds the key whose fingerprint was checked.
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The rustls configuration of a client that trusts as `trust` says (TLS 1.3 only).
pub fn client_config(trust: Arc<Trust>) -> Result<Arc<rustls::ClientConfig>> {
    let config = rustls::ClientConfig::builder_with_provider(super::provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| Error::new(ErrorKind::Other, format!("cannot set up TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(trust)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_servers_lines_are_found_by_exact_address_and_numbered() {
        let text = "# nf known servers\nbox:8889 sha256//AAA\n\nfileserver:8889 sha256//BBB\n";
        assert_eq!(recorded(text, "fileserver:8889"), Some(("sha256//BBB".into(), 4)));
        assert_eq!(recorded(text, "box:8889"), Some(("sha256//AAA".into(), 2)));
        assert_eq!(recorded(text, "box:9000"), None);
        assert_eq!(recorded(text, "#"), None);
    }
}
