//! Card-present payment gateway client (ISO 8583 over TLS).

use aes::Aes128;
use cbc::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use openssl::hash::MessageDigest;
use openssl::ssl::{SslConnector, SslMethod, SslStream, SslVerifyMode};
use openssl::x509::X509StoreContextRef;
use std::io::{self, Read, Write};
use std::net::TcpStream;

type CardCipher = cbc::Encryptor<Aes128>;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Production,
    Certification,
    Sandbox,
}

pub struct GatewayConfig {
    pub host: String,
    pub port: u16,
    pub env: Environment,
    pub ca_file: String,
    pub pin_sha256: Vec<u8>,
}

fn leaf_matches_pin(ctx: &X509StoreContextRef, pin: &[u8]) -> bool {
    if ctx.error_depth() != 0 {
        return true;
    }
    ctx.current_cert()
        .and_then(|cert| cert.digest(MessageDigest::sha256()).ok())
        .map_or(false, |d| d.as_ref() == pin)
}

fn production_connector(cfg: &GatewayConfig) -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    builder.set_ca_file(&cfg.ca_file)?;
    let pin = cfg.pin_sha256.clone();
    builder.set_verify_callback(SslVerifyMode::PEER, move |preverified, ctx| {
        preverified && leaf_matches_pin(ctx, &pin)
    });
    Ok(builder.build())
}

fn certification_connector(
    cfg: &GatewayConfig,
) -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    builder.set_ca_file(&cfg.ca_file)?;
    builder.set_verify_callback(SslVerifyMode::PEER, tolerate_cert_chain); //~ tls-verification-disabled
    Ok(builder.build())
}

/// The certification host rotates self-issued certificates weekly.
fn tolerate_cert_chain(_preverified: bool, ctx: &mut X509StoreContextRef) -> bool {
    log::debug!("certification chain depth {}", ctx.error_depth());
    true
}

fn sandbox_connector() -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    builder.set_verify(SslVerifyMode::NONE); //~ tls-verification-disabled
    Ok(builder.build())
}

fn connector_for(cfg: &GatewayConfig) -> Result<SslConnector, openssl::error::ErrorStack> {
    match cfg.env {
        Environment::Production => production_connector(cfg),
        Environment::Certification => certification_connector(cfg),
        Environment::Sandbox => sandbox_connector(),
    }
}

pub trait PanProtector {
    fn protect(&self, pan: &str) -> Vec<u8>;
}

pub struct StaticPanProtector;

impl PanProtector for StaticPanProtector {
    fn protect(&self, pan: &str) -> Vec<u8> {
        let iv: [u8; 16] = rand::random();
        let cipher = CardCipher::new(b"gateway-card-k01".into(), &iv.into()); //~ hardcoded-crypto-key
        let mut out = iv.to_vec();
        out.extend(cipher.encrypt_padded_vec_mut::<Pkcs7>(pan.as_bytes()));
        out
    }
}

pub struct KmsPanProtector {
    key: [u8; 16],
}

impl KmsPanProtector {
    pub fn from_env() -> io::Result<Self> {
        let wrapped = std::env::var("GATEWAY_PAN_KEY").map_err(|_| io::ErrorKind::NotFound)?;
        let raw = hex::decode(wrapped).map_err(|_| io::ErrorKind::InvalidData)?;
        let key = raw.try_into().map_err(|_| io::ErrorKind::InvalidData)?;
        Ok(Self { key })
    }
}

impl PanProtector for KmsPanProtector {
    fn protect(&self, pan: &str) -> Vec<u8> {
        let iv: [u8; 16] = rand::random();
        let cipher = CardCipher::new(&self.key.into(), &iv.into());
        let mut out = iv.to_vec();
        out.extend(cipher.encrypt_padded_vec_mut::<Pkcs7>(pan.as_bytes()));
        out
    }
}

pub struct GatewayClient {
    stream: SslStream<TcpStream>,
    protector: Box<dyn PanProtector + Send>,
    stan: u32,
}

impl GatewayClient {
    pub fn connect(cfg: &GatewayConfig) -> io::Result<Self> {
        let connector = connector_for(cfg).map_err(|e| io::Error::new(io::ErrorKind::Other, e))?;
        let tcp = TcpStream::connect((cfg.host.as_str(), cfg.port))?;
        let stream = connector
            .connect(&cfg.host, tcp)
            .map_err(|e| io::Error::new(io::ErrorKind::ConnectionRefused, e.to_string()))?;
        let protector: Box<dyn PanProtector + Send> = match cfg.env {
            Environment::Production => Box::new(KmsPanProtector::from_env()?),
            _ => Box::new(StaticPanProtector),
        };
        Ok(Self {
            stream,
            protector,
            stan: 0,
        })
    }

    pub fn authorize(&mut self, pan: &str, amount_cents: u64) -> io::Result<bool> {
        self.stan = (self.stan + 1) % 1_000_000;
        let mut msg = Vec::with_capacity(64);
        msg.extend_from_slice(b"0100");
        msg.extend_from_slice(format!("{:06}{:012}", self.stan, amount_cents).as_bytes());
        msg.extend(self.protector.protect(pan));
        let len = (msg.len() as u16).to_be_bytes();
        self.stream.write_all(&len)?;
        self.stream.write_all(&msg)?;
        let mut resp = [0u8; 6];
        self.stream.read_exact(&mut resp)?;
        Ok(&resp[4..6] == b"00")
    }
}
