//! GitHub Enterprise login for the internal dashboard: OAuth start and
//! callback, session cookies and token caching (axum + axum-extra).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::{distributions::Alphanumeric, Rng};
use redis::AsyncCommands;
use serde::Deserialize;
use std::sync::Arc;
use time::Duration;

const IDP_HOST: &str = "github.corp.example.com";
const IDP_API: &str = "ghe-api.corp.example.com";
const SESSION_TTL: u64 = 8 * 3600;
const REFRESH_TTL: u64 = 30 * 86_400;

pub struct OAuthConfig {
    client_id: String,
    client_secret: String,
    token_url: String,
    userinfo_url: String,
}

impl OAuthConfig {
    pub fn from_env() -> Result<OAuthConfig, std::env::VarError> {
        Ok(OAuthConfig {
            client_id: std::env::var("OAUTH_CLIENT_ID")?,
            client_secret: std::env::var("OAUTH_CLIENT_SECRET")?,
            token_url: format!("https://{IDP_HOST}/login/oauth/access_token"),
            userinfo_url: format!("http://{IDP_API}/api/v3/user"),
        })
    }
}

pub struct App {
    cfg: OAuthConfig,
    http: reqwest::Client,
    redis: redis::Client,
}

#[derive(Deserialize)]
pub struct Callback {
    code: String,
    state: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct GhUser {
    id: u64,
    login: String,
}

fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl App {
    async fn exchange(&self, code: &str) -> reqwest::Result<TokenResponse> {
        let form = [
            ("client_id", self.cfg.client_id.as_str()),
            ("client_secret", self.cfg.client_secret.as_str()),
            ("code", code),
        ];
        let req = self
            .http
            .post(&self.cfg.token_url)
            .header("Accept", "application/json");
        req.form(&form)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    async fn user(&self, access_token: &str) -> reqwest::Result<GhUser> {
        let req = self.http.get(&self.cfg.userinfo_url);
        let resp = req.bearer_auth(access_token).send().await?; //~ cleartext-url
        resp.error_for_status()?.json().await
    }

    async fn cache_tokens(
        &self,
        sid: &str,
        user: &GhUser,
        t: &TokenResponse,
    ) -> redis::RedisResult<()> {
        let mut conn = self.redis.get_multiplexed_async_connection().await?;
        let session_key = format!("session:{sid}");
        conn.set_ex::<_, _, ()>(&session_key, user.id, SESSION_TTL)
            .await?;
        if let Some(rt) = &t.refresh_token {
            let key = format!("refresh:{}", user.id);
            conn.set_ex::<_, _, ()>(&key, rt, REFRESH_TTL).await?; //~ cleartext-storage
        }
        Ok(())
    }
}

fn state_cookie(state: String) -> Cookie<'static> {
    Cookie::build(("oauth_state", state))
        .path("/auth")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::minutes(10))
        .build()
}

fn session_cookie(sid: String) -> Cookie<'static> {
    Cookie::build(("dash_sid", sid)) //~ insecure-cookie
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::hours(8))
        .build()
}

/// Read by the SPA and replayed as a bearer token against `/api`.
fn api_cookie(token: String) -> Cookie<'static> {
    Cookie::build(("dash_api_token", token)) //~ cookie-without-httponly
        .path("/api")
        .secure(true)
        .same_site(SameSite::Strict)
        .build()
}

fn remember_cookie(token: String) -> Cookie<'static> {
    Cookie::build(("dash_remember", token)) //~ cookie-without-samesite
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::None)
        .max_age(Duration::days(14))
        .build()
}

pub async fn start(State(app): State<Arc<App>>, jar: CookieJar) -> (CookieJar, Redirect) {
    let state = random_token(32);
    let url = format!(
        "https://{IDP_HOST}/login/oauth/authorize?client_id={}&state={}",
        app.cfg.client_id, state
    );
    (jar.add(state_cookie(state)), Redirect::to(&url))
}

pub async fn callback(
    State(app): State<Arc<App>>,
    jar: CookieJar,
    Query(cb): Query<Callback>,
) -> Result<(CookieJar, Redirect), StatusCode> {
    let expected = jar.get("oauth_state").map(|c| c.value().to_owned());
    if expected.as_deref() != Some(cb.state.as_str()) {
        return Err(StatusCode::BAD_REQUEST);
    }
    let tokens = app
        .exchange(&cb.code)
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let user = app
        .user(&tokens.access_token)
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let sid = random_token(48);
    app.cache_tokens(&sid, &user, &tokens)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    tracing::info!(user = %user.login, "dashboard login");
    let jar = jar
        .remove(Cookie::from("oauth_state"))
        .add(session_cookie(sid))
        .add(api_cookie(tokens.access_token.clone()))
        .add(remember_cookie(random_token(64)))
        .add(Cookie::build(("ui_lang", "en")).path("/"));
    Ok((jar, Redirect::to("/")))
}
