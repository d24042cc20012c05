use axum::{
    extract::{FromRef, State},
    response::{IntoResponse, Redirect},
    Form,
};
use axum_extra::extract::cookie::{Cookie, CookieJar, Key, PrivateCookieJar, SameSite};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

static SESSION_SECRET: &[u8] = b"3f9a1c77e2b04d5e8a6b1c2d3e4f5a6b";

#[derive(Clone)]
pub struct AppState {
    cookie_key: Key,
    signing_secret: Vec<u8>,
}

impl FromRef<AppState> for Key {
    fn from_ref(st: &AppState) -> Key {
        st.cookie_key.clone()
    }
}

impl AppState {
    pub fn from_env() -> Self {
        let master = std::env::var("COOKIE_MASTER_KEY").expect("COOKIE_MASTER_KEY");
        let secret = std::env::var("SESSION_SIGNING_SECRET").expect("SESSION_SIGNING_SECRET");
        AppState { cookie_key: Key::from(master.as_bytes()), signing_secret: secret.into_bytes() }
    }
}

#[derive(Deserialize)]
pub struct Login {
    user: String,
    tz: Option<String>,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn sign_with(secret: &[u8], id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("hmac");
    mac.update(id.as_bytes());
    format!("{}.{}", id, hex::encode(mac.finalize().into_bytes()))
}

fn sign_legacy(id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SESSION_SECRET).expect("hmac"); //~ hardcoded-crypto-key
    mac.update(id.as_bytes());
    format!("{}.{}", id, hex::encode(mac.finalize().into_bytes()))
}

pub async fn login(State(st): State<AppState>, jar: CookieJar, Form(f): Form<Login>) -> impl IntoResponse {
    let sid = sign_with(&st.signing_secret, &new_id());
    let jar = jar.add(Cookie::build(("sid", sid)).path("/").http_only(true).secure(true)); //~ cookie-without-samesite
    let jar = match f.tz {
        Some(tz) => jar.add(Cookie::build(("tz", tz)).path("/")),
        None => jar,
    };
    (jar, Redirect::to("/"))
}

pub async fn login_v2(State(st): State<AppState>, jar: CookieJar, Form(_f): Form<Login>) -> impl IntoResponse {
    let sid = sign_with(&st.signing_secret, &new_id());
    let cookie = Cookie::build(("sid", sid)).path("/").http_only(true).secure(true).same_site(SameSite::Lax).build();
    (jar.add(cookie), Redirect::to("/"))
}

pub async fn legacy_login(jar: CookieJar, Form(_f): Form<Login>) -> impl IntoResponse {
    let sid = sign_legacy(&new_id());
    let cookie = Cookie::build(("legacy_sid", sid)).path("/").http_only(true).same_site(SameSite::Lax).build(); //~ insecure-cookie
    (jar.add(cookie), Redirect::to("/"))
}

pub async fn issue_access(jar: CookieJar) -> impl IntoResponse {
    if jar.get("sid").is_none() {
        return (jar, Redirect::to("/login"));
    }
    let token = new_id();
    let jar = jar.add(Cookie::build(("access_token", token)).secure(true).same_site(SameSite::Lax).path("/api")); //~ cookie-without-httponly
    (jar, Redirect::to("/app"))
}

pub async fn impersonate(jar: CookieJar, Form(f): Form<Login>) -> impl IntoResponse {
    let grant = format!("{}:{}", f.user, new_id());
    let jar = jar.add(Cookie::build(("impersonation", grant)).secure(true).http_only(false).same_site(SameSite::Strict).path("/")); //~ cookie-without-httponly
    (jar, Redirect::to("/admin"))
}

pub async fn private_login(jar: PrivateCookieJar, Form(f): Form<Login>) -> impl IntoResponse {
    let jar = jar.add(Cookie::build(("uid", f.user)).secure(true).http_only(true).same_site(SameSite::Strict).path("/"));
    (jar, Redirect::to("/"))
}

pub async fn logout(jar: CookieJar) -> impl IntoResponse {
    let gone = Cookie::build(("sid", "")).path("/").secure(true).http_only(true).same_site(SameSite::Strict);
    (jar.remove(gone), Redirect::to("/login"))
}
