// Scenario: a metrics exporter that scrapes several upstream HTTPS endpoints
// (some internal with self-signed certs) and pushes results to a gateway.
use reqwest::{Certificate, Client, ClientBuilder};
use std::fs;
use std::time::Duration;

pub struct ScrapeConfig {
    pub ca_bundle: Option<String>,
    pub timeout_secs: u64,
    pub verify_tls: bool,
}

fn base_builder(cfg: &ScrapeConfig) -> ClientBuilder {
    Client::builder()
        .timeout(Duration::from_secs(cfg.timeout_secs))
        .user_agent("scrape-exporter/0.4")
}

pub fn gateway_client(cfg: &ScrapeConfig) -> reqwest::Result<Client> {
    let mut builder = base_builder(cfg);
    if let Some(path) = &cfg.ca_bundle {
        if let Ok(pem) = fs::read(path) {
            if let Ok(cert) = Certificate::from_pem(&pem) {
                builder = builder.add_root_certificate(cert);
            }
        }
    }
    builder.danger_accept_invalid_certs(false).build()
}

pub fn internal_client(cfg: &ScrapeConfig) -> reqwest::Result<Client> {
    base_builder(cfg)
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()
}

pub fn legacy_client(cfg: &ScrapeConfig) -> reqwest::Result<Client> {
    let builder = base_builder(cfg).https_only(true);
    let builder = builder.danger_accept_invalid_hostnames(true); //~ tls-verification-disabled
    builder.build()
}

pub fn blocking_probe(url: &str) -> Result<u16, reqwest::Error> {
    let client = reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()?;
    Ok(client.get(url).send()?.status().as_u16())
}

pub fn public_client() -> reqwest::Result<Client> {
    Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(true)
        .https_only(true)
        .build()
}

pub async fn scrape_all(cfg: &ScrapeConfig, targets: &[String]) -> Vec<(String, usize)> {
    let internal = internal_client(cfg).expect("client");
    let public = public_client().expect("client");
    let mut out = Vec::new();
    for t in targets {
        let client = if t.contains(".internal") { &internal } else { &public };
        let size = match client.get(t).send().await {
            Ok(resp) => resp.bytes().await.map(|b| b.len()).unwrap_or(0),
            Err(_) => 0,
        };
        out.push((t.clone(), size));
    }
    out
}
