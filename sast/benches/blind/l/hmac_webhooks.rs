//! Inbound webhook verification and outbound subscription delivery (poem).

use hmac::{Hmac, Mac};
use poem::http::{HeaderMap, StatusCode};
use poem::web::{Data, Json};
use poem::{handler, listener::TcpListener, post, EndpointExt, Route, Server};
use serde::Deserialize;
use sha2::Sha256;
use std::sync::Arc;
use tokio::sync::RwLock;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone, Deserialize)]
struct Subscription {
    callback_url: String,
    events: Vec<String>,
}

struct WebhookVerifier {
    secret: Vec<u8>,
    header: &'static str,
}

impl WebhookVerifier {
    fn payments() -> Self {
        Self {
            secret: b"whsec_9f2c1e7a4b6d8e0f1a3c5e7b9d1f3a5c".to_vec(),
            header: "x-payments-signature",
        }
    }

    fn chat_from_env() -> Option<Self> {
        let secret = std::env::var("CHAT_SIGNING_SECRET").ok()?;
        Some(Self {
            secret: secret.into_bytes(),
            header: "x-chat-signature",
        })
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        let Some(sig) = headers.get(self.header).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Ok(expected) = hex::decode(sig.trim_start_matches("sha256=")) else {
            return false;
        };
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("hmac key"); //~ hardcoded-crypto-key
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }
}

fn legacy_partner_key() -> &'static [u8] {
    b"partner-shared-2019"
}

fn partner_mac(body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(legacy_partner_key()).unwrap(); //~ hardcoded-crypto-key
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn marketplace_signature(body: &str, shared: &str) -> String {
    format!("{:x}", md5::compute(format!("{}{}", body, shared))) //~ weak-hash
}

struct PartnerClient {
    http: reqwest::Client,
    api_key: String,
}

impl PartnerClient {
    fn from_env() -> Self {
        Self {
            http: reqwest::Client::new(),
            api_key: std::env::var("PARTNER_API_KEY").unwrap_or_default(),
        }
    }

    async fn notify(&self, body: &str) -> reqwest::Result<()> {
        tracing::info!("notifying partner with key {}", self.api_key); //~ cleartext-logging
        self.http
            .post("https://api.partner.example.com/v2/notify")
            .header("x-api-key", &self.api_key)
            .header("x-signature", partner_mac(body.as_bytes()))
            .body(body.to_owned())
            .send()
            .await?;
        Ok(())
    }
}

async fn deliver(http: &reqwest::Client, sub: &Subscription, event: &str) -> reqwest::Result<u16> {
    let payload = serde_json::json!({ "event": event });
    let resp = http.post(&sub.callback_url).json(&payload).send().await?; //~ ssrf
    Ok(resp.status().as_u16())
}

type Subs = Arc<RwLock<Vec<Subscription>>>;

#[handler]
async fn payments_hook(
    headers: &HeaderMap,
    body: Vec<u8>,
    partner: Data<&Arc<PartnerClient>>,
) -> StatusCode {
    if !WebhookVerifier::payments().verify(headers, &body) {
        return StatusCode::UNAUTHORIZED;
    }
    let text = String::from_utf8_lossy(&body);
    tracing::info!(bytes = body.len(), "payments event accepted");
    match partner.notify(&text).await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

#[handler]
async fn chat_hook(headers: &HeaderMap, body: Vec<u8>) -> StatusCode {
    match WebhookVerifier::chat_from_env() {
        Some(v) if v.verify(headers, &body) => StatusCode::OK,
        _ => StatusCode::UNAUTHORIZED,
    }
}

#[handler]
async fn marketplace_hook(headers: &HeaderMap, body: String) -> StatusCode {
    let shared = std::env::var("MARKETPLACE_SHARED").unwrap_or_default();
    let given = headers
        .get("x-mp-sign")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if marketplace_signature(&body, &shared) == given {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    }
}

#[handler]
async fn subscribe(Json(sub): Json<Subscription>, subs: Data<&Subs>) -> StatusCode {
    let http = reqwest::Client::new();
    for event in sub.events.iter().filter(|e| e.as_str() == "ping") {
        if deliver(&http, &sub, event).await.is_err() {
            return StatusCode::BAD_REQUEST;
        }
    }
    subs.write().await.push(sub);
    StatusCode::CREATED
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt::init();
    let partner = Arc::new(PartnerClient::from_env());
    let subs: Subs = Arc::new(RwLock::new(Vec::new()));
    let app = Route::new()
        .at("/hooks/payments", post(payments_hook))
        .at("/hooks/chat", post(chat_hook))
        .at("/hooks/marketplace", post(marketplace_hook))
        .at("/subscriptions", post(subscribe))
        .data(partner)
        .data(subs);
    Server::new(TcpListener::bind("0.0.0.0:3001"))
        .run(app)
        .await
}
