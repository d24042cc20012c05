// Scenario: session handling for an actix-web storefront: login issues a
// session cookie, plus a few auxiliary cookies for preferences and CSRF.
use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
}

#[derive(Deserialize)]
struct Prefs {
    currency: String,
}

fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn session_cookie(value: String) -> Cookie<'static> {
    Cookie::build("sid", value) //~ insecure-cookie
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::hours(8))
        .finish()
}

fn csrf_cookie(value: String) -> Cookie<'static> {
    Cookie::build("csrf_token", value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish()
}

#[post("/login")]
async fn login(form: web::Form<Login>) -> HttpResponse {
    if form.email.is_empty() || form.password.len() < 8 {
        return HttpResponse::Unauthorized().finish();
    }
    let sid = new_session_id();
    let remember = Cookie::build("remember_me", format!("{}:{}", form.email, sid)) //~ cookie-without-httponly
        .path("/")
        .secure(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(30))
        .finish();
    HttpResponse::Ok()
        .cookie(session_cookie(sid))
        .cookie(csrf_cookie(new_session_id()))
        .cookie(remember)
        .finish()
}

#[post("/prefs")]
async fn prefs(req: HttpRequest, form: web::Form<Prefs>) -> HttpResponse {
    let mut c = Cookie::new("currency", form.currency.clone());
    c.set_path("/");
    c.set_secure(true);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    let cart_id = req.cookie("cart").map(|c| c.value().to_string()).unwrap_or_else(new_session_id);
    let cart = Cookie::build("cart", cart_id).path("/").secure(false).http_only(true).same_site(SameSite::Lax).finish(); //~ insecure-cookie
    HttpResponse::Ok().cookie(c).cookie(cart).finish()
}

#[post("/logout")]
async fn logout() -> HttpResponse {
    let mut gone = Cookie::build("sid", "")
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    gone.make_removal();
    HttpResponse::Ok().cookie(gone).finish()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(prefs).service(logout);
}
