// Scenario: an axum user-directory service backed by Postgres via sqlx.
// Search and sorting parameters arrive in the query string.
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};

#[derive(Deserialize)]
pub struct SearchParams {
    name: Option<String>,
    sort: Option<String>,
    team: Option<String>,
}

#[derive(Serialize)]
pub struct UserRow {
    id: i64,
    name: String,
}

#[derive(Clone)]
pub struct AppState {
    pool: PgPool,
}

fn order_clause(sort: Option<&str>) -> &'static str {
    match sort {
        Some("name") => "ORDER BY name ASC",
        Some("created") => "ORDER BY created_at DESC",
        _ => "ORDER BY id ASC",
    }
}

fn team_filter(team: &str) -> String {
    format!("AND team = '{}'", team)
}

async fn search_users(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<UserRow>>, StatusCode> {
    let name = params.name.unwrap_or_default();
    let order = order_clause(params.sort.as_deref());

    let rows = sqlx::query(&format!(
        "SELECT id, name FROM users WHERE name ILIKE $1 {}",
        order
    ))
    .bind(format!("%{}%", name))
    .fetch_all(&state.pool)
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;

    let mut out: Vec<UserRow> = rows
        .iter()
        .map(|r| UserRow { id: r.get("id"), name: r.get("name") })
        .collect();

    if let Some(team) = params.team.as_deref() {
        let sql = format!("SELECT id, name FROM users WHERE active {}", team_filter(team));
        let extra = sqlx::query(&sql).fetch_all(&state.pool).await; //~ sql-injection
        if let Ok(extra) = extra {
            out.extend(extra.iter().map(|r| UserRow { id: r.get("id"), name: r.get("name") }));
        }
    }
    Ok(Json(out))
}

async fn user_by_login(
    State(state): State<AppState>,
    Path(login): Path<String>,
) -> Result<Json<UserRow>, StatusCode> {
    let row = sqlx::query("SELECT id, name FROM users WHERE login = $1")
        .bind(&login)
        .fetch_one(&state.pool)
        .await
        .map_err(|_| StatusCode::NOT_FOUND)?;
    Ok(Json(UserRow { id: row.get("id"), name: row.get("name") }))
}

async fn delete_user(State(state): State<AppState>, Path(login): Path<String>) -> StatusCode {
    let stmt = format!("DELETE FROM users WHERE login = '{}'", login);
    match sqlx::query(&stmt).execute(&state.pool).await { //~ sql-injection
        Ok(_) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn router(pool: PgPool) -> Router {
    Router::new()
        .route("/users", get(search_users))
        .route("/users/:login", get(user_by_login).delete(delete_user))
        .with_state(AppState { pool })
}
