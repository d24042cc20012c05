use native_tls::TlsConnector as NativeConnector;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use std::time::Duration;

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
        _m: &[u8],
        _c: &CertificateDer<'_>,
        _d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _m: &[u8],
        _c: &CertificateDer<'_>,
        _d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ECDSA_NISTP256_SHA256, SignatureScheme::RSA_PSS_SHA256]
    }
}

pub struct TlsSettings {
    pub lab_mode: bool,
    pub ca_bundle: Option<String>,
}

fn system_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    roots
}

pub fn rustls_config(settings: &TlsSettings) -> Arc<ClientConfig> {
    let mut cfg = ClientConfig::builder().with_root_certificates(system_roots()).with_no_client_auth();
    if settings.lab_mode {
        cfg.dangerous().set_certificate_verifier(Arc::new(AcceptAnyCert)); //~ tls-verification-disabled
    }
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(cfg)
}

pub fn http_client(settings: &TlsSettings) -> reqwest::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder().timeout(Duration::from_secs(15)).https_only(true);
    if let Some(path) = &settings.ca_bundle {
        let pem = std::fs::read(path).expect("ca bundle");
        b = b.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
    }
    b.danger_accept_invalid_certs(false).build()
}

pub fn lab_http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()
}

pub fn native_connector(relaxed: bool) -> native_tls::Result<NativeConnector> {
    let mut b = NativeConnector::builder();
    b.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    if relaxed {
        b.danger_accept_invalid_hostnames(true); //~ tls-verification-disabled
    }
    b.build()
}

pub fn openssl_connector(settings: &TlsSettings) -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut b = SslConnector::builder(SslMethod::tls_client())?;
    if let Some(ca) = &settings.ca_bundle {
        b.set_ca_file(ca)?;
    }
    b.set_verify(SslVerifyMode::PEER);
    Ok(b.build())
}

pub fn openssl_legacy_connector() -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut b = SslConnector::builder(SslMethod::tls_client())?;
    b.set_cipher_list("DEFAULT:@SECLEVEL=1")?;
    b.set_verify(SslVerifyMode::NONE); //~ tls-verification-disabled
    Ok(b.build())
}

pub fn build_all(settings: &TlsSettings) {
    let _ = rustls_config(settings);
    let _ = http_client(settings);
    let _ = native_connector(settings.lab_mode);
    let _ = openssl_connector(settings);
    if settings.lab_mode {
        let _ = lab_http_client();
        let _ = openssl_legacy_connector();
    }
}
