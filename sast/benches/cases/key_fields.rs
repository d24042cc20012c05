// Literal key bytes that reach a key constructor through a struct field
// set elsewhere, or as the fallback of a value read from the environment;
// reported where the bytes are written (CodeQL's place), with a path to the
// constructor, where the blind authors mark it.
use aes_gcm::aead::KeyInit;
use aes_gcm::{Aes256Gcm, Key};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;

type HmacSha256 = Hmac<Sha256>;

const FALLBACK_KEY: [u8; 32] = [7; 32];

fn key_from_env(var: &str) -> Option<[u8; 32]> {
    let raw = hex::decode(std::env::var(var).ok()?).ok()?;
    raw.try_into().ok()
}

pub struct Sealer {
    key: [u8; 32],
}

impl Sealer {
    pub fn from_env() -> Self {
        let key = key_from_env("SEAL_KEY").unwrap_or(FALLBACK_KEY); //~ hardcoded-crypto-key
        Sealer { key }
    }

    pub fn from_kms(material: [u8; 32]) -> Self {
        Sealer { key: material }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.key))
    }
}

pub struct Signer {
    secret: Vec<u8>,
}

impl Signer {
    pub fn new() -> Self {
        let secret = std::env::var("SIGNING_KEY")
            .map(String::into_bytes)
            .unwrap_or_else(|_| b"whsec_0123456789abcdef".to_vec()); //~ hardcoded-crypto-key
        Self { secret }
    }

    pub fn sign(&self, body: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("any length");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

pub struct Direct {
    key: &'static [u8],
}

pub fn direct() -> Direct {
    Direct { key: b"0123456789abcdef0123456789abcdef" } //~ hardcoded-crypto-key
}

impl Direct {
    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(self.key).unwrap()
    }
}

pub fn fallback_local() -> HmacSha256 {
    let key = std::env::var("HMAC_KEY").unwrap_or("dev-only-key".to_string()); //~ hardcoded-crypto-key
    HmacSha256::new_from_slice(key.as_bytes()).unwrap()
}

// Near misses: keys only from the environment or a parameter, a field of
// the same name on a struct never given literal bytes, a map's key.
pub struct Vault {
    key: Vec<u8>,
}

impl Vault {
    pub fn open() -> Option<Self> {
        let key = hex::decode(std::env::var("VAULT_KEY").ok()?).ok()?;
        Some(Vault { key })
    }

    pub fn with(key: Vec<u8>) -> Self {
        Vault { key }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(&self.key).unwrap()
    }
}

pub struct Index {
    key: String,
}

pub fn index(map: &HashMap<String, u32>) -> Index {
    let key = map.keys().next().cloned().unwrap_or_default();
    Index { key }
}

pub fn required_key() -> Option<HmacSha256> {
    let key = std::env::var("HMAC_KEY").ok()?;
    HmacSha256::new_from_slice(key.as_bytes()).ok()
}

// Red team rt41: a key and a nonce in one chain are two findings; a test's
// fixed key, a zeroed buffer filled later and an empty default are not keys.
pub fn seal_chain(data: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::Aead;
    let key = [1u8; 32]; //~ hardcoded-crypto-key
    let nonce = [2u8; 12]; //~ hardcoded-crypto-key
    Aes256Gcm::new_from_slice(&key).unwrap().encrypt(&nonce.into(), data).unwrap()
}

pub struct Buffered {
    key: [u8; 32],
}

impl Buffered {
    pub fn generate() -> Self {
        let mut b = Buffered { key: [0u8; 32] };
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b.key);
        b
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.key))
    }
}

pub fn empty_default() -> Option<HmacSha256> {
    let key = std::env::var("HMAC_KEY").unwrap_or("".to_string());
    if key.is_empty() {
        return None;
    }
    HmacSha256::new_from_slice(key.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals() {
        let v = Vault { key: vec![9u8; 32] };
        let _ = v.cipher();
    }
}
