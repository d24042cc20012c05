use actix_web::{delete, get, post, web, HttpRequest, HttpResponse, Responder};
use serde::Deserialize;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitStatus};
use tokio::fs;

pub struct ReportStore {
    root: PathBuf,
}

impl ReportStore {
    pub fn new(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into().canonicalize()?;
        Ok(Self { root })
    }

    fn resolve_checked(&self, name: &str) -> Option<PathBuf> {
        let canon = self.root.join(name).canonicalize().ok()?;
        if canon.starts_with(&self.root) {
            Some(canon)
        } else {
            None
        }
    }

    fn tenant_dir(&self, tenant: &str) -> PathBuf {
        self.root.join("archive").join(tenant)
    }

    pub async fn read_report(&self, name: &str) -> io::Result<Vec<u8>> {
        match self.resolve_checked(name) {
            Some(p) => fs::read(p).await,
            None => Err(io::Error::new(io::ErrorKind::PermissionDenied, "outside report root")),
        }
    }

    pub async fn read_archived(&self, tenant: &str, name: &str) -> io::Result<Vec<u8>> {
        let path = self.tenant_dir(tenant).join(name);
        fs::read(&path).await //~ path-traversal
    }

    pub async fn delete_draft(&self, name: &str) -> io::Result<()> {
        let target = self.root.join("drafts").join(name);
        fs::remove_file(target).await //~ path-traversal
    }

    pub async fn delete_published(&self, name: &str) -> io::Result<()> {
        let plain = Path::new(name).components().all(|c| matches!(c, Component::Normal(_)));
        if !plain {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad name"));
        }
        fs::remove_file(self.root.join("published").join(name)).await
    }
}

pub struct PdfRenderer {
    binary: String,
    dpi: u32,
    engines: Vec<&'static str>,
}

impl PdfRenderer {
    pub fn from_env() -> Self {
        Self {
            binary: std::env::var("PDF_BINARY").unwrap_or_else(|_| "/usr/bin/wkhtmltopdf".into()),
            dpi: 150,
            engines: vec!["wkhtmltopdf", "weasyprint", "chromium-headless"],
        }
    }

    fn render(&self, source: &Path, out: &Path) -> io::Result<ExitStatus> {
        Command::new(&self.binary).arg("--dpi").arg(self.dpi.to_string()).arg(source).arg(out).status()
    }

    fn render_titled(&self, title: &str, source: &Path, out: &Path) -> io::Result<ExitStatus> {
        let script = format!("{} --title '{}' {} {}", self.binary, title, source.display(), out.display());
        Command::new("sh").arg("-c").arg(&script).status() //~ command-injection
    }

    fn render_with(&self, engine: &str, source: &Path, out: &Path) -> io::Result<ExitStatus> {
        Command::new(engine).arg(source).arg(out).status() //~ command-injection
    }

    fn render_with_known(&self, engine: &str, source: &Path, out: &Path) -> io::Result<ExitStatus> {
        let Some(bin) = self.engines.iter().find(|e| **e == engine) else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "unknown engine"));
        };
        Command::new(bin).arg(source).arg(out).status()
    }
}

#[derive(Deserialize)]
struct RenderRequest {
    report: String,
    title: Option<String>,
    engine: Option<String>,
    strict: Option<bool>,
}

#[get("/reports/{name}")]
async fn get_report(store: web::Data<ReportStore>, name: web::Path<String>) -> impl Responder {
    match store.read_report(&name).await {
        Ok(bytes) => HttpResponse::Ok().content_type("application/pdf").body(bytes),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[get("/archive/{tenant}/{name}")]
async fn get_archived(store: web::Data<ReportStore>, path: web::Path<(String, String)>) -> impl Responder {
    let (tenant, name) = path.into_inner();
    store
        .read_archived(&tenant, &name)
        .await
        .map(|b| HttpResponse::Ok().body(b))
        .unwrap_or_else(|_| HttpResponse::NotFound().finish())
}

#[delete("/drafts")]
async fn remove_draft(store: web::Data<ReportStore>, req: HttpRequest) -> impl Responder {
    let name = req.headers().get("X-Draft-Name").and_then(|h| h.to_str().ok()).unwrap_or_default().to_string();
    match store.delete_draft(&name).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => HttpResponse::BadRequest().body(e.to_string()),
    }
}

#[post("/render")]
async fn render(store: web::Data<ReportStore>, pdf: web::Data<PdfRenderer>, body: web::Json<RenderRequest>) -> impl Responder {
    let Some(source) = store.resolve_checked(&body.report) else {
        return HttpResponse::NotFound().finish();
    };
    let out = std::env::temp_dir().join(format!("{}.pdf", uuid::Uuid::new_v4()));
    let status = match (&body.title, &body.engine) {
        (Some(title), _) => pdf.render_titled(title, &source, &out),
        (None, Some(engine)) if body.strict.unwrap_or(false) => pdf.render_with_known(engine, &source, &out),
        (None, Some(engine)) => pdf.render_with(engine, &source, &out),
        (None, None) => pdf.render(&source, &out),
    };
    match status {
        Ok(s) if s.success() => HttpResponse::Ok().body(std::fs::read(&out).unwrap_or_default()),
        _ => HttpResponse::InternalServerError().finish(),
    }
}
