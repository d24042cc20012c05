// Scenario: auth helpers for a billing API: JWT issuance/validation for the
// dashboard, HMAC signatures on outbound webhooks and signed download links.
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::hmac as rhmac;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const ISSUER: &str = "billing-api";
const TOKEN_TTL_SECS: usize = 15 * 60;
static JWT_SECRET: &[u8] = b"billing-dashboard-2023-super-secret";

#[derive(Serialize, Deserialize)]
pub struct Claims {
    sub: String,
    iss: String,
    exp: usize,
}

pub struct Signer {
    webhook_key: Vec<u8>,
}

impl Signer {
    pub fn new() -> Self {
        let webhook_key = std::env::var("WEBHOOK_SIGNING_KEY")
            .map(String::into_bytes)
            .unwrap_or_else(|_| b"whsec_7f3a9c1e5b2d4f60".to_vec());
        Signer { webhook_key }
    }

    pub fn sign_webhook(&self, body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.webhook_key).expect("any key length"); //~ hardcoded-crypto-key
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }
}

pub fn issue(user: &str, now: usize) -> jsonwebtoken::errors::Result<String> {
    let claims = Claims {
        sub: user.to_owned(),
        iss: ISSUER.to_owned(),
        exp: now + TOKEN_TTL_SECS,
    };
    let key = EncodingKey::from_secret(JWT_SECRET); //~ hardcoded-crypto-key
    encode(&Header::new(Algorithm::HS256), &claims, &key)
}

pub fn verify(token: &str) -> Option<Claims> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    let key = DecodingKey::from_secret(JWT_SECRET); //~ hardcoded-crypto-key
    decode::<Claims>(token, &key, &v).ok().map(|d| d.claims)
}

pub fn verify_partner(token: &str) -> Option<Claims> {
    let secret = std::env::var("PARTNER_JWT_SECRET").ok()?;
    let v = Validation::new(Algorithm::HS512);
    decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &v)
        .ok()
        .map(|d| d.claims)
}

mod links {
    use super::rhmac;

    fn link_key() -> rhmac::Key {
        let material = [
            0x5eu8, 0x11, 0xc0, 0xde, 0x42, 0x99, 0x07, 0x3b, 0xaa, 0x6d, 0x0f, 0x81, 0x2c, 0xe4,
            0x70, 0x19,
        ];
        rhmac::Key::new(rhmac::HMAC_SHA256, &material) //~ hardcoded-crypto-key
    }

    pub fn signed_download(invoice_id: u64, expires: u64) -> String {
        let msg = format!("{}:{}", invoice_id, expires);
        let tag = rhmac::sign(&link_key(), msg.as_bytes());
        format!(
            "/invoices/{}.pdf?e={}&sig={}",
            invoice_id,
            expires,
            hex::encode(tag.as_ref())
        )
    }

    pub fn check_download(invoice_id: u64, expires: u64, sig_hex: &str) -> bool {
        let Ok(sig) = hex::decode(sig_hex) else {
            return false;
        };
        let msg = format!("{}:{}", invoice_id, expires);
        rhmac::verify(&link_key(), msg.as_bytes(), &sig).is_ok()
    }
}

pub fn per_tenant_tag(tenant_key_b64: &str, payload: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(tenant_key_b64)
        .ok()?;
    let mut mac = HmacSha256::new_from_slice(&key).ok()?;
    mac.update(payload);
    Some(mac.finalize().into_bytes().to_vec())
}

pub use links::{check_download, signed_download};
