// Issue 17, item 6: precision on real code.
use std::marker::PhantomData;
use std::sync::Arc;

// Test modules declared here live in other files; their code is test-only
// (hard-coded keys, shell commands) and must not be reported.
#[cfg(test)]
mod helpers;
#[cfg(all(test, feature = "fixtures"))]
#[path = "fixtures/shared_fixtures.rs"]
mod fixtures;

// `unsafe impl Send/Sync` with the bounds that make it sound.
pub struct Shared<T> {
    ptr: *const T,
    _owns: PhantomData<T>,
}

unsafe impl<T> Send for Shared<T> where T: Sync + Send {}
unsafe impl<T> Sync for Shared<T> where T: Sync {}

pub struct Slot<T: ?Sized> {
    inner: Arc<T>,
}
unsafe impl<T: ?Sized + Send + Sync> Send for Slot<T> {}

// Without the bound: a `Cell` could be shared across threads.
pub struct Racy<T> {
    value: std::cell::UnsafeCell<T>,
}
unsafe impl<T> Sync for Racy<T> {} //~ unsafe-send-sync
unsafe impl<T> Send for Racy<T> where T: Copy {} //~ unsafe-send-sync

// A rustls verifier that delegates to webpki is not "accepts everything".
#[derive(Debug)]
struct Pinned {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    pin: Vec<u8>,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }
}

#[derive(Debug)]
struct Platform(rustls_platform_verifier::Verifier);

impl rustls::client::danger::ServerCertVerifier for Platform {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }
}

#[derive(Debug)]
struct AcceptAll;

impl rustls::client::danger::ServerCertVerifier for AcceptAll {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        // Reported where it is installed below, with a flow from here.
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
}

pub fn platform_config() -> rustls::ClientConfig {
    let verifier = Arc::new(rustls_platform_verifier::Verifier::new());
    rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

pub fn webpki_config(roots: Arc<rustls::RootCertStore>) -> rustls::ClientConfig {
    let inner = rustls::client::WebPkiServerVerifier::builder(roots).build().unwrap();
    rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { inner, pin: Vec::new() }))
        .with_no_client_auth()
}

pub fn accept_all_config() -> rustls::ClientConfig {
    rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAll)) //~ tls-verification-disabled
        .with_no_client_auth()
}

// `set_sensitive(true)` is tracked per header value.
pub fn headers(token: &str, trace: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    let mut auth = http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    auth.set_sensitive(true);
    headers.insert(http::header::AUTHORIZATION, auth);
    let trace = http::HeaderValue::from_str(trace).unwrap();
    headers.insert("x-trace-id", trace);
    headers
}

pub fn proxy_headers(token: &str, other: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    let mut marked = http::HeaderValue::from_str(other).unwrap();
    marked.set_sensitive(true);
    headers.insert("x-other", marked);
    let auth = http::HeaderValue::from_str(&format!("Basic {token}")).unwrap();
    headers.insert(http::header::PROXY_AUTHORIZATION, auth); //~ sensitive-header-not-marked
    headers
}

// A nonce built in a zeroed buffer and filled from the record's salt and
// sequence number (rustls' TLS 1.2 GCM): not written in the source.
pub fn nonce_for(salt: &[u8; 4], explicit: &[u8]) -> aead::Nonce {
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(salt);
    nonce[4..].copy_from_slice(&explicit[..8]);
    aead::Nonce::assume_unique_for_key(nonce)
}

pub fn counter_nonce(seq: u8) -> aead::Nonce {
    let mut nonce = [0u8; 12];
    nonce[11] = seq;
    aead::Nonce::assume_unique_for_key(nonce)
}

// The same shapes, never written: reported.
pub fn fixed_nonce() -> aead::Nonce {
    let nonce = [7u8; 12]; //~ hardcoded-crypto-key
    aead::Nonce::assume_unique_for_key(nonce)
}

pub fn reset_nonce(seq: u8) -> aead::Nonce {
    let mut nonce = [0u8; 12];
    nonce[11] = seq;
    nonce = [1u8; 12]; //~ hardcoded-crypto-key
    aead::Nonce::assume_unique_for_key(nonce)
}

// Still key material (red team rt36): a built-in default overridden in one
// branch, literal halves copied in, a literal byte written, a read.
use aes_gcm::{Aes256Gcm, KeyInit};

fn decode(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, b) in out.iter_mut().zip(hex.bytes()) {
        *o = b;
    }
    out
}

pub fn default_key(data: &[u8]) {
    let mut key = [0x42u8; 32]; //~ hardcoded-crypto-key
    if let Ok(hex) = std::env::var("APP_KEY") {
        key = decode(&hex);
    }
    let cipher = Aes256Gcm::new(&key.into());
    let _ = (cipher, data);
}

pub fn literal_halves(data: &[u8]) {
    let mut key = [0u8; 32]; //~ hardcoded-crypto-key
    key[..16].copy_from_slice(b"0123456789abcdef");
    key[16..].copy_from_slice(b"fedcba9876543210");
    let cipher = Aes256Gcm::new(&key.into());
    let _ = (cipher, data);
}

pub fn literal_byte_written(data: &[u8]) {
    let mut key = *b"an example very very secret key."; //~ hardcoded-crypto-key
    key[31] = b'!';
    assert!(!key[..].starts_with(b"\0"));
    let cipher = Aes256Gcm::new(&key.into());
    let _ = (cipher, data);
}
