//! Invoice service HTTP API: search, period counts and PDF downloads.

use axum::{
    extract::{Path, Query, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use std::path::{Path as FsPath, PathBuf};

#[derive(Clone)]
pub struct AppState {
    repo: InvoiceRepo,
    pdf_root: PathBuf,
    archive_root: PathBuf,
    webhook_secret: Vec<u8>,
}

#[derive(Deserialize)]
pub struct SearchParams {
    q: String,
    status: Option<String>,
    sort: Option<String>,
}

#[derive(Deserialize)]
pub struct Period {
    from: String,
    to: String,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Invoice {
    id: i64,
    customer: String,
    total_cents: i64,
    status: String,
}

#[derive(Clone)]
pub struct InvoiceRepo {
    pool: PgPool,
}

impl InvoiceRepo {
    pub async fn search(&self, p: &SearchParams) -> sqlx::Result<Vec<Invoice>> {
        let mut sql = String::from(
            "SELECT id, customer, total_cents, status FROM invoices WHERE memo ILIKE $1",
        );
        if let Some(s) = p.status.as_deref() {
            sql.push_str(&format!(" AND status = '{}'", s));
        }
        let order = match p.sort.as_deref() {
            Some("total") => "total_cents DESC",
            Some("customer") => "customer ASC",
            _ => "id DESC",
        };
        sql.push_str(&format!(" ORDER BY {order}"));
        sqlx::query_as::<_, Invoice>(&sql) //~ sql-injection
            .bind(format!("%{}%", p.q))
            .fetch_all(&self.pool)
            .await
    }

    pub async fn count_in(&self, period: &Period) -> sqlx::Result<i64> {
        let sql = [
            "SELECT count(*) AS n FROM invoices WHERE issued_at >= '",
            period.from.as_str(),
            "' AND issued_at < '",
            period.to.as_str(),
            "'",
        ]
        .concat();
        let row = sqlx::query(&sql).fetch_one(&self.pool).await?; //~ sql-injection
        row.try_get("n")
    }
}

fn internal<E: std::fmt::Display>(e: E) -> StatusCode {
    tracing::error!(error = %e, "request failed");
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn search_invoices(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<Invoice>>, StatusCode> {
    st.repo.search(&p).await.map(Json).map_err(internal)
}

async fn count_invoices(
    State(st): State<AppState>,
    Query(period): Query<Period>,
) -> Result<Json<i64>, StatusCode> {
    st.repo.count_in(&period).await.map(Json).map_err(internal)
}

impl AppState {
    fn pdf_file(&self, name: &str) -> PathBuf {
        self.pdf_root.join(name).with_extension("pdf")
    }

    fn archived_file(&self, name: &str) -> Option<PathBuf> {
        let root = self.archive_root.canonicalize().ok()?;
        let candidate = root.join(name).canonicalize().ok()?;
        candidate.starts_with(&root).then_some(candidate)
    }

    pub fn sign_webhook(&self, body: &[u8]) -> String {
        webhook_signature(&self.webhook_secret, body)
    }
}

async fn read_pdf(path: &FsPath) -> Result<Vec<u8>, StatusCode> {
    tokio::fs::read(path) //~ path-traversal
        .await
        .map_err(|_| StatusCode::NOT_FOUND)
}

fn pdf_response(bytes: Vec<u8>) -> Response {
    let etag = format!("\"{:x}\"", md5::compute(&bytes));
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    resp
}

async fn download_pdf(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, StatusCode> {
    let file = st.pdf_file(&name);
    let bytes = read_pdf(&file).await?;
    Ok(pdf_response(bytes))
}

async fn download_archived(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, StatusCode> {
    let file = st.archived_file(&name).ok_or(StatusCode::NOT_FOUND)?;
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|_| StatusCode::NOT_FOUND)?;
    Ok(pdf_response(bytes))
}

/// Signature sent in the `X-Invoice-Signature` header of outgoing webhooks.
pub fn webhook_signature(secret: &[u8], body: &[u8]) -> String {
    let digest = md5::compute([secret, body].concat()); //~ weak-hash
    format!("{:x}", digest)
}

fn log_request(path: &str, credential: Option<&str>) {
    let scheme = credential
        .and_then(|c| c.split_whitespace().next())
        .unwrap_or("none");
    tracing::info!(path, scheme, "request received");
    if let Some(c) = credential {
        tracing::debug!("request to {} authorised with {}", path, c); //~ cleartext-logging
    }
}

async fn audit(headers: HeaderMap, req: Request, next: Next) -> Response {
    let credential = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    log_request(req.uri().path(), credential);
    next.run(req).await
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/invoices", get(search_invoices))
        .route("/invoices/count", get(count_invoices))
        .route("/invoices/:name/pdf", get(download_pdf))
        .route("/archive/:name", get(download_archived))
        .layer(middleware::from_fn(audit))
        .with_state(state)
}
