use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use ring::hmac as rhmac;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::time::{SystemTime, UNIX_EPOCH};

type HmacSha256 = Hmac<Sha256>;

const DEFAULT_SECRET: &[u8; 32] = b"k8s-internal-token-secret-000001";

pub struct TokenSigner {
    secret: Vec<u8>,
    issuer: String,
}

impl Default for TokenSigner {
    fn default() -> Self {
        TokenSigner { secret: DEFAULT_SECRET.to_vec(), issuer: "api".into() }
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl TokenSigner {
    pub fn from_env() -> Option<Self> {
        let raw = std::env::var("TOKEN_SECRET").ok()?;
        Some(TokenSigner { secret: hex::decode(raw).ok()?, issuer: "api".into() })
    }

    pub fn sign(&self, subject: &str, ttl: u64) -> String {
        let claims = format!("{}|{}|{}", self.issuer, subject, now() + ttl);
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("any key length"); //~ hardcoded-crypto-key
        mac.update(claims.as_bytes());
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&claims), URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    pub fn sign_v1(&self, subject: &str, expiry: u64) -> String {
        let raw = format!("{}|{}|{}", subject, expiry, hex::encode(&self.secret));
        format!("{}|{}|{:x}", subject, expiry, md5::compute(raw)) //~ weak-hash
    }

    pub fn sign_download(&self, path: &str, expiry: u64) -> String {
        let mut input = self.secret.clone();
        input.extend_from_slice(path.as_bytes());
        input.extend_from_slice(&expiry.to_be_bytes());
        hex::encode(Sha1::digest(&input)) //~ weak-hash
    }
}

pub struct RotatingSigner {
    current: rhmac::Key,
}

impl RotatingSigner {
    pub fn load(path: &std::path::Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        Ok(RotatingSigner { current: rhmac::Key::new(rhmac::HMAC_SHA256, &bytes) })
    }

    pub fn sign(&self, msg: &[u8]) -> String {
        hex::encode(rhmac::sign(&self.current, msg).as_ref())
    }
}

pub fn webhook_key() -> rhmac::Key {
    rhmac::Key::new(rhmac::HMAC_SHA256, b"whsec_5f2b8c0e9d7a41c3b6e2a9d4") //~ hardcoded-crypto-key
}

pub fn verify_webhook(body: &[u8], sig_hex: &str) -> bool {
    match hex::decode(sig_hex) {
        Ok(sig) => rhmac::verify(&webhook_key(), body, &sig).is_ok(),
        Err(_) => false,
    }
}

pub fn api_key_fingerprint(api_key: &str) -> String {
    hex::encode(Sha1::digest(api_key.as_bytes())) //~ weak-hash
}

pub fn api_key_lookup_hash(api_key: &str) -> String {
    hex::encode(Sha256::digest(api_key.as_bytes()))
}

pub fn etag(body: &[u8]) -> String {
    format!("\"{:x}\"", md5::compute(body))
}

pub fn build_signer() -> TokenSigner {
    TokenSigner::from_env().unwrap_or_default()
}

pub fn issue_for(user: &str) -> (String, String) {
    let signer = build_signer();
    (signer.sign(user, 3600), signer.sign_v1(user, now() + 3600))
}
