// Request data reaching sinks through a struct's client field and a warp
// filter's named handler. A function of the crate's own that returns the
// value only when every path component is a plain name (`checked`) is a
// validation; so is an allow-list of hosts compared with the URL's host
// (`allowed`: the URL is returned only when the comparison holds), though
// the list is a field of `self`, which is not checked.
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

pub async fn neg_own_allow_list(State(hub): State<Hub>, Query(q): Query<Params>) {
    if let Some(u) = hub.allowed(&q.link) {
        let _ = hub.http.get(u).send().await;
    }
}

// A dead struct declaring the field with another type hides nothing.
#[allow(dead_code)]
struct Decoy {
    http: String,
    db: Client,
}

pub struct Store {
    db: sqlx::PgPool,
}

pub async fn pos_field_named_like_a_client_elsewhere(State(st): State<Store>, Query(q): Query<Params>) {
    let sql = format!("SELECT * FROM users WHERE name = '{}'", q.link);
    let _ = st.db.execute(sql.as_str()).await; //~ sql-injection
}

pub async fn neg_value_in_query_string(State(hub): State<Hub>, Query(q): Query<Params>) {
    let u = Url::parse_with_params("https://oembed.example.com/api", &[("url", q.link.as_str())])
        .unwrap();
    let _ = hub.http.get(u).send().await;
}

pub struct Shared {
    http: std::sync::Arc<Client>,
    spare: Option<Client>,
    cache: std::sync::Arc<HashMap<String, String>>,
}

pub async fn pos_field_client_in_arc(State(s): State<Shared>, Query(q): Query<Params>) {
    let _ = s.http.get(&q.link).send().await; //~ ssrf
}

pub async fn pos_field_client_in_option(State(s): State<Shared>, Query(q): Query<Params>) {
    let _ = s.spare.as_ref().unwrap().get(&q.link).send().await; //~ ssrf
}

pub async fn neg_field_map_in_arc(State(s): State<Shared>, Query(q): Query<Params>) {
    let _ = s.cache.get(&q.link);
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

// The configured base directory, handed in with `warp::any().map(..)`.
async fn browse(base: String, name: String) -> Result<impl warp::Reply, warp::Rejection> {
    let _ = std::fs::read_dir(Path::new(&base));
    let _ = std::fs::read(Path::new(&base).join(name)); //~ path-traversal
    Ok(warp::reply())
}

#[derive(serde::Deserialize)]
pub struct Search {
    pub q: String,
}

async fn search(s: Search, _n: u8, lang: Option<String>) -> Result<impl warp::Reply, warp::Rejection> {
    let _ = std::process::Command::new("sh").arg("-c").arg(&s.q).status(); //~ command-injection
    let _ = std::fs::read(Path::new(ROOT).join(lang.unwrap_or_default())); //~ path-traversal
    Ok(warp::reply())
}

async fn run_job(id: u32, script: String, body: Bytes) -> Result<impl warp::Reply, warp::Rejection> {
    let _ = std::process::Command::new("sh").arg("-c").arg(&script).status();
    let _ = std::fs::write(Path::new(ROOT).join(id.to_string()), &body);
    let _ = std::fs::write(String::from_utf8_lossy(&body).as_ref(), b"x"); //~ path-traversal
    Ok(warp::reply())
}

// The base directory handed in by a filter bound to a variable
// (`let with_base = warp::any().map(..)`), then the request's header.
async fn browse_bound(base: String, name: String) -> Result<impl warp::Reply, warp::Rejection> {
    let _ = std::fs::read_dir(Path::new(&base));
    let _ = std::fs::read(Path::new(&base).join(name)); //~ path-traversal
    Ok(warp::reply())
}

fn with_script(script: String) -> impl Filter<Extract = (String,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || script.clone())
}

pub struct Settings {
    client: HashMap<String, String>,
}

pub fn neg_field_of_a_known_struct(s: &Settings, key: String) -> Option<&String> {
    s.client.get(key.as_str())
}

// Same names as handlers given by path (`api::fetch`), not these.
pub struct Files {
    dir: PathBuf,
}

impl Files {
    pub fn fetch(&self, key: String) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.dir.join(key))
    }
}

pub fn fetch(cfg: String) -> std::io::Result<String> {
    std::fs::read_to_string(cfg)
}

mod api {
    pub async fn fetch(_name: String) -> Result<String, warp::Rejection> {
        Ok(String::new())
    }
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
    let base = String::from("/srv/browse");
    let f = warp::get()
        .and(warp::any().map(move || base.clone()))
        .and(warp::header::<String>("x-name"))
        .and_then(browse);
    let g = warp::get()
        .and(warp::header::<String>("x-name"))
        .and_then(api::fetch);
    let h = warp::get()
        .and(warp::query::<Search>())
        .and(warp::any().map(|| 7u8))
        .and(warp::header::optional::<String>("accept-language"))
        .and_then(search);
    let i = warp::path!("run" / std::primitive::u32)
        .and(with_script(String::from("make")))
        .and(warp::body::bytes())
        .and_then(run_job);
    let with_base = warp::any().map(|| String::from("/srv/browse"));
    let j = warp::get()
        .and(with_base.clone())
        .and(warp::header::<String>("x-name"))
        .and_then(browse_bound);
    a.or(b).or(c).or(d).or(e).or(f).or(g).or(h).or(i).or(j)
}
