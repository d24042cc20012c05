use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use md5 as hasher;
use serde::Deserialize;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;

const PEPPER: &[u8] = b"pepper-2019-prod-do-not-rotate";

#[derive(Deserialize)]
pub struct SignupForm {
    pub username: String,
    pub email: String,
    pub password: String,
}

pub struct CredentialStore {
    pepper: Vec<u8>,
    legacy_salt: String,
    recovery_path: PathBuf,
}

impl CredentialStore {
    pub fn from_env() -> Option<Self> {
        Some(CredentialStore {
            pepper: hex::decode(std::env::var("AUTH_PEPPER").ok()?).ok()?,
            legacy_salt: std::env::var("LEGACY_SALT").unwrap_or_default(),
            recovery_path: PathBuf::from("/var/lib/auth/recovery.txt"),
        })
    }

    fn peppered(&self, password: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.pepper).expect("hmac key");
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn peppered_v1(&self, password: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(PEPPER).expect("hmac key"); //~ hardcoded-crypto-key
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    pub fn hash_password(&self, password: &str) -> String {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(&self.peppered(password), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    }

    pub fn verify(&self, password: &str, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else { return false };
        Argon2::default().verify_password(&self.peppered(password), &parsed).is_ok()
            || Argon2::default().verify_password(&self.peppered_v1(password), &parsed).is_ok()
    }

    pub fn legacy_hash(&self, password: &str) -> String {
        let digest = hasher::compute(format!("{}{}", self.legacy_salt, password)); //~ weak-hash
        format!("{:x}", digest)
    }

    pub fn api_password_hash(password: &str) -> String {
        hex::encode(Sha1::digest(password.as_bytes())) //~ weak-hash
    }

    pub fn reset_token_digest(token: &str) -> String {
        sha1_smol::Sha1::from(token.as_bytes()).hexdigest() //~ weak-hash
    }

    pub fn remember_me_digest(token: &str) -> String {
        format!("{:x}", hasher::compute(token.as_bytes())) //~ weak-hash
    }

    pub fn reset_token_digest_v2(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    pub fn gravatar_url(email: &str) -> String {
        let digest = hasher::compute(email.trim().to_lowercase().as_bytes());
        format!("https://www.gravatar.com/avatar/{:x}?d=identicon", digest)
    }

    fn append_recovery(&self, line: &str) -> io::Result<()> {
        let mut f = OpenOptions::new().create(true).append(true).open(&self.recovery_path)?;
        f.write_all(line.as_bytes())
    }

    pub fn record_for_recovery(&self, form: &SignupForm) -> io::Result<()> {
        let phc = self.hash_password(&form.password);
        self.append_recovery(&format!("{}:{}\n", form.username, phc))
    }

    pub fn record_for_recovery_v1(&self, form: &SignupForm) -> io::Result<()> {
        let mut f = OpenOptions::new().create(true).append(true).open(&self.recovery_path)?;
        writeln!(f, "{}:{}:{}", form.username, form.email, form.password) //~ cleartext-storage
    }
}

pub fn handle_signup(store: &CredentialStore, form: SignupForm, legacy_client: bool) -> io::Result<String> {
    if legacy_client {
        store.record_for_recovery_v1(&form)?;
        Ok(store.legacy_hash(&form.password))
    } else {
        store.record_for_recovery(&form)?;
        Ok(store.hash_password(&form.password))
    }
}
