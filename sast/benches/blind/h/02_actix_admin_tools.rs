use actix_web::{get, post, web, App, HttpResponse, HttpServer, Responder};
use serde::Deserialize;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LOG_ROOT: &str = "/var/log/app";
const ALLOWED_TOOLS: &[&str] = &["uptime", "df", "free", "vmstat"];

#[derive(Deserialize)]
struct PingReq {
    host: String,
    count: Option<u8>,
}

#[derive(Deserialize)]
struct ArchiveReq {
    dir: String,
    gzip: bool,
}

#[derive(Deserialize)]
struct ToolReq {
    tool: String,
    #[serde(default)]
    args: Vec<String>,
}

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 254
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn render(out: io::Result<Output>) -> HttpResponse {
    match out {
        Ok(o) => HttpResponse::Ok().body(String::from_utf8_lossy(&o.stdout).into_owned()),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

#[get("/diag/ping")]
async fn ping(q: web::Query<PingReq>) -> impl Responder {
    let count = q.count.unwrap_or(3).min(10);
    let cmdline = format!("ping -c {} {}", count, q.host);
    render(Command::new("sh").arg("-c").arg(&cmdline).output()) //~ command-injection
}

#[get("/diag/ping2")]
async fn ping_checked(q: web::Query<PingReq>) -> impl Responder {
    if !is_hostname(&q.host) {
        return HttpResponse::BadRequest().finish();
    }
    let count = q.count.unwrap_or(3).min(10).to_string();
    render(Command::new("ping").args(["-c", &count, &q.host]).output())
}

struct ArchiveJob {
    src: String,
    gzip: bool,
}

impl ArchiveJob {
    fn from_req(r: &ArchiveReq) -> Self {
        ArchiveJob { src: r.dir.trim().to_string(), gzip: r.gzip }
    }

    fn shell_line(&self) -> String {
        let mut s = String::from("tar -c");
        s.push_str(if self.gzip { "z" } else { "" });
        s.push_str("f /tmp/export.tar ");
        s.push_str(&self.src);
        s
    }

    fn run(&self) -> io::Result<Output> {
        Command::new("/bin/sh").args(["-c", &self.shell_line()]).output() //~ command-injection
    }

    fn run_direct(&self) -> io::Result<Output> {
        let flags = if self.gzip { "-czf" } else { "-cf" };
        Command::new("tar").args([flags, "/tmp/export.tar", "--", &self.src]).output()
    }
}

#[post("/admin/archive")]
async fn archive(body: web::Json<ArchiveReq>) -> impl Responder {
    let job = ArchiveJob::from_req(&body);
    if job.src.starts_with('/') {
        return render(job.run_direct());
    }
    render(job.run())
}

#[post("/admin/tool")]
async fn run_tool(body: web::Json<ToolReq>) -> impl Responder {
    let req = body.into_inner();
    if ALLOWED_TOOLS.contains(&req.tool.as_str()) {
        return render(Command::new(&req.tool).output());
    }
    render(Command::new(&req.tool).args(&req.args).output()) //~ command-injection
}

fn resolve_log(name: &str) -> io::Result<PathBuf> {
    let base = Path::new(LOG_ROOT).canonicalize()?;
    let full = base.join(name).canonicalize()?;
    if !full.starts_with(&base) {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, "outside log root"));
    }
    Ok(full)
}

#[get("/admin/logs/{name}")]
async fn read_log(name: web::Path<String>) -> impl Responder {
    match resolve_log(&name).and_then(std::fs::read_to_string) {
        Ok(text) => HttpResponse::Ok().body(text),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[get("/admin/rotated/{name}")]
async fn read_rotated(name: web::Path<String>) -> impl Responder {
    let p = Path::new(LOG_ROOT).join("rotated").join(name.into_inner());
    match std::fs::read(&p) { //~ path-traversal
        Ok(bytes) => HttpResponse::Ok().body(bytes),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    HttpServer::new(|| {
        App::new()
            .service(ping)
            .service(ping_checked)
            .service(archive)
            .service(run_tool)
            .service(read_log)
            .service(read_rotated)
    })
    .bind(("127.0.0.1", 8081))?
    .run()
    .await
}
