#[macro_use]
extern crate rocket;

use argon2::{password_hash::SaltString, Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::rngs::OsRng;
use rocket::form::Form;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::State;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::sync::Mutex;

pub struct Db(pub Mutex<Connection>);

#[derive(FromForm)]
pub struct Signup {
    username: String,
    password: String,
    email: String,
    legacy: bool,
}

#[derive(FromForm)]
pub struct Login {
    username: String,
    password: String,
}

#[derive(serde::Serialize)]
pub struct AccountView {
    id: i64,
    username: String,
}

struct AccountStore<'a> {
    conn: &'a Connection,
}

impl<'a> AccountStore<'a> {
    fn exists(&self, username: &str) -> rusqlite::Result<bool> {
        let mut stmt = self.conn.prepare("SELECT 1 FROM accounts WHERE username = ?1")?;
        stmt.exists(params![username])
    }

    fn insert(&self, s: &Signup) -> rusqlite::Result<usize> {
        let salt = SaltString::generate(&mut OsRng);
        let phc = Argon2::default().hash_password(s.password.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default();
        self.conn.execute("INSERT INTO accounts (username, email, pw_hash) VALUES (?1, ?2, ?3)", params![s.username, s.email, phc])
    }

    fn insert_legacy(&self, s: &Signup) -> rusqlite::Result<usize> {
        self.conn.execute("INSERT INTO legacy_accounts (username, email, password) VALUES (?1, ?2, ?3)", params![s.username, s.email, s.password]) //~ cleartext-storage
    }

    fn find_by_email(&self, email: &str) -> rusqlite::Result<Option<AccountView>> {
        let sql = format!("SELECT id, username FROM accounts WHERE email = '{}'", email);
        self.conn.query_row(&sql, [], |r| Ok(AccountView { id: r.get(0)?, username: r.get(1)? })).optional() //~ sql-injection
    }

    fn search(&self, prefix: &str, order: &str) -> rusqlite::Result<Vec<String>> {
        let mut stmt = self.conn.prepare(&format!("SELECT username FROM accounts WHERE username LIKE ?1 ORDER BY {}", order))?; //~ sql-injection
        let names = stmt.query_map(params![format!("{}%", prefix)], |r| r.get::<_, String>(0))?;
        names.collect()
    }

    fn search_by_id(&self, id: i64) -> rusqlite::Result<Option<AccountView>> {
        let sql = format!("SELECT id, username FROM accounts WHERE id = {}", id);
        self.conn.query_row(&sql, [], |r| Ok(AccountView { id: r.get(0)?, username: r.get(1)? })).optional()
    }

    fn issue_token(&self, account_id: i64, token: &str) -> rusqlite::Result<usize> {
        let digest = hex::encode(Sha256::digest(token.as_bytes()));
        self.conn.execute("INSERT INTO api_tokens (account_id, token_sha256) VALUES (?1, ?2)", params![account_id, digest])
    }

    fn issue_device_token(&self, account_id: i64, device: &str, token: &str) -> rusqlite::Result<usize> {
        self.conn.execute("INSERT INTO device_tokens (account_id, device, token) VALUES (?1, ?2, ?3)", params![account_id, device, token]) //~ cleartext-storage
    }

    fn stored_hash(&self, username: &str) -> rusqlite::Result<Option<(i64, String, bool)>> {
        self.conn
            .query_row("SELECT id, pw_hash, is_legacy FROM accounts WHERE username = ?1", params![username], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
    }
}

fn verify_password(stored: &str, candidate: &str, legacy: bool) -> bool {
    if legacy {
        let digest = format!("{:x}", md5::compute(candidate.as_bytes())); //~ weak-hash
        return digest == stored;
    }
    PasswordHash::new(stored).map(|h| Argon2::default().verify_password(candidate.as_bytes(), &h).is_ok()).unwrap_or(false)
}

fn avatar_cache_key(email: &str) -> String {
    format!("{:x}", md5::compute(email.trim().to_lowercase().as_bytes()))
}

#[post("/signup", data = "<form>")]
pub fn signup(db: &State<Db>, form: Form<Signup>) -> Status {
    let conn = db.0.lock().unwrap();
    let store = AccountStore { conn: &conn };
    if store.exists(&form.username).unwrap_or(true) {
        return Status::Conflict;
    }
    let res = if form.legacy { store.insert_legacy(&form) } else { store.insert(&form) };
    res.map(|_| Status::Created).unwrap_or(Status::InternalServerError)
}

#[post("/login", data = "<form>")]
pub fn login(db: &State<Db>, form: Form<Login>) -> Result<String, Status> {
    let conn = db.0.lock().unwrap();
    let store = AccountStore { conn: &conn };
    let (id, hash, legacy) = store.stored_hash(&form.username).ok().flatten().ok_or(Status::Unauthorized)?;
    if !verify_password(&hash, &form.password, legacy) {
        return Err(Status::Unauthorized);
    }
    let token = uuid::Uuid::new_v4().simple().to_string();
    store.issue_token(id, &token).map_err(|_| Status::InternalServerError)?;
    Ok(token)
}

#[post("/devices/<device>/token?<account>")]
pub fn device_token(db: &State<Db>, device: &str, account: i64) -> Result<String, Status> {
    let conn = db.0.lock().unwrap();
    let token = uuid::Uuid::new_v4().simple().to_string();
    AccountStore { conn: &conn }.issue_device_token(account, device, &token).map_err(|_| Status::InternalServerError)?;
    Ok(token)
}

#[get("/accounts/lookup?<email>")]
pub fn lookup(db: &State<Db>, email: &str) -> Option<Json<AccountView>> {
    let conn = db.0.lock().unwrap();
    AccountStore { conn: &conn }.find_by_email(email).ok().flatten().map(Json)
}

#[get("/accounts/<id>")]
pub fn by_id(db: &State<Db>, id: i64) -> Option<Json<AccountView>> {
    let conn = db.0.lock().unwrap();
    AccountStore { conn: &conn }.search_by_id(id).ok().flatten().map(Json)
}

#[get("/accounts?<prefix>&<order>")]
pub fn search(db: &State<Db>, prefix: &str, order: Option<&str>) -> Json<Vec<String>> {
    let conn = db.0.lock().unwrap();
    let order = order.unwrap_or("username");
    Json(AccountStore { conn: &conn }.search(prefix, order).unwrap_or_default())
}

#[get("/avatar-key?<email>")]
pub fn avatar_key(email: &str) -> String {
    avatar_cache_key(email)
}
