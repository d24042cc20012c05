// Connection factory for the inventory sync worker: HTTPS client for the vendor API,
// raw TLS to the legacy stock server and an OpenSSL channel to the warehouse PLCs.
use native_tls::TlsConnector;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use std::fs;
use std::net::TcpStream;
use std::time::Duration;

#[derive(Clone)]
pub struct SyncConfig {
    pub vendor_url: String,
    pub internal_ca: Option<String>,
    pub proxy_url: Option<String>,
    pub proxy_user: String,
    pub proxy_password: String,
    pub stock_host: String,
    pub plc_host: String,
    pub lab_mode: bool,
}

pub fn vendor_client(cfg: &SyncConfig) -> reqwest::Result<reqwest::blocking::Client> {
    let mut builder = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .danger_accept_invalid_certs(false)
        .https_only(true);
    if let Some(ca_path) = &cfg.internal_ca {
        let pem = fs::read(ca_path).expect("internal CA bundle");
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
    }
    if let Some(proxy) = &cfg.proxy_url {
        log::info!("using proxy {} as user {}", proxy, cfg.proxy_user);
        let p = reqwest::Proxy::https(proxy)?.basic_auth(&cfg.proxy_user, &cfg.proxy_password);
        builder = builder.proxy(p);
    }
    builder.build()
}

pub fn lab_client(cfg: &SyncConfig) -> reqwest::Result<reqwest::blocking::Client> {
    let (user, pass) = (&cfg.proxy_user, &cfg.proxy_password);
    log::debug!("lab proxy credentials {}:{}", user, pass); //~ cleartext-logging
    let builder = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30));
    builder.danger_accept_invalid_certs(true).build() //~ tls-verification-disabled
}

pub fn client_for(cfg: &SyncConfig) -> reqwest::Result<reqwest::blocking::Client> {
    if cfg.lab_mode {
        lab_client(cfg)
    } else {
        vendor_client(cfg)
    }
}

fn stock_connector(relaxed: bool) -> native_tls::Result<TlsConnector> {
    let mut b = TlsConnector::builder();
    b.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    if relaxed {
        // the stock server certificate is issued for its old hostname
        b.danger_accept_invalid_hostnames(true); //~ tls-verification-disabled
    }
    b.build()
}

pub fn stock_stream(
    cfg: &SyncConfig,
) -> Result<native_tls::TlsStream<TcpStream>, Box<dyn std::error::Error>> {
    let tcp = TcpStream::connect((cfg.stock_host.as_str(), 7443))?;
    let connector = stock_connector(cfg.stock_host.ends_with(".legacy.local"))?;
    Ok(connector.connect(&cfg.stock_host, tcp)?)
}

pub fn stock_stream_strict(
    cfg: &SyncConfig,
) -> Result<native_tls::TlsStream<TcpStream>, Box<dyn std::error::Error>> {
    let tcp = TcpStream::connect((cfg.stock_host.as_str(), 7443))?;
    let connector = stock_connector(false)?;
    Ok(connector.connect(&cfg.stock_host, tcp)?)
}

fn plc_connector(verify: bool) -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    if verify {
        builder.set_ca_file("/etc/inventory/plc-ca.pem")?;
        builder.set_verify(SslVerifyMode::PEER);
    } else {
        builder.set_verify(SslVerifyMode::NONE); //~ tls-verification-disabled
    }
    Ok(builder.build())
}

pub fn plc_session(cfg: &SyncConfig) -> Result<(), Box<dyn std::error::Error>> {
    let connector = plc_connector(!cfg.lab_mode)?;
    let tcp = TcpStream::connect((cfg.plc_host.as_str(), 4840))?;
    let stream = connector.connect(&cfg.plc_host, tcp)?;
    log::info!("PLC session established with {}", cfg.plc_host);
    drop(stream);
    Ok(())
}
