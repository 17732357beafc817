//! The server's identity: a private key and its certificate. By default a long-lived ECDSA
//! P-256 key with a self-signed certificate, made on the first start and kept in one file,
//! `identity.pem` (mode 0600), in nf's data directory (`~/.local/share/nf` on Linux); or the
//! operator's own certificate chain and key (`tls_cert`, `tls_key`), such as a CA-issued one.
//! Deleting `identity.pem` rotates the identity: the next start makes a new one.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use crate::error::{Error, ErrorKind, Result};

/// The file of the identity nf makes for itself.
pub const FILE: &str = "identity.pem";

/// A key and the certificates that go with it.
pub struct Identity {
    pub certs: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// `sha256//BASE64` of the end-entity certificate's public key.
    pub fingerprint: String,
    /// Where it came from, for the start-up line.
    pub origin: PathBuf,
}

/// nf's data directory, where the identity it makes lives.
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "nf").map(|d| d.data_dir().to_path_buf())
}

impl Identity {
    /// The operator's certificate and key when both are given; else nf's own in `dir`, made
    /// now if there is none yet.
    pub fn load(cert: Option<&Path>, key: Option<&Path>, dir: Option<&Path>) -> Result<Identity> {
        match (cert, key) {
            (Some(cert), Some(key)) => Identity::from_files(cert, key),
            (Some(_), None) | (None, Some(_)) => Err(Error::new(
                ErrorKind::Usage,
                "tls_cert and tls_key go together: set both, or neither (nf then makes its own identity)",
            )),
            (None, None) => {
                let dir = dir.ok_or_else(|| {
                    Error::new(
                        ErrorKind::Usage,
                        "cannot find nf's data directory (HOME is not set) for the server's TLS \
                         identity; set tls_cert and tls_key",
                    )
                })?;
                Identity::own(dir)
            }
        }
    }

    fn from_files(cert: &Path, key: &Path) -> Result<Identity> {
        let bad = |what: &Path, why: String| {
            Error::new(
                ErrorKind::Usage,
                format!("cannot use {} for TLS: {why}", what.display()),
            )
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect())
            .map_err(|e| bad(cert, e.to_string()))?;
        if certs.is_empty() {
            return Err(bad(cert, "no certificate in it".into()));
        }
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e.to_string()))?;
        Identity::assemble(certs, key_der, cert.to_path_buf())
    }

    /// nf's own identity in `dir`: read, or made and written atomically (two servers
    /// starting at once end up with the same one).
    fn own(dir: &Path) -> Result<Identity> {
        let path = dir.join(FILE);
        if !path.exists() {
            make(dir, &path)?;
        }
        let bad = |why: String| {
            Error::new(
                ErrorKind::Other,
                format!(
                    "cannot read the server's TLS identity {}: {why} (delete it to make a new one)",
                    path.display()
                ),
            )
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&path)
            .and_then(|it| it.collect())
            .map_err(|e| bad(e.to_string()))?;
        let key = PrivateKeyDer::from_pem_file(&path).map_err(|e| bad(e.to_string()))?;
        Identity::assemble(certs, key, path.clone())
    }

    fn assemble(
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        origin: PathBuf,
    ) -> Result<Identity> {
        let fingerprint = certs.first().and_then(super::fingerprint_of).ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                format!(
                    "cannot use {} for TLS: its certificate cannot be read",
                    origin.display()
                ),
            )
        })?;
        Ok(Identity {
            certs,
            key,
            fingerprint,
            origin,
        })
    }

    /// The rustls configuration that serves this identity (TLS 1.3 only).
    pub fn server_config(&self) -> Result<Arc<ServerConfig>> {
        let config = ServerConfig::builder_with_provider(super::provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .and_then(|b| {
                b.with_no_client_auth()
                    .with_single_cert(self.certs.clone(), self.key.clone_key())
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::Usage,
                    format!("cannot serve TLS with {}: {e}", self.origin.display()),
                )
            })?;
        Ok(Arc::new(config))
    }
}

/// Makes a new identity and writes it to `path` unless one appeared meanwhile.
fn make(dir: &Path, path: &Path) -> Result<()> {
    let fail = |e: &std::io::Error| {
        Error::io(
            format!("cannot write the server's TLS identity in {}", dir.display()),
            e,
        )
    };
    crate::sys::dir_mode(fs::DirBuilder::new().recursive(true), 0o700)
        .create(dir)
        .map_err(|e| fail(&e))?;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rcgen_error)?;
    let mut params = rcgen::CertificateParams::new(vec!["nf".to_string()]).map_err(rcgen_error)?;
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, "nf server");
    params.distinguished_name = name;
    let cert = params.self_signed(&key).map_err(rcgen_error)?;
    let text = format!(
        "{}{}",
        super::pem("PRIVATE KEY", &key.serialize_der()),
        super::pem("CERTIFICATE", cert.der())
    );
    let temp = dir.join(format!("{FILE}.{}.new", std::process::id()));
    crate::fsutil::write_private_new(&temp, text.as_bytes()).map_err(|e| fail(&e))?;
    let placed = crate::fsutil::rename_noreplace(&temp, path);
    let _ = fs::remove_file(&temp);
    match placed {
        Ok(()) => Ok(()),
        // Another server made one first: use that.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(fail(&e)),
    }
}

fn rcgen_error(e: rcgen::Error) -> Error {
    Error::new(ErrorKind::Other, format!("cannot make a TLS identity: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_made_once_with_mode_0600_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load(None, None, Some(dir.path())).unwrap();
        let again = Identity::load(None, None, Some(dir.path())).unwrap();
        assert_eq!(first.fingerprint, again.fingerprint);
        assert!(crate::tls::is_fingerprint(&first.fingerprint));
        #[cfg(unix)]
        assert_eq!(
            crate::sys::mode_of(&fs::metadata(dir.path().join(FILE)).unwrap()) & 0o777,
            0o600
        );
        first.server_config().unwrap();
        // Its own certificate and key, given as tls_cert and tls_key, are the same identity.
        let own = dir.path().join(FILE);
        let given = Identity::load(Some(&own), Some(&own), None).unwrap();
        assert_eq!(given.fingerprint, first.fingerprint);
        assert_eq!(
            Identity::load(Some(&own), None, None).err().unwrap().kind,
            ErrorKind::Usage
        );
    }
}
