// Scenario: TLS setup for an MQTT bridge. Brokers are reached with rustls
// (optionally pinned) and a legacy gateway through openssl.
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer as Der, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct as Dss, Error, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::Arc;

type SigOk = Result<HandshakeSignatureValid, Error>;

#[derive(Debug)]
struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pin: [u8; 32],
}

#[derive(Debug)]
struct LabVerifier {
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        ee: &Der<'_>,
        im: &[Der<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let ok = self.inner.verify_server_cert(ee, im, name, ocsp, now)?;
        if Sha256::digest(ee.as_ref()).as_slice() != self.pin {
            return Err(Error::General("certificate pin mismatch".into()));
        }
        Ok(ok)
    }
    fn verify_tls12_signature(&self, m: &[u8], c: &Der<'_>, d: &Dss) -> SigOk {
        self.inner.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(&self, m: &[u8], c: &Der<'_>, d: &Dss) -> SigOk {
        self.inner.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

impl ServerCertVerifier for LabVerifier {
    fn verify_server_cert(
        &self,
        _ee: &Der<'_>,
        _im: &[Der<'_>],
        _name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion()) //~ tls-verification-disabled
    }
    fn verify_tls12_signature(&self, m: &[u8], c: &Der<'_>, d: &Dss) -> SigOk {
        verify_tls12_signature(m, c, d, &self.algs)
    }
    fn verify_tls13_signature(&self, m: &[u8], c: &Der<'_>, d: &Dss) -> SigOk {
        verify_tls13_signature(m, c, d, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

pub fn broker_config(
    pin: Option<[u8; 32]>,
    lab: bool,
) -> Result<ClientConfig, Box<dyn std::error::Error>> {
    let roots = Arc::new(RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    });
    let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match (pin, lab) {
        (Some(pin), _) => Arc::new(PinnedVerifier {
            inner: WebPkiServerVerifier::builder(roots).build()?,
            pin,
        }),
        (None, true) => Arc::new(LabVerifier { algs }),
        (None, false) => WebPkiServerVerifier::builder(roots).build()?,
    };
    Ok(ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

pub fn gateway_connector(
    ca_file: Option<&str>,
) -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut b = SslConnector::builder(SslMethod::tls_client())?;
    match ca_file {
        Some(path) => {
            b.set_ca_file(path)?;
            b.set_verify(SslVerifyMode::PEER);
        }
        None => b.set_verify(SslVerifyMode::NONE), //~ tls-verification-disabled
    }
    Ok(b.build())
}

pub fn gateway_stream(
    c: &SslConnector,
    host: &str,
) -> Result<openssl::ssl::SslStream<std::net::TcpStream>, Box<dyn std::error::Error>> {
    let tcp = std::net::TcpStream::connect((host, 8883))?;
    let mut cfg = c.configure()?;
    cfg.set_verify_hostname(false); //~ tls-verification-disabled
    Ok(cfg.connect(host, tcp)?)
}
