//! Edge sync agent: mirrors remote content origins, exchanges manifests with
//! peers and enrolls with the control plane.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use isahc::config::{Configurable, SslOption};
use isahc::{AsyncReadResponseExt, HttpClient};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;

const MAX_MANIFEST_ENTRIES: usize = 10_000;
const PEERS: &[(&str, &str)] = &[
    ("eu-1", "https://sync-eu-1.example.net"),
    ("us-1", "https://sync-us-1.example.net"),
];

#[derive(Deserialize)]
pub struct AddMirror {
    origin_url: String,
}

#[derive(Deserialize)]
pub struct PeerManifest {
    entries: Vec<String>,
}

#[derive(Deserialize)]
pub struct SyncRequest {
    peer: String,
    callback_url: Option<String>,
    strict: Option<bool>,
}

#[derive(Serialize)]
struct Enrollment<'a> {
    agent_id: &'a str,
    enrollment_secret: &'a str,
}

pub struct Mirrors {
    http: HttpClient,
    legacy_http: HttpClient,
    origins: RwLock<Vec<String>>,
}

impl Mirrors {
    pub fn new() -> Result<Self, isahc::Error> {
        let http = HttpClient::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let legacy_http = HttpClient::builder()
            .timeout(Duration::from_secs(30))
            .ssl_options(SslOption::DANGER_ACCEPT_INVALID_CERTS) //~ tls-verification-disabled
            .build()?;
        Ok(Self {
            http,
            legacy_http,
            origins: RwLock::new(Vec::new()),
        })
    }

    pub async fn add(&self, url: String) {
        self.origins.write().await.push(url);
    }

    pub async fn refresh_all(&self) -> Vec<Result<usize, isahc::Error>> {
        let origins = self.origins.read().await.clone();
        let mut results = Vec::with_capacity(origins.len());
        for url in origins {
            let client = if url.contains("legacy") {
                &self.legacy_http
            } else {
                &self.http
            };
            let response = client.get_async(url.as_str()).await; //~ ssrf
            let fetched = match response {
                Ok(mut resp) => resp
                    .bytes()
                    .await
                    .map(|b| b.len())
                    .map_err(isahc::Error::from),
                Err(e) => Err(e),
            };
            results.push(fetched);
        }
        results
    }

    pub async fn fetch_peer(&self, peer: &str) -> Option<(usize, PeerManifest)> {
        let base = PEERS.iter().find(|(name, _)| *name == peer)?.1;
        let mut resp = surf::get(format!("{base}/manifest")).await.ok()?;
        let declared = resp
            .header("x-manifest-entries")
            .and_then(|v| v.as_str().parse::<usize>().ok())
            .unwrap_or(0);
        let manifest: PeerManifest = resp.body_json().await.ok()?;
        Some((declared, manifest))
    }
}

fn collect_entries(declared: usize, manifest: &PeerManifest) -> Vec<String> {
    let mut entries = Vec::with_capacity(declared); //~ unbounded-allocation
    entries.extend(manifest.entries.iter().cloned());
    entries
}

fn collect_entries_capped(declared: usize, manifest: &PeerManifest) -> Vec<String> {
    let mut entries = Vec::with_capacity(declared.min(MAX_MANIFEST_ENTRIES));
    entries.extend(manifest.entries.iter().take(MAX_MANIFEST_ENTRIES).cloned());
    entries
}

fn report_status(callback_url: &str, synced: usize) -> attohttpc::Result<u16> {
    let resp = attohttpc::post(callback_url) //~ ssrf
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .json(&serde_json::json!({ "synced": synced }))?
        .send()?;
    Ok(resp.status().as_u16())
}

fn report_status_home(synced: usize) -> attohttpc::Result<u16> {
    let resp = attohttpc::post("https://control.example.net/v1/reports")
        .json(&serde_json::json!({ "synced": synced }))?
        .send()?;
    Ok(resp.status().as_u16())
}

pub struct AgentIdentity {
    agent_id: String,
    enrollment_secret: String,
    control_host: String,
}

impl AgentIdentity {
    pub fn from_env() -> Result<Self, std::env::VarError> {
        Ok(Self {
            agent_id: std::env::var("SYNC_AGENT_ID")?,
            enrollment_secret: std::env::var("SYNC_ENROLLMENT_SECRET")?,
            control_host: std::env::var("SYNC_CONTROL_HOST")
                .unwrap_or_else(|_| "control.example.net".into()),
        })
    }

    pub async fn enroll(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let body = Enrollment {
            agent_id: &self.agent_id,
            enrollment_secret: &self.enrollment_secret,
        };
        let url = format!("http://{}:8080/v1/enroll", self.control_host);
        let resp = surf::post(url).body_json(&body)?.await?; //~ cleartext-url
        if !resp.status().is_success() {
            return Err("enrollment rejected".into());
        }
        Ok(())
    }

    pub async fn control_reachable(&self) -> bool {
        let url = format!("http://{}:8080/healthz", self.control_host);
        matches!(surf::get(url).await, Ok(r) if r.status().is_success())
    }
}

async fn add_mirror(State(mirrors): State<Arc<Mirrors>>, Json(req): Json<AddMirror>) -> StatusCode {
    mirrors.add(req.origin_url).await;
    StatusCode::ACCEPTED
}

async fn sync_peer(
    State(mirrors): State<Arc<Mirrors>>,
    Json(req): Json<SyncRequest>,
) -> Result<String, StatusCode> {
    let (declared, manifest) = mirrors
        .fetch_peer(&req.peer)
        .await
        .ok_or(StatusCode::BAD_GATEWAY)?;
    let entries = match req.strict {
        Some(false) => collect_entries(declared, &manifest),
        _ => collect_entries_capped(declared, &manifest),
    };
    let results = mirrors.refresh_all().await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let callback = req.callback_url;
    let code = tokio::task::spawn_blocking(move || match callback {
        Some(url) => report_status(&url, entries.len()),
        None => report_status_home(ok),
    })
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
    .map_err(|_| StatusCode::BAD_GATEWAY)?;
    Ok(format!("synced {ok}, callback replied {code}"))
}

pub fn control_api(mirrors: Arc<Mirrors>) -> Router {
    Router::new()
        .route("/mirrors", post(add_mirror))
        .route("/sync", post(sync_peer))
        .with_state(mirrors)
}
