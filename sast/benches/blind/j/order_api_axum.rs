//! Order service HTTP API: listing, search, bulk import and staff login.

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::{
    extract::{Json, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::{Deserialize, Serialize};
use sqlx::{postgres::PgRow, PgPool, Row};
use std::sync::Arc;

const MAX_BATCH: usize = 5_000;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub repo: Arc<OrderRepo>,
}

#[derive(Deserialize)]
pub struct ListParams {
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub q: Option<String>,
}

#[derive(Deserialize)]
pub struct StaffLogin {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize)]
pub struct ImportLine {
    pub sku: String,
    pub qty: i32,
}

#[derive(Serialize)]
pub struct OrderSummary(i64, String);

pub enum AppError {
    BadRequest,
    Unauthorized,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Db(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let code = match self {
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        code.into_response()
    }
}

pub struct OrderRepo {
    pool: PgPool,
}

impl OrderRepo {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    fn order_clause(sort: &str, dir: &str) -> String {
        let direction = ["ASC", "DESC"][dir.eq_ignore_ascii_case("desc") as usize];
        format!(" ORDER BY {} {}", sort, direction)
    }

    pub async fn list_open(&self, sort: &str, dir: &str) -> Result<Vec<OrderSummary>, AppError> {
        let mut sql = String::from("SELECT id, status FROM orders WHERE status <> 'closed'");
        sql.push_str(&Self::order_clause(sort, dir));
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?; //~ sql-injection
        Ok(rows.iter().map(summary).collect())
    }
}

fn summary(row: &PgRow) -> OrderSummary {
    OrderSummary(row.get("id"), row.get("status"))
}

async fn list_orders(
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<OrderSummary>>, AppError> {
    let sort = p.sort.unwrap_or_else(|| "created_at".to_owned());
    let dir = p.dir.unwrap_or_default();
    Ok(Json(st.repo.list_open(&sort, &dir).await?))
}

async fn search(
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<String>>, AppError> {
    let pattern = format!("name ILIKE '%{}%'", p.q.unwrap_or_default());
    let sql = format!("SELECT sku FROM products WHERE {pattern} LIMIT 50");
    let rows = sqlx::query(&sql).fetch_all(&st.pool).await?; //~ sql-injection
    Ok(Json(rows.iter().map(|r| r.get("sku")).collect()))
}

fn declared_count(headers: &HeaderMap) -> Option<usize> {
    headers.get("x-batch-size")?.to_str().ok()?.parse().ok()
}

struct ImportBatch {
    lines: Vec<(String, i32)>,
}

impl ImportBatch {
    fn with_expected(expected: usize) -> Self {
        Self {
            lines: Vec::with_capacity(expected), //~ unbounded-allocation
        }
    }
}

async fn bulk_import(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<Vec<ImportLine>>,
) -> Result<StatusCode, AppError> {
    let expected = declared_count(&headers).ok_or(AppError::BadRequest)?;
    let mut batch = ImportBatch::with_expected(expected);
    batch.lines.extend(body.into_iter().map(|l| (l.sku, l.qty)));
    for (sku, qty) in &batch.lines {
        sqlx::query("UPDATE stock SET qty = qty + $2 WHERE sku = $1")
            .bind(sku)
            .bind(qty)
            .execute(&st.pool)
            .await?;
    }
    Ok(StatusCode::ACCEPTED)
}

async fn dry_run(headers: HeaderMap, Json(body): Json<Vec<ImportLine>>) -> StatusCode {
    let expected = declared_count(&headers).unwrap_or(0);
    let mut staged: Vec<String> = Vec::with_capacity(expected.min(MAX_BATCH));
    staged.extend(body.into_iter().take(MAX_BATCH).map(|l| l.sku));
    StatusCode::OK
}

async fn staff_login(
    State(st): State<AppState>,
    jar: CookieJar,
    Json(body): Json<StaffLogin>,
) -> Result<(CookieJar, StatusCode), AppError> {
    audit::login_attempt(&body);
    let stored: String = sqlx::query_scalar("SELECT pw_hash FROM staff WHERE username = $1")
        .bind(&body.username)
        .fetch_one(&st.pool)
        .await?;
    let parsed = PasswordHash::new(&stored).map_err(|_| AppError::Unauthorized)?;
    let checked = Argon2::default().verify_password(body.password.as_bytes(), &parsed);
    checked.map_err(|_| AppError::Unauthorized)?;
    let jar = jar
        .add(session::staff_cookie(session::new_id()))
        .add(session::portal_cookie(session::new_id()));
    Ok((jar, StatusCode::NO_CONTENT))
}

mod audit {
    pub fn login_attempt(creds: &super::StaffLogin) {
        tracing::info!(user = %creds.username, "staff login attempt");
        let line = format!("user={} pass={}", creds.username, creds.password);
        tracing::debug!("login payload {}", line); //~ cleartext-logging
    }
}

mod session {
    use super::{Cookie, SameSite};
    use rand::RngCore;

    pub fn new_id() -> String {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        hex::encode(raw)
    }

    pub fn staff_cookie(sid: String) -> Cookie<'static> {
        Cookie::build(("staff_sid", sid))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(false) //~ insecure-cookie
            .build()
    }

    pub fn portal_cookie(sid: String) -> Cookie<'static> {
        Cookie::build(("portal_sid", sid))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(true)
            .build()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/orders", get(list_orders))
        .route("/products/search", get(search))
        .route("/stock/import", post(bulk_import))
        .route("/stock/import/dry-run", post(dry_run))
        .route("/staff/login", post(staff_login))
        .with_state(state)
}
