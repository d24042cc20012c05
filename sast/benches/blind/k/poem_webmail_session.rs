//! Session handling for the webmail front end (poem).

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use poem::http::StatusCode;
use poem::middleware::CookieJarManager;
use poem::web::cookie::{Cookie, CookieJar, CookieKey, SameSite};
use poem::web::{Data, Form, Redirect};
use poem::{handler, post, EndpointExt, Route};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use tracing::{debug, info};

const COOKIE_SECRET: &[u8] = b"wm-cookie-signing-key-7d41c0a9e2f65b38-0c9e1f2a7b6d5e4f3a2b1c0d9e8f";

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    imap_password: String,
    remember: Option<bool>,
}

#[derive(Debug, Serialize)]
struct MailAccount {
    email: String,
    imap_host: String,
    imap_password: String,
    created: u64,
}

#[derive(Clone)]
struct AppState {
    account_dir: PathBuf,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_token() -> String {
    let mut buf = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn session_id(email: &str) -> String {
    let seed = format!("{}:{}", email, unix_now());
    hex::encode(Sha1::digest(seed.as_bytes())) //~ weak-hash
}

fn imap_host_for(email: &str) -> String {
    let domain = email.rsplit('@').next().unwrap_or("localhost");
    format!("imap.{}", domain)
}

fn account_from(form: &LoginForm) -> MailAccount {
    MailAccount {
        email: form.email.to_lowercase(),
        imap_host: imap_host_for(&form.email),
        imap_password: form.imap_password.clone(),
        created: unix_now(),
    }
}

impl AppState {
    fn persist(&self, account: &MailAccount) -> std::io::Result<()> {
        let file = self
            .account_dir
            .join(format!("{:x}.json", md5::compute(&account.email)));
        let body = serde_json::to_vec_pretty(account)?;
        std::fs::write(file, body) //~ cleartext-storage
    }
}

fn check_imap(account: &MailAccount) -> bool {
    info!("imap probe {} via {}", account.email, account.imap_host);
    debug!("imap probe account {:?}", account); //~ cleartext-logging
    !account.imap_password.is_empty()
}

fn signing_key() -> CookieKey {
    CookieKey::from(COOKIE_SECRET) //~ hardcoded-crypto-key
}

fn session_cookie(sid: String) -> Cookie {
    let mut c = Cookie::new_with_str("wm_session", sid); //~ insecure-cookie
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c
}

fn remember_cookie(token: String) -> Cookie {
    let mut c = Cookie::new_with_str("wm_remember", token); //~ cookie-without-httponly
    c.set_path("/");
    c.set_secure(true);
    c.set_same_site(SameSite::Strict);
    c.set_max_age(Duration::from_secs(30 * 86_400));
    c
}

fn sso_cookie(token: String) -> Cookie {
    let mut c = Cookie::new_with_str("wm_sso", token); //~ cookie-without-samesite
    c.set_path("/");
    c.set_secure(true);
    c.set_http_only(true);
    c
}

fn device_cookie(token: String) -> Cookie {
    let mut c = Cookie::new_with_str("wm_device", token);
    c.set_path("/");
    c.set_secure(true);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c
}

fn lang_cookie(lang: &str) -> Cookie {
    let mut c = Cookie::new_with_str("wm_lang", lang);
    c.set_path("/");
    c
}

#[handler]
async fn login(
    Form(form): Form<LoginForm>,
    jar: &CookieJar,
    Data(state): Data<&AppState>,
) -> poem::Result<Redirect> {
    let account = account_from(&form);
    if !check_imap(&account) {
        return Err(poem::Error::from_status(StatusCode::UNAUTHORIZED));
    }
    state
        .persist(&account)
        .map_err(|_| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    jar.add(session_cookie(session_id(&account.email)));
    jar.add(device_cookie(random_token()));
    jar.add(lang_cookie("en"));
    if form.remember.unwrap_or(false) {
        jar.add(remember_cookie(random_token()));
    }
    jar.signed_jar().add(sso_cookie(random_token()));
    Ok(Redirect::see_other("/inbox"))
}

#[handler]
async fn logout(jar: &CookieJar) -> Redirect {
    for name in ["wm_session", "wm_remember", "wm_sso", "wm_device"] {
        jar.remove(name);
    }
    Redirect::see_other("/")
}

pub fn app(account_dir: PathBuf) -> impl poem::Endpoint {
    Route::new()
        .at("/login", post(login))
        .at("/logout", post(logout))
        .data(AppState { account_dir })
        .with(CookieJarManager::with_key(signing_key()))
}
