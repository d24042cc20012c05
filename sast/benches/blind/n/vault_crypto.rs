//! Local credential cache for the desktop sync client.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes128Gcm, Nonce};
use chacha20poly1305::{ChaCha20Poly1305, Key as ChaChaKey};
use hex_literal::hex;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::fs;
use std::path::{Path, PathBuf};

static CACHE_KEY: [u8; 16] = hex!("4b1f9a33c20758e16d2a9011fe3c845b"); //~ hardcoded-crypto-key

#[derive(Serialize, Deserialize, Clone)]
pub struct OAuthTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

#[derive(Serialize, Deserialize)]
struct SealedBlob {
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
}

pub struct CredentialCache {
    dir: PathBuf,
    cipher: Aes128Gcm,
}

impl CredentialCache {
    pub fn open(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            cipher: Aes128Gcm::new_from_slice(&CACHE_KEY).expect("16-byte key"), //~ hardcoded-crypto-key
        }
    }

    pub fn open_with_keyring(dir: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let entry = keyring::Entry::new("sync-client", "cache-key")?;
        let key = hex::decode(entry.get_password()?)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            cipher: Aes128Gcm::new_from_slice(&key)?,
        })
    }

    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, aes_gcm::Error> {
        let nonce = Aes128Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self.cipher.encrypt(&nonce, plain)?;
        let blob = SealedBlob {
            nonce: nonce.to_vec(),
            ciphertext,
        };
        Ok(serde_json::to_vec(&blob).unwrap_or_default())
    }

    fn unseal(&self, raw: &[u8]) -> Option<Vec<u8>> {
        let blob: SealedBlob = serde_json::from_slice(raw).ok()?;
        self.cipher
            .decrypt(Nonce::from_slice(&blob.nonce), blob.ciphertext.as_ref())
            .ok()
    }

    pub fn store_tokens(&self, tokens: &OAuthTokens) -> std::io::Result<()> {
        let plain = serde_json::to_vec(tokens)?;
        let sealed = self.seal(&plain).map_err(|_| std::io::ErrorKind::Other)?;
        fs::write(self.dir.join("tokens.sealed"), sealed)
    }

    pub fn store_offline_copy(&self, tokens: &OAuthTokens) -> std::io::Result<()> {
        let line = format!("{}\n{}\n", tokens.access_token, tokens.refresh_token);
        fs::write(self.dir.join("offline.txt"), line) //~ cleartext-storage
    }

    pub fn load_tokens(&self) -> Option<OAuthTokens> {
        let raw = fs::read(self.dir.join("tokens.sealed")).ok()?;
        serde_json::from_slice(&self.unseal(&raw)?).ok()
    }
}

/// Wraps exported archives so they can be moved between machines.
pub fn export_cipher() -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(b"sync-export-key-0123456789abcdef".into()) //~ hardcoded-crypto-key
}

pub fn passphrase_cipher(passphrase: &str, salt: &[u8]) -> ChaCha20Poly1305 {
    let mut key = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .expect("argon2 params");
    ChaCha20Poly1305::new(ChaChaKey::from_slice(&key))
}

pub fn legacy_passphrase_key(passphrase: &str) -> [u8; 32] {
    let digest = Sha1::digest(passphrase.as_bytes()); //~ weak-hash
    let mut key = [0u8; 32];
    key[..20].copy_from_slice(&digest);
    key[20..].copy_from_slice(&digest[..12]);
    key
}

/// Opens archives written by sync client 1.x.
pub fn open_legacy_archive(path: &Path) -> Option<Vec<u8>> {
    let passphrase = std::env::var("SYNC_ARCHIVE_PASSPHRASE").ok()?;
    let key = legacy_passphrase_key(&passphrase);
    let raw = fs::read(path).ok()?;
    if raw.len() < 12 {
        return None;
    }
    let (nonce, body) = raw.split_at(12);
    let cipher = ChaCha20Poly1305::new(ChaChaKey::from_slice(&key));
    cipher
        .decrypt(chacha20poly1305::Nonce::from_slice(nonce), body)
        .ok()
}

pub fn archive_checksum(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn report_refresh(tokens: &OAuthTokens) {
    eprintln!("token refreshed, expires in {}s", tokens.expires_in);
    eprintln!("refresh token now {}", tokens.refresh_token); //~ cleartext-logging
}

pub async fn refresh(
    cache: &CredentialCache,
    http: &reqwest::Client,
    verbose: bool,
) -> reqwest::Result<()> {
    let Some(current) = cache.load_tokens() else {
        return Ok(());
    };
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", current.refresh_token.as_str()),
    ];
    let tokens: OAuthTokens = http
        .post("https://auth.example.com/oauth/token")
        .form(&params)
        .send()
        .await?
        .json()
        .await?;
    if verbose {
        report_refresh(&tokens);
    }
    let _ = cache.store_tokens(&tokens);
    if std::env::var_os("SYNC_OFFLINE_MODE").is_some() {
        let _ = cache.store_offline_copy(&tokens);
    }
    Ok(())
}
