// Scenario: a Rocket 0.5 storefront. Login sets the session, "remember me"
// and CSRF cookies; the admin area sets its own short-lived cookie.
#[macro_use]
extern crate rocket;

use rocket::form::Form;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::time::Duration;
use rocket::State;

#[derive(FromForm)]
struct Login<'r> {
    email: &'r str,
    password: &'r str,
    remember: bool,
}

struct Sessions {
    cookie_domain: String,
}

impl Sessions {
    fn create(&self, email: &str, password: &str) -> Option<String> {
        (!email.is_empty() && password.len() >= 8).then(|| uuid::Uuid::new_v4().to_string())
    }

    fn api_token(&self, sid: &str) -> String {
        format!("{}.{}", sid, uuid::Uuid::new_v4().simple())
    }

    fn session_cookie(&self, sid: String) -> Cookie<'static> {
        Cookie::build(("sid", sid))
            .domain(self.cookie_domain.clone())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(false) //~ insecure-cookie
            .build()
    }
}

fn remember_cookie(token: String) -> Cookie<'static> {
    let mut c = Cookie::new("remember_me", token); //~ insecure-cookie
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_max_age(Duration::days(30));
    c
}

fn csrf_cookie(token: String) -> Cookie<'static> {
    let mut c = Cookie::new("csrf", token);
    c.set_secure(true);
    c.set_http_only(false);
    c.set_same_site(SameSite::None); //~ cookie-without-samesite
    c
}

#[post("/login", data = "<form>")]
fn login(form: Form<Login<'_>>, jar: &CookieJar<'_>, sessions: &State<Sessions>) -> Status {
    let Some(sid) = sessions.create(form.email, form.password) else {
        return Status::Unauthorized;
    };
    let api = Cookie::build(("api_token", sessions.api_token(&sid))) //~ cookie-without-httponly
        .path("/api")
        .secure(true)
        .same_site(SameSite::Strict);
    jar.add(api);
    jar.add(sessions.session_cookie(sid));
    if form.remember {
        jar.add(remember_cookie(uuid::Uuid::new_v4().simple().to_string()));
    }
    jar.add(csrf_cookie(uuid::Uuid::new_v4().to_string()));
    Status::NoContent
}

#[post("/admin/elevate")]
fn elevate(jar: &CookieJar<'_>) -> Status {
    if jar.get("sid").is_none() {
        return Status::Unauthorized;
    }
    let c = Cookie::build(("admin_step_up", uuid::Uuid::new_v4().to_string()))
        .path("/admin")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::minutes(10));
    jar.add_private(c);
    Status::NoContent
}

#[post("/logout")]
fn logout(jar: &CookieJar<'_>) -> Status {
    jar.remove(Cookie::from("sid"));
    jar.remove(Cookie::from("remember_me"));
    jar.remove_private(Cookie::from("admin_step_up"));
    Status::NoContent
}

#[launch]
fn rocket() -> _ {
    let domain = std::env::var("COOKIE_DOMAIN").unwrap_or_else(|_| "shop.example.com".into());
    rocket::build()
        .manage(Sessions {
            cookie_domain: domain,
        })
        .mount("/", routes![login, elevate, logout])
}
