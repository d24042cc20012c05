// https://github.com/GianIac/rustfuscator/issues/58 (AES_KEY constant used as the key of every obfuscated literal; fix commits b20f0bc/c4ece1e load the key at build time)
use aes_gcm::{
    aead::{rand_core::RngCore, Aead, KeyInit, OsRng},
    Aes256Gcm, Nonce,
};

pub const AES_KEY: &[u8; 32] = b"01234567890123456789012345678901"; //~ hardcoded-crypto-key

pub fn encrypt_string(input: &str, key: &[u8; 32]) -> Result<(Vec<u8>, [u8; 12]), ()> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| ())?;
    let mut nonce_bytes = [0u8; 12];
    OsRng.fill_bytes(&mut nonce_bytes);
    let nonce = Nonce::from_slice(&nonce_bytes);
    let ciphertext = cipher.encrypt(nonce, input.as_bytes()).map_err(|_| ())?;
    Ok((ciphertext, nonce_bytes))
}

// The derive macro expands every obfuscated literal into this call.
pub fn obfuscate_literal(s: &str) -> (Vec<u8>, [u8; 12]) {
    encrypt_string(s, AES_KEY).unwrap()
}

const OBF_KEY_HEX: Option<&'static str> = option_env!("OBF_KEY_HEX");

fn fixed_parse_hex32(s: &str) -> Result<[u8; 32], ()> {
    if s.len() != 64 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(());
    }
    let mut out = [0u8; 32];
    for i in 0..32 {
        out[i] = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| ())?;
    }
    Ok(out)
}

pub fn fixed_default_key() -> Result<[u8; 32], ()> {
    // The fix also kept an all-zero dev-only fallback when the build script
    // did not run; that part is left out here.
    fixed_parse_hex32(OBF_KEY_HEX.ok_or(())?)
}

pub fn fixed_obfuscate_literal(s: &str) -> (Vec<u8>, [u8; 12]) {
    encrypt_string(s, &fixed_default_key().unwrap()).unwrap()
}
