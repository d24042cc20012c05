//! in-toto key objects as securesystemslib writes them:
//! `{"keytype", "scheme", "keyval": {"public"}}`, identified by the
//! SHA-256 of their canonical JSON. Ed25519 public keys are hex (the raw 32
//! bytes); ECDSA P-256 keys are the SPKI PEM as `cryptography` formats it
//! (64-column lines, `\n`), which the key id depends on.

use crate::keys::{KeyKind, KeyPair};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const ED25519: &str = "ed25519";
pub const ECDSA: &str = "ecdsa";
pub const ECDSA_SCHEME: &str = "ecdsa-sha2-nistp256";

/// A functionary's or a layout owner's public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub keyid: String,
    pub keytype: String,
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
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
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
                .map_err(|e| e.to_string())?;
            return Ok(PublicKey::new(ECDSA, ECDSA_SCHEME, pem));
        }
        Err("not an ECDSA P-256 or Ed25519 public key (SubjectPublicKeyInfo)".into())
    }

    /// From an SPKI PEM file's text (`openssl pkey -pubout`, cosign.pub).
    pub fn from_spki_pem(text: &str) -> Result<PublicKey, String> {
        let (label, der) = pem_rfc7468::decode_vec(text.trim().as_bytes())
            .map_err(|e| format!("not a PEM public key: {e}"))?;
        if label != "PUBLIC KEY" {
            return Err(format!("PEM label is `{label}`, expected `PUBLIC KEY`"));
        }
        PublicKey::from_spki_der(&der)
    }

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
    pub fn from_json(claimed_id: &str, value: &Value) -> Result<PublicKey, String> {
        let text = |field: &str| -> Result<&str, String> {
            value
                .pointer(field)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("key {claimed_id}: missing {field}"))
        };
        let keytype = text("/keytype")?;
        let scheme = text("/scheme")?;
        let public = text("/keyval/public")?;
        match (keytype, scheme) {
            (ED25519, ED25519) => {
                let bytes = hex::decode(public)
                    .map_err(|e| format!("key {claimed_id}: public is not hex: {e}"))?;
                if bytes.len() != 32 {
                    return Err(format!("key {claimed_id}: an Ed25519 key has 32 bytes"));
                }
            }
            (ECDSA | ECDSA_SCHEME, ECDSA_SCHEME) => {
                use pkcs8::DecodePublicKey;
                p256::ecdsa::VerifyingKey::from_public_key_pem(public)
                    .map_err(|e| format!("key {claimed_id}: not a P-256 SPKI PEM: {e}"))?;
            }
            _ => {
                return Err(format!(
                    "key {claimed_id}: unsupported key type `{keytype}` with scheme `{scheme}` (ed25519 and ecdsa-sha2-nistp256 are supported)"
                ))
            }
        }
        let key = PublicKey::new(keytype, scheme, public.to_string());
        if key.keyid != claimed_id {
            return Err(format!(
                "key {claimed_id}: its content hashes to key id {}",
                key.keyid
            ));
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
    pub fn verify(&self, data: &[u8], signature_hex: &str) -> Result<(), String> {
        let signature =
            hex::decode(signature_hex).map_err(|e| format!("signature is not hex: {e}"))?;
        self.verify_bytes(data, &signature)
    }

    /// Check a signature (raw bytes) over `data`.
    pub fn verify_bytes(&self, data: &[u8], signature: &[u8]) -> Result<(), String> {
        if self.keytype == ED25519 {
            let bytes: [u8; 32] = hex::decode(&self.public)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or("bad Ed25519 key")?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|e| e.to_string())?;
            let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|e| e.to_string())?;
            return key
                .verify_strict(data, &sig)
                .map_err(|_| "signature does not verify".to_string());
        }
        crate::keys::verify_signature(&self.public, data, signature).map_err(|e| e.to_string())
    }
}

/// Sign `signed` (canonical JSON) with `key`: one `{"keyid", "sig"}` entry.
pub fn signature(key: &KeyPair, signed: &Value) -> Result<Value, String> {
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
