//! `licensor`: issues offline licence files for the desktop client and
//! short-lived tokens for the customer portal.

use anyhow::{anyhow, bail, Result};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, XChaCha20Poly1305, XNonce};
use clap::{Parser, Subcommand};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use md5::Md5;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

static VENDOR_KEY: [u8; 32] = *b"8f2Lq0vZ-desk-licence-vendor-k01";
const PORTAL_SECRET: &str = "lic-portal-2023!rotate-me";

#[derive(Serialize, Deserialize)]
struct Licence {
    customer: String,
    seats: u32,
    expires: i64,
    features: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct PortalClaims {
    sub: String,
    exp: usize,
    scope: String,
}

struct LicenceSealer {
    cipher: XChaCha20Poly1305,
}

impl LicenceSealer {
    fn with_key(key: &[u8; 32]) -> Self {
        let cipher = XChaCha20Poly1305::new(Key::from_slice(key)); //~ hardcoded-crypto-key
        LicenceSealer { cipher }
    }

    fn vendor() -> Self {
        LicenceSealer::with_key(&VENDOR_KEY)
    }

    fn seal(&self, lic: &Licence) -> Result<Vec<u8>> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let body = serde_json::to_vec(lic)?;
        let ct = self
            .cipher
            .encrypt(&nonce, body.as_slice())
            .map_err(|_| anyhow!("seal"))?;
        Ok([nonce.as_slice(), &ct].concat())
    }

    fn open(&self, blob: &[u8]) -> Result<Licence> {
        let (nonce, ct) = blob.split_at(24.min(blob.len()));
        let body = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| anyhow!("open"))?;
        Ok(serde_json::from_slice(&body)?)
    }
}

/// Usage telemetry is sealed with a key provisioned by the ops team.
fn seal_telemetry(report: &[u8]) -> Result<Vec<u8>> {
    let key = std::fs::read("/etc/licensor/telemetry.key")?;
    let cipher = ChaCha20Poly1305::new_from_slice(&key).map_err(|_| anyhow!("bad key length"))?;
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ct = cipher
        .encrypt(&nonce, report)
        .map_err(|_| anyhow!("seal"))?;
    Ok([nonce.as_slice(), &ct].concat())
}

/// Version-1 files carry a checksum that 3.x clients verify before decrypting.
fn v1_checksum(sealed: &[u8]) -> String {
    hex::encode(Md5::digest(sealed)) //~ weak-hash
}

fn v2_checksum(sealed: &[u8]) -> String {
    hex::encode(Sha256::digest(sealed))
}

fn portal_token(customer: &str, ttl_secs: usize) -> Result<String> {
    let exp = jsonwebtoken::get_current_timestamp() as usize + ttl_secs;
    let claims = PortalClaims {
        sub: customer.to_string(),
        exp,
        scope: "licence:read".into(),
    };
    let key = EncodingKey::from_secret(PORTAL_SECRET.as_bytes()); //~ hardcoded-crypto-key
    Ok(encode(&Header::new(Algorithm::HS256), &claims, &key)?)
}

fn check_portal_token(token: &str) -> Result<PortalClaims> {
    let secret = std::env::var("PORTAL_VERIFY_SECRET")?;
    let key = DecodingKey::from_secret(secret.as_bytes());
    Ok(decode::<PortalClaims>(token, &key, &Validation::new(Algorithm::HS256))?.claims)
}

#[derive(Parser)]
#[command(name = "licensor")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Issue {
        #[arg(long)]
        customer: String,
        #[arg(long, default_value_t = 5)]
        seats: u32,
        #[arg(long, default_value_t = 365)]
        days: i64,
        #[arg(long)]
        v1: bool,
        #[arg(long)]
        out: PathBuf,
    },
    Inspect {
        file: PathBuf,
    },
    PortalToken {
        customer: String,
    },
    CheckToken {
        token: String,
    },
}

fn main() -> Result<()> {
    let sealer = LicenceSealer::vendor();
    match Cli::parse().cmd {
        Cmd::Issue {
            customer,
            seats,
            days,
            v1,
            out,
        } => {
            let expires = chrono::Utc::now().timestamp() + days * 86_400;
            let lic = Licence {
                customer,
                seats,
                expires,
                features: vec!["core".into()],
            };
            let sealed = sealer.seal(&lic)?;
            let sum = if v1 {
                v1_checksum(&sealed)
            } else {
                v2_checksum(&sealed)
            };
            let doc = serde_json::json!({ "v": if v1 { 1 } else { 2 }, "sum": sum, "blob": hex::encode(&sealed) });
            std::fs::write(&out, serde_json::to_vec_pretty(&doc)?)?;
            let telemetry = seal_telemetry(format!("issued {seats} seats").as_bytes())?;
            println!(
                "wrote {} ({} telemetry bytes)",
                out.display(),
                telemetry.len()
            );
        }
        Cmd::Inspect { file } => {
            let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(file)?)?;
            let blob = hex::decode(doc["blob"].as_str().unwrap_or_default())?;
            if doc["sum"].as_str() != Some(v2_checksum(&blob).as_str()) {
                bail!("checksum mismatch");
            }
            let lic = sealer.open(&blob)?;
            println!(
                "{} seats for {} until {}",
                lic.seats, lic.customer, lic.expires
            );
        }
        Cmd::PortalToken { customer } => println!("{}", portal_token(&customer, 900)?),
        Cmd::CheckToken { token } => println!("subject: {}", check_portal_token(&token)?.sub),
    }
    Ok(())
}
