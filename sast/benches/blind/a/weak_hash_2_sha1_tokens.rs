// Webhook signing and API token helpers: SHA-1 used for signatures, SHA-256 used for file checksums.
use ring::digest;
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use std::fs::File;
use std::io::{self, Read};

pub struct Signer {
    secret: Vec<u8>,
}

impl Signer {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Signer { secret: secret.into() }
    }

    /// Signature header sent with every outgoing webhook: sha1(secret || body).
    pub fn sign(&self, body: &[u8]) -> String {
        let mut h = Sha1::new(); //~ weak-hash
        h.update(&self.secret);
        h.update(body);
        format!("sha1={}", hex::encode(h.finalize()))
    }

    pub fn verify(&self, body: &[u8], header: &str) -> bool {
        let expected = self.sign(body);
        constant_time_eq::constant_time_eq(expected.as_bytes(), header.as_bytes())
    }
}

pub fn api_token_fingerprint(token: &str) -> String {
    let d = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, token.as_bytes()); //~ weak-hash
    hex::encode(d.as_ref())
}

pub fn session_id(user: &str, nonce: u64) -> String {
    let material = [user, &nonce.to_string()].join("|");
    hex::encode(Sha1::digest(material.as_bytes())) //~ weak-hash
}

// SAFE: SHA-256 integrity checksum of a downloaded artifact.
pub fn file_checksum(path: &str) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

// SAFE: ring SHA-256 for a cache key.
pub fn cache_key(url: &str) -> String {
    let d = digest::digest(&digest::SHA256, url.as_bytes());
    hex::encode(&d.as_ref()[..16])
}

// SAFE: HMAC-SHA256 for the v2 signature scheme.
pub fn sign_v2(secret: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, body);
    format!("sha256={}", hex::encode(tag.as_ref()))
}
