//! Just enough DER to find a certificate's SubjectPublicKeyInfo, whose SHA-256 is nf's
//! fingerprint of a server (the form curl's `--pinnedpubkey` takes). Pure: bytes in, a slice
//! of them out; anything malformed is `None`, never a panic.

/// One DER element: its tag, and its contents and the whole encoding as slices of the input.
struct Element<'a> {
    tag: u8,
    contents: &'a [u8],
    whole: &'a [u8],
}

/// The element at the start of `input`, and what follows it.
fn element(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let header = input.len() - rest.len();
    Some((
        Element {
            tag,
            contents: &rest[..len],
            whole: &input[..header + len],
        },
        &rest[len..],
    ))
}

const SEQUENCE: u8 = 0x30;
/// `[0] EXPLICIT`: the optional version of a TBSCertificate.
const VERSION: u8 = 0xa0;

/// The DER of the SubjectPublicKeyInfo in an X.509 certificate.
pub fn spki(cert: &[u8]) -> Option<&[u8]> {
    let (certificate, _) = element(cert)?;
    if certificate.tag != SEQUENCE {
        return None;
    }
    let (tbs, _) = element(certificate.contents)?;
    if tbs.tag != SEQUENCE {
        return None;
    }
    let mut rest = tbs.contents;
    let (first, after) = element(rest)?;
    if first.tag == VERSION {
        rest = after;
    }
    // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo.
    for _ in 0..5 {
        rest = element(rest)?.1;
    }
    let (spki, _) = element(rest)?;
    (spki.tag == SEQUENCE).then_some(spki.whole)
}

const BIT_STRING: u8 = 0x03;

/// The key itself in a SubjectPublicKeyInfo (DER): the contents of its BIT STRING, without
/// the unused-bits byte (an EC point, an Ed25519 key, or an RSAPublicKey), as ring's
/// signature checks take it.
pub fn spki_key(spki: &[u8]) -> Option<&[u8]> {
    let (info, _) = element(spki)?;
    if info.tag != SEQUENCE {
        return None;
    }
    let (_algorithm, rest) = element(info.contents)?;
    let (bits, _) = element(rest)?;
    match bits.contents.split_first()? {
        (0, key) if bits.tag == BIT_STRING => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_of_an_spki_is_its_bit_string() {
        let key = rcgen::KeyPair::generate().unwrap();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        let bits = spki_key(&spki).unwrap();
        assert_eq!(bits, key.public_key_raw());
        assert_eq!(spki_key(&spki[..spki.len() - 1]), None);
        assert_eq!(spki_key(b""), None);
    }

    #[test]
    fn the_spki_of_a_generated_certificate_is_the_key_it_was_made_with() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["nf".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert_eq!(
            spki(cert.der()).unwrap(),
            rcgen::PublicKeyData::subject_public_key_info(&key)
        );
    }

    #[test]
    fn malformed_input_is_none_never_a_panic() {
        for bad in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x03\x30\x01",
            b"\x02\x01\x00",
        ] {
            assert_eq!(spki(bad), None, "{bad:?}");
        }
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..5000 {
            let len = (x % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x & 0xff) as u8
                })
                .collect();
            let _ = spki(&bytes);
        }
    }
}
