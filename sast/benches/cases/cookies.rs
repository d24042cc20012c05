// Issue 17, item 4: cookies without Secure, HttpOnly or SameSite (cookie
// crate, actix-web and axum-extra builders, `Cookie::new` + setters).
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

fn pos_no_same_site(jar: CookieJar, token: String) -> CookieJar {
    jar.add(Cookie::build(("session", token)).secure(true).http_only(true).path("/")) //~ cookie-without-samesite
}

fn pos_actix_no_same_site(token: String) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build("id", token) //~ cookie-without-samesite
        .secure(true)
        .http_only(true)
        .finish()
}

fn pos_setters_no_same_site(token: String) -> cookie::Cookie<'static> {
    let mut c = cookie::Cookie::new("session", token); //~ cookie-without-samesite
    c.set_secure(true);
    c.set_http_only(true);
    c
}

fn pos_no_http_only(token: String) -> Cookie<'static> {
    Cookie::build(("session", token)).secure(true).same_site(SameSite::Strict).build() //~ cookie-without-httponly
}

fn pos_same_site_none_insecure(token: String) -> Cookie<'static> {
    Cookie::build(("session", token)).same_site(SameSite::None).http_only(true).build() //~ insecure-cookie
}

fn neg_all_flags(jar: CookieJar, token: String) -> CookieJar {
    jar.add(
        Cookie::build(("session", token))
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/"),
    )
}

fn neg_setters(token: String) -> cookie::Cookie<'static> {
    let mut c = cookie::Cookie::new("session", token);
    c.set_secure(true);
    c.set_http_only(true);
    c.set_same_site(cookie::SameSite::Strict);
    c
}

fn neg_removal(jar: CookieJar) -> CookieJar {
    // Removing a cookie sends an expired one; its flags do not matter.
    jar.remove(Cookie::from("session"))
}
