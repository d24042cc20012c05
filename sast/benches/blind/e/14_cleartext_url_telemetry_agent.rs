// Scenario: a tokio telemetry agent on edge boxes. It ships metrics to the
// collector, authenticates to a line-protocol relay and reports heartbeats.
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

struct AgentConfig {
    collector: String,
    relay_addr: String,
    api_key: String,
    relay_password: String,
    site: String,
}

impl AgentConfig {
    fn from_env() -> Option<Self> {
        Some(Self {
            collector: std::env::var("COLLECTOR_HOST").ok()?,
            relay_addr: std::env::var("RELAY_ADDR").unwrap_or_else(|_| "relay.lan:2003".into()),
            api_key: std::env::var("AGENT_API_KEY").ok()?,
            relay_password: std::env::var("RELAY_PASSWORD").ok()?,
            site: std::env::var("SITE_ID").unwrap_or_else(|_| "default".into()),
        })
    }

    fn metrics_url(&self) -> String {
        format!("http://{}:9090/api/v1/push", self.collector)
    }

    fn heartbeat_url(&self) -> String {
        format!("http://{}:9090/healthz?site={}", self.collector, self.site)
    }

    fn secure_url(&self, path: &str) -> String {
        format!("https://{}{}", self.collector, path)
    }
}

struct Shipper {
    cfg: AgentConfig,
    http: reqwest::Client,
}

impl Shipper {
    async fn push(&self, batch: &[(String, f64)]) -> reqwest::Result<()> {
        self.http
            .post(self.cfg.metrics_url())
            .header("X-Api-Key", &self.cfg.api_key) //~ cleartext-url
            .json(batch)
            .send()
            .await?;
        Ok(())
    }

    async fn push_events(&self, events: &serde_json::Value) -> reqwest::Result<()> {
        let url = self.cfg.secure_url("/api/v1/events");
        self.http
            .post(url)
            .bearer_auth(&self.cfg.api_key)
            .json(events)
            .send()
            .await?;
        Ok(())
    }

    async fn heartbeat(&self) -> reqwest::Result<bool> {
        Ok(self
            .http
            .get(self.cfg.heartbeat_url())
            .send()
            .await?
            .status()
            .is_success())
    }

    async fn relay(&self, lines: &[String]) -> std::io::Result<()> {
        let mut sock = TcpStream::connect(&self.cfg.relay_addr).await?;
        let hello = format!("AUTH {} {}\n", self.cfg.site, self.cfg.relay_password);
        sock.write_all(hello.as_bytes()).await?; //~ cleartext-url
        for l in lines {
            sock.write_all(l.as_bytes()).await?;
            sock.write_all(b"\n").await?;
        }
        sock.flush().await
    }
}

fn register_blocking(cfg: &AgentConfig) -> Result<(), ureq::Error> {
    let url = format!(
        "http://{}:9090/register?site={}&key={}",
        cfg.collector, cfg.site, cfg.api_key
    );
    ureq::get(&url).call()?; //~ cleartext-url
    Ok(())
}

#[tokio::main]
async fn main() {
    let Some(cfg) = AgentConfig::from_env() else {
        eprintln!("missing COLLECTOR_HOST / AGENT_API_KEY / RELAY_PASSWORD");
        std::process::exit(2);
    };
    tracing::info!(site = %cfg.site, collector = %cfg.collector, "agent starting");
    tracing::debug!("relay credentials {}:{}", cfg.site, cfg.relay_password); //~ cleartext-logging
    if let Err(e) = tokio::task::block_in_place(|| register_blocking(&cfg)) {
        tracing::warn!(error = %e, "registration failed");
    }
    let shipper = Shipper {
        cfg,
        http: reqwest::Client::new(),
    };
    let mut tick = tokio::time::interval(Duration::from_secs(15));
    loop {
        tick.tick().await;
        let batch = vec![("load1".to_string(), 0.42)];
        let _ = shipper.push(&batch).await;
        let _ = shipper
            .push_events(&serde_json::json!({ "kind": "tick" }))
            .await;
        let _ = shipper.heartbeat().await;
        let _ = shipper.relay(&["edge.up 1".to_string()]).await;
    }
}
