//! Static asset, upload and preview service for the media gateway.

use std::io::{Error, ErrorKind};
use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use tokio::fs;
use tokio::io::AsyncWriteExt;

const MAX_UPLOAD: usize = 16 * 1024 * 1024;
const CHUNK_SIZE: usize = 64 * 1024;

#[derive(Clone)]
pub struct MediaState {
    public_root: PathBuf,
    upload_root: PathBuf,
}

impl MediaState {
    pub fn from_env() -> Self {
        let base = std::env::var("MEDIA_ROOT").unwrap_or_else(|_| "/srv/media".into());
        MediaState {
            public_root: PathBuf::from(&base).join("public"),
            upload_root: PathBuf::from(&base).join("uploads"),
        }
    }

    async fn load_public(&self, rel: &str) -> std::io::Result<Vec<u8>> {
        let full = self.public_root.join(rel);
        fs::read(&full).await //~ path-traversal
    }

    async fn load_upload(&self, rel: &str) -> std::io::Result<Vec<u8>> {
        let root = fs::canonicalize(&self.upload_root).await?;
        let full = fs::canonicalize(root.join(rel)).await?;
        if !full.starts_with(&root) {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                "outside upload root",
            ));
        }
        fs::read(&full).await
    }

    async fn discard_upload(&self, name: &str) -> std::io::Result<()> {
        let target = self.upload_root.join(name);
        fs::remove_file(target).await //~ path-traversal
    }

    fn staged_path(&self, name: &str) -> Option<PathBuf> {
        if name.is_empty() || name.contains("..") || name.contains('/') || name.contains('\\') {
            return None;
        }
        Some(self.upload_root.join("staging").join(name))
    }
}

fn header_usize(headers: &HeaderMap, name: &str) -> Option<usize> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn declared_chunks(headers: &HeaderMap) -> usize {
    header_usize(headers, "x-chunk-count").unwrap_or(1)
}

fn content_length(headers: &HeaderMap) -> usize {
    header_usize(headers, header::CONTENT_LENGTH.as_str()).unwrap_or(0)
}

fn new_preview_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn session_cookie(token: String) -> Cookie<'static> {
    Cookie::build(("media_sid", token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .build() //~ insecure-cookie
}

fn preview_cookie(token: String) -> Cookie<'static> {
    Cookie::build(("media_preview", token))
        .path("/preview")
        .secure(true)
        .http_only(true)
        .build() //~ cookie-without-samesite
}

fn csrf_cookie(token: String) -> Cookie<'static> {
    Cookie::build(("media_csrf", token))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .build()
}

async fn public_asset(State(st): State<MediaState>, Path(rel): Path<String>) -> Response {
    match st.load_public(&rel).await {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn upload_asset(State(st): State<MediaState>, Path(rel): Path<String>) -> Response {
    match st.load_upload(&rel).await {
        Ok(bytes) => bytes.into_response(),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => StatusCode::FORBIDDEN.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn remove_upload(State(st): State<MediaState>, Path(name): Path<String>) -> StatusCode {
    match st.discard_upload(&name).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::NOT_FOUND,
    }
}

async fn stage_upload(
    State(st): State<MediaState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(dest) = st.staged_path(&name) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let chunks = declared_chunks(&headers);
    let mut staging: Vec<u8> = Vec::with_capacity(chunks * CHUNK_SIZE); //~ unbounded-allocation
    staging.extend_from_slice(&body);
    let mut manifest = Vec::with_capacity(content_length(&headers).min(MAX_UPLOAD));
    manifest.extend_from_slice(name.as_bytes());
    let written = async {
        let mut f = fs::File::create(&dest).await?;
        f.write_all(&staging).await?;
        f.flush().await
    };
    match written.await {
        Ok(()) => (StatusCode::CREATED, manifest).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn open_preview(jar: CookieJar) -> (CookieJar, StatusCode) {
    let sid = new_preview_token();
    let jar = jar
        .add(session_cookie(sid))
        .add(preview_cookie(new_preview_token()))
        .add(csrf_cookie(new_preview_token()));
    (jar, StatusCode::NO_CONTENT)
}

pub fn router() -> Router {
    Router::new()
        .route("/public/*rel", get(public_asset))
        .route("/uploads/*rel", get(upload_asset))
        .route("/uploads/:name", delete(remove_upload))
        .route("/staging/:name", post(stage_upload))
        .route("/preview/open", post(open_preview))
        .with_state(MediaState::from_env())
}
