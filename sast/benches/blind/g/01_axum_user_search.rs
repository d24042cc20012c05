use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{delete, get, post},
    Form, Json, Router,
};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use tracing::{info, warn};

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

#[derive(Serialize)]
struct User {
    id: i64,
    name: String,
    email: String,
}

fn order_column(sort: Option<&str>) -> &'static str {
    match sort {
        Some("email") => "email",
        Some("created") => "created_at",
        _ => "name",
    }
}

fn name_clause(name: &str) -> String {
    format!(" WHERE name LIKE '%{}%'", name)
}

fn delete_statement(id: &str) -> String {
    format!("DELETE FROM users WHERE id = {}", id)
}

fn collect_users(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<User>> {
    let mut stmt = conn.prepare(sql)?; //~ sql-injection
    let rows = stmt.query_map([], |r| {
        Ok(User { id: r.get(0)?, name: r.get(1)?, email: r.get(2)? })
    })?;
    rows.collect()
}

async fn search(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<User>>, StatusCode> {
    let mut sql = String::from("SELECT id, name, email FROM users");
    if let Some(name) = p.name.as_deref() {
        sql.push_str(&name_clause(name));
    }
    sql.push_str(" ORDER BY ");
    sql.push_str(order_column(p.sort.as_deref()));
    let conn = st.db.lock().unwrap();
    collect_users(&conn, &sql).map(Json).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

async fn search_paged(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<User>>, StatusCode> {
    let conn = st.db.lock().unwrap();
    let limit = p.limit.unwrap_or(50).min(500);
    let pattern = format!("%{}%", p.name.unwrap_or_default());
    let sql = format!(
        "SELECT id, name, email FROM users WHERE name LIKE ?1 ORDER BY {} LIMIT ?2",
        order_column(p.sort.as_deref())
    );
    let mut stmt = conn.prepare(&sql).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let users = stmt
        .query_map(params![pattern, limit], |r| {
            Ok(User { id: r.get(0)?, name: r.get(1)?, email: r.get(2)? })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(users))
}

async fn remove_user(State(st): State<AppState>, Path(id): Path<String>) -> StatusCode {
    let conn = st.db.lock().unwrap();
    let _ = conn.execute("DELETE FROM sessions WHERE user_id = ?1", params![id]);
    match conn.execute(&delete_statement(&id), []) { //~ sql-injection
        Ok(1) => StatusCode::NO_CONTENT,
        Ok(_) => StatusCode::NOT_FOUND,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn audit_login(form: &LoginForm, ok: bool) {
    info!(user = %form.username, success = ok, "login attempt");
    if !ok {
        warn!("failed login for {} with password {}", form.username, form.password); //~ cleartext-logging
    }
}

async fn login(State(st): State<AppState>, Form(form): Form<LoginForm>) -> StatusCode {
    let conn = st.db.lock().unwrap();
    let q = "SELECT password_hash FROM users WHERE name = '".to_owned() + &form.username + "' AND active = 1";
    let hash: Option<String> = conn.query_row(&q, [], |r| r.get(0)).optional().unwrap_or(None); //~ sql-injection
    let ok = hash
        .map(|h| bcrypt::verify(&form.password, &h).unwrap_or(false))
        .unwrap_or(false);
    audit_login(&form, ok);
    if ok {
        let _ = conn.execute(
            "UPDATE users SET last_login = datetime('now') WHERE name = ?1",
            params![form.username],
        );
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

pub fn router(db: Connection) -> Router {
    let state = AppState { db: Arc::new(Mutex::new(db)) };
    Router::new()
        .route("/users", get(search))
        .route("/users/paged", get(search_paged))
        .route("/users/:id", delete(remove_user))
        .route("/login", post(login))
        .with_state(state)
}
