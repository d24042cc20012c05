// Scenario: webhook subscription + link-preview features of an axum chat
// backend. Users register callback URLs and paste links to unfurl.
use axum::{extract::{Query, State}, http::StatusCode, routing::{get, post}, Json, Router};
use reqwest::Client;
use serde::Deserialize;
use url::Url;

#[derive(Deserialize)]
struct Subscribe {
    callback_url: String,
    event: String,
}

#[derive(Deserialize)]
struct Unfurl {
    link: String,
}

#[derive(Clone)]
struct AppState {
    http: Client,
    allowed_hosts: Vec<String>,
}

impl AppState {
    fn allowed(&self, raw: &str) -> Option<Url> {
        let u = Url::parse(raw).ok()?;
        let host = u.host_str()?.to_ascii_lowercase();
        (u.scheme() == "https" && self.allowed_hosts.iter().any(|h| *h == host)).then_some(u)
    }

    async fn ping_callback(&self, target: &str) -> reqwest::Result<u16> {
        let resp = self.http.post(target).json(&serde_json::json!({"type": "ping"})).send().await?; //~ ssrf
        Ok(resp.status().as_u16())
    }
}

async fn subscribe(State(st): State<AppState>, Json(body): Json<Subscribe>) -> StatusCode {
    if body.event.is_empty() {
        return StatusCode::BAD_REQUEST;
    }
    match st.ping_callback(&body.callback_url).await {
        Ok(200..=299) => StatusCode::CREATED,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

async fn unfurl(State(st): State<AppState>, Query(q): Query<Unfurl>) -> Result<String, StatusCode> {
    let html = reqwest::get(&q.link) //~ ssrf
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?
        .text()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let title = html.split("<title>").nth(1).and_then(|t| t.split("</title>").next());
    let _ = &st.allowed_hosts;
    Ok(title.unwrap_or("").to_string())
}

async fn unfurl_trusted(State(st): State<AppState>, Query(q): Query<Unfurl>) -> Result<String, StatusCode> {
    let url = st.allowed(&q.link).ok_or(StatusCode::FORBIDDEN)?;
    let body = st.http.get(url).send().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
    body.text().await.map_err(|_| StatusCode::BAD_GATEWAY)
}

async fn oembed(State(st): State<AppState>, Query(q): Query<Unfurl>) -> Result<String, StatusCode> {
    let endpoint = Url::parse_with_params("https://oembed.example.com/api", &[("url", q.link.as_str())])
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    let resp = st.http.get(endpoint).send().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
    resp.text().await.map_err(|_| StatusCode::BAD_GATEWAY)
}

async fn avatar(State(st): State<AppState>, Query(q): Query<Unfurl>) -> Result<Vec<u8>, StatusCode> {
    let u = Url::parse(&q.link).map_err(|_| StatusCode::BAD_REQUEST)?;
    let proxied = format!("http://{}:{}/img", u.host_str().unwrap_or("localhost"), u.port().unwrap_or(80));
    let bytes = st.http.get(proxied).send().await.map_err(|_| StatusCode::BAD_GATEWAY)?.bytes().await; //~ ssrf
    bytes.map(|b| b.to_vec()).map_err(|_| StatusCode::BAD_GATEWAY)
}

pub fn router(http: Client) -> Router {
    let st = AppState { http, allowed_hosts: vec!["images.example.com".into()] };
    Router::new()
        .route("/hooks", post(subscribe))
        .route("/unfurl", get(unfurl))
        .route("/unfurl/trusted", get(unfurl_trusted))
        .route("/oembed", get(oembed))
        .route("/avatar", get(avatar))
        .with_state(st)
}
