// Request data reaching sinks through a struct's client field, a warp
// filter's named handler, and the validating functions that stop it.
use axum::extract::{Query, State};
use bytes::Bytes;
use reqwest::Client;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use url::Url;
use warp::Filter;

pub struct Params {
    pub link: String,
}

pub struct Hub {
    http: Client,
    allowed_hosts: Vec<String>,
}

impl Hub {
    async fn notify(&self, target: &str) {
        let _ = self.http.post(target).send().await; //~ ssrf
    }

    fn allowed(&self, raw: &str) -> Option<Url> {
        let u = Url::parse(raw).ok()?;
        let host = u.host_str()?.to_string();
        self.allowed_hosts.iter().any(|h| *h == host).then_some(u)
    }

    // Checks the scheme, not the host: not a validation.
    fn https_only(&self, raw: &str) -> Option<Url> {
        let u = Url::parse(raw).ok()?;
        (u.scheme() == "https").then_some(u)
    }
}

pub async fn pos_field_client(State(hub): State<Hub>, Query(q): Query<Params>) {
    let _ = hub.http.get(&q.link).send().await; //~ ssrf
}

pub async fn pos_field_client_through_method(State(hub): State<Hub>, Query(q): Query<Params>) {
    hub.notify(&q.link).await;
}

pub async fn pos_scheme_check_is_not_allow_list(State(hub): State<Hub>, Query(q): Query<Params>) {
    if let Some(u) = hub.https_only(&q.link) {
        let _ = hub.http.get(u).send().await; //~ ssrf
    }
}

pub async fn neg_allow_listed_host(State(hub): State<Hub>, Query(q): Query<Params>) {
    if let Some(u) = hub.allowed(&q.link) {
        let _ = hub.http.get(u).send().await;
    }
}

pub async fn neg_value_in_query_string(State(hub): State<Hub>, Query(q): Query<Params>) {
    let u = Url::parse_with_params("https://oembed.example.com/api", &[("url", q.link.as_str())])
        .unwrap();
    let _ = hub.http.get(u).send().await;
}

pub async fn neg_field_of_another_type(State(hub): State<Hub>, Query(q): Query<Params>) {
    let _ = hub.allowed_hosts.get(q.link.len());
}

const ROOT: &str = "/srv/files";

fn checked(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.components().all(|c| matches!(c, Component::Normal(_))) {
        Some(Path::new(ROOT).join(p))
    } else {
        None
    }
}

// Joins without looking at the components: not a validation.
fn joined(name: &str) -> Option<PathBuf> {
    if name.is_empty() {
        return None;
    }
    Some(Path::new(ROOT).join(name))
}

async fn put(name: String, body: Bytes) -> Result<impl warp::Reply, warp::Rejection> {
    let dest = Path::new(ROOT).join(&name);
    std::fs::write(&dest, &body).ok(); //~ path-traversal
    Ok(warp::reply())
}

async fn put_checked(name: String, body: Bytes) -> Result<impl warp::Reply, warp::Rejection> {
    if let Some(dest) = checked(&name) {
        std::fs::write(&dest, &body).ok();
    }
    Ok(warp::reply())
}

async fn put_joined(name: String, body: Bytes) -> Result<impl warp::Reply, warp::Rejection> {
    if let Some(dest) = joined(&name) {
        std::fs::write(&dest, &body).ok(); //~ path-traversal
    }
    Ok(warp::reply())
}

async fn lookup(q: HashMap<String, String>) -> Result<impl warp::Reply, warp::Rejection> {
    let name = q.get("file").cloned().unwrap_or_default();
    let _ = std::fs::read(Path::new(ROOT).join(name)); //~ path-traversal
    Ok(warp::reply())
}

// Handed the application's own value with `.and(with_root(..))`, not
// request data.
async fn list(root: std::sync::Arc<PathBuf>) -> Result<impl warp::Reply, warp::Rejection> {
    let _ = std::fs::read_dir(&*root);
    Ok(warp::reply())
}

// Not given to any filter: its parameter is the caller's.
pub fn neg_not_a_handler(name: String) {
    let _ = std::fs::read(Path::new(ROOT).join(name));
}

pub fn routes(
    root: std::sync::Arc<PathBuf>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let with_root = warp::any().map(move || root.clone());
    let a = warp::post()
        .and(warp::header::<String>("x-name"))
        .and(warp::body::bytes())
        .and_then(put);
    let b = warp::post()
        .and(warp::header::<String>("x-name"))
        .and(warp::body::bytes())
        .and_then(put_checked);
    let c = warp::post()
        .and(warp::header::<String>("x-name"))
        .and(warp::body::bytes())
        .and_then(put_joined);
    let d = warp::get()
        .and(warp::query::<HashMap<String, String>>())
        .and_then(lookup);
    let e = warp::get().and(with_root).and_then(list);
    a.or(b).or(c).or(d).or(e)
}
