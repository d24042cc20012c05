//! On-prem sync agent: enrolls with the control plane, mirrors tenant assets, ships inventory.

use std::fs;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use isahc::config::{Configurable, SslOption};
use isahc::{HttpClient, ReadResponseExt};
use serde::{Deserialize, Serialize};
use url::Url;

const CONTROL_PLANE: &str = "https://control.fleet.example/api/v1";
const LEGACY_COLLECTOR: &str = "http://collector.fleet.example:8088/inventory";
const TOKEN_PATH: &str = "/var/lib/fleet-agent/agent.token";
const MIRROR_HOSTS: &[&str] = &["assets.fleet.example", "cdn.fleet.example"];

#[derive(Deserialize)]
pub struct AgentConfig {
    pub site: String,
    pub enroll_key: String,
    pub cache_dir: String,
}

#[derive(Deserialize)]
struct EnrollReply {
    agent_id: String,
    token: String,
}

#[derive(Deserialize)]
pub struct MirrorJob {
    pub tenant: String,
    pub source_url: String,
    pub dest_name: String,
}

#[derive(Serialize)]
struct Inventory<'a> {
    site: &'a str,
    hosts: Vec<String>,
}

impl AgentConfig {
    pub fn load(path: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(&fs::read_to_string(path)?)?)
    }
}

fn control_client() -> reqwest::Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()
}

fn lenient_connector() -> native_tls::Result<native_tls::TlsConnector> {
    native_tls::TlsConnector::builder()
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()
}

fn mirror_agent() -> anyhow::Result<ureq::Agent> {
    Ok(ureq::AgentBuilder::new()
        .tls_connector(Arc::new(lenient_connector()?))
        .timeout(Duration::from_secs(60))
        .build())
}

fn strict_agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

fn inventory_client() -> Result<HttpClient, isahc::Error> {
    let lax = SslOption::DANGER_ACCEPT_INVALID_CERTS | SslOption::DANGER_ACCEPT_REVOKED_CERTS;
    HttpClient::builder()
        .ssl_options(lax) //~ tls-verification-disabled
        .timeout(Duration::from_secs(15))
        .build()
}

pub struct SyncAgent {
    cfg: AgentConfig,
    token: String,
}

impl SyncAgent {
    pub fn enroll(cfg: AgentConfig) -> anyhow::Result<Self> {
        eprintln!("[fleet-agent] enrolling site {}", cfg.site);
        eprintln!("[fleet-agent] enroll key={}", cfg.enroll_key); //~ cleartext-logging
        let reply: EnrollReply = control_client()?
            .post(format!("{}/enroll", CONTROL_PLANE))
            .json(&serde_json::json!({ "site": cfg.site, "key": cfg.enroll_key }))
            .send()?
            .error_for_status()?
            .json()?;
        eprintln!("[fleet-agent] enrolled as {}", reply.agent_id);
        Self::persist_token(&reply.token)?;
        Ok(SyncAgent {
            cfg,
            token: reply.token,
        })
    }

    fn persist_token(token: &str) -> std::io::Result<()> {
        fs::write(TOKEN_PATH, token) //~ cleartext-storage
    }

    pub fn mirror(&self, job: &MirrorJob) -> anyhow::Result<u64> {
        let resp = mirror_agent()?.get(&job.source_url).call()?; //~ ssrf
        let dest = format!(
            "{}/{}-{}",
            self.cfg.cache_dir,
            job.tenant,
            job.dest_name.replace('/', "_")
        );
        let mut file = fs::File::create(dest)?;
        Ok(std::io::copy(&mut resp.into_reader(), &mut file)?)
    }

    pub fn mirror_allowed(&self, job: &MirrorJob) -> anyhow::Result<Vec<u8>> {
        let url = Url::parse(&job.source_url)?;
        let host = url.host_str().unwrap_or_default();
        anyhow::ensure!(
            url.scheme() == "https" && MIRROR_HOSTS.contains(&host),
            "host not allowed"
        );
        let resp = strict_agent().get(url.as_str()).call()?;
        let mut body = Vec::new();
        resp.into_reader().read_to_end(&mut body)?;
        Ok(body)
    }

    pub fn ship_inventory(&self, hosts: Vec<String>) -> anyhow::Result<()> {
        let inv = Inventory {
            site: &self.cfg.site,
            hosts,
        };
        let body = serde_json::to_vec(&inv)?;
        let auth = format!("Bearer {}", self.token);
        let req = ureq::post(LEGACY_COLLECTOR).set("authorization", &auth); //~ cleartext-url
        req.send_bytes(&body)?;
        let mut resp = inventory_client()?.post(format!("{}/inventory", CONTROL_PLANE), body)?;
        let _ = resp.text()?;
        Ok(())
    }
}

pub fn run(config_path: &str, jobs: &[MirrorJob]) -> anyhow::Result<()> {
    let agent = SyncAgent::enroll(AgentConfig::load(config_path)?)?;
    for job in jobs {
        let outcome = if job.tenant == "internal" {
            agent.mirror_allowed(job).map(|b| b.len() as u64)
        } else {
            agent.mirror(job)
        };
        if let Err(e) = outcome {
            eprintln!("[fleet-agent] mirror for {} failed: {e}", job.tenant);
        }
    }
    agent.ship_inventory(vec![hostname::get()?.to_string_lossy().into_owned()])
}
