use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    Json,
};
use hmac::{Hmac, Mac};
use reqwest::Client;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

const ALLOWED_PREVIEW_HOSTS: &[&str] = &["images.example.com", "cdn.example.com"];

pub struct Hub {
    client: Client,
    services: HashMap<String, String>,
    signing_secret: String,
    partner_key: String,
}

#[derive(Deserialize)]
pub struct Subscription {
    id: u64,
    callback_url: String,
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    url: String,
}

#[derive(Serialize)]
pub struct Metrics {
    deliveries: u64,
    failures: u64,
}

impl Hub {
    pub fn from_env() -> Self {
        Hub {
            client: Client::new(),
            services: HashMap::from([("billing".into(), "http://billing.svc.cluster.local".into())]),
            signing_secret: std::env::var("HUB_SIGNING_SECRET").unwrap_or_default(),
            partner_key: std::env::var("PARTNER_API_KEY").unwrap_or_default(),
        }
    }

    fn sign(&self, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.signing_secret.as_bytes()).expect("hmac key");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn sign_legacy(&self, body: &[u8]) -> String {
        hex::encode(Sha1::digest([self.signing_secret.as_bytes(), body].concat())) //~ weak-hash
    }

    pub async fn deliver(&self, sub: &Subscription, event: &serde_json::Value) -> reqwest::Result<u16> {
        let body = serde_json::to_vec(event).unwrap_or_default();
        let (sig, legacy) = (self.sign(&body), self.sign_legacy(&body));
        let resp = self.client.post(&sub.callback_url).header("X-Hub-Signature-256", sig).header("X-Hub-Signature", legacy).body(body).send().await?; //~ ssrf
        Ok(resp.status().as_u16())
    }

    pub async fn push_metrics(&self, m: &Metrics) -> reqwest::Result<()> {
        self.client.post("https://metrics.partner.example/v2/ingest").bearer_auth(&self.partner_key).json(m).send().await?;
        self.client.post("http://metrics.partner.example/v1/ingest").header("X-Api-Key", &self.partner_key).json(m).send().await?; //~ cleartext-url
        Ok(())
    }
}

async fn fetch_text(url: &str) -> reqwest::Result<String> {
    reqwest::get(url).await?.text().await //~ ssrf
}

pub async fn subscribe(State(hub): State<Arc<Hub>>, Json(sub): Json<Subscription>) -> StatusCode {
    let ping = serde_json::json!({ "type": "ping", "subscription": sub.id });
    match hub.deliver(&sub, &ping).await {
        Ok(code) if code < 300 => StatusCode::CREATED,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

pub async fn preview(Query(q): Query<PreviewQuery>) -> Result<String, StatusCode> {
    fetch_text(&q.url).await.map_err(|_| StatusCode::BAD_GATEWAY)
}

pub async fn preview_image(State(hub): State<Arc<Hub>>, Query(q): Query<PreviewQuery>) -> Result<Vec<u8>, StatusCode> {
    let parsed = Url::parse(&q.url).map_err(|_| StatusCode::BAD_REQUEST)?;
    let host_ok = parsed.host_str().map_or(false, |h| ALLOWED_PREVIEW_HOSTS.contains(&h));
    if parsed.scheme() != "https" || !host_ok {
        return Err(StatusCode::FORBIDDEN);
    }
    let resp = hub.client.get(parsed).send().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
    resp.bytes().await.map(|b| b.to_vec()).map_err(|_| StatusCode::BAD_GATEWAY)
}

pub async fn proxy(State(hub): State<Arc<Hub>>, headers: HeaderMap, Path(path): Path<String>) -> Result<String, StatusCode> {
    let host = headers.get("x-target-host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let target = format!("http://{}.svc.cluster.local/{}", host, path);
    let resp = hub.client.get(&target).send().await.map_err(|_| StatusCode::BAD_GATEWAY)?; //~ ssrf
    resp.text().await.map_err(|_| StatusCode::BAD_GATEWAY)
}

pub async fn service_health(State(hub): State<Arc<Hub>>, Path(service): Path<String>) -> Result<String, StatusCode> {
    let base = hub.services.get(&service).ok_or(StatusCode::NOT_FOUND)?;
    let resp = hub.client.get(format!("{}/healthz", base)).send().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
    resp.text().await.map_err(|_| StatusCode::BAD_GATEWAY)
}
