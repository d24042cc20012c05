use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{post, web, HttpRequest, HttpResponse, Responder};
use axum::response::IntoResponse;
use axum_extra::extract::cookie::{Cookie as AxCookie, CookieJar, SameSite as AxSameSite};
use serde::Deserialize;

#[derive(Clone)]
pub struct CookiePolicy {
    pub domain: String,
    pub secure: bool,
    pub session_ttl_minutes: i64,
}

impl CookiePolicy {
    pub fn from_env() -> Self {
        Self {
            domain: std::env::var("COOKIE_DOMAIN").unwrap_or_else(|_| "app.example.com".into()),
            secure: std::env::var("COOKIE_DEV_MODE").is_err(),
            session_ttl_minutes: 60,
        }
    }

    fn session(&self, token: String) -> Cookie<'static> {
        Cookie::build("sid", token)
            .domain(self.domain.clone())
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Strict)
            .max_age(CookieDuration::minutes(self.session_ttl_minutes))
            .finish()
    }

    fn remember_me(&self, token: String) -> Cookie<'static> {
        Cookie::build("remember", token) //~ insecure-cookie
            .domain(self.domain.clone())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(CookieDuration::days(30))
            .finish()
    }

    fn csrf(&self, value: String) -> Cookie<'static> {
        Cookie::build("csrf_token", value).path("/").secure(true).http_only(false).same_site(SameSite::Strict).finish()
    }

    fn preferences(&self, theme: &str) -> Cookie<'static> {
        Cookie::build("prefs", format!("theme={}", theme)).path("/").secure(true).same_site(SameSite::Lax).finish() //~ cookie-without-httponly
    }

    fn refresh(&self, token: String) -> Cookie<'static> {
        let mut c = Cookie::new("refresh", token); //~ cookie-without-samesite
        c.set_path("/auth/refresh");
        c.set_http_only(true);
        c.set_secure(self.secure || !self.domain.ends_with(".localhost"));
        c
    }

    fn impersonation(&self, token: String) -> Cookie<'static> {
        let mut c = Cookie::new("impersonate", token);
        c.set_path("/admin");
        c.set_secure(true);
        c.set_http_only(false); //~ cookie-without-httponly
        c.set_same_site(SameSite::Strict);
        c
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    remember: Option<bool>,
}

fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[post("/login")]
async fn login(policy: web::Data<CookiePolicy>, form: web::Form<LoginForm>) -> impl Responder {
    if form.username.is_empty() || form.password.len() < 8 {
        return HttpResponse::Unauthorized().finish();
    }
    let mut resp = HttpResponse::Ok();
    resp.cookie(policy.session(new_token()));
    resp.cookie(policy.csrf(new_token()));
    resp.cookie(policy.refresh(new_token()));
    if form.remember.unwrap_or(false) {
        resp.cookie(policy.remember_me(new_token()));
    }
    resp.finish()
}

#[post("/admin/impersonate/{user}")]
async fn impersonate(policy: web::Data<CookiePolicy>, req: HttpRequest, user: web::Path<String>) -> impl Responder {
    if req.cookie("sid").is_none() {
        return HttpResponse::Unauthorized().finish();
    }
    log::info!("impersonation session started for {}", user);
    HttpResponse::Ok().cookie(policy.impersonation(new_token())).finish()
}

#[post("/preferences")]
async fn set_prefs(policy: web::Data<CookiePolicy>, form: web::Form<std::collections::HashMap<String, String>>) -> impl Responder {
    let theme = form.get("theme").map(String::as_str).filter(|t| matches!(*t, "dark" | "light")).unwrap_or("light");
    HttpResponse::Ok().cookie(policy.preferences(theme)).finish()
}

pub async fn sso_callback(jar: CookieJar, axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>) -> impl IntoResponse {
    let state = q.get("state").cloned().unwrap_or_default();
    let sso = AxCookie::build(("sso_session", new_token())).path("/").secure(true).http_only(true).build(); //~ cookie-without-samesite
    let hint = AxCookie::build(("sso_state", state)).path("/sso").http_only(true).same_site(AxSameSite::Lax).build(); //~ insecure-cookie
    let locale = AxCookie::build(("locale", "en")).path("/").secure(true).http_only(true).same_site(AxSameSite::Lax).build();
    jar.add(sso).add(hint).add(locale)
}

pub async fn logout(jar: CookieJar) -> impl IntoResponse {
    let cleared = AxCookie::build(("sso_session", "")).path("/").secure(true).http_only(true).same_site(AxSameSite::Strict).removal().build();
    jar.remove(cleared)
}
