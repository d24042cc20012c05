//! Operator admin endpoint for the cache nodes (hyper 0.14).

use bytes::BytesMut;
use hyper::body::HttpBody;
use hyper::service::{make_service_fn, service_fn};
use hyper::{header, Body, Method, Request, Response, Server, StatusCode};
use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

const MAX_CONFIG_BYTES: usize = 256 * 1024;

struct AdminState {
    log_dir: PathBuf,
    config_dir: PathBuf,
}

#[derive(serde::Deserialize)]
struct ExecJob {
    tool: String,
    args: Vec<String>,
}

fn query_map(req: &Request<Body>) -> HashMap<String, String> {
    req.uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

fn text(status: StatusCode, body: impl Into<Body>) -> Response<Body> {
    Response::builder()
        .status(status)
        .body(body.into())
        .unwrap()
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

struct Diagnostics;

impl Diagnostics {
    fn ping(host: &str) -> std::io::Result<String> {
        let line = format!("ping -c 3 -W 1 {}", host);
        let out = Command::new("sh").arg("-c").arg(line).output()?; //~ command-injection
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn uptime() -> std::io::Result<String> {
        let out = Command::new("uptime").output()?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn run(job: &ExecJob) -> std::io::Result<String> {
        let out = Command::new(&job.tool).args(&job.args).output()?; //~ command-injection
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn flush_cache(shard: u16) -> std::io::Result<bool> {
        let status = Command::new("/usr/local/bin/cachectl")
            .args(["flush", "--shard", &shard.to_string()])
            .status()?;
        Ok(status.success())
    }
}

impl AdminState {
    fn tail_log(&self, name: &str) -> std::io::Result<String> {
        let path = self.log_dir.join(name);
        let content = std::fs::read_to_string(path)?; //~ path-traversal
        let lines: Vec<&str> = content.lines().rev().take(200).collect();
        Ok(lines.into_iter().rev().collect::<Vec<_>>().join("\n"))
    }

    fn tail_log_checked(&self, name: &str) -> std::io::Result<String> {
        if !is_plain_name(name) {
            return Err(std::io::ErrorKind::InvalidInput.into());
        }
        std::fs::read_to_string(self.log_dir.join(name))
    }

    fn store_config(&self, name: &str, body: &[u8]) -> std::io::Result<()> {
        let target = self.config_dir.join(format!("{}.toml", name));
        std::fs::write(&target, body) //~ path-traversal
    }
}

fn declared_len(req: &Request<Body>) -> usize {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn read_body(
    mut body: Body,
    capacity: usize,
    limit: Option<usize>,
) -> Result<BytesMut, hyper::Error> {
    let mut buf = BytesMut::with_capacity(capacity);
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        if limit.map_or(false, |l| buf.len() + chunk.len() > l) {
            break;
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

async fn read_config_body(req: Request<Body>) -> Result<BytesMut, hyper::Error> {
    let hint = declared_len(&req);
    let mut buf = BytesMut::with_capacity(hint); //~ unbounded-allocation
    let mut body = req.into_body();
    while let Some(chunk) = body.data().await {
        buf.extend_from_slice(&chunk?);
    }
    Ok(buf)
}

async fn route(state: Arc<AdminState>, req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let q = query_map(&req);
    let arg = |k: &str| q.get(k).cloned().unwrap_or_default();
    let resp = match (req.method(), req.uri().path()) {
        (&Method::GET, "/admin/ping") => match Diagnostics::ping(&arg("host")) {
            Ok(o) => text(StatusCode::OK, o),
            Err(e) => text(StatusCode::BAD_GATEWAY, e.to_string()),
        },
        (&Method::GET, "/admin/uptime") => {
            text(StatusCode::OK, Diagnostics::uptime().unwrap_or_default())
        }
        (&Method::POST, "/admin/flush") => match arg("shard").parse::<u16>() {
            Ok(shard) => text(
                StatusCode::OK,
                format!("{:?}", Diagnostics::flush_cache(shard).ok()),
            ),
            Err(_) => text(StatusCode::BAD_REQUEST, "shard must be numeric"),
        },
        (&Method::GET, "/admin/logs") => match state.tail_log(&arg("file")) {
            Ok(t) => text(StatusCode::OK, t),
            Err(_) => text(StatusCode::NOT_FOUND, "no such log"),
        },
        (&Method::GET, "/admin/v2/logs") => match state.tail_log_checked(&arg("file")) {
            Ok(t) => text(StatusCode::OK, t),
            Err(_) => text(StatusCode::NOT_FOUND, "no such log"),
        },
        (&Method::PUT, "/admin/config") => {
            let name = req
                .headers()
                .get("x-config-name")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("default")
                .to_owned();
            match read_config_body(req).await {
                Ok(body) if state.store_config(&name, &body).is_ok() => {
                    text(StatusCode::NO_CONTENT, "")
                }
                _ => text(StatusCode::INTERNAL_SERVER_ERROR, "write failed"),
            }
        }
        (&Method::POST, "/admin/exec") => {
            let cap = declared_len(&req).min(MAX_CONFIG_BYTES);
            let body = read_body(req.into_body(), cap, Some(MAX_CONFIG_BYTES)).await;
            match body
                .ok()
                .and_then(|b| serde_json::from_slice::<ExecJob>(&b).ok())
            {
                Some(job) => text(StatusCode::OK, Diagnostics::run(&job).unwrap_or_default()),
                None => text(StatusCode::BAD_REQUEST, "bad job"),
            }
        }
        _ => text(StatusCode::NOT_FOUND, "not found"),
    };
    Ok(resp)
}

#[tokio::main]
async fn main() {
    let state = Arc::new(AdminState {
        log_dir: PathBuf::from("/var/log/cache"),
        config_dir: PathBuf::from("/etc/cache/conf.d"),
    });
    let make = make_service_fn(move |_conn| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(service_fn(move |req| route(state.clone(), req))) }
    });
    let addr = ([127, 0, 0, 1], 9900).into();
    if let Err(e) = Server::bind(&addr).serve(make).await {
        eprintln!("admin server error: {e}");
    }
}
