// Session endpoints for the admin console (actix-web 4): login, token refresh,
// device remembering and support-staff impersonation, all tracked via cookies.
use actix_web::cookie::{time::Duration, Cookie, CookieBuilder, SameSite};
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    pub remember_device: bool,
}

pub trait SessionStore: Send + Sync {
    fn create(&self, user: &str) -> Option<String>;
    fn refresh(&self, session: &str) -> Option<String>;
    fn check_password(&self, user: &str, password: &str) -> bool;
}

pub type Store = web::Data<Box<dyn SessionStore>>;

fn base_cookie<'c>(name: &'c str, value: String) -> CookieBuilder<'c> {
    Cookie::build(name, value)
        .path("/")
        .secure(true)
        .http_only(true)
}

fn session_cookie(token: String) -> Cookie<'static> {
    Cookie::build("console_session", token)
        .path("/")
        .secure(true)
        .http_only(true)
        .max_age(Duration::hours(8))
        .finish() //~ cookie-without-samesite
}

fn session_cookie_v2(token: String) -> Cookie<'static> {
    Cookie::build("console_session", token)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::hours(8))
        .finish()
}

#[post("/login")]
async fn login(store: Store, form: web::Form<Credentials>) -> HttpResponse {
    if !store.check_password(&form.username, &form.password) {
        return HttpResponse::Unauthorized().finish();
    }
    let Some(token) = store.create(&form.username) else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let mut resp = HttpResponse::Ok();
    resp.cookie(session_cookie(token.clone()));
    if form.remember_device {
        let device = Cookie::build("device_trust", format!("{}:{}", form.username, token))
            .path("/login")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::days(90))
            .finish(); //~ insecure-cookie
        resp.cookie(device);
    }
    resp.finish()
}

#[post("/v2/login")]
async fn login_v2(store: Store, form: web::Form<Credentials>) -> HttpResponse {
    if !store.check_password(&form.username, &form.password) {
        return HttpResponse::Unauthorized().finish();
    }
    match store.create(&form.username) {
        Some(token) => HttpResponse::Ok().cookie(session_cookie_v2(token)).finish(),
        None => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[post("/refresh")]
async fn refresh(store: Store, req: HttpRequest) -> HttpResponse {
    let Some(current) = req.cookie("console_session") else {
        return HttpResponse::Unauthorized().finish();
    };
    let Some(next) = store.refresh(current.value()) else {
        return HttpResponse::Unauthorized().finish();
    };
    let rotated = base_cookie("refresh_token", next.clone()).finish(); //~ cookie-without-samesite
    let session = base_cookie("console_session", next)
        .same_site(SameSite::Strict)
        .finish();
    HttpResponse::Ok().cookie(rotated).cookie(session).finish()
}

#[post("/api-token")]
async fn api_token(store: Store, req: HttpRequest) -> HttpResponse {
    let Some(current) = req.cookie("console_session") else {
        return HttpResponse::Unauthorized().finish();
    };
    let Some(api) = store.refresh(current.value()) else {
        return HttpResponse::Forbidden().finish();
    };
    let cookie = Cookie::build("console_api", api)
        .path("/api")
        .secure(true)
        .same_site(SameSite::Strict)
        .finish(); //~ cookie-without-httponly
    HttpResponse::Ok().cookie(cookie).finish()
}

#[post("/support/impersonate/{user}")]
async fn impersonate(store: Store, path: web::Path<String>) -> HttpResponse {
    let target = path.into_inner();
    let Some(token) = store.create(&target) else {
        return HttpResponse::NotFound().finish();
    };
    let cookie = Cookie::build("impersonation", token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(false) //~ insecure-cookie
        .max_age(Duration::minutes(30))
        .finish();
    HttpResponse::Ok().cookie(cookie).finish()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login)
        .service(login_v2)
        .service(refresh)
        .service(api_token)
        .service(impersonate);
}
