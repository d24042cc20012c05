// Axum login endpoint that verifies credentials against a user store and issues a session token.
use axum::{extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize)]
pub struct LoginResponse {
    pub session_id: String,
}

pub struct AppState {
    pub users: crate::store::UserStore,
    pub sessions: crate::store::SessionStore,
}

fn redact(_s: &str) -> &'static str {
    "***"
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, StatusCode> {
    log::info!("login attempt for user {}", req.username);
    println!("login attempt: user={} password={}", req.username, req.password); //~ cleartext-logging
    log::debug!("password length = {}", req.password.len());
    log::debug!("credentials: user={} pw={}", req.username, redact(&req.password));

    let user = state
        .users
        .find(&req.username)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::UNAUTHORIZED)?;

    if !user.verify_password(&req.password) {
        log::warn!("invalid password for user {}", req.username);
        return Err(StatusCode::UNAUTHORIZED);
    }

    let session_id = state.sessions.create(user.id).await.map_err(|e| {
        log::error!("failed to create session for {}: {}", req.username, e);
        StatusCode::INTERNAL_SERVER_ERROR
    })?;

    log::info!("issued session {} to {}", session_id, req.username); //~ cleartext-logging
    log::info!("issued session to {}", req.username);

    Ok(Json(LoginResponse { session_id }))
}

pub async fn logout(State(state): State<Arc<AppState>>, sid: String) -> StatusCode {
    log::info!("logout for session {}", redact(&sid));
    match state.sessions.remove(&sid).await {
        Ok(_) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::NOT_FOUND,
    }
}
