use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{post, web, HttpRequest, HttpResponse};
use rand::{distributions::Alphanumeric, Rng};
use serde::Deserialize;

const SESSION_COOKIE: &str = "sid";
const REMEMBER_COOKIE: &str = "remember_me";

#[derive(Deserialize)]
struct Credentials {
    user: String,
    pass: String,
    remember: bool,
}

struct SessionIssuer {
    secure_transport: bool,
    domain: String,
}

fn new_token() -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(48).map(char::from).collect()
}

impl SessionIssuer {
    fn session_cookie(&self, token: String) -> Cookie<'static> {
        Cookie::build(SESSION_COOKIE, token)
            .domain(self.domain.clone())
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Strict)
            .finish()
    }

    fn remember_cookie(&self, token: String) -> Cookie<'static> {
        let mut c = Cookie::new(REMEMBER_COOKIE, token); //~ insecure-cookie
        c.set_http_only(true);
        c.set_same_site(SameSite::Lax);
        c.set_max_age(Duration::days(30));
        c.set_path("/");
        c
    }

    fn csrf_cookie(&self, token: String) -> Cookie<'static> {
        Cookie::build("csrf_token", token).path("/").secure(true).same_site(SameSite::Strict).finish()
    }

    fn theme_cookie(&self, theme: &str) -> Cookie<'static> {
        Cookie::build("ui_theme", theme.to_owned()).path("/").finish()
    }

    fn legacy_session(&self, token: String) -> Cookie<'static> {
        Cookie::build(SESSION_COOKIE, token).path("/").secure(self.secure_transport).http_only(true).same_site(SameSite::Lax).finish()
    }

    fn impersonation_cookie(&self, token: String) -> Cookie<'static> {
        Cookie::build("admin_session", token).path("/admin").secure(true).same_site(SameSite::Strict).finish() //~ cookie-without-httponly
    }

    fn kiosk_session(&self, token: String) -> Cookie<'static> {
        let mut c = self.session_cookie(token);
        c.set_max_age(Duration::hours(8));
        c.set_secure(false); //~ insecure-cookie
        c
    }

    fn sso_cookie(&self, token: String) -> Cookie<'static> {
        Cookie::build("sso_auth", token).path("/").secure(true).http_only(true).finish() //~ cookie-without-samesite
    }
}

fn check_password(c: &Credentials) -> bool {
    !c.user.is_empty() && c.pass.len() >= 12
}

#[post("/login")]
async fn login(issuer: web::Data<SessionIssuer>, form: web::Form<Credentials>) -> HttpResponse {
    if !check_password(&form) {
        return HttpResponse::Unauthorized().finish();
    }
    let mut resp = HttpResponse::Ok();
    resp.cookie(issuer.session_cookie(new_token()));
    resp.cookie(issuer.csrf_cookie(new_token()));
    if form.remember {
        resp.cookie(issuer.remember_cookie(new_token()));
    }
    resp.finish()
}

#[post("/login/legacy")]
async fn login_legacy(issuer: web::Data<SessionIssuer>, form: web::Form<Credentials>) -> HttpResponse {
    if !check_password(&form) {
        return HttpResponse::Unauthorized().finish();
    }
    HttpResponse::Ok().cookie(issuer.legacy_session(new_token())).finish()
}

#[post("/login/kiosk")]
async fn login_kiosk(issuer: web::Data<SessionIssuer>, form: web::Form<Credentials>) -> HttpResponse {
    if !check_password(&form) {
        return HttpResponse::Unauthorized().finish();
    }
    HttpResponse::Ok().cookie(issuer.kiosk_session(new_token())).finish()
}

#[post("/admin/impersonate")]
async fn impersonate(issuer: web::Data<SessionIssuer>, req: HttpRequest) -> HttpResponse {
    if req.cookie(SESSION_COOKIE).is_none() {
        return HttpResponse::Forbidden().finish();
    }
    HttpResponse::Ok()
        .cookie(issuer.impersonation_cookie(new_token()))
        .cookie(issuer.sso_cookie(new_token()))
        .finish()
}

#[post("/prefs/theme/{name}")]
async fn set_theme(issuer: web::Data<SessionIssuer>, name: web::Path<String>) -> HttpResponse {
    let theme = match name.as_str() {
        "dark" | "light" | "contrast" => name.as_str(),
        _ => "light",
    };
    HttpResponse::Ok().cookie(issuer.theme_cookie(theme)).finish()
}

fn issuer_from_env() -> SessionIssuer {
    SessionIssuer {
        secure_transport: true,
        domain: std::env::var("COOKIE_DOMAIN").unwrap_or_else(|_| "example.com".into()),
    }
}
