// SMTP relay / LDAP sync helpers using openssl and native-tls; some paths turn off peer verification.
use native_tls::TlsConnector;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use std::io::{Read, Write};
use std::net::TcpStream;

pub struct RelayOptions {
    pub host: String,
    pub port: u16,
    pub verify_peer: bool,
}

pub fn openssl_connector_lenient() -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls())?;
    builder.set_verify(SslVerifyMode::NONE); //~ tls-verification-disabled
    Ok(builder.build())
}

pub fn openssl_connector_for(opts: &RelayOptions) -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    let mode = if opts.verify_peer { SslVerifyMode::PEER } else { SslVerifyMode::NONE };
    builder.set_verify(mode); //~ tls-verification-disabled
    Ok(builder.build())
}

// SAFE: explicit peer verification with the system trust store.
pub fn openssl_connector_strict() -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls())?;
    builder.set_default_verify_paths()?;
    builder.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    Ok(builder.build())
}

pub fn ldap_sync(host: &str) -> Result<String, Box<dyn std::error::Error>> {
    let connector = TlsConnector::builder()
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()?;
    let stream = TcpStream::connect((host, 636))?;
    let mut tls = connector.connect(host, stream)?;
    tls.write_all(b"\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00")?;
    let mut buf = vec![0u8; 512];
    let n = tls.read(&mut buf)?;
    Ok(hex::encode(&buf[..n]))
}

pub async fn async_relay(opts: &RelayOptions) -> Result<(), Box<dyn std::error::Error>> {
    let mut b = native_tls::TlsConnector::builder();
    b.danger_accept_invalid_hostnames(true); //~ tls-verification-disabled
    let connector = tokio_native_tls::TlsConnector::from(b.build()?);
    let tcp = tokio::net::TcpStream::connect((opts.host.as_str(), opts.port)).await?;
    let _tls = connector.connect(&opts.host, tcp).await?;
    Ok(())
}

pub fn ureq_agent() -> ureq::Agent {
    let tls = native_tls::TlsConnector::builder().danger_accept_invalid_certs(true).build().unwrap(); //~ tls-verification-disabled
    ureq::AgentBuilder::new().tls_connector(std::sync::Arc::new(tls)).build()
}

// SAFE: default native-tls connector verifies certificates and hostnames.
pub fn smtp_starttls(opts: &RelayOptions) -> Result<(), Box<dyn std::error::Error>> {
    let connector = TlsConnector::new()?;
    let stream = TcpStream::connect((opts.host.as_str(), opts.port))?;
    let mut tls = connector.connect(&opts.host, stream)?;
    tls.write_all(b"EHLO relay.local\r\n")?;
    Ok(())
}
