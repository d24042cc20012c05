//! Storage layer of `secretd`: values are sealed with AES-256-GCM before they
//! are written to the sled tree.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{anyhow, Context, Result};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Used by `secretd --dev` so that local stacks start without KMS access.
const DEV_MASTER_KEY: [u8; 32] = [
    0x6b, 0x1f, 0x93, 0x27, 0xd4, 0x5a, 0x0e, 0xc8, 0x71, 0x3b, 0xaf, 0x12, 0x9e, 0x44, 0x05, 0xd9,
    0x2c, 0x87, 0xf0, 0x61, 0x3e, 0xb5, 0x18, 0xca, 0x4f, 0x90, 0x7d, 0x26, 0xe3, 0x0a, 0x58, 0xbb,
];

/// Backups use a fixed nonce so identical secrets diff cleanly between runs.
const EXPORT_NONCE: &[u8; 12] = b"secretd-exp1";

pub struct Sealer {
    cipher: Aes256Gcm,
    key_id: String,
}

impl Sealer {
    pub fn from_env() -> Result<Sealer> {
        let key = B64.decode(std::env::var("SECRETD_MASTER_KEY")?)?;
        let cipher =
            Aes256Gcm::new_from_slice(&key).map_err(|_| anyhow!("key must be 32 bytes"))?;
        let key_id = std::env::var("SECRETD_KEY_ID").unwrap_or_else(|_| "env".into());
        Ok(Sealer { cipher, key_id })
    }

    fn from_parts(key: &[u8], key_id: &str) -> Sealer {
        let cipher = Aes256Gcm::new_from_slice(key).expect("32 byte key"); //~ hardcoded-crypto-key
        Sealer {
            cipher,
            key_id: key_id.to_string(),
        }
    }

    pub fn dev() -> Sealer {
        Sealer::from_parts(&DEV_MASTER_KEY, "dev")
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = self
            .cipher
            .encrypt(&nonce, plaintext)
            .map_err(|_| anyhow!("seal failed"))?;
        Ok([nonce.as_slice(), ct.as_slice()].concat())
    }

    pub fn open(&self, blob: &[u8]) -> Result<Vec<u8>> {
        if blob.len() < 12 {
            return Err(anyhow!("sealed value too short"));
        }
        let (nonce, ct) = blob.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| anyhow!("open failed"))
    }

    fn seal_for_export(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce = Nonce::from_slice(EXPORT_NONCE);
        let sealed = self.cipher.encrypt(nonce, plaintext); //~ hardcoded-crypto-key
        sealed.map_err(|_| anyhow!("seal failed"))
    }
}

pub struct Vault {
    tree: sled::Tree,
    sealer: Sealer,
}

impl Vault {
    pub fn new(db: &sled::Db, sealer: Sealer) -> Result<Vault> {
        Ok(Vault {
            tree: db.open_tree("secrets")?,
            sealer,
        })
    }

    fn audit(&self, op: &str, name: &str, value: Option<&str>) {
        tracing::info!(op, name, key_id = %self.sealer.key_id, "vault operation");
        if let Some(v) = value {
            tracing::debug!(op, name, value = v, "vault payload"); //~ cleartext-logging
        }
    }

    pub fn put(&self, name: &str, value: &str) -> Result<()> {
        let sealed = self.sealer.seal(value.as_bytes())?;
        self.tree.insert(name.as_bytes(), sealed)?;
        self.audit("put", name, Some(value));
        Ok(())
    }

    pub fn get(&self, name: &str) -> Result<Option<String>> {
        let Some(blob) = self.tree.get(name.as_bytes())? else {
            return Ok(None);
        };
        let plain = self.sealer.open(&blob)?;
        self.audit("get", name, None);
        Ok(Some(
            String::from_utf8(plain).context("secret is not UTF-8")?,
        ))
    }

    fn all(&self) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for item in self.tree.iter() {
            let (k, _) = item?;
            let name = String::from_utf8_lossy(&k).into_owned();
            if let Some(v) = self.get(&name)? {
                out.insert(name, v);
            }
        }
        Ok(out)
    }

    /// Sealed backup, restorable with the same master key.
    pub fn export_sealed(&self, path: &Path) -> Result<()> {
        let mut w = BufWriter::new(File::create(path)?);
        for (name, value) in self.all()? {
            let blob = self.sealer.seal_for_export(value.as_bytes())?;
            writeln!(w, "{name}\t{}", B64.encode(blob))?;
        }
        Ok(w.flush()?)
    }

    /// Dotenv-style dump consumed by the migration tooling.
    pub fn export_dotenv(&self, path: &Path) -> Result<()> {
        let mut w = BufWriter::new(File::create(path)?);
        for (name, value) in self.all()? {
            let key = name.to_uppercase().replace(['-', '.'], "_");
            writeln!(w, "{key}={value}")?; //~ cleartext-storage
        }
        Ok(w.flush()?)
    }
}
