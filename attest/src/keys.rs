//! Signing keys in cosign's formats.
//!
//! Private keys are PKCS#8, encrypted the way cosign does it: scrypt
//! (N=65536, r=8, p=1) derives a key from the password, NaCl secretbox
//! seals the PKCS#8 DER, and the JSON envelope
//! `{"kdf":{..},"cipher":{..},"ciphertext":..}` is PEM-armoured as
//! `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign's legacy `ENCRYPTED COSIGN
//! PRIVATE KEY` is read too). Public keys are SPKI PEM.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub const PEM_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
pub const LEGACY_PEM_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// scrypt parameters cosign writes (log2 N = 16).
const SCRYPT_LOG_N: u8 = 16;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    EcdsaP256,
    Ed25519,
}

impl KeyKind {
    /// The kind of an SPKI PEM public key, if supported.
    pub fn from_public_pem(pem: &str) -> Option<KeyKind> {
        use pkcs8::DecodePublicKey;
        if p256::ecdsa::VerifyingKey::from_public_key_pem(pem).is_ok() {
            Some(KeyKind::EcdsaP256)
        } else if ed25519_dalek::VerifyingKey::from_public_key_pem(pem).is_ok() {
            Some(KeyKind::Ed25519)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "ecdsa-p256",
            KeyKind::Ed25519 => "ed25519",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("wrong password (the key could not be decrypted)")]
    WrongPassword,
    #[error("corrupt or truncated key: {0}")]
    Corrupt(String),
    #[error("unsupported key type: {0}")]
    Unsupported(String),
    #[error("the signature does not verify with this key")]
    BadSignature,
    #[error("malformed signature: {0}")]
    MalformedSignature(String),
}

/// A private key in memory (PKCS#8 DER, zeroed on drop).
pub struct KeyPair {
    kind: KeyKind,
    ecdsa: Option<p256::ecdsa::SigningKey>,
    ed25519: Option<ed25519_dalek::SigningKey>,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

fn derive(
    password: &[u8],
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|e| KeyError::Corrupt(format!("scrypt parameters: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, key.as_mut())
        .map_err(|e| KeyError::Corrupt(format!("scrypt: {e}")))?;
    Ok(key)
}

impl KeyPair {
    pub fn generate(kind: KeyKind) -> KeyPair {
        match kind {
            KeyKind::EcdsaP256 => KeyPair {
                kind,
                ecdsa: Some(p256::ecdsa::SigningKey::random(&mut OsRng)),
                ed25519: None,
            },
            KeyKind::Ed25519 => KeyPair {
                kind,
                ecdsa: None,
                ed25519: Some(ed25519_dalek::SigningKey::generate(&mut OsRng)),
            },
        }
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// From PKCS#8 DER, detecting the algorithm.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<KeyPair, KeyError> {
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(KeyPair {
                kind: KeyKind::EcdsaP256,
                ecdsa: Some(k),
                ed25519: None,
            });
        }
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            return Ok(KeyPair {
                kind: KeyKind::Ed25519,
                ecdsa: None,
                ed25519: Some(k),
            });
        }
        match pkcs8::PrivateKeyInfo::try_from(der) {
            Ok(info) => {
                let curve = info
                    .algorithm
                    .parameters_oid()
                    .map(|o| format!(", parameters {o}"))
                    .unwrap_or_default();
                Err(KeyError::Unsupported(format!(
                    "algorithm {}{curve} (signing keys are ECDSA P-256 or Ed25519)",
                    info.algorithm.oid
                )))
            }
            Err(e) => Err(KeyError::Corrupt(format!("not PKCS#8: {e}"))),
        }
    }

    /// An unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as
    /// `openssl genpkey` and the in-toto tools write them.
    pub fn from_pkcs8_pem(text: &str) -> Result<KeyPair, KeyError> {
        let start = text
            .find("-----BEGIN PRIVATE KEY-----")
            .ok_or_else(|| KeyError::Corrupt("no `PRIVATE KEY` PEM block".into()))?;
        let (label, der) = pem_rfc7468::decode_vec(text[start..].trim().as_bytes())
            .map_err(|e| KeyError::Corrupt(format!("PEM: {e}")))?;
        if label != "PRIVATE KEY" {
            return Err(KeyError::Corrupt(format!("PEM label `{label}`")));
        }
        let der = Zeroizing::new(der);
        KeyPair::from_pkcs8_der(&der)
    }

    fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let doc = match (&self.ecdsa, &self.ed25519) {
            (Some(k), _) => k.to_pkcs8_der(),
            (_, Some(k)) => k.to_pkcs8_der(),
            _ => return Err(KeyError::Corrupt("empty key".into())),
        }
        .map_err(|e| KeyError::Corrupt(e.to_string()))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// SPKI DER of the public key.
    pub fn public_key_der(&self) -> Vec<u8> {
        let doc = match (&self.ecdsa, &self.ed25519) {
            (Some(k), _) => k.verifying_key().to_public_key_der().ok(),
            (_, Some(k)) => k.verifying_key().to_public_key_der().ok(),
            _ => None,
        };
        doc.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    pub fn public_key_pem(&self) -> String {
        pem_rfc7468::encode_string(
            "PUBLIC KEY",
            pem_rfc7468::LineEnding::LF,
            &self.public_key_der(),
        )
        .unwrap_or_default()
    }

    /// Hint for bundles: hex SHA-256 of the SPKI DER.
    pub fn key_hint(&self) -> String {
        hex::encode(Sha256::digest(self.public_key_der()))
    }

    /// Sign a message: ECDSA P-256 with SHA-256 (DER signature), or
    /// Ed25519 over the message itself.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        match (&self.ecdsa, &self.ed25519) {
            (Some(k), _) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            (_, Some(k)) => k.sign(message).to_bytes().to_vec(),
            _ => Vec::new(),
        }
    }

    /// cosign's encrypted PEM.
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String, KeyError> {
        let mut salt = [0u8; 32];
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut salt);
        OsRng.fill_bytes(&mut nonce);
        let key = derive(password, &salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)?;
        let cipher = XSalsa20Poly1305::new(key.as_ref().into());
        let plaintext = self.pkcs8_der()?;
        let ciphertext = cipher
            .encrypt(&nonce.into(), plaintext.as_slice())
            .map_err(|_| KeyError::Corrupt("encryption failed".into()))?;
        let envelope = Envelope {
            kdf: Kdf {
                name: "scrypt".into(),
                params: ScryptParams {
                    n: 1 << SCRYPT_LOG_N,
                    r: SCRYPT_R,
                    p: SCRYPT_P,
                },
                salt: B64.encode(salt),
            },
            cipher: Cipher {
                name: "nacl/secretbox".into(),
                nonce: B64.encode(nonce),
            },
            ciphertext: B64.encode(ciphertext),
        };
        let json = serde_json::to_vec(&envelope).map_err(|e| KeyError::Corrupt(e.to_string()))?;
        pem_rfc7468::encode_string(PEM_LABEL, pem_rfc7468::LineEnding::LF, &json)
            .map_err(|e| KeyError::Corrupt(e.to_string()))
    }

    /// Read cosign's encrypted PEM (current or legacy label).
    pub fn from_encrypted_pem(text: &str, password: &[u8]) -> Result<KeyPair, KeyError> {
        let (label, body) = pem_rfc7468::decode_vec(text.trim().as_bytes())
            .map_err(|e| KeyError::Corrupt(format!("not a PEM file: {e}")))?;
        match label {
            PEM_LABEL | LEGACY_PEM_LABEL => {}
            "PRIVATE KEY" | "EC PRIVATE KEY" => {
                return Err(KeyError::Corrupt(format!(
                    "`{label}` is not encrypted; expected `{PEM_LABEL}`"
                )))
            }
            other => return Err(KeyError::Corrupt(format!("unexpected PEM label `{other}`"))),
        }
        let envelope: Envelope = serde_json::from_slice(&body)
            .map_err(|e| KeyError::Corrupt(format!("key envelope: {e}")))?;
        if envelope.kdf.name != "scrypt" || envelope.cipher.name != "nacl/secretbox" {
            return Err(KeyError::Unsupported(format!(
                "encryption {} / {}",
                envelope.kdf.name, envelope.cipher.name
            )));
        }
        let n = envelope.kdf.params.n;
        if !n.is_power_of_two() || !(2..=1 << 22).contains(&n) {
            return Err(KeyError::Corrupt(format!("scrypt N = {n}")));
        }
        let b64 = |field: &str, value: &str| {
            B64.decode(value)
                .map_err(|e| KeyError::Corrupt(format!("{field}: {e}")))
        };
        let salt = b64("salt", &envelope.kdf.salt)?;
        let nonce = b64("nonce", &envelope.cipher.nonce)?;
        let ciphertext = b64("ciphertext", &envelope.ciphertext)?;
        if nonce.len() != 24 {
            return Err(KeyError::Corrupt(format!(
                "nonce is {} bytes, expected 24",
                nonce.len()
            )));
        }
        let key = derive(
            password,
            &salt,
            n.trailing_zeros() as u8,
            envelope.kdf.params.r,
            envelope.kdf.params.p,
        )?;
        let cipher = XSalsa20Poly1305::new(key.as_ref().into());
        let nonce: [u8; 24] = nonce
            .try_into()
            .map_err(|_| KeyError::Corrupt("nonce".into()))?;
        let plaintext = Zeroizing::new(
            cipher
                .decrypt(&nonce.into(), ciphertext.as_slice())
                .map_err(|_| KeyError::WrongPassword)?,
        );
        KeyPair::from_pkcs8_der(&plaintext)
    }
}

/// Verify a signature made by [`KeyPair::sign`] with an SPKI PEM public key.
pub fn verify_signature(
    public_key_pem: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyError> {
    use pkcs8::DecodePublicKey;
    if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_pem(public_key_pem) {
        use p256::ecdsa::signature::Verifier;
        let sig = p256::ecdsa::Signature::from_der(signature)
            .or_else(|_| p256::ecdsa::Signature::from_slice(signature))
            .map_err(|e| KeyError::MalformedSignature(e.to_string()))?;
        return key
            .verify(message, &sig)
            .map_err(|_| KeyError::BadSignature);
    }
    if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_pem(public_key_pem) {
        let sig = ed25519_dalek::Signature::from_slice(signature)
            .map_err(|e| KeyError::MalformedSignature(e.to_string()))?;
        return key
            .verify_strict(message, &sig)
            .map_err(|_| KeyError::BadSignature);
    }
    other_key(public_key_pem)?
        .verify(
            message,
            &sigstore_verify::types::SignatureBytes::from_bytes(signature),
        )
        .map_err(|_| KeyError::BadSignature)
}

/// ECDSA P-384 and RSA public keys (cosign makes and accepts both), through
/// the Sigstore crypto crate `sigstore-verify` already brings.
fn other_key(public_key_pem: &str) -> Result<sigstore_verify::crypto::VerificationKey, KeyError> {
    let der = sigstore_verify::types::DerPublicKey::from_pem(public_key_pem)
        .map_err(|_| KeyError::Unsupported("not an SPKI PEM public key".into()))?;
    sigstore_verify::crypto::VerificationKey::from_spki(&der).map_err(|e| {
        KeyError::Unsupported(format!(
            "public key type (supported: ECDSA P-256, P-384, RSA, Ed25519): {e}"
        ))
    })
}

/// A public key's identity, whatever its spelling: the uncompressed point
/// of an ECDSA P-256 key, the raw Ed25519 key, else the SPKI DER. Two PEM
/// texts of one key (other line wrapping, a compressed point) give the
/// same fingerprint. `None` for text that is not exactly one SPKI PEM
/// block (nothing before or after it).
pub fn public_key_fingerprint(public_key_pem: &str) -> Option<Vec<u8>> {
    use pkcs8::DecodePublicKey;
    let text = public_key_pem.trim();
    if !text.starts_with("-----BEGIN PUBLIC KEY-----")
        || !text.ends_with("-----END PUBLIC KEY-----")
        || text.matches("-----BEGIN").count() != 1
    {
        return None;
    }
    if let Ok(key) = p256::PublicKey::from_public_key_pem(text) {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        return Some(key.to_encoded_point(false).as_bytes().to_vec());
    }
    if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_pem(text) {
        return Some(key.to_bytes().to_vec());
    }
    sigstore_verify::types::DerPublicKey::from_pem(text)
        .ok()
        .map(|k| k.as_bytes().to_vec())
}

/// The algorithm of an SPKI PEM public key usable for verification:
/// ECDSA P-256 or P-384, RSA (2048 bits or more), Ed25519.
pub fn public_key_algorithm(public_key_pem: &str) -> Option<&'static str> {
    match KeyKind::from_public_pem(public_key_pem) {
        Some(kind) => Some(kind.as_str()),
        None => {
            use sigstore_verify::crypto::SigningScheme as S;
            let key = other_key(public_key_pem).ok()?;
            match key.scheme() {
                S::EcdsaP384Sha384 | S::EcdsaP384Sha256 => Some("ecdsa-p384"),
                S::RsaPkcs1Sha256 | S::RsaPkcs1Sha384 | S::RsaPkcs1Sha512
                    if key.as_bytes().len() >= 256 =>
                {
                    Some("rsa")
                }
                _ => None,
            }
        }
    }
}

/// Verify an ECDSA P-256 signature over a SHA-256 digest (for verifying
/// by digest, without the artifact). Ed25519 signs the message itself, so
/// it cannot be checked from a digest.
pub fn verify_prehashed(
    public_key_pem: &str,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), KeyError> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    use pkcs8::DecodePublicKey;
    let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_pem(public_key_pem) else {
        if ed25519_dalek::VerifyingKey::from_public_key_pem(public_key_pem).is_ok() {
            return Err(KeyError::Unsupported(
                "Ed25519 signs the whole message, so it cannot be checked from a digest".into(),
            ));
        }
        return other_key(public_key_pem)?
            .verify_prehashed(
                digest,
                &sigstore_verify::types::SignatureBytes::from_bytes(signature),
            )
            .map_err(|_| KeyError::BadSignature);
    };
    let sig = p256::ecdsa::Signature::from_der(signature)
        .or_else(|_| p256::ecdsa::Signature::from_slice(signature))
        .map_err(|e| KeyError::Corrupt(e.to_string()))?;
    key.verify_prehash(digest, &sig)
        .map_err(|_| KeyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_both_kinds() {
        for kind in [KeyKind::EcdsaP256, KeyKind::Ed25519] {
            let key = KeyPair::generate(kind);
            let pem = key.to_encrypted_pem(b"correct horse").unwrap();
            assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
            let back = KeyPair::from_encrypted_pem(&pem, b"correct horse").unwrap();
            assert_eq!(back.kind(), kind);
            assert_eq!(back.public_key_der(), key.public_key_der());
            let sig = back.sign(b"payload");
            verify_signature(&key.public_key_pem(), b"payload", &sig).unwrap();
            assert!(verify_signature(&key.public_key_pem(), b"other", &sig).is_err());
        }
    }

    #[test]
    fn distinct_errors() {
        let key = KeyPair::generate(KeyKind::EcdsaP256);
        let pem = key.to_encrypted_pem(b"right").unwrap();
        assert_eq!(
            KeyPair::from_encrypted_pem(&pem, b"wrong").err(),
            Some(KeyError::WrongPassword)
        );
        let truncated = &pem[..pem.len() / 2];
        assert!(matches!(
            KeyPair::from_encrypted_pem(truncated, b"right"),
            Err(KeyError::Corrupt(_))
        ));
        let legacy = pem.replace(PEM_LABEL, LEGACY_PEM_LABEL);
        assert!(
            KeyPair::from_encrypted_pem(&legacy, b"right").is_ok(),
            "cosign's legacy label is read"
        );
        // A P-384 key is well-formed but unsupported.
        let p384 = p384_pkcs8();
        assert!(
            matches!(KeyPair::from_pkcs8_der(&p384), Err(KeyError::Unsupported(m)) if m.contains("1.3.132.0.34"))
        );
    }

    /// PKCS#8 for a P-384 key (RFC 5915 inside, curve secp384r1).
    fn p384_pkcs8() -> Vec<u8> {
        // SEQUENCE { INTEGER 0, SEQUENCE { id-ecPublicKey, secp384r1 }, OCTET STRING { ECPrivateKey v1, 48-byte scalar } }
        let mut ec = vec![0x30, 0x35, 0x02, 0x01, 0x01, 0x04, 0x30];
        ec.extend([0x11; 48]);
        let mut der = vec![
            0x30, 0x4e, 0x02, 0x01, 0x00, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
            0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x04, 0x37,
        ];
        der.extend(ec);
        der
    }
}
