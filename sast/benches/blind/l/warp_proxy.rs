//! Link-preview and outbound webhook relay built on warp.

use reqwest::Client;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use url::Url;
use warp::http::StatusCode;
use warp::Filter;

const METADATA_BASE: &str = "https://metadata.internal.example.com";
const AVATAR_HOSTS: &[&str] = &["avatars.githubusercontent.com", "secure.gravatar.com"];

#[derive(Debug, Deserialize)]
struct PreviewQuery {
    url: String,
}

#[derive(Debug, Deserialize)]
struct HookTest {
    target: String,
    event: String,
}

#[derive(Debug, Serialize)]
struct Preview {
    status: u16,
    title: Option<String>,
    bytes: usize,
}

#[derive(Clone)]
struct UpstreamConfig {
    base_url: String,
    api_key: String,
    timeout: Duration,
}

impl UpstreamConfig {
    fn from_env() -> Self {
        Self {
            base_url: METADATA_BASE.to_string(),
            api_key: std::env::var("UPSTREAM_API_KEY").unwrap_or_default(),
            timeout: Duration::from_secs(5),
        }
    }
}

fn log_config(cfg: &UpstreamConfig) {
    log::info!("upstream base url: {}", cfg.base_url);
    log::info!("upstream credentials loaded: {}", cfg.api_key); //~ cleartext-logging
}

fn build_upstream_client(cfg: &UpstreamConfig) -> Client {
    Client::builder()
        .timeout(cfg.timeout)
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()
        .expect("client")
}

fn build_public_client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .expect("client")
}

fn extract_title(html: &str) -> Option<String> {
    let start = html.find("<title>")? + 7;
    let end = html[start..].find("</title>")? + start;
    Some(html[start..end].trim().to_string())
}

async fn fetch_preview(client: &Client, target: &str) -> Result<Preview, reqwest::Error> {
    let resp = client.get(target).send().await?; //~ ssrf
    let status = resp.status().as_u16();
    let body = resp.text().await?;
    Ok(Preview {
        status,
        title: extract_title(&body),
        bytes: body.len(),
    })
}

fn avatar_url(raw: &str) -> Option<Url> {
    let parsed = Url::parse(raw).ok()?;
    if parsed.scheme() != "https" {
        return None;
    }
    let host = parsed.host_str()?;
    AVATAR_HOSTS.contains(&host).then_some(parsed)
}

struct HookDispatcher {
    client: Client,
    target: String,
}

impl HookDispatcher {
    fn new(client: Client, target: String) -> Self {
        Self { client, target }
    }

    async fn dispatch(&self, event: &str) -> Result<u16, reqwest::Error> {
        let payload = serde_json::json!({ "event": event, "test": true });
        let resp = self.client.post(&self.target).json(&payload).send().await?; //~ ssrf
        Ok(resp.status().as_u16())
    }
}

async fn metadata(
    client: Arc<Client>,
    cfg: UpstreamConfig,
    id: u64,
) -> Result<String, reqwest::Error> {
    let url = format!("{}/v1/items/{}", cfg.base_url, id);
    client
        .get(url)
        .bearer_auth(&cfg.api_key)
        .send()
        .await?
        .text()
        .await
}

async fn preview_handler(
    q: PreviewQuery,
    client: Arc<Client>,
) -> Result<impl warp::Reply, Infallible> {
    match fetch_preview(&client, &q.url).await {
        Ok(p) => Ok(warp::reply::with_status(
            warp::reply::json(&p),
            StatusCode::OK,
        )),
        Err(_) => Ok(warp::reply::with_status(
            warp::reply::json(&"fetch failed"),
            StatusCode::BAD_GATEWAY,
        )),
    }
}

async fn avatar_handler(
    q: PreviewQuery,
    client: Arc<Client>,
) -> Result<impl warp::Reply, Infallible> {
    let Some(url) = avatar_url(&q.url) else {
        return Ok(StatusCode::BAD_REQUEST);
    };
    match client.get(url).send().await {
        Ok(r) if r.status().is_success() => Ok(StatusCode::OK),
        _ => Ok(StatusCode::NOT_FOUND),
    }
}

async fn hook_test_handler(
    body: HookTest,
    client: Arc<Client>,
) -> Result<impl warp::Reply, Infallible> {
    let dispatcher = HookDispatcher::new((*client).clone(), body.target);
    let code = dispatcher.dispatch(&body.event).await.unwrap_or(0);
    Ok(warp::reply::json(
        &serde_json::json!({ "upstream_status": code }),
    ))
}

#[tokio::main]
async fn main() {
    env_logger::init();
    let cfg = UpstreamConfig::from_env();
    log_config(&cfg);
    let upstream = Arc::new(build_upstream_client(&cfg));
    let public = Arc::new(build_public_client());
    let with_public = warp::any().map(move || public.clone());

    let preview = warp::path("preview")
        .and(warp::query::<PreviewQuery>())
        .and(with_public.clone())
        .and_then(preview_handler);
    let avatar = warp::path("avatar")
        .and(warp::query::<PreviewQuery>())
        .and(with_public.clone())
        .and_then(avatar_handler);
    let hooks = warp::path!("hooks" / "test")
        .and(warp::post())
        .and(warp::body::json())
        .and(with_public)
        .and_then(hook_test_handler);
    let meta = warp::path!("meta" / u64).and_then(move |id| {
        let (client, cfg) = (upstream.clone(), cfg.clone());
        async move {
            let text = metadata(client, cfg, id).await.unwrap_or_default();
            Ok::<_, Infallible>(text)
        }
    });

    warp::serve(preview.or(avatar).or(hooks).or(meta))
        .run(([0, 0, 0, 0], 8081))
        .await;
}
