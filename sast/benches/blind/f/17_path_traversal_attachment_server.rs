// Attachment service for the ticketing system (actix-web): downloads, uploads,
// deletions and thumbnail generation for files stored under the attachment root.
use actix_files::NamedFile;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

const ATTACHMENT_ROOT: &str = "/srv/tickets/attachments";
const THUMB_ROOT: &str = "/srv/tickets/thumbs";

pub struct Storage {
    root: PathBuf,
}

#[derive(Deserialize)]
pub struct DeleteQuery {
    pub file: String,
}

impl Storage {
    pub fn new(root: &str) -> Self {
        Storage {
            root: PathBuf::from(root),
        }
    }

    fn resolve_checked(&self, rel: &str) -> io::Result<PathBuf> {
        let root = self.root.canonicalize()?;
        let candidate = root.join(rel).canonicalize()?;
        if !candidate.starts_with(&root) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "outside root",
            ));
        }
        Ok(candidate)
    }

    pub fn remove(&self, rel: &str) -> io::Result<()> {
        let target = self.root.join(rel);
        std::fs::remove_file(target) //~ path-traversal
    }

    pub fn remove_checked(&self, rel: &str) -> io::Result<()> {
        let target = self.resolve_checked(rel)?;
        std::fs::remove_file(target)
    }
}

fn sanitized_name(raw: &str) -> Option<String> {
    let name = Path::new(raw).file_name()?.to_str()?;
    if name.starts_with('.') || name.len() > 128 {
        return None;
    }
    Some(name.to_string())
}

#[get("/tickets/{id}/files/{name:.*}")]
async fn download(path: web::Path<(u64, String)>) -> actix_web::Result<NamedFile> {
    let (ticket, name) = path.into_inner();
    let full = Path::new(ATTACHMENT_ROOT)
        .join(ticket.to_string())
        .join(&name);
    Ok(NamedFile::open(full)?) //~ path-traversal
}

#[get("/v2/tickets/{id}/files/{name}")]
async fn download_v2(
    path: web::Path<(u64, String)>,
    storage: web::Data<Storage>,
) -> actix_web::Result<NamedFile> {
    let (ticket, name) = path.into_inner();
    let full = storage.resolve_checked(&format!("{ticket}/{name}"))?;
    Ok(NamedFile::open(full)?)
}

#[post("/tickets/{id}/files")]
async fn upload(req: HttpRequest, id: web::Path<u64>, body: web::Bytes) -> HttpResponse {
    let Some(raw) = req
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
    else {
        return HttpResponse::BadRequest().finish();
    };
    let dir = Path::new(ATTACHMENT_ROOT).join(id.to_string());
    let dest = dir.join(raw);
    let written = tokio::fs::write(&dest, &body).await; //~ path-traversal
    match written {
        Ok(()) => HttpResponse::Created().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[post("/v2/tickets/{id}/files")]
async fn upload_v2(req: HttpRequest, id: web::Path<u64>, body: web::Bytes) -> HttpResponse {
    let raw = req
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok());
    let Some(name) = raw.and_then(sanitized_name) else {
        return HttpResponse::BadRequest().finish();
    };
    let dest = Path::new(ATTACHMENT_ROOT).join(id.to_string()).join(name);
    match tokio::fs::write(&dest, &body).await {
        Ok(()) => HttpResponse::Created().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[delete("/attachments")]
async fn remove(q: web::Query<DeleteQuery>, storage: web::Data<Storage>) -> HttpResponse {
    let result = if q.file.ends_with(".tmp") {
        storage.remove(&q.file)
    } else {
        storage.remove_checked(&q.file)
    };
    match result {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

fn make_thumbnail(src: &str, dst: &str) -> io::Result<bool> {
    let cmd = format!("convert '{}' -thumbnail 160x160 '{}'", src, dst);
    Ok(Command::new("sh").arg("-c").arg(cmd).status()?.success()) //~ command-injection
}

fn make_thumbnail_safe(src: &Path, dst: &Path) -> io::Result<bool> {
    let status = Command::new("convert")
        .arg(src)
        .args(["-thumbnail", "160x160"])
        .arg(dst)
        .status()?;
    Ok(status.success())
}

#[post("/tickets/{id}/files/{name}/thumbnail")]
async fn thumbnail(path: web::Path<(u64, String)>, storage: web::Data<Storage>) -> HttpResponse {
    let (ticket, name) = path.into_inner();
    let thumb = Path::new(THUMB_ROOT).join(format!("{ticket}.png"));
    let ok = if name.ends_with(".pdf") {
        let first_page = format!("{ATTACHMENT_ROOT}/{ticket}/{name}[0]");
        make_thumbnail(&first_page, &thumb.display().to_string())
    } else {
        match storage.resolve_checked(&format!("{ticket}/{name}")) {
            Ok(src) => make_thumbnail_safe(&src, &thumb),
            Err(_) => return HttpResponse::NotFound().finish(),
        }
    };
    match ok {
        Ok(true) => HttpResponse::Ok().finish(),
        _ => HttpResponse::UnprocessableEntity().finish(),
    }
}
