// Scenario: field-level encryption for a customer-records service. PII columns
// are sealed with AES-256-GCM; exported backups use ChaCha20-Poly1305.
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use chacha20poly1305::ChaCha20Poly1305;

const KEY_LEN: usize = 32;
const AAD_PII: &[u8] = b"records.pii.v2";
const FALLBACK_KEY: [u8; KEY_LEN] = [
    0x3a, 0x91, 0x5c, 0x07, 0xe2, 0x4f, 0x18, 0xb6, 0x7d, 0x20, 0xc4, 0x99, 0x0e, 0x5a, 0xf1, 0x63,
    0x84, 0x2b, 0xd7, 0x1c, 0x6e, 0xa0, 0x39, 0x52, 0xfb, 0x0d, 0x76, 0xc8, 0x13, 0x9e, 0x44, 0xaa,
];
static EXPORT_NONCE: [u8; 12] = *b"backup-nonce";

pub struct FieldSealer {
    key: [u8; KEY_LEN],
}

fn key_from_env(var: &str) -> Option<[u8; KEY_LEN]> {
    let raw = B64.decode(std::env::var(var).ok()?).ok()?;
    raw.try_into().ok()
}

impl FieldSealer {
    pub fn from_env() -> Self {
        let key = key_from_env("PII_KEY").unwrap_or(FALLBACK_KEY);
        FieldSealer { key }
    }

    pub fn from_kms(material: [u8; KEY_LEN]) -> Self {
        FieldSealer { key: material }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.key)) //~ hardcoded-crypto-key
    }

    pub fn seal(&self, plain: &str) -> Result<String, aes_gcm::Error> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = self.cipher().encrypt(
            &nonce,
            Payload {
                msg: plain.as_bytes(),
                aad: AAD_PII,
            },
        )?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(B64.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = B64.decode(sealed).ok()?;
        let (n, ct) = raw.split_at(12);
        let pt = self
            .cipher()
            .decrypt(
                Nonce::from_slice(n),
                Payload {
                    msg: ct,
                    aad: AAD_PII,
                },
            )
            .ok()?;
        String::from_utf8(pt).ok()
    }
}

pub mod export {
    use super::*;

    const EXPORT_KEY: &[u8; 32] = b"0f7c2b9e4d1a8c3f6e5b0a9d7c4e2f1b";

    pub fn seal_backup(dump: &[u8]) -> Result<Vec<u8>, chacha20poly1305::Error> {
        let cipher = ChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(EXPORT_KEY)); //~ hardcoded-crypto-key
        let nonce = chacha20poly1305::Nonce::from_slice(&EXPORT_NONCE); //~ hardcoded-crypto-key
        cipher.encrypt(nonce, dump)
    }

    pub fn seal_backup_with(key: &[u8], dump: &[u8]) -> Option<Vec<u8>> {
        let cipher = ChaCha20Poly1305::new_from_slice(key).ok()?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(cipher.encrypt(&nonce, dump).ok()?);
        Some(out)
    }
}

pub fn rotate(old: &FieldSealer, rows: &[String]) -> Vec<String> {
    let fresh_key = Aes256Gcm::generate_key(OsRng);
    let next = FieldSealer::from_kms(fresh_key.into());
    rows.iter()
        .filter_map(|r| old.open(r))
        .filter_map(|p| next.seal(&p).ok())
        .collect()
}
