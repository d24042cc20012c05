// Internal metrics shipper: builds reqwest clients from a YAML config, with an "insecure" escape hatch.
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize, Clone)]
pub struct SinkConfig {
    pub url: String,
    pub token: String,
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub skip_hostname_check: bool,
    pub ca_bundle: Option<String>,
}

pub struct MetricsSink {
    client: reqwest::Client,
    cfg: SinkConfig,
}

impl MetricsSink {
    pub fn from_config(cfg: SinkConfig) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .danger_accept_invalid_certs(cfg.insecure) //~ tls-verification-disabled
            .build()?;
        Ok(MetricsSink { client, cfg })
    }

    pub async fn push(&self, payload: &str) -> reqwest::Result<()> {
        self.client
            .post(&self.cfg.url)
            .bearer_auth(&self.cfg.token)
            .body(payload.to_string())
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}

/// Used by the legacy on-prem collector whose cert CN never matches its IP.
pub fn legacy_client(cfg: &SinkConfig) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder().user_agent("metrics-shipper/1.4");
    if cfg.skip_hostname_check {
        builder = builder.danger_accept_invalid_hostnames(true); //~ tls-verification-disabled
    }
    builder.build()
}

pub fn blocking_probe(url: &str) -> reqwest::Result<u16> {
    let client = reqwest::blocking::Client::builder().danger_accept_invalid_certs(true).build()?; //~ tls-verification-disabled
    Ok(client.get(url).send()?.status().as_u16())
}

// SAFE: default verification, optionally adding a private CA root instead of disabling checks.
pub fn secure_client(cfg: &SinkConfig) -> Result<reqwest::Client, Box<dyn std::error::Error>> {
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .danger_accept_invalid_certs(false);
    if let Some(path) = &cfg.ca_bundle {
        let pem = std::fs::read(path)?;
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
    }
    Ok(builder.build()?)
}

// SAFE: plain default client.
pub async fn fetch_status(url: &str) -> reqwest::Result<String> {
    reqwest::get(url).await?.text().await
}
