//! Webhook relay: stores subscriber callbacks and fans events out to them.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, Url};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use tracing::{debug, info, warn};
use warp::http::StatusCode;
use warp::Filter;

const METRICS_ENDPOINT: &str = "http://metrics.relay.internal:8080/ingest";
const AUDIT_ENDPOINT: &str = "https://audit.relay.internal/v1/events";
const AVATAR_HOSTS: &[&str] = &["avatars.githubusercontent.com", "secure.gravatar.com"];

#[derive(Clone, Deserialize, Serialize)]
pub struct Subscription {
    id: String,
    callback_url: String,
    signing_secret: String,
}

#[derive(Deserialize)]
pub struct UnfurlQuery {
    url: String,
}

#[derive(Clone, Serialize)]
pub struct Event {
    kind: String,
    payload: serde_json::Value,
}

#[derive(Clone)]
pub struct Relay {
    subs: Arc<RwLock<HashMap<String, Subscription>>>,
    client: Client,
    partner_client: Client,
    ingest_token: String,
}

impl Relay {
    pub fn from_env() -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent("webhook-relay/1.4")
            .build()?;
        let partner_client = Client::builder()
            .timeout(Duration::from_secs(30))
            .danger_accept_invalid_certs(true) //~ tls-verification-disabled
            .build()?;
        Ok(Relay {
            subs: Arc::new(RwLock::new(HashMap::new())),
            client,
            partner_client,
            ingest_token: std::env::var("RELAY_INGEST_TOKEN").unwrap_or_default(),
        })
    }

    async fn deliver(
        &self,
        sub: &Subscription,
        event: &Event,
    ) -> Result<StatusCode, reqwest::Error> {
        debug!("deliver {} secret={}", sub.id, sub.signing_secret); //~ cleartext-logging
        let resp = self
            .partner_client
            .post(&sub.callback_url) //~ ssrf
            .header("x-relay-subscription", &sub.id)
            .json(event)
            .send()
            .await?;
        Ok(resp.status())
    }

    async fn report_metrics(&self, delivered: usize) -> Result<(), reqwest::Error> {
        let token = &self.ingest_token;
        let req = self.client.post(METRICS_ENDPOINT).bearer_auth(token); //~ cleartext-url
        req.json(&serde_json::json!({ "delivered": delivered }))
            .send()
            .await?;
        Ok(())
    }

    async fn report_audit(&self, event: &Event) -> Result<(), reqwest::Error> {
        self.client
            .post(AUDIT_ENDPOINT)
            .bearer_auth(&self.ingest_token)
            .json(event)
            .send()
            .await?;
        Ok(())
    }

    async fn unfurl(&self, raw: &str) -> Result<String, reqwest::Error> {
        let body = self.client.get(raw).send().await?.text().await?; //~ ssrf
        Ok(body.chars().take(4096).collect())
    }

    async fn avatar(&self, raw: &str) -> Option<bytes::Bytes> {
        let url = Url::parse(raw).ok()?;
        let host = url.host_str()?;
        if url.scheme() != "https" || !AVATAR_HOSTS.contains(&host) {
            warn!("rejected avatar host {}", host);
            return None;
        }
        let resp = self.client.get(url).send().await.ok()?;
        resp.bytes().await.ok()
    }
}

async fn subscribe(sub: Subscription, relay: Relay) -> Result<impl warp::Reply, Infallible> {
    info!("new subscription {} -> {}", sub.id, sub.callback_url);
    relay.subs.write().await.insert(sub.id.clone(), sub);
    Ok(StatusCode::CREATED)
}

async fn publish(event: Event, relay: Relay) -> Result<impl warp::Reply, Infallible> {
    let subs: Vec<Subscription> = relay.subs.read().await.values().cloned().collect();
    let mut delivered = 0;
    for sub in &subs {
        match relay.deliver(sub, &event).await {
            Ok(s) if s.is_success() => delivered += 1,
            Ok(s) => warn!("subscriber {} answered {}", sub.id, s),
            Err(e) => warn!("subscriber {} failed: {}", sub.id, e),
        }
    }
    let _ = relay.report_audit(&event).await;
    let _ = relay.report_metrics(delivered).await;
    Ok(warp::reply::json(&delivered))
}

async fn unfurl(q: UnfurlQuery, relay: Relay) -> Result<impl warp::Reply, Infallible> {
    let text = relay.unfurl(&q.url).await.unwrap_or_default();
    Ok(warp::reply::html(text))
}

async fn avatar(q: UnfurlQuery, relay: Relay) -> Result<impl warp::Reply, Infallible> {
    let body = relay.avatar(&q.url).await.unwrap_or_default();
    Ok(warp::reply::with_header(
        body.to_vec(),
        "content-type",
        "image/png",
    ))
}

fn with_relay(relay: Relay) -> impl Filter<Extract = (Relay,), Error = Infallible> + Clone {
    warp::any().map(move || relay.clone())
}

pub fn routes(
    relay: Relay,
) -> impl Filter<Extract = impl warp::Reply, Error = warp::Rejection> + Clone {
    let subscribe = warp::path!("subscriptions")
        .and(warp::post())
        .and(warp::body::json())
        .and(with_relay(relay.clone()))
        .and_then(subscribe);
    let publish = warp::path!("events")
        .and(warp::post())
        .and(warp::body::json())
        .and(with_relay(relay.clone()))
        .and_then(publish);
    let unfurl = warp::path!("unfurl")
        .and(warp::query::<UnfurlQuery>())
        .and(with_relay(relay.clone()))
        .and_then(unfurl);
    let avatar = warp::path!("avatar")
        .and(warp::query::<UnfurlQuery>())
        .and(with_relay(relay))
        .and_then(avatar);
    subscribe.or(publish).or(unfurl).or(avatar)
}
