// Encrypted session blob support for the web tier: session state is sealed with
// AEAD before being placed in the shared cache, and remember-me tokens are sealed too.
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use chacha20poly1305::ChaCha20Poly1305;

const SESSION_KEY: [u8; 32] = [
    0x4b, 0x1f, 0x9a, 0x77, 0x02, 0xc3, 0x5e, 0x81, 0x6d, 0x20, 0xfe, 0x13, 0xa9, 0x44, 0x0b, 0x38,
    0x91, 0xde, 0x7c, 0x65, 0x12, 0xb0, 0x3a, 0xe4, 0x58, 0x0f, 0xc7, 0x29, 0x86, 0x5d, 0xab, 0x70,
];

const CACHE_NONCE: [u8; 12] = *b"sess-nonce01";

#[derive(Debug)]
pub enum SealError {
    Config(String),
    Crypto,
}

fn cipher_from(key: &[u8]) -> Result<Aes256Gcm, SealError> {
    let key = Key::<Aes256Gcm>::from_slice(key);
    Ok(Aes256Gcm::new(key))
}

fn key_from_env(var: &str) -> Result<Vec<u8>, SealError> {
    let hex_key = std::env::var(var).map_err(|_| SealError::Config(format!("{var} not set")))?;
    let bytes = hex::decode(hex_key.trim()).map_err(|e| SealError::Config(e.to_string()))?;
    if bytes.len() != 32 {
        return Err(SealError::Config("key must be 32 bytes".into()));
    }
    Ok(bytes)
}

pub struct SessionSealer {
    cipher: Aes256Gcm,
}

impl SessionSealer {
    pub fn from_env() -> Result<Self, SealError> {
        let key = key_from_env("SESSION_SEAL_KEY")?;
        Ok(SessionSealer {
            cipher: cipher_from(&key)?,
        })
    }

    pub fn development() -> Self {
        SessionSealer {
            cipher: cipher_from(&SESSION_KEY).expect("static key"), //~ hardcoded-crypto-key
        }
    }

    pub fn seal(&self, state: &[u8]) -> Result<String, SealError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(&nonce, state)
                .map_err(|_| SealError::Crypto)?,
        );
        Ok(B64.encode(out))
    }

    pub fn seal_for_cache(&self, state: &[u8]) -> Result<Vec<u8>, SealError> {
        let nonce = Nonce::from_slice(&CACHE_NONCE);
        let sealed = self.cipher.encrypt(nonce, state); //~ hardcoded-crypto-key
        sealed.map_err(|_| SealError::Crypto)
    }

    pub fn open(&self, token: &str) -> Result<Vec<u8>, SealError> {
        let raw = B64.decode(token).map_err(|_| SealError::Crypto)?;
        if raw.len() < 12 {
            return Err(SealError::Crypto);
        }
        let (nonce, ct) = raw.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| SealError::Crypto)
    }
}

pub struct RememberMe {
    aead: ChaCha20Poly1305,
}

impl RememberMe {
    pub fn legacy() -> Self {
        let key = chacha20poly1305::Key::from_slice(b"remember-me key for web tier v1!");
        RememberMe {
            aead: ChaCha20Poly1305::new(key), //~ hardcoded-crypto-key
        }
    }

    pub fn from_env() -> Result<Self, SealError> {
        let key = key_from_env("REMEMBER_ME_KEY")?;
        let aead = ChaCha20Poly1305::new_from_slice(&key).map_err(|_| SealError::Crypto)?;
        Ok(RememberMe { aead })
    }

    pub fn issue(&self, user_id: u64) -> Result<String, SealError> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = self
            .aead
            .encrypt(&nonce, user_id.to_be_bytes().as_ref())
            .map_err(|_| SealError::Crypto)?;
        Ok(format!("{}.{}", B64.encode(nonce), B64.encode(ct)))
    }
}

pub fn build_sealer() -> Result<SessionSealer, SealError> {
    match std::env::var("APP_ENV").as_deref() {
        Ok("production") | Ok("staging") => SessionSealer::from_env(),
        _ => Ok(SessionSealer::development()),
    }
}
