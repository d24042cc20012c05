// Disabled TLS checks across client crates; the near misses keep
// verification on or wire a user's explicit choice through.
use std::sync::Arc;

fn pos_lettre(host: &str) {
    let tls = lettre::transport::smtp::client::TlsParameters::builder(host.to_owned())
        .dangerous_accept_invalid_certs(true) //~ tls-verification-disabled
        .build();
}

fn pos_mysql_ssl() -> mysql::SslOpts {
    mysql::SslOpts::default()
        .with_danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .with_danger_skip_domain_validation(true) //~ tls-verification-disabled
}

fn pos_curl(url: &str) {
    let mut easy = curl::easy::Easy::new();
    easy.url(url).unwrap();
    easy.ssl_verify_peer(false).unwrap(); //~ tls-verification-disabled
    easy.ssl_verify_host(false).unwrap(); //~ tls-verification-disabled
}

fn pos_mongodb() -> mongodb::options::TlsOptions {
    mongodb::options::TlsOptions::builder()
        .allow_invalid_certificates(true) //~ tls-verification-disabled
        .build()
}

fn pos_field() -> kube::Config {
    let mut cfg = kube::Config::new("https://k8s.internal:6443".parse().unwrap());
    cfg.accept_invalid_certs = true;
    kube::Config {
        accept_invalid_certs: true, //~ tls-verification-disabled
        ..cfg
    }
}

fn pos_openssl_empty() {
    let mut b = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls()).unwrap();
    b.set_verify(openssl::ssl::SslVerifyMode::empty()); //~ tls-verification-disabled
}

fn pos_isahc(url: &str) {
    let _ = isahc::Request::get(url)
        .ssl_options(isahc::config::SslOption::DANGER_ACCEPT_INVALID_CERTS) //~ tls-verification-disabled
        .body(());
}

fn pos_ureq() {
    let _tls = ureq::tls::TlsConfig::builder().disable_verification(true).build(); //~ tls-verification-disabled
}

fn pos_tiberius(cfg: &mut tiberius::Config) {
    cfg.trust_cert(); //~ tls-verification-disabled
}

fn neg_user_choice(insecure: bool) -> reqwest::Client {
    // `--insecure` given by the operator, wired through: their call.
    reqwest::Client::builder()
        .danger_accept_invalid_certs(insecure)
        .build()
        .unwrap()
}

fn neg_verification_on(host: &str) {
    let mut easy = curl::easy::Easy::new();
    easy.ssl_verify_peer(true).unwrap();
    let _ = lettre::transport::smtp::client::TlsParameters::builder(host.to_owned())
        .dangerous_accept_invalid_certs(false)
        .build();
    let mut b = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls()).unwrap();
    b.set_verify(openssl::ssl::SslVerifyMode::PEER);
}

fn neg_private_ca(pem: &[u8]) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(pem).unwrap();
    reqwest::Client::builder().add_root_certificate(ca).build().unwrap()
}

fn neg_webpki_roots() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let verifier = rustls::client::WebPkiServerVerifier::builder(Arc::new(roots))
        .build()
        .unwrap();
    rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}
