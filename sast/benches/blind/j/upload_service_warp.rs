//! Image upload service (warp): uploads, thumbnails, downloads, deletion.

use bytes::{BufMut, BytesMut};
use futures_util::TryStreamExt;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use warp::http::{HeaderMap, StatusCode};
use warp::multipart::FormData;
use warp::{Filter, Rejection, Reply};

const UPLOAD_ROOT: &str = "/srv/uploads";
const MAX_UPLOAD: u64 = 20 * 1024 * 1024;

#[derive(Deserialize)]
struct NameQuery {
    name: String,
}

fn declared_size(headers: &HeaderMap) -> Option<usize> {
    headers.get("x-upload-size")?.to_str().ok()?.parse().ok()
}

fn staging_buffer(size: usize) -> BytesMut {
    BytesMut::with_capacity(size) //~ unbounded-allocation
}

fn upload_session_cookie(sid: &str) -> String {
    format!("up_sid={}; Path=/; HttpOnly; SameSite=Strict", sid) //~ insecure-cookie
}

fn download_session_cookie(sid: &str) -> String {
    format!("dl_sid={}; Path=/; Secure; HttpOnly; SameSite=Strict", sid)
}

async fn save_upload(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    let target = dir.join(name);
    tokio::fs::write(&target, data).await?; //~ path-traversal
    Ok(target)
}

fn make_thumbnail(source: &Path) -> std::io::Result<bool> {
    let src = source.display();
    let script = format!("convert '{src}' -resize 256x256 '{src}.thumb.png'");
    let status = Command::new("sh").arg("-c").arg(script).status()?; //~ command-injection
    Ok(status.success())
}

fn make_preview(source: &Path) -> std::io::Result<bool> {
    let out = source.with_extension("preview.webp");
    let status = Command::new("convert")
        .arg(source)
        .args(["-resize", "1024x1024"])
        .arg(out)
        .status()?;
    Ok(status.success())
}

fn etag_for(data: &[u8]) -> String {
    format!("\"{:x}\"", md5::compute(data))
}

async fn handle_upload(headers: HeaderMap, form: FormData) -> Result<impl Reply, Rejection> {
    let claimed = headers
        .get("x-content-sha1")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut buf = staging_buffer(declared_size(&headers).unwrap_or(0));
    let mut filename = String::from("upload.bin");
    let mut parts = form;
    while let Some(part) = parts.try_next().await.map_err(|_| warp::reject())? {
        if let Some(f) = part.filename() {
            filename = f.to_owned();
        }
        let mut stream = part.stream();
        while let Some(chunk) = stream.try_next().await.map_err(|_| warp::reject())? {
            buf.put(chunk);
        }
    }
    let digest = sha1_smol::Sha1::from(&buf[..]).hexdigest(); //~ weak-hash
    if !claimed.is_empty() && digest != claimed {
        return Ok(
            warp::reply::with_status("integrity check failed", StatusCode::BAD_REQUEST)
                .into_response(),
        );
    }
    let saved = save_upload(Path::new(UPLOAD_ROOT), &filename, &buf)
        .await
        .map_err(|_| warp::reject())?;
    let _ = make_thumbnail(&saved);
    let _ = make_preview(&saved);
    let sid = uuid::Uuid::new_v4().to_string();
    let reply = warp::reply::with_header(etag_for(&buf), "set-cookie", upload_session_cookie(&sid));
    Ok(reply.into_response())
}

async fn handle_download(q: NameQuery) -> Result<impl Reply, Rejection> {
    let root = Path::new(UPLOAD_ROOT)
        .canonicalize()
        .map_err(|_| warp::reject())?;
    let full = root
        .join(&q.name)
        .canonicalize()
        .map_err(|_| warp::reject::not_found())?;
    if !full.starts_with(&root) {
        return Err(warp::reject::not_found());
    }
    let data = tokio::fs::read(&full)
        .await
        .map_err(|_| warp::reject::not_found())?;
    let sid = uuid::Uuid::new_v4().to_string();
    let etag = etag_for(&data);
    let reply = warp::reply::with_header(data, "etag", etag);
    Ok(warp::reply::with_header(
        reply,
        "set-cookie",
        download_session_cookie(&sid),
    ))
}

async fn handle_delete(q: NameQuery) -> Result<impl Reply, Rejection> {
    let path = format!("{}/{}", UPLOAD_ROOT, q.name);
    let removed = tokio::fs::remove_file(&path).await; //~ path-traversal
    Ok(match removed {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::NOT_FOUND,
    })
}

#[tokio::main]
async fn main() {
    let upload = warp::post()
        .and(warp::path("upload"))
        .and(warp::header::headers_cloned())
        .and(warp::multipart::form().max_length(MAX_UPLOAD))
        .and_then(handle_upload);
    let download = warp::get()
        .and(warp::path("file"))
        .and(warp::query::<NameQuery>())
        .and_then(handle_download);
    let remove = warp::delete()
        .and(warp::path("file"))
        .and(warp::query::<NameQuery>())
        .and_then(handle_delete);
    warp::serve(upload.or(download).or(remove))
        .run(([0, 0, 0, 0], 8090))
        .await;
}
