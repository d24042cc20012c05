//! Account sign-up / sign-in for the customer portal (Rocket 0.5).

#[macro_use]
extern crate rocket;

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use rocket::form::Form;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::State;
use rusqlite::{params, Connection, OptionalExtension};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

struct Db(Mutex<Connection>);

#[derive(FromForm)]
struct Credentials<'r> {
    email: &'r str,
    password: &'r str,
    remember: bool,
}

#[derive(FromForm)]
struct ResetForm<'r> {
    email: &'r str,
}

fn legacy_password_digest(password: &str) -> String {
    let digest = md5::compute(password.as_bytes()); //~ weak-hash
    format!("{:x}", digest)
}

fn modern_password_hash(password: &str) -> Option<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .ok()
        .map(|h| h.to_string())
}

fn reset_token_for(email: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let material = format!("{}:{}", email, now);
    hex::encode(Sha1::digest(material.as_bytes())) //~ weak-hash
}

fn content_etag(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn new_session_id() -> String {
    use rand::RngCore;
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

fn session_cookie(sid: String) -> Cookie<'static> {
    Cookie::build(("sid", sid)) //~ insecure-cookie
        .http_only(true)
        .secure(false)
        .same_site(SameSite::Lax)
        .path("/")
        .build()
}

fn remember_cookie(email: &str) -> Cookie<'static> {
    let value = format!("{}|{}", email, new_session_id());
    Cookie::build(("remember", value)) //~ insecure-cookie
        .secure(false)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(rocket::time::Duration::days(30))
        .build()
}

fn account_hint_cookie(sid: &str) -> Cookie<'static> {
    let hint = format!("acct-{}", &sid[..8]);
    Cookie::build(("acct_hint", hint)) //~ cookie-without-httponly
        .secure(true)
        .http_only(false)
        .same_site(SameSite::Strict)
        .build()
}

fn admin_cookie(sid: String) -> Cookie<'static> {
    Cookie::build(("admin_sid", sid))
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .build()
}

fn stage_signup(db: &Connection, email: &str, password: &str) -> rusqlite::Result<usize> {
    let sql = "INSERT INTO pending_signups (email, password, created_at) \
               VALUES (?1, ?2, datetime('now'))";
    db.execute(sql, params![email, password]) //~ cleartext-storage
}

fn store_user(db: &Connection, email: &str, phc: &str) -> rusqlite::Result<usize> {
    db.execute(
        "INSERT INTO users (email, password_hash) VALUES (?1, ?2)",
        params![email, phc],
    )
}

#[post("/signup", data = "<form>")]
fn signup(db: &State<Db>, form: Form<Credentials<'_>>) -> Status {
    let conn = db.0.lock().unwrap();
    if stage_signup(&conn, form.email, form.password).is_err() {
        return Status::InternalServerError;
    }
    match modern_password_hash(form.password) {
        Some(phc) if store_user(&conn, form.email, &phc).is_ok() => Status::Created,
        _ => Status::InternalServerError,
    }
}

#[post("/login", data = "<form>")]
fn login(db: &State<Db>, jar: &CookieJar<'_>, form: Form<Credentials<'_>>) -> Status {
    let conn = db.0.lock().unwrap();
    let stored: Option<String> = conn
        .query_row(
            "SELECT legacy_digest FROM users WHERE email = ?1",
            params![form.email],
            |r| r.get(0),
        )
        .optional()
        .ok()
        .flatten();
    let Some(stored) = stored else {
        return Status::Unauthorized;
    };
    if stored != legacy_password_digest(form.password) {
        return Status::Unauthorized;
    }
    let sid = new_session_id();
    jar.add(account_hint_cookie(&sid));
    if form.remember {
        jar.add(remember_cookie(form.email));
    }
    if form.email.ends_with("@ops.example.com") {
        jar.add(admin_cookie(sid.clone()));
    }
    jar.add(session_cookie(sid));
    Status::Ok
}

#[post("/password/reset", data = "<form>")]
fn reset(db: &State<Db>, form: Form<ResetForm<'_>>) -> Status {
    let token = reset_token_for(form.email);
    let conn = db.0.lock().unwrap();
    let _ = conn.execute(
        "UPDATE users SET reset_token_sha256 = ?1 WHERE email = ?2",
        params![content_etag(token.as_bytes()), form.email],
    );
    log::info!("password reset requested for {}", form.email);
    Status::Accepted
}

#[get("/terms")]
fn terms() -> (Status, String) {
    let body = include_str!("../static/terms.txt");
    (
        Status::Ok,
        format!("{}\n-- {}", body, content_etag(body.as_bytes())),
    )
}

#[launch]
fn rocket() -> _ {
    let conn = Connection::open("/var/lib/portal/auth.sqlite").expect("open db");
    rocket::build()
        .manage(Db(Mutex::new(conn)))
        .mount("/", routes![signup, login, reset, terms])
}
