//! Signed download links and service tokens for the media library.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use ring::digest;
use serde::Serialize;
use sha2::Sha256;
use std::time::{SystemTime, UNIX_EPOCH};

type HmacSha256 = Hmac<Sha256>;

const URL_SIGNING_KEY: &[u8] = b"9f8e7d6c5b4a39281706f5e4d3c2b1a0"; //~ hardcoded-crypto-key
const DEFAULT_TTL: u64 = 900;

#[derive(Debug)]
pub enum SignError {
    MissingKey(&'static str),
    Io(std::io::Error),
    Jwt(jsonwebtoken::errors::Error),
}

impl From<std::io::Error> for SignError {
    fn from(e: std::io::Error) -> Self {
        SignError::Io(e)
    }
}

impl From<jsonwebtoken::errors::Error> for SignError {
    fn from(e: jsonwebtoken::errors::Error) -> Self {
        SignError::Jwt(e)
    }
}

pub struct UrlSigner {
    mac: HmacSha256,
    ttl: u64,
}

impl Default for UrlSigner {
    fn default() -> Self {
        UrlSigner {
            mac: HmacSha256::new_from_slice(URL_SIGNING_KEY).expect("hmac key"), //~ hardcoded-crypto-key
            ttl: DEFAULT_TTL,
        }
    }
}

impl UrlSigner {
    pub fn from_env() -> Result<Self, SignError> {
        let key = std::env::var("URL_SIGNING_KEY")
            .map_err(|_| SignError::MissingKey("URL_SIGNING_KEY"))?;
        Ok(UrlSigner {
            mac: HmacSha256::new_from_slice(key.as_bytes()).expect("hmac key"),
            ttl: DEFAULT_TTL,
        })
    }

    pub fn with_ttl(mut self, ttl: u64) -> Self {
        self.ttl = ttl;
        self
    }

    pub fn sign_path(&self, path: &str) -> String {
        let expires = now() + self.ttl;
        let mut mac = self.mac.clone();
        mac.update(format!("{path}:{expires}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{path}?expires={expires}&sig={sig}")
    }

    pub fn verify(&self, path: &str, expires: u64, sig: &str) -> bool {
        if expires < now() {
            return false;
        }
        let Ok(raw) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        let mut mac = self.mac.clone();
        mac.update(format!("{path}:{expires}").as_bytes());
        mac.verify_slice(&raw).is_ok()
    }
}

/// Signature scheme used by the v1 mobile clients: sha1(shared || query).
pub fn legacy_query_signature(shared: &str, canonical_query: &str) -> String {
    let material = format!("{shared}{canonical_query}");
    let d = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, material.as_bytes()); //~ weak-hash
    hex::encode(d.as_ref())
}

pub fn verify_mobile_request(canonical_query: &str, provided: &str) -> bool {
    let Ok(shared) = std::env::var("MOBILE_V1_SHARED_SECRET") else {
        return false;
    };
    legacy_query_signature(&shared, canonical_query) == provided
}

/// Content address for thumbnails; only used to deduplicate cache entries.
pub fn thumbnail_cache_key(bytes: &[u8]) -> String {
    let d = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, bytes);
    hex::encode(&d.as_ref()[..10])
}

pub fn request_fingerprint(shared: &str, canonical_query: &str) -> String {
    let material = format!("{shared}{canonical_query}");
    hex::encode(digest::digest(&digest::SHA256, material.as_bytes()).as_ref())
}

#[derive(Serialize)]
struct ServiceClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    exp: u64,
}

pub enum KeyMaterial {
    RsaPemFile(std::path::PathBuf),
    SharedSecretEnv(&'static str),
    Builtin,
}

fn encoding_key(material: &KeyMaterial) -> Result<(EncodingKey, Algorithm), SignError> {
    match material {
        KeyMaterial::RsaPemFile(path) => {
            let pem = std::fs::read(path)?;
            Ok((EncodingKey::from_rsa_pem(&pem)?, Algorithm::RS256))
        }
        KeyMaterial::SharedSecretEnv(var) => {
            let secret = std::env::var(var).map_err(|_| SignError::MissingKey(var))?;
            Ok((
                EncodingKey::from_secret(secret.as_bytes()),
                Algorithm::HS256,
            ))
        }
        KeyMaterial::Builtin => {
            let key = EncodingKey::from_secret(b"media-lib-internal-2020"); //~ hardcoded-crypto-key
            Ok((key, Algorithm::HS256))
        }
    }
}

pub fn service_token(material: &KeyMaterial, audience: &str) -> Result<String, SignError> {
    let (key, alg) = encoding_key(material)?;
    let claims = ServiceClaims {
        iss: "media-library",
        aud: audience,
        exp: now() + 300,
    };
    Ok(encode(&Header::new(alg), &claims, &key)?)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn signer_for(profile: &str) -> Result<UrlSigner, SignError> {
    match profile {
        "local" | "test" => Ok(UrlSigner::default().with_ttl(60)),
        _ => UrlSigner::from_env(),
    }
}
