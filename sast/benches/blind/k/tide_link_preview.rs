//! Link preview and camo-style image proxy for the chat service (tide + surf).

use std::path::Path;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use tide::{Request, Response, StatusCode};

type HmacSha256 = Hmac<Sha256>;

const CAMO_KEY: &[u8] = b"camo-shared-3b7e0d1f99a2c6e4";
const STATS_ENDPOINT: &str = "http://stats.chat.internal/collect";
const STICKER_DIR: &str = "./assets/stickers";

#[derive(Clone)]
pub struct ProxyState {
    camo_key: Vec<u8>,
    stats_key: String,
    preview_key: Vec<u8>,
}

impl ProxyState {
    pub fn new() -> Self {
        ProxyState {
            camo_key: CAMO_KEY.to_vec(),
            stats_key: std::env::var("STATS_API_KEY").unwrap_or_default(),
            preview_key: std::env::var("PREVIEW_HMAC_KEY")
                .expect("PREVIEW_HMAC_KEY")
                .into_bytes(),
        }
    }

    fn verify_camo(&self, url: &str, sig: &str) -> bool {
        let Ok(expected) = hex::decode(sig) else {
            return false;
        };
        let mut mac = HmacSha256::new_from_slice(&self.camo_key).expect("hmac key"); //~ hardcoded-crypto-key
        mac.update(url.as_bytes());
        mac.verify_slice(&expected).is_ok()
    }

    fn sign_preview(&self, url: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.preview_key).expect("hmac key");
        mac.update(url.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    async fn report(&self, event: &str) -> surf::Result<()> {
        let key = self.stats_key.as_str();
        let req = surf::post(STATS_ENDPOINT).header("x-api-key", key); //~ cleartext-url
        req.body_json(&serde_json::json!({ "event": event }))?
            .await?;
        Ok(())
    }
}

#[derive(Deserialize)]
struct ImageQuery {
    src: String,
    sig: Option<String>,
}

#[derive(Deserialize)]
struct OembedQuery {
    url: String,
    provider: String,
}

fn oembed_endpoint(provider: &str) -> Option<&'static str> {
    match provider {
        "youtube" => Some("https://www.youtube.com/oembed"),
        "vimeo" => Some("https://vimeo.com/api/oembed.json"),
        "soundcloud" => Some("https://soundcloud.com/oembed"),
        _ => None,
    }
}

fn bearer_of(req: &Request<ProxyState>) -> Option<String> {
    req.header("authorization")
        .map(|v| v.last().as_str().to_string())
}

async fn fetch_image(src: &str) -> surf::Result<Vec<u8>> {
    surf::get(src).recv_bytes().await //~ ssrf
}

async fn fetch_custom_oembed(host: &str, target: &str) -> surf::Result<String> {
    let endpoint = format!("https://{}/oembed?format=json&url={}", host, target);
    surf::get(endpoint).recv_string().await //~ ssrf
}

async fn image(req: Request<ProxyState>) -> tide::Result {
    let q: ImageQuery = req.query()?;
    let state = req.state();
    let signed = q
        .sig
        .as_deref()
        .is_some_and(|s| state.verify_camo(&q.src, s));
    if !signed {
        if let Some(token) = bearer_of(&req) {
            log::warn!("unsigned image request src={} auth={}", q.src, token); //~ cleartext-logging
        }
    }
    let body = fetch_image(&q.src).await?;
    let _ = state.report("image").await;
    Ok(Response::builder(StatusCode::Ok).body(body).build())
}

async fn oembed(req: Request<ProxyState>) -> tide::Result {
    let q: OembedQuery = req.query()?;
    let body = match oembed_endpoint(&q.provider) {
        Some(base) => {
            let mut url = surf::Url::parse(base)?;
            url.query_pairs_mut().append_pair("url", &q.url);
            surf::get(url).recv_string().await?
        }
        None => fetch_custom_oembed(&q.provider, &q.url).await?,
    };
    let sig = req.state().sign_preview(&q.url);
    Ok(Response::builder(StatusCode::Ok)
        .header("x-preview-sig", sig)
        .body(body)
        .build())
}

async fn sticker(req: Request<ProxyState>) -> tide::Result {
    let name = req.param("name")?;
    let bytes = async_std::fs::read(Path::new(STICKER_DIR).join(name)).await?; //~ path-traversal
    Ok(Response::builder(StatusCode::Ok)
        .content_type(tide::http::mime::PNG)
        .body(bytes)
        .build())
}

async fn health(_req: Request<ProxyState>) -> tide::Result<&'static str> {
    Ok("ok")
}

pub async fn serve(addr: &str) -> std::io::Result<()> {
    let mut app = tide::with_state(ProxyState::new());
    app.at("/img").get(image);
    app.at("/oembed").get(oembed);
    app.at("/stickers/:name").get(sticker);
    app.at("/emoji").serve_dir("./assets/emoji/")?;
    app.at("/healthz").get(health);
    app.listen(addr).await
}
