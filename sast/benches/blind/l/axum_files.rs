//! Document portal: downloads, uploads and manifest imports.

use axum::{
    body::Bytes,
    extract::{Json, Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Router,
};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::AsyncReadExt;

const DOC_ROOT: &str = "/srv/docs";
const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
struct AppState {
    store: Arc<DocumentStore>,
}

struct DocumentStore {
    root: PathBuf,
    thumbs: PathBuf,
}

#[derive(Deserialize)]
struct ImportRequest {
    manifest: String,
    #[serde(default)]
    dry_run: bool,
}

impl DocumentStore {
    fn new() -> Self {
        let root = PathBuf::from(DOC_ROOT);
        Self {
            thumbs: root.join(".thumbs"),
            root,
        }
    }

    fn locate(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }

    fn locate_checked(&self, rel: &str) -> Option<PathBuf> {
        let base = self.root.canonicalize().ok()?;
        let candidate = base.join(rel).canonicalize().ok()?;
        if candidate.starts_with(&base) {
            Some(candidate)
        } else {
            None
        }
    }

    async fn read_document(&self, rel: &str) -> std::io::Result<Vec<u8>> {
        let path = self.locate(rel);
        tokio::fs::read(&path).await //~ path-traversal
    }

    async fn read_document_v2(&self, rel: &str) -> std::io::Result<Vec<u8>> {
        match self.locate_checked(rel) {
            Some(p) => tokio::fs::read(p).await,
            None => Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "outside document root",
            )),
        }
    }

    async fn remove(&self, name: &str) -> std::io::Result<()> {
        let target = self.locate(name);
        tokio::fs::remove_file(target).await //~ path-traversal
    }

    async fn thumbnail(&self, id: u64) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.thumbs.join(format!("{id}.png"))).await
    }
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

struct UploadBuffer {
    data: Vec<u8>,
    expected: usize,
}

impl UploadBuffer {
    fn with_expected(expected: usize) -> Self {
        let data = Vec::with_capacity(expected); //~ unbounded-allocation
        Self { data, expected }
    }

    fn bounded(expected: usize) -> Self {
        let cap = expected.min(MAX_UPLOAD_BYTES);
        Self {
            data: Vec::with_capacity(cap),
            expected: cap,
        }
    }

    fn fill(mut self, body: &[u8]) -> Vec<u8> {
        let take = body.len().min(self.expected);
        self.data.extend_from_slice(&body[..take]);
        self.data
    }
}

async fn load_manifest(path: &str) -> std::io::Result<String> {
    let mut file = tokio::fs::File::open(path).await?; //~ path-traversal
    let mut text = String::new();
    file.read_to_string(&mut text).await?;
    Ok(text)
}

async fn download(State(st): State<AppState>, Path(rel): Path<String>) -> Response {
    match st.store.read_document(&rel).await {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn download_v2(State(st): State<AppState>, Path(rel): Path<String>) -> Response {
    match st.store.read_document_v2(&rel).await {
        Ok(bytes) => bytes.into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            StatusCode::FORBIDDEN.into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn thumb(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match st.store.thumbnail(id).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn delete_doc(State(st): State<AppState>, Path(name): Path<String>) -> StatusCode {
    match st.store.remove(&name).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::NOT_FOUND,
    }
}

async fn upload_raw(headers: HeaderMap, body: Bytes) -> Response {
    let expected = declared_length(&headers).unwrap_or(body.len());
    let buf = UploadBuffer::with_expected(expected);
    let stored = buf.fill(&body);
    (StatusCode::CREATED, format!("{} bytes", stored.len())).into_response()
}

async fn upload_document(headers: HeaderMap, body: Bytes) -> Response {
    let expected = declared_length(&headers).unwrap_or(0);
    let stored = UploadBuffer::bounded(expected).fill(&body);
    (StatusCode::CREATED, format!("{} bytes", stored.len())).into_response()
}

async fn import(Json(req): Json<ImportRequest>) -> Response {
    let manifest = match load_manifest(&req.manifest).await {
        Ok(m) => m,
        Err(_) => return StatusCode::UNPROCESSABLE_ENTITY.into_response(),
    };
    let entries = manifest.lines().filter(|l| !l.trim().is_empty()).count();
    if req.dry_run {
        return format!("would import {entries} entries").into_response();
    }
    (StatusCode::ACCEPTED, format!("importing {entries} entries")).into_response()
}

#[tokio::main]
async fn main() {
    let state = AppState {
        store: Arc::new(DocumentStore::new()),
    };
    let app = Router::new()
        .route("/files/*rel", get(download).delete(delete_doc))
        .route("/v2/files/*rel", get(download_v2))
        .route("/thumbs/:id", get(thumb))
        .route("/upload/raw", put(upload_raw))
        .route("/upload", post(upload_document))
        .route("/import", post(import))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
