use bytes::Bytes;
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};
use warp::{http::StatusCode, path::Tail, Filter, Rejection, Reply};

const STATIC_ROOT: &str = "/srv/www/static";
const UPLOAD_ROOT: &str = "/srv/www/uploads";

#[derive(Deserialize)]
struct MirrorQuery {
    src: String,
}

fn has_parent_ref(p: &str) -> bool {
    Path::new(p).components().any(|c| matches!(c, Component::ParentDir | Component::RootDir | Component::Prefix(_)))
}

fn static_path(tail: &Tail) -> String {
    format!("{}/{}", STATIC_ROOT, tail.as_str())
}

async fn serve_static(tail: Tail) -> Result<impl Reply, Rejection> {
    match tokio::fs::read(static_path(&tail)).await { //~ path-traversal
        Ok(bytes) => Ok(warp::reply::with_status(bytes, StatusCode::OK)),
        Err(_) => Ok(warp::reply::with_status(Vec::new(), StatusCode::NOT_FOUND)),
    }
}

async fn serve_download(tail: Tail) -> Result<impl Reply, Rejection> {
    let base = tokio::fs::canonicalize(UPLOAD_ROOT).await.map_err(|_| warp::reject::not_found())?;
    let full = tokio::fs::canonicalize(base.join(tail.as_str())).await.map_err(|_| warp::reject::not_found())?;
    if !full.starts_with(&base) {
        return Err(warp::reject::not_found());
    }
    let bytes = tokio::fs::read(&full).await.map_err(|_| warp::reject::not_found())?;
    Ok(warp::reply::with_status(bytes, StatusCode::OK))
}

fn upload_target(filename: Option<String>) -> Option<PathBuf> {
    let name = filename?;
    Some(Path::new(UPLOAD_ROOT).join(name))
}

async fn upload(filename: Option<String>, body: Bytes) -> Result<impl Reply, Rejection> {
    let target = upload_target(filename).ok_or_else(warp::reject::not_found)?;
    tokio::fs::write(&target, &body).await.map_err(|_| warp::reject::not_found())?; //~ path-traversal
    Ok(StatusCode::CREATED)
}

async fn upload_checked(filename: Option<String>, body: Bytes) -> Result<impl Reply, Rejection> {
    let name = filename.filter(|n| !n.is_empty() && !has_parent_ref(n)).ok_or_else(warp::reject::not_found)?;
    let target = Path::new(UPLOAD_ROOT).join(&name);
    tokio::fs::write(&target, &body).await.map_err(|_| warp::reject::not_found())?;
    Ok(StatusCode::CREATED)
}

mod housekeeping {
    use std::path::Path;

    pub fn trash(root: &str, rel: &str) -> std::io::Result<()> {
        let p = Path::new(root).join(rel.trim_start_matches('/'));
        std::fs::remove_file(p) //~ path-traversal
    }

    pub fn trash_flat(root: &str, rel: &str) -> std::io::Result<()> {
        let name = Path::new(rel).file_name().ok_or(std::io::ErrorKind::InvalidInput)?;
        std::fs::remove_file(Path::new(root).join(name))
    }
}

async fn delete(tail: Tail) -> Result<impl Reply, Rejection> {
    let rel = tail.as_str().to_string();
    let res = if rel.ends_with(".tmp") { housekeeping::trash(UPLOAD_ROOT, &rel) } else { housekeeping::trash_flat(UPLOAD_ROOT, &rel) };
    Ok(if res.is_ok() { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND })
}

async fn pull_remote(src: &str) -> Result<Bytes, reqwest::Error> {
    reqwest::get(src).await?.bytes().await //~ ssrf
}

async fn mirror(q: MirrorQuery) -> Result<impl Reply, Rejection> {
    let bytes = pull_remote(&q.src).await.map_err(|_| warp::reject::not_found())?;
    let name = format!("{:x}.bin", md5::compute(&bytes));
    tokio::fs::write(Path::new(UPLOAD_ROOT).join(name), &bytes).await.map_err(|_| warp::reject::not_found())?;
    Ok(StatusCode::ACCEPTED)
}

#[tokio::main]
async fn main() {
    let statics = warp::path("static").and(warp::path::tail()).and_then(serve_static);
    let downloads = warp::path("dl").and(warp::path::tail()).and_then(serve_download);
    let up = warp::path("upload").and(warp::post()).and(warp::header::optional::<String>("x-filename")).and(warp::body::bytes()).and_then(upload);
    let up2 = warp::path("upload2").and(warp::post()).and(warp::header::optional::<String>("x-filename")).and(warp::body::bytes()).and_then(upload_checked);
    let del = warp::path("files").and(warp::delete()).and(warp::path::tail()).and_then(delete);
    let mir = warp::path("mirror").and(warp::query::<MirrorQuery>()).and_then(mirror);
    warp::serve(statics.or(downloads).or(up).or(up2).or(del).or(mir)).run(([0, 0, 0, 0], 8080)).await;
}
