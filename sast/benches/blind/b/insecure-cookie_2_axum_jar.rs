// Axum OAuth callback that stores access/refresh tokens in cookies via axum-extra's CookieJar.
use axum::{extract::Query, response::Redirect};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Callback {
    code: String,
    state: String,
}

fn auth_cookie<'a>(name: &'a str, value: String) -> Cookie<'a> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .build() //~ insecure-cookie
}

fn hardened_cookie<'a>(name: &'a str, value: String) -> Cookie<'a> {
    Cookie::build((name, value))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .build()
}

pub async fn oauth_callback(jar: CookieJar, Query(cb): Query<Callback>) -> (CookieJar, Redirect) {
    let tokens = crate::oauth::exchange(&cb.code, &cb.state).await.expect("exchange");

    let jar = jar.add(auth_cookie("access_token", tokens.access_token.clone()));
    let jar = jar.add(hardened_cookie("refresh_token", tokens.refresh_token.clone()));

    let secure = false;
    let id_cookie = Cookie::build(("id_token", tokens.id_token.clone()))
        .secure(secure)
        .http_only(true)
        .same_site(SameSite::Strict)
        .build(); //~ insecure-cookie
    let jar = jar.add(id_cookie);

    let embed = Cookie::build(("embed_session", tokens.access_token.clone()))
        .path("/widget")
        .same_site(SameSite::None)
        .http_only(true)
        .build(); //~ insecure-cookie
    let jar = jar.add(embed);

    let bearer = Cookie::build(("bearer", tokens.access_token))
        .path("/api")
        .secure(true)
        .http_only(true)
        .build(); //~ cookie-without-samesite

    (jar.add(bearer), Redirect::to("/dashboard"))
}

pub async fn logout(jar: CookieJar) -> (CookieJar, Redirect) {
    let jar = jar.remove(Cookie::from("access_token")).remove(Cookie::from("refresh_token"));
    (jar, Redirect::to("/"))
}
