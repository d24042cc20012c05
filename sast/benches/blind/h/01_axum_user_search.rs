use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::{
    extract::{Json, Path, Query, State},
    http::StatusCode,
    routing::{delete, get, post},
    Router,
};
use rusqlite::{params, Connection};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
struct AppState {
    db: Arc<Mutex<Connection>>,
}

#[derive(Deserialize)]
struct SearchParams {
    name: Option<String>,
    sort: Option<String>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

const SORT_COLUMNS: &[&str] = &["name", "created_at", "email"];

fn name_filter(p: &SearchParams) -> String {
    match &p.name {
        Some(n) if !n.is_empty() => format!("WHERE name LIKE '%{}%'", n),
        _ => String::new(),
    }
}

fn sort_clause(p: &SearchParams) -> &'static str {
    let wanted = p.sort.as_deref().unwrap_or("name");
    SORT_COLUMNS.iter().find(|c| **c == wanted).copied().unwrap_or("name")
}

async fn search_users(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<(i64, String)>>, StatusCode> {
    let limit = p.limit.unwrap_or(20).min(100);
    let sql = format!(
        "SELECT id, name FROM users {} ORDER BY {} LIMIT {}",
        name_filter(&p),
        sort_clause(&p),
        limit
    );
    let conn = st.db.lock().unwrap();
    let mut stmt = conn.prepare(&sql).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?; //~ sql-injection
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(rows.filter_map(Result::ok).collect()))
}

async fn search_users_v2(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<(i64, String)>>, StatusCode> {
    let limit = p.limit.unwrap_or(20).min(100);
    let pattern = format!("%{}%", p.name.clone().unwrap_or_default());
    let sql = format!("SELECT id, name FROM users WHERE name LIKE ?1 ORDER BY {} LIMIT ?2", sort_clause(&p));
    let conn = st.db.lock().unwrap();
    let mut stmt = conn.prepare(&sql).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let rows = stmt
        .query_map(params![pattern, limit], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(rows.filter_map(Result::ok).collect()))
}

fn stored_hash(conn: &Connection, username: &str) -> rusqlite::Result<String> {
    let mut q = String::from("SELECT password_hash FROM users WHERE username = '");
    q.push_str(username);
    q.push('\'');
    conn.query_row(&q, [], |r| r.get(0)) //~ sql-injection
}

fn record_audit(conn: &Connection, user: &str, action: &str) -> rusqlite::Result<usize> {
    conn.execute("INSERT INTO audit(user, action) VALUES (?1, ?2)", params![user, action])
}

fn verify(form: &LoginForm, hash: &str) -> bool {
    let parsed = match PasswordHash::new(hash) {
        Ok(h) => h,
        Err(_) => return false,
    };
    let ok = Argon2::default().verify_password(form.password.as_bytes(), &parsed).is_ok();
    if !ok {
        eprintln!("verify failed for {} using '{}'", form.username, form.password); //~ cleartext-logging
    }
    ok
}

async fn login(State(st): State<AppState>, Json(form): Json<LoginForm>) -> StatusCode {
    log::info!("login attempt user={}", form.username);
    log::debug!("login payload user={} pw={}", form.username, form.password); //~ cleartext-logging
    let conn = st.db.lock().unwrap();
    let hash = match stored_hash(&conn, &form.username) {
        Ok(h) => h,
        Err(_) => return StatusCode::UNAUTHORIZED,
    };
    let _ = record_audit(&conn, &form.username, "login");
    if verify(&form, &hash) {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

async fn delete_user(State(st): State<AppState>, Path(id): Path<String>) -> StatusCode {
    let conn = st.db.lock().unwrap();
    let sql = "DELETE FROM users WHERE id = ".to_owned() + &id;
    match conn.execute(&sql, []) { //~ sql-injection
        Ok(_) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

async fn archive_user(State(st): State<AppState>, Path(id): Path<i64>) -> StatusCode {
    let conn = st.db.lock().unwrap();
    let sql = format!("UPDATE users SET archived = 1 WHERE id = {}", id);
    match conn.execute(&sql, []) {
        Ok(_) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

pub fn router(db: Connection) -> Router {
    let state = AppState { db: Arc::new(Mutex::new(db)) };
    Router::new()
        .route("/users", get(search_users))
        .route("/v2/users", get(search_users_v2))
        .route("/login", post(login))
        .route("/users/:id", delete(delete_user))
        .route("/users/:id/archive", post(archive_user))
        .with_state(state)
}
