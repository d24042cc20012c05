// Scenario: a warp-based artifact upload service. Clients send the artifact
// name in the `x-artifact-name` header and the body as raw bytes.
use bytes::Bytes;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use warp::{http::StatusCode, Filter, Rejection, Reply};

const UPLOAD_DIR: &str = "/var/lib/artifacts";

fn sanitize(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    let clean = p
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    if clean && !name.is_empty() {
        Some(Path::new(UPLOAD_DIR).join(p))
    } else {
        None
    }
}

fn staging_path(name: &str) -> PathBuf {
    let mut p = PathBuf::from(UPLOAD_DIR);
    p.push("staging");
    p.push(name);
    p
}

async fn upload(name: String, body: Bytes) -> Result<impl Reply, Rejection> {
    let dest = match sanitize(&name) {
        Some(d) => d,
        None => return Ok(StatusCode::BAD_REQUEST),
    };
    match fs::write(&dest, &body) {
        Ok(()) => Ok(StatusCode::CREATED),
        Err(_) => Ok(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

async fn stage(name: String, body: Bytes) -> Result<impl Reply, Rejection> {
    let dest = staging_path(&name);
    let res = File::create(&dest).and_then(|mut f| f.write_all(&body)); //~ path-traversal
    Ok(if res.is_ok() { StatusCode::CREATED } else { StatusCode::INTERNAL_SERVER_ERROR })
}

async fn discard(name: String) -> Result<impl Reply, Rejection> {
    let dest = Path::new(UPLOAD_DIR).join(&name);
    let removed = fs::remove_file(dest).is_ok(); //~ path-traversal
    Ok(if removed { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND })
}

async fn fetch(name: String) -> Result<impl Reply, Rejection> {
    let id: u64 = name.parse().map_err(|_| warp::reject::not_found())?;
    let dest = Path::new(UPLOAD_DIR).join(format!("{}.bin", id));
    let data = fs::read(dest).map_err(|_| warp::reject::not_found())?;
    Ok(warp::reply::with_status(data, StatusCode::OK))
}

pub fn routes() -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let up = warp::post()
        .and(warp::path("upload"))
        .and(warp::header::<String>("x-artifact-name"))
        .and(warp::body::bytes())
        .and_then(upload);
    let st = warp::post()
        .and(warp::path("stage"))
        .and(warp::header::<String>("x-artifact-name"))
        .and(warp::body::bytes())
        .and_then(stage);
    let rm = warp::delete()
        .and(warp::path("artifacts"))
        .and(warp::header::<String>("x-artifact-name"))
        .and_then(discard);
    let get = warp::get()
        .and(warp::path!("artifacts" / String))
        .and_then(fetch);
    up.or(st).or(rm).or(get)
}
