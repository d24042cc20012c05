use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

const CALLBACK_HOSTS: &[&str] = &["hooks.example.com", "ci.example.com"];

#[derive(Debug, Deserialize)]
struct PeerAnnouncement {
    node_id: String,
    address: String,
    verified: bool,
}

#[derive(Debug, Deserialize)]
struct SyncJob {
    id: u64,
    callback_url: Option<String>,
    notify_url: Option<String>,
}

#[derive(Serialize)]
struct SyncResult {
    id: u64,
    files: usize,
}

struct Credentials {
    user: String,
    password: String,
    token: String,
}

impl Credentials {
    fn from_env() -> Self {
        let v = |k: &str| std::env::var(k).unwrap_or_default();
        Self { user: v("SYNC_USER"), password: v("SYNC_PASSWORD"), token: v("SYNC_TOKEN") }
    }
}

struct Agent {
    creds: Credentials,
    http: ureq::Agent,
    peers: attohttpc::Session,
}

impl Agent {
    fn new(creds: Credentials) -> Result<Self, Box<dyn std::error::Error>> {
        let tls = native_tls::TlsConnector::builder().danger_accept_invalid_certs(true).build()?; //~ tls-verification-disabled
        let http = ureq::AgentBuilder::new().timeout(Duration::from_secs(15)).tls_connector(Arc::new(tls)).build();
        let mut peers = attohttpc::Session::new();
        peers.danger_accept_invalid_certs(true); //~ tls-verification-disabled
        peers.danger_accept_invalid_hostnames(false);
        peers.timeout(Duration::from_secs(5));
        Ok(Self { creds, http, peers })
    }

    fn login(&self) -> Result<String, Box<dyn std::error::Error>> {
        let body = serde_json::json!({ "user": self.creds.user, "password": self.creds.password });
        let resp = self.http.post("https://sync.example.com/api/login").send_json(body)?;
        Ok(resp.into_string()?)
    }

    fn login_mirror(&self) -> Result<String, Box<dyn std::error::Error>> {
        let body = serde_json::json!({ "user": self.creds.user, "password": self.creds.password });
        let resp = self.http.post("http://mirror.sync.example.com/api/login").send_json(body)?; //~ cleartext-url
        Ok(resp.into_string()?)
    }

    fn legacy_auth(&self, host: &str) -> std::io::Result<bool> {
        let mut sock = TcpStream::connect((host, 2525))?;
        sock.set_read_timeout(Some(Duration::from_secs(5)))?;
        sock.write_all(format!("AUTH {} {}\r\n", self.creds.user, self.creds.password).as_bytes())?; //~ cleartext-url
        let mut line = String::new();
        BufReader::new(sock).read_line(&mut line)?;
        Ok(line.starts_with("+OK"))
    }

    fn probe_peer(&self, peer: &PeerAnnouncement) -> attohttpc::Result<bool> {
        let url = format!("https://{}/health", peer.address);
        let resp = self.peers.get(&url).bearer_auth(&self.creds.token).send()?; //~ ssrf
        Ok(resp.is_success())
    }

    fn probe_known_peer(&self, peer: &PeerAnnouncement) -> attohttpc::Result<bool> {
        if !peer.verified || !peer.address.ends_with(".sync.internal") || peer.address.contains('/') {
            return Ok(false);
        }
        let resp = self.peers.get(format!("https://{}/health", peer.address)).send()?;
        Ok(resp.is_success())
    }

    async fn notify(&self, job: &SyncJob, result: &SyncResult) -> surf::Result<()> {
        if let Some(cb) = &job.callback_url {
            let parsed = Url::parse(cb)?;
            let allowed = parsed.scheme() == "https" && parsed.host_str().map(|h| CALLBACK_HOSTS.contains(&h)).unwrap_or(false);
            if allowed {
                surf::post(parsed.as_str()).body_json(result)?.await?;
            }
        }
        if let Some(target) = job.notify_url.as_deref() {
            surf::post(target).body_json(result)?.await?; //~ ssrf
        }
        Ok(())
    }
}

fn handle_control(agent: &Agent, stream: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    let reader = BufReader::new(stream);
    for line in reader.lines() {
        let line = line?;
        if let Some(rest) = line.strip_prefix("PEER ") {
            let peer: PeerAnnouncement = serde_json::from_str(rest)?;
            let ok = if peer.verified { agent.probe_known_peer(&peer)? } else { agent.probe_peer(&peer)? };
            log::info!("peer {} healthy: {}", peer.node_id, ok);
        } else if let Some(rest) = line.strip_prefix("JOB ") {
            let job: SyncJob = serde_json::from_str(rest)?;
            let result = SyncResult { id: job.id, files: 0 };
            async_std::task::block_on(agent.notify(&job, &result))?;
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let agent = Agent::new(Credentials::from_env())?;
    let session = agent.login().or_else(|_| agent.login_mirror())?;
    log::info!("sync session established ({} bytes)", session.len());
    if let Ok(host) = std::env::var("LEGACY_AUTH_HOST") {
        agent.legacy_auth(&host)?;
    }
    let listener = TcpListener::bind("0.0.0.0:7070")?;
    for stream in listener.incoming() {
        if let Err(e) = handle_control(&agent, stream?) {
            log::warn!("control connection error: {}", e);
        }
    }
    Ok(())
}
