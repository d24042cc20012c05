//! Accounts service: password login, JWT issuance and API keys (poem).

use jsonwebtoken::{encode, EncodingKey, Header};
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::web::{Data, Json};
use poem::{handler, http::StatusCode, post, EndpointExt, Route, Server};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use sqlx::PgPool;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Serialize)]
struct Claims {
    sub: String,
    iss: String,
    exp: u64,
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

struct JwtConfig {
    secret: String,
    issuer: String,
    ttl: u64,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            secret: "acct-jwt-signing-9c41e07d".to_owned(),
            issuer: "accounts".to_owned(),
            ttl: 900,
        }
    }
}

impl JwtConfig {
    fn issue(&self, sub: &str) -> jsonwebtoken::errors::Result<String> {
        let claims = Claims {
            sub: sub.to_owned(),
            iss: self.issuer.clone(),
            exp: now() + self.ttl,
        };
        let key = EncodingKey::from_secret(self.secret.as_bytes()); //~ hardcoded-crypto-key
        encode(&Header::default(), &claims, &key)
    }
}

struct RefreshSigner {
    key: EncodingKey,
}

impl RefreshSigner {
    fn from_env() -> Option<Self> {
        let secret = std::env::var("REFRESH_JWT_SECRET").ok()?;
        Some(Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
        })
    }

    fn issue(&self, sub: &str) -> jsonwebtoken::errors::Result<String> {
        let claims = Claims {
            sub: sub.to_owned(),
            iss: "accounts/refresh".to_owned(),
            exp: now() + 86_400 * 14,
        };
        encode(&Header::default(), &claims, &self.key)
    }
}

fn refresh_cookie(value: String) -> Cookie {
    let mut c = Cookie::new_with_str("refresh_token", value); //~ cookie-without-samesite
    c.set_secure(true);
    c.set_http_only(true);
    c.set_path("/auth/refresh");
    c
}

fn device_cookie(value: String) -> Cookie {
    let mut c = Cookie::new_with_str("device_id", value);
    c.set_secure(true);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c
}

async fn check_password(db: &PgPool, body: &LoginBody) -> bool {
    let stored: Option<String> = sqlx::query_scalar("SELECT pw_hash FROM users WHERE login = $1")
        .bind(&body.username)
        .fetch_optional(db)
        .await
        .ok()
        .flatten();
    stored
        .map(|h| password_auth::verify_password(&body.password, &h).is_ok())
        .unwrap_or(false)
}

#[handler]
async fn login(
    Json(body): Json<LoginBody>,
    db: Data<&PgPool>,
    jwt: Data<&JwtConfig>,
    refresh: Data<&RefreshSigner>,
    cookies: &CookieJar,
) -> StatusCode {
    if !check_password(&db, &body).await {
        log::info!("failed login for {}", body.username);
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(token) = jwt.issue(&body.username) else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    log::info!("issued access token {} to {}", token, body.username); //~ cleartext-logging
    let mut access = Cookie::new_with_str("access_token", &token);
    access.set_http_only(true);
    access.set_same_site(SameSite::Strict);
    access.set_secure(false); //~ insecure-cookie
    cookies.add(access);
    if let Ok(rt) = refresh.issue(&body.username) {
        cookies.add(refresh_cookie(rt));
    }
    cookies.add(device_cookie(uuid::Uuid::new_v4().to_string()));
    StatusCode::NO_CONTENT
}

#[derive(Serialize)]
struct NewApiKey {
    key: String,
}

#[handler]
async fn create_api_key(db: Data<&PgPool>, Json(owner): Json<String>) -> Json<NewApiKey> {
    let raw_key = format!("ak_{}", uuid::Uuid::new_v4().simple());
    let lookup = hex::encode(Sha1::digest(raw_key.as_bytes())); //~ weak-hash
    let audit = hex::encode(Sha256::digest(owner.as_bytes()));
    let _ = sqlx::query("INSERT INTO api_keys (owner, key_digest, audit) VALUES ($1, $2, $3)")
        .bind(&owner)
        .bind(&lookup)
        .bind(&audit)
        .execute(*db)
        .await;
    log::info!("api key created for {}", owner);
    Json(NewApiKey { key: raw_key })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let db = PgPool::connect_lazy(&std::env::var("DATABASE_URL").unwrap_or_default()).unwrap();
    let refresh = RefreshSigner::from_env().expect("REFRESH_JWT_SECRET must be set");
    let app = Route::new()
        .at("/login", post(login))
        .at("/api-keys", post(create_api_key))
        .data(db)
        .data(JwtConfig::default())
        .data(refresh);
    Server::new(poem::listener::TcpListener::bind("0.0.0.0:3000"))
        .run(app)
        .await
}
