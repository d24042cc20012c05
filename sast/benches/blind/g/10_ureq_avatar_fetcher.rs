use actix_web::{get, post, web, HttpResponse};
use native_tls::TlsConnector;
use serde::Deserialize;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

const CDN_BASE: &str = "https://cdn.example.com";
const MAX_IMAGE: u64 = 5 * 1024 * 1024;
const TRUSTED_IMAGE_HOSTS: &[&str] = &["cdn.example.com", "img.example.net"];

#[derive(Deserialize)]
struct ProfileUpdate {
    display_name: String,
    avatar_url: String,
}

#[derive(Deserialize)]
struct ThumbQuery {
    src: String,
    w: u32,
}

pub struct Fetcher {
    agent: ureq::Agent,
    legacy: ureq::Agent,
}

fn read_capped(resp: ureq::Response) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    resp.into_reader().take(MAX_IMAGE).read_to_end(&mut buf)?;
    Ok(buf)
}

impl Fetcher {
    pub fn new() -> Result<Self, native_tls::Error> {
        let strict = TlsConnector::builder().min_protocol_version(Some(native_tls::Protocol::Tlsv12)).build()?;
        let lax = TlsConnector::builder().danger_accept_invalid_certs(true).build()?; //~ tls-verification-disabled
        Ok(Fetcher {
            agent: ureq::AgentBuilder::new().tls_connector(Arc::new(strict)).timeout(Duration::from_secs(10)).build(),
            legacy: ureq::AgentBuilder::new().tls_connector(Arc::new(lax)).timeout(Duration::from_secs(30)).build(),
        })
    }

    fn download(&self, url: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let resp = self.agent.get(url).call()?; //~ ssrf
        Ok(read_capped(resp)?)
    }

    fn download_trusted(&self, url: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let parsed = Url::parse(url)?;
        match parsed.host_str() {
            Some(h) if parsed.scheme() == "https" && TRUSTED_IMAGE_HOSTS.contains(&h) => {}
            _ => return Err("untrusted image host".into()),
        }
        let resp = self.agent.get(parsed.as_str()).call()?;
        Ok(read_capped(resp)?)
    }

    fn from_cdn(&self, key: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let key: String = key.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
        let resp = self.agent.get(&format!("{}/avatars/{}", CDN_BASE, key)).call()?;
        Ok(read_capped(resp)?)
    }

    fn legacy_thumb(&self, src: &str, width: u32) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let target = format!("{}?w={}", src, width.min(1024));
        let resp = self.legacy.request("GET", &target).call()?; //~ ssrf
        Ok(read_capped(resp)?)
    }
}

#[post("/profile")]
async fn update_profile(f: web::Data<Fetcher>, body: web::Json<ProfileUpdate>) -> HttpResponse {
    let image = if body.avatar_url.starts_with(CDN_BASE) {
        f.download_trusted(&body.avatar_url)
    } else {
        f.download(&body.avatar_url)
    };
    match image {
        Ok(bytes) => HttpResponse::Ok().json(serde_json::json!({ "name": body.display_name, "bytes": bytes.len() })),
        Err(e) => HttpResponse::BadRequest().body(e.to_string()),
    }
}

#[get("/avatar/{key}")]
async fn avatar(f: web::Data<Fetcher>, key: web::Path<String>) -> HttpResponse {
    match f.from_cdn(&key) {
        Ok(bytes) => HttpResponse::Ok().content_type("image/png").body(bytes),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[get("/thumb")]
async fn thumbnail(f: web::Data<Fetcher>, q: web::Query<ThumbQuery>) -> HttpResponse {
    match f.legacy_thumb(&q.src, q.w) {
        Ok(bytes) => HttpResponse::Ok().content_type("image/jpeg").body(bytes),
        Err(_) => HttpResponse::BadGateway().finish(),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(update_profile).service(avatar).service(thumbnail);
}
