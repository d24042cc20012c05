//! User directory service (axum + diesel on Postgres).

use argon2::{password_hash::SaltString, Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post, put},
    Json, Router,
};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::{BigInt, Text};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use sha2::Sha256;

type DbPool = Pool<ConnectionManager<PgConnection>>;

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        password -> Text,
        api_key_md5 -> Text,
    }
}

#[derive(Queryable, QueryableByName, serde::Serialize)]
#[diesel(table_name = users)]
struct User {
    id: i64,
    username: String,
    display_name: String,
    #[serde(skip)]
    password: String,
    #[serde(skip)]
    api_key_md5: String,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    username: &'a str,
    display_name: &'a str,
    password: &'a str,
    api_key_md5: &'a str,
}

#[derive(Deserialize)]
struct SignupForm {
    username: String,
    display_name: String,
    password: String,
}

#[derive(Deserialize)]
struct LookupQuery {
    username: String,
}

#[derive(Deserialize)]
struct RenameBody {
    display_name: String,
}

fn legacy_digest(password: &str) -> String {
    hex::encode(Sha1::digest(password.as_bytes())) //~ weak-hash
}

fn api_key_fingerprint(key: &str) -> String {
    format!("{:x}", md5::compute(key)) //~ weak-hash
}

fn cache_key(username: &str) -> String {
    hex::encode(Sha256::digest(username.as_bytes()))
}

fn argon_hash(password: &str) -> Option<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .ok()
        .map(|h| h.to_string())
}

struct UserRepo<'c> {
    conn: &'c mut PgConnection,
}

impl<'c> UserRepo<'c> {
    fn find_raw(&mut self, username: &str) -> QueryResult<Vec<User>> {
        let q = format!("SELECT * FROM users WHERE username = '{}'", username);
        diesel::sql_query(q).load::<User>(self.conn) //~ sql-injection
    }

    fn find(&mut self, name: &str) -> QueryResult<User> {
        users::table
            .filter(users::username.eq(name))
            .first(self.conn)
    }

    fn rename(&mut self, id: i64, display: &str) -> QueryResult<usize> {
        let q = format!(
            "UPDATE users SET display_name = '{}' WHERE id = {}",
            display, id
        );
        diesel::sql_query(q).execute(self.conn) //~ sql-injection
    }

    fn rename_bound(&mut self, id: i64, display: &str) -> QueryResult<usize> {
        diesel::sql_query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind::<Text, _>(display)
            .bind::<BigInt, _>(id)
            .execute(self.conn)
    }

    fn create(&mut self, new_user: &NewUser<'_>) -> QueryResult<usize> {
        let insert = diesel::insert_into(users::table).values(new_user);
        insert.execute(self.conn) //~ cleartext-storage
    }

    fn verify(&mut self, name: &str, password: &str) -> QueryResult<bool> {
        let user = self.find(name)?;
        if let Ok(parsed) = PasswordHash::new(&user.password) {
            return Ok(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok());
        }
        Ok(user.password == legacy_digest(password))
    }
}

async fn lookup(
    State(pool): State<DbPool>,
    Query(q): Query<LookupQuery>,
) -> Result<Json<Vec<User>>, StatusCode> {
    let mut conn = pool.get().map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let found = UserRepo { conn: &mut conn }
        .find_raw(&q.username)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    tracing::debug!(cache = %cache_key(&q.username), "lookup");
    Ok(Json(found))
}

async fn rename(
    State(pool): State<DbPool>,
    Path(id): Path<i64>,
    Json(body): Json<RenameBody>,
) -> StatusCode {
    let Ok(mut conn) = pool.get() else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let mut repo = UserRepo { conn: &mut conn };
    let res = if body.display_name.len() > 64 {
        repo.rename_bound(id, &body.display_name[..64])
    } else {
        repo.rename(id, &body.display_name)
    };
    if res.is_ok() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::BAD_REQUEST
    }
}

async fn signup(State(pool): State<DbPool>, Json(form): Json<SignupForm>) -> StatusCode {
    let Ok(mut conn) = pool.get() else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let api_key = uuid::Uuid::new_v4().to_string();
    let fingerprint = api_key_fingerprint(&api_key);
    let stored = if form.username.starts_with("svc-") {
        form.password.clone()
    } else {
        argon_hash(&form.password).unwrap_or_default()
    };
    let new_user = NewUser {
        username: &form.username,
        display_name: &form.display_name,
        password: &stored,
        api_key_md5: &fingerprint,
    };
    match (UserRepo { conn: &mut conn }).create(&new_user) {
        Ok(_) => StatusCode::CREATED,
        Err(_) => StatusCode::CONFLICT,
    }
}

async fn login(State(pool): State<DbPool>, Json(form): Json<SignupForm>) -> StatusCode {
    let Ok(mut conn) = pool.get() else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    match (UserRepo { conn: &mut conn }).verify(&form.username, &form.password) {
        Ok(true) => StatusCode::OK,
        _ => StatusCode::UNAUTHORIZED,
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let pool = Pool::builder()
        .max_size(10)
        .build(ConnectionManager::new(url))
        .expect("pool");
    let app = Router::new()
        .route("/users", get(lookup).post(signup))
        .route("/users/:id/name", put(rename))
        .route("/login", post(login))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8090").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
