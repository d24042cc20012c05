// Scenario: startup of a background worker daemon that reads its configuration
// from the environment and logs what it is doing.
use std::env;
use std::fmt;

#[derive(Debug, Clone)]
struct DbSettings {
    host: String,
    user: String,
    password: String,
}

#[derive(Clone)]
struct SmtpSettings {
    relay: String,
    api_key: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("relay", &self.relay)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

struct Config {
    db: DbSettings,
    smtp: SmtpSettings,
    aws_secret: String,
}

fn load() -> Config {
    let get = |k: &str| env::var(k).unwrap_or_default();
    Config {
        db: DbSettings {
            host: get("DB_HOST"),
            user: get("DB_USER"),
            password: get("DB_PASSWORD"),
        },
        smtp: SmtpSettings { relay: get("SMTP_RELAY"), api_key: get("SMTP_API_KEY") },
        aws_secret: get("AWS_SECRET_ACCESS_KEY"),
    }
}

fn connection_url(db: &DbSettings) -> String {
    format!("postgres://{}:{}@{}/jobs", db.user, db.password, db.host)
}

fn main() {
    env_logger::init();
    let cfg = load();

    log::info!("database settings: {:?}", cfg.db); //~ cleartext-logging
    log::info!("smtp settings: {:?}", cfg.smtp);
    log::info!("connecting to db host={} user={}", cfg.db.host, cfg.db.user);

    let url = connection_url(&cfg.db);
    eprintln!("DEBUG connect url: {}", url); //~ cleartext-logging

    if cfg.aws_secret.is_empty() {
        log::warn!("AWS_SECRET_ACCESS_KEY not set; S3 upload disabled");
    } else {
        println!("using AWS secret {}", cfg.aws_secret); //~ cleartext-logging
        log::debug!("aws secret configured ({} chars)", cfg.aws_secret.len());
    }

    let token = env::var("WORKER_TOKEN").ok();
    match token.as_deref() {
        Some(t) if t.len() < 16 => log::error!("WORKER_TOKEN too short"),
        Some(_) => log::info!("worker token present"),
        None => log::error!("WORKER_TOKEN missing"),
    }
}
