use axum::{
    extract::{Json, Query, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
    Router,
};
use serde::Deserialize;
use std::sync::Arc;
use tokio_postgres::{Client, NoTls};

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') && s.len() <= 48
}

pub struct DbSettings {
    host: String,
    user: String,
    password: String,
    dbname: String,
}

impl DbSettings {
    pub fn from_env() -> Self {
        let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
        Self { host: var("PGHOST", "localhost"), user: var("PGUSER", "app"), password: var("PGPASSWORD", ""), dbname: var("PGDATABASE", "app") }
    }

    fn conn_string(&self) -> String {
        format!("host={} user={} password={} dbname={} sslmode=require", self.host, self.user, self.password, self.dbname)
    }

    pub async fn connect(&self) -> Result<Client, tokio_postgres::Error> {
        let conn_str = self.conn_string();
        log::info!("connecting to postgres at {} as {}", self.host, self.user);
        log::debug!("postgres connection string: {}", conn_str); //~ cleartext-logging
        let (client, connection) = tokio_postgres::connect(&conn_str, NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                log::error!("postgres connection error: {}", e);
            }
        });
        Ok(client)
    }
}

struct TenantSession {
    client: Arc<Client>,
    schema: String,
}

impl TenantSession {
    fn bind(client: Arc<Client>, headers: &HeaderMap) -> Option<Self> {
        let tenant = headers.get("x-tenant")?.to_str().ok()?;
        Some(Self { client, schema: format!("tenant_{}", tenant) })
    }

    async fn provision(&self) -> Result<(), tokio_postgres::Error> {
        if !is_ident(&self.schema) {
            return Ok(());
        }
        self.client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", self.schema)).await
    }

    async fn enter(&self) -> Result<(), tokio_postgres::Error> {
        self.client.batch_execute(&format!("SET search_path TO {}, public", self.schema)).await //~ sql-injection
    }

    async fn find_products(&self, term: &str, min_price: i64) -> Result<Vec<String>, tokio_postgres::Error> {
        self.enter().await?;
        let sql = format!("SELECT name FROM products WHERE name ILIKE '%{}%' AND price >= $1", term);
        let rows = self.client.query(sql.as_str(), &[&min_price]).await?; //~ sql-injection
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn product_by_sku(&self, sku: &str) -> Result<Option<String>, tokio_postgres::Error> {
        self.enter().await?;
        let row = self.client.query_opt("SELECT name FROM products WHERE sku = $1", &[&sku]).await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn archive_table(&self, table: &str) -> Result<u64, tokio_postgres::Error> {
        let stmt = format!("DELETE FROM {}.{} WHERE archived_at < now() - interval '90 days'", self.schema, table);
        self.client.execute(stmt.as_str(), &[]).await //~ sql-injection
    }

    async fn save_integration(&self, provider: &str, api_secret: &str) -> Result<u64, tokio_postgres::Error> {
        self.client.execute("INSERT INTO integrations (provider, api_secret) VALUES ($1, $2)", &[&provider, &api_secret]).await //~ cleartext-storage
    }

    async fn save_webhook(&self, provider: &str, url: &str) -> Result<u64, tokio_postgres::Error> {
        self.client.execute("INSERT INTO webhooks (provider, url) VALUES ($1, $2)", &[&provider, &url]).await
    }
}

#[derive(Deserialize)]
struct SearchParams {
    q: String,
    min_price: Option<i64>,
}

#[derive(Deserialize)]
struct IntegrationBody {
    provider: String,
    api_secret: String,
    webhook_url: Option<String>,
}

type Shared = Arc<Client>;

async fn search(State(db): State<Shared>, headers: HeaderMap, Query(p): Query<SearchParams>) -> Result<Json<Vec<String>>, StatusCode> {
    let session = TenantSession::bind(db, &headers).ok_or(StatusCode::BAD_REQUEST)?;
    session.provision().await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let rows = if let Some(sku) = p.q.strip_prefix("sku:") {
        session.product_by_sku(sku).await.map(|o| o.into_iter().collect())
    } else {
        session.find_products(&p.q, p.min_price.unwrap_or(0)).await
    };
    rows.map(Json).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

async fn archive(State(db): State<Shared>, headers: HeaderMap, Query(q): Query<std::collections::HashMap<String, String>>) -> StatusCode {
    let Some(session) = TenantSession::bind(db, &headers) else { return StatusCode::BAD_REQUEST };
    let table = q.get("table").map(String::as_str).unwrap_or("orders");
    match session.archive_table(table).await {
        Ok(n) => {
            log::info!("archived {} rows from {}", n, table);
            StatusCode::OK
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn integrate(State(db): State<Shared>, headers: HeaderMap, Json(body): Json<IntegrationBody>) -> StatusCode {
    let Some(session) = TenantSession::bind(db, &headers) else { return StatusCode::BAD_REQUEST };
    if session.save_integration(&body.provider, &body.api_secret).await.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    if let Some(url) = body.webhook_url.as_deref() {
        let _ = session.save_webhook(&body.provider, url).await;
    }
    StatusCode::CREATED
}

pub async fn app() -> Result<Router, tokio_postgres::Error> {
    let client = DbSettings::from_env().connect().await?;
    Ok(Router::new()
        .route("/products", get(search))
        .route("/archive", post(archive))
        .route("/integrations", post(integrate))
        .with_state(Arc::new(client)))
}
