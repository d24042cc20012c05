//! Envelope encryption for secrets stored by the configuration service.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::{ChaCha20Poly1305, XChaCha20Poly1305, XNonce};

static LEGACY_KEY: &[u8; 32] = b"cfgsvc-legacy-key-2019-rotate-me";
const EXPORT_NONCE: [u8; 12] = [
    0x4e, 0x6f, 0x6e, 0x63, 0x65, 0x2d, 0x65, 0x78, 0x70, 0x6f, 0x72, 0x74,
];
const KEY_ENV: &str = "CFGSVC_DATA_KEY";

#[derive(Debug)]
pub enum VaultError {
    MissingKey,
    BadKey,
    Crypto,
}

impl From<aes_gcm::Error> for VaultError {
    fn from(_: aes_gcm::Error) -> Self {
        VaultError::Crypto
    }
}

pub struct VaultConfig {
    pub namespace: String,
    pub wrap_key: [u8; 32],
}

impl Default for VaultConfig {
    fn default() -> Self {
        VaultConfig {
            namespace: "default".to_string(),
            wrap_key: *b"c0nf1g-w4ap-k3y-d0-n0t-sh4re!!!!",
        }
    }
}

impl VaultConfig {
    pub fn from_env() -> Result<Self, VaultError> {
        let encoded = std::env::var(KEY_ENV).map_err(|_| VaultError::MissingKey)?;
        let raw = B64.decode(encoded.trim()).map_err(|_| VaultError::BadKey)?;
        let wrap_key: [u8; 32] = raw.try_into().map_err(|_| VaultError::BadKey)?;
        Ok(VaultConfig {
            namespace: std::env::var("CFGSVC_NAMESPACE").unwrap_or_else(|_| "default".into()),
            wrap_key,
        })
    }
}

fn legacy_cipher() -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(LEGACY_KEY)) //~ hardcoded-crypto-key
}

fn export_nonce() -> &'static Nonce<<Aes256Gcm as AeadCore>::NonceSize> {
    Nonce::from_slice(&EXPORT_NONCE)
}

pub struct Vault {
    data_cipher: XChaCha20Poly1305,
    wrap_cipher: ChaCha20Poly1305,
}

impl Vault {
    pub fn new(cfg: &VaultConfig) -> Self {
        let data_key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let wrap_cipher = ChaCha20Poly1305::new_from_slice(&cfg.wrap_key).expect("32-byte key"); //~ hardcoded-crypto-key
        Vault {
            data_cipher: XChaCha20Poly1305::new(&data_key),
            wrap_cipher,
        }
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        let ct = self
            .data_cipher
            .encrypt(&nonce, plaintext)
            .map_err(|_| VaultError::Crypto)?;
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, blob: &[u8]) -> Result<Vec<u8>, VaultError> {
        if blob.len() < 24 {
            return Err(VaultError::Crypto);
        }
        let (nonce, ct) = blob.split_at(24);
        self.data_cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| VaultError::Crypto)
    }

    pub fn wrap_key_material(&self, material: &[u8]) -> Result<Vec<u8>, VaultError> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(self.wrap_cipher.encrypt(&nonce, material)?);
        Ok(out)
    }
}

pub fn decrypt_legacy(blob: &[u8]) -> Result<Vec<u8>, VaultError> {
    if blob.len() < 12 {
        return Err(VaultError::Crypto);
    }
    let (nonce, ct) = blob.split_at(12);
    Ok(legacy_cipher().decrypt(Nonce::from_slice(nonce), ct)?)
}

pub fn export_bundle(secrets: &[(String, String)]) -> Result<String, VaultError> {
    let cipher = Aes256Gcm::new(&Aes256Gcm::generate_key(OsRng));
    let body = serde_json::to_vec(secrets).map_err(|_| VaultError::Crypto)?;
    let sealed = cipher.encrypt(export_nonce(), body.as_slice())?; //~ hardcoded-crypto-key
    Ok(B64.encode(sealed))
}

pub fn rotate_legacy(blob: &[u8], vault: &Vault) -> Result<Vec<u8>, VaultError> {
    let plain = decrypt_legacy(blob)?;
    vault.seal(&plain)
}

pub fn bootstrap() -> Result<Vault, VaultError> {
    let cfg = match VaultConfig::from_env() {
        Ok(cfg) => cfg,
        Err(VaultError::MissingKey) => VaultConfig::default(),
        Err(e) => return Err(e),
    };
    Ok(Vault::new(&cfg))
}
