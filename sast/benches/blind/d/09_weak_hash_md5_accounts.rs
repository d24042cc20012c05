// Scenario: account module of a self-hosted forum ported from PHP; keeps the
// legacy password scheme alongside a newer Argon2 path.
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha1::{Digest, Sha1};

pub struct Account {
    pub username: String,
    pub password_hash: String,
    pub legacy: bool,
}

fn legacy_digest(password: &str) -> String {
    format!("{:x}", md5::compute(password.as_bytes())) //~ weak-hash
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2")
        .to_string()
}

pub fn register_legacy(username: &str, password: &str) -> Account {
    Account {
        username: username.to_owned(),
        password_hash: legacy_digest(password),
        legacy: true,
    }
}

pub fn verify(account: &Account, password: &str) -> bool {
    if account.legacy {
        return legacy_digest(password) == account.password_hash;
    }
    match PasswordHash::new(&account.password_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

pub fn reset_token_digest(token: &str) -> String {
    let digest = Sha1::digest(token.as_bytes()); //~ weak-hash
    hex::encode(digest)
}

pub fn remember_me_hash(user: &str, pass: &str) -> String {
    let material = format!("{}:{}", user, pass);
    hex::encode(Sha1::digest(material.as_bytes())) //~ weak-hash
}

pub fn avatar_etag(image: &[u8]) -> String {
    format!("\"{:x}\"", md5::compute(image))
}

pub fn gravatar_url(email: &str) -> String {
    let normalized = email.trim().to_lowercase();
    let h = md5::compute(normalized.as_bytes());
    format!("https://www.gravatar.com/avatar/{:x}?d=identicon", h)
}

pub fn attachment_fingerprint(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}
