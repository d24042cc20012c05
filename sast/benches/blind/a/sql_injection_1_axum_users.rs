// Axum user-search API backed by sqlx/Postgres: query-string filters flow into raw SQL.
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
}

#[derive(Serialize, sqlx::FromRow)]
pub struct User {
    id: i64,
    name: String,
    email: String,
}

pub fn router(pool: PgPool) -> Router {
    Router::new()
        .route("/users/search", get(search_users))
        .route("/users/:id", get(get_user))
        .route("/users/by-email/:email", get(get_by_email))
        .with_state(pool)
}

async fn search_users(
    State(pool): State<PgPool>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<User>>, StatusCode> {
    let name = params.name.unwrap_or_default();
    let sql = format!(
        "SELECT id, name, email FROM users WHERE name LIKE '%{}%' ORDER BY id",
        name
    );
    let rows = sqlx::query_as::<_, User>(&sql).fetch_all(&pool).await //~ sql-injection
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(rows))
}

async fn get_user(
    State(pool): State<PgPool>,
    Path(id): Path<String>,
) -> Result<Json<String>, StatusCode> {
    let sql = "SELECT name FROM users WHERE id = ".to_string() + &id;
    let row = sqlx::query(&sql).fetch_one(&pool).await.map_err(|_| StatusCode::NOT_FOUND)?; //~ sql-injection
    let name: String = row.get("name");
    Ok(Json(name))
}

// SAFE: bound parameter, plus an allow-listed sort column.
async fn get_by_email(
    State(pool): State<PgPool>,
    Path(email): Path<String>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<User>>, StatusCode> {
    let order = match params.sort.as_deref() {
        Some("name") => "name",
        Some("email") => "email",
        _ => "id",
    };
    let sql = format!("SELECT id, name, email FROM users WHERE email = $1 ORDER BY {}", order);
    let rows = sqlx::query_as::<_, User>(&sql)
        .bind(&email)
        .fetch_all(&pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(rows))
}
