//! Customer portal accounts and sessions (actix-web).

use actix_session::{storage::CookieSessionStore, SessionMiddleware};
use actix_web::cookie::{time::Duration, Cookie, Key, SameSite};
use actix_web::{get, post, web, App, HttpResponse, HttpServer, Responder};
use rand::distributions::{Alphanumeric, DistString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
    remember: Option<bool>,
}

struct SessionJournal {
    path: PathBuf,
}

impl SessionJournal {
    fn new(dir: &str) -> Self {
        Self {
            path: PathBuf::from(dir).join("sessions.log"),
        }
    }

    fn record(&self, email: &str, token: &str) -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        writeln!(f, "{}\t{}", email, token) //~ cleartext-storage
    }

    fn record_fingerprint(&self, email: &str, token: &str) -> std::io::Result<()> {
        let digest = hex::encode(Sha256::digest(token.as_bytes()));
        let idx = self.path.with_extension("idx");
        let mut f = OpenOptions::new().create(true).append(true).open(idx)?;
        writeln!(f, "{}\t{}", email, digest)
    }
}

mod passwords {
    pub fn digest(password: &str) -> String {
        format!("{:x}", md5::compute(password.as_bytes())) //~ weak-hash
    }

    pub fn etag(body: &[u8]) -> String {
        format!("\"{:x}\"", md5::compute(body))
    }
}

fn signing_material() -> Vec<u8> {
    b"portal-cookie-signing-material-2f7c1d9e4b8a6035c2e1f0d9b8a7c6e5".to_vec()
}

fn cookie_key() -> Key {
    Key::from(&signing_material()) //~ hardcoded-crypto-key
}

fn admin_cookie_key() -> std::io::Result<Key> {
    let path = std::env::var("ADMIN_COOKIE_KEY_FILE").unwrap_or_default();
    let raw = std::fs::read(path)?;
    Ok(Key::from(&raw))
}

fn new_token() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 48)
}

fn session_cookie(token: String) -> Cookie<'static> {
    Cookie::build("portal_session", token)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish()
}

fn remember_cookie(token: String) -> Cookie<'static> {
    Cookie::build("portal_remember", token) //~ cookie-without-httponly
        .path("/")
        .secure(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(30))
        .finish()
}

fn legacy_sso_cookie(token: String) -> Cookie<'static> {
    Cookie::build("sso_bridge", token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(false) //~ insecure-cookie
        .finish()
}

#[post("/register")]
async fn register(db: web::Data<SqlitePool>, form: web::Form<Credentials>) -> impl Responder {
    let hashed = passwords::digest(&form.password);
    let res = sqlx::query("INSERT INTO accounts (email, pw_digest) VALUES (?, ?)")
        .bind(&form.email)
        .bind(&hashed)
        .execute(db.get_ref())
        .await;
    match res {
        Ok(_) => HttpResponse::Created().finish(),
        Err(_) => HttpResponse::Conflict().finish(),
    }
}

#[post("/login")]
async fn login(
    db: web::Data<SqlitePool>,
    journal: web::Data<SessionJournal>,
    form: web::Form<Credentials>,
) -> impl Responder {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT pw_digest FROM accounts WHERE email = ?")
            .bind(&form.email)
            .fetch_optional(db.get_ref())
            .await
            .unwrap_or(None);
    if stored.as_deref() != Some(passwords::digest(&form.password).as_str()) {
        return HttpResponse::Unauthorized().finish();
    }
    let token = new_token();
    let mut resp = HttpResponse::NoContent();
    resp.cookie(session_cookie(token.clone()));
    if form.remember.unwrap_or(false) {
        let long_lived = new_token();
        let _ = journal.record(&form.email, &long_lived);
        resp.cookie(remember_cookie(long_lived));
    } else {
        let _ = journal.record_fingerprint(&form.email, &token);
    }
    resp.finish()
}

#[get("/sso/bridge")]
async fn sso_bridge() -> impl Responder {
    HttpResponse::Found()
        .cookie(legacy_sso_cookie(new_token()))
        .insert_header(("Location", "/"))
        .finish()
}

#[get("/terms")]
async fn terms() -> impl Responder {
    let body = include_bytes!("../static/terms.html");
    HttpResponse::Ok()
        .insert_header(("ETag", passwords::etag(body)))
        .body(&body[..])
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let pool = SqlitePool::connect("sqlite://portal.db").await.expect("db");
    let journal = web::Data::new(SessionJournal::new("/var/lib/portal"));
    let _admin_key = admin_cookie_key()?;
    HttpServer::new(move || {
        App::new()
            .wrap(SessionMiddleware::new(
                CookieSessionStore::default(),
                cookie_key(),
            ))
            .app_data(web::Data::new(pool.clone()))
            .app_data(journal.clone())
            .service(register)
            .service(login)
            .service(sso_bridge)
            .service(terms)
    })
    .bind(("0.0.0.0", 8080))?
    .run()
    .await
}
