//! Operations console backend: backups, diagnostics and log viewing.

use hmac::{Hmac, Mac};
use log::{info, warn};
use serde::Deserialize;
use sha2::Sha256;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use tokio::process::Command;
use warp::http::StatusCode;
use warp::{Filter, Rejection, Reply};

type HmacSha256 = Hmac<Sha256>;

const KNOWN_DATABASES: &[&str] = &["orders", "billing", "catalog"];
const VIEWABLE_LOGS: &[&str] = &["api.log", "worker.log", "scheduler.log"];

#[derive(Deserialize)]
pub struct BackupJob {
    database: String,
    label: String,
}

#[derive(Deserialize)]
pub struct DiagQuery {
    tool: String,
    target: String,
}

#[derive(Deserialize)]
pub struct LogQuery {
    file: String,
    archived: Option<bool>,
}

pub struct Console {
    backup_dir: PathBuf,
    log_dir: PathBuf,
    verifier: HmacSha256,
    legacy_verifier: HmacSha256,
}

impl Console {
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error>> {
        let key = std::env::var("OPS_CONSOLE_HMAC_KEY")?;
        Ok(Self {
            backup_dir: PathBuf::from("/var/backups/ops"),
            log_dir: PathBuf::from("/var/log/app"),
            verifier: HmacSha256::new_from_slice(key.as_bytes())?,
            legacy_verifier: HmacSha256::new_from_slice(b"ops-console-shared-2021")?, //~ hardcoded-crypto-key
        })
    }

    fn authorize(&self, signature: &str, body: &[u8]) -> bool {
        let Ok(sig) = hex::decode(signature) else {
            return false;
        };
        for verifier in [&self.verifier, &self.legacy_verifier] {
            let mut mac = verifier.clone();
            mac.update(body);
            if mac.verify_slice(&sig).is_ok() {
                info!(
                    "console request authorized (sig {}...)",
                    &signature[..8.min(signature.len())]
                );
                return true;
            }
        }
        false
    }

    async fn backup(&self, job: &BackupJob) -> std::io::Result<bool> {
        if KNOWN_DATABASES.contains(&job.database.as_str())
            && job.label.chars().all(char::is_alphanumeric)
        {
            let out = self
                .backup_dir
                .join(format!("{}-{}.dump", job.database, job.label));
            let status = Command::new("pg_dump")
                .arg("-Fc")
                .arg("-f")
                .arg(out)
                .arg(&job.database)
                .status()
                .await?;
            return Ok(status.success());
        }
        let pipeline = format!(
            "pg_dump {} | gzip > {}/{}.gz",
            job.database,
            self.backup_dir.display(),
            job.label
        );
        let status = Command::new("sh").args(["-c", &pipeline]).status().await?; //~ command-injection
        Ok(status.success())
    }

    async fn diagnose(&self, q: &DiagQuery) -> std::io::Result<String> {
        let mut cmd = match q.tool.as_str() {
            "ping" => Command::new("ping"),
            "dig" => Command::new("dig"),
            "traceroute" => Command::new("traceroute"),
            other => Command::new(other), //~ command-injection
        };
        let out = cmd.arg(&q.target).stdout(Stdio::piped()).output().await?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    async fn read_log(&self, q: &LogQuery) -> std::io::Result<String> {
        if VIEWABLE_LOGS.contains(&q.file.as_str()) {
            return tokio::fs::read_to_string(self.log_dir.join(&q.file)).await;
        }
        if q.archived == Some(true) {
            let archived = self.log_dir.join("archive").join(&q.file);
            return tokio::fs::read_to_string(archived).await; //~ path-traversal
        }
        Err(std::io::ErrorKind::NotFound.into())
    }
}

fn audit_header(token: &str, path: &str) {
    warn!("unsigned console call to {} using bearer {}", path, token); //~ cleartext-logging
}

fn signed_body(
    console: Arc<Console>,
) -> impl Filter<Extract = (bytes::Bytes,), Error = Rejection> + Clone {
    warp::header::<String>("x-ops-signature")
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::path::full())
        .and(warp::body::bytes())
        .and_then(
            move |sig: String,
                  bearer: Option<String>,
                  path: warp::path::FullPath,
                  body: bytes::Bytes| {
                let console = console.clone();
                async move {
                    if let Some(token) = bearer.as_deref() {
                        audit_header(token, path.as_str());
                    }
                    if console.authorize(&sig, &body) {
                        Ok(body)
                    } else {
                        Err(warp::reject::not_found())
                    }
                }
            },
        )
}

async fn run_backup(body: bytes::Bytes, console: Arc<Console>) -> Result<impl Reply, Rejection> {
    let job: BackupJob = serde_json::from_slice(&body).map_err(|_| warp::reject())?;
    let code = match console.backup(&job).await {
        Ok(true) => StatusCode::ACCEPTED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Ok(warp::reply::with_status("", code))
}

async fn run_diag(q: DiagQuery, console: Arc<Console>) -> Result<impl Reply, Rejection> {
    Ok(console.diagnose(&q).await.unwrap_or_else(|e| e.to_string()))
}

async fn view_log(q: LogQuery, console: Arc<Console>) -> Result<impl Reply, Rejection> {
    console
        .read_log(&q)
        .await
        .map_err(|_| warp::reject::not_found())
}

pub fn routes(
    console: Arc<Console>,
) -> impl Filter<Extract = impl Reply, Error = Rejection> + Clone {
    let c1 = console.clone();
    let c2 = console.clone();
    let backup = warp::path!("admin" / "backup")
        .and(warp::post())
        .and(signed_body(console.clone()))
        .and(warp::any().map(move || c1.clone()))
        .and_then(run_backup);
    let diag = warp::path!("admin" / "diag")
        .and(warp::query::<DiagQuery>())
        .and(warp::any().map(move || c2.clone()))
        .and_then(run_diag);
    let logs = warp::path!("admin" / "logs")
        .and(warp::query::<LogQuery>())
        .and(warp::any().map(move || console.clone()))
        .and_then(view_log);
    backup.or(diag).or(logs)
}
