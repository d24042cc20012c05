// Token service for the account API: issues and validates JWT access tokens and
// signs short-lived download links with an HMAC over the object path.
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const DEFAULT_JWT_SECRET: &str = "c0ffee-jwt-signing-secret-2023-prod";
static LINK_SIGNING_KEY: &[u8] = b"dl-links::7f3c9e0a51b24d68";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: usize,
    pub role: String,
}

pub struct AuthConfig {
    pub jwt_secret: String,
    pub issuer: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: DEFAULT_JWT_SECRET.to_string(),
            issuer: "accounts".into(),
        }
    }
}

impl AuthConfig {
    pub fn from_env() -> Option<Self> {
        Some(AuthConfig {
            jwt_secret: std::env::var("JWT_SECRET").ok()?,
            issuer: std::env::var("JWT_ISSUER").unwrap_or_else(|_| "accounts".into()),
        })
    }
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenService {
    pub fn new(cfg: &AuthConfig) -> Self {
        TokenService {
            encoding: EncodingKey::from_secret(cfg.jwt_secret.as_bytes()),
            decoding: DecodingKey::from_secret(cfg.jwt_secret.as_bytes()),
        }
    }

    pub fn issue(&self, sub: &str, role: &str, exp: usize) -> jsonwebtoken::errors::Result<String> {
        let claims = Claims {
            sub: sub.into(),
            exp,
            role: role.into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> jsonwebtoken::errors::Result<Claims> {
        let validation = Validation::new(Algorithm::HS256);
        decode::<Claims>(token, &self.decoding, &validation).map(|d| d.claims)
    }
}

pub fn token_service() -> TokenService {
    let cfg = AuthConfig::from_env().unwrap_or_default();
    TokenService::new(&cfg) //~ hardcoded-crypto-key
}

pub fn verify_partner_token(token: &str) -> Option<Claims> {
    let key = DecodingKey::from_secret(b"partner-gateway-shared-secret"); //~ hardcoded-crypto-key
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["partner-gateway"]);
    decode::<Claims>(token, &key, &validation)
        .ok()
        .map(|d| d.claims)
}

pub fn verify_partner_token_rs(token: &str, pem: &[u8]) -> Option<Claims> {
    let key = DecodingKey::from_rsa_pem(pem).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["partner-gateway"]);
    decode::<Claims>(token, &key, &validation)
        .ok()
        .map(|d| d.claims)
}

fn link_mac(key: &[u8], path: &str, expires: u64) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("hmac accepts any key length");
    mac.update(path.as_bytes());
    mac.update(&expires.to_be_bytes());
    mac
}

pub fn sign_download_link(path: &str, expires: u64) -> String {
    let mac = link_mac(LINK_SIGNING_KEY, path, expires); //~ hardcoded-crypto-key
    let sig = hex::encode(mac.finalize().into_bytes());
    format!("/download/{path}?expires={expires}&sig={sig}")
}

pub fn sign_download_link_v2(path: &str, expires: u64) -> Option<String> {
    let key = std::env::var("DOWNLOAD_LINK_KEY")
        .ok()
        .filter(|k| k.len() >= 32)?;
    let mac = link_mac(key.as_bytes(), path, expires);
    let sig = hex::encode(mac.finalize().into_bytes());
    Some(format!("/v2/download/{path}?expires={expires}&sig={sig}"))
}
