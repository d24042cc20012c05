//! Token primitives shared by the API gateway: session MACs, refresh-token
//! lookup keys, wrapped upload credentials and signed download links.

use openssl::hash::{hash, MessageDigest};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hmac};
use std::time::{SystemTime, UNIX_EPOCH};

const SESSION_MAC_KEY: &[u8] = b"gw-session-mac-0b8e3f61c2d94a7e";

#[derive(Debug)]
pub struct TokenError;

impl From<ring::error::Unspecified> for TokenError {
    fn from(_: ring::error::Unspecified) -> Self {
        TokenError
    }
}

pub struct SessionMac {
    key: hmac::Key,
}

impl SessionMac {
    /// Shared key so every gateway replica accepts every other replica's sessions.
    pub fn shared() -> SessionMac {
        let key = hmac::Key::new(hmac::HMAC_SHA256, SESSION_MAC_KEY); //~ hardcoded-crypto-key
        SessionMac { key }
    }

    /// Per-process key for CSRF tokens, which never leave a single replica.
    pub fn ephemeral(rng: &SystemRandom) -> Result<SessionMac, TokenError> {
        Ok(SessionMac {
            key: hmac::Key::generate(hmac::HMAC_SHA256, rng)?,
        })
    }

    pub fn tag(&self, session_id: &str) -> String {
        hex::encode(hmac::sign(&self.key, session_id.as_bytes()).as_ref())
    }

    pub fn check(&self, session_id: &str, tag_hex: &str) -> bool {
        let Ok(tag) = hex::decode(tag_hex) else {
            return false;
        };
        hmac::verify(&self.key, session_id.as_bytes(), &tag).is_ok()
    }
}

/// Refresh tokens are stored by digest so a database leak does not leak tokens.
pub fn refresh_lookup_key(refresh_token: &str) -> String {
    let d = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, refresh_token.as_bytes()); //~ weak-hash
    hex::encode(d.as_ref())
}

pub fn api_key_lookup_key(api_key: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, api_key.as_bytes()).as_ref())
}

pub struct CredentialWrapper {
    wrap_key: [u8; 32],
    rng: SystemRandom,
}

impl CredentialWrapper {
    pub fn new() -> CredentialWrapper {
        CredentialWrapper {
            wrap_key: [
                0x4b, 0x8e, 0x21, 0xf7, 0x0c, 0x93, 0x5d, 0xa2, 0x66, 0x1e, 0xb9, 0x47, 0xd0, 0x3a,
                0x85, 0x7c, 0xe2, 0x19, 0x54, 0xab, 0x0f, 0xc6, 0x38, 0x91, 0x7d, 0x22, 0xee, 0x5b,
                0x04, 0xa9, 0x60, 0x1d,
            ],
            rng: SystemRandom::new(),
        }
    }

    /// Wraps short-lived object-store credentials handed to upload workers.
    pub fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, TokenError> {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.wrap_key)?); //~ hardcoded-crypto-key
        seal_with(&key, &self.rng, secret)
    }
}

fn seal_with(key: &LessSafeKey, rng: &SystemRandom, secret: &[u8]) -> Result<Vec<u8>, TokenError> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce)?;
    let mut buf = secret.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)?;
    Ok([nonce.as_slice(), &buf].concat())
}

/// Wraps with the KMS-provisioned key mounted into the pod.
pub fn wrap_with_kms_key(secret: &[u8], rng: &SystemRandom) -> Result<Vec<u8>, TokenError> {
    let raw = std::fs::read("/var/run/secrets/gateway/wrap.key").map_err(|_| TokenError)?;
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &raw)?);
    seal_with(&key, rng, secret)
}

pub struct LinkSigner {
    secret: String,
    base: String,
}

impl LinkSigner {
    pub fn from_env() -> Option<LinkSigner> {
        Some(LinkSigner {
            secret: std::env::var("DOWNLOAD_LINK_SECRET").ok()?,
            base: "https://files.example.com".into(),
        })
    }

    fn signature(&self, path: &str, expires: u64) -> Result<String, openssl::error::ErrorStack> {
        let material = format!("{}{}{}", self.secret, path, expires);
        let d = hash(MessageDigest::md5(), material.as_bytes())?; //~ weak-hash
        Ok(hex::encode(d))
    }

    pub fn link(&self, path: &str, ttl: u64) -> Result<String, openssl::error::ErrorStack> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let expires = now + ttl;
        let sig = self.signature(path, expires)?;
        Ok(format!("{}{}?e={}&s={}", self.base, path, expires, sig))
    }

    /// Content fingerprint for the CDN cache key (not a security boundary).
    pub fn cache_key(body: &[u8]) -> Result<String, openssl::error::ErrorStack> {
        Ok(hex::encode(hash(MessageDigest::sha256(), body)?))
    }
}
