use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use url::Url;
use warp::http::StatusCode;
use warp::{Filter, Rejection, Reply};

const BILLING_ENDPOINT: &str = "http://billing.internal:8080/v1/charge";
const LEDGER_ENDPOINT: &str = "https://ledger.internal/v1/entries";
const AVATAR_HOSTS: &[&str] = &["cdn.example.com", "avatars.example.net"];

#[derive(Deserialize)]
struct PreviewQuery {
    url: String,
}

#[derive(Deserialize)]
struct AvatarRequest {
    user_id: u64,
    host: String,
    verified_only: Option<bool>,
}

#[derive(Serialize, Deserialize)]
struct Charge {
    account: String,
    cents: u64,
}

struct Upstreams {
    client: reqwest::Client,
    services: HashMap<&'static str, &'static str>,
    api_key: String,
}

impl Upstreams {
    fn new() -> Self {
        let mut services = HashMap::new();
        services.insert("catalog", "https://catalog.internal");
        services.insert("search", "https://search.internal");
        Self {
            client: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client"),
            services,
            api_key: std::env::var("BILLING_API_KEY").unwrap_or_default(),
        }
    }

    async fn fetch_preview(&self, target: &str) -> reqwest::Result<String> {
        let resp = self.client.get(target).send().await?; //~ ssrf
        resp.text().await
    }

    async fn forward(&self, service: &str, path: &str, auth: Option<&str>) -> Result<String, StatusCode> {
        let base = self.services.get(service).ok_or(StatusCode::NOT_FOUND)?;
        let url = Url::parse(base).and_then(|b| b.join(path)).map_err(|_| StatusCode::BAD_REQUEST)?;
        if !url.as_str().starts_with(base) {
            return Err(StatusCode::BAD_REQUEST);
        }
        let mut req = self.client.get(url);
        if let Some(token) = auth {
            log::debug!("forwarding to {} with authorization {}", service, token); //~ cleartext-logging
            req = req.header("authorization", token);
        }
        log::info!("forwarding to {} (auth present: {})", service, auth.is_some());
        let resp = req.send().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
        resp.text().await.map_err(|_| StatusCode::BAD_GATEWAY)
    }

    fn avatar_url(host: &str, user_id: u64) -> String {
        format!("https://{}/avatars/{}.png", host, user_id)
    }

    async fn avatar(&self, req: &AvatarRequest) -> reqwest::Result<bytes::Bytes> {
        if req.verified_only.unwrap_or(false) && !AVATAR_HOSTS.contains(&req.host.as_str()) {
            return self.client.get(Self::avatar_url(AVATAR_HOSTS[0], req.user_id)).send().await?.bytes().await;
        }
        let target = Self::avatar_url(&req.host, req.user_id);
        self.client.get(&target).send().await?.bytes().await //~ ssrf
    }

    async fn avatar_pinned(&self, host: &str, user_id: u64) -> Option<bytes::Bytes> {
        let host = AVATAR_HOSTS.iter().find(|h| **h == host)?;
        let resp = self.client.get(Self::avatar_url(host, user_id)).send().await.ok()?;
        resp.bytes().await.ok()
    }

    async fn charge(&self, charge: &Charge) -> reqwest::Result<StatusCode> {
        let resp = self.client.post(BILLING_ENDPOINT).bearer_auth(&self.api_key).json(charge).send().await?; //~ cleartext-url
        Ok(resp.status())
    }

    async fn record(&self, charge: &Charge) -> reqwest::Result<StatusCode> {
        let resp = self.client.post(LEDGER_ENDPOINT).bearer_auth(&self.api_key).json(charge).send().await?;
        Ok(resp.status())
    }
}

fn with_upstreams(u: Arc<Upstreams>) -> impl Filter<Extract = (Arc<Upstreams>,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || u.clone())
}

async fn preview(q: PreviewQuery, up: Arc<Upstreams>) -> Result<impl Reply, Rejection> {
    match up.fetch_preview(&q.url).await {
        Ok(body) => Ok(warp::reply::with_status(body, StatusCode::OK)),
        Err(_) => Ok(warp::reply::with_status(String::new(), StatusCode::BAD_GATEWAY)),
    }
}

async fn proxy(service: String, tail: warp::path::Tail, auth: Option<String>, up: Arc<Upstreams>) -> Result<impl Reply, Rejection> {
    let body = up.forward(&service, tail.as_str(), auth.as_deref()).await.unwrap_or_default();
    Ok(body)
}

async fn avatar(req: AvatarRequest, up: Arc<Upstreams>) -> Result<impl Reply, Rejection> {
    let bytes = if req.host.is_empty() { up.avatar_pinned(AVATAR_HOSTS[0], req.user_id).await } else { up.avatar(&req).await.ok() };
    Ok(bytes.map(|b| b.to_vec()).unwrap_or_default())
}

async fn charge(c: Charge, up: Arc<Upstreams>) -> Result<impl Reply, Rejection> {
    let status = up.charge(&c).await.unwrap_or(StatusCode::BAD_GATEWAY);
    let _ = up.record(&c).await;
    Ok(warp::reply::with_status("", status))
}

pub fn routes() -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let up = Arc::new(Upstreams::new());
    let p = warp::path("preview").and(warp::query::<PreviewQuery>()).and(with_upstreams(up.clone())).and_then(preview);
    let x = warp::path!("proxy" / String / ..)
        .and(warp::path::tail())
        .and(warp::header::optional::<String>("authorization"))
        .and(with_upstreams(up.clone()))
        .and_then(proxy);
    let a = warp::path("avatar").and(warp::body::json()).and(with_upstreams(up.clone())).and_then(avatar);
    let c = warp::path("charge").and(warp::body::json()).and(with_upstreams(up)).and_then(charge);
    p.or(x).or(a).or(c)
}
