// Scenario: client factory for an inventory sync daemon. It talks to the
// public vendor API, an on-prem ERP appliance and a legacy SOAP bridge.
use std::sync::Arc;
use std::time::Duration;

pub struct SyncConfig {
    pub vendor_base: String,
    pub erp_base: String,
    pub erp_ca_pem: Option<Vec<u8>>,
    pub bridge_host: String,
}

pub struct Clients {
    pub vendor: reqwest::Client,
    pub erp: reqwest::Client,
    pub bridge: ureq::Agent,
}

fn base_builder(user_agent: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(Duration::from_secs(30))
        .min_tls_version(reqwest::tls::Version::TLS_1_2)
}

fn vendor_client() -> reqwest::Result<reqwest::Client> {
    base_builder("inv-sync/2.3")
        .https_only(true)
        .danger_accept_invalid_certs(false)
        .build()
}

fn erp_client(cfg: &SyncConfig) -> reqwest::Result<reqwest::Client> {
    let builder = base_builder("inv-sync/2.3 (erp)");
    match cfg.erp_ca_pem.as_deref() {
        Some(pem) => {
            let ca = reqwest::Certificate::from_pem(pem)?;
            builder.add_root_certificate(ca).build()
        }
        None => builder.danger_accept_invalid_certs(true).build(), //~ tls-verification-disabled
    }
}

fn bridge_connector() -> native_tls::Result<native_tls::TlsConnector> {
    let mut b = native_tls::TlsConnector::builder();
    b.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    b.danger_accept_invalid_hostnames(true); //~ tls-verification-disabled
    b.build()
}

fn bridge_agent() -> native_tls::Result<ureq::Agent> {
    let tls = bridge_connector()?;
    Ok(ureq::AgentBuilder::new()
        .tls_connector(Arc::new(tls))
        .timeout(Duration::from_secs(60))
        .build())
}

pub fn build_clients(cfg: &SyncConfig) -> Result<Clients, Box<dyn std::error::Error>> {
    Ok(Clients {
        vendor: vendor_client()?,
        erp: erp_client(cfg)?,
        bridge: bridge_agent()?,
    })
}

pub fn metrics_client(insecure_lab: bool) -> reqwest::Result<reqwest::blocking::Client> {
    let mut b = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10));
    if insecure_lab {
        b = b.danger_accept_invalid_hostnames(true); //~ tls-verification-disabled
    }
    b.tls_built_in_root_certs(true).build()
}

pub async fn pull_catalogue(c: &Clients, cfg: &SyncConfig) -> reqwest::Result<serde_json::Value> {
    c.vendor
        .get(format!("{}/v2/catalogue", cfg.vendor_base))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}

pub async fn push_levels(
    c: &Clients,
    cfg: &SyncConfig,
    levels: &serde_json::Value,
) -> reqwest::Result<()> {
    c.erp
        .put(format!("{}/api/stock", cfg.erp_base))
        .json(levels)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

pub fn bridge_ping(c: &Clients, cfg: &SyncConfig) -> bool {
    let url = format!("https://{}/soap/ping", cfg.bridge_host);
    c.bridge
        .get(&url)
        .call()
        .map(|r| r.status() == 200)
        .unwrap_or(false)
}

pub fn main_entry() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = SyncConfig {
        vendor_base: std::env::var("VENDOR_BASE")?,
        erp_base: std::env::var("ERP_BASE")?,
        erp_ca_pem: std::env::var("ERP_CA_FILE")
            .ok()
            .and_then(|p| std::fs::read(p).ok()),
        bridge_host: std::env::var("BRIDGE_HOST")?,
    };
    let clients = build_clients(&cfg)?;
    let _metrics = metrics_client(std::env::var("LAB_MODE").is_ok())?;
    if !bridge_ping(&clients, &cfg) {
        eprintln!("bridge unreachable");
    }
    Ok(())
}
