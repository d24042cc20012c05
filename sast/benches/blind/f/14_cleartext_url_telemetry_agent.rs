// Host agent that ships metrics to the telemetry collector, authenticates against
// the legacy directory proxy and pulls its rollout manifest from the config service.
use native_tls::TlsConnector;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

const COLLECTOR_URL: &str = "http://collector.metrics.internal:8080/v1/ingest";
const COLLECTOR_TLS_URL: &str = "https://collector.metrics.internal/v1/ingest";
const MANIFEST_BASE: &str = "http://config.internal";
const LOCAL_HEALTH: &str = "http://127.0.0.1:9100/healthz";

pub struct AgentConfig {
    pub api_key: String,
    pub directory_host: String,
    pub service_user: String,
    pub service_password: String,
    pub rollout_token: String,
    pub use_tls: bool,
}

impl AgentConfig {
    pub fn from_env() -> Option<Self> {
        Some(AgentConfig {
            api_key: std::env::var("AGENT_API_KEY").ok()?,
            directory_host: std::env::var("DIRECTORY_HOST").unwrap_or_else(|_| "ldap-proxy".into()),
            service_user: std::env::var("AGENT_USER").ok()?,
            service_password: std::env::var("AGENT_PASSWORD").ok()?,
            rollout_token: std::env::var("ROLLOUT_TOKEN").ok()?,
            use_tls: std::env::var("AGENT_TLS")
                .map(|v| v == "1")
                .unwrap_or(false),
        })
    }
}

pub struct Shipper {
    client: reqwest::blocking::Client,
    endpoint: &'static str,
}

impl Shipper {
    pub fn new(cfg: &AgentConfig) -> Self {
        let endpoint = if cfg.use_tls {
            COLLECTOR_TLS_URL
        } else {
            COLLECTOR_URL
        };
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        Shipper { client, endpoint }
    }

    pub fn ship(&self, cfg: &AgentConfig, batch: Vec<u8>) -> reqwest::Result<u16> {
        let req = self.client.post(self.endpoint).body(batch);
        let resp = req.header("X-Api-Key", &cfg.api_key).send()?; //~ cleartext-url
        Ok(resp.status().as_u16())
    }

    pub fn ship_secure(&self, cfg: &AgentConfig, batch: Vec<u8>) -> reqwest::Result<u16> {
        let req = self.client.post(COLLECTOR_TLS_URL).body(batch);
        let resp = req.header("X-Api-Key", &cfg.api_key).send()?;
        Ok(resp.status().as_u16())
    }

    pub fn local_health(&self) -> bool {
        let resp = self.client.get(LOCAL_HEALTH).send();
        resp.map(|r| r.status().is_success()).unwrap_or(false)
    }
}

fn auth_line(user: &str, password: &str) -> String {
    format!("BIND {} {}\r\n", user, password)
}

pub fn directory_bind(cfg: &AgentConfig) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect((cfg.directory_host.as_str(), 3890))?;
    let line = auth_line(&cfg.service_user, &cfg.service_password);
    stream.write_all(line.as_bytes())?; //~ cleartext-url
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    Ok(reply.starts_with("OK"))
}

pub fn directory_bind_tls(cfg: &AgentConfig) -> Result<bool, Box<dyn std::error::Error>> {
    let connector = TlsConnector::new()?;
    let tcp = TcpStream::connect((cfg.directory_host.as_str(), 6360))?;
    let mut stream = connector.connect(&cfg.directory_host, tcp)?;
    let line = auth_line(&cfg.service_user, &cfg.service_password);
    stream.write_all(line.as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    Ok(reply.starts_with("OK"))
}

pub fn fetch_manifest(cfg: &AgentConfig, host_id: &str) -> Result<String, ureq::Error> {
    let url = format!("{}/rollout/{}/manifest.json", MANIFEST_BASE, host_id);
    let bearer = format!("Bearer {}", cfg.rollout_token);
    let resp = ureq::get(&url).set("Authorization", &bearer).call()?; //~ cleartext-url
    Ok(resp.into_string()?)
}

pub fn fetch_public_manifest(host_id: &str) -> Result<String, ureq::Error> {
    let url = format!("{}/public/{}/manifest.json", MANIFEST_BASE, host_id);
    let resp = ureq::get(&url).call()?;
    Ok(resp.into_string()?)
}
