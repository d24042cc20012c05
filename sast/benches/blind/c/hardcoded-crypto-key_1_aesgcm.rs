// Session-token sealing for a web backend using AES-256-GCM from the RustCrypto `aes-gcm` crate.
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use std::env;

const TOKEN_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
const LEGACY_NONCE: [u8; 12] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
];

#[derive(Debug)]
pub enum SealError {
    MissingKey,
    BadKey,
    Crypto,
}

/// Seals a session token. Nonce is random, key is compiled in.
pub fn seal_token(payload: &[u8]) -> Result<Vec<u8>, SealError> {
    let cipher = Aes256Gcm::new_from_slice(TOKEN_KEY).map_err(|_| SealError::BadKey)?; //~ hardcoded-crypto-key
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, payload).map_err(|_| SealError::Crypto)?);
    Ok(out)
}

/// v1 cookies: caller supplies the key but the nonce never changes.
pub fn seal_legacy_cookie(key: &Key<Aes256Gcm>, payload: &[u8]) -> Result<Vec<u8>, SealError> {
    let cipher = Aes256Gcm::new(key);
    cipher.encrypt(Nonce::from_slice(&LEGACY_NONCE), payload).map_err(|_| SealError::Crypto) //~ hardcoded-crypto-key
}

/// Test-fixture helper that accidentally shipped in the release build.
pub fn seal_debug(payload: &[u8]) -> Vec<u8> {
    let key: [u8; 32] = [
        0x4b, 0x65, 0x79, 0x21, 0x5a, 0x10, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
        0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
        0x0b, 0x0c,
    ];
    let cipher = Aes256Gcm::new(&key.into()); //~ hardcoded-crypto-key
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    cipher.encrypt(&nonce, payload).unwrap_or_default()
}

/// Production path: key comes from the environment (populated by the secrets manager).
pub fn seal_token_env(payload: &[u8]) -> Result<Vec<u8>, SealError> {
    let key_hex = env::var("SESSION_TOKEN_KEY").map_err(|_| SealError::MissingKey)?;
    let key_bytes = hex::decode(key_hex.trim()).map_err(|_| SealError::BadKey)?;
    let cipher = Aes256Gcm::new_from_slice(&key_bytes).map_err(|_| SealError::BadKey)?;
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, payload).map_err(|_| SealError::Crypto)?);
    Ok(out)
}

/// Ephemeral per-process key for in-memory caches.
pub fn ephemeral_cipher() -> Aes256Gcm {
    let key = Aes256Gcm::generate_key(OsRng);
    Aes256Gcm::new(&key)
}

pub fn open_token(cipher: &Aes256Gcm, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < 12 {
        return Err(SealError::Crypto);
    }
    let (nonce, ct) = sealed.split_at(12);
    cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| SealError::Crypto)
}
