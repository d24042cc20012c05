//! Metrics push agent: ships batches to the collector over TLS, with a
//! legacy fallback for collectors that predate the TLS listener.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

#[derive(Debug)]
struct LenientVerifier;

impl ServerCertVerifier for LenientVerifier {
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
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Verifies normally, then additionally pins the collector's leaf certificate.
#[derive(Debug)]
struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pin_sha256: [u8; 32],
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)?;
        let digest = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
        if digest.as_ref() != self.pin_sha256 {
            return Err(rustls::Error::General("collector pin mismatch".into()));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(m, c, d)
    }

    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(m, c, d)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn webpki_roots() -> RootCertStore {
    RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
}

fn pinned_config(pin_sha256: [u8; 32]) -> Result<ClientConfig, rustls::Error> {
    let inner = WebPkiServerVerifier::builder(Arc::new(webpki_roots()))
        .build()
        .map_err(|e| rustls::Error::General(e.to_string()))?;
    let verifier = Arc::new(PinnedVerifier { inner, pin_sha256 });
    Ok(ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn lab_config() -> ClientConfig {
    let builder = ClientConfig::builder().dangerous();
    let builder = builder.with_custom_certificate_verifier(Arc::new(LenientVerifier)); //~ tls-verification-disabled
    builder.with_no_client_auth()
}

pub struct PushAgent {
    collector: String,
    api_key: String,
    tls: Arc<ClientConfig>,
}

impl PushAgent {
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error>> {
        let collector = std::env::var("COLLECTOR_HOST")?;
        let api_key = std::env::var("COLLECTOR_API_KEY")?;
        let tls = match std::env::var("COLLECTOR_PIN") {
            Ok(pin) => pinned_config(hex::decode(pin)?.try_into().map_err(|_| "pin length")?)?,
            Err(_) => lab_config(),
        };
        Ok(Self {
            collector,
            api_key,
            tls: Arc::new(tls),
        })
    }

    pub fn push(&self, batch: &str) -> std::io::Result<()> {
        let name = ServerName::try_from(self.collector.clone())
            .map_err(|_| std::io::ErrorKind::InvalidInput)?;
        let conn = rustls::ClientConnection::new(self.tls.clone(), name)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::Other, e))?;
        let sock = TcpStream::connect((self.collector.as_str(), 443))?;
        let mut tls = rustls::StreamOwned::new(conn, sock);
        let request = format!(
            "POST /v1/push HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n{}",
            self.collector,
            self.api_key,
            batch.len(),
            batch
        );
        tls.write_all(request.as_bytes())?;
        let mut status = [0u8; 12];
        tls.read_exact(&mut status)?;
        Ok(())
    }

    pub fn push_legacy(&self, batch: &str) -> Result<(), Box<ureq::Error>> {
        let url = format!(
            "http://{}:8080/v1/push?api_key={}",
            self.collector, self.api_key
        );
        ureq::post(&url).send_string(batch)?; //~ cleartext-url
        Ok(())
    }

    pub fn probe_health(&self) -> Result<u16, Box<ureq::Error>> {
        let url = format!("http://{}:8080/healthz", self.collector);
        Ok(ureq::get(&url).call()?.status())
    }
}

pub fn smtp_relay_connector(relaxed: bool) -> native_tls::Result<native_tls::TlsConnector> {
    let mut builder = native_tls::TlsConnector::builder();
    builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    if relaxed {
        builder.danger_accept_invalid_hostnames(true); //~ tls-verification-disabled
    }
    builder.build()
}

pub fn run(batch: &str) -> Result<(), Box<dyn std::error::Error>> {
    let agent = PushAgent::from_env()?;
    if agent.push(batch).is_err() && agent.probe_health().is_ok() {
        agent.push_legacy(batch)?;
    }
    let _connector = smtp_relay_connector(std::env::var_os("SMTP_RELAXED_TLS").is_some())?;
    Ok(())
}
