//! Outbound connectors used by the admin console (metrics, LDAP, MQ, licensing).

use native_tls::TlsConnector;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const LICENSE_SERVER: &str = "http://licensing.corp.example.com/api/activate";
const METRICS_URL: &str = "https://metrics.corp.example.com/api/v1/query";

#[derive(Debug)]
struct AcceptAnyCert;

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::RSA_PSS_SHA256,
        ]
    }
}

struct TlsSettings {
    verify_hostname: bool,
    ca_bundle: Option<PathBuf>,
}

impl TlsSettings {
    fn strict() -> Self {
        Self {
            verify_hostname: true,
            ca_bundle: Some(PathBuf::from("/etc/ssl/corp/ca-bundle.pem")),
        }
    }

    /// The directory servers still present certificates issued for the old hostnames.
    fn legacy_directory() -> Self {
        Self {
            verify_hostname: false,
            ca_bundle: None,
        }
    }
}

fn metrics_client() -> reqwest::Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()
}

fn corp_client(
    settings: &TlsSettings,
) -> Result<reqwest::blocking::Client, Box<dyn std::error::Error>> {
    let mut builder = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10));
    if let Some(path) = &settings.ca_bundle {
        let pem = std::fs::read(path)?;
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
    }
    Ok(builder.build()?)
}

fn directory_connector(settings: &TlsSettings) -> native_tls::Result<TlsConnector> {
    let mut builder = TlsConnector::builder();
    builder.danger_accept_invalid_hostnames(!settings.verify_hostname); //~ tls-verification-disabled
    builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    builder.build()
}

fn mq_connector(verify_peer: bool) -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls())?;
    if verify_peer {
        builder.set_verify(SslVerifyMode::PEER);
    } else {
        builder.set_verify(SslVerifyMode::NONE); //~ tls-verification-disabled
    }
    Ok(builder.build())
}

fn lab_rustls_config() -> ClientConfig {
    let verifier = Arc::new(AcceptAnyCert);
    ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(verifier) //~ tls-verification-disabled
        .with_no_client_auth()
}

fn prod_rustls_config() -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn load_license_key() -> String {
    std::fs::read_to_string("/etc/console/license.key")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn activate_license(client: &reqwest::blocking::Client, key: &str) -> reqwest::Result<bool> {
    let body = serde_json::json!({ "license_key": key, "product": "console" });
    let resp = client.post(LICENSE_SERVER).json(&body).send()?; //~ cleartext-url
    Ok(resp.status().is_success())
}

fn query_metrics(client: &reqwest::blocking::Client, expr: &str) -> reqwest::Result<String> {
    let token = std::env::var("METRICS_TOKEN").unwrap_or_default();
    client
        .get(METRICS_URL)
        .bearer_auth(token)
        .query(&[("query", expr)])
        .send()?
        .text()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let metrics = metrics_client()?;
    println!("{}", query_metrics(&metrics, "up")?);

    let strict = TlsSettings::strict();
    let corp = corp_client(&strict)?;
    let activated = activate_license(&corp, &load_license_key())?;
    println!("license activated: {activated}");

    let legacy = TlsSettings::legacy_directory();
    let connector = directory_connector(&legacy)?;
    let tcp = TcpStream::connect("ldap.corp.example.com:636")?;
    let _ldap = connector.connect("ldap.corp.example.com", tcp)?;

    let verify_mq = std::env::var("MQ_VERIFY").map(|v| v != "0").unwrap_or(true);
    let _mq = mq_connector(verify_mq)?;

    let lab = Arc::new(lab_rustls_config());
    let prod = Arc::new(prod_rustls_config());
    println!(
        "configs ready: {} {}",
        Arc::strong_count(&lab),
        Arc::strong_count(&prod)
    );
    Ok(())
}
