use native_tls::{Protocol, TlsConnector};
use openssl::error::ErrorStack;
use openssl::ssl::{SslConnector, SslMethod, SslStream, SslVerifyMode};
use postgres_native_tls::MakeTlsConnector;
use std::error::Error;
use std::net::TcpStream;

pub struct UpstreamConfig {
    pub ca_file: Option<String>,
    pub addr: String,
    pub host: String,
}

pub fn strict_connector(ca: Option<&str>) -> Result<SslConnector, ErrorStack> {
    let mut b = SslConnector::builder(SslMethod::tls())?;
    b.set_verify(SslVerifyMode::PEER);
    if let Some(ca) = ca {
        b.set_ca_file(ca)?;
    }
    Ok(b.build())
}

pub fn legacy_connector() -> Result<SslConnector, ErrorStack> {
    let mut b = SslConnector::builder(SslMethod::tls())?;
    b.set_cipher_list("DEFAULT:@SECLEVEL=1")?;
    b.set_verify(SslVerifyMode::NONE); //~ tls-verification-disabled
    Ok(b.build())
}

pub fn audited_connector() -> Result<SslConnector, ErrorStack> {
    let mut b = SslConnector::builder(SslMethod::tls())?;
    b.set_verify_callback(SslVerifyMode::PEER, |preverify_ok, ctx| {
        if !preverify_ok {
            log::warn!("certificate rejected at depth {}: {}", ctx.error_depth(), ctx.error());
        }
        preverify_ok
    });
    Ok(b.build())
}

pub fn tolerant_connector() -> Result<SslConnector, ErrorStack> {
    let mut b = SslConnector::builder(SslMethod::tls())?;
    b.set_verify_callback(SslVerifyMode::PEER, |_preverify_ok, _ctx| true); //~ tls-verification-disabled
    Ok(b.build())
}

pub fn connect_by_ip(conn: &SslConnector, cfg: &UpstreamConfig) -> Result<SslStream<TcpStream>, Box<dyn Error>> {
    let tcp = TcpStream::connect(&cfg.addr)?;
    let session = conn.configure()?.verify_hostname(false); //~ tls-verification-disabled
    Ok(session.connect(&cfg.host, tcp)?)
}

pub fn connect_by_name(conn: &SslConnector, cfg: &UpstreamConfig) -> Result<SslStream<TcpStream>, Box<dyn Error>> {
    let tcp = TcpStream::connect(&cfg.addr)?;
    let session = conn.configure()?.use_server_name_indication(true).verify_hostname(true);
    Ok(session.connect(&cfg.host, tcp)?)
}

pub fn postgres_tls() -> Result<MakeTlsConnector, native_tls::Error> {
    let connector = TlsConnector::builder()
        .min_protocol_version(Some(Protocol::Tlsv12))
        .danger_accept_invalid_hostnames(false)
        .build()?;
    Ok(MakeTlsConnector::new(connector))
}

pub fn replica_tls() -> Result<MakeTlsConnector, native_tls::Error> {
    let connector = TlsConnector::builder()
        .min_protocol_version(Some(Protocol::Tlsv12))
        .danger_accept_invalid_hostnames(true) //~ tls-verification-disabled
        .build()?;
    Ok(MakeTlsConnector::new(connector))
}

pub fn connect_upstream(cfg: &UpstreamConfig, legacy: bool) -> Result<SslStream<TcpStream>, Box<dyn Error>> {
    if legacy {
        let conn = legacy_connector()?;
        connect_by_ip(&conn, cfg)
    } else {
        let conn = strict_connector(cfg.ca_file.as_deref())?;
        connect_by_name(&conn, cfg)
    }
}

pub fn probe(cfg: &UpstreamConfig) -> Result<(), Box<dyn Error>> {
    let conn = tolerant_connector()?;
    let mut stream = connect_by_name(&conn, cfg)?;
    std::io::Write::write_all(&mut stream, b"HEAD / HTTP/1.0\r\n\r\n")?;
    let mut first = [0u8; 12];
    std::io::Read::read_exact(&mut stream, &mut first)?;
    println!("{} -> {}", cfg.host, String::from_utf8_lossy(&first));
    let conn = audited_connector()?;
    let _ = connect_by_name(&conn, cfg)?;
    Ok(())
}
