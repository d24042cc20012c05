// Scenario: OAuth callback and session endpoints of an axum dashboard using
// axum-extra's CookieJar.
use axum::{extract::Query, response::Redirect, routing::get, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use time::Duration;

#[derive(Deserialize)]
struct Callback {
    code: String,
    state: String,
}

struct CookiePolicy {
    secure: bool,
}

impl CookiePolicy {
    fn session(&self, token: String) -> Cookie<'static> {
        Cookie::build(("session", token))
            .path("/")
            .secure(self.secure)
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::hours(12))
            .build()
    }

    fn oauth_state(&self, state: String) -> Cookie<'static> {
        let mut c = Cookie::new("oauth_state", state); //~ cookie-without-samesite
        c.set_path("/auth");
        c.set_secure(true);
        c.set_http_only(true);
        c.set_max_age(Duration::minutes(10));
        c
    }
}

async fn exchange_code(code: &str) -> Option<(String, String)> {
    if code.is_empty() {
        None
    } else {
        Some((format!("at_{}", code), format!("rt_{}", code)))
    }
}

async fn start(jar: CookieJar) -> (CookieJar, Redirect) {
    let policy = CookiePolicy { secure: true };
    let state = uuid::Uuid::new_v4().to_string();
    let jar = jar.add(policy.oauth_state(state.clone()));
    (jar, Redirect::to(&format!("https://idp.example.com/authorize?state={}", state)))
}

async fn callback(jar: CookieJar, Query(cb): Query<Callback>) -> (CookieJar, Redirect) {
    let policy = CookiePolicy { secure: true };
    let expected = jar.get("oauth_state").map(|c| c.value().to_owned());
    if expected.as_deref() != Some(cb.state.as_str()) {
        return (jar, Redirect::to("/login?error=state"));
    }
    let Some((access, refresh)) = exchange_code(&cb.code).await else {
        return (jar, Redirect::to("/login?error=exchange"));
    };
    let refresh_cookie = Cookie::build(("refresh", refresh)) //~ cookie-without-httponly
        .path("/auth/refresh")
        .secure(true)
        .same_site(SameSite::Strict)
        .build();
    let theme = Cookie::build(("ui_theme", "dark"))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    let mut device = Cookie::new("device_id", uuid::Uuid::new_v4().to_string()); //~ cookie-without-samesite
    device.set_secure(true);
    device.set_http_only(true);
    device.set_path("/");
    let jar = jar
        .remove(Cookie::from("oauth_state"))
        .add(policy.session(access))
        .add(refresh_cookie)
        .add(theme)
        .add(device);
    (jar, Redirect::to("/"))
}

pub fn router() -> Router {
    Router::new().route("/auth/start", get(start)).route("/auth/callback", get(callback))
}
