use axum::{extract::{Form, Query, State}, http::StatusCode, response::IntoResponse};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use mysql::prelude::Queryable;
use mysql::{params, Pool};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Clone)]
struct Ctx {
    pool: Pool,
    orm: DatabaseConnection,
}

#[derive(Deserialize)]
struct StockQuery {
    sku: String,
    warehouse: Option<String>,
}

#[derive(Deserialize)]
struct ClientReg {
    name: String,
    client_secret: String,
}

fn warehouse_clause(q: &StockQuery) -> String {
    q.warehouse.as_ref().map(|w| format!(" AND warehouse = '{}'", w)).unwrap_or_default()
}

async fn stock(State(ctx): State<Ctx>, Query(q): Query<StockQuery>) -> Result<String, StatusCode> {
    let mut conn = ctx.pool.get_conn().map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let sql = format!("SELECT qty FROM stock WHERE sku = '{}'{}", q.sku, warehouse_clause(&q));
    let qty: Vec<i64> = conn.query(sql).map_err(|_| StatusCode::BAD_REQUEST)?; //~ sql-injection
    Ok(qty.iter().sum::<i64>().to_string())
}

async fn stock_bound(State(ctx): State<Ctx>, Query(q): Query<StockQuery>) -> Result<String, StatusCode> {
    let mut conn = ctx.pool.get_conn().map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let qty: Vec<i64> = conn
        .exec("SELECT qty FROM stock WHERE sku = :sku AND warehouse = :wh", params! { "sku" => &q.sku, "wh" => q.warehouse.as_deref().unwrap_or("main") })
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok(qty.iter().sum::<i64>().to_string())
}

async fn adjust(State(ctx): State<Ctx>, Form(f): Form<HashMap<String, String>>) -> StatusCode {
    let Ok(mut conn) = ctx.pool.get_conn() else { return StatusCode::SERVICE_UNAVAILABLE };
    let sets: Vec<String> = f.iter().filter(|(k, _)| k.starts_with("sku_")).map(|(k, v)| format!("('{}', {})", &k[4..], v)).collect();
    let stmt = format!("INSERT INTO adjustments (sku, delta) VALUES {}", sets.join(", "));
    match conn.query_drop(stmt) { //~ sql-injection
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

async fn search_orm(State(ctx): State<Ctx>, Query(q): Query<StockQuery>) -> Result<String, StatusCode> {
    let raw = Statement::from_string(DbBackend::MySql, format!("SELECT name FROM products WHERE sku LIKE '{}%'", q.sku));
    let rows = ctx.orm.query_all(raw).await.map_err(|_| StatusCode::BAD_REQUEST)?; //~ sql-injection
    let bound = Statement::from_sql_and_values(DbBackend::MySql, "SELECT name FROM products WHERE sku LIKE ?", [format!("{}%", q.sku).into()]);
    let rows2 = ctx.orm.query_all(bound).await.map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok(format!("{} {}", rows.len(), rows2.len()))
}

async fn register_client(State(ctx): State<Ctx>, Form(reg): Form<ClientReg>) -> StatusCode {
    let Ok(mut conn) = ctx.pool.get_conn() else { return StatusCode::SERVICE_UNAVAILABLE };
    let hashed = bcrypt::hash(&reg.client_secret, 12).unwrap_or_default();
    let _ = conn.exec_drop("INSERT INTO api_clients (name, secret_hash) VALUES (?, ?)", (&reg.name, &hashed));
    let r = conn.exec_drop("INSERT INTO api_clients_legacy (name, secret) VALUES (?, ?)", (&reg.name, &reg.client_secret)); //~ cleartext-storage
    if r.is_ok() { StatusCode::CREATED } else { StatusCode::INTERNAL_SERVER_ERROR }
}

fn persist_sessions(sessions: &HashMap<String, String>) -> std::io::Result<()> {
    let body = serde_json::to_string_pretty(sessions).unwrap_or_default();
    std::fs::write("/var/lib/inventory/sessions.json", body) //~ cleartext-storage
}

fn persist_session_count(sessions: &HashMap<String, String>) -> std::io::Result<()> {
    std::fs::write("/var/lib/inventory/session_count", sessions.len().to_string())
}

fn session_cookie(token: String) -> Cookie<'static> {
    let mut c = Cookie::new("inv_session", token); //~ cookie-without-samesite
    c.set_secure(true);
    c.set_http_only(true);
    c.set_path("/");
    c
}

fn session_cookie_strict(token: String) -> Cookie<'static> {
    Cookie::build(("inv_session", token)).secure(true).http_only(true).same_site(SameSite::Strict).path("/").build()
}

fn operator_cookie(token: String) -> Cookie<'static> {
    Cookie::build(("operator_auth", token)).http_only(true).same_site(SameSite::Lax).secure(false).build() //~ insecure-cookie
}

fn scanner_cookie(token: String) -> Cookie<'static> {
    Cookie::build(("scanner_token", token)).secure(true).http_only(false).same_site(SameSite::Strict).build() //~ cookie-without-httponly
}

async fn login(jar: CookieJar, Form(f): Form<HashMap<String, String>>) -> impl IntoResponse {
    let token = uuid::Uuid::new_v4().to_string();
    let mut sessions = HashMap::new();
    sessions.insert(f.get("user").cloned().unwrap_or_default(), token.clone());
    let _ = persist_sessions(&sessions);
    let _ = persist_session_count(&sessions);
    let jar = match f.get("mode").map(String::as_str) {
        Some("operator") => jar.add(operator_cookie(token)),
        Some("scanner") => jar.add(scanner_cookie(token)),
        Some("compat") => jar.add(session_cookie(token)),
        _ => jar.add(session_cookie_strict(token)),
    };
    (jar, StatusCode::OK)
}
