// Scenario: API-key and credential storage for a SaaS backend. Keys are shown
// once and only a digest is stored in the database.
use bcrypt::{hash, verify, DEFAULT_COST};
use ring::digest;
use sha2::{Digest, Sha256, Sha512};

pub struct StoredKey {
    pub prefix: String,
    pub digest: Vec<u8>,
}

pub struct Credentials<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

impl<'a> Credentials<'a> {
    pub fn fast_digest(&self) -> Vec<u8> {
        Sha256::digest(self.password.as_bytes()).to_vec() //~ weak-hash
    }

    pub fn slow_digest(&self) -> Result<String, bcrypt::BcryptError> {
        hash(self.password, DEFAULT_COST)
    }
}

fn key_digest(raw_key: &str) -> Vec<u8> {
    let d = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, raw_key.as_bytes()); //~ weak-hash
    d.as_ref().to_vec()
}

pub fn store_api_key(raw_key: &str) -> StoredKey {
    StoredKey {
        prefix: raw_key.chars().take(8).collect(),
        digest: key_digest(raw_key),
    }
}

pub fn check_api_key(stored: &StoredKey, presented: &str) -> bool {
    key_digest(presented) == stored.digest
}

pub fn blob_id(data: &[u8]) -> String {
    let mut h = Sha512::new();
    h.update(data);
    hex::encode(h.finalize())
}

pub fn migrate_users(rows: Vec<(String, String)>) -> Vec<(String, String)> {
    rows.into_iter()
        .map(|(user, pw)| {
            let digest = md5::compute(pw.as_bytes()); //~ weak-hash
            (user, format!("{:x}", digest))
        })
        .collect()
}

pub fn login(creds: &Credentials, stored_bcrypt: &str) -> bool {
    verify(creds.password, stored_bcrypt).unwrap_or(false)
}

pub fn request_body_checksum(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

pub fn cache_key(path: &str, query: &str) -> String {
    let d = md5::compute(format!("{}?{}", path, query));
    format!("{:x}", d)
}
