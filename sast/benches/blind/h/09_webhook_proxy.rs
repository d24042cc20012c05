use axum::{extract::{Query, State}, http::StatusCode, routing::{get, post}, Json, Router};
use reqwest::Client;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::RwLock;
use url::Url;

const PREVIEW_HOSTS: &[&str] = &["cdn.example.com", "images.example.com"];

#[derive(Deserialize)]
struct PreviewQuery {
    url: String,
}

#[derive(Deserialize, Clone)]
struct WebhookReg {
    name: String,
    target: String,
}

#[derive(Serialize)]
struct Event<'a> {
    kind: &'a str,
    id: u64,
}

struct Webhook {
    name: String,
    target: String,
}

#[derive(Clone)]
struct AppState {
    client: Client,
    hooks: Arc<RwLock<Vec<Webhook>>>,
    svc_user: String,
    svc_pass: String,
}

fn allowed_preview(raw: &str) -> Option<Url> {
    let u = Url::parse(raw).ok()?;
    if u.scheme() != "https" {
        return None;
    }
    let host = u.host_str()?;
    PREVIEW_HOSTS.contains(&host).then_some(u)
}

async fn fetch_bytes(client: &Client, target: &str) -> Result<Vec<u8>, reqwest::Error> {
    let resp = client.get(target).send().await?; //~ ssrf
    Ok(resp.bytes().await?.to_vec())
}

async fn preview(State(st): State<AppState>, Query(q): Query<PreviewQuery>) -> Result<Vec<u8>, StatusCode> {
    if let Some(u) = allowed_preview(&q.url) {
        let resp = st.client.get(u).send().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
        return resp.bytes().await.map(|b| b.to_vec()).map_err(|_| StatusCode::BAD_GATEWAY);
    }
    fetch_bytes(&st.client, q.url.trim()).await.map_err(|_| StatusCode::BAD_GATEWAY)
}

impl Webhook {
    async fn deliver(&self, client: &Client, ev: &Event<'_>) -> reqwest::Result<u16> {
        let r = client.post(&self.target).json(ev).send().await?; //~ ssrf
        Ok(r.status().as_u16())
    }
}

async fn register(State(st): State<AppState>, Json(reg): Json<WebhookReg>) -> StatusCode {
    let mut hooks = st.hooks.write().await;
    hooks.push(Webhook { name: reg.name, target: reg.target });
    StatusCode::CREATED
}

async fn fire(State(st): State<AppState>) -> StatusCode {
    let ev = Event { kind: "order.created", id: 42 };
    for h in st.hooks.read().await.iter() {
        if let Err(e) = h.deliver(&st.client, &ev).await {
            tracing::warn!(hook = %h.name, error = %e, "delivery failed");
        }
    }
    StatusCode::OK
}

fn status_host(q: &PreviewQuery) -> String {
    q.url.split('/').next().unwrap_or_default().to_string()
}

async fn upstream_status(Query(q): Query<PreviewQuery>) -> Result<String, StatusCode> {
    let host = status_host(&q);
    let body = tokio::task::spawn_blocking(move || {
        ureq::get(&format!("http://{}/healthz", host)).call().ok()?.into_string().ok() //~ ssrf
    })
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    body.ok_or(StatusCode::BAD_GATEWAY)
}

async fn refresh_service_token(st: &AppState) -> reqwest::Result<String> {
    let legacy_url = "http://auth.internal.example.com/oauth/token";
    let legacy = st.client.post(legacy_url).basic_auth(&st.svc_user, Some(&st.svc_pass)).send().await; //~ cleartext-url
    if let Ok(r) = legacy {
        return r.text().await;
    }
    st.client
        .post("https://auth.example.com/oauth/token")
        .basic_auth(&st.svc_user, Some(&st.svc_pass))
        .send()
        .await?
        .text()
        .await
}

pub fn router(st: AppState) -> Router {
    Router::new()
        .route("/preview", get(preview))
        .route("/hooks", post(register))
        .route("/hooks/fire", post(fire))
        .route("/upstream", get(upstream_status))
        .with_state(st)
}
