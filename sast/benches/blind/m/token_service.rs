use jsonwebtoken::{encode, EncodingKey, Header};
use salvo::prelude::*;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use sqlx::MySqlPool;
use std::time::{SystemTime, UNIX_EPOCH};

const JWT_SECRET: &str = "c2VjcmV0LWtleS1mb3Itand0LXNpZ25pbmc="; //~ hardcoded-crypto-key

#[derive(Serialize)]
struct Claims {
    sub: String,
    exp: u64,
    scope: String,
}

#[derive(Deserialize)]
struct ResetRequest {
    email: String,
}

#[derive(Deserialize)]
struct ApiKeyRequest {
    owner: String,
    label: String,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

struct TokenIssuer {
    pool: MySqlPool,
    pepper: String,
}

impl TokenIssuer {
    fn from_env(pool: MySqlPool) -> Self {
        Self { pool, pepper: std::env::var("TOKEN_PEPPER").unwrap_or_default() }
    }

    fn reset_token(&self, user_id: i64) -> String {
        let seed = format!("{}:{}:{}", user_id, now(), self.pepper);
        format!("{:x}", md5::compute(seed.as_bytes())) //~ weak-hash
    }

    fn api_key_digest(&self, key: &str) -> String {
        let material = [self.pepper.as_bytes(), key.as_bytes()].concat();
        hex::encode(Sha1::digest(&material)) //~ weak-hash
    }

    fn session_digest(&self, token: &str) -> String {
        hex::encode(Sha256::digest(format!("{}{}", self.pepper, token).as_bytes()))
    }

    fn access_token(&self, sub: &str, scope: &str) -> jsonwebtoken::errors::Result<String> {
        let claims = Claims { sub: sub.to_owned(), exp: now() + 900, scope: scope.to_owned() };
        encode(&Header::default(), &claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes()))
    }

    async fn store_reset(&self, user_id: i64, token: &str) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO password_resets (user_id, token, created_at) VALUES (?, ?, NOW())").bind(user_id).bind(token).execute(&self.pool).await?; //~ cleartext-storage
        Ok(())
    }

    async fn store_session(&self, user_id: i64, token: &str) -> sqlx::Result<()> {
        let digest = self.session_digest(token);
        sqlx::query("INSERT INTO sessions (user_id, token_sha256) VALUES (?, ?)").bind(user_id).bind(digest).execute(&self.pool).await?;
        Ok(())
    }

    async fn store_api_key(&self, owner: &str, label: &str, key: &str) -> sqlx::Result<()> {
        let digest = self.api_key_digest(key);
        sqlx::query("INSERT INTO api_keys (owner, label, key_digest) VALUES (?, ?, ?)").bind(owner).bind(label).bind(digest).execute(&self.pool).await?;
        Ok(())
    }
}

fn etag_for(body: &[u8]) -> String {
    format!("\"{:x}\"", md5::compute(body))
}

fn legacy_password_check(stored: &str, candidate: &str) -> bool {
    let digest = Sha1::digest(candidate.as_bytes()); //~ weak-hash
    hex::encode(digest).eq_ignore_ascii_case(stored)
}

#[handler]
async fn request_reset(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let issuer = depot.obtain::<TokenIssuer>().expect("issuer");
    let Ok(body) = req.parse_json::<ResetRequest>().await else {
        res.status_code(StatusCode::BAD_REQUEST);
        return;
    };
    let user_id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = ?").bind(&body.email).fetch_optional(&issuer.pool).await.ok().flatten();
    let Some(user_id) = user_id else {
        res.status_code(StatusCode::ACCEPTED);
        return;
    };
    let token = issuer.reset_token(user_id);
    if issuer.store_reset(user_id, &token).await.is_err() {
        res.status_code(StatusCode::INTERNAL_SERVER_ERROR);
        return;
    }
    tracing::info!(user_id, email = %body.email, "password reset requested");
    tracing::debug!(user_id, token = %token, "reset link generated"); //~ cleartext-logging
    res.status_code(StatusCode::ACCEPTED);
}

#[handler]
async fn login(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let issuer = depot.obtain::<TokenIssuer>().expect("issuer");
    let user = req.form::<String>("username").await.unwrap_or_default();
    let password = req.form::<String>("password").await.unwrap_or_default();
    let row: Option<(i64, String)> = sqlx::query_as("SELECT id, pw_sha1 FROM users WHERE username = ?").bind(&user).fetch_optional(&issuer.pool).await.ok().flatten();
    match row {
        Some((id, stored)) if legacy_password_check(&stored, &password) => {
            let token = issuer.access_token(&id.to_string(), "user").unwrap_or_default();
            let _ = issuer.store_session(id, &token).await;
            tracing::info!(user_id = id, token_len = token.len(), "login ok");
            res.render(Text::Plain(token));
        }
        _ => res.status_code(StatusCode::UNAUTHORIZED).render(Text::Plain("invalid credentials")),
    };
}

#[handler]
async fn create_api_key(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let issuer = depot.obtain::<TokenIssuer>().expect("issuer");
    let Ok(body) = req.parse_json::<ApiKeyRequest>().await else {
        res.status_code(StatusCode::BAD_REQUEST);
        return;
    };
    let key = uuid::Uuid::new_v4().simple().to_string();
    match issuer.store_api_key(&body.owner, &body.label, &key).await {
        Ok(()) => res.render(Text::Plain(key)),
        Err(_) => res.status_code(StatusCode::INTERNAL_SERVER_ERROR).render(Text::Plain("")),
    };
}

#[handler]
async fn public_doc(req: &mut Request, res: &mut Response) {
    let slug = req.param::<String>("slug").unwrap_or_default();
    let body = format!("<h1>{}</h1>", html_escape::encode_text(&slug)).into_bytes();
    res.add_header("etag", etag_for(&body), true).ok();
    res.write_body(body).ok();
}

pub fn router(pool: MySqlPool) -> Router {
    Router::new()
        .hoop(affix_state::inject(TokenIssuer::from_env(pool)))
        .push(Router::with_path("reset").post(request_reset))
        .push(Router::with_path("login").post(login))
        .push(Router::with_path("api-keys").post(create_api_key))
        .push(Router::with_path("docs/<slug>").get(public_doc))
}
