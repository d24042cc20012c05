//! Report export endpoints: rendering, downloads, share links, completion callbacks.

#[macro_use]
extern crate rocket;

use rocket::form::{Form, FromForm};
use rocket::fs::NamedFile;
use rocket::serde::json::Json;
use rocket::State;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;

const CALLBACK_HOSTS: &[&str] = &["hooks.internal.example.com", "ci.example.com"];

struct ReportStore {
    root: PathBuf,
    share_secret: String,
}

impl ReportStore {
    async fn open(&self, name: &str) -> Option<NamedFile> {
        NamedFile::open(self.root.join(name)).await.ok() //~ path-traversal
    }

    async fn open_archived(&self, name: &str) -> Option<NamedFile> {
        let archive = self.root.join("archive").canonicalize().ok()?;
        let candidate = archive.join(name).canonicalize().ok()?;
        if !candidate.starts_with(&archive) {
            return None;
        }
        NamedFile::open(candidate).await.ok()
    }

    fn share_token(&self, report: &str) -> String {
        let material = format!("{}:{}", self.share_secret, report);
        format!("{:x}", md5::compute(material.as_bytes())) //~ weak-hash
    }
}

#[derive(FromForm)]
struct RenderRequest {
    source_url: String,
    report_id: String,
    callback_url: Option<String>,
}

#[derive(FromForm)]
struct SmtpSettings {
    host: String,
    username: String,
    password: String,
}

#[derive(Serialize)]
struct Rendered {
    report_id: String,
    share_link: String,
}

fn render_pdf(source: &str, out: &Path) -> std::io::Result<bool> {
    let cmdline = format!("wkhtmltopdf --quiet '{}' {}", source, out.display());
    let status = Command::new("sh").arg("-c").arg(&cmdline).status()?; //~ command-injection
    Ok(status.success())
}

fn render_png(source: &str, out: &Path) -> std::io::Result<bool> {
    let status = Command::new("wkhtmltoimage")
        .arg("--quiet")
        .arg(source)
        .arg(out)
        .status()?;
    Ok(status.success())
}

async fn notify_done(client: &reqwest::Client, url: &str, id: &str) -> reqwest::Result<()> {
    let body = serde_json::json!({ "report": id, "state": "done" });
    client.post(url).json(&body).send().await?; //~ ssrf
    Ok(())
}

fn callback_allowed(url: &str) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "https")
        .and_then(|u| u.host_str().map(|h| CALLBACK_HOSTS.contains(&h)))
        .unwrap_or(false)
}

async fn notify_partner(client: &reqwest::Client, url: &str, id: &str) -> reqwest::Result<()> {
    if !callback_allowed(url) {
        return Ok(());
    }
    let body = serde_json::json!({ "report": id });
    client.post(url).json(&body).send().await.map(|_| ())
}

fn save_smtp_settings(dir: &Path, s: &SmtpSettings) -> std::io::Result<()> {
    let doc = format!(
        "host = \"{}\"\nusername = \"{}\"\npassword = \"{}\"\n",
        s.host, s.username, s.password
    );
    std::fs::write(dir.join("smtp.toml"), doc) //~ cleartext-storage
}

#[get("/reports/download?<file>")]
async fn download(file: String, store: &State<ReportStore>) -> Option<NamedFile> {
    store.open(&file).await
}

#[get("/reports/archive?<file>")]
async fn archived(file: String, store: &State<ReportStore>) -> Option<NamedFile> {
    store.open_archived(&file).await
}

#[post("/reports/render", data = "<form>")]
async fn render(
    form: Form<RenderRequest>,
    store: &State<ReportStore>,
    client: &State<reqwest::Client>,
) -> Option<Json<Rendered>> {
    let id: String = form
        .report_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let out = store.root.join(format!("{id}.pdf"));
    render_pdf(&form.source_url, &out).ok()?;
    render_png(&form.source_url, &out.with_extension("png")).ok()?;
    if let Some(cb) = form.callback_url.as_deref() {
        let _ = notify_done(client, cb, &id).await;
        let _ = notify_partner(client, cb, &id).await;
    }
    let share_link = format!("/shared/{}?t={}", id, store.share_token(&id));
    Some(Json(Rendered {
        report_id: id,
        share_link,
    }))
}

#[post("/settings/smtp", data = "<form>")]
fn smtp_settings(form: Form<SmtpSettings>, store: &State<ReportStore>) -> &'static str {
    match save_smtp_settings(&store.root, &form) {
        Ok(()) => "saved",
        Err(_) => "failed",
    }
}

#[launch]
fn rocket() -> _ {
    let store = ReportStore {
        root: PathBuf::from("/var/lib/reports"),
        share_secret: std::env::var("REPORT_SHARE_SECRET").expect("share secret"),
    };
    rocket::build()
        .manage(store)
        .manage(reqwest::Client::new())
        .mount("/", routes![download, archived, render, smtp_settings])
}
