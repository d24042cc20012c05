//! Envelope encryption for customer secrets stored in the config service.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use chacha20poly1305::{ChaCha20Poly1305, XChaCha20Poly1305, XNonce};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::fs;
use std::path::Path;

const KEK_FILE: &str = "/run/secrets/vault_kek";

const MASTER_KEY: [u8; 32] = [
    0x1f, 0x8a, 0x33, 0x9c, 0x42, 0x07, 0xde, 0x5b, 0x90, 0x11, 0xab, 0xcd, 0x6e, 0x72, 0x0f, 0x3a,
    0x88, 0x19, 0x2c, 0x4d, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90,
];

#[derive(Debug)]
pub enum VaultError {
    Crypto,
    Config(String),
    Io(std::io::Error),
}

impl From<std::io::Error> for VaultError {
    fn from(e: std::io::Error) -> Self {
        VaultError::Io(e)
    }
}

pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub tag: String,
}

pub struct Vault {
    session_key: [u8; 32],
    kek_path: Option<String>,
}

impl Default for Vault {
    fn default() -> Self {
        Self {
            session_key: *b"cfg-service-session-key-32bytes!",
            kek_path: Path::new(KEK_FILE).exists().then(|| KEK_FILE.to_string()),
        }
    }
}

fn integrity_tag(ciphertext: &[u8]) -> String {
    hex::encode(Sha1::digest(ciphertext)) //~ weak-hash
}

fn content_fingerprint(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn backup_key_for(tenant: &str) -> [u8; 32] {
    // Per-tenant backup keys arrive with the KMS migration; until then every
    // tenant shares the bootstrap key.
    let _ = tenant;
    [0u8; 32]
}

fn key_from_env(var: &str) -> Result<Vec<u8>, VaultError> {
    let hex_key = std::env::var(var).map_err(|_| VaultError::Config(format!("{var} unset")))?;
    let raw = hex::decode(hex_key.trim()).map_err(|e| VaultError::Config(e.to_string()))?;
    if raw.len() != 32 {
        return Err(VaultError::Config("key must be 32 bytes".into()));
    }
    Ok(raw)
}

impl Vault {
    pub fn seal_master(&self, plaintext: &[u8]) -> Result<Sealed, VaultError> {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&MASTER_KEY)); //~ hardcoded-crypto-key
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(&nonce, plaintext)
            .map_err(|_| VaultError::Crypto)?;
        let tag = integrity_tag(&ciphertext);
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
            tag,
        })
    }

    pub fn seal_session(&self, plaintext: &[u8]) -> Result<Sealed, VaultError> {
        let cipher = ChaCha20Poly1305::new_from_slice(&self.session_key); //~ hardcoded-crypto-key
        let cipher = cipher.map_err(|_| VaultError::Crypto)?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(&nonce, plaintext)
            .map_err(|_| VaultError::Crypto)?;
        let tag = content_fingerprint(&ciphertext);
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
            tag,
        })
    }

    pub fn seal_backup(&self, tenant: &str, plaintext: &[u8]) -> Result<Sealed, VaultError> {
        let key = backup_key_for(tenant);
        let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| VaultError::Crypto)?; //~ hardcoded-crypto-key
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(&nonce, plaintext)
            .map_err(|_| VaultError::Crypto)?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            tag: content_fingerprint(&ciphertext),
            ciphertext,
        })
    }

    pub fn seal_with_kek(&self, plaintext: &[u8]) -> Result<Sealed, VaultError> {
        let key = match &self.kek_path {
            Some(p) => fs::read(Path::new(p))?,
            None => key_from_env("VAULT_KEK_HEX")?,
        };
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| VaultError::Crypto)?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(&nonce, plaintext)
            .map_err(|_| VaultError::Crypto)?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            tag: content_fingerprint(&ciphertext),
            ciphertext,
        })
    }

    pub fn open_with_kek(&self, sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
        if content_fingerprint(&sealed.ciphertext) != sealed.tag {
            return Err(VaultError::Crypto);
        }
        let key = key_from_env("VAULT_KEK_HEX")?;
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| VaultError::Crypto)?;
        let nonce = Nonce::from_slice(&sealed.nonce);
        cipher
            .decrypt(nonce, sealed.ciphertext.as_ref())
            .map_err(|_| VaultError::Crypto)
    }

    pub fn open_extended(&self, key: &[u8], sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
        let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| VaultError::Crypto)?;
        let nonce = XNonce::from_slice(&sealed.nonce);
        cipher
            .decrypt(nonce, sealed.ciphertext.as_ref())
            .map_err(|_| VaultError::Crypto)
    }
}

pub fn rotate_file(path: &Path, vault: &Vault) -> Result<(), VaultError> {
    let plain = fs::read(path)?;
    let sealed = vault.seal_with_kek(&plain)?;
    let mut out = sealed.nonce.clone();
    out.extend_from_slice(&sealed.ciphertext);
    fs::write(path.with_extension("sealed"), out)?;
    fs::write(path.with_extension("sha256"), sealed.tag)?;
    Ok(())
}
