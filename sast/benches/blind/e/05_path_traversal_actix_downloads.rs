// Scenario: an actix-web document portal. Tenants download invoices and
// exports, and preview theme assets; the tenant id comes from a header.
use actix_files::NamedFile;
use actix_web::{get, web, HttpRequest, HttpResponse, Result};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};

pub struct Storage {
    root: PathBuf,
}

#[derive(Deserialize)]
pub struct ExportQuery {
    file: String,
}

#[derive(Deserialize)]
pub struct AssetQuery {
    name: String,
}

fn tenant_of(req: &HttpRequest) -> String {
    req.headers()
        .get("x-tenant")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("public")
        .to_string()
}

fn plain_name(name: &str) -> bool {
    Path::new(name)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
}

impl Storage {
    fn invoice_path(&self, tenant: &str, id: u64) -> PathBuf {
        self.root
            .join(tenant)
            .join("invoices")
            .join(format!("{}.pdf", id))
    }

    fn export_path(&self, tenant: &str, file: &str) -> PathBuf {
        let mut rel = String::from(tenant);
        rel.push('/');
        rel.push_str("exports/");
        rel.push_str(file);
        self.root.join(rel)
    }

    fn asset_path(&self, name: &str) -> Option<PathBuf> {
        let themes = self.root.join("themes").canonicalize().ok()?;
        let candidate = themes.join(name).canonicalize().ok()?;
        candidate.starts_with(&themes).then_some(candidate)
    }
}

#[get("/invoices/{id}")]
async fn invoice(
    req: HttpRequest,
    st: web::Data<Storage>,
    id: web::Path<u64>,
) -> Result<NamedFile> {
    let tenant = tenant_of(&req);
    if !plain_name(&tenant) {
        return Err(actix_web::error::ErrorBadRequest("tenant"));
    }
    Ok(NamedFile::open(st.invoice_path(&tenant, id.into_inner()))?)
}

#[get("/exports")]
async fn export(
    req: HttpRequest,
    st: web::Data<Storage>,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse> {
    let path = st.export_path(&tenant_of(&req), &q.file);
    let body = std::fs::read(&path)?; //~ path-traversal
    Ok(HttpResponse::Ok().content_type("text/csv").body(body))
}

#[get("/themes/preview")]
async fn theme_asset(st: web::Data<Storage>, q: web::Query<AssetQuery>) -> Result<NamedFile> {
    let path = st
        .asset_path(&q.name)
        .ok_or_else(|| actix_web::error::ErrorNotFound("asset"))?;
    Ok(NamedFile::open(path)?)
}

#[get("/legacy/{tenant}/{file:.*}")]
async fn legacy(st: web::Data<Storage>, parts: web::Path<(String, String)>) -> Result<NamedFile> {
    let (tenant, file) = parts.into_inner();
    let full = st.root.join(&tenant).join(&file);
    Ok(NamedFile::open(full)?) //~ path-traversal
}

#[get("/logs/{name}")]
async fn job_log(st: web::Data<Storage>, name: web::Path<String>) -> Result<HttpResponse> {
    let name = name.into_inner();
    if name.contains("..") || name.contains('/') {
        return Ok(HttpResponse::BadRequest().finish());
    }
    let text = std::fs::read_to_string(st.root.join("logs").join(&name))?;
    let tail: String = text.lines().rev().take(200).collect::<Vec<_>>().join("\n");
    Ok(HttpResponse::Ok().body(tail))
}

#[get("/attachments/{name}")]
async fn attachment(
    req: HttpRequest,
    st: web::Data<Storage>,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    let dir = st.root.join(tenant_of(&req)).join("attachments");
    let bytes = web::block(move || std::fs::read(dir.join(name.as_str()))).await??; //~ path-traversal
    Ok(HttpResponse::Ok().body(bytes))
}
