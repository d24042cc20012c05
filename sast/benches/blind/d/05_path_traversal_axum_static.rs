// Scenario: an axum document server that serves per-tenant reports from disk.
use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{delete, get},
    Router,
};
use serde::Deserialize;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

struct Store {
    root: PathBuf,
}

#[derive(Deserialize)]
struct Download {
    file: String,
}

impl Store {
    fn resolve(&self, tenant: &str, name: &str) -> PathBuf {
        self.root.join(tenant).join(name)
    }

    fn resolve_checked(&self, name: &str) -> Option<PathBuf> {
        let root = self.root.canonicalize().ok()?;
        let candidate = root.join(name).canonicalize().ok()?;
        if candidate.starts_with(&root) {
            Some(candidate)
        } else {
            None
        }
    }
}

async fn report(
    State(store): State<Arc<Store>>,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Bytes, StatusCode> {
    let path = store.resolve(&tenant, &name);
    tokio::fs::read(&path) //~ path-traversal
        .await
        .map(Bytes::from)
        .map_err(|_| StatusCode::NOT_FOUND)
}

async fn download(
    State(store): State<Arc<Store>>,
    Query(q): Query<Download>,
) -> Result<Bytes, StatusCode> {
    let path = store.resolve_checked(&q.file).ok_or(StatusCode::FORBIDDEN)?;
    let data = tokio::fs::read(path).await.map_err(|_| StatusCode::NOT_FOUND)?;
    Ok(Bytes::from(data))
}

async fn thumbnail(
    State(store): State<Arc<Store>>,
    Query(q): Query<Download>,
) -> Result<Bytes, StatusCode> {
    let base = FsPath::new(&q.file)
        .file_name()
        .ok_or(StatusCode::BAD_REQUEST)?
        .to_owned();
    let path = store.root.join("thumbs").join(base);
    let data = tokio::fs::read(&path).await.map_err(|_| StatusCode::NOT_FOUND)?;
    Ok(Bytes::from(data))
}

async fn remove_report(
    State(store): State<Arc<Store>>,
    Path((tenant, name)): Path<(String, String)>,
) -> StatusCode {
    let target = format!("{}/{}/{}", store.root.display(), tenant, name);
    match tokio::fs::remove_file(target).await { //~ path-traversal
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::NOT_FOUND,
    }
}

async fn legacy(State(store): State<Arc<Store>>, Query(q): Query<Download>) -> String {
    let p = store.root.join("legacy").join(&q.file);
    std::fs::read_to_string(p).unwrap_or_default() //~ path-traversal
}

pub fn app(root: PathBuf) -> Router {
    let store = Arc::new(Store { root });
    Router::new()
        .route("/reports/:tenant/:name", get(report))
        .route("/reports/:tenant/:name", delete(remove_report))
        .route("/download", get(download))
        .route("/thumb", get(thumbnail))
        .route("/legacy", get(legacy))
        .with_state(store)
}
