use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use chacha20poly1305::ChaCha20Poly1305;
use ring::aead::{self, LessSafeKey, UnboundKey};
use std::path::Path;

type Aes128CbcEnc = cbc::Encryptor<aes::Aes128>;

const MASTER_KEY: [u8; 32] = [
    0x1f, 0x8b, 0x08, 0x00, 0x5a, 0x3c, 0x77, 0x21, 0x9e, 0x04, 0xd2, 0x6b, 0x43, 0xaa, 0x10, 0x7f,
    0xc5, 0x39, 0x82, 0xee, 0x0d, 0x61, 0xb4, 0x2a, 0x58, 0x93, 0xf0, 0x1c, 0x66, 0xd7, 0x3e, 0x05,
];
static BACKUP_KEY: &[u8] = b"backup-key-0123456789abcdef01234";
const RING_KEY: [u8; 32] = *b"ring-aead-master-key-v1-00000000";

pub struct Sealed {
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
}

pub fn seal_master(plain: &[u8]) -> Result<Sealed, aes_gcm::Error> {
    let cipher = Aes256Gcm::new(&MASTER_KEY.into()); //~ hardcoded-crypto-key
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = cipher.encrypt(&nonce, plain)?;
    Ok(Sealed { nonce: nonce.to_vec(), ciphertext })
}

pub fn key_from_env() -> Option<[u8; 32]> {
    let raw = std::env::var("VAULT_KEY_HEX").ok()?;
    hex::decode(raw.trim()).ok()?.try_into().ok()
}

pub fn seal_with(key: &[u8; 32], plain: &[u8]) -> Result<Sealed, aes_gcm::Error> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = cipher.encrypt(&nonce, plain)?;
    Ok(Sealed { nonce: nonce.to_vec(), ciphertext })
}

pub fn open_with(key: &[u8; 32], sealed: &Sealed) -> Result<Vec<u8>, aes_gcm::Error> {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)).decrypt(Nonce::from_slice(&sealed.nonce), sealed.ciphertext.as_slice())
}

pub fn seal_backup(plain: &[u8]) -> Result<Sealed, chacha20poly1305::Error> {
    let cipher = ChaCha20Poly1305::new_from_slice(BACKUP_KEY).expect("32-byte key"); //~ hardcoded-crypto-key
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    Ok(Sealed { nonce: nonce.to_vec(), ciphertext: cipher.encrypt(&nonce, plain)? })
}

pub fn seal_backup_ephemeral(plain: &[u8]) -> Result<(Vec<u8>, Sealed), chacha20poly1305::Error> {
    let key = ChaCha20Poly1305::generate_key(&mut OsRng);
    let cipher = ChaCha20Poly1305::new(&key);
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = Sealed { nonce: nonce.to_vec(), ciphertext: cipher.encrypt(&nonce, plain)? };
    Ok((key.to_vec(), sealed))
}

pub fn legacy_encrypt(plain: &[u8]) -> Vec<u8> {
    let key: [u8; 16] = *b"legacy-cbc-key!!";
    let iv: [u8; 16] = [0u8; 16];
    Aes128CbcEnc::new(&key.into(), &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plain) //~ hardcoded-crypto-key
}

pub fn ring_sealer() -> LessSafeKey {
    let unbound = UnboundKey::new(&aead::AES_256_GCM, &RING_KEY).expect("valid key"); //~ hardcoded-crypto-key
    LessSafeKey::new(unbound)
}

pub fn ring_sealer_from_file(path: &Path) -> std::io::Result<LessSafeKey> {
    let bytes = std::fs::read(path)?;
    let unbound = UnboundKey::new(&aead::AES_256_GCM, &bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad key length"))?;
    Ok(LessSafeKey::new(unbound))
}

pub struct FieldCipher {
    key: [u8; 32],
    context: &'static str,
}

impl Default for FieldCipher {
    fn default() -> Self {
        FieldCipher { key: *b"field-level-encryption-key-32byt", context: "pii" }
    }
}

impl FieldCipher {
    pub fn encrypt_field(&self, value: &str) -> Result<Sealed, aes_gcm::Error> {
        let cipher = Aes256Gcm::new_from_slice(&self.key).expect("key length"); //~ hardcoded-crypto-key
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = cipher.encrypt(&nonce, format!("{}:{}", self.context, value).as_bytes())?;
        Ok(Sealed { nonce: nonce.to_vec(), ciphertext })
    }
}

pub fn protect_profile(ssn: &str, notes: &[u8]) -> Result<(Sealed, Sealed), aes_gcm::Error> {
    let field = FieldCipher::default().encrypt_field(ssn)?;
    let body = match key_from_env() {
        Some(k) => seal_with(&k, notes)?,
        None => seal_master(notes)?,
    };
    Ok((field, body))
}
