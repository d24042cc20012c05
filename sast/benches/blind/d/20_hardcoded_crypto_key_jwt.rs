// Scenario: token service for a rocket API: issues JWTs for users and signs
// outgoing webhook payloads with HMAC.
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rocket::serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fs;

const JWT_SECRET: &str = "s3cr3t-jwt-signing-key-change-me";

#[derive(Serialize, Deserialize)]
#[serde(crate = "rocket::serde")]
pub struct Claims {
    pub sub: String,
    pub exp: usize,
    pub role: String,
}

pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    pub fn from_env() -> Self {
        let secret = std::env::var("JWT_SECRET").expect("JWT_SECRET must be set");
        Keys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        }
    }

    pub fn from_pem_files(private: &str, public: &str) -> Self {
        let priv_pem = fs::read(private).expect("private key");
        let pub_pem = fs::read(public).expect("public key");
        Keys {
            encoding: EncodingKey::from_rsa_pem(&priv_pem).expect("rsa"),
            decoding: DecodingKey::from_rsa_pem(&pub_pem).expect("rsa"),
        }
    }
}

pub fn issue_admin_token(user: &str, exp: usize) -> String {
    let claims = Claims { sub: user.into(), exp, role: "admin".into() };
    let key = EncodingKey::from_secret(JWT_SECRET.as_bytes()); //~ hardcoded-crypto-key
    encode(&Header::default(), &claims, &key).unwrap()
}

pub fn verify_legacy(token: &str) -> Option<Claims> {
    let validation = Validation::new(Algorithm::HS256);
    decode::<Claims>(token, &DecodingKey::from_secret(b"legacy-shared-secret"), &validation) //~ hardcoded-crypto-key
        .ok()
        .map(|d| d.claims)
}

pub fn verify(keys: &Keys, token: &str) -> Option<Claims> {
    decode::<Claims>(token, &keys.decoding, &Validation::new(Algorithm::RS256))
        .ok()
        .map(|d| d.claims)
}

pub fn issue(keys: &Keys, claims: &Claims) -> String {
    encode(&Header::new(Algorithm::RS256), claims, &keys.encoding).unwrap()
}

type HmacSha256 = Hmac<Sha256>;

pub fn sign_webhook(body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(b"whsec_9f8e7d6c5b4a39281706").expect("hmac"); //~ hardcoded-crypto-key
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

pub fn sign_webhook_with(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("hmac");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
