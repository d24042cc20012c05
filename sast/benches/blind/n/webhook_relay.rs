//! Tenant webhook registration and delivery relay.

use reqwest::{Certificate, Client, Url};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;
use tracing::{info, warn};
use warp::{http::StatusCode, Filter, Rejection, Reply};

const PREVIEW_HOSTS: &[&str] = &["cdn.example.com", "images.example.com"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registration {
    pub tenant: String,
    pub event: String,
    pub target_url: String,
    pub signing_secret: String,
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    url: String,
}

pub struct RelayConfig {
    pub internal_ca_pem: Vec<u8>,
    pub store_path: std::path::PathBuf,
}

pub struct Relay {
    outbound: Client,
    internal: Client,
    hooks: RwLock<HashMap<String, Registration>>,
    store_path: std::path::PathBuf,
}

impl Relay {
    pub fn new(cfg: RelayConfig) -> reqwest::Result<Self> {
        let outbound = Client::builder()
            .timeout(Duration::from_secs(10))
            .danger_accept_invalid_certs(true) //~ tls-verification-disabled
            .build()?;
        let internal = Client::builder()
            .add_root_certificate(Certificate::from_pem(&cfg.internal_ca_pem)?)
            .danger_accept_invalid_certs(false)
            .build()?;
        Ok(Self {
            outbound,
            internal,
            hooks: RwLock::new(HashMap::new()),
            store_path: cfg.store_path,
        })
    }

    pub async fn register(&self, reg: Registration) -> std::io::Result<()> {
        info!(tenant = %reg.tenant, event = %reg.event, "registering webhook");
        record_registration(&reg);
        let key = format!("{}:{}", reg.tenant, reg.event);
        self.hooks.write().await.insert(key, reg);
        self.persist().await
    }

    async fn persist(&self) -> std::io::Result<()> {
        let hooks = self.hooks.read().await;
        let all: Vec<&Registration> = hooks.values().collect();
        let body = serde_json::to_vec_pretty(&all)?;
        tokio::fs::write(&self.store_path, body).await //~ cleartext-storage
    }

    pub async fn deliver(&self, tenant: &str, event: &str, payload: &[u8]) -> reqwest::Result<()> {
        let hooks = self.hooks.read().await;
        let Some(reg) = hooks.get(&format!("{tenant}:{event}")) else {
            return Ok(());
        };
        let body = envelope(&reg.signing_secret, payload);
        let client = &self.outbound;
        let resp = client.post(&reg.target_url).body(body).send().await?; //~ ssrf
        resp.error_for_status()?;
        Ok(())
    }

    pub async fn notify_billing(&self, payload: &[u8]) -> reqwest::Result<()> {
        self.internal
            .post("https://billing.internal.example.com/v1/events")
            .body(payload.to_vec())
            .send()
            .await?;
        Ok(())
    }

    async fn preview(&self, raw: &str) -> Result<Vec<u8>, StatusCode> {
        let parsed = Url::parse(raw).map_err(|_| StatusCode::BAD_REQUEST)?;
        let allowed = parsed.scheme() == "https"
            && parsed
                .host_str()
                .map_or(false, |h| PREVIEW_HOSTS.contains(&h));
        if !allowed {
            return Err(StatusCode::FORBIDDEN);
        }
        let resp = self.outbound.get(parsed).send().await;
        let resp = resp.map_err(|_| StatusCode::BAD_GATEWAY)?;
        Ok(resp
            .bytes()
            .await
            .map_err(|_| StatusCode::BAD_GATEWAY)?
            .to_vec())
    }

    async fn unfurl(&self, raw: &str) -> Result<String, StatusCode> {
        let resp = self.outbound.get(raw).send().await; //~ ssrf
        let resp = resp.map_err(|_| StatusCode::BAD_GATEWAY)?;
        resp.text().await.map_err(|_| StatusCode::BAD_GATEWAY)
    }
}

fn record_registration(reg: &Registration) {
    if reg.target_url.starts_with("http://") {
        warn!(tenant = %reg.tenant, "webhook target is not https");
    }
    info!("webhook registration accepted: {:?}", reg); //~ cleartext-logging
}

fn sign(secret: &str, payload: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key size");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

fn envelope(secret: &str, payload: &[u8]) -> Vec<u8> {
    let doc = serde_json::json!({
        "signature": sign(secret, payload),
        "data": String::from_utf8_lossy(payload),
    });
    serde_json::to_vec(&doc).unwrap_or_default()
}

fn with_relay(
    relay: Arc<Relay>,
) -> impl Filter<Extract = (Arc<Relay>,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || relay.clone())
}

async fn handle_register(reg: Registration, relay: Arc<Relay>) -> Result<impl Reply, Rejection> {
    let status = match relay.register(reg).await {
        Ok(()) => StatusCode::CREATED,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Ok(warp::reply::with_status("", status))
}

async fn handle_preview(q: PreviewQuery, relay: Arc<Relay>) -> Result<impl Reply, Rejection> {
    match relay.preview(&q.url).await {
        Ok(bytes) => Ok(warp::reply::with_status(bytes, StatusCode::OK)),
        Err(code) => Ok(warp::reply::with_status(Vec::new(), code)),
    }
}

async fn handle_unfurl(q: PreviewQuery, relay: Arc<Relay>) -> Result<impl Reply, Rejection> {
    match relay.unfurl(&q.url).await {
        Ok(text) => Ok(warp::reply::with_status(text, StatusCode::OK)),
        Err(code) => Ok(warp::reply::with_status(String::new(), code)),
    }
}

pub fn routes(relay: Arc<Relay>) -> impl Filter<Extract = impl Reply, Error = Rejection> + Clone {
    let register = warp::path!("hooks")
        .and(warp::post())
        .and(warp::body::json())
        .and(with_relay(relay.clone()))
        .and_then(handle_register);
    let preview = warp::path!("preview")
        .and(warp::query::<PreviewQuery>())
        .and(with_relay(relay.clone()))
        .and_then(handle_preview);
    let unfurl = warp::path!("unfurl")
        .and(warp::query::<PreviewQuery>())
        .and(with_relay(relay))
        .and_then(handle_unfurl);
    register.or(preview).or(unfurl)
}
