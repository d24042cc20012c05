// Rocket login/impersonation routes that manage an admin auth cookie and a private user-id cookie.
#[macro_use]
extern crate rocket;

use rocket::form::Form;
use rocket::http::{Cookie, CookieJar, SameSite, Status};

#[derive(FromForm)]
struct Credentials<'r> {
    user: &'r str,
    passwd: &'r str,
}

struct Session {
    user_id: i64,
    auth_token: String,
}

impl Session {
    fn cookie(&self) -> Cookie<'static> {
        Cookie::build(("auth_token", self.auth_token.clone()))
            .path("/")
            .secure(false)
            .http_only(true)
            .same_site(SameSite::Strict)
            .build() //~ insecure-cookie
    }

    fn id_cookie(&self) -> Cookie<'static> {
        Cookie::build(("user_id", self.user_id.to_string()))
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Strict)
            .build()
    }
}

#[post("/login", data = "<creds>")]
async fn login(creds: Form<Credentials<'_>>, cookies: &CookieJar<'_>) -> Status {
    let Some(session) = crate::auth::check(creds.user, creds.passwd).await else {
        return Status::Unauthorized;
    };
    cookies.add(session.cookie());
    cookies.add_private(session.id_cookie());
    Status::Ok
}

#[post("/admin/impersonate/<uid>")]
async fn impersonate(uid: i64, cookies: &CookieJar<'_>) -> Status {
    let token = crate::auth::mint_admin_token(uid).await;
    let c = Cookie::build(("admin_session", token))
        .path("/admin")
        .secure(true)
        .http_only(false)
        .same_site(SameSite::Strict)
        .build(); //~ cookie-without-httponly
    cookies.add(c);
    Status::Ok
}

#[post("/logout")]
fn logout(cookies: &CookieJar<'_>) -> Status {
    cookies.remove(Cookie::from("auth_token"));
    cookies.remove_private(Cookie::from("user_id"));
    Status::Ok
}

#[launch]
fn rocket() -> _ {
    rocket::build().mount("/", routes![login, impersonate, logout])
}
