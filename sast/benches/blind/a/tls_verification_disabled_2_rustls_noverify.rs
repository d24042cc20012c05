// gRPC-ish agent that dials a control plane over rustls; a debug path installs a no-op verifier.
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
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
        vec![SignatureScheme::ECDSA_NISTP256_SHA256, SignatureScheme::RSA_PSS_SHA256, SignatureScheme::ED25519]
    }
}

pub struct AgentTls {
    pub debug: bool,
}

impl AgentTls {
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let mut config = ClientConfig::builder()
            .with_root_certificates(Self::roots())
            .with_no_client_auth();
        if self.debug {
            config.dangerous().set_certificate_verifier(Arc::new(AcceptAnyCert)); //~ tls-verification-disabled
        }
        Arc::new(config)
    }

    fn roots() -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        roots
    }
}

pub fn insecure_builder_config() -> ClientConfig {
    ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCert)) //~ tls-verification-disabled
        .with_no_client_auth()
}

// SAFE: standard webpki roots, no custom verifier.
pub fn production_config() -> Arc<ClientConfig> {
    let config = ClientConfig::builder()
        .with_root_certificates(AgentTls::roots())
        .with_no_client_auth();
    Arc::new(config)
}

pub async fn dial(host: &str, cfg: Arc<ClientConfig>) -> std::io::Result<()> {
    let connector = tokio_rustls::TlsConnector::from(cfg);
    let tcp = tokio::net::TcpStream::connect((host, 443)).await?;
    let name = ServerName::try_from(host.to_string()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    let _tls = connector.connect(name, tcp).await?;
    Ok(())
}
