use hyper::body::HttpBody;
use hyper::header::CONTENT_LENGTH;
use hyper::{Body, Method, Request, Response, StatusCode};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::fs;

const MAX_UPLOAD: usize = 8 * 1024 * 1024;
const DOWNLOAD_DIR: &str = "/var/lib/files/downloads";

pub struct StaticFiles {
    root: PathBuf,
    assets: PathBuf,
    uploads: PathBuf,
}

fn status(code: StatusCode) -> Response<Body> {
    Response::builder().status(code).body(Body::empty()).unwrap()
}

fn declared_length(req: &Request<Body>) -> usize {
    req.headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0)
}

fn query_param(req: &Request<Body>, key: &str) -> Option<String> {
    req.uri()
        .query()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

impl StaticFiles {
    fn resolve_asset(&self, rel: &str) -> Option<PathBuf> {
        let candidate = self.assets.join(rel).canonicalize().ok()?;
        if candidate.starts_with(&self.assets) {
            Some(candidate)
        } else {
            None
        }
    }

    async fn serve_static(&self, rel: &str) -> Response<Body> {
        let full = self.root.join(rel);
        match fs::read(&full).await { //~ path-traversal
            Ok(bytes) => Response::new(Body::from(bytes)),
            Err(_) => status(StatusCode::NOT_FOUND),
        }
    }

    async fn serve_asset(&self, rel: &str) -> Response<Body> {
        let Some(path) = self.resolve_asset(rel) else {
            return status(StatusCode::FORBIDDEN);
        };
        match fs::read(&path).await {
            Ok(bytes) => Response::new(Body::from(bytes)),
            Err(_) => status(StatusCode::NOT_FOUND),
        }
    }

    fn upload_path(&self, name: &str) -> PathBuf {
        self.uploads.join(name)
    }

    async fn store_upload(&self, name: &str, req: Request<Body>) -> Result<Response<Body>, hyper::Error> {
        let mut data = Vec::with_capacity(declared_length(&req)); //~ unbounded-allocation
        let mut body = req.into_body();
        while let Some(chunk) = body.data().await {
            data.extend_from_slice(&chunk?);
            if data.len() > MAX_UPLOAD {
                return Ok(status(StatusCode::PAYLOAD_TOO_LARGE));
            }
        }
        match fs::write(self.upload_path(name), &data).await { //~ path-traversal
            Ok(()) => Ok(status(StatusCode::CREATED)),
            Err(_) => Ok(status(StatusCode::INTERNAL_SERVER_ERROR)),
        }
    }

    async fn store_avatar(&self, user_id: u64, req: Request<Body>) -> Result<Response<Body>, hyper::Error> {
        let mut data = Vec::with_capacity(declared_length(&req).min(MAX_UPLOAD));
        let mut body = req.into_body();
        while let Some(chunk) = body.data().await {
            data.extend_from_slice(&chunk?);
            if data.len() > MAX_UPLOAD {
                return Ok(status(StatusCode::PAYLOAD_TOO_LARGE));
            }
        }
        let target = self.uploads.join(format!("avatar-{}.png", user_id));
        match fs::write(target, &data).await {
            Ok(()) => Ok(status(StatusCode::CREATED)),
            Err(_) => Ok(status(StatusCode::INTERNAL_SERVER_ERROR)),
        }
    }
}

fn download(name: &str) -> Response<Body> {
    match std::fs::read(format!("{}/{}", DOWNLOAD_DIR, name)) { //~ path-traversal
        Ok(bytes) => Response::new(Body::from(bytes)),
        Err(_) => status(StatusCode::NOT_FOUND),
    }
}

fn download_release(name: &str) -> Response<Body> {
    if name.contains("..") || name.contains('/') || name.contains('\\') {
        return status(StatusCode::BAD_REQUEST);
    }
    match std::fs::read(format!("{}/releases/{}", DOWNLOAD_DIR, name)) {
        Ok(bytes) => Response::new(Body::from(bytes)),
        Err(_) => status(StatusCode::NOT_FOUND),
    }
}

pub async fn route(files: Arc<StaticFiles>, req: Request<Body>) -> Result<Response<Body>, hyper::Error> {
    let path = req.uri().path().to_string();
    match (req.method(), path.as_str()) {
        (&Method::GET, "/download") => Ok(query_param(&req, "file").map_or_else(|| status(StatusCode::BAD_REQUEST), |f| download(&f))),
        (&Method::GET, "/release") => Ok(query_param(&req, "name").map_or_else(|| status(StatusCode::BAD_REQUEST), |f| download_release(&f))),
        (&Method::GET, p) if p.starts_with("/static/") => Ok(files.serve_static(&p["/static/".len()..]).await),
        (&Method::GET, p) if p.starts_with("/assets/") => Ok(files.serve_asset(&p["/assets/".len()..]).await),
        (&Method::PUT, p) if p.starts_with("/uploads/") => files.store_upload(&p["/uploads/".len()..], req).await,
        (&Method::PUT, p) if p.starts_with("/avatar/") => match p["/avatar/".len()..].parse::<u64>() {
            Ok(id) => files.store_avatar(id, req).await,
            Err(_) => Ok(status(StatusCode::BAD_REQUEST)),
        },
        _ => Ok(status(StatusCode::NOT_FOUND)),
    }
}
