// Webhook signature checks and JWT issuance for a billing API (hmac + jsonwebtoken crates).
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fs;

static WEBHOOK_SECRET: &str = "whsec_9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const JWT_SECRET: &[u8] = b"billing-api-jwt-signing-secret-2023";

#[derive(Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: usize,
    pub scope: String,
}

pub fn verify_webhook(body: &[u8], signature: &[u8]) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("hmac key"); //~ hardcoded-crypto-key
    mac.update(body);
    mac.verify_slice(signature).is_ok()
}

pub fn sign_internal_callback(body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(b"internal-callback-secret").unwrap(); //~ hardcoded-crypto-key
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

pub fn verify_webhook_from_file(body: &[u8], signature: &[u8]) -> std::io::Result<bool> {
    let secret = fs::read("/etc/billing/webhook.key")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret).expect("hmac key");
    mac.update(body);
    Ok(mac.verify_slice(signature).is_ok())
}

pub fn issue_token(user: &str, exp: usize) -> jsonwebtoken::errors::Result<String> {
    let claims = Claims {
        sub: user.to_string(),
        exp,
        scope: "billing:read".into(),
    };
    encode(&Header::default(), &claims, &EncodingKey::from_secret(JWT_SECRET)) //~ hardcoded-crypto-key
}

pub fn check_token(token: &str) -> jsonwebtoken::errors::Result<Claims> {
    let key = DecodingKey::from_secret(JWT_SECRET); //~ hardcoded-crypto-key
    decode::<Claims>(token, &key, &Validation::default()).map(|d| d.claims)
}

pub fn issue_admin_token(user: &str, exp: usize) -> Result<String, Box<dyn std::error::Error>> {
    let claims = Claims {
        sub: user.to_string(),
        exp,
        scope: "billing:admin".into(),
    };
    let secret = std::env::var("BILLING_JWT_SECRET")?;
    let key = EncodingKey::from_secret(secret.as_bytes());
    Ok(encode(&Header::default(), &claims, &key)?)
}
