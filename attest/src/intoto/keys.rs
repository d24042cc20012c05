//! in-toto key objects as securesystemslib writes them:
//! `{"keytype", "scheme", "keyval": {"public"}}`, identified by the
//! SHA-256 of their canonical JSON. Ed25519 public keys are hex (the raw 32
//! bytes); ECDSA P-256 keys are the SPKI PEM as `cryptography` formats it
//! (64-column lines, `\n`), which the key id depends on.

use crate::keys::{KeyKind, KeyPair};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Why a public key cannot be read, or a signature does not verify under it.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// DER that is neither key type in-toto keys are made of.
    #[error("not an ECDSA P-256 or Ed25519 public key (SubjectPublicKeyInfo)")]
    NotSpki,
    /// Text that is not PEM.
    #[error("not a PEM public key: {0}")]
    NotPem(pem_rfc7468::Error),
    /// PEM of something other than a public key.
    #[error("PEM label is `{0}`, expected `PUBLIC KEY`")]
    PemLabel(String),
    /// The key's PEM could not be written.
    #[error("{0}")]
    PemEncode(pem_rfc7468::Error),
    /// A layout `keys` entry without a field.
    #[error("key {keyid}: missing {field}")]
    MissingField {
        /// The entry's key id.
        keyid: String,
        /// The JSON pointer of the missing field.
        field: &'static str,
    },
    /// An Ed25519 `public` that is not hex.
    #[error("key {keyid}: public is not hex: {source}")]
    NotHex {
        /// The entry's key id.
        keyid: String,
        /// The hex decoder's complaint.
        source: hex::FromHexError,
    },
    /// An Ed25519 `public` of the wrong length.
    #[error("key {keyid}: an Ed25519 key has 32 bytes")]
    Ed25519Length {
        /// The entry's key id.
        keyid: String,
    },
    /// An ECDSA `public` that is not a P-256 SPKI PEM.
    #[error("key {keyid}: not a P-256 SPKI PEM: {source}")]
    NotP256 {
        /// The entry's key id.
        keyid: String,
        /// The SPKI decoder's complaint.
        source: pkcs8::spki::Error,
    },
    /// A key type and scheme this implementation does not verify.
    #[error("key {keyid}: unsupported key type `{keytype}` with scheme `{scheme}` (ed25519 and ecdsa-sha2-nistp256 are supported)")]
    Unsupported {
        /// The entry's key id.
        keyid: String,
        /// Its `keytype`.
        keytype: String,
        /// Its `scheme`.
        scheme: String,
    },
    /// A key whose content hashes to another id than the one it is listed under.
    #[error("key {keyid}: its content hashes to key id {actual}")]
    IdMismatch {
        /// The id the layout lists it under.
        keyid: String,
        /// The id its content hashes to.
        actual: String,
    },
    /// A signature that is not hex.
    #[error("signature is not hex: {0}")]
    SignatureNotHex(hex::FromHexError),
    /// A stored Ed25519 key that is not 32 hex bytes.
    #[error("bad Ed25519 key")]
    BadEd25519Key,
    /// An Ed25519 key or signature the curve library refuses.
    #[error("{0}")]
    Ed25519(ed25519_dalek::SignatureError),
    /// A well-formed signature that does not verify.
    #[error("signature does not verify")]
    DoesNotVerify,
    /// A failure of the general key verification (ECDSA and others).
    #[error("{0}")]
    Verify(crate::keys::KeyError),
}

/// securesystemslib's key type and scheme name for Ed25519.
pub const ED25519: &str = "ed25519";
/// securesystemslib's key type for ECDSA.
pub const ECDSA: &str = "ecdsa";
/// securesystemslib's scheme for ECDSA P-256 with SHA-256.
pub const ECDSA_SCHEME: &str = "ecdsa-sha2-nistp256";

/// A functionary's or a layout owner's public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// SHA-256 of the key's canonical JSON, hex.
    pub keyid: String,
    /// `ed25519`, `ecdsa` or `rsa`.
    pub keytype: String,
    /// The signature scheme, e.g. `ecdsa-sha2-nistp256`.
    pub scheme: String,
    /// Hex (Ed25519) or SPKI PEM (ECDSA).
    pub public: String,
}

fn key_id(keytype: &str, scheme: &str, public: &str) -> String {
    let body = json!({"keytype": keytype, "scheme": scheme, "keyval": {"public": public}});
    hex::encode(Sha256::digest(
        super::canonical::encode(&body).unwrap_or_default(),
    ))
}

impl PublicKey {
    fn new(keytype: &str, scheme: &str, public: String) -> PublicKey {
        PublicKey {
            keyid: key_id(keytype, scheme, &public),
            keytype: keytype.into(),
            scheme: scheme.into(),
            public,
        }
    }

    /// From SPKI DER (ECDSA P-256 or Ed25519).
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        use pkcs8::DecodePublicKey;
        if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::new(
                ED25519,
                ED25519,
                hex::encode(key.as_bytes()),
            ));
        }
        if p256::ecdsa::VerifyingKey::from_public_key_der(der).is_ok() {
            let pem = pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, der)
                .map_err(KeyError::PemEncode)?;
            return Ok(PublicKey::new(ECDSA, ECDSA_SCHEME, pem));
        }
        Err(KeyError::NotSpki)
    }

    /// From an SPKI PEM file's text (`openssl pkey -pubout`, cosign.pub).
    pub fn from_spki_pem(text: &str) -> Result<PublicKey, KeyError> {
        let (label, der) =
            pem_rfc7468::decode_vec(text.trim().as_bytes()).map_err(KeyError::NotPem)?;
        if label != "PUBLIC KEY" {
            return Err(KeyError::PemLabel(label.to_string()));
        }
        PublicKey::from_spki_der(&der)
    }

    /// The public half of a signing key, with securesystemslib's names.
    pub fn from_keypair(key: &KeyPair) -> PublicKey {
        match key.kind() {
            KeyKind::Ed25519 => {
                // The raw key is the last 32 bytes of its 44-byte SPKI.
                let der = key.public_key_der();
                let raw = der.get(der.len().saturating_sub(32)..).unwrap_or_default();
                PublicKey::new(ED25519, ED25519, hex::encode(raw))
            }
            KeyKind::EcdsaP256 => PublicKey::new(ECDSA, ECDSA_SCHEME, key.public_key_pem()),
            // securesystemslib's names for the other schemes tollgate signs with.
            KeyKind::EcdsaP384 => {
                PublicKey::new(ECDSA, "ecdsa-sha2-nistp384", key.public_key_pem())
            }
            KeyKind::Rsa2048 | KeyKind::Rsa3072 | KeyKind::Rsa4096 => {
                PublicKey::new("rsa", "rsa-pkcs1v15-sha256", key.public_key_pem())
            }
        }
    }

    /// From a layout's `keys` entry. The id must be the one its content
    /// hashes to: a key cannot claim another key's id.
    pub fn from_json(claimed_id: &str, value: &Value) -> Result<PublicKey, KeyError> {
        let text = |field: &'static str| -> Result<&str, KeyError> {
            value
                .pointer(field)
                .and_then(Value::as_str)
                .ok_or_else(|| KeyError::MissingField {
                    keyid: claimed_id.to_string(),
                    field,
                })
        };
        let keytype = text("/keytype")?;
        let scheme = text("/scheme")?;
        let public = text("/keyval/public")?;
        match (keytype, scheme) {
            (ED25519, ED25519) => {
                let bytes = hex::decode(public).map_err(|source| KeyError::NotHex {
                    keyid: claimed_id.to_string(),
                    source,
                })?;
                if bytes.len() != 32 {
                    return Err(KeyError::Ed25519Length {
                        keyid: claimed_id.to_string(),
                    });
                }
            }
            (ECDSA | ECDSA_SCHEME, ECDSA_SCHEME) => {
                use pkcs8::DecodePublicKey;
                p256::ecdsa::VerifyingKey::from_public_key_pem(public).map_err(|source| {
                    KeyError::NotP256 {
                        keyid: claimed_id.to_string(),
                        source,
                    }
                })?;
            }
            _ => {
                return Err(KeyError::Unsupported {
                    keyid: claimed_id.to_string(),
                    keytype: keytype.to_string(),
                    scheme: scheme.to_string(),
                })
            }
        }
        let key = PublicKey::new(keytype, scheme, public.to_string());
        if key.keyid != claimed_id {
            return Err(KeyError::IdMismatch {
                keyid: claimed_id.to_string(),
                actual: key.keyid,
            });
        }
        Ok(key)
    }

    /// The layout `keys` entry.
    pub fn to_json(&self) -> Value {
        json!({
            "keyid": self.keyid,
            "keytype": self.keytype,
            "scheme": self.scheme,
            "keyval": { "public": self.public },
        })
    }

    /// Check a hex signature over `data` (ECDSA: DER, or raw `r || s`).
    pub fn verify(&self, data: &[u8], signature_hex: &str) -> Result<(), KeyError> {
        let signature = hex::decode(signature_hex).map_err(KeyError::SignatureNotHex)?;
        self.verify_bytes(data, &signature)
    }

    /// Check a signature (raw bytes) over `data`.
    pub fn verify_bytes(&self, data: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        if self.keytype == ED25519 {
            let bytes: [u8; 32] = hex::decode(&self.public)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(KeyError::BadEd25519Key)?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(KeyError::Ed25519)?;
            let sig = ed25519_dalek::Signature::from_slice(signature).map_err(KeyError::Ed25519)?;
            return key
                .verify_strict(data, &sig)
                .map_err(|_| KeyError::DoesNotVerify);
        }
        crate::keys::verify_signature(&self.public, data, signature).map_err(KeyError::Verify)
    }
}

/// Sign `signed` (canonical JSON) with `key`: one `{"keyid", "sig"}` entry.
pub fn signature(key: &KeyPair, signed: &Value) -> Result<Value, super::canonical::CanonicalError> {
    let bytes = super::canonical::encode(signed)?;
    Ok(json!({
        "keyid": PublicKey::from_keypair(key).keyid,
        "sig": hex::encode(key.sign(&bytes)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_securesystemslib() {
        // Computed by securesystemslib 1.6 (SSlibKey.from_pem) for this key.
        let ed = PublicKey::new(
            ED25519,
            ED25519,
            "87e10d1f4f087f0b2d0e68e0dbd45a7d01c5fbb44d3f91b2ca8d1306e0c6712a".into(),
        );
        assert_eq!(
            ed.keyid,
            "5873c60002a94f5a5b46bb4eb89c9a1e406ce26ce6f7442d140c84bf0fa47bfb"
        );
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEUIkvwmugU0mmhs6x5S73SudRjXcH\nVl+LGPRgORhsBcCYDkTQixpjkFSeltPgnKuTFNR8sByeVQKp9MFKdW2tnQ==\n-----END PUBLIC KEY-----\n";
        let ec = PublicKey::from_spki_pem(pem).unwrap();
        assert_eq!(
            ec.keyid,
            "3458eb4b9e1756d41a3accd9e3ebe856919d2bd2fb7f4b4dd98b04fa8e760ec6"
        );
        assert_eq!(ec.public, pem);
        let back = PublicKey::from_json(&ec.keyid, &ec.to_json()).unwrap();
        assert_eq!(back, ec);
        let mut forged = ec.to_json();
        forged["keyval"]["public"] = ed.public.clone().into();
        assert!(PublicKey::from_json(&ec.keyid, &forged).is_err());
    }

    #[test]
    fn sign_and_verify_both_kinds() {
        for kind in [KeyKind::EcdsaP256, KeyKind::Ed25519] {
            let key = KeyPair::generate(kind);
            let public = PublicKey::from_keypair(&key);
            let signed = json!({"_type": "link", "name": "build"});
            let sig = signature(&key, &signed).unwrap();
            assert_eq!(sig["keyid"], public.keyid.as_str());
            let data = crate::intoto::canonical::encode(&signed).unwrap();
            public.verify(&data, sig["sig"].as_str().unwrap()).unwrap();
            assert!(public
                .verify(b"other", sig["sig"].as_str().unwrap())
                .is_err());
        }
    }
}
