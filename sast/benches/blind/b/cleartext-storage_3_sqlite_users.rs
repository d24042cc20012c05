// User registration service backed by SQLite, with an audit export of newly created accounts.
use rusqlite::{params, Connection};
use std::fs::OpenOptions;
use std::io::Write;

pub struct NewUser {
    pub email: String,
    pub passwd: String,
    pub recovery_code: String,
}

pub struct UserRepo {
    conn: Connection,
}

fn hash_password(pw: &str) -> String {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

impl UserRepo {
    pub fn open(path: &str) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS users (email TEXT, pw TEXT, pw_hash TEXT, recovery TEXT);\n             CREATE TABLE IF NOT EXISTS sessions (email TEXT, token TEXT)",
        )?;
        Ok(UserRepo { conn })
    }

    pub fn insert_legacy(&self, u: &NewUser) -> rusqlite::Result<usize> {
        let sql = "INSERT INTO users (email, pw) VALUES (?1, ?2)";
        self.conn.execute(sql, params![u.email, u.passwd]) //~ cleartext-storage
    }

    pub fn insert(&self, u: &NewUser) -> rusqlite::Result<usize> {
        let digest = hash_password(&u.passwd);
        self.conn.execute(
            "INSERT INTO users (email, pw_hash) VALUES (?1, ?2)",
            params![u.email, digest],
        )
    }

    pub fn set_recovery_hash(&self, email: &str, code_hash: &str) -> rusqlite::Result<usize> {
        let stmt = "UPDATE users SET recovery = ?1 WHERE email = ?2";
        self.conn.execute(stmt, (code_hash, email))
    }

    pub fn remember_session(&self, email: &str, session_token: &str) -> rusqlite::Result<usize> {
        let stmt = "INSERT INTO sessions (email, token) VALUES (?1, ?2)";
        self.conn.execute(stmt, (email, session_token)) //~ cleartext-storage
    }
}

pub fn export_audit(path: &str, users: &[NewUser]) -> std::io::Result<()> {
    let mut out = OpenOptions::new().create(true).append(true).open(path)?;
    for u in users {
        writeln!(out, "created account {}", u.email)?;
        writeln!(out, "{},{}", u.email, u.recovery_code)?; //~ cleartext-storage
    }
    Ok(())
}

pub fn register(repo: &UserRepo, email: String, passwd: String) -> anyhow::Result<()> {
    let recovery_code = uuid::Uuid::new_v4().to_string();
    let user = NewUser { email, passwd, recovery_code };
    repo.insert(&user)?;
    repo.set_recovery_hash(&user.email, &hash_password(&user.recovery_code))?;
    let session_token = crate::session::new_token();
    repo.remember_session(&user.email, &session_token)?;
    export_audit("/var/log/app/accounts.csv", std::slice::from_ref(&user))?;
    Ok(())
}
