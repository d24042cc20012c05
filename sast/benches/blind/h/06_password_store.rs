use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use md5::{Digest as _, Md5};
use rusqlite::{params, Connection};
use sha1::Sha1;
use sha2::Sha256;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub recovery_answer: String,
}

pub struct AccountStore {
    conn: Connection,
    export_dir: String,
}

fn legacy_digest(password: &str) -> String {
    let d = md5::compute(password.as_bytes()); //~ weak-hash
    format!("{:x}", d)
}

fn modern_digest(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

fn reset_token_digest(token: &str) -> Vec<u8> {
    Sha1::digest(token.as_bytes()).to_vec() //~ weak-hash
}

fn avatar_etag(bytes: &[u8]) -> String {
    let mut h = Md5::new();
    h.update(bytes);
    hex::encode(h.finalize())
}

fn api_key_fingerprint(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn answer_digest(answer: &str) -> String {
    let normalized = answer.trim().to_lowercase();
    hex::encode(Md5::digest(normalized.as_bytes())) //~ weak-hash
}

impl AccountStore {
    pub fn create(&self, acct: &NewAccount, legacy: bool) -> rusqlite::Result<()> {
        let hash = if legacy { legacy_digest(&acct.password) } else { modern_digest(&acct.password) };
        self.conn.execute(
            "INSERT INTO accounts (username, pw_hash, recovery) VALUES (?1, ?2, ?3)",
            params![acct.username, hash, answer_digest(&acct.recovery_answer)],
        )?;
        Ok(())
    }

    pub fn create_with_plain_copy(&self, acct: &NewAccount) -> rusqlite::Result<()> {
        self.create(acct, false)?;
        self.conn.execute("INSERT INTO pw_history (username, pw) VALUES (?1, ?2)", params![acct.username, acct.password])?; //~ cleartext-storage
        Ok(())
    }

    pub fn store_reset_token(&self, username: &str, token: &str) -> rusqlite::Result<()> {
        let digest = reset_token_digest(token);
        self.conn.execute(
            "UPDATE accounts SET reset_digest = ?1 WHERE username = ?2",
            params![digest, username],
        )?;
        Ok(())
    }

    pub fn store_api_key(&self, username: &str, key: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE accounts SET api_key_fp = ?1 WHERE username = ?2",
            params![api_key_fingerprint(key), username],
        )?;
        Ok(())
    }

    pub fn save_avatar(&self, username: &str, bytes: &[u8]) -> std::io::Result<String> {
        let tag = avatar_etag(bytes);
        std::fs::write(Path::new(&self.export_dir).join(format!("{}.png", tag)), bytes)?;
        let _ = username;
        Ok(tag)
    }

    pub fn export_credentials(&self, accounts: &[NewAccount]) -> std::io::Result<()> {
        let path = Path::new(&self.export_dir).join("accounts.csv");
        let mut f = OpenOptions::new().create(true).append(true).open(path)?;
        for a in accounts {
            let line = format!("{},{}\n", a.username, a.password);
            f.write_all(line.as_bytes())?; //~ cleartext-storage
        }
        Ok(())
    }

    pub fn export_usernames(&self, accounts: &[NewAccount]) -> std::io::Result<()> {
        let path = Path::new(&self.export_dir).join("usernames.txt");
        let names: Vec<&str> = accounts.iter().map(|a| a.username.as_str()).collect();
        std::fs::write(path, names.join("\n"))
    }

    pub fn export_hashes(&self, accounts: &[NewAccount]) -> std::io::Result<()> {
        let body: String = accounts
            .iter()
            .map(|a| format!("{}:{}\n", a.username, modern_digest(&a.password)))
            .collect();
        std::fs::write(Path::new(&self.export_dir).join("hashes.txt"), body)
    }

    pub fn write_recovery_sheet(&self, acct: &NewAccount) -> std::io::Result<()> {
        let sheet = format!("user={}\nrecovery={}\n", acct.username, acct.recovery_answer);
        std::fs::write(Path::new(&self.export_dir).join("recovery.txt"), sheet) //~ cleartext-storage
    }
}
