//! Session issuance for the web dashboard (actix-web + Postgres).

use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::{post, web, App, HttpRequest, HttpResponse, HttpServer};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::Deserialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Deserialize)]
struct LoginBody {
    user_id: i64,
    remember: bool,
    embed: bool,
}

struct SessionStore {
    db: PgPool,
}

fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn session_id_for(user_id: i64) -> String {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let seed = format!("{}:{}", user_id, ts);
    hex::encode(Sha1::digest(seed.as_bytes())) //~ weak-hash
}

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl SessionStore {
    async fn save_remember_token(&self, user_id: i64, token: &str) -> sqlx::Result<()> {
        let update =
            sqlx::query("UPDATE users SET remember_token = $2 WHERE id = $1").bind(user_id);
        update.bind(token).execute(&self.db).await?; //~ cleartext-storage
        Ok(())
    }

    async fn save_api_token(&self, user_id: i64, token: &str) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO api_tokens (user_id, token_sha256) VALUES ($1, $2)")
            .bind(user_id)
            .bind(token_digest(token))
            .execute(&self.db)
            .await?;
        Ok(())
    }

    async fn record_login(&self, user_id: i64, ip: &str) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO logins (user_id, ip) VALUES ($1, $2)")
            .bind(user_id)
            .bind(ip)
            .execute(&self.db)
            .await
            .map(|_| ())
    }
}

fn embedded_session_cookie(sid: String) -> Cookie<'static> {
    Cookie::build("sid", sid) //~ cookie-without-samesite
        .secure(true)
        .http_only(true)
        .same_site(SameSite::None)
        .path("/")
        .finish()
}

fn session_cookie(sid: String) -> Cookie<'static> {
    Cookie::build("sid", sid)
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .finish()
}

fn visitor_cookie(visitor: String) -> Cookie<'static> {
    Cookie::build("vid", visitor) //~ cookie-without-samesite
        .secure(true)
        .http_only(true)
        .path("/")
        .max_age(CookieAge::days(365))
        .finish()
}

fn remember_cookie(token: &str) -> Cookie<'static> {
    Cookie::build("remember", token.to_owned()) //~ insecure-cookie
        .secure(false)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(CookieAge::days(30))
        .finish()
}

fn refresh_cookie(token: String) -> Cookie<'static> {
    Cookie::build("refresh", token) //~ cookie-without-httponly
        .secure(true)
        .http_only(false)
        .same_site(SameSite::Strict)
        .path("/auth/refresh")
        .finish()
}

fn logout_cookie() -> Cookie<'static> {
    let mut c = Cookie::build("sid", "")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .finish();
    c.make_removal();
    c
}

#[post("/login")]
async fn login(
    store: web::Data<SessionStore>,
    req: HttpRequest,
    body: web::Json<LoginBody>,
) -> HttpResponse {
    let ip = req
        .connection_info()
        .realip_remote_addr()
        .unwrap_or("unknown")
        .to_owned();
    let _ = store.record_login(body.user_id, &ip).await;
    let sid = session_id_for(body.user_id);
    let mut resp = HttpResponse::Ok();
    if body.embed {
        resp.cookie(embedded_session_cookie(sid));
    } else {
        resp.cookie(session_cookie(sid));
    }
    if req.cookie("vid").is_none() {
        resp.cookie(visitor_cookie(random_token(16)));
    }
    if body.remember {
        let token = random_token(48);
        if store
            .save_remember_token(body.user_id, &token)
            .await
            .is_err()
        {
            return HttpResponse::InternalServerError().finish();
        }
        resp.cookie(remember_cookie(&token));
    }
    resp.cookie(refresh_cookie(random_token(64)));
    resp.finish()
}

#[post("/tokens")]
async fn create_api_token(
    store: web::Data<SessionStore>,
    body: web::Json<LoginBody>,
) -> HttpResponse {
    let token = random_token(40);
    match store.save_api_token(body.user_id, &token).await {
        Ok(()) => HttpResponse::Created().json(serde_json::json!({ "token": token })),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[post("/logout")]
async fn logout() -> HttpResponse {
    HttpResponse::Ok().cookie(logout_cookie()).finish()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let db = PgPool::connect(&std::env::var("DATABASE_URL").expect("DATABASE_URL"))
        .await
        .expect("db");
    let store = web::Data::new(SessionStore { db });
    HttpServer::new(move || {
        App::new()
            .app_data(store.clone())
            .service(login)
            .service(create_api_token)
            .service(logout)
    })
    .bind(("0.0.0.0", 8443))?
    .run()
    .await
}
