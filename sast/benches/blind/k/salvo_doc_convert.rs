//! Document conversion service: accepts uploads and renders them with external tools.

use std::path::{Path, PathBuf};

use salvo::fs::NamedFile;
use salvo::prelude::*;
use tokio::process::Command;

const UPLOAD_DIR: &str = "/var/lib/docconv/uploads";
const OUTPUT_DIR: &str = "/var/lib/docconv/out";
const MAX_FRAMES: usize = 64;

struct ConvertJob {
    source: PathBuf,
    target_format: &'static str,
    engine: String,
    geometry: String,
}

fn target_format(raw: Option<String>) -> Option<&'static str> {
    match raw.as_deref() {
        Some("pdf") => Some("pdf"),
        Some("png") => Some("png"),
        Some("txt") => Some("txt"),
        _ => None,
    }
}

fn requested_frames(req: &Request) -> usize {
    req.query::<usize>("frames").unwrap_or(1)
}

fn safe_name(raw: &str) -> Option<String> {
    let name = Path::new(raw).file_name()?.to_str()?;
    if name.starts_with('.') {
        return None;
    }
    Some(name.to_string())
}

async fn store_upload(tmp: &Path, client_name: &str) -> std::io::Result<PathBuf> {
    let dest = Path::new(UPLOAD_DIR).join(client_name);
    tokio::fs::copy(tmp, &dest).await?; //~ path-traversal
    Ok(dest)
}

async fn store_upload_sanitized(tmp: &Path, client_name: &str) -> std::io::Result<PathBuf> {
    let name = safe_name(client_name).unwrap_or_else(|| "upload.bin".to_string());
    let dest = Path::new(UPLOAD_DIR).join(name);
    tokio::fs::copy(tmp, &dest).await?;
    Ok(dest)
}

impl ConvertJob {
    async fn run_office(&self) -> std::io::Result<std::process::Output> {
        Command::new("soffice")
            .args(["--headless", "--convert-to", self.target_format, "--outdir"])
            .arg(OUTPUT_DIR)
            .arg(&self.source)
            .output()
            .await
    }

    async fn run_engine(&self) -> std::io::Result<std::process::Output> {
        let mut cmd = Command::new(&self.engine); //~ command-injection
        cmd.arg(&self.source).arg(OUTPUT_DIR).kill_on_drop(true);
        cmd.output().await
    }

    async fn thumbnail(&self) -> std::io::Result<std::process::Output> {
        let out = Path::new(OUTPUT_DIR).join("thumb.png");
        let script = format!(
            "convert '{}' -resize {} '{}'",
            self.source.display(),
            self.geometry,
            out.display()
        );
        Command::new("sh").arg("-c").arg(script).output().await //~ command-injection
    }
}

#[handler]
async fn upload(req: &mut Request, res: &mut Response) {
    let Some(file) = req.file("document").await else {
        res.status_code(StatusCode::BAD_REQUEST);
        return;
    };
    let client_name = file.name().unwrap_or("document").to_string();
    let tmp = file.path().clone();
    let stored = if req.query::<bool>("keep_name").unwrap_or(false) {
        store_upload(&tmp, &client_name).await
    } else {
        store_upload_sanitized(&tmp, &client_name).await
    };
    match stored {
        Ok(p) => res.render(Text::Plain(p.display().to_string())),
        Err(_) => res.status_code(StatusCode::INTERNAL_SERVER_ERROR),
    };
}

#[handler]
async fn convert(req: &mut Request, res: &mut Response) {
    let Some(name) = req.param::<String>("name").and_then(|n| safe_name(&n)) else {
        res.status_code(StatusCode::BAD_REQUEST);
        return;
    };
    let Some(fmt) = target_format(req.query::<String>("to")) else {
        res.status_code(StatusCode::UNPROCESSABLE_ENTITY);
        return;
    };
    let job = ConvertJob {
        source: Path::new(UPLOAD_DIR).join(name),
        target_format: fmt,
        engine: req
            .query::<String>("engine")
            .unwrap_or_else(|| "pandoc".into()),
        geometry: req
            .query::<String>("size")
            .unwrap_or_else(|| "256x256".into()),
    };
    let result = match req.query::<String>("mode").as_deref() {
        Some("engine") => job.run_engine().await,
        Some("thumb") => job.thumbnail().await,
        _ => job.run_office().await,
    };
    match result {
        Ok(out) if out.status.success() => res.render(Text::Plain("converted")),
        _ => res.status_code(StatusCode::BAD_GATEWAY),
    };
}

#[handler]
async fn download(req: &mut Request, res: &mut Response) {
    let name: String = req.param("name").unwrap_or_default();
    let path = Path::new(OUTPUT_DIR).join(&name);
    let file = NamedFile::builder(path).attached_name(name);
    file.send(req.headers(), res).await; //~ path-traversal
}

#[handler]
async fn preview_frames(req: &mut Request, res: &mut Response) {
    let wanted = requested_frames(req);
    let mut frames: Vec<Vec<u8>> = Vec::with_capacity(wanted); //~ unbounded-allocation
    let mut sampled: Vec<u32> = Vec::with_capacity(wanted.min(MAX_FRAMES));
    for i in 0..wanted.min(MAX_FRAMES) {
        sampled.push(i as u32);
        frames.push(Vec::new());
    }
    res.render(Json(sampled));
}

pub fn router() -> Router {
    Router::new()
        .push(Router::with_path("upload").post(upload))
        .push(Router::with_path("convert/<name>").post(convert))
        .push(Router::with_path("out/<name>").get(download))
        .push(Router::with_path("frames").get(preview_frames))
}
