//! License issuance: signed license files, sealed entitlement blobs and activation pings.

use std::io::{Read, Write};
use std::net::TcpStream;

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;

const ACTIVATION_KEY: [u8; 32] = [
    0x3a, 0x91, 0x5c, 0x07, 0xee, 0x42, 0x18, 0xb6, 0x7d, 0x0f, 0xa3, 0x64, 0xc9, 0x21, 0x8e, 0x55,
    0x12, 0xfb, 0x6a, 0x39, 0xd4, 0x80, 0x2e, 0x97, 0x4b, 0xc1, 0x05, 0x7e, 0xb8, 0x33, 0xdf, 0x6c,
];

#[derive(Serialize)]
pub struct License {
    pub customer: String,
    pub seats: u32,
    pub features: Vec<String>,
    pub expires: String,
}

fn entitlement_key_bytes() -> [u8; 32] {
    *b"entitlements-aes256-key-v1-2021!"
}

fn license_payload(lic: &License) -> Vec<u8> {
    serde_json::to_vec(lic).unwrap_or_default()
}

pub struct LicenseSigner {
    pkey: PKey<Private>,
    rng: SystemRandom,
    audit_key: hmac::Key,
}

impl LicenseSigner {
    pub fn from_pem(pem: &[u8]) -> Result<Self, openssl::error::ErrorStack> {
        let rng = SystemRandom::new();
        let audit_key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("rng");
        Ok(LicenseSigner {
            pkey: PKey::private_key_from_pem(pem)?,
            rng,
            audit_key,
        })
    }

    pub fn sign_v1(&self, lic: &License) -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let payload = license_payload(lic);
        let mut signer = Signer::new(MessageDigest::sha1(), &self.pkey)?; //~ weak-hash
        signer.update(&payload)?;
        signer.sign_to_vec()
    }

    pub fn sign_v2(&self, lic: &License) -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let payload = license_payload(lic);
        let mut signer = Signer::new(MessageDigest::sha256(), &self.pkey)?;
        signer.update(&payload)?;
        signer.sign_to_vec()
    }

    pub fn audit_tag(&self, line: &str) -> String {
        hex::encode(hmac::sign(&self.audit_key, line.as_bytes()).as_ref())
    }

    pub fn seal_entitlements(&self, lic: &License) -> Result<Vec<u8>, ring::error::Unspecified> {
        let key_bytes = entitlement_key_bytes();
        let unbound = UnboundKey::new(&aead::AES_256_GCM, &key_bytes)?; //~ hardcoded-crypto-key
        let key = LessSafeKey::new(unbound);
        let mut nonce_bytes = [0u8; 12];
        self.rng.fill(&mut nonce_bytes)?;
        let mut in_out = license_payload(lic);
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::empty(),
            &mut in_out,
        )?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&in_out);
        Ok(out)
    }
}

pub fn activation_code(customer: &str, machine_id: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, &ACTIVATION_KEY); //~ hardcoded-crypto-key
    let tag = hmac::sign(&key, format!("{customer}:{machine_id}").as_bytes());
    hex::encode(&tag.as_ref()[..10]).to_uppercase()
}

pub fn verify_activation(key_file: &str, customer: &str, machine_id: &str, code: &str) -> bool {
    let Ok(raw) = std::fs::read(key_file) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, &raw);
    let tag = hmac::sign(&key, format!("{customer}:{machine_id}").as_bytes());
    hex::encode(&tag.as_ref()[..10]).eq_ignore_ascii_case(code)
}

fn ping_body(customer: &str, seats: u32) -> String {
    format!(
        "POST /v1/activations HTTP/1.1\r\nHost: activation.vendor.example\r\n\
         Content-Type: application/json\r\nConnection: close\r\n\r\n\
         {{\"customer\":\"{customer}\",\"seats\":{seats}}}"
    )
}

pub fn report_activation(customer: &str, seats: u32) -> std::io::Result<String> {
    let mut builder = SslConnector::builder(SslMethod::tls()).map_err(std::io::Error::other)?;
    builder.set_verify_callback(SslVerifyMode::PEER, |_preverified, _ctx| true); //~ tls-verification-disabled
    let connector = builder.build();
    let tcp = TcpStream::connect("activation.vendor.example:443")?;
    let mut tls = connector
        .connect("activation.vendor.example", tcp)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    tls.write_all(ping_body(customer, seats).as_bytes())?;
    let mut reply = String::new();
    tls.read_to_string(&mut reply)?;
    Ok(reply)
}

pub fn fetch_revocations() -> std::io::Result<String> {
    let connector = SslConnector::builder(SslMethod::tls())
        .map_err(std::io::Error::other)?
        .build();
    let tcp = TcpStream::connect("crl.vendor.example:443")?;
    let mut tls = connector
        .connect("crl.vendor.example", tcp)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    tls.write_all(
        b"GET /revoked.txt HTTP/1.1\r\nHost: crl.vendor.example\r\nConnection: close\r\n\r\n",
    )?;
    let mut body = String::new();
    tls.read_to_string(&mut body)?;
    Ok(body)
}
