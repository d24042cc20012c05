use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use log::{debug, info};
use ring::aead as ring_aead;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const MASTER_KEY: [u8; 32] = [
    0x4f, 0x1a, 0x93, 0x0c, 0x77, 0xe2, 0x5b, 0x10, 0x8d, 0x3e, 0xaa, 0x61, 0x29, 0xf4, 0x06, 0xbc,
    0x52, 0x9d, 0x18, 0xe7, 0x3a, 0xc0, 0x44, 0x7f, 0x91, 0x2b, 0xd5, 0x68, 0x0e, 0xb3, 0x7c, 0xfa,
];
static FIXED_NONCE: &[u8; 12] = b"vault-nonce1";
static ARCHIVE_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

pub struct WebhookSigner {
    secret: &'static [u8],
    key_id: &'static str,
}

impl Default for WebhookSigner {
    fn default() -> Self {
        WebhookSigner { secret: b"whsec_live_5d8a1c0e7f", key_id: "wh-2023" }
    }
}

fn env_key(var: &str) -> Result<[u8; 32], String> {
    let hex_key = std::env::var(var).map_err(|_| format!("{} not set", var))?;
    let bytes = hex::decode(hex_key.trim()).map_err(|e| e.to_string())?;
    bytes.try_into().map_err(|_| "key must be 32 bytes".to_string())
}

pub fn seal_record(plain: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&MASTER_KEY)); //~ hardcoded-crypto-key
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, plain).expect("encrypt"));
    out
}

pub fn seal_record_env(plain: &[u8]) -> Result<Vec<u8>, String> {
    let key = env_key("VAULT_MASTER_KEY")?;
    debug!("vault key loaded ({} bytes) from VAULT_MASTER_KEY", key.len());
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, plain).map_err(|e| e.to_string())?);
    Ok(out)
}

pub fn seal_session(plain: &[u8]) -> Result<Vec<u8>, String> {
    let key = env_key("SESSION_KEY")?;
    debug!("session key bytes: {:02x?}", key); //~ cleartext-logging
    let cipher = Aes256Gcm::new_from_slice(&key).map_err(|e| e.to_string())?;
    cipher.encrypt(Nonce::from_slice(FIXED_NONCE), plain).map_err(|e| e.to_string()) //~ hardcoded-crypto-key
}

pub fn seal_archive(plain: &[u8]) -> Vec<u8> {
    let cipher = ChaCha20Poly1305::new_from_slice(ARCHIVE_KEY).unwrap(); //~ hardcoded-crypto-key
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, plain).unwrap());
    out
}

impl WebhookSigner {
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(self.secret).expect("hmac"); //~ hardcoded-crypto-key
        mac.update(body);
        info!("signed webhook with key id {}", self.key_id);
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn sign_with_env(&self, body: &[u8]) -> Result<String, String> {
        let secret = std::env::var("WEBHOOK_SECRET").map_err(|e| e.to_string())?;
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).map_err(|e| e.to_string())?;
        mac.update(body);
        Ok(hex::encode(mac.finalize().into_bytes()))
    }
}

pub fn ring_seal(plain: &mut Vec<u8>) -> Result<(), ring::error::Unspecified> {
    let db_key: [u8; 32] = [7u8; 32];
    let unbound = ring_aead::UnboundKey::new(&ring_aead::AES_256_GCM, &db_key)?; //~ hardcoded-crypto-key
    let key = ring_aead::LessSafeKey::new(unbound);
    let mut nonce_bytes = [0u8; 12];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce_bytes)?;
    let nonce = ring_aead::Nonce::assume_unique_for_key(nonce_bytes);
    key.seal_in_place_append_tag(nonce, ring_aead::Aad::empty(), plain)
}

pub fn ring_seal_kms(plain: &mut Vec<u8>, kms_key: &[u8]) -> Result<(), ring::error::Unspecified> {
    let unbound = ring_aead::UnboundKey::new(&ring_aead::AES_256_GCM, kms_key)?;
    let key = ring_aead::LessSafeKey::new(unbound);
    let mut nonce_bytes = [0u8; 12];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce_bytes)?;
    key.seal_in_place_append_tag(ring_aead::Nonce::assume_unique_for_key(nonce_bytes), ring_aead::Aad::empty(), plain)
}
