//! Client for the partner bank's corporate API: payment submission over mTLS,
//! the statement feed over raw TLS, FX rates and the legacy token service.

use anyhow::{Context, Result};
use native_tls::{Protocol, TlsConnector};
use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use openssl::symm::{encrypt, Cipher};
use serde::Deserialize;
use std::io::{Read, Write};
use std::net::TcpStream;

const PAYLOAD_KEY: [u8; 32] = *b"bank-payload-key-2022-v3-xx91QzA";
const PAYLOAD_IV: [u8; 16] = *b"bank-payload-iv0";

#[derive(Clone, Copy, PartialEq)]
pub enum Env {
    Production,
    Sandbox,
}

pub struct BankConfig {
    pub env: Env,
    pub api_host: String,
    pub feed_host: String,
    pub legacy_host: String,
    pub client_id: String,
    pub client_secret: String,
}

impl BankConfig {
    pub fn load() -> Result<BankConfig> {
        let env = match std::env::var("BANK_ENV").as_deref() {
            Ok("production") => Env::Production,
            _ => Env::Sandbox,
        };
        let hosts = match env {
            Env::Production => ("api.bank.example", "feed.bank.example", "auth.bank.example"),
            Env::Sandbox => (
                "api.sbx.bank.example",
                "feed.sbx.bank.example",
                "auth.sbx.bank.example",
            ),
        };
        Ok(BankConfig {
            env,
            api_host: hosts.0.into(),
            feed_host: hosts.1.into(),
            legacy_host: hosts.2.into(),
            client_id: std::env::var("BANK_CLIENT_ID")?,
            client_secret: std::env::var("BANK_CLIENT_SECRET")?,
        })
    }
}

fn mtls_connector(cfg: &BankConfig) -> Result<SslConnector> {
    let mut b = SslConnector::builder(SslMethod::tls_client())?;
    b.set_certificate_chain_file("/etc/bank/client.pem")?;
    b.set_private_key_file("/etc/bank/client.key", SslFiletype::PEM)?;
    if cfg.env == Env::Sandbox {
        b.set_verify(SslVerifyMode::NONE); //~ tls-verification-disabled
    } else {
        b.set_ca_file("/etc/bank/bank-root.pem")?;
        b.set_verify(SslVerifyMode::PEER);
    }
    Ok(b.build())
}

/// Encrypts the payment body as required by the bank's "payload protection" spec.
fn protect(body: &[u8]) -> Result<Vec<u8>> {
    let cipher = Cipher::aes_256_cbc();
    let ct = encrypt(cipher, &PAYLOAD_KEY, Some(&PAYLOAD_IV), body)?; //~ hardcoded-crypto-key
    Ok(ct)
}

fn protect_archive(body: &[u8]) -> Result<Vec<u8>> {
    let key = std::fs::read("/etc/bank/archive.key").context("archive key")?;
    let mut iv = [0u8; 16];
    openssl::rand::rand_bytes(&mut iv)?;
    let ct = encrypt(Cipher::aes_256_cbc(), &key, Some(&iv), body)?;
    Ok([iv.as_slice(), &ct].concat())
}

pub fn submit_payment(cfg: &BankConfig, payment_json: &[u8]) -> Result<u16> {
    let conn = mtls_connector(cfg)?;
    let tcp = TcpStream::connect((cfg.api_host.as_str(), 443))?;
    let mut tls = conn.connect(&cfg.api_host, tcp)?;
    let body = protect(payment_json)?;
    let head = format!(
        "POST /v2/payments HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        cfg.api_host,
        body.len()
    );
    tls.write_all(head.as_bytes())?;
    tls.write_all(&body)?;
    let mut resp = String::new();
    tls.read_to_string(&mut resp)?;
    let code = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    std::fs::write(
        "/var/spool/bank/last-payment.bin",
        protect_archive(payment_json)?,
    )?;
    Ok(code)
}

/// The statement feed is a line-oriented protocol on port 7443.
pub fn fetch_statements(cfg: &BankConfig, account: &str) -> Result<Vec<String>> {
    let connector = TlsConnector::builder()
        .min_protocol_version(Some(Protocol::Tlsv12))
        .danger_accept_invalid_hostnames(true) //~ tls-verification-disabled
        .build()?;
    let tcp = TcpStream::connect((cfg.feed_host.as_str(), 7443))?;
    let mut stream = connector.connect(&cfg.feed_host, tcp)?;
    writeln!(stream, "STATEMENTS {account}")?;
    let mut out = String::new();
    stream.read_to_string(&mut out)?;
    Ok(out.lines().map(str::to_owned).collect())
}

/// End-of-day balances use the same feed port but a publicly trusted certificate.
pub fn fetch_balances(cfg: &BankConfig, account: &str) -> Result<String> {
    let connector = TlsConnector::new()?;
    let tcp = TcpStream::connect((cfg.feed_host.as_str(), 7443))?;
    let mut stream = connector.connect(&cfg.feed_host, tcp)?;
    writeln!(stream, "BALANCE {account}")?;
    let mut out = String::new();
    stream.read_to_string(&mut out)?;
    Ok(out)
}

#[derive(Deserialize)]
pub struct Rate {
    pub pair: String,
    pub mid: f64,
}

pub fn fx_rates(cfg: &BankConfig) -> Result<Vec<Rate>> {
    let client = reqwest::blocking::Client::builder()
        .danger_accept_invalid_hostnames(true) //~ tls-verification-disabled
        .build()?;
    let url = format!("https://{}/v1/fx/rates", cfg.api_host);
    Ok(client.get(url).send()?.error_for_status()?.json()?)
}

pub fn bank_holidays(cfg: &BankConfig) -> Result<Vec<String>> {
    let client = reqwest::blocking::Client::builder()
        .https_only(true)
        .build()?;
    let url = format!("https://{}/v1/calendar/holidays", cfg.api_host);
    Ok(client.get(url).send()?.error_for_status()?.json()?)
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
}

/// Token service used by the pre-2021 reporting endpoints.
pub fn legacy_token(cfg: &BankConfig) -> Result<String> {
    let url = format!("http://{}/oauth/token", cfg.legacy_host);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", cfg.client_id.as_str()),
    ];
    let secret = [("client_secret", cfg.client_secret.as_str())];
    let resp = ureq::post(&url).send_form(&[form[0], form[1], secret[0]])?; //~ cleartext-url
    Ok(resp.into_json::<TokenResponse>()?.access_token)
}

pub fn reporting_token(cfg: &BankConfig) -> Result<String> {
    let url = format!("https://{}/oauth2/token", cfg.legacy_host);
    let resp = ureq::post(&url).send_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &cfg.client_id),
        ("client_secret", &cfg.client_secret),
    ])?;
    Ok(resp.into_json::<TokenResponse>()?.access_token)
}
