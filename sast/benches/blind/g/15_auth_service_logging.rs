use axum::{extract::State, http::StatusCode, Json};
use log::{debug, error, info, warn};
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct LoginRequest {
    username: String,
    password: String,
    otp: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiCredentials {
    client_id: String,
    api_key: String,
}

pub struct OAuthClient {
    client_id: String,
    client_secret: String,
    token_url: String,
}

pub struct Session {
    user: String,
    token: String,
    expires_in: u64,
}

pub struct DbConfig {
    host: String,
    user: String,
    password: String,
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig").field("host", &self.host).field("user", &self.user).field("password", &"<redacted>").finish()
    }
}

pub struct Redacted<'a>(&'a str);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.get(..4) {
            Some(prefix) if self.0.len() > 12 => write!(f, "{}…({} chars)", prefix, self.0.len()),
            _ => f.write_str("****"),
        }
    }
}

fn trace_login(req: &LoginRequest) {
    tracing::info!(user = %req.username, has_otp = req.otp.is_some(), "login attempt");
    tracing::debug!(user = %req.username, password = %req.password, "login payload"); //~ cleartext-logging
}

fn on_session(s: &Session) {
    info!("session issued for {} (expires in {}s)", s.user, s.expires_in);
    debug!("session token prefix {}", Redacted(&s.token));
    debug!("session token for {}: {}", s.user, s.token); //~ cleartext-logging
}

fn load_api_credentials() -> ApiCredentials {
    ApiCredentials {
        client_id: std::env::var("API_CLIENT_ID").unwrap_or_default(),
        api_key: std::env::var("API_KEY").unwrap_or_default(),
    }
}

pub fn startup(db: &DbConfig) -> ApiCredentials {
    let creds = load_api_credentials();
    println!("db config: {:?}", db);
    println!("api client id: {}", creds.client_id);
    println!("api credentials: {:?}", creds); //~ cleartext-logging
    creds
}

impl OAuthClient {
    pub async fn refresh(&self, refresh_token: &str) -> Result<String, reqwest::Error> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ];
        match reqwest::Client::new().post(&self.token_url).form(&form).send().await {
            Ok(resp) => resp.text().await,
            Err(e) => {
                error!("token refresh failed for client {}: {}", self.client_id, e);
                warn!("refresh context: client_secret={} url={}", self.client_secret, self.token_url); //~ cleartext-logging
                Err(e)
            }
        }
    }
}

pub fn db_connect_failed(cfg: &DbConfig, err: &str) {
    eprintln!("could not connect to {} as {}: {}", cfg.host, cfg.user, err);
    eprintln!("retry manually: psql postgres://{}:{}@{}/app", cfg.user, cfg.password, cfg.host); //~ cleartext-logging
}

pub struct AuthState {
    oauth: OAuthClient,
    service_refresh_token: String,
    users: std::collections::HashMap<String, String>,
}

fn verify_password(phc: &str, password: &str) -> bool {
    use argon2::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).map_or(false, |h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

pub async fn login(State(st): State<Arc<AuthState>>, Json(req): Json<LoginRequest>) -> Result<String, StatusCode> {
    trace_login(&req);
    let known = st.users.get(&req.username).map_or(false, |phc| verify_password(phc, &req.password));
    if !known {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let upstream = st.oauth.refresh(&st.service_refresh_token).await.map_err(|_| StatusCode::BAD_GATEWAY)?;
    let session = Session { user: req.username.clone(), token: uuid::Uuid::new_v4().to_string(), expires_in: 3600 };
    on_session(&session);
    Ok(format!("{{\"token\":\"{}\",\"upstream\":{}}}", session.token, upstream.len()))
}
