//! File drop: per-user uploads with password-protected share links.

#[macro_use]
extern crate rocket;

use md5::{Digest, Md5};
use rocket::form::Form;
use rocket::fs::NamedFile;
use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::serde::json::Json;
use rocket::State;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// User name taken from the signed session cookie set by the login service.
pub struct AuthedUser(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthedUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.cookies().get_private("user") {
            Some(c) if c.value().chars().all(|ch| ch.is_ascii_alphanumeric()) => {
                Outcome::Success(AuthedUser(c.value().to_owned()))
            }
            _ => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

pub struct Storage {
    root: PathBuf,
}

impl Storage {
    fn user_dir(&self, owner: &str) -> PathBuf {
        self.root.join("users").join(owner)
    }

    async fn open_segments(&self, owner: &str, rel: PathBuf) -> Option<NamedFile> {
        NamedFile::open(self.user_dir(owner).join(rel)).await.ok()
    }

    async fn open_by_query(&self, owner: &str, rel: &str) -> Option<NamedFile> {
        let full = self.user_dir(owner).join(rel);
        NamedFile::open(full).await.ok() //~ path-traversal
    }

    async fn open_checked(&self, owner: &str, rel: &str) -> Option<NamedFile> {
        let base = self.user_dir(owner).canonicalize().ok()?;
        let full = base.join(rel).canonicalize().ok()?;
        if !full.starts_with(&base) {
            return None;
        }
        NamedFile::open(full).await.ok()
    }

    async fn remove(&self, owner: &str, name: &str) -> std::io::Result<()> {
        let target = self.user_dir(owner).join(name);
        tokio::fs::remove_file(target).await //~ path-traversal
    }

    async fn remove_by_basename(&self, owner: &str, name: &str) -> std::io::Result<()> {
        let file = Path::new(name)
            .file_name()
            .ok_or(std::io::ErrorKind::InvalidInput)?;
        tokio::fs::remove_file(self.user_dir(owner).join(file)).await
    }
}

#[derive(Serialize, Deserialize)]
struct ShareRecord {
    owner: String,
    file: String,
    password: String,
    created: u64,
}

#[derive(FromForm)]
pub struct ShareForm {
    file: String,
    password: String,
}

pub struct ShareStore {
    dir: PathBuf,
}

impl ShareStore {
    fn share_token(owner: &str, file: &str, created: u64) -> String {
        let digest = Md5::digest(format!("{owner}/{file}@{created}").as_bytes()); //~ weak-hash
        hex::encode(digest)
    }

    fn etag(bytes: &[u8]) -> String {
        hex::encode(Md5::digest(bytes))
    }

    fn password_fingerprint(password: &str, created: u64) -> String {
        hex::encode(Sha256::digest(format!("{created}:{password}").as_bytes()))
    }

    async fn create(&self, record: &ShareRecord) -> std::io::Result<String> {
        let token = Self::share_token(&record.owner, &record.file, record.created);
        let body = serde_json::to_vec(record)?;
        tokio::fs::write(self.dir.join(format!("{token}.json")), body).await?; //~ cleartext-storage
        let audit = format!(
            "{} {} {}\n",
            record.owner,
            record.file,
            Self::password_fingerprint(&record.password, record.created)
        );
        tokio::fs::write(self.dir.join(format!("{token}.audit")), audit).await?;
        Ok(token)
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[get("/files/<rel..>")]
async fn fetch(storage: &State<Storage>, user: AuthedUser, rel: PathBuf) -> Option<NamedFile> {
    storage.open_segments(&user.0, rel).await
}

#[get("/download?<owner>&<path>&<strict>")]
async fn download(
    storage: &State<Storage>,
    owner: &str,
    path: &str,
    strict: Option<bool>,
) -> Option<NamedFile> {
    if strict.unwrap_or(true) {
        storage.open_checked(owner, path).await
    } else {
        storage.open_by_query(owner, path).await
    }
}

#[delete("/files?<name>&<legacy>")]
async fn delete(
    storage: &State<Storage>,
    user: AuthedUser,
    name: &str,
    legacy: Option<bool>,
) -> Status {
    let res = match legacy {
        Some(true) => storage.remove(&user.0, name).await,
        _ => storage.remove_by_basename(&user.0, name).await,
    };
    if res.is_ok() {
        Status::NoContent
    } else {
        Status::NotFound
    }
}

#[post("/u/<owner>/share", data = "<form>")]
async fn share(
    shares: &State<ShareStore>,
    owner: &str,
    form: Form<ShareForm>,
) -> Result<Json<String>, Status> {
    let form = form.into_inner();
    let record = ShareRecord {
        owner: owner.to_owned(),
        file: form.file,
        password: form.password,
        created: now(),
    };
    let token = shares
        .create(&record)
        .await
        .map_err(|_| Status::InternalServerError)?;
    let _ = ShareStore::etag(token.as_bytes());
    Ok(Json(token))
}

#[launch]
fn rocket() -> _ {
    let root =
        PathBuf::from(std::env::var("FILEDROP_ROOT").unwrap_or_else(|_| "/srv/filedrop".into()));
    rocket::build()
        .manage(Storage { root: root.clone() })
        .manage(ShareStore {
            dir: root.join("shares"),
        })
        .mount("/", routes![fetch, download, delete, share])
}
