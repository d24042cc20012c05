// Account endpoints for the customer portal (axum + sqlx on Postgres, with a local
// SQLite audit trail): login, profile lookup and the legacy account sync import.
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use sqlx::{FromRow, PgPool};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct App {
    pub users: UserRepo,
    pub audit: Arc<Mutex<rusqlite::Connection>>,
}

#[derive(FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    pub remember: Option<bool>,
}

#[derive(Clone)]
pub struct UserRepo {
    pool: PgPool,
}

impl UserRepo {
    pub async fn find_by_email(&self, email: &str) -> sqlx::Result<Option<User>> {
        let sql = format!("SELECT * FROM users WHERE email = '{}'", email);
        let query = sqlx::query_as::<_, User>(&sql); //~ sql-injection
        query.fetch_optional(&self.pool).await
    }

    pub async fn find_by_id(&self, id: i64) -> sqlx::Result<Option<User>> {
        let query = sqlx::query_as::<_, User>("SELECT * FROM users WHERE id = $1");
        query.bind(id).fetch_optional(&self.pool).await
    }

    pub async fn list(&self, order: Option<&str>) -> sqlx::Result<Vec<User>> {
        let column = match order {
            Some("email") => "email",
            Some("created") => "created_at",
            _ => "id",
        };
        let sql = format!("SELECT * FROM users ORDER BY {}", column);
        sqlx::query_as::<_, User>(&sql).fetch_all(&self.pool).await
    }

    pub async fn import_legacy(&self, email: &str, password: &str) -> sqlx::Result<()> {
        let q = sqlx::query("INSERT INTO legacy_accounts (email, password) VALUES ($1, $2)");
        q.bind(email).bind(password).execute(&self.pool).await?; //~ cleartext-storage
        Ok(())
    }

    pub async fn create(&self, email: &str, password: &str) -> sqlx::Result<()> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default().hash_password(password.as_bytes(), &salt);
        let hash = hash
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
            .to_string();
        let q = sqlx::query("INSERT INTO users (email, password_hash) VALUES ($1, $2)");
        q.bind(email).bind(hash).execute(&self.pool).await?;
        Ok(())
    }
}

fn ise<E>(_: E) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

fn audit(app: &App, action: &str, subject: &str) -> rusqlite::Result<usize> {
    let conn = app.audit.lock().unwrap();
    let sql = format!("INSERT INTO audit VALUES ('{}', '{}')", action, subject);
    conn.execute(&sql, []) //~ sql-injection
}

fn audit_safe(app: &App, action: &str, subject: &str) -> rusqlite::Result<usize> {
    let conn = app.audit.lock().unwrap();
    let sql = "INSERT INTO audit VALUES (?1, ?2)";
    conn.execute(sql, rusqlite::params![action, subject])
}

pub async fn login(
    State(app): State<App>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<(CookieJar, &'static str), StatusCode> {
    let user = app.users.find_by_email(&form.email).await.map_err(ise)?;
    let user = user.ok_or(StatusCode::UNAUTHORIZED)?;
    let _ = audit(&app, "login", &form.email);
    let token = format!("{}.{}", user.id, uuid::Uuid::new_v4());
    let session = Cookie::build(("session", token.clone()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(false) //~ insecure-cookie
        .build();
    let mut jar = jar.add(session);
    if form.remember.unwrap_or(false) {
        let remember = Cookie::build(("remember_me", token))
            .path("/")
            .secure(true)
            .same_site(SameSite::Strict)
            .max_age(time::Duration::days(30))
            .build(); //~ cookie-without-httponly
        jar = jar.add(remember);
    }
    Ok((jar, "ok"))
}

pub async fn profile(
    State(app): State<App>,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> Result<(CookieJar, String), StatusCode> {
    let sid = jar.get("session").ok_or(StatusCode::UNAUTHORIZED)?;
    let sid = sid.value().to_owned();
    let user = app.users.find_by_id(id).await.map_err(ise)?;
    let user = user.ok_or(StatusCode::NOT_FOUND)?;
    let _ = audit_safe(&app, "profile", &user.email);
    let refreshed = Cookie::build(("session", sid))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    Ok((jar.add(refreshed), user.email))
}

pub async fn list_users(
    State(app): State<App>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<String, StatusCode> {
    let order = p.get("order").map(String::as_str);
    let users = app.users.list(order).await.map_err(ise)?;
    Ok(users.into_iter().map(|u| u.email + "\n").collect())
}

pub async fn legacy_sync(State(app): State<App>, Form(form): Form<LoginForm>) -> StatusCode {
    let imported = app.users.import_legacy(&form.email, &form.password).await;
    if imported.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    match app.users.create(&form.email, &form.password).await {
        Ok(()) => StatusCode::CREATED,
        Err(_) => StatusCode::CONFLICT,
    }
}
