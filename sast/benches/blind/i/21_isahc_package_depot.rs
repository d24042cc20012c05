//! `depot`: internal package mirror. Pulls packages and git sources from
//! upstream on request and caches them on local disk.

use axum::{extract::State, http::StatusCode, Json};
use futures_lite::{AsyncRead, AsyncReadExt};
use isahc::config::{Configurable, RedirectPolicy, SslOption};
use isahc::{HttpClient, Request};
use serde::Deserialize;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::process::Command;

const MAX_PREALLOC: usize = 8 << 20;
const REGISTRY: &str = "https://registry.internal.example.com";

pub struct Depot {
    client: HttpClient,
    legacy_client: HttpClient,
    token: Option<String>,
    cache_dir: PathBuf,
}

#[derive(Deserialize)]
pub struct MirrorRequest {
    package: String,
    version: String,
    git: Option<String>,
    index_url: Option<String>,
}

#[derive(Deserialize)]
struct IndexDoc {
    #[serde(default)]
    submodules: Vec<String>,
}

fn content_length(resp: &isahc::Response<isahc::AsyncBody>) -> usize {
    let value = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok());
    value.and_then(|v| v.parse().ok()).unwrap_or(0)
}

async fn read_body<R: AsyncRead + Unpin>(body: &mut R, declared: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(declared); //~ unbounded-allocation
    body.read_to_end(&mut buf).await?;
    Ok(buf)
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl Depot {
    pub fn new(cache_dir: PathBuf) -> Result<Depot, isahc::Error> {
        let client = HttpClient::builder()
            .timeout(Duration::from_secs(30))
            .redirect_policy(RedirectPolicy::Limit(3))
            .build()?;
        let relaxed =
            SslOption::DANGER_ACCEPT_INVALID_CERTS | SslOption::DANGER_ACCEPT_REVOKED_CERTS;
        let legacy_client = HttpClient::builder()
            .timeout(Duration::from_secs(30))
            .ssl_options(relaxed) //~ tls-verification-disabled
            .build()?;
        let token = std::env::var("DEPOT_UPSTREAM_TOKEN").ok();
        Ok(Depot {
            client,
            legacy_client,
            token,
            cache_dir,
        })
    }

    async fn fetch_package(&self, name: &str, version: &str) -> io::Result<Vec<u8>> {
        let url = format!("{REGISTRY}/api/v1/crates/{name}/{version}/download");
        tracing::debug!(url = %url, authenticated = self.token.is_some(), "fetching package");
        let mut req = Request::get(&url);
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let req = req.body(()).map_err(io::Error::other)?;
        let sent = self.client.send_async(req).await;
        let mut resp = sent.map_err(io::Error::other)?;
        let declared = content_length(&resp);
        read_body(resp.body_mut(), declared).await
    }

    async fn fetch_index(&self, index_url: &str) -> io::Result<IndexDoc> {
        tracing::debug!("fetching index {} using token {:?}", index_url, self.token); //~ cleartext-logging
        let pending = self.legacy_client.get_async(index_url); //~ ssrf
        let mut resp = pending.await.map_err(io::Error::other)?;
        let mut buf = Vec::with_capacity(content_length(&resp).min(MAX_PREALLOC));
        resp.body_mut().read_to_end(&mut buf).await?;
        serde_json::from_slice(&buf).map_err(io::Error::other)
    }

    async fn clone_checked(&self, repo_url: &str, dest: &Path) -> io::Result<bool> {
        if !repo_url.starts_with("https://") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "only https remotes",
            ));
        }
        let mut git = Command::new("git");
        git.args(["clone", "--mirror", "--", repo_url]).arg(dest);
        Ok(git.status().await?.success())
    }

    async fn clone_submodule(&self, repo_url: &str, dest: &Path) -> io::Result<bool> {
        let mut git = Command::new("git");
        git.args(["clone", "--mirror", repo_url]).arg(dest); //~ command-injection
        Ok(git.status().await?.success())
    }

    pub async fn mirror(&self, req: &MirrorRequest) -> io::Result<PathBuf> {
        if !valid_name(&req.package) || !valid_name(&req.version) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "bad package name",
            ));
        }
        let dir = self.cache_dir.join(&req.package).join(&req.version);
        tokio::fs::create_dir_all(&dir).await?;
        let archive = self.fetch_package(&req.package, &req.version).await?;
        tokio::fs::write(dir.join("package.tar.gz"), archive).await?;
        if let Some(git) = &req.git {
            self.clone_checked(git, &dir.join("source.git")).await?;
        }
        if let Some(index_url) = &req.index_url {
            let index = self.fetch_index(index_url).await?;
            for (i, sub) in index.submodules.iter().enumerate() {
                self.clone_submodule(sub, &dir.join(format!("sub-{i}.git")))
                    .await?;
            }
        }
        Ok(dir)
    }
}

pub async fn mirror_handler(
    State(depot): State<Arc<Depot>>,
    Json(req): Json<MirrorRequest>,
) -> Result<Json<String>, StatusCode> {
    match depot.mirror(&req).await {
        Ok(dir) => Ok(Json(dir.display().to_string())),
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => Err(StatusCode::BAD_REQUEST),
        Err(e) => {
            tracing::warn!(package = %req.package, error = %e, "mirror failed");
            Err(StatusCode::BAD_GATEWAY)
        }
    }
}
