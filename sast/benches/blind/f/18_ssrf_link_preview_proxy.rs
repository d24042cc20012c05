// Warp service behind the chat client: unfurls link previews, imports avatars from
// partner CDNs and lets admins probe the health of registered integrations.
use bytes::Bytes;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;
use warp::{http::StatusCode, Filter, Rejection, Reply};

const AVATAR_HOSTS: &[&str] = &["cdn.partner-a.example", "images.partner-b.example"];

#[derive(Deserialize)]
pub struct PreviewQuery {
    pub url: String,
}

#[derive(Deserialize)]
pub struct ProbeRequest {
    pub host: String,
    pub port: u16,
    pub service: String,
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    integrations: Arc<HashMap<String, String>>,
}

impl Fetcher {
    async fn fetch(&self, url: Url) -> reqwest::Result<Bytes> {
        let resp = self.client.get(url).send().await?.error_for_status()?;
        resp.bytes().await
    }
}

fn title_of(html: &[u8]) -> String {
    let text = String::from_utf8_lossy(html);
    let start = text.find("<title>").map(|i| i + 7).unwrap_or(0);
    let end = text[start..]
        .find("</title>")
        .map(|i| start + i)
        .unwrap_or(start);
    text[start..end].trim().chars().take(200).collect()
}

async fn preview(q: PreviewQuery, fetcher: Fetcher) -> Result<impl Reply, Rejection> {
    let url = Url::parse(&q.url).map_err(|_| warp::reject::not_found())?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Ok(warp::reply::with_status(
            String::new(),
            StatusCode::BAD_REQUEST,
        ));
    }
    let page = fetcher.fetch(url).await; //~ ssrf
    match page {
        Ok(body) => Ok(warp::reply::with_status(title_of(&body), StatusCode::OK)),
        Err(_) => Ok(warp::reply::with_status(
            String::new(),
            StatusCode::BAD_GATEWAY,
        )),
    }
}

fn allowed_avatar(raw: &str) -> Option<Url> {
    let url = Url::parse(raw).ok()?;
    let host = url.host_str()?;
    (url.scheme() == "https" && AVATAR_HOSTS.contains(&host)).then_some(url)
}

async fn import_avatar(q: PreviewQuery, fetcher: Fetcher) -> Result<impl Reply, Rejection> {
    let Some(url) = allowed_avatar(&q.url) else {
        return Ok(StatusCode::FORBIDDEN);
    };
    match fetcher.fetch(url).await {
        Ok(img) if img.len() < 2 * 1024 * 1024 => Ok(StatusCode::CREATED),
        _ => Ok(StatusCode::BAD_GATEWAY),
    }
}

async fn import_avatar_legacy(q: PreviewQuery) -> Result<impl Reply, Rejection> {
    let resp = reqwest::get(q.url.as_str()).await; //~ ssrf
    match resp {
        Ok(r) if r.status().is_success() => Ok(StatusCode::CREATED),
        _ => Ok(StatusCode::BAD_GATEWAY),
    }
}

fn probe_raw(req: &ProbeRequest) -> bool {
    let target = format!("http://{}:{}/healthz", req.host, req.port);
    ureq::get(&target).call().is_ok() //~ ssrf
}

fn probe_registered(fetcher: &Fetcher, req: &ProbeRequest) -> bool {
    match fetcher.integrations.get(&req.service) {
        Some(base) => ureq::get(&format!("{}/healthz", base)).call().is_ok(),
        None => false,
    }
}

async fn probe(req: ProbeRequest, fetcher: Fetcher) -> Result<impl Reply, Rejection> {
    let healthy = tokio::task::spawn_blocking(move || {
        if req.service == "custom" {
            probe_raw(&req)
        } else {
            probe_registered(&fetcher, &req)
        }
    })
    .await
    .unwrap_or(false);
    Ok(warp::reply::json(&healthy))
}

pub fn routes(fetcher: Fetcher) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let with_fetcher = warp::any().map(move || fetcher.clone());
    let preview_route = warp::path("preview")
        .and(warp::query::<PreviewQuery>())
        .and(with_fetcher.clone())
        .and_then(preview);
    let avatar_route = warp::path("avatar")
        .and(warp::query::<PreviewQuery>())
        .and(with_fetcher.clone())
        .and_then(import_avatar);
    let legacy_route = warp::path!("v1" / "avatar")
        .and(warp::query::<PreviewQuery>())
        .and_then(import_avatar_legacy);
    let probe_route = warp::path("probe")
        .and(warp::body::json::<ProbeRequest>())
        .and(with_fetcher)
        .and_then(probe);
    preview_route
        .or(avatar_route)
        .or(legacy_route)
        .or(probe_route)
}
