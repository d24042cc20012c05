// Scenario: login and token-refresh handlers of an actix-web auth service.
use actix_web::{post, web, HttpResponse};
use log::{debug, info, warn};
use serde::Deserialize;
use tracing::instrument;

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    otp: Option<String>,
}

#[derive(Deserialize)]
pub struct RefreshReq {
    refresh_token: String,
}

pub struct AuthService;

impl AuthService {
    fn check(&self, user: &str, pass: &str) -> bool {
        !user.is_empty() && pass.len() >= 12
    }

    fn issue(&self, user: &str) -> String {
        format!("tok-{}-{}", user, uuid::Uuid::new_v4())
    }
}

fn mask(secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("****{}", tail)
}

#[post("/login")]
pub async fn login(svc: web::Data<AuthService>, form: web::Form<LoginForm>) -> HttpResponse {
    info!("login attempt for user={}", form.username);
    debug!("login payload user={} password={}", form.username, form.password); //~ cleartext-logging
    if let Some(code) = &form.otp {
        debug!("otp supplied, length {}", code.len());
    }
    if !svc.check(&form.username, &form.password) {
        warn!("failed login for {} using {:?}", form.username, form.password); //~ cleartext-logging
        return HttpResponse::Unauthorized().finish();
    }
    let token = svc.issue(&form.username);
    info!("issued session for {} ({})", form.username, mask(&token));
    HttpResponse::Ok().body(token)
}

#[post("/refresh")]
pub async fn refresh(svc: web::Data<AuthService>, body: web::Json<RefreshReq>) -> HttpResponse {
    let RefreshReq { refresh_token } = body.into_inner();
    tracing::info!(token = %refresh_token, "refresh requested"); //~ cleartext-logging
    let user = refresh_token.split('-').nth(1).unwrap_or("unknown").to_string();
    let fresh = svc.issue(&user);
    tracing::debug!(token_len = fresh.len(), "refreshed");
    HttpResponse::Ok().body(fresh)
}

#[instrument(skip(password))]
pub fn audit_password_change(user: &str, password: &str) {
    tracing::info!("password changed for {}", user);
    let _ = password.len();
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(AuthService)).service(login).service(refresh);
}
