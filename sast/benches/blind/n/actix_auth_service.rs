//! Account registration and session issuance for the members portal.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{post, web, HttpResponse, Responder};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use log::{debug, info};
use md5::{Digest as _, Md5};
use rand::distributions::{Alphanumeric, DistString};
use serde::Deserialize;
use sha2::Sha256;
use sqlx::MySqlPool;

#[derive(Deserialize)]
pub struct Registration {
    email: String,
    password: String,
    display_name: String,
}

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    remember: Option<bool>,
}

#[derive(Debug)]
pub struct IssuedSession {
    user_id: i64,
    token: String,
    expires_in: i64,
}

pub struct AccountStore {
    pool: MySqlPool,
}

impl AccountStore {
    pub fn new(pool: MySqlPool) -> Self {
        Self { pool }
    }

    async fn insert_account(&self, reg: &Registration, hash: &str) -> sqlx::Result<i64> {
        let res =
            sqlx::query("INSERT INTO accounts (email, display_name, pw_hash) VALUES (?, ?, ?)")
                .bind(&reg.email)
                .bind(&reg.display_name)
                .bind(hash)
                .execute(&self.pool)
                .await?;
        Ok(res.last_insert_id() as i64)
    }

    async fn keep_legacy_secret(&self, id: i64, secret: &str) -> sqlx::Result<()> {
        let q = sqlx::query("UPDATE accounts SET legacy_password = ? WHERE id = ?");
        q.bind(secret).bind(id).execute(&self.pool).await?; //~ cleartext-storage
        Ok(())
    }

    async fn legacy_digest_for(&self, email: &str) -> sqlx::Result<Option<(i64, String)>> {
        sqlx::query_as("SELECT id, legacy_md5 FROM accounts WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
    }

    async fn password_hash_for(&self, email: &str) -> sqlx::Result<Option<(i64, String)>> {
        sqlx::query_as("SELECT id, pw_hash FROM accounts WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
    }

    async fn store_session(&self, session: &IssuedSession) -> sqlx::Result<()> {
        let digest = hex::encode(Sha256::digest(session.token.as_bytes()));
        sqlx::query("INSERT INTO sessions (user_id, token_sha256) VALUES (?, ?)")
            .bind(session.user_id)
            .bind(digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn hash_for_storage(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing")
        .to_string()
}

fn legacy_password_digest(password: &str) -> String {
    hex::encode(Md5::digest(password.as_bytes())) //~ weak-hash
}

fn avatar_etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(bytes)))
}

fn new_session(user_id: i64, long_lived: bool) -> IssuedSession {
    IssuedSession {
        user_id,
        token: Alphanumeric.sample_string(&mut rand::thread_rng(), 48),
        expires_in: if long_lived { 30 * 86_400 } else { 3_600 },
    }
}

fn trace_session(session: &IssuedSession) {
    info!(
        "session issued for user {} ({}s)",
        session.user_id, session.expires_in
    );
    debug!("session detail: {:?}", session); //~ cleartext-logging
}

fn session_cookie(session: &IssuedSession) -> Cookie<'static> {
    Cookie::build("sid", session.token.clone())
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::seconds(session.expires_in))
        .finish()
}

fn remember_cookie(session: &IssuedSession) -> Cookie<'static> {
    Cookie::build("remember_token", session.token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(false) //~ insecure-cookie
        .max_age(Duration::days(30))
        .finish()
}

fn legacy_portal_cookie(session: &IssuedSession) -> Cookie<'static> {
    Cookie::build("PORTALSESSID", session.token.clone())
        .path("/legacy")
        .secure(true)
        .same_site(SameSite::Strict)
        .http_only(false) //~ cookie-without-httponly
        .finish()
}

fn mobile_cookie(session: &IssuedSession) -> Cookie<'static> {
    Cookie::build("m_sid", session.token.clone()) //~ cookie-without-samesite
        .path("/m")
        .secure(true)
        .http_only(true)
        .finish()
}

fn theme_cookie(theme: &str) -> Cookie<'static> {
    Cookie::build("theme", theme.to_owned()).path("/").finish()
}

#[post("/register")]
async fn register(store: web::Data<AccountStore>, form: web::Json<Registration>) -> impl Responder {
    let hash = hash_for_storage(&form.password);
    match store.insert_account(&form, &hash).await {
        Ok(id) => {
            if form.email.ends_with("@legacy.example.org") {
                let _ = store.keep_legacy_secret(id, &form.password).await;
            }
            HttpResponse::Created().finish()
        }
        Err(_) => HttpResponse::Conflict().finish(),
    }
}

#[post("/login/legacy")]
async fn legacy_login(
    store: web::Data<AccountStore>,
    form: web::Json<Credentials>,
) -> impl Responder {
    let Ok(Some((user_id, stored))) = store.legacy_digest_for(&form.email).await else {
        return HttpResponse::Unauthorized().finish();
    };
    if legacy_password_digest(&form.password) != stored {
        return HttpResponse::Unauthorized().finish();
    }
    let session = new_session(user_id, false);
    trace_session(&session);
    let _ = store.store_session(&session).await;
    HttpResponse::Ok()
        .cookie(legacy_portal_cookie(&session))
        .cookie(mobile_cookie(&session))
        .cookie(theme_cookie("classic"))
        .finish()
}

#[post("/login")]
async fn login(store: web::Data<AccountStore>, form: web::Json<Credentials>) -> impl Responder {
    let Ok(Some((user_id, phc))) = store.password_hash_for(&form.email).await else {
        return HttpResponse::Unauthorized().finish();
    };
    let verified = PasswordHash::new(&phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(form.password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    if !verified {
        return HttpResponse::Unauthorized().finish();
    }
    let session = new_session(user_id, form.remember.unwrap_or(false));
    let _ = store.store_session(&session).await;
    let mut resp = HttpResponse::Ok();
    resp.cookie(session_cookie(&session));
    if form.remember == Some(true) {
        resp.cookie(remember_cookie(&session));
    }
    resp.finish()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(register).service(legacy_login).service(login);
    let _ = avatar_etag(b"");
}
