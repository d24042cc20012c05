// Scenario: account service for a forum (axum + sqlx/Postgres): sign-up,
// personal API tokens, 2FA recovery codes and avatar caching.
use axum::{extract::State, http::StatusCode, Json};
use md5::{Digest as _, Md5};
use rand::{distributions::Alphanumeric, Rng};
use serde::Deserialize;
use sha1::Sha1;
use sha2::Sha256;
use sqlx::PgPool;

#[derive(Deserialize)]
pub struct SignUp {
    login: String,
    password: String,
}

#[derive(Clone)]
pub struct Accounts {
    db: PgPool,
    pepper: String,
}

fn random_string(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

impl Accounts {
    fn password_digest(&self, salt: &str, password: &str) -> String {
        let mut h = Md5::new();
        h.update(salt.as_bytes());
        h.update(self.pepper.as_bytes());
        h.update(password.as_bytes()); //~ weak-hash
        hex::encode(h.finalize())
    }

    fn token_fingerprint(token: &str) -> String {
        hex::encode(Sha1::digest(token.as_bytes())) //~ weak-hash
    }

    pub fn avatar_etag(bytes: &[u8]) -> String {
        format!("\"{}\"", hex::encode(Sha256::digest(bytes)))
    }

    /// Picks one of 16 cache shards; not a security boundary, only spreads keys.
    pub fn cache_shard(key: &str) -> u8 {
        Md5::digest(key.as_bytes())[0] & 0x0f
    }

    pub async fn register(&self, form: &SignUp) -> sqlx::Result<i64> {
        let salt = random_string(16);
        let digest = self.password_digest(&salt, &form.password);
        sqlx::query_scalar(
            "INSERT INTO users (login, salt, pw_hash) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&form.login)
        .bind(&salt)
        .bind(&digest)
        .fetch_one(&self.db)
        .await
    }

    pub async fn issue_token(&self, user_id: i64) -> sqlx::Result<String> {
        let token = format!("fk_{}", random_string(40));
        sqlx::query("INSERT INTO api_tokens (user_id, fingerprint) VALUES ($1, $2)")
            .bind(user_id)
            .bind(Self::token_fingerprint(&token))
            .execute(&self.db)
            .await?;
        Ok(token)
    }

    pub async fn recovery_codes(&self, user_id: i64) -> sqlx::Result<Vec<String>> {
        let codes: Vec<String> = (0..8).map(|_| random_string(10)).collect();
        for code in &codes {
            let q = sqlx::query("INSERT INTO recovery_codes (user_id, code) VALUES ($1, $2)");
            q.bind(user_id).bind(code).execute(&self.db).await?; //~ cleartext-storage
        }
        Ok(codes)
    }

    pub async fn reset_link(&self, login: &str) -> sqlx::Result<String> {
        let nonce = random_string(32);
        let legacy = format!("{}:{}", login, chrono::Utc::now().timestamp());
        let token = hex::encode(Md5::digest(legacy.as_bytes())); //~ weak-hash
        sqlx::query("UPDATE users SET reset_nonce = $1, reset_token = $2 WHERE login = $3")
            .bind(Sha256::digest(nonce.as_bytes()).to_vec())
            .bind(&token)
            .bind(login)
            .execute(&self.db)
            .await?;
        Ok(format!(
            "https://forum.example.org/reset?t={}&n={}",
            token, nonce
        ))
    }
}

pub async fn sign_up(
    State(acc): State<Accounts>,
    Json(form): Json<SignUp>,
) -> Result<Json<serde_json::Value>, StatusCode> {
    if form.password.len() < 10 {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let id = acc
        .register(&form)
        .await
        .map_err(|_| StatusCode::CONFLICT)?;
    let token = acc
        .issue_token(id)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let codes = acc
        .recovery_codes(id)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(
        serde_json::json!({ "id": id, "token": token, "recovery": codes }),
    ))
}
