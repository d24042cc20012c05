//! Upload service for product imagery: direct uploads, chunked uploads and
//! thumbnail rendering.

use md5::Md5;
use salvo::http::StatusCode;
use salvo::prelude::*;
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

const MAX_UPLOAD: usize = 25 * 1024 * 1024;
const MAX_THUMB_EDGE: u32 = 1024;

struct UploadConfig {
    media_dir: PathBuf,
    signing_secret: String,
}

static CONFIG: OnceLock<UploadConfig> = OnceLock::new();

fn config() -> &'static UploadConfig {
    CONFIG.get_or_init(|| UploadConfig {
        media_dir: PathBuf::from(
            std::env::var("MEDIA_DIR").unwrap_or_else(|_| "/srv/media".into()),
        ),
        signing_secret: std::env::var("UPLOAD_SIGNING_SECRET").expect("UPLOAD_SIGNING_SECRET"),
    })
}

struct UploadBuffer {
    data: Vec<u8>,
}

impl UploadBuffer {
    fn sized(declared: usize) -> Self {
        let data = Vec::with_capacity(declared); //~ unbounded-allocation
        Self { data }
    }

    fn bounded(declared: usize) -> Self {
        Self {
            data: Vec::with_capacity(declared.min(MAX_UPLOAD)),
        }
    }

    fn push(&mut self, chunk: &[u8]) -> bool {
        if self.data.len() + chunk.len() > MAX_UPLOAD {
            return false;
        }
        self.data.extend_from_slice(chunk);
        true
    }
}

fn upload_token_valid(token: &str, user: &str, expires: u64) -> bool {
    let material = format!("{}:{}:{}", config().signing_secret, user, expires);
    let expected = hex::encode(Sha1::digest(material.as_bytes())); //~ weak-hash
    expected == token
}

fn content_id(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

fn declared_length(req: &Request) -> Option<usize> {
    req.header::<String>("content-length")?.parse().ok()
}

#[handler]
async fn direct_upload(req: &mut Request, res: &mut Response) {
    let user = req.query::<String>("user").unwrap_or_default();
    let expires = req.query::<u64>("expires").unwrap_or(0);
    let token = req.header::<String>("x-upload-token").unwrap_or_default();
    if !upload_token_valid(&token, &user, expires) {
        res.status_code(StatusCode::FORBIDDEN);
        return;
    }
    let mut buffer = match req.query::<String>("mode").as_deref() {
        Some("stream") => UploadBuffer::sized(declared_length(req).unwrap_or(0)),
        _ => UploadBuffer::bounded(declared_length(req).unwrap_or(0)),
    };
    let body = req.payload().await.map(|b| b.to_vec()).unwrap_or_default();
    if !buffer.push(&body) {
        res.status_code(StatusCode::PAYLOAD_TOO_LARGE);
        return;
    }
    let id = content_id(&buffer.data);
    let target = config().media_dir.join(format!("{id}.bin"));
    let _ = tokio::fs::write(target, &buffer.data).await;
    res.render(Text::Plain(id));
}

async fn read_chunk(file: &mut tokio::fs::File, chunk_size: usize) -> std::io::Result<Vec<u8>> {
    let mut chunk = vec![0u8; chunk_size]; //~ unbounded-allocation
    let n = file.read(&mut chunk).await?;
    chunk.truncate(n);
    Ok(chunk)
}

#[handler]
async fn fetch_chunk(req: &mut Request, res: &mut Response) {
    let id = req.param::<String>("id").unwrap_or_default();
    if !id.chars().all(|c| c.is_ascii_hexdigit()) {
        res.status_code(StatusCode::BAD_REQUEST);
        return;
    }
    let chunk_size = req.query::<usize>("chunk").unwrap_or(64 * 1024);
    let path = config().media_dir.join(format!("{id}.bin"));
    match tokio::fs::File::open(path).await {
        Ok(mut f) => match read_chunk(&mut f, chunk_size).await {
            Ok(bytes) => res.write_body(bytes).unwrap_or(()),
            Err(_) => res
                .status_code(StatusCode::INTERNAL_SERVER_ERROR)
                .render(""),
        },
        Err(_) => res.status_code(StatusCode::NOT_FOUND).render(""),
    }
}

async fn store_named(media_dir: &Path, client_name: &str, tmp: &Path) -> std::io::Result<PathBuf> {
    let target = media_dir.join("named").join(client_name);
    tokio::fs::copy(tmp, &target).await?; //~ path-traversal
    Ok(target)
}

async fn store_sanitized(
    media_dir: &Path,
    client_name: &str,
    tmp: &Path,
) -> std::io::Result<PathBuf> {
    let base = Path::new(client_name)
        .file_name()
        .ok_or(std::io::ErrorKind::InvalidInput)?;
    let target = media_dir.join("named").join(base);
    tokio::fs::copy(tmp, &target).await?;
    Ok(target)
}

#[handler]
async fn form_upload(req: &mut Request, res: &mut Response) {
    let keep_name = req.query::<bool>("keep_name").unwrap_or(false);
    let Some(file) = req.file("image").await else {
        res.status_code(StatusCode::BAD_REQUEST);
        return;
    };
    let client_name = file.name().unwrap_or("upload.bin").to_owned();
    let stored = if keep_name {
        store_named(&config().media_dir, &client_name, file.path()).await
    } else {
        store_sanitized(&config().media_dir, &client_name, file.path()).await
    };
    match stored {
        Ok(p) => res.render(Text::Plain(p.display().to_string())),
        Err(_) => res
            .status_code(StatusCode::INTERNAL_SERVER_ERROR)
            .render(""),
    }
}

async fn render_thumbnail(original: &Path, geometry: &str) -> std::io::Result<bool> {
    let out = original.with_extension("thumb.jpg");
    let line = format!(
        "convert {} -resize {} {}",
        original.display(),
        geometry,
        out.display()
    );
    let status = Command::new("sh").arg("-c").arg(line).status().await?; //~ command-injection
    Ok(status.success())
}

async fn render_thumbnail_exact(original: &Path, edge: u32) -> std::io::Result<bool> {
    let out = original.with_extension("thumb.jpg");
    let status = Command::new("convert")
        .arg(original)
        .args(["-resize", &format!("{edge}x{edge}")])
        .arg(out)
        .status()
        .await?;
    Ok(status.success())
}

#[handler]
async fn thumbnail(req: &mut Request, res: &mut Response) {
    let id = req.param::<String>("id").unwrap_or_default();
    if !id.chars().all(|c| c.is_ascii_hexdigit()) {
        res.status_code(StatusCode::BAD_REQUEST);
        return;
    }
    let original = config().media_dir.join(format!("{id}.bin"));
    let ok = match req.query::<String>("size") {
        Some(size) => match size.parse::<u32>() {
            Ok(edge) if edge <= MAX_THUMB_EDGE => render_thumbnail_exact(&original, edge).await,
            _ => render_thumbnail(&original, &size).await,
        },
        None => render_thumbnail_exact(&original, 256).await,
    };
    res.status_code(if matches!(ok, Ok(true)) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    });
}

pub fn router() -> Router {
    Router::with_path("media")
        .push(Router::with_path("upload").post(direct_upload))
        .push(Router::with_path("form").post(form_upload))
        .push(Router::with_path("<id>/chunk").get(fetch_chunk))
        .push(Router::with_path("<id>/thumb").post(thumbnail))
}
