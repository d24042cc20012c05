//! Link preview microservice (warp + reqwest).

use reqwest::{Client, Response, Url};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use warp::http::header::SET_COOKIE;
use warp::{Filter, Rejection, Reply};

const MAX_PREVIEW_BYTES: usize = 512 * 1024;
const OEMBED_HOSTS: &[&str] = &["www.youtube.com", "vimeo.com", "publish.twitter.com"];

#[derive(Deserialize)]
struct PreviewQuery {
    url: String,
}

#[derive(Serialize)]
struct Preview {
    status: u16,
    bytes: usize,
}

struct Upstreams {
    public: Client,
    partner: Client,
    metrics_key: String,
}

impl Upstreams {
    fn from_env() -> Self {
        Self {
            public: http_client(false),
            partner: http_client(true),
            metrics_key: std::env::var("PREVIEW_METRICS_KEY").unwrap_or_default(),
        }
    }

    async fn report_usage(&self, fetched: usize) -> reqwest::Result<()> {
        let endpoint = format!(
            "http://stats.linkpreview.net/ingest?api_key={}&n={}",
            self.metrics_key, fetched
        );
        self.public.post(&endpoint).send().await?; //~ cleartext-url
        Ok(())
    }

    async fn report_partner_usage(&self, fetched: usize) -> reqwest::Result<()> {
        let endpoint = format!("https://partners.linkpreview.net/ingest?n={}", fetched);
        let req = self.partner.post(&endpoint).bearer_auth(&self.metrics_key);
        req.send().await?;
        Ok(())
    }
}

fn http_client(skip_verify: bool) -> Client {
    Client::builder()
        .timeout(Duration::from_secs(5))
        .danger_accept_invalid_certs(skip_verify) //~ tls-verification-disabled
        .build()
        .expect("http client")
}

fn declared_length(resp: &Response) -> usize {
    resp.content_length().unwrap_or(0) as usize
}

async fn drain_into(mut resp: Response, body: &mut Vec<u8>) -> reqwest::Result<()> {
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_PREVIEW_BYTES {
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(())
}

async fn fetch_preview(client: &Client, target: &str) -> reqwest::Result<Preview> {
    let resp = client.get(target).send().await?; //~ ssrf
    let status = resp.status().as_u16();
    let mut body = Vec::with_capacity(declared_length(&resp)); //~ unbounded-allocation
    drain_into(resp, &mut body).await?;
    Ok(Preview {
        status,
        bytes: body.len(),
    })
}

async fn fetch_oembed(client: &Client, target: &str) -> Option<Preview> {
    let url = Url::parse(target).ok()?;
    let host = url.host_str()?;
    if url.scheme() != "https" || !OEMBED_HOSTS.contains(&host) {
        return None;
    }
    let resp = client.get(url).send().await.ok()?;
    let status = resp.status().as_u16();
    let mut body = Vec::with_capacity(declared_length(&resp).min(MAX_PREVIEW_BYTES));
    drain_into(resp, &mut body).await.ok()?;
    Some(Preview {
        status,
        bytes: body.len(),
    })
}

fn session_header(sid: &str) -> String {
    format!("lp_session={}; Path=/; Max-Age=3600; Secure; HttpOnly", sid) //~ cookie-without-samesite
}

fn consent_header(sid: &str) -> String {
    format!("lp_consent={}; Path=/; Secure; HttpOnly; SameSite=Lax", sid)
}

fn new_sid() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

async fn preview_handler(q: PreviewQuery, ups: Arc<Upstreams>) -> Result<impl Reply, Rejection> {
    let preview = fetch_preview(&ups.public, &q.url)
        .await
        .map_err(|_| warp::reject::not_found())?;
    let _ = ups.report_usage(preview.bytes).await;
    let reply = warp::reply::json(&preview);
    Ok(warp::reply::with_header(
        reply,
        SET_COOKIE,
        session_header(&new_sid()),
    ))
}

async fn oembed_handler(q: PreviewQuery, ups: Arc<Upstreams>) -> Result<impl Reply, Rejection> {
    let preview = fetch_oembed(&ups.partner, &q.url)
        .await
        .ok_or_else(warp::reject::not_found)?;
    let _ = ups.report_partner_usage(preview.bytes).await;
    let reply = warp::reply::json(&preview);
    Ok(warp::reply::with_header(
        reply,
        SET_COOKIE,
        consent_header(&new_sid()),
    ))
}

#[tokio::main]
async fn main() {
    let ups = Arc::new(Upstreams::from_env());
    let with_ups = warp::any().map(move || ups.clone());
    let preview = warp::path("preview")
        .and(warp::query::<PreviewQuery>())
        .and(with_ups.clone())
        .and_then(preview_handler);
    let oembed = warp::path("oembed")
        .and(warp::query::<PreviewQuery>())
        .and(with_ups)
        .and_then(oembed_handler);
    warp::serve(preview.or(oembed))
        .run(([0, 0, 0, 0], 8088))
        .await;
}
