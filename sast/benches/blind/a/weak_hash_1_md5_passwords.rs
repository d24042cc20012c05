// Rocket account service: legacy MD5 password storage alongside the new argon2 path.
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use md5::{Digest, Md5};
use rocket::serde::json::Json;
use rocket::{post, State};
use serde::Deserialize;
use sqlx::SqlitePool;

#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
}

fn legacy_hash(password: &str) -> String {
    format!("{:x}", md5::compute(password.as_bytes())) //~ weak-hash
}

fn legacy_hash_salted(salt: &str, password: &str) -> String {
    let mut hasher = Md5::new(); //~ weak-hash
    hasher.update(salt.as_bytes());
    hasher.update(password.as_bytes());
    hex::encode(hasher.finalize())
}

// SAFE: argon2id with a random salt.
fn modern_hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2")
        .to_string()
}

#[post("/register", data = "<creds>")]
pub async fn register(pool: &State<SqlitePool>, creds: Json<Credentials>) -> &'static str {
    let hash = modern_hash(&creds.password);
    let _ = sqlx::query("INSERT INTO users (username, pw) VALUES (?, ?)")
        .bind(&creds.username)
        .bind(hash)
        .execute(pool.inner())
        .await;
    "ok"
}

#[post("/login", data = "<creds>")]
pub async fn login(pool: &State<SqlitePool>, creds: Json<Credentials>) -> &'static str {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT pw, legacy_salt FROM users WHERE username = ?")
            .bind(&creds.username)
            .fetch_optional(pool.inner())
            .await
            .ok()
            .flatten();
    let Some((stored, salt)) = row else {
        return "denied";
    };
    let ok = if stored.starts_with("$argon2") {
        // SAFE: argon2 verification.
        PasswordHash::new(&stored)
            .map(|h| Argon2::default().verify_password(creds.password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    } else {
        let candidate = salt
            .as_deref()
            .map(|s| legacy_hash_salted(s, &creds.password))
            .unwrap_or_else(|| legacy_hash(&creds.password));
        candidate == stored
    };
    if ok { "welcome" } else { "denied" }
}

pub fn password_reset_token(user_id: i64, secret: &str) -> String {
    let digest = Md5::digest(format!("{user_id}:{secret}").as_bytes()); //~ weak-hash
    hex::encode(digest)
}
