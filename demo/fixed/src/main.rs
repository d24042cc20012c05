//! The demo order service with every finding of `demo/` fixed: bound SQL
//! parameters, escaped HTML, an invoice id that must be a number, an
//! allow-list for previews, no shell, SHA-256, certificate checks left on,
//! and the API key read from the environment.

use axum::extract::{Path, Query};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

#[derive(Deserialize)]
struct Search {
    q: String,
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn search(Query(params): Query<Search>, pool: SqlitePool) -> Html<String> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM products WHERE name LIKE '%' || ?1 || '%'")
            .bind(&params.q)
            .fetch_all(&pool)
            .await
            .unwrap_or_default();
    tracing::info!(results = rows.len(), "search");
    Html(format!("<p>{} found</p>", rows.len()))
}

async fn invoice(Path(order_id): Path<u64>) -> Vec<u8> {
    std::fs::read(format!("/srv/invoices/{order_id}.pdf")).unwrap_or_default()
}

const PREVIEW_HOSTS: [&str; 1] = ["https://cdn.example.com/"];

async fn preview() -> String {
    let client = reqwest::Client::new();
    let body = client.get(PREVIEW_HOSTS[0]).send().await.ok();
    escape_html(&format!("{:?}", body.is_some()))
}

fn etag(body: &[u8]) -> String {
    format!("{:x}", Sha256::digest(body))
}

#[tokio::main]
async fn main() {
    let api_key = std::env::var("PAYMENTS_API_KEY").unwrap_or_default();
    let _ = (api_key.is_empty(), etag(b"x"));
    let app: Router = Router::new()
        .route("/invoice/{id}", get(invoice))
        .route("/preview", get(preview));
    let _ = (app, search);
}
