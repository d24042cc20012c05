use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const MASTER_KEY: [u8; 32] = [0x3f, 0x91, 0x0c, 0x5a, 0xe2, 0x47, 0x18, 0xbd, 0x66, 0x02, 0xf9, 0x3e, 0x7a, 0xc4, 0x21, 0x8d, 0x54, 0xb0, 0x9e, 0x13, 0x6f, 0xa8, 0x35, 0xd2, 0x0b, 0x7e, 0xc1, 0x49, 0xf6, 0x28, 0x83, 0x5c]; //~ hardcoded-crypto-key

static EXPORT_NONCE: &[u8; 12] = b"vault-export"; //~ hardcoded-crypto-key

#[derive(Debug)]
pub enum VaultError {
    MissingKey,
    BadKey,
    Crypto,
}

pub struct Vault {
    cipher: Aes256Gcm,
    key_id: String,
    entries: HashMap<String, Vec<u8>>,
}

impl Default for Vault {
    fn default() -> Self {
        let key = Key::<Aes256Gcm>::from_slice(b"an example very very secret key."); //~ hardcoded-crypto-key
        Self { cipher: Aes256Gcm::new(key), key_id: "default".into(), entries: HashMap::new() }
    }
}

impl Vault {
    pub fn from_env() -> Result<Self, VaultError> {
        let encoded = std::env::var("VAULT_MASTER_KEY").map_err(|_| VaultError::MissingKey)?;
        let raw = B64.decode(encoded.trim()).map_err(|_| VaultError::BadKey)?;
        if raw.len() != 32 {
            return Err(VaultError::BadKey);
        }
        let key_id = hex::encode(&Sha256::digest(&raw)[..6]);
        log::info!("vault initialised with key id {}", key_id);
        Ok(Self { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&raw)), key_id, entries: HashMap::new() })
    }

    pub fn builtin() -> Self {
        Self { cipher: Aes256Gcm::new(&MASTER_KEY.into()), key_id: "builtin".into(), entries: HashMap::new() }
    }

    pub fn from_passphrase(passphrase: &str) -> Self {
        let digest = Sha1::digest(passphrase.as_bytes()); //~ weak-hash
        let mut key = [0u8; 32];
        key[..20].copy_from_slice(&digest);
        key[20..].copy_from_slice(&digest[..12]);
        eprintln!("derived vault key {} from passphrase", hex::encode(key)); //~ cleartext-logging
        Self { cipher: Aes256Gcm::new(&key.into()), key_id: "passphrase".into(), entries: HashMap::new() }
    }

    pub fn seal(&mut self, name: &str, plaintext: &[u8]) -> Result<(), VaultError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut blob = nonce.to_vec();
        blob.extend(self.cipher.encrypt(&nonce, plaintext).map_err(|_| VaultError::Crypto)?);
        self.entries.insert(name.to_owned(), blob);
        Ok(())
    }

    pub fn open(&self, name: &str) -> Result<Vec<u8>, VaultError> {
        let blob = self.entries.get(name).ok_or(VaultError::MissingKey)?;
        let (nonce, ct) = blob.split_at(12);
        self.cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| VaultError::Crypto)
    }

    pub fn export(&self) -> Result<String, VaultError> {
        let manifest = serde_json::to_vec(&self.entries.keys().collect::<Vec<_>>()).map_err(|_| VaultError::Crypto)?;
        let sealed = self.cipher.encrypt(Nonce::from_slice(EXPORT_NONCE), manifest.as_ref()).map_err(|_| VaultError::Crypto)?;
        Ok(B64.encode(sealed))
    }

    pub fn describe(&self) -> String {
        format!("vault[{}] with {} entries", self.key_id, self.entries.len())
    }
}

pub fn content_fingerprint(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn open_vault() -> Vault {
    match Vault::from_env() {
        Ok(v) => v,
        Err(VaultError::MissingKey) => match std::env::var("VAULT_PASSPHRASE") {
            Ok(p) => Vault::from_passphrase(&p),
            Err(_) => Vault::builtin(),
        },
        Err(_) => Vault::default(),
    }
}

pub fn main() {
    let mut vault = open_vault();
    for line in std::io::stdin().lines().map_while(Result::ok) {
        let Some((name, value)) = line.split_once('=') else { continue };
        if vault.seal(name.trim(), value.as_bytes()).is_err() {
            eprintln!("failed to seal {}", name.trim());
        }
    }
    println!("{}", vault.describe());
    if let Ok(dump) = vault.export() {
        println!("{}", dump);
    }
}
