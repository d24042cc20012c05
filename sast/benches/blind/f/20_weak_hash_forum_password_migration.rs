// Password migration job for the forum platform: verifies users against the legacy
// phpBB-style hashes, rehashes on login and hands reset tokens to the mailer.
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use std::fs::OpenOptions;
use std::io::Write;

pub struct LegacyUser {
    pub id: u64,
    pub email: String,
    pub scheme: String,
    pub salt: String,
    pub stored: String,
}

pub struct LoginAttempt<'a> {
    pub user: &'a LegacyUser,
    pub password: &'a str,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{:02x}", b)).collect()
}

fn md5_scheme(password: &str) -> String {
    format!("{:x}", md5::compute(password.as_bytes())) //~ weak-hash
}

fn sha1_scheme(salt: &str, password: &str) -> String {
    hex(&Sha1::digest(format!("{}{}", salt, password))) //~ weak-hash
}

fn api_token_fingerprint(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn attachment_etag(content: &[u8]) -> String {
    hex(&Sha1::digest(content))
}

pub fn gravatar_url(email: &str) -> String {
    let digest = md5::compute(email.trim().to_lowercase());
    format!("https://www.gravatar.com/avatar/{:x}?d=identicon", digest)
}

pub fn verify_legacy(attempt: &LoginAttempt) -> bool {
    let u = attempt.user;
    let computed = match u.scheme.as_str() {
        "md5" => md5_scheme(attempt.password),
        "sha1" => sha1_scheme(&u.salt, attempt.password),
        _ => return false,
    };
    computed == u.stored
}

pub fn rehash(password: &str) -> Option<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .ok()?;
    Some(hash.to_string())
}

pub fn verify_modern(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

pub fn quick_check_hash(password: &str) -> String {
    let digest = Sha256::digest(password.as_bytes()); //~ weak-hash
    hex(&digest)
}

pub fn record_failure(attempt: &LoginAttempt, reason: &str) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open("/var/lib/forum/migration_failures.csv")?;
    let u = attempt.user;
    writeln!(f, "{},{},{},{}", u.id, u.email, attempt.password, reason)?; //~ cleartext-storage
    Ok(())
}

pub fn record_success(attempt: &LoginAttempt) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open("/var/lib/forum/migrated.csv")?;
    writeln!(f, "{},{}", attempt.user.id, attempt.user.email)?;
    Ok(())
}

pub fn send_reset(user: &LegacyUser, reset_token: &str) -> Result<(), ureq::Error> {
    let body = serde_json::json!({
        "to": user.email,
        "template": "password-reset",
        "token": reset_token,
    });
    ureq::post("http://mailer.forum.internal/v1/send").send_json(body)?; //~ cleartext-url
    Ok(())
}

pub fn send_welcome(user: &LegacyUser) -> Result<(), ureq::Error> {
    let body = serde_json::json!({ "to": user.email, "template": "welcome-back" });
    ureq::post("https://mailer.forum.internal/v1/send").send_json(body)?;
    Ok(())
}

pub fn migrate(attempt: &LoginAttempt, token: &str) -> Option<(String, String)> {
    if !verify_legacy(attempt) {
        let _ = record_failure(attempt, "legacy-mismatch");
        let _ = send_reset(attempt.user, token);
        return None;
    }
    let phc = rehash(attempt.password)?;
    let _ = record_success(attempt);
    let _ = send_welcome(attempt.user);
    let cache_key = quick_check_hash(attempt.password);
    Some((
        phc,
        format!("{}:{}", cache_key, api_token_fingerprint(token)),
    ))
}
