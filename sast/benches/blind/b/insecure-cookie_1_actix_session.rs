// Actix-web auth handlers that issue session and remember-me cookies after a successful login.
use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{post, web, HttpResponse, Responder};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    remember: Option<bool>,
}

fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[post("/login")]
pub async fn login(form: web::Form<LoginForm>, db: web::Data<crate::Db>) -> impl Responder {
    let user = match db.authenticate(&form.username, &form.password).await {
        Some(u) => u,
        None => return HttpResponse::Unauthorized().finish(),
    };
    let sid = new_session_id();
    db.store_session(&sid, user.id).await;

    let session = Cookie::build("session_id", sid.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish(); //~ insecure-cookie

    let mut resp = HttpResponse::Ok();
    resp.cookie(session);

    if form.remember.unwrap_or(false) {
        let remember_token = db.issue_remember_token(user.id).await;
        let remember = Cookie::build("remember_me", remember_token)
            .path("/")
            .secure(true)
            .http_only(false)
            .same_site(SameSite::Strict)
            .max_age(Duration::days(30))
            .finish(); //~ cookie-without-httponly
        resp.cookie(remember);
    }

    let csrf_session = Cookie::build("__Host-sid", sid)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    resp.cookie(csrf_session);

    resp.json(serde_json::json!({ "user": form.username }))
}

#[post("/logout")]
pub async fn logout() -> impl Responder {
    let mut gone = Cookie::build("__Host-sid", "")
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    gone.make_removal();
    HttpResponse::Ok().cookie(gone).finish()
}
