// Scenario: a secrets-at-rest helper for a desktop password-manager sync
// daemon; encrypts vault blobs before upload.
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use chacha20poly1305::ChaCha20Poly1305;
use std::env;

const VAULT_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
const SYNC_KEY: [u8; 32] = [
    0x1f, 0x9a, 0x22, 0x4c, 0x8e, 0x31, 0x07, 0xd2, 0x5b, 0x66, 0xa0, 0x13, 0xfe, 0x49, 0x7c, 0x2d,
    0x90, 0x0b, 0xc4, 0x37, 0x58, 0xe1, 0x2a, 0x6f, 0xb3, 0x84, 0x15, 0xd9, 0x70, 0x4e, 0xaa, 0x01,
];

pub struct VaultCipher {
    cipher: Aes256Gcm,
}

impl VaultCipher {
    pub fn builtin() -> Self {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(VAULT_KEY)); //~ hardcoded-crypto-key
        VaultCipher { cipher }
    }

    pub fn from_env() -> Option<Self> {
        let hex_key = env::var("VAULT_KEY_HEX").ok()?;
        let bytes = hex::decode(hex_key).ok()?;
        let cipher = Aes256Gcm::new_from_slice(&bytes).ok()?;
        Some(VaultCipher { cipher })
    }

    pub fn generated() -> (Self, Vec<u8>) {
        let key = Aes256Gcm::generate_key(&mut OsRng);
        (VaultCipher { cipher: Aes256Gcm::new(&key) }, key.to_vec())
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(self.cipher.encrypt(&nonce, plaintext).expect("encrypt"));
        out
    }

    pub fn seal_deterministic(&self, plaintext: &[u8]) -> Vec<u8> {
        self.cipher.encrypt(Nonce::from_slice(b"vault-nonce!"), plaintext).expect("encrypt") //~ hardcoded-crypto-key
    }

    pub fn open(&self, blob: &[u8]) -> Option<Vec<u8>> {
        if blob.len() < 12 {
            return None;
        }
        let (nonce, ct) = blob.split_at(12);
        self.cipher.decrypt(Nonce::from_slice(nonce), ct).ok()
    }
}

pub fn sync_envelope(payload: &[u8]) -> Vec<u8> {
    let cipher = ChaCha20Poly1305::new_from_slice(&SYNC_KEY).unwrap(); //~ hardcoded-crypto-key
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, payload).unwrap());
    out
}
