//! Session/token cache backed by sled (local) and redis (shared).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use md5::{Digest, Md5};
use redis::Commands;
use sha2::Sha256;

const SHARDS: usize = 16;

pub struct Credentials {
    pub user: String,
    pub password: String,
}

pub struct TokenCache {
    db: sled::Db,
}

impl TokenCache {
    pub fn open(path: &str) -> sled::Result<Self> {
        Ok(Self {
            db: sled::open(path)?,
        })
    }

    pub fn put(&self, user: &str, token: &str) -> sled::Result<()> {
        self.db.insert(user.as_bytes(), token.as_bytes())?; //~ cleartext-storage
        Ok(())
    }

    pub fn put_fingerprint(&self, user: &str, token: &str) -> sled::Result<()> {
        let digest = Sha256::digest(token.as_bytes());
        self.db.insert(format!("fp:{user}"), digest.as_slice())?;
        Ok(())
    }

    pub fn lookup(&self, user: &str, presented: &str) -> bool {
        match self.db.get(user.as_bytes()) {
            Ok(Some(stored)) if stored.as_ref() == presented.as_bytes() => {
                log::info!("cache hit for {}", user);
                true
            }
            Ok(Some(stored)) => {
                let token = String::from_utf8_lossy(&stored);
                log::warn!("stale token {} for {}", token, user); //~ cleartext-logging
                false
            }
            _ => false,
        }
    }
}

pub struct SealedStore {
    db: sled::Db,
    cipher_key: [u8; 32],
}

impl SealedStore {
    pub fn new(db: sled::Db) -> Self {
        Self {
            db,
            cipher_key: *b"sled-sealed-store-k3y-2024-06-01",
        }
    }

    pub fn seal(&self, key: &str, value: &[u8]) -> sled::Result<()> {
        let cipher = Aes256Gcm::new(&self.cipher_key.into()); //~ hardcoded-crypto-key
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).expect("rng");
        let mut blob = nonce.to_vec();
        blob.extend(
            cipher
                .encrypt(Nonce::from_slice(&nonce), value)
                .expect("seal"),
        );
        self.db.insert(key.as_bytes(), blob)?;
        Ok(())
    }
}

pub fn reset_token(email: &str, issued_at: u64) -> String {
    hex::encode(Md5::digest(format!("{email}:{issued_at}").as_bytes())) //~ weak-hash
}

pub fn shard_for(user: &str) -> usize {
    Md5::digest(user.as_bytes())[0] as usize % SHARDS
}

pub fn cache_credentials(
    conn: &mut redis::Connection,
    creds: &Credentials,
) -> redis::RedisResult<()> {
    let key = format!("cred:{}:{}", shard_for(&creds.user), creds.user);
    conn.set_ex(key, &creds.password, 600) //~ cleartext-storage
}

pub fn cache_password_hash(
    conn: &mut redis::Connection,
    creds: &Credentials,
) -> redis::RedisResult<()> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(creds.password.as_bytes(), &salt)
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::ClientError, "hash")))?
        .to_string();
    conn.set_ex(format!("pwhash:{}", creds.user), hash, 600)
}

pub fn on_login(
    cache: &TokenCache,
    shared: &mut redis::Connection,
    creds: Credentials,
    token: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    cache.put(&creds.user, token)?;
    cache.put_fingerprint(&creds.user, token)?;
    if std::env::var("CACHE_RAW_CREDENTIALS").is_ok() {
        cache_credentials(shared, &creds)?;
    } else {
        cache_password_hash(shared, &creds)?;
    }
    Ok(())
}

pub fn start_password_reset(cache: &SealedStore, email: &str, now: u64) -> String {
    let token = reset_token(email, now);
    let _ = cache.seal(&format!("reset:{email}"), token.as_bytes());
    format!("https://accounts.example.com/reset?token={token}")
}
