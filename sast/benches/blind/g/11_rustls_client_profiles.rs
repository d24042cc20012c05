use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::Arc;

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
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(&self, _m: &[u8], _c: &CertificateDer<'_>, _d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(&self, _m: &[u8], _c: &CertificateDer<'_>, _d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ECDSA_NISTP256_SHA256, SignatureScheme::RSA_PSS_SHA256, SignatureScheme::ED25519]
    }
}

#[derive(Debug)]
struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pins: Vec<[u8; 32]>,
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
        self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)?;
        let fingerprint: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if self.pins.contains(&fingerprint) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(Error::General("certificate pin mismatch".into()))
        }
    }

    fn verify_tls12_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(m, c, d)
    }

    fn verify_tls13_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(m, c, d)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn roots() -> RootCertStore {
    RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect() }
}

pub fn default_config() -> ClientConfig {
    ClientConfig::builder().with_root_certificates(roots()).with_no_client_auth()
}

pub fn pinned_config(pins: Vec<[u8; 32]>) -> Result<ClientConfig, Error> {
    let inner = WebPkiServerVerifier::builder(Arc::new(roots()))
        .build()
        .map_err(|e| Error::General(e.to_string()))?;
    let mut cfg = default_config();
    cfg.dangerous().set_certificate_verifier(Arc::new(PinnedVerifier { inner, pins }));
    Ok(cfg)
}

pub fn dev_config() -> ClientConfig {
    ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCert)) //~ tls-verification-disabled
        .with_no_client_auth()
}

pub fn lab_config() -> ClientConfig {
    let mut cfg = default_config();
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    cfg.dangerous().set_certificate_verifier(Arc::new(AcceptAnyCert)); //~ tls-verification-disabled
    cfg
}

pub fn internal_http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .danger_accept_invalid_hostnames(true) //~ tls-verification-disabled
        .build()
}

pub fn public_http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_preconfigured_tls(default_config())
        .https_only(true)
        .danger_accept_invalid_certs(false)
        .build()
}

pub fn config_for(profile: &str, pins: Vec<[u8; 32]>) -> Result<ClientConfig, Error> {
    match profile {
        "dev" => Ok(dev_config()),
        "lab" => Ok(lab_config()),
        "pinned" => pinned_config(pins),
        _ => Ok(default_config()),
    }
}
