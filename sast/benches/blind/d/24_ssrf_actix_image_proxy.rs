// Scenario: an actix-web image proxy / feed fetcher for a news reader.
// Uses ureq (blocking, inside web::block) and hyper for streaming.
use actix_web::{get, web, HttpRequest, HttpResponse};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use std::io::Read;

const FEED_MIRROR: &str = "https://feeds.example.org";

#[derive(Deserialize)]
struct ProxyQuery {
    src: String,
}

#[derive(Deserialize)]
struct FeedQuery {
    name: String,
}

struct Upstream {
    base: String,
}

impl Upstream {
    fn for_request(req: &HttpRequest) -> Upstream {
        let base = req
            .headers()
            .get("x-upstream")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("http://127.0.0.1:9000")
            .to_string();
        Upstream { base }
    }

    fn health_url(&self) -> String {
        format!("{}/healthz", self.base)
    }
}

fn feed_url(name: &str) -> Option<String> {
    match name {
        "tech" | "science" | "world" => Some(format!("{}/{}.xml", FEED_MIRROR, name)),
        _ => None,
    }
}

#[get("/img")]
async fn image(q: web::Query<ProxyQuery>) -> HttpResponse {
    let src = q.into_inner().src;
    let res = web::block(move || {
        let resp = ureq::get(&src).call()?; //~ ssrf
        let mut buf = Vec::new();
        resp.into_reader().read_to_end(&mut buf)?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(buf)
    })
    .await;
    match res {
        Ok(Ok(bytes)) => HttpResponse::Ok().content_type("image/*").body(bytes),
        _ => HttpResponse::BadGateway().finish(),
    }
}

#[get("/feed")]
async fn feed(q: web::Query<FeedQuery>) -> HttpResponse {
    let Some(url) = feed_url(&q.name) else {
        return HttpResponse::NotFound().finish();
    };
    match web::block(move || ureq::get(&url).call().map(|r| r.into_string())).await {
        Ok(Ok(Ok(xml))) => HttpResponse::Ok().content_type("application/rss+xml").body(xml),
        _ => HttpResponse::BadGateway().finish(),
    }
}

#[get("/upstream/health")]
async fn upstream_health(req: HttpRequest) -> HttpResponse {
    let up = Upstream::for_request(&req);
    let uri: hyper::Uri = match up.health_url().parse() {
        Ok(u) => u,
        Err(_) => return HttpResponse::BadRequest().finish(),
    };
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    match client.get(uri).await { //~ ssrf
        Ok(resp) => {
            let status = resp.status().as_u16();
            let _ = resp.into_body().collect().await;
            HttpResponse::Ok().body(status.to_string())
        }
        Err(_) => HttpResponse::BadGateway().finish(),
    }
}

#[get("/status")]
async fn status() -> HttpResponse {
    let ok = web::block(|| ureq::get("https://status.example.org/api/v2/status.json").call().is_ok()).await;
    HttpResponse::Ok().body(format!("{:?}", ok))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(image).service(feed).service(upstream_health).service(status);
}
