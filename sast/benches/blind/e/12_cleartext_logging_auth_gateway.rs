// Scenario: an axum auth gateway in front of internal services. It logs
// requests, handles form logins and checks credentials with an upstream IdP.
use axum::{
    body::Body,
    extract::{Form, State},
    http::{HeaderMap, Request, StatusCode},
    middleware::Next,
    response::Response,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Deserialize, Debug)]
pub struct LoginForm {
    username: String,
    password: String,
    otp: Option<String>,
}

#[derive(Clone)]
pub struct Gateway {
    http: reqwest::Client,
    idp_host: String,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

fn short_fingerprint(secret: &str) -> String {
    hex::encode(&Sha256::digest(secret.as_bytes())[..6])
}

pub async fn access_log(req: Request<Body>, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if let Some(tok) = bearer(req.headers()) {
        tracing::debug!(%method, %path, token_fp = %short_fingerprint(tok), "request");
        tracing::trace!(%path, authorization = %tok, "forwarding credentials"); //~ cleartext-logging
    }
    let resp = next.run(req).await;
    tracing::info!(%method, %path, status = resp.status().as_u16(), "done");
    resp
}

impl Gateway {
    async fn check_upstream(&self, form: &LoginForm) -> reqwest::Result<bool> {
        let url = format!("http://{}/v1/verify", self.idp_host);
        let resp = self
            .http
            .post(url)
            .basic_auth(&form.username, Some(&form.password)) //~ cleartext-url
            .send()
            .await?;
        Ok(resp.status().is_success())
    }

    async fn check_otp(&self, user: &str, otp: &str) -> reqwest::Result<bool> {
        let url = format!("https://{}/v1/otp", self.idp_host);
        let body = serde_json::json!({ "user": user, "code": otp });
        Ok(self
            .http
            .post(url)
            .json(&body)
            .send()
            .await?
            .status()
            .is_success())
    }
}

pub async fn login(State(gw): State<Gateway>, Form(form): Form<LoginForm>) -> StatusCode {
    log::info!("login attempt for {}", form.username);
    match gw.check_upstream(&form).await {
        Ok(true) => {}
        Ok(false) => {
            log::warn!("rejected login {} pw={}", form.username, form.password); //~ cleartext-logging
            return StatusCode::UNAUTHORIZED;
        }
        Err(e) => {
            tracing::error!(error = %e, ?form, "idp unreachable"); //~ cleartext-logging
            return StatusCode::BAD_GATEWAY;
        }
    }
    if let Some(otp) = form.otp.as_deref() {
        let ok = gw.check_otp(&form.username, otp).await.unwrap_or(false);
        tracing::info!(user = %form.username, otp_len = otp.len(), ok, "otp checked");
        if !ok {
            return StatusCode::UNAUTHORIZED;
        }
    }
    StatusCode::NO_CONTENT
}
