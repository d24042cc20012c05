// Backup archive encryption for a self-hosted NAS daemon using openssl::symm (AES-256-CBC).
use openssl::error::ErrorStack;
use openssl::rand::rand_bytes;
use openssl::symm::{decrypt, encrypt, Cipher, Crypter, Mode};
use std::fs;
use std::path::Path;

static BACKUP_KEY: &[u8] = b"nas-nightly-backup-key-32-bytes!";
static BACKUP_IV: &[u8; 16] = b"fixed-iv-16bytes";

pub fn encrypt_backup(data: &[u8]) -> Result<Vec<u8>, ErrorStack> {
    let cipher = Cipher::aes_256_cbc();
    encrypt(cipher, BACKUP_KEY, Some(BACKUP_IV), data) //~ hardcoded-crypto-key
}

pub fn decrypt_backup(data: &[u8]) -> Result<Vec<u8>, ErrorStack> {
    decrypt(Cipher::aes_256_cbc(), BACKUP_KEY, Some(BACKUP_IV), data) //~ hardcoded-crypto-key
}

/// Encrypts the exported share configuration with a vendor key.
pub fn encrypt_share_config(data: &[u8]) -> Result<Vec<u8>, ErrorStack> {
    let key = hex::decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
        .expect("static hex");
    let mut iv = [0u8; 16];
    rand_bytes(&mut iv)?;
    let mut out = iv.to_vec();
    out.extend(encrypt(Cipher::aes_256_cbc(), &key, Some(&iv), data)?); //~ hardcoded-crypto-key
    Ok(out)
}

/// Streaming variant for large volumes.
pub fn stream_encrypt(chunks: &[&[u8]]) -> Result<Vec<u8>, ErrorStack> {
    let cipher = Cipher::aes_256_cbc();
    let mut crypter = Crypter::new(cipher, Mode::Encrypt, BACKUP_KEY, Some(BACKUP_IV))?; //~ hardcoded-crypto-key
    let mut out = vec![0u8; chunks.iter().map(|c| c.len()).sum::<usize>() + cipher.block_size()];
    let mut n = 0;
    for c in chunks {
        n += crypter.update(c, &mut out[n..])?;
    }
    n += crypter.finalize(&mut out[n..])?;
    out.truncate(n);
    Ok(out)
}

/// Current scheme: key file provisioned at install time, random IV per archive.
pub fn encrypt_backup_v2(key_path: &Path, data: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let key = fs::read(key_path)?;
    if key.len() != 32 {
        return Err("backup key must be 32 bytes".into());
    }
    let mut iv = [0u8; 16];
    rand_bytes(&mut iv)?;
    let mut out = iv.to_vec();
    out.extend(encrypt(Cipher::aes_256_cbc(), &key, Some(&iv), data)?);
    Ok(out)
}

pub fn decrypt_backup_v2(key_path: &Path, blob: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let key = fs::read(key_path)?;
    if blob.len() < 16 {
        return Err("truncated archive".into());
    }
    let (iv, ct) = blob.split_at(16);
    Ok(decrypt(Cipher::aes_256_cbc(), &key, Some(iv), ct)?)
}
