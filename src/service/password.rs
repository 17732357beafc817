//! Passwords and generated secrets: argon2id hashes in PHC form (`$argon2id$v=19$m=…`), the
//! only form a password is ever kept in, made and checked here with RustCrypto's `argon2`.
//! Checking is deliberately slow (OWASP's parameters: 19 MiB, 2 passes); callers bound how
//! many run at once.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;

use crate::error::{Error, ErrorKind, Result};

/// Memory of one hash, in KiB (OWASP's argon2id recommendation: 19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const PASSES: u32 = 2;
/// Largest memory a hash in the access file may ask for (a hand-written `m=` beyond it is
/// refused when the file is read: one check must not take the server's memory).
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;

fn hasher(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// `n` random bytes from the system.
pub(super) fn random(n: usize) -> Result<Vec<u8>> {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; n];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::new(ErrorKind::Other, "the system gave no random bytes"))?;
    Ok(bytes)
}

/// The argon2id hash of `secret` with a fresh random salt, in PHC form.
pub fn hash(secret: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&random(16)?)
        .map_err(|e| Error::new(ErrorKind::Other, format!("cannot make a salt: {e}")))?;
    let params = Params::new(MEMORY_KIB, PASSES, 1, None)
        .map_err(|e| Error::new(ErrorKind::Other, format!("argon2 parameters: {e}")))?;
    hasher(params)
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::new(ErrorKind::Other, format!("cannot hash the password: {e}")))
}

/// Why `phc` is not a hash this server checks (not argon2id PHC, or asking for more than
/// [`MAX_MEMORY_KIB`]); `None` when it is fine.
pub fn unusable(phc: &str) -> Option<String> {
    let parsed = match PasswordHash::new(phc) {
        Ok(p) => p,
        Err(e) => return Some(format!("not a PHC hash string ({e})")),
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return Some(format!("{} is not argon2id", parsed.algorithm));
    }
    match Params::try_from(&parsed) {
        Ok(p) if p.m_cost() > MAX_MEMORY_KIB => Some(format!(
            "its memory cost m={} KiB is over the {MAX_MEMORY_KIB} KiB this server allows",
            p.m_cost()
        )),
        Ok(_) => None,
        Err(e) => Some(format!("bad argon2 parameters ({e})")),
    }
}

/// True when `secret` is the password whose hash is `phc` (with the parameters the hash
/// names). Takes tens of milliseconds and about `m` KiB of memory.
pub fn verify(phc: &str, secret: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    hasher(params).verify_password(secret.as_bytes(), &parsed).is_ok()
}

/// A random secret for `nf user add --generate`: 24 random bytes, URL-safe base64 (32
/// characters), usable as a password and as an HTTP Bearer token.
pub fn generate() -> Result<String> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random(24)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_salts_differ() {
        let a = hash("correct horse").unwrap();
        let b = hash("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify(&a, "correct horse"));
        assert!(verify(&b, "correct horse"));
        assert!(!verify(&a, "correct horsE"));
        assert!(!verify(&a, ""));
        assert!(!verify("garbage", "correct horse"));
        assert_eq!(unusable(&a), None);
    }

    #[test]
    fn unusable_hashes_say_why() {
        let big = "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        assert!(unusable(big).unwrap().contains("memory cost"));
        let argon2i = "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        assert!(unusable(argon2i).unwrap().contains("not argon2id"));
        assert!(unusable("hunter2").unwrap().contains("PHC"));
    }

    #[test]
    fn generated_secrets_are_long_and_distinct() {
        let a = generate().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, generate().unwrap());
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
