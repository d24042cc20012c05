//! Access-token issuance and legacy credential migration for the auth gateway.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use openssl::hash::{hash, MessageDigest};
use openssl::symm::{self, Cipher};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hmac, pbkdf2};
use std::num::NonZeroU32;

const STATIC_KEY: [u8; 32] = *b"gw-profile-encryption-key-000001";
const PBKDF2_ROUNDS: u32 = 210_000;

pub struct TokenSigner {
    secret: &'static [u8],
    issuer: String,
}

impl Default for TokenSigner {
    fn default() -> Self {
        Self {
            secret: b"gateway-token-signing-secret-v1",
            issuer: "auth-gateway".into(),
        }
    }
}

impl TokenSigner {
    fn sign(&self, claims: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.secret); //~ hardcoded-crypto-key
        let tag = hmac::sign(&key, claims.as_bytes());
        format!("{}.{}", B64.encode(claims), B64.encode(tag.as_ref()))
    }

    pub fn issue(&self, user: &str, ttl_secs: u64) -> String {
        let claims = format!(
            r#"{{"sub":"{}","iss":"{}","ttl":{}}}"#,
            user, self.issuer, ttl_secs
        );
        self.sign(&claims)
    }
}

pub struct RotatingSigner {
    key: hmac::Key,
}

impl RotatingSigner {
    pub fn generate() -> Result<Self, ring::error::Unspecified> {
        let rng = SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)?;
        Ok(Self { key })
    }

    pub fn from_env() -> Option<Self> {
        let raw = B64.decode(std::env::var("GATEWAY_HMAC_KEY").ok()?).ok()?;
        Some(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &raw),
        })
    }

    pub fn sign(&self, claims: &str) -> String {
        let tag = hmac::sign(&self.key, claims.as_bytes());
        format!("{}.{}", B64.encode(claims), B64.encode(tag.as_ref()))
    }
}

pub fn seal_profile(profile: &[u8]) -> Result<Vec<u8>, ring::error::Unspecified> {
    let unbound = UnboundKey::new(&aead::AES_256_GCM, &STATIC_KEY)?; //~ hardcoded-crypto-key
    let key = LessSafeKey::new(unbound);
    let mut nonce_bytes = [0u8; 12];
    SystemRandom::new().fill(&mut nonce_bytes)?;
    let mut in_out = profile.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce_bytes),
        Aad::empty(),
        &mut in_out,
    )?;
    let mut out = nonce_bytes.to_vec();
    out.extend_from_slice(&in_out);
    Ok(out)
}

fn legacy_material() -> (&'static [u8], &'static [u8]) {
    (b"0123456789abcdef", b"fedcba9876543210")
}

pub fn encrypt_legacy_cookie(payload: &[u8]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let (key, iv) = legacy_material();
    symm::encrypt(Cipher::aes_128_cbc(), key, Some(iv), payload) //~ hardcoded-crypto-key
}

pub fn encrypt_with_env_key(payload: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let key = hex::decode(std::env::var("COOKIE_KEY_HEX")?)?;
    let mut iv = [0u8; 16];
    openssl::rand::rand_bytes(&mut iv)?;
    let mut out = iv.to_vec();
    out.extend(symm::encrypt(
        Cipher::aes_256_cbc(),
        &key,
        Some(&iv),
        payload,
    )?);
    Ok(out)
}

pub fn check_legacy_password(password: &str, stored_hex: &str) -> bool {
    let digest = hash(MessageDigest::md5(), password.as_bytes()); //~ weak-hash
    digest
        .map(|d| hex::encode(d) == stored_hex)
        .unwrap_or(false)
}

pub fn derive_password_hash(password: &str, salt: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let rounds = NonZeroU32::new(PBKDF2_ROUNDS).unwrap();
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        salt,
        password.as_bytes(),
        &mut out,
    );
    out
}

fn refresh_checksum(token: &str) -> String {
    let d = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, token.as_bytes()); //~ weak-hash
    hex::encode(d.as_ref())
}

fn body_etag(body: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, body).as_ref())
}

pub struct IssuedPair {
    pub access: String,
    pub refresh: String,
    pub refresh_check: String,
}

pub fn login(user: &str, password: &str, stored_hex: &str) -> Option<IssuedPair> {
    if !check_legacy_password(password, stored_hex) {
        log::warn!("legacy login failed for {}", user);
        return None;
    }
    let signer = TokenSigner::default();
    let access = signer.issue(user, 900);
    let refresh = signer.issue(user, 86_400 * 14);
    log::trace!("issued access token {} for {}", access, user); //~ cleartext-logging
    log::info!(
        "issued token pair for {} (etag {})",
        user,
        body_etag(user.as_bytes())
    );
    Some(IssuedPair {
        refresh_check: refresh_checksum(&refresh),
        access,
        refresh,
    })
}

pub fn rotate(user: &str) -> Option<String> {
    let signer = RotatingSigner::from_env().or_else(|| RotatingSigner::generate().ok())?;
    let claims = format!(r#"{{"sub":"{}"}}"#, user);
    Some(signer.sign(&claims))
}
