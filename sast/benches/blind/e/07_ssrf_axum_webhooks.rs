// Scenario: an axum integrations service. Customers register webhook targets,
// trigger test deliveries and import avatars from a URL.
use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use std::sync::Arc;
use url::Url;

const PARTNER_HOSTS: &[&str] = &["hooks.slack.com", "api.pagerduty.com"];
const STATUS_URL: &str = "https://status.internal.example.com/health";

#[derive(Deserialize)]
struct Registration {
    target: String,
    event: String,
}

#[derive(Deserialize)]
struct AvatarImport {
    src: String,
}

struct Deliverer {
    http: reqwest::Client,
}

impl Deliverer {
    async fn deliver(&self, target: &str, event: &str) -> reqwest::Result<u16> {
        let body = serde_json::json!({ "event": event, "test": true });
        let resp = self.http.post(target).json(&body).send().await?; //~ ssrf
        Ok(resp.status().as_u16())
    }

    async fn deliver_partner(&self, target: &str, event: &str) -> Option<u16> {
        let url = Url::parse(target).ok()?;
        let host = url.host_str()?;
        if url.scheme() != "https" || !PARTNER_HOSTS.contains(&host) {
            return None;
        }
        let resp = self
            .http
            .post(url)
            .json(&serde_json::json!({ "event": event }))
            .send()
            .await
            .ok()?;
        Some(resp.status().as_u16())
    }
}

#[derive(Clone)]
struct AppState {
    out: Arc<Deliverer>,
}

async fn register(
    State(st): State<AppState>,
    Json(reg): Json<Registration>,
) -> Result<Json<u16>, StatusCode> {
    if let Some(code) = st.out.deliver_partner(&reg.target, &reg.event).await {
        return Ok(Json(code));
    }
    let code = st
        .out
        .deliver(&reg.target, &reg.event)
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    Ok(Json(code))
}

fn callback_base(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-callback-base")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim_end_matches('/').to_owned())
}

async fn ping(headers: HeaderMap) -> StatusCode {
    let base = callback_base(&headers).unwrap_or_else(|| "https://hooks.example.com".into());
    let probe = reqwest::get(format!("{}/ping", base)).await; //~ ssrf
    match probe {
        Ok(r) if r.status().is_success() => StatusCode::NO_CONTENT,
        _ => StatusCode::BAD_GATEWAY,
    }
}

async fn fetch_bytes(client: &reqwest::Client, location: String) -> Option<bytes::Bytes> {
    let resp = client.get(location).send().await.ok()?; //~ ssrf
    resp.bytes().await.ok()
}

async fn import_avatar(
    State(st): State<AppState>,
    Query(q): Query<AvatarImport>,
) -> Result<Vec<u8>, StatusCode> {
    let img = fetch_bytes(&st.out.http, q.src)
        .await
        .ok_or(StatusCode::BAD_GATEWAY)?;
    if img.len() > 2 * 1024 * 1024 {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    Ok(img.to_vec())
}

async fn upstream_status(State(st): State<AppState>) -> StatusCode {
    match st.out.http.get(STATUS_URL).send().await {
        Ok(r) if r.status().is_success() => StatusCode::OK,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

pub fn router() -> Router {
    let out = Arc::new(Deliverer {
        http: reqwest::Client::new(),
    });
    Router::new()
        .route("/webhooks", post(register))
        .route("/webhooks/ping", get(ping))
        .route("/avatar/import", get(import_avatar))
        .route("/status", get(upstream_status))
        .with_state(AppState { out })
}
