use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
    Json, Router,
};
use rand::{distributions::Alphanumeric, Rng};
use serde::{Deserialize, Serialize};
use sqlx::{postgres::PgRow, PgPool, Row};
use std::sync::Arc;
use tracing::{info, warn};

#[derive(Clone)]
struct AppState {
    repo: Arc<OrderRepository>,
}

#[derive(Deserialize)]
struct ListParams {
    status: Option<String>,
    sort: Option<String>,
    limit: Option<i64>,
}

#[derive(Deserialize)]
struct SearchBody {
    term: String,
    region: String,
}

#[derive(Serialize)]
struct OrderRow {
    id: i64,
    customer: String,
    total_cents: i64,
}

const EXPORT_COLUMNS: &[&str] = &["created_at", "total_cents", "id", "customer"];

fn to_order(row: &PgRow) -> OrderRow {
    OrderRow {
        id: row.get("id"),
        customer: row.get("customer"),
        total_cents: row.get("total_cents"),
    }
}

struct OrderRepository {
    pool: PgPool,
}

impl OrderRepository {
    fn order_clause(sort: Option<&str>) -> &'static str {
        match sort {
            Some("total") => "total_cents DESC",
            Some("oldest") => "created_at ASC",
            _ => "created_at DESC",
        }
    }

    async fn list(&self, status: &str, sort: Option<&str>, limit: i64) -> sqlx::Result<Vec<OrderRow>> {
        let sql = format!(
            "SELECT id, customer, total_cents FROM orders WHERE status = $1 ORDER BY {} LIMIT $2",
            Self::order_clause(sort)
        );
        let rows = sqlx::query(&sql).bind(status).bind(limit.clamp(1, 500)).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(to_order).collect())
    }

    async fn by_customer(&self, customer: &str) -> sqlx::Result<Vec<OrderRow>> {
        let sql = format!("SELECT id, customer, total_cents FROM orders WHERE customer = '{}'", customer);
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?; //~ sql-injection
        Ok(rows.iter().map(to_order).collect())
    }

    async fn by_id(&self, id: i64) -> sqlx::Result<Option<OrderRow>> {
        let sql = format!("SELECT id, customer, total_cents FROM orders WHERE id = {}", id);
        let row = sqlx::query(&sql).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(to_order))
    }

    async fn run_filtered(&self, filter: &str, region: &str) -> sqlx::Result<Vec<OrderRow>> {
        let rows = sqlx::query(&format!("SELECT id, customer, total_cents FROM orders WHERE {} AND region = $1", filter)).bind(region).fetch_all(&self.pool).await?; //~ sql-injection
        Ok(rows.iter().map(to_order).collect())
    }

    async fn search(&self, body: &SearchBody) -> sqlx::Result<Vec<OrderRow>> {
        let filter = format!("description ILIKE '%{}%'", body.term.trim());
        self.run_filtered(&filter, &body.region).await
    }

    async fn export_sorted(&self, column: &str) -> sqlx::Result<Vec<OrderRow>> {
        let query = ["SELECT id, customer, total_cents FROM orders ORDER BY ", column].concat();
        let rows = sqlx::query(&query).fetch_all(&self.pool).await?; //~ sql-injection
        Ok(rows.iter().map(to_order).collect())
    }

    async fn export_checked(&self, column: &str) -> sqlx::Result<Vec<OrderRow>> {
        if !EXPORT_COLUMNS.contains(&column) {
            return Ok(Vec::new());
        }
        let query = format!("SELECT id, customer, total_cents FROM orders ORDER BY {}", column);
        let rows = sqlx::query(&query).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(to_order).collect())
    }

    async fn store_api_key(&self, owner: &str, key: &str) -> sqlx::Result<()> {
        let digest = sha256_hex(key);
        sqlx::query("INSERT INTO api_keys (owner, key_sha256) VALUES ($1, $2)").bind(owner).bind(&digest).execute(&self.pool).await?;
        self.audit("api_key.rotated", owner, key);
        Ok(())
    }

    fn audit(&self, event: &str, owner: &str, material: &str) {
        info!(event, owner, "audit event");
        warn!("key material for {}: {}", owner, material); //~ cleartext-logging
    }
}

fn sha256_hex(input: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(input.as_bytes()))
}

async fn list_orders(State(st): State<AppState>, Query(p): Query<ListParams>) -> Result<Json<Vec<OrderRow>>, StatusCode> {
    let status = p.status.unwrap_or_else(|| "open".to_string());
    st.repo
        .list(&status, p.sort.as_deref(), p.limit.unwrap_or(50))
        .await
        .map(Json)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

async fn customer_orders(State(st): State<AppState>, Path(customer): Path<String>) -> Result<Json<Vec<OrderRow>>, StatusCode> {
    st.repo.by_customer(&customer).await.map(Json).map_err(|_| StatusCode::BAD_REQUEST)
}

async fn order_detail(State(st): State<AppState>, Path(id): Path<i64>) -> Result<Json<OrderRow>, StatusCode> {
    match st.repo.by_id(id).await {
        Ok(Some(o)) => Ok(Json(o)),
        Ok(None) => Err(StatusCode::NOT_FOUND),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

async fn search_orders(State(st): State<AppState>, Json(body): Json<SearchBody>) -> Result<Json<Vec<OrderRow>>, StatusCode> {
    st.repo.search(&body).await.map(Json).map_err(|_| StatusCode::BAD_REQUEST)
}

async fn export_orders(State(st): State<AppState>, headers: HeaderMap) -> Result<Json<Vec<OrderRow>>, StatusCode> {
    let column = headers.get("x-sort-column").and_then(|v| v.to_str().ok()).unwrap_or("id").to_owned();
    let result = if headers.contains_key("x-strict") {
        st.repo.export_checked(&column).await
    } else {
        st.repo.export_sorted(&column).await
    };
    result.map(Json).map_err(|_| StatusCode::BAD_REQUEST)
}

async fn rotate_key(State(st): State<AppState>, Path(owner): Path<String>) -> Result<String, StatusCode> {
    let key: String = rand::thread_rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect();
    st.repo.store_api_key(&owner, &key).await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(key)
}

pub fn router(pool: PgPool) -> Router {
    let state = AppState { repo: Arc::new(OrderRepository { pool }) };
    Router::new()
        .route("/orders", get(list_orders))
        .route("/orders/:id", get(order_detail))
        .route("/customers/:customer/orders", get(customer_orders))
        .route("/orders/search", post(search_orders))
        .route("/orders/export", get(export_orders))
        .route("/owners/:owner/api-key", post(rotate_key))
        .with_state(state)
}
