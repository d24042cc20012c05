//! Shared-drive microservice: downloads, deletion, link previews, thumbnails.

use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::process::Command;
use warp::{http::StatusCode, reject, Filter, Rejection, Reply};

#[derive(Debug)]
struct ApiError(StatusCode);
impl reject::Reject for ApiError {}

fn fail(code: StatusCode) -> Rejection {
    reject::custom(ApiError(code))
}

fn not_found<E>(_: E) -> Rejection {
    fail(StatusCode::NOT_FOUND)
}

fn bad_gateway<E>(_: E) -> Rejection {
    fail(StatusCode::BAD_GATEWAY)
}

pub struct Drive {
    root: PathBuf,
    thumbs: PathBuf,
    http: reqwest::Client,
    avatar_hosts: HashSet<&'static str>,
}

#[derive(Deserialize)]
struct FileQuery {
    path: String,
}

#[derive(Deserialize)]
struct PreviewQuery {
    url: String,
}

#[derive(Deserialize)]
struct AvatarQuery {
    host: String,
    user: u64,
}

#[derive(Deserialize)]
struct ThumbQuery {
    path: String,
    size: String,
}

impl Drive {
    fn resolve(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }

    fn contained(&self, rel: &str) -> Result<PathBuf, Rejection> {
        let root = self.root.canonicalize().map_err(not_found)?;
        let full = root.join(rel).canonicalize().map_err(not_found)?;
        if !full.starts_with(&root) {
            return Err(fail(StatusCode::FORBIDDEN));
        }
        Ok(full)
    }
}

async fn download(drive: Arc<Drive>, q: FileQuery) -> Result<impl Reply, Rejection> {
    let path = drive.resolve(&q.path);
    let body = tokio::fs::read(&path).await.map_err(not_found)?; //~ path-traversal
    Ok(warp::reply::with_header(
        body,
        "content-type",
        "application/octet-stream",
    ))
}

async fn delete(drive: Arc<Drive>, q: FileQuery) -> Result<impl Reply, Rejection> {
    let path = drive.contained(&q.path)?;
    tokio::fs::remove_file(&path).await.map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn purge_trash(drive: Arc<Drive>, q: FileQuery) -> Result<impl Reply, Rejection> {
    let victim = Path::new(&drive.root).join(".trash").join(&q.path);
    tokio::fs::remove_file(victim).await.map_err(not_found)?; //~ path-traversal
    Ok(StatusCode::NO_CONTENT)
}

async fn fetch_title(http: &reqwest::Client, target: &str) -> Option<String> {
    let html = http.get(target).send().await.ok()?.text().await.ok()?; //~ ssrf
    let start = html.find("<title>")? + "<title>".len();
    let end = html[start..].find("</title>")? + start;
    Some(html[start..end].trim().to_string())
}

async fn preview(drive: Arc<Drive>, q: PreviewQuery) -> Result<impl Reply, Rejection> {
    let title = fetch_title(&drive.http, &q.url).await.unwrap_or_default();
    let body = serde_json::json!({ "url": q.url, "title": title });
    Ok(warp::reply::json(&body))
}

async fn avatar(drive: Arc<Drive>, q: AvatarQuery) -> Result<impl Reply, Rejection> {
    if !drive.avatar_hosts.contains(q.host.as_str()) {
        return Err(fail(StatusCode::BAD_REQUEST));
    }
    let url = format!("https://{}/avatars/{}.png", q.host, q.user);
    let resp = drive.http.get(&url).send().await.map_err(bad_gateway)?;
    let bytes = resp.bytes().await.map_err(bad_gateway)?;
    Ok(warp::reply::with_header(
        bytes.to_vec(),
        "content-type",
        "image/png",
    ))
}

/// Windows build agents render thumbnails through ImageMagick's `magick`.
async fn render_thumb_windows(src: &Path, dst: &Path, size: &str) -> std::io::Result<bool> {
    let line = format!(
        "magick \"{}\" -resize {size} \"{}\"",
        src.display(),
        dst.display()
    );
    let status = Command::new("cmd").args(["/C", &line]).status().await?; //~ command-injection
    Ok(status.success())
}

async fn render_thumb(src: &Path, dst: &Path, px: u32) -> std::io::Result<bool> {
    let geometry = format!("{px}x{px}");
    let mut magick = Command::new("magick");
    magick.arg(src).arg("-resize").arg(&geometry).arg(dst);
    Ok(magick.status().await?.success())
}

async fn thumbnail(drive: Arc<Drive>, q: ThumbQuery) -> Result<impl Reply, Rejection> {
    let src = drive.contained(&q.path)?;
    let cache_key = md5::compute(q.path.as_bytes());
    let dst = drive.thumbs.join(format!("{cache_key:x}.png"));
    let ok = if cfg!(windows) {
        render_thumb_windows(&src, &dst, &q.size).await
    } else {
        let px: u32 = q.size.parse().map_err(|_| fail(StatusCode::BAD_REQUEST))?;
        render_thumb(&src, &dst, px.min(1024)).await
    };
    match ok {
        Ok(true) => Ok(StatusCode::CREATED),
        _ => Err(fail(StatusCode::INTERNAL_SERVER_ERROR)),
    }
}

pub fn routes(
    drive: Arc<Drive>,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let d = warp::any().map(move || drive.clone());
    let get_file = warp::get().and(warp::path("files")).and(d.clone());
    let del_file = warp::delete().and(warp::path("files")).and(d.clone());
    let trash = warp::delete().and(warp::path("trash")).and(d.clone());
    let prev = warp::path("preview").and(d.clone()).and(warp::query());
    let av = warp::path("avatar").and(d.clone()).and(warp::query());
    let th = warp::post().and(warp::path("thumbnail")).and(d);
    get_file
        .and(warp::query())
        .and_then(download)
        .or(del_file.and(warp::query()).and_then(delete))
        .or(trash.and(warp::query()).and_then(purge_trash))
        .or(prev.and_then(preview))
        .or(av.and_then(avatar))
        .or(th.and(warp::query()).and_then(thumbnail))
}
