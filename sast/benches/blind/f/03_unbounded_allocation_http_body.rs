// Axum routes for the batch ingestion API: clients announce the upload size in a
// header, can request padded report output, and submit bulk job descriptors.
use axum::{
    body::Bytes,
    extract::{Json, Query, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
    Router,
};
use serde::Deserialize;
use std::sync::Arc;

const MAX_UPLOAD: usize = 32 * 1024 * 1024;
const MAX_JOBS: usize = 500;
const MAX_PAD: usize = 80;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn BlobStore + Send + Sync>,
}

pub trait BlobStore {
    fn put(&self, data: Vec<u8>) -> Result<String, String>;
}

#[derive(Deserialize)]
pub struct ReportParams {
    pub title: String,
    pub pad: Option<usize>,
}

#[derive(Deserialize)]
pub struct BatchRequest {
    pub count: usize,
    pub kind: String,
}

fn declared_size(headers: &HeaderMap, name: &str) -> Option<usize> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn staging_buffer(size: usize) -> Vec<u8> {
    Vec::with_capacity(size) //~ unbounded-allocation
}

fn bounded_staging_buffer(size: usize) -> Result<Vec<u8>, StatusCode> {
    if size > MAX_UPLOAD {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    Ok(Vec::with_capacity(size))
}

async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<String, StatusCode> {
    let announced = declared_size(&headers, "x-upload-length").unwrap_or(body.len());
    let mut buf = staging_buffer(announced);
    buf.extend_from_slice(&body);
    state.store.put(buf).map_err(|_| StatusCode::BAD_GATEWAY)
}

async fn upload_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<String, StatusCode> {
    let announced = declared_size(&headers, "content-length").unwrap_or(0);
    let mut buf = bounded_staging_buffer(announced)?;
    buf.extend_from_slice(&body);
    state.store.put(buf).map_err(|_| StatusCode::BAD_GATEWAY)
}

async fn report(Query(params): Query<ReportParams>) -> String {
    let width = params.pad.unwrap_or(40);
    let rule = "=".repeat(width); //~ unbounded-allocation
    format!("{rule}\n{}\n{rule}\n", params.title)
}

async fn report_compact(Query(params): Query<ReportParams>) -> String {
    let width = params.pad.unwrap_or(40).clamp(10, MAX_PAD);
    let rule = "-".repeat(width);
    let title: String = params.title.chars().take(width).collect();
    format!("{rule}\n{title}\n{rule}\n")
}

struct JobSlot {
    kind: String,
    state: u8,
}

fn plan_jobs(req: &BatchRequest) -> Vec<JobSlot> {
    let mut slots = Vec::with_capacity(req.count); //~ unbounded-allocation
    for _ in 0..req.count {
        slots.push(JobSlot {
            kind: req.kind.clone(),
            state: 0,
        });
    }
    slots
}

async fn create_batch(Json(req): Json<BatchRequest>) -> Result<String, StatusCode> {
    if req.kind.is_empty() {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let slots = plan_jobs(&req);
    let pending = slots.iter().filter(|s| s.state == 0).count();
    Ok(format!("{} {} jobs queued", pending, slots[0].kind))
}

async fn create_small_batch(Json(req): Json<BatchRequest>) -> Result<String, StatusCode> {
    if req.count == 0 || req.count > MAX_JOBS {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let slots: Vec<JobSlot> = Vec::with_capacity(req.count);
    Ok(format!(
        "reserved {} slots for {}",
        slots.capacity(),
        req.kind
    ))
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/upload", post(upload))
        .route("/v2/upload", post(upload_v2))
        .route("/report", get(report))
        .route("/report/compact", get(report_compact))
        .route("/batch", post(create_batch))
        .route("/batch/small", post(create_small_batch))
        .with_state(state)
}
