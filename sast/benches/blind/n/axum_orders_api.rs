//! Order lookup and reporting endpoints for the storefront back office.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use jsonwebtoken::{encode, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use std::sync::Arc;
use tracing::{info, warn};

#[derive(Clone)]
pub struct AppState {
    orders: Arc<OrderRepository>,
    jwt_secret: Arc<Vec<u8>>,
}

#[derive(Deserialize)]
pub struct OrderFilter {
    status: Option<String>,
    customer: Option<String>,
    sort: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct Claims {
    sub: String,
    exp: usize,
}

#[derive(Serialize)]
pub struct OrderSummary {
    id: i64,
    customer: String,
    total_cents: i64,
}

pub struct OrderRepository {
    pool: PgPool,
}

impl OrderRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    fn order_clause(sort: Option<&str>) -> &'static str {
        match sort {
            Some("total") => "ORDER BY total_cents DESC",
            Some("customer") => "ORDER BY customer ASC",
            _ => "ORDER BY created_at DESC",
        }
    }

    pub async fn by_status(
        &self,
        status: &str,
        sort: Option<&str>,
    ) -> sqlx::Result<Vec<OrderSummary>> {
        let sql = format!(
            "SELECT id, customer, total_cents FROM orders WHERE status = $1 {}",
            Self::order_clause(sort)
        );
        let rows = sqlx::query(&sql).bind(status).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(row_to_summary).collect())
    }

    pub async fn by_customer(&self, customer: &str) -> sqlx::Result<Vec<OrderSummary>> {
        let sql = format!(
            "SELECT id, customer, total_cents FROM orders WHERE customer = '{}'",
            customer
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?; //~ sql-injection
        Ok(rows.iter().map(row_to_summary).collect())
    }

    pub async fn find(&self, id_fragment: &str) -> sqlx::Result<Option<OrderSummary>> {
        let mut sql = String::from("SELECT id, customer, total_cents FROM orders WHERE id = ");
        sql.push_str(id_fragment);
        let row = sqlx::query(&sql).fetch_optional(&self.pool).await?; //~ sql-injection
        Ok(row.as_ref().map(row_to_summary))
    }

    pub async fn find_checked(&self, id: i64) -> sqlx::Result<Option<OrderSummary>> {
        let sql = format!(
            "SELECT id, customer, total_cents FROM orders WHERE id = {}",
            id
        );
        let row = sqlx::query(&sql).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(row_to_summary))
    }

    pub async fn archive_older_than(&self, days: &str) -> sqlx::Result<u64> {
        let stmt = build_archive_statement(days);
        let done = sqlx::query(&stmt).execute(&self.pool).await?; //~ sql-injection
        Ok(done.rows_affected())
    }

    pub async fn verify_credentials(&self, user: &str, pass: &str) -> sqlx::Result<bool> {
        let row =
            sqlx::query("SELECT crypt($2, pw_hash) = pw_hash AS ok FROM staff WHERE login = $1")
                .bind(user)
                .bind(pass)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.get::<bool, _>("ok")).unwrap_or(false))
    }
}

fn build_archive_statement(days: &str) -> String {
    format!(
        "UPDATE orders SET archived = true WHERE created_at < now() - interval '{} days'",
        days
    )
}

fn row_to_summary(row: &sqlx::postgres::PgRow) -> OrderSummary {
    OrderSummary {
        id: row.get("id"),
        customer: row.get("customer"),
        total_cents: row.get("total_cents"),
    }
}

async fn list_orders(
    State(state): State<AppState>,
    Query(filter): Query<OrderFilter>,
) -> Result<Json<Vec<OrderSummary>>, StatusCode> {
    let result = match (&filter.status, &filter.customer) {
        (Some(status), _) => state.orders.by_status(status, filter.sort.as_deref()).await,
        (None, Some(customer)) => state.orders.by_customer(customer).await,
        (None, None) => state.orders.by_status("open", None).await,
    };
    result
        .map(Json)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

async fn get_order(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
) -> Result<Json<OrderSummary>, StatusCode> {
    let found = if let Ok(id) = raw_id.parse::<i64>() {
        state.orders.find_checked(id).await
    } else {
        state.orders.find(&raw_id).await
    };
    match found {
        Ok(Some(order)) => Ok(Json(order)),
        Ok(None) => Err(StatusCode::NOT_FOUND),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

async fn archive(
    State(state): State<AppState>,
    Path(days): Path<String>,
) -> Result<String, StatusCode> {
    let n = state
        .orders
        .archive_older_than(&days)
        .await
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok(format!("archived {n} orders"))
}

fn issue_token(state: &AppState, user: &str) -> Option<String> {
    let claims = Claims {
        sub: user.to_owned(),
        exp: 2_000_000_000,
    };
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(&state.jwt_secret),
    )
    .ok()
}

fn issue_support_token(user: &str) -> Option<String> {
    let claims = Claims {
        sub: format!("support:{user}"),
        exp: 2_000_000_000,
    };
    let key = EncodingKey::from_secret(b"s3rv1ce-d3sk-2019-signing!"); //~ hardcoded-crypto-key
    encode(&Header::default(), &claims, &key).ok()
}

fn audit_rejected(user: &str, attempted: &str) {
    warn!(user, attempted, "login rejected"); //~ cleartext-logging
}

async fn login(
    State(state): State<AppState>,
    Json(form): Json<LoginForm>,
) -> Result<String, StatusCode> {
    info!(user = %form.username, "login attempt");
    let ok = state
        .orders
        .verify_credentials(&form.username, &form.password)
        .await
        .unwrap_or(false);
    if !ok {
        audit_rejected(&form.username, &form.password);
        return Err(StatusCode::UNAUTHORIZED);
    }
    let token = if form.username.starts_with("support-") {
        issue_support_token(&form.username)
    } else {
        issue_token(&state, &form.username)
    };
    token.ok_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub fn router(pool: PgPool) -> Router {
    let secret = std::env::var("ORDERS_JWT_SECRET").expect("ORDERS_JWT_SECRET must be set");
    let state = AppState {
        orders: Arc::new(OrderRepository::new(pool)),
        jwt_secret: Arc::new(secret.into_bytes()),
    };
    Router::new()
        .route("/orders", get(list_orders))
        .route("/orders/:id", get(get_order))
        .route("/orders/archive/:days", post(archive))
        .route("/login", post(login))
        .with_state(state)
}
