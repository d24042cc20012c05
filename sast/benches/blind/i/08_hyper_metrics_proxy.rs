//! Scrapes Prometheus endpoints on edge nodes and forwards the samples to the
//! central remote-write gateway.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::Request;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;
type Der<'a> = CertificateDer<'a>;
type Dss = DigitallySignedStruct;
type SigResult = Result<HandshakeSignatureValid, TlsError>;

#[derive(Clone, Copy)]
enum TlsMode {
    Verify,
    Pinned([u8; 32]),
    /// Lab nodes are re-imaged daily and present throwaway certificates.
    Lab,
}

struct Upstream {
    name: &'static str,
    url: &'static str,
    tls: TlsMode,
}

const fn upstream(name: &'static str, url: &'static str, tls: TlsMode) -> Upstream {
    Upstream { name, url, tls }
}

const UPSTREAMS: &[Upstream] = &[
    upstream(
        "edge-fra",
        "https://edge-fra.example.net/metrics",
        TlsMode::Verify,
    ),
    upstream(
        "edge-sin",
        "https://edge-sin.example.net/metrics",
        TlsMode::Pinned([0x3a; 32]),
    ),
    upstream("lab-01", "https://lab-01.example.net/metrics", TlsMode::Lab),
];

#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _ee: &Der<'_>,
        _im: &[Der<'_>],
        _sn: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(&self, m: &[u8], c: &Der<'_>, d: &Dss) -> SigResult {
        verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(&self, m: &[u8], c: &Der<'_>, d: &Dss) -> SigResult {
        verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Normal WebPKI validation plus a SHA-256 pin on the leaf certificate.
#[derive(Debug)]
struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pin: [u8; 32],
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        ee: &Der<'_>,
        im: &[Der<'_>],
        sn: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let ok = self.inner.verify_server_cert(ee, im, sn, ocsp, now)?;
        if Sha256::digest(ee.as_ref()).as_slice() != self.pin {
            return Err(TlsError::General("leaf certificate pin mismatch".into()));
        }
        Ok(ok)
    }
    fn verify_tls12_signature(&self, m: &[u8], c: &Der<'_>, d: &Dss) -> SigResult {
        self.inner.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(&self, m: &[u8], c: &Der<'_>, d: &Dss) -> SigResult {
        self.inner.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn tls_config(mode: TlsMode, roots: Arc<RootCertStore>) -> anyhow::Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(match mode {
        TlsMode::Verify => ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
        TlsMode::Pinned(pin) => {
            let inner = WebPkiServerVerifier::builder(roots).build()?;
            ClientConfig::builder()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedVerifier { inner, pin }))
                .with_no_client_auth()
        }
        TlsMode::Lab => ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider))) //~ tls-verification-disabled
            .with_no_client_auth(),
    })
}

fn client_for(cfg: ClientConfig) -> HttpsClient {
    let https = HttpsConnectorBuilder::new()
        .with_tls_config(cfg)
        .https_only()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(https)
}

const GATEWAY_HOST: &str = "metrics-gw.corp.example.net:9201";

pub struct Forwarder {
    gateway_token: String,
    scrape_token: String,
}

impl Forwarder {
    pub fn from_env() -> anyhow::Result<Forwarder> {
        Ok(Forwarder {
            gateway_token: std::env::var("GATEWAY_TOKEN")?,
            scrape_token: std::env::var("SCRAPE_TOKEN")?,
        })
    }

    async fn scrape(&self, up: &Upstream, roots: Arc<RootCertStore>) -> anyhow::Result<Bytes> {
        let client = client_for(tls_config(up.tls, roots)?);
        let req = Request::get(up.url)
            .header(AUTHORIZATION, format!("Bearer {}", self.scrape_token))
            .body(Full::new(Bytes::new()))?;
        let body = client
            .request(req)
            .await?
            .into_body()
            .collect()
            .await?
            .to_bytes();
        tracing::info!(upstream = up.name, bytes = body.len(), "scraped");
        Ok(body)
    }

    async fn push(&self, samples: Bytes) -> anyhow::Result<()> {
        let plain: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let (gw, tok) = (GATEWAY_HOST, &self.gateway_token);
        let req = Request::post(format!("http://{gw}/v1/write?token={tok}")) //~ cleartext-url
            .header(CONTENT_TYPE, "application/x-protobuf")
            .body(Full::new(samples))?;
        let status = plain.request(req).await?.status();
        if !status.is_success() {
            tracing::warn!("push rejected ({status}) for token {tok}"); //~ cleartext-logging
        }
        Ok(())
    }

    pub async fn run_once(&self, roots: Arc<RootCertStore>) -> anyhow::Result<()> {
        for up in UPSTREAMS {
            match self.scrape(up, roots.clone()).await {
                Ok(body) => self.push(body).await?,
                Err(e) => tracing::error!(upstream = up.name, error = %e, "scrape failed"),
            }
        }
        Ok(())
    }
}
