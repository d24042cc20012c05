use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::X509StoreContextRef;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use std::net::TcpStream;
use std::sync::Arc;

#[derive(Debug)]
struct AcceptAll;

impl ServerCertVerifier for AcceptAll {
    fn verify_server_cert(&self, _end: &CertificateDer<'_>, _im: &[CertificateDer<'_>], _name: &ServerName<'_>, _ocsp: &[u8], _now: UnixTime) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(&self, _m: &[u8], _c: &CertificateDer<'_>, _d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(&self, _m: &[u8], _c: &CertificateDer<'_>, _d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ECDSA_NISTP256_SHA256, SignatureScheme::RSA_PSS_SHA256, SignatureScheme::ED25519]
    }
}

#[derive(Debug)]
struct PinnedCert {
    fingerprint: [u8; 32],
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for PinnedCert {
    fn verify_server_cert(&self, end: &CertificateDer<'_>, _im: &[CertificateDer<'_>], _name: &ServerName<'_>, _ocsp: &[u8], _now: UnixTime) -> Result<ServerCertVerified, rustls::Error> {
        let actual: [u8; 32] = Sha256::digest(end.as_ref()).into();
        if actual == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }
    fn verify_tls12_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &rustls::crypto::ring::default_provider().signature_verification_algorithms)
    }
    fn verify_tls13_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &rustls::crypto::ring::default_provider().signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

pub enum TrustMode {
    WebPki,
    Pinned([u8; 32]),
    Lab,
}

pub fn client_config(mode: TrustMode) -> ClientConfig {
    match mode {
        TrustMode::WebPki => {
            let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            ClientConfig::builder().with_root_certificates(roots).with_no_client_auth()
        }
        TrustMode::Pinned(fp) => {
            let verifier = PinnedCert { fingerprint: fp, schemes: vec![SignatureScheme::ECDSA_NISTP256_SHA256] };
            ClientConfig::builder().dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
        }
        TrustMode::Lab => ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAll)) //~ tls-verification-disabled
            .with_no_client_auth(),
    }
}

fn allowed_issuer(ctx: &X509StoreContextRef) -> bool {
    ctx.current_cert().map(|c| c.issuer_name().entries().any(|e| e.data().as_slice() == b"Internal Issuing CA")).unwrap_or(false)
}

pub struct MtlsDialer {
    connector: SslConnector,
    host: String,
}

impl MtlsDialer {
    pub fn strict(host: &str) -> Result<Self, openssl::error::ErrorStack> {
        let mut b = SslConnector::builder(SslMethod::tls_client())?;
        b.set_verify_callback(SslVerifyMode::PEER, |preverify_ok, ctx| preverify_ok && allowed_issuer(ctx));
        Ok(Self { connector: b.build(), host: host.to_owned() })
    }

    pub fn tolerant(host: &str) -> Result<Self, openssl::error::ErrorStack> {
        let mut b = SslConnector::builder(SslMethod::tls_client())?;
        b.set_verify_callback(SslVerifyMode::PEER, |preverify_ok, ctx| { //~ tls-verification-disabled
            if !preverify_ok {
                log::warn!("ignoring certificate error at depth {}", ctx.error_depth());
            }
            true
        });
        Ok(Self { connector: b.build(), host: host.to_owned() })
    }

    pub fn dial(&self, port: u16, skip_hostname: bool) -> Result<openssl::ssl::SslStream<TcpStream>, Box<dyn std::error::Error>> {
        let tcp = TcpStream::connect((self.host.as_str(), port))?;
        let mut cfg = self.connector.configure()?;
        if skip_hostname {
            cfg.set_verify(SslVerifyMode::NONE); //~ tls-verification-disabled
        } else {
            cfg.set_verify(SslVerifyMode::PEER);
        }
        Ok(cfg.connect(&self.host, tcp)?)
    }
}

pub fn dial_from_env() -> Result<(), Box<dyn std::error::Error>> {
    let host = std::env::var("PEER_HOST")?;
    let dialer = if std::env::var("PEER_TOLERANT").is_ok() { MtlsDialer::tolerant(&host)? } else { MtlsDialer::strict(&host)? };
    let _stream = dialer.dial(8443, std::env::var("PEER_SKIP_HOSTNAME").is_ok())?;
    let _cfg = client_config(if std::env::var("LAB").is_ok() { TrustMode::Lab } else { TrustMode::WebPki });
    Ok(())
}
