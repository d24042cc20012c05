//! Customer portal authentication endpoints (actix-web 4).

use actix_web::{
    cookie::{time::Duration, Cookie, SameSite},
    get, post, web, HttpRequest, HttpResponse, Responder,
};
use rand::{distributions::Alphanumeric, Rng};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use sqlx::MySqlPool;

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    remember: Option<bool>,
}

#[derive(Deserialize)]
pub struct ImpersonateForm {
    target_user: i64,
}

pub struct CookieIssuer {
    domain: String,
    session_ttl: Duration,
}

impl CookieIssuer {
    fn session(&self, sid: String) -> Cookie<'static> {
        Cookie::build("portal_sid", sid)
            .domain(self.domain.clone())
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Strict)
            .max_age(self.session_ttl)
            .finish()
    }

    fn remember_me(&self, token: String) -> Cookie<'static> {
        Cookie::build("portal_remember", token) //~ insecure-cookie
            .domain(self.domain.clone())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::days(30))
            .finish()
    }

    /// Double-submit CSRF token; the SPA reads it and echoes it in a header.
    fn csrf(&self, token: String) -> Cookie<'static> {
        Cookie::build("XSRF-TOKEN", token)
            .path("/")
            .secure(true)
            .same_site(SameSite::Strict)
            .finish()
    }

    fn impersonation(&self, sid: String) -> Cookie<'static> {
        Cookie::build("portal_acting_as", sid) //~ cookie-without-httponly
            .path("/admin")
            .secure(true)
            .same_site(SameSite::Strict)
            .max_age(Duration::minutes(15))
            .finish()
    }

    fn sso_handoff(&self, sid: String) -> Cookie<'static> {
        Cookie::build("portal_sso", sid) //~ cookie-without-samesite
            .domain(self.domain.clone())
            .path("/")
            .secure(true)
            .http_only(true)
            .finish()
    }
}

fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Accounts migrated from the old PHP portal still carry `sha1(salt || password)`.
fn legacy_digest(salt: &str, password: &str) -> String {
    hex::encode(Sha1::digest(format!("{salt}{password}").as_bytes())) //~ weak-hash
}

async fn verify(pool: &MySqlPool, form: &LoginForm) -> sqlx::Result<Option<i64>> {
    let row: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, pw_scheme, pw_salt, pw_hash FROM users WHERE username = ? AND active = 1",
    )
    .bind(&form.username)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|(id, scheme, salt, hash)| {
        let ok = match scheme.as_str() {
            "bcrypt" => bcrypt::verify(&form.password, &hash).unwrap_or(false),
            "sha1" => legacy_digest(&salt, &form.password) == hash,
            _ => false,
        };
        ok.then_some(id)
    }))
}

fn audit_failure(req: &HttpRequest, form: &LoginForm) {
    let peer = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    log::warn!("failed login for user={} from {}", form.username, peer);
    log::debug!("rejected credentials {}:{}", form.username, form.password); //~ cleartext-logging
}

#[post("/login")]
async fn login(
    req: HttpRequest,
    form: web::Form<LoginForm>,
    pool: web::Data<MySqlPool>,
    issuer: web::Data<CookieIssuer>,
) -> impl Responder {
    let form = form.into_inner();
    match verify(&pool, &form).await {
        Ok(Some(user_id)) => {
            log::info!("user {} logged in", user_id);
            let mut resp = HttpResponse::Ok();
            resp.cookie(issuer.session(random_token(48)));
            resp.cookie(issuer.csrf(random_token(32)));
            if form.remember.unwrap_or(false) {
                resp.cookie(issuer.remember_me(random_token(64)));
            }
            resp.cookie(Cookie::new("portal_theme", "light"));
            resp.finish()
        }
        Ok(None) => {
            audit_failure(&req, &form);
            HttpResponse::Unauthorized().finish()
        }
        Err(e) => {
            log::error!("login query failed: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[post("/admin/impersonate")]
async fn impersonate(
    form: web::Form<ImpersonateForm>,
    issuer: web::Data<CookieIssuer>,
) -> impl Responder {
    log::info!("admin impersonating user {}", form.target_user);
    HttpResponse::NoContent()
        .cookie(issuer.impersonation(random_token(48)))
        .finish()
}

#[get("/sso/complete")]
async fn sso_complete(issuer: web::Data<CookieIssuer>) -> impl Responder {
    HttpResponse::Found()
        .insert_header(("Location", "/"))
        .cookie(issuer.sso_handoff(random_token(48)))
        .finish()
}
