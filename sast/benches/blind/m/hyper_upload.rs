use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, CONTENT_LENGTH};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;

const MAX_UPLOAD: usize = 32 * 1024 * 1024;

struct UploadCtx {
    dir: PathBuf,
}

fn header_usize(headers: &HeaderMap, name: &str) -> Option<usize> {
    headers.get(name)?.to_str().ok()?.parse().ok()
}

struct Upload {
    buf: Vec<u8>,
    parts: Vec<Vec<u8>>,
}

impl Upload {
    fn for_request(headers: &HeaderMap) -> Self {
        let declared = header_usize(headers, CONTENT_LENGTH.as_str()).unwrap_or(0);
        Self { buf: Vec::with_capacity(declared), parts: Vec::new() } //~ unbounded-allocation
    }

    fn for_request_bounded(headers: &HeaderMap) -> Self {
        let declared = header_usize(headers, CONTENT_LENGTH.as_str()).unwrap_or(0);
        Self { buf: Vec::with_capacity(declared.min(MAX_UPLOAD)), parts: Vec::new() }
    }

    fn expect_chunks(&mut self, headers: &HeaderMap) {
        if let Some(hint) = header_usize(headers, "x-chunk-size") {
            self.buf.reserve(hint); //~ unbounded-allocation
        }
    }

    fn split_part(&mut self, part_len: usize) {
        let mut part = vec![0u8; part_len]; //~ unbounded-allocation
        let n = part_len.min(self.buf.len());
        part[..n].copy_from_slice(&self.buf[..n]);
        self.parts.push(part);
    }

    fn split_part_checked(&mut self, part_len: usize) -> bool {
        if part_len > self.buf.len() {
            return false;
        }
        self.parts.push(self.buf[..part_len].to_vec());
        true
    }
}

fn sanitize(name: &str) -> Option<&str> {
    Path::new(name).file_name()?.to_str().filter(|n| !n.starts_with('.'))
}

impl UploadCtx {
    async fn store(&self, raw_name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
        let name = sanitize(raw_name).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad filename"))?;
        let dest = self.dir.join(name);
        tokio::fs::write(&dest, data).await?;
        Ok(dest)
    }

    async fn store_versioned(&self, raw_name: &str, version: u32, data: &[u8]) -> std::io::Result<PathBuf> {
        let dest = self.dir.join(format!("v{}", version)).join(raw_name);
        tokio::fs::create_dir_all(dest.parent().unwrap_or(&self.dir)).await?;
        tokio::fs::write(&dest, data).await?; //~ path-traversal
        Ok(dest)
    }
}

fn integrity_ok(headers: &HeaderMap, body: &[u8]) -> bool {
    if let Some(sha256) = headers.get("x-checksum-sha256").and_then(|v| v.to_str().ok()) {
        return hex::encode(Sha256::digest(body)) == sha256;
    }
    if let Some(sha1) = headers.get("x-checksum-sha1").and_then(|v| v.to_str().ok()) {
        return hex::encode(Sha1::digest(body)) == sha1; //~ weak-hash
    }
    false
}

async fn handle(ctx: Arc<UploadCtx>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::PUT {
        return Ok(Response::builder().status(StatusCode::METHOD_NOT_ALLOWED).body(Full::new(Bytes::new())).unwrap());
    }
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    let mut upload = if headers.contains_key("x-legacy-client") { Upload::for_request(&headers) } else { Upload::for_request_bounded(&headers) };
    upload.expect_chunks(&headers);
    let Ok(collected) = http_body_util::Limited::new(body, MAX_UPLOAD).collect().await else {
        return Ok(Response::builder().status(StatusCode::PAYLOAD_TOO_LARGE).body(Full::new(Bytes::new())).unwrap());
    };
    upload.buf.extend_from_slice(&collected.to_bytes());
    if !integrity_ok(&headers, &upload.buf) {
        return Ok(Response::builder().status(StatusCode::BAD_REQUEST).body(Full::new(Bytes::from("checksum mismatch"))).unwrap());
    }
    if let Some(part_len) = header_usize(&headers, "x-part-length") {
        if headers.contains_key("x-strict-parts") {
            upload.split_part_checked(part_len);
        } else {
            upload.split_part(part_len);
        }
    }
    let name = parts.uri.path().trim_start_matches("/uploads/").to_string();
    let stored = match header_usize(&headers, "x-version") {
        Some(v) => ctx.store_versioned(&name, v as u32, &upload.buf).await,
        None => ctx.store(&name, &upload.buf).await,
    };
    let (status, msg) = match stored {
        Ok(p) => (StatusCode::CREATED, format!("stored {} ({} parts)", p.display(), upload.parts.len())),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
    };
    Ok(Response::builder().status(status).body(Full::new(Bytes::from(msg))).unwrap())
}

pub async fn serve(addr: &str, dir: PathBuf) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let ctx = Arc::new(UploadCtx { dir });
    loop {
        let (stream, _) = listener.accept().await?;
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(ctx.clone(), req));
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                log::warn!("connection error: {}", e);
            }
        });
    }
}
