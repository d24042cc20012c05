//! SQLite-backed account store used by the self-hosted notes server.

use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension};
use sha1::Sha1;
use sha2::{Digest, Sha256};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT UNIQUE NOT NULL,
    display_name TEXT NOT NULL,
    pw_digest TEXT NOT NULL,
    pw_salt TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (user_id INTEGER, token TEXT, label TEXT);
CREATE TABLE IF NOT EXISTS sessions (user_id INTEGER, token_hash TEXT, expires INTEGER);
";

#[derive(Debug)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
}

#[derive(Debug)]
pub enum StoreError {
    Db(rusqlite::Error),
    BadCredentials,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e)
    }
}

mod digest {
    use super::*;

    pub fn legacy_password_digest(password: &str) -> String {
        format!("{:x}", md5::compute(password.as_bytes())) //~ weak-hash
    }

    pub fn salted_password_digest(salt: &str, password: &str) -> String {
        let salted = format!("{}{}", salt, password);
        hex::encode(Sha1::digest(salted.as_bytes())) //~ weak-hash
    }

    pub fn token_fingerprint(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    pub fn gravatar_key(email: &str) -> String {
        format!("{:x}", md5::compute(email.trim().to_lowercase()))
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn search_sql(prefix: &str, order: &str) -> String {
    let order_by = match order {
        "email" => "email",
        "recent" => "id DESC",
        _ => "display_name",
    };
    format!(
        "SELECT display_name FROM users WHERE display_name LIKE '{}%' ORDER BY {}",
        prefix, order_by
    )
}

pub struct AccountStore {
    conn: Connection,
}

impl AccountStore {
    pub fn open(path: &str) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.execute_batch(SCHEMA)?;
        Ok(AccountStore { conn })
    }

    pub fn register(&self, email: &str, name: &str, password: &str) -> Result<i64, StoreError> {
        let salt = random_hex(16);
        let pw = digest::salted_password_digest(&salt, password);
        self.conn.execute(
            "INSERT INTO users (email, display_name, pw_digest, pw_salt) VALUES (?1, ?2, ?3, ?4)",
            params![email, name, pw, salt],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "SELECT id, email, display_name FROM users WHERE email = '{}'",
            email
        );
        let map_user = |r: &rusqlite::Row<'_>| {
            Ok(User {
                id: r.get(0)?,
                email: r.get(1)?,
                display_name: r.get(2)?,
            })
        };
        let user = self.conn.query_row(&sql, [], map_user).optional()?; //~ sql-injection
        Ok(user)
    }

    pub fn search(&self, prefix: &str, order: &str) -> Result<Vec<String>, StoreError> {
        let sql = search_sql(prefix, order);
        let mut stmt = self.conn.prepare(&sql)?; //~ sql-injection
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(names)
    }

    pub fn login(&self, email: &str, password: &str) -> Result<String, StoreError> {
        let row: Option<(i64, String, String)> = self
            .conn
            .query_row(
                "SELECT id, pw_digest, pw_salt FROM users WHERE email = ?1",
                params![email],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (uid, stored, salt) = row.ok_or(StoreError::BadCredentials)?;
        let legacy = digest::legacy_password_digest(password);
        if stored != digest::salted_password_digest(&salt, password) && stored != legacy {
            return Err(StoreError::BadCredentials);
        }
        let session = random_hex(32);
        self.conn.execute(
            "INSERT INTO sessions (user_id, token_hash, expires) VALUES (?1, ?2, strftime('%s','now') + 86400)",
            params![uid, digest::token_fingerprint(&session)],
        )?;
        Ok(session)
    }

    pub fn issue_api_token(&self, user_id: i64, label: &str) -> Result<String, StoreError> {
        let token = format!("nt_{}", random_hex(24));
        self.store_api_token(user_id, &token, label)?;
        Ok(token)
    }

    fn store_api_token(&self, user_id: i64, token: &str, label: &str) -> Result<(), StoreError> {
        let sql = "INSERT INTO api_tokens (user_id, token, label) VALUES (?1, ?2, ?3)";
        self.conn.execute(sql, params![user_id, token, label])?; //~ cleartext-storage
        Ok(())
    }

    pub fn avatar_url(&self, user: &User) -> String {
        format!(
            "https://www.gravatar.com/avatar/{}?d=identicon",
            digest::gravatar_key(&user.email)
        )
    }
}
