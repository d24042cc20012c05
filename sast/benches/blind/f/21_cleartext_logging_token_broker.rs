// Token broker sidecar: exchanges client credentials for upstream OAuth tokens,
// caches the refresh token between restarts and authenticates local callers.
use http::HeaderMap;
use mysql::prelude::Queryable;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

pub struct BrokerConfig {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub cache_path: String,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: u64,
}

pub struct CachedToken {
    pub refresh_token: String,
    pub obtained_at: u64,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("refresh_token", &"<redacted>")
            .field("obtained_at", &self.obtained_at)
            .finish()
    }
}

fn mask(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}****")
}

pub fn fetch_token(cfg: &BrokerConfig) -> Result<TokenResponse, ureq::Error> {
    let secret = cfg.client_secret.as_str();
    tracing::debug!(client_id = %cfg.client_id, client_secret = %secret, "requesting token"); //~ cleartext-logging
    let resp = ureq::post(&cfg.token_url).send_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &cfg.client_id),
        ("client_secret", secret),
    ])?;
    let token: TokenResponse = resp.into_json()?;
    if token.expires_in < 60 {
        eprintln!("suspiciously short token lifetime: {:?}", token); //~ cleartext-logging
    }
    tracing::info!(client_id = %cfg.client_id, expires_in = token.expires_in, "token issued");
    Ok(token)
}

pub fn persist_refresh(cfg: &BrokerConfig, token: &TokenResponse) -> std::io::Result<()> {
    let Some(refresh) = token.refresh_token.as_deref() else {
        return Ok(());
    };
    let cached = CachedToken {
        refresh_token: refresh.to_owned(),
        obtained_at: std::time::UNIX_EPOCH
            .elapsed()
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    tracing::debug!("caching {:?}", cached);
    let line = format!("{}\n{}\n", cached.obtained_at, cached.refresh_token);
    std::fs::write(&cfg.cache_path, line) //~ cleartext-storage
}

pub fn persist_refresh_keyring(cfg: &BrokerConfig, token: &TokenResponse) -> keyring::Result<()> {
    if let Some(refresh) = &token.refresh_token {
        let entry = keyring::Entry::new("token-broker", &cfg.client_id)?;
        entry.set_password(refresh)?;
        std::fs::write(&cfg.cache_path, b"keyring\n").ok();
    }
    Ok(())
}

pub fn authenticate(headers: &HeaderMap, pool: &mysql::Pool) -> Result<bool, mysql::Error> {
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let caller = headers
        .get("x-caller-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("anonymous");
    if api_key.len() != 40 {
        log::warn!("malformed api key {:?} from {}", api_key, caller); //~ cleartext-logging
        return Ok(false);
    }
    let digest = hex::encode(Sha256::digest(api_key.as_bytes()));
    let mut conn = pool.get_conn()?;
    let found: Option<u64> = conn.exec_first(
        "SELECT id FROM api_keys WHERE key_sha256 = ? AND revoked = 0",
        (digest,),
    )?;
    if found.is_none() {
        log::warn!("rejected api key {} from {}", mask(api_key), caller);
        return Ok(false);
    }
    let touch = format!(
        "UPDATE callers SET last_seen = NOW() WHERE name = '{}'",
        caller
    );
    conn.query_drop(touch)?; //~ sql-injection
    conn.exec_drop("UPDATE api_keys SET uses = uses + 1 WHERE id = ?", (found,))?;
    Ok(true)
}

pub fn run(cfg: &BrokerConfig) {
    match fetch_token(cfg) {
        Ok(token) => {
            let stored = persist_refresh_keyring(cfg, &token).map_err(|e| e.to_string());
            if stored.is_err() {
                let _ = persist_refresh(cfg, &token);
            }
            println!("broker ready, token expires in {}s", token.expires_in);
        }
        Err(e) => eprintln!("token exchange failed for {}: {}", cfg.client_id, e),
    }
}
