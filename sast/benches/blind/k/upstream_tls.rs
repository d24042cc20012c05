//! TLS client configuration for the upstream connectors (LDAP, SMTP relay, ledger API).

use std::fs;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;

use native_tls::{Certificate, TlsConnector, TlsStream};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Environment {
    Production,
    Staging,
    Local,
}

impl Environment {
    pub fn detect() -> Self {
        match std::env::var("DEPLOY_ENV").as_deref() {
            Ok("production") => Environment::Production,
            Ok("staging") => Environment::Staging,
            _ => Environment::Local,
        }
    }
}

#[derive(Debug)]
struct LabCertVerifier;

impl ServerCertVerifier for LabCertVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[derive(Debug)]
struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pin: [u8; 32],
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let ok =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)?;
        let seen = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
        if seen.as_ref() != self.pin {
            return Err(Error::General("ledger certificate pin mismatch".into()));
        }
        Ok(ok)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn public_roots() -> Arc<RootCertStore> {
    Arc::new(RootCertStore::from_iter(
        webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
    ))
}

pub fn ledger_config(env: Environment, pin: [u8; 32]) -> Result<ClientConfig, Error> {
    if env == Environment::Production {
        let inner = WebPkiServerVerifier::builder(public_roots())
            .build()
            .map_err(|e| Error::General(e.to_string()))?;
        let verifier = Arc::new(PinnedVerifier { inner, pin });
        return Ok(ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth());
    }
    Ok(ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(LabCertVerifier)) //~ tls-verification-disabled
        .with_no_client_auth())
}

pub fn smtp_connector(ca_path: Option<&str>) -> Result<TlsConnector, Box<dyn std::error::Error>> {
    let mut builder = TlsConnector::builder();
    if let Some(path) = ca_path {
        builder.add_root_certificate(Certificate::from_pem(&fs::read(path)?)?);
    }
    Ok(builder.build()?)
}

pub fn ldap_connect(
    host: &str,
    port: u16,
) -> Result<TlsStream<TcpStream>, Box<dyn std::error::Error>> {
    let connector = TlsConnector::builder()
        .danger_accept_invalid_hostnames(true) //~ tls-verification-disabled
        .build()?;
    let tcp = TcpStream::connect((host, port))?;
    Ok(connector.connect(host, tcp)?)
}

fn verify_mode_for(env: Environment) -> SslVerifyMode {
    match env {
        Environment::Production => SslVerifyMode::PEER,
        Environment::Staging | Environment::Local => SslVerifyMode::NONE,
    }
}

pub fn metrics_connector(env: Environment) -> io::Result<SslConnector> {
    let mut builder = SslConnector::builder(SslMethod::tls()).map_err(io::Error::other)?;
    let mode = verify_mode_for(env);
    builder.set_verify(mode); //~ tls-verification-disabled
    Ok(builder.build())
}

pub fn billing_connector() -> io::Result<SslConnector> {
    let mut builder = SslConnector::builder(SslMethod::tls()).map_err(io::Error::other)?;
    builder.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    builder
        .set_ca_file("/etc/ssl/certs/billing-ca.pem")
        .map_err(io::Error::other)?;
    Ok(builder.build())
}
