//! Cryptographic helpers for the payments gateway: card vault, exports, webhooks, receipts.

use aes::Aes128;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use cbc::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;
type Aes128CbcEnc = cbc::Encryptor<Aes128>;

#[derive(Debug)]
pub enum CryptoError {
    Config(&'static str),
    Seal,
}

pub struct CardVault {
    key: [u8; 32],
}

impl Default for CardVault {
    fn default() -> Self {
        Self {
            key: *b"vault-master-key-v1-do-not-leak!",
        }
    }
}

impl CardVault {
    pub fn seal(&self, pan: &str) -> Result<Vec<u8>, CryptoError> {
        let cipher = Aes256Gcm::new_from_slice(&self.key).map_err(|_| CryptoError::Seal)?; //~ hardcoded-crypto-key
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        let sealed = cipher.encrypt(Nonce::from_slice(&nonce), pan.as_bytes());
        out.extend(sealed.map_err(|_| CryptoError::Seal)?);
        Ok(out)
    }
}

pub struct TokenVault {
    cipher: Aes256Gcm,
}

impl TokenVault {
    pub fn from_key_file(path: &str) -> Result<Self, CryptoError> {
        let raw = std::fs::read(path).map_err(|_| CryptoError::Config("unreadable key file"))?;
        let cipher = Aes256Gcm::new_from_slice(&raw).map_err(|_| CryptoError::Config("bad key"))?;
        Ok(Self { cipher })
    }

    pub fn seal(&self, token: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let body = self.cipher.encrypt(Nonce::from_slice(&nonce), token);
        let mut out = nonce.to_vec();
        out.extend(body.map_err(|_| CryptoError::Seal)?);
        Ok(out)
    }
}

pub struct LegacyExporter {
    key: [u8; 16],
    iv: [u8; 16],
}

impl LegacyExporter {
    pub fn new() -> Result<Self, CryptoError> {
        let hex_key = std::env::var("EXPORT_KEY_HEX").map_err(|_| CryptoError::Config("key"))?;
        let mut key = [0u8; 16];
        hex::decode_to_slice(hex_key, &mut key).map_err(|_| CryptoError::Config("key"))?;
        Ok(Self {
            key,
            iv: [
                0x21, 0x5e, 0x09, 0x7a, 0x44, 0x13, 0x8c, 0x02, 0, 0, 0, 0, 0, 0, 0, 1,
            ],
        })
    }

    pub fn encrypt_batch(&self, csv: &[u8]) -> Vec<u8> {
        let enc = Aes128CbcEnc::new(&self.key.into(), &self.iv.into()); //~ hardcoded-crypto-key
        enc.encrypt_padded_vec_mut::<Pkcs7>(csv)
    }
}

fn webhook_secret() -> &'static [u8] {
    b"whsec_3f9a1c77e2b84d0c5a61"
}

pub fn sign_webhook(body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(webhook_secret()).expect("hmac key"); //~ hardcoded-crypto-key
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

pub fn verify_callback(body: &[u8], signature_hex: &str) -> Result<bool, CryptoError> {
    let secret = std::env::var("PSP_CALLBACK_SECRET").map_err(|_| CryptoError::Config("secret"))?;
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(body);
    let expected = hex::decode(signature_hex).map_err(|_| CryptoError::Config("sig"))?;
    Ok(mac.verify_slice(&expected).is_ok())
}

fn receipt_digest(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string() //~ weak-hash
}

fn cache_key(merchant_id: u64, day: &str) -> String {
    format!("{:x}", md5::compute(format!("{merchant_id}:{day}")))
}

pub struct Receipt {
    pub merchant_id: u64,
    pub day: String,
    pub body: Vec<u8>,
    pub signature: String,
    pub cache_key: String,
}

pub fn sign_receipt(merchant_id: u64, day: &str, body: Vec<u8>) -> Receipt {
    let signature = receipt_digest(&body);
    Receipt {
        merchant_id,
        day: day.to_owned(),
        signature,
        cache_key: cache_key(merchant_id, day),
        body,
    }
}

pub fn receipt_is_authentic(r: &Receipt) -> bool {
    receipt_digest(&r.body) == r.signature
}
