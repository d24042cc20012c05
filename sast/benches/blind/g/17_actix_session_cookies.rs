use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use rand::{distributions::Alphanumeric, Rng};
use serde::Deserialize;

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    remember: Option<bool>,
}

#[derive(Deserialize)]
struct Prefs {
    theme: String,
    lang: String,
}

fn random_token(n: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(n).map(char::from).collect()
}

fn check_credentials(form: &LoginForm) -> bool {
    !form.username.is_empty() && form.password.len() >= 12
}

fn session_cookie(value: String) -> Cookie<'static> {
    Cookie::build("session_id", value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::hours(8))
        .finish()
}

#[post("/login")]
async fn login(form: web::Form<LoginForm>) -> HttpResponse {
    if !check_credentials(&form) {
        return HttpResponse::Unauthorized().finish();
    }
    let mut resp = HttpResponse::SeeOther();
    resp.insert_header(("Location", "/"));
    resp.cookie(session_cookie(random_token(32)));
    if form.remember.unwrap_or(false) {
        let remember = Cookie::build("remember_token", random_token(48)).path("/").secure(true).same_site(SameSite::Strict).max_age(Duration::days(30)).finish(); //~ cookie-without-httponly
        resp.cookie(remember);
    }
    resp.finish()
}

#[post("/legacy/login")]
async fn legacy_login(form: web::Form<LoginForm>) -> HttpResponse {
    if !check_credentials(&form) {
        return HttpResponse::Unauthorized().finish();
    }
    let sid = Cookie::build("sid", random_token(32)).path("/").http_only(true).same_site(SameSite::Lax).finish(); //~ insecure-cookie
    HttpResponse::Ok().cookie(sid).finish()
}

#[post("/api/token")]
async fn api_token(req: HttpRequest) -> HttpResponse {
    if req.cookie("session_id").is_none() {
        return HttpResponse::Unauthorized().finish();
    }
    let token = random_token(40);
    let cookie = Cookie::build("auth_token", token.clone()).path("/api").secure(false).http_only(true).same_site(SameSite::Strict).finish(); //~ insecure-cookie
    HttpResponse::Ok().cookie(cookie).json(serde_json::json!({ "expires_in": 900 }))
}

#[post("/auth/refresh")]
async fn refresh(req: HttpRequest) -> HttpResponse {
    if req.cookie("session_id").is_none() {
        return HttpResponse::Unauthorized().finish();
    }
    let mut c = Cookie::new("refresh_token", random_token(64)); //~ cookie-without-samesite
    c.set_secure(true);
    c.set_http_only(true);
    c.set_path("/auth");
    HttpResponse::Ok().cookie(c).finish()
}

#[post("/auth/rotate")]
async fn rotate(req: HttpRequest) -> HttpResponse {
    if req.cookie("refresh_token").is_none() {
        return HttpResponse::Unauthorized().finish();
    }
    let mut c = Cookie::new("refresh_token", random_token(64));
    c.set_secure(true);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_path("/auth");
    HttpResponse::Ok().cookie(c).cookie(session_cookie(random_token(32))).finish()
}

#[post("/prefs")]
async fn prefs(p: web::Form<Prefs>) -> HttpResponse {
    let theme = Cookie::build("theme", p.theme.clone()).path("/").max_age(Duration::days(365)).finish();
    let lang = Cookie::build("lang", p.lang.clone()).path("/").finish();
    HttpResponse::NoContent().cookie(theme).cookie(lang).finish()
}

#[get("/logout")]
async fn logout() -> HttpResponse {
    let mut gone = session_cookie(String::new());
    gone.make_removal();
    HttpResponse::SeeOther().insert_header(("Location", "/login")).cookie(gone).finish()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(legacy_login).service(api_token).service(refresh).service(rotate).service(prefs).service(logout);
}
