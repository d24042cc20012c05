use log::{error, warn};
use std::fmt;
use tracing::{debug, info, instrument};

pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("user", &self.user).field("password", &"<redacted>").finish()
    }
}

#[derive(Debug, Clone)]
pub struct DbConfig {
    pub host: String,
    pub user: String,
    pub db_password: String,
}

pub struct TokenPair {
    pub user: String,
    pub access_token: String,
    pub refresh_token: String,
}

fn redact(secret: &str) -> String {
    if secret.len() <= 4 {
        return "****".into();
    }
    format!("{}****", &secret[..2])
}

fn load_db_config() -> DbConfig {
    DbConfig {
        host: std::env::var("DB_HOST").unwrap_or_else(|_| "localhost".into()),
        user: std::env::var("DB_USER").unwrap_or_else(|_| "app".into()),
        db_password: std::env::var("DB_PASSWORD").unwrap_or_default(),
    }
}

#[instrument(skip(creds))]
pub fn authenticate(creds: &Credentials) -> bool {
    info!(user = %creds.user, "authenticating");
    debug!(user = %creds.user, password = %creds.password, "auth attempt details"); //~ cleartext-logging
    debug!(?creds, "parsed credentials");
    creds.password.len() >= 12
}

impl TokenPair {
    pub fn refresh(&mut self, ok: bool) {
        if ok {
            info!(user = %self.user, "token refreshed");
            return;
        }
        warn!("token refresh failed for {}: refresh={}", self.user, self.refresh_token); //~ cleartext-logging
        warn!("token refresh failed for {}: refresh={}", self.user, redact(&self.refresh_token));
    }

    pub fn auth_header(&self) -> String {
        format!("Bearer {}", self.access_token)
    }
}

fn connect(cfg: &DbConfig) -> Result<(), String> {
    if cfg.host.is_empty() {
        return Err(format!("no host configured for user {}", cfg.user));
    }
    Ok(())
}

pub fn init_db() {
    let cfg = load_db_config();
    info!(host = %cfg.host, user = %cfg.user, "connecting to database");
    if std::env::var_os("DB_DEBUG").is_some() {
        dbg!(&cfg); //~ cleartext-logging
    }
    if let Err(e) = connect(&cfg) {
        panic!("database connect failed ({}): password={}", e, cfg.db_password); //~ cleartext-logging
    }
}

pub fn init_db_quiet() {
    let cfg = load_db_config();
    if let Err(e) = connect(&cfg) {
        panic!("database connect failed ({}), user={}", e, cfg.user);
    }
}

pub fn call_api(tokens: &TokenPair, verbose: bool) {
    let header = tokens.auth_header();
    if verbose {
        eprintln!("> Authorization: {}", header); //~ cleartext-logging
        eprintln!("> Authorization: Bearer {}", redact(&tokens.access_token));
    }
    if header.len() > 4096 {
        error!("authorization header too large ({} bytes) for {}", header.len(), tokens.user);
    }
}

pub fn login_flow(user: String, password: String) -> Option<TokenPair> {
    let creds = Credentials { user: user.clone(), password };
    if !authenticate(&creds) {
        warn!("login rejected: {:?}", creds);
        return None;
    }
    let mut pair = TokenPair { user, access_token: uuid::Uuid::new_v4().to_string(), refresh_token: uuid::Uuid::new_v4().to_string() };
    pair.refresh(false);
    call_api(&pair, true);
    Some(pair)
}
