//! Token issuing and request authentication for the partner API gateway.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tracing::{debug, info};

type HmacSha256 = Hmac<Sha256>;

const ADMIN_JWT_SECRET: &[u8] = b"gw-admin-7f3c9a1e5d2b8046";
const TOKEN_TTL: u64 = 3600;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub scope: String,
    pub exp: u64,
}

#[derive(Deserialize)]
pub struct TokenRequest {
    pub client_id: String,
    pub scope: String,
}

#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn partner_signing_key() -> &'static [u8] {
    b"pk_live_partner_hmac_2f9d7e21"
}

#[derive(Clone)]
pub struct TokenService {
    secret: String,
    webhook_secret: Vec<u8>,
}

impl TokenService {
    pub fn from_env() -> Self {
        TokenService {
            secret: std::env::var("GW_JWT_SECRET").expect("GW_JWT_SECRET"),
            webhook_secret: std::env::var("GW_WEBHOOK_SECRET")
                .expect("GW_WEBHOOK_SECRET")
                .into_bytes(),
        }
    }

    pub fn issue(&self, sub: &str, scope: &str) -> jsonwebtoken::errors::Result<String> {
        let claims = Claims {
            sub: sub.to_owned(),
            scope: scope.to_owned(),
            exp: now() + TOKEN_TTL,
        };
        let key = EncodingKey::from_secret(self.secret.as_bytes());
        encode(&Header::new(Algorithm::HS256), &claims, &key)
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        let key = DecodingKey::from_secret(self.secret.as_bytes());
        let data = decode::<Claims>(token, &key, &Validation::new(Algorithm::HS256)).ok()?;
        Some(data.claims)
    }

    pub fn issue_admin(&self, sub: &str) -> jsonwebtoken::errors::Result<String> {
        let claims = Claims {
            sub: sub.to_owned(),
            scope: "admin".into(),
            exp: now() + 300,
        };
        let key = EncodingKey::from_secret(ADMIN_JWT_SECRET); //~ hardcoded-crypto-key
        encode(&Header::default(), &claims, &key)
    }

    pub fn sign_webhook(&self, body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.webhook_secret).expect("any key length");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }
}

pub struct RefreshSigner {
    key: Vec<u8>,
}

impl Default for RefreshSigner {
    fn default() -> Self {
        RefreshSigner {
            key: b"rf-9c1d4e7a0b3f6285".to_vec(),
        }
    }
}

impl RefreshSigner {
    pub fn sign(&self, sub: &str) -> jsonwebtoken::errors::Result<String> {
        let claims = Claims {
            sub: sub.to_owned(),
            scope: "refresh".into(),
            exp: now() + 14 * 86_400,
        };
        let key = EncodingKey::from_secret(&self.key); //~ hardcoded-crypto-key
        encode(&Header::default(), &claims, &key)
    }
}

mod partner {
    use super::*;

    pub fn signature_v2(body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(partner_signing_key()).expect("hmac key"); //~ hardcoded-crypto-key
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn signature_v1(shared: &str, body: &[u8]) -> String {
        let mut material = shared.as_bytes().to_vec();
        material.extend_from_slice(body);
        hex::encode(Sha1::digest(&material)) //~ weak-hash
    }

    pub fn body_etag(body: &[u8]) -> String {
        hex::encode(&Sha256::digest(body)[..8])
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub fn verify_partner(headers: &HeaderMap, body: &[u8], shared: &str) -> bool {
    let Some(sig) = header_str(headers, "x-partner-signature") else {
        return false;
    };
    let expected = match header_str(headers, "x-partner-signature-version") {
        Some("1") => partner::signature_v1(shared, body),
        _ => partner::signature_v2(body),
    };
    debug!("partner body etag {}", partner::body_etag(body));
    constant_time_eq::constant_time_eq(sig.as_bytes(), expected.as_bytes())
}

pub async fn token_endpoint(
    State(svc): State<TokenService>,
    Json(req): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, StatusCode> {
    let token = svc
        .issue(&req.client_id, &req.scope)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let refresh = RefreshSigner::default()
        .sign(&req.client_id)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    info!("issued token client={} scope={}", req.client_id, req.scope);
    debug!("access_token={}", token); //~ cleartext-logging
    Ok(Json(TokenResponse {
        access_token: token,
        refresh_token: refresh,
        expires_in: TOKEN_TTL,
    }))
}

pub async fn require_bearer(
    State(svc): State<TokenService>,
    mut req: Request,
    next: Next,
) -> Result<Response, StatusCode> {
    let token = header_str(req.headers(), "authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let claims = svc.verify(token).ok_or(StatusCode::UNAUTHORIZED)?;
    debug!("authenticated sub={} scope={}", claims.sub, claims.scope);
    req.extensions_mut().insert(claims);
    Ok(next.run(req).await)
}
