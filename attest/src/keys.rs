//! Signing keys in cosign's formats.
//!
//! Private keys are PKCS#8, encrypted the way cosign does it: scrypt
//! (N=65536, r=8, p=1) derives a key from the password, NaCl secretbox
//! seals the PKCS#8 DER, and the JSON envelope
//! `{"kdf":{..},"cipher":{..},"ciphertext":..}` is PEM-armoured as
//! `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign's legacy `ENCRYPTED COSIGN
//! PRIVATE KEY` is read too). Public keys are SPKI PEM.
//!
//! Signing keys are ECDSA P-256 (SHA-256) and Ed25519 (RustCrypto), ECDSA
//! P-384 (SHA-384) and RSA PKCS#1 v1.5 with SHA-256 (2048, 3072 or 4096
//! bits, through aws-lc-rs), the schemes cosign signs with. A [`KeyPair`]
//! may also stand for a key held by a PKCS#11 token ([`crate::pkcs11`]):
//! the same signing code then asks the token, and the private key never
//! enters this process.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The PEM label cosign writes for encrypted keys.
pub const PEM_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The PEM label older cosign wrote (still read).
pub const LEGACY_PEM_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// scrypt parameters cosign writes (log2 N = 16).
const SCRYPT_LOG_N: u8 = 16;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The kind of a signing key.
pub enum KeyKind {
    /// ECDSA P-256 with SHA-256 (cosign's default).
    EcdsaP256,
    /// Ed25519.
    Ed25519,
    /// ECDSA P-384, signing SHA-384 digests (as cosign and Sigstore's
    /// `ECDSA_P384_SHA384` scheme).
    EcdsaP384,
    /// RSA PKCS#1 v1.5 with SHA-256 (Sigstore's `RSA_PKCS1_SHA256`).
    Rsa2048,
    /// RSA 3072 PKCS#1 v1.5 with SHA-256.
    Rsa3072,
    /// RSA 4096 PKCS#1 v1.5 with SHA-256.
    Rsa4096,
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

    /// The kind as `keys generate --kind` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "ecdsa-p256",
            KeyKind::Ed25519 => "ed25519",
            KeyKind::EcdsaP384 => "ecdsa-p384",
            KeyKind::Rsa2048 => "rsa-2048",
            KeyKind::Rsa3072 => "rsa-3072",
            KeyKind::Rsa4096 => "rsa-4096",
        }
    }

    /// The RSA kind of a modulus this many bits long.
    pub fn rsa_of_bits(bits: usize) -> Option<KeyKind> {
        match bits {
            2048 => Some(KeyKind::Rsa2048),
            3072 => Some(KeyKind::Rsa3072),
            4096 => Some(KeyKind::Rsa4096),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
/// Why a key cannot be used, or a signature does not verify.
pub enum KeyError {
    #[error("wrong password (the key could not be decrypted)")]
    /// The password does not decrypt the key.
    WrongPassword,
    #[error("corrupt or truncated key: {0}")]
    /// The key file is damaged.
    Corrupt(String),
    #[error("unsupported key type: {0}")]
    /// A key type that is not supported.
    Unsupported(String),
    #[error("the signature does not verify with this key")]
    /// A well-formed signature that does not verify.
    BadSignature,
    #[error("malformed signature: {0}")]
    /// A signature that is not one.
    MalformedSignature(String),
    #[error(transparent)]
    /// A hardware key failed.
    Hardware(#[from] crate::pkcs11::Pkcs11Error),
    #[error("key generation failed: {0}")]
    /// A key could not be generated.
    Generation(String),
    #[error("signing failed: {0}")]
    /// A signature could not be made.
    Signing(String),
}

/// A signing key: in memory (zeroed on drop), or held by a PKCS#11 token.
pub struct KeyPair {
    kind: KeyKind,
    // Boxed: a `KeyPair` stays two words wherever it is held.
    inner: Box<Inner>,
}

enum Inner {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
    P384(aws_lc_rs::signature::EcdsaKeyPair),
    Rsa(aws_lc_rs::rsa::KeyPair),
    Hardware(Box<crate::pkcs11::Pkcs11Key>),
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
    /// A new in-memory key. P-256 and Ed25519 cannot fail; P-384 and RSA
    /// come from aws-lc-rs, which fails only when the system random number
    /// generator does (as `SigningKey::random` panics then too). Callers
    /// that can report an error use [`KeyPair::try_generate`].
    pub fn generate(kind: KeyKind) -> KeyPair {
        match KeyPair::try_generate(kind) {
            Ok(key) => key,
            Err(e) => panic!("{e}"),
        }
    }

    /// A new in-memory key of `kind`.
    pub fn try_generate(kind: KeyKind) -> Result<KeyPair, KeyError> {
        use aws_lc_rs::rsa::KeySize;
        let failed = |e: aws_lc_rs::error::Unspecified| KeyError::Generation(e.to_string());
        let inner = match kind {
            KeyKind::EcdsaP256 => Inner::P256(p256::ecdsa::SigningKey::random(&mut OsRng)),
            KeyKind::Ed25519 => Inner::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng)),
            KeyKind::EcdsaP384 => Inner::P384(
                aws_lc_rs::signature::EcdsaKeyPair::generate(
                    &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                )
                .map_err(failed)?,
            ),
            KeyKind::Rsa2048 => {
                Inner::Rsa(aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048).map_err(failed)?)
            }
            KeyKind::Rsa3072 => {
                Inner::Rsa(aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa3072).map_err(failed)?)
            }
            KeyKind::Rsa4096 => {
                Inner::Rsa(aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa4096).map_err(failed)?)
            }
        };
        Ok(KeyPair {
            kind,
            inner: Box::new(inner),
        })
    }

    /// A key held by a PKCS#11 token, opened from its `pkcs11:` URI.
    pub fn from_pkcs11(key: crate::pkcs11::Pkcs11Key) -> KeyPair {
        KeyPair {
            kind: key.kind(),
            inner: Box::new(Inner::Hardware(Box::new(key))),
        }
    }

    /// Whether the private key is held by a hardware token.
    pub fn is_hardware(&self) -> bool {
        matches!(*self.inner, Inner::Hardware(_))
    }

    /// The key's kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// From PKCS#8 DER, detecting the algorithm.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<KeyPair, KeyError> {
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(KeyPair {
                kind: KeyKind::EcdsaP256,
                inner: Box::new(Inner::P256(k)),
            });
        }
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            return Ok(KeyPair {
                kind: KeyKind::Ed25519,
                inner: Box::new(Inner::Ed25519(k)),
            });
        }
        if let Ok(k) = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
            &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            der,
        ) {
            return Ok(KeyPair {
                kind: KeyKind::EcdsaP384,
                inner: Box::new(Inner::P384(k)),
            });
        }
        if let Ok(k) = aws_lc_rs::rsa::KeyPair::from_pkcs8(der) {
            let bits = k.public_modulus_len() * 8;
            let kind = KeyKind::rsa_of_bits(bits).ok_or_else(|| {
                KeyError::Unsupported(format!(
                    "RSA key of {bits} bits (signing keys are RSA 2048, 3072 or 4096)"
                ))
            })?;
            return Ok(KeyPair {
                kind,
                inner: Box::new(Inner::Rsa(k)),
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
                    "algorithm {}{curve} (signing keys are ECDSA P-256 or P-384, Ed25519, or RSA)",
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
        use aws_lc_rs::encoding::AsDer;
        let corrupt = |e: &dyn std::fmt::Display| KeyError::Corrupt(e.to_string());
        let der = match &*self.inner {
            Inner::P256(k) => k
                .to_pkcs8_der()
                .map_err(|e| corrupt(&e))?
                .as_bytes()
                .to_vec(),
            Inner::Ed25519(k) => k
                .to_pkcs8_der()
                .map_err(|e| corrupt(&e))?
                .as_bytes()
                .to_vec(),
            Inner::P384(k) => k.to_pkcs8v1().map_err(|e| corrupt(&e))?.as_ref().to_vec(),
            Inner::Rsa(k) => {
                let der: aws_lc_rs::encoding::Pkcs8V1Der<'_> =
                    k.as_der().map_err(|e| corrupt(&e))?;
                der.as_ref().to_vec()
            }
            Inner::Hardware(k) => {
                return Err(KeyError::Unsupported(format!(
                    "{} is held by a PKCS#11 token and never leaves it",
                    k.uri()
                )))
            }
        };
        Ok(Zeroizing::new(der))
    }

    /// SPKI DER of the public key.
    pub fn public_key_der(&self) -> Vec<u8> {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::KeyPair as _;
        let spki = |d: Result<aws_lc_rs::encoding::PublicKeyX509Der<'_>, _>| {
            d.map(|d| d.as_ref().to_vec()).unwrap_or_default()
        };
        match &*self.inner {
            Inner::P256(k) => k
                .verifying_key()
                .to_public_key_der()
                .map(|d| d.as_bytes().to_vec())
                .unwrap_or_default(),
            Inner::Ed25519(k) => k
                .verifying_key()
                .to_public_key_der()
                .map(|d| d.as_bytes().to_vec())
                .unwrap_or_default(),
            Inner::P384(k) => spki(k.public_key().as_der()),
            Inner::Rsa(k) => spki(k.public_key().as_der()),
            Inner::Hardware(k) => k.public_key_der().to_vec(),
        }
    }

    /// The public key as SPKI PEM.
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

    /// Sign a message: ECDSA P-256 with SHA-256 or P-384 with SHA-384 (DER
    /// signatures), RSA PKCS#1 v1.5 with SHA-256, or Ed25519 over the
    /// message itself.
    ///
    /// In-memory keys cannot fail here. A hardware key can (the token was
    /// removed, the session closed): then the signature is empty, which
    /// verifies under no key, and the error is kept for
    /// [`KeyPair::signing_failure`], which every caller that may hold a
    /// hardware key checks before it writes or pushes what it signed.
    /// [`KeyPair::try_sign`] reports the error directly.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.try_sign(message).unwrap_or_default()
    }

    /// Sign a message, reporting a token's failure.
    pub fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        use p256::ecdsa::signature::Signer;
        let failed = |e: aws_lc_rs::error::Unspecified| KeyError::Signing(e.to_string());
        Ok(match &*self.inner {
            Inner::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Inner::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            Inner::P384(k) => k
                .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Inner::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut sig,
                )
                .map_err(failed)?;
                sig
            }
            Inner::Hardware(k) => k.sign(message)?,
        })
    }

    /// The first error a hardware key met in [`KeyPair::sign`], if any
    /// (always `Ok` for in-memory keys).
    pub fn signing_failure(&self) -> Result<(), KeyError> {
        match &*self.inner {
            Inner::Hardware(k) => k.failure().map_err(KeyError::Hardware),
            _ => Ok(()),
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
        // A P-521 key is well-formed but unsupported.
        let p521 = p521_pkcs8();
        assert!(
            matches!(KeyPair::from_pkcs8_der(&p521), Err(KeyError::Unsupported(m)) if m.contains("1.3.132.0.35"))
        );
    }

    /// PKCS#8 for a P-521 key (RFC 5915 inside, curve secp521r1).
    fn p521_pkcs8() -> Vec<u8> {
        // SEQUENCE { INTEGER 0, SEQUENCE { id-ecPublicKey, secp521r1 }, OCTET STRING { ECPrivateKey v1, 66-byte scalar } }
        let mut ec = vec![0x30, 0x47, 0x02, 0x01, 0x01, 0x04, 0x42];
        ec.extend([0x01; 66]);
        let mut der = vec![
            0x30, 0x60, 0x02, 0x01, 0x00, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
            0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23, 0x04, 0x49,
        ];
        der.extend(ec);
        der
    }

    #[test]
    fn p384_and_rsa_round_trip_and_verify() {
        for kind in [KeyKind::EcdsaP384, KeyKind::Rsa2048] {
            let key = KeyPair::try_generate(kind).unwrap();
            let pem = key.to_encrypted_pem(b"pw").unwrap();
            let back = KeyPair::from_encrypted_pem(&pem, b"pw").unwrap();
            assert_eq!(back.kind(), kind);
            assert_eq!(back.public_key_der(), key.public_key_der());
            let sig = back.sign(b"payload");
            verify_signature(&key.public_key_pem(), b"payload", &sig).unwrap();
            assert_eq!(
                verify_signature(&key.public_key_pem(), b"payloae", &sig),
                Err(KeyError::BadSignature)
            );
            let expected = if kind == KeyKind::EcdsaP384 {
                "ecdsa-p384"
            } else {
                "rsa"
            };
            assert_eq!(public_key_algorithm(&key.public_key_pem()), Some(expected));
        }
    }
}
