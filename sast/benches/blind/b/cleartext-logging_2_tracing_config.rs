// Service bootstrap that loads database and upstream API credentials from a config struct and traces startup.
use serde::Deserialize;
use std::fmt;
use tracing::{debug, info, warn};

#[derive(Debug, Deserialize)]
pub struct DbConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

#[derive(Deserialize)]
pub struct UpstreamConfig {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for UpstreamConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamConfig")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Deserialize)]
pub struct Settings {
    pub db: DbConfig,
    pub upstream: UpstreamConfig,
}

pub fn load(path: &str) -> anyhow::Result<Settings> {
    let raw = std::fs::read_to_string(path)?;
    let settings: Settings = toml::from_str(&raw)?;
    Ok(settings)
}

fn connection_string(db: &DbConfig) -> String {
    format!("postgres://{}:{}@{}:{}/app", db.user, db.password, db.host, db.port)
}

pub fn start(path: &str) -> anyhow::Result<()> {
    let settings = load(path)?;

    info!(host = %settings.db.host, port = settings.db.port, "connecting to database");
    tracing::debug!(user = %settings.db.user, password = %settings.db.password, "db credentials"); //~ cleartext-logging
    debug!(db = ?settings.db, "database config loaded"); //~ cleartext-logging
    debug!(upstream = ?settings.upstream, "upstream config loaded");

    let dsn = connection_string(&settings.db);
    info!("using dsn {}", dsn); //~ cleartext-logging

    let secret = &settings.upstream.client_secret;
    if secret.len() < 16 {
        warn!(client_id = %settings.upstream.client_id, "client secret looks too short");
    }
    let pw_len = settings.db.password.len();
    debug!(pw_len, "password configured");

    Ok(())
}
