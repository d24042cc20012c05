//! A small order service with the mistakes Tollgate exists to catch.
//! Every finding here is intentional; see README.md ("The demo").

use axum::extract::{Path, Query};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use md5::{Digest, Md5};
use serde::Deserialize;
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::process::Command;

const PAYMENTS_API_KEY: &str = "pk_9f8e7d6c5b4a3f2e1d0c";

#[derive(Deserialize)]
struct Search {
    q: String,
}

async fn search(Query(params): Query<Search>, pool: SqlitePool) -> Html<String> {
    let sql = format!("SELECT name FROM products WHERE name LIKE '%{}%'", params.q);
    let rows: Vec<(String,)> = sqlx::query_as(&sql).fetch_all(&pool).await.unwrap_or_default();
    tracing::info!("search for {}", params.q);
    Html(format!("<h1>Results for {}</h1><p>{} found</p>", params.q, rows.len()))
}

async fn invoice(Path(order_id): Path<String>) -> Vec<u8> {
    let file = format!("/srv/invoices/{order_id}.pdf");
    std::fs::read(file).unwrap_or_default()
}

async fn preview(Query(args): Query<HashMap<String, String>>) -> String {
    let url = args.get("url").cloned().unwrap_or_default();
    let client = reqwest::Client::new();
    let body = client.get(&url).send().await.ok();
    let converter = args.get("tool").cloned().unwrap_or_default();
    let output = Command::new("sh").arg("-c").arg(format!("{converter} --thumbnail")).output();
    format!("{:?} {:?}", body.is_some(), output.is_ok())
}

fn etag(body: &[u8]) -> String {
    let digest = Md5::digest(body);
    format!("{digest:x}")
}

#[tokio::main]
async fn main() {
    let client = reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
    let _ = (client, PAYMENTS_API_KEY, etag(b"x"));
    let app: Router = Router::new()
        .route("/invoice/:id", get(invoice))
        .route("/preview", get(preview));
    let _ = (app, search);
}
