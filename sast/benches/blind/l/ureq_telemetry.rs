//! Host telemetry agent: ships metrics and pulls remote commands from the fleet server.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const DEFAULT_COLLECTOR: &str = "http://collector.fleet.example.net:8080/v1/ingest";
const FLEET_API: &str = "https://fleet.example.net/api/v2";
const LEGACY_CONTROLLER: &str = "controller.corp.example.net:8000";

#[derive(Serialize)]
struct Sample {
    host: String,
    cpu: f32,
    mem_used: u64,
}

#[derive(Deserialize)]
struct RemoteCommand {
    kind: String,
    url: Option<String>,
    interval_secs: Option<u64>,
}

struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    fn from_env() -> Option<Self> {
        Some(Self {
            username: std::env::var("AGENT_USER").ok()?,
            password: std::env::var("AGENT_PASSWORD").ok()?,
        })
    }
}

struct Shipper {
    endpoint: String,
    api_key: String,
    agent: ureq::Agent,
}

impl Shipper {
    fn new(api_key: String) -> Self {
        let endpoint = DEFAULT_COLLECTOR.to_string();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(10))
            .build();
        Self {
            endpoint,
            api_key,
            agent,
        }
    }

    fn ship(&self, sample: &Sample) -> Result<(), Box<ureq::Error>> {
        let auth = format!("Bearer {}", self.api_key);
        let req = self.agent.post(&self.endpoint).set("Authorization", &auth);
        let result = req.send_json(sample); //~ cleartext-url
        match result {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(401, _)) => {
                eprintln!("collector rejected api key {}", self.api_key); //~ cleartext-logging
                Ok(())
            }
            Err(e) => Err(Box::new(e)),
        }
    }
}

fn lab_agent() -> Result<ureq::Agent, native_tls::Error> {
    let mut tls = native_tls::TlsConnector::builder();
    tls.danger_accept_invalid_certs(true); //~ tls-verification-disabled
    let connector = tls.build()?;
    Ok(ureq::AgentBuilder::new()
        .tls_connector(Arc::new(connector))
        .build())
}

fn legacy_login(host: &str, creds: &Credentials) -> attohttpc::Result<String> {
    let url = format!("http://{}/agent/login", host);
    let form = [
        ("user", creds.username.as_str()),
        ("password", creds.password.as_str()),
    ];
    let resp = attohttpc::post(url).form(&form)?.send()?; //~ cleartext-url
    resp.text()
}

fn fleet_login(creds: &Credentials) -> attohttpc::Result<String> {
    let form = [
        ("user", creds.username.as_str()),
        ("password", creds.password.as_str()),
    ];
    attohttpc::post(format!("{}/login", FLEET_API))
        .form(&form)?
        .send()?
        .text()
}

fn poll_commands(agent: &ureq::Agent, session: &str) -> Vec<RemoteCommand> {
    agent
        .get(&format!("{}/commands", FLEET_API))
        .set("X-Session", session)
        .call()
        .ok()
        .and_then(|r| r.into_json().ok())
        .unwrap_or_default()
}

fn fetch_resource(agent: &ureq::Agent, cmd: &RemoteCommand) -> Option<String> {
    let target = cmd.url.as_deref()?;
    let resp = agent.get(target).call().ok()?; //~ ssrf
    resp.into_string().ok()
}

fn sample_host() -> Sample {
    Sample {
        host: hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default(),
        cpu: 0.0,
        mem_used: 0,
    }
}

fn main() {
    let api_key = std::env::var("TELEMETRY_API_KEY").unwrap_or_default();
    let shipper = Shipper::new(api_key);
    let creds = Credentials::from_env().expect("AGENT_USER / AGENT_PASSWORD");
    let session = match std::env::var("AGENT_LEGACY_AUTH") {
        Ok(_) => legacy_login(LEGACY_CONTROLLER, &creds),
        Err(_) => fleet_login(&creds),
    }
    .unwrap_or_default();
    eprintln!("agent started for user {}", creds.username);

    let agent = if std::env::var("AGENT_LAB").is_ok() {
        lab_agent().expect("tls")
    } else {
        ureq::Agent::new()
    };
    let mut interval = Duration::from_secs(30);
    loop {
        if let Err(e) = shipper.ship(&sample_host()) {
            eprintln!("ship failed: {e}");
        }
        for cmd in poll_commands(&agent, &session) {
            match cmd.kind.as_str() {
                "fetch" => {
                    let body = fetch_resource(&agent, &cmd).unwrap_or_default();
                    eprintln!("fetched {} bytes", body.len());
                }
                "interval" => {
                    interval = Duration::from_secs(cmd.interval_secs.unwrap_or(30).clamp(5, 3600));
                }
                _ => {}
            }
        }
        thread::sleep(interval);
    }
}
