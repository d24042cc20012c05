//! Multi-tenant usage reporting (axum + sea-orm, legacy invoices via diesel).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
struct AppState {
    db: DatabaseConnection,
    legacy: Arc<Mutex<PgConnection>>,
}

#[derive(Deserialize)]
struct UsageQuery {
    month: String,
}

#[derive(Deserialize)]
struct InvoiceQuery {
    prefix: String,
    exact: Option<String>,
}

#[derive(QueryableByName)]
struct InvoiceRow {
    #[diesel(sql_type = Text)]
    number: String,
}

fn tenant_from(headers: &HeaderMap) -> Option<String> {
    headers.get("x-tenant")?.to_str().ok().map(str::to_owned)
}

fn usage_sql(tenant: &str, month: &str) -> String {
    let table = format!("usage_{}", tenant);
    format!("SELECT feature, SUM(units) AS units FROM {table} WHERE month = '{month}' GROUP BY 1")
}

async fn usage(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<UsageQuery>,
) -> Result<Json<Vec<(String, i64)>>, StatusCode> {
    let tenant = tenant_from(&headers).ok_or(StatusCode::BAD_REQUEST)?;
    let stmt = Statement::from_string(DbBackend::Postgres, usage_sql(&tenant, &q.month));
    let result = st.db.query_all(stmt).await; //~ sql-injection
    let rows = result.map_err(|_| StatusCode::BAD_REQUEST)?;
    let out = rows
        .iter()
        .filter_map(|r| Some((r.try_get("", "feature").ok()?, r.try_get("", "units").ok()?)))
        .collect();
    Ok(Json(out))
}

async fn quota(State(st): State<AppState>, headers: HeaderMap) -> Result<String, StatusCode> {
    let tenant = tenant_from(&headers).ok_or(StatusCode::BAD_REQUEST)?;
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT quota FROM tenants WHERE slug = $1",
        [tenant.into()],
    );
    let row = st
        .db
        .query_one(stmt)
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let quota: i64 = row.and_then(|r| r.try_get("", "quota").ok()).unwrap_or(0);
    Ok(quota.to_string())
}

fn search_invoices(conn: &mut PgConnection, prefix: &str) -> diesel::QueryResult<Vec<InvoiceRow>> {
    let sql = format!(
        "SELECT number FROM invoices WHERE number LIKE '{}%' LIMIT 100",
        prefix
    );
    diesel::sql_query(sql).load(conn) //~ sql-injection
}

fn find_invoice(conn: &mut PgConnection, number: &str) -> diesel::QueryResult<Vec<InvoiceRow>> {
    diesel::sql_query("SELECT number FROM invoices WHERE number = $1")
        .bind::<Text, _>(number)
        .load(conn)
}

async fn invoices(State(st): State<AppState>, Query(q): Query<InvoiceQuery>) -> Json<Vec<String>> {
    let mut conn = st.legacy.lock().expect("legacy connection");
    let rows = match q.exact.as_deref() {
        Some(number) => find_invoice(&mut conn, number),
        None => search_invoices(&mut conn, &q.prefix),
    };
    Json(
        rows.unwrap_or_default()
            .into_iter()
            .map(|r| r.number)
            .collect(),
    )
}

fn tenant_master_key() -> [u8; 32] {
    *b"tenant-export-master-key-000001!"
}

fn export_key_from_env() -> Option<[u8; 32]> {
    let hex_key = std::env::var("TENANT_EXPORT_KEY").ok()?;
    hex::decode(hex_key).ok()?.try_into().ok()
}

fn seal_export(payload: &[u8], nonce: &[u8; 12]) -> Vec<u8> {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&tenant_master_key())); //~ hardcoded-crypto-key
    cipher
        .encrypt(Nonce::from_slice(nonce), payload)
        .unwrap_or_default()
}

fn seal_export_v2(payload: &[u8], nonce: &[u8; 12]) -> Option<Vec<u8>> {
    let key = export_key_from_env()?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
    cipher.encrypt(Nonce::from_slice(nonce), payload).ok()
}

async fn export(headers: HeaderMap, body: axum::body::Bytes) -> Result<Vec<u8>, StatusCode> {
    let tenant = tenant_from(&headers).ok_or(StatusCode::BAD_REQUEST)?;
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info!(tenant = %tenant, api_key = %api_key, "export requested"); //~ cleartext-logging
    tracing::info!(tenant = %tenant, key_len = api_key.len(), "export authorised");
    let mut nonce = [0u8; 12];
    getrandom::getrandom(&mut nonce).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let sealed = match seal_export_v2(&body, &nonce) {
        Some(v) => v,
        None => seal_export(&body, &nonce),
    };
    Ok([nonce.to_vec(), sealed].concat())
}

fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn tenant_cookie(session: String) -> Cookie<'static> {
    Cookie::build(("tenant_session", session)) //~ cookie-without-httponly
        .path("/")
        .secure(true)
        .same_site(SameSite::Lax)
        .build()
}

fn csrf_cookie(value: String) -> Cookie<'static> {
    Cookie::build(("tenant_session_csrf", value))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .build()
}

async fn select_tenant(jar: CookieJar, headers: HeaderMap) -> (CookieJar, StatusCode) {
    if tenant_from(&headers).is_none() {
        return (jar, StatusCode::BAD_REQUEST);
    }
    let jar = jar
        .add(tenant_cookie(new_session_id()))
        .add(csrf_cookie(new_session_id()));
    (jar, StatusCode::NO_CONTENT)
}

pub fn router(state: AppState) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/usage", get(usage))
        .route("/quota", get(quota))
        .route("/invoices", get(invoices))
        .route("/export", post(export))
        .route("/tenant/select", post(select_tenant))
        .with_state(state)
}
