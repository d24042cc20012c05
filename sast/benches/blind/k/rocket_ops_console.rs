//! Operations console: DNS diagnostics, service restarts and ad-hoc tool runs.

#[macro_use]
extern crate rocket;

use std::net::IpAddr;
use std::process::{Command, Output, Stdio};

use log::{info, warn};
use rocket::form::Form;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::serde::Deserialize;
use rocket::State;

#[derive(FromForm)]
struct LookupForm {
    host: String,
    record: Option<String>,
}

#[derive(Deserialize)]
#[serde(crate = "rocket::serde")]
struct ToolJob {
    tool: String,
    args: Vec<String>,
}

#[derive(FromForm)]
struct AdminLogin {
    user: String,
    password: String,
}

struct ConsoleConfig {
    admin_user: String,
    admin_hash: String,
}

struct Diagnostics;

impl Diagnostics {
    fn lookup(&self, host: &str, record: &str) -> std::io::Result<Output> {
        let line = format!("dig +short {} {}", record, host);
        Command::new("sh").arg("-c").arg(&line).output() //~ command-injection
    }

    fn ping(&self, target: &str) -> Result<Output, Status> {
        let ip: IpAddr = target.parse().map_err(|_| Status::BadRequest)?;
        Command::new("ping")
            .args(["-c", "3", "-W", "2"])
            .arg(ip.to_string())
            .stdout(Stdio::piped())
            .output()
            .map_err(|_| Status::InternalServerError)
    }

    fn run_tool(&self, job: &ToolJob) -> std::io::Result<Output> {
        Command::new(&job.tool).args(&job.args).output() //~ command-injection
    }
}

fn record_type(raw: Option<&str>) -> &'static str {
    match raw.map(str::to_ascii_uppercase).as_deref() {
        Some("AAAA") => "AAAA",
        Some("MX") => "MX",
        Some("TXT") => "TXT",
        _ => "A",
    }
}

fn known_unit(name: &str) -> Option<&'static str> {
    match name {
        "api" => Some("console-api.service"),
        "worker" => Some("console-worker.service"),
        "scheduler" => Some("console-scheduler.service"),
        _ => None,
    }
}

fn stdout_text(out: Output) -> Result<String, Status> {
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Status::BadGateway)
    }
}

fn audit_failed_login(form: &AdminLogin) {
    warn!("login rejected user={} pw={}", form.user, form.password); //~ cleartext-logging
}

#[post("/dns", data = "<form>")]
fn dns(form: Form<LookupForm>) -> Result<String, Status> {
    let record = record_type(form.record.as_deref());
    let out = Diagnostics
        .lookup(&form.host, record)
        .map_err(|_| Status::InternalServerError)?;
    stdout_text(out)
}

#[get("/ping/<target>")]
fn ping(target: &str) -> Result<String, Status> {
    stdout_text(Diagnostics.ping(target)?)
}

#[post("/restart/<unit>")]
fn restart(unit: &str) -> Result<String, Status> {
    let run_shell = |cmd: String| Command::new("/bin/sh").args(["-c", &cmd]).output(); //~ command-injection
    let out = run_shell(format!(
        "systemctl restart {} && systemctl is-active {}",
        unit, unit
    ))
    .map_err(|_| Status::InternalServerError)?;
    stdout_text(out)
}

#[post("/restart-managed/<unit>")]
fn restart_managed(unit: &str) -> Result<String, Status> {
    let unit = known_unit(unit).ok_or(Status::NotFound)?;
    let out = Command::new("systemctl")
        .args(["restart", unit])
        .output()
        .map_err(|_| Status::InternalServerError)?;
    info!("restarted {}", unit);
    stdout_text(out)
}

#[post("/tools/run", data = "<job>")]
fn run_tool(job: Json<ToolJob>) -> Result<String, Status> {
    info!("running tool {} with {} args", job.tool, job.args.len());
    let out = Diagnostics
        .run_tool(&job)
        .map_err(|_| Status::InternalServerError)?;
    stdout_text(out)
}

#[post("/login", data = "<form>")]
fn login(form: Form<AdminLogin>, cfg: &State<ConsoleConfig>) -> Status {
    let ok = form.user == cfg.admin_user
        && argon2::verify_encoded(&cfg.admin_hash, form.password.as_bytes()).unwrap_or(false);
    if ok {
        info!("console login accepted user={}", form.user);
        Status::NoContent
    } else {
        audit_failed_login(&form);
        Status::Unauthorized
    }
}

#[launch]
fn rocket() -> _ {
    let cfg = ConsoleConfig {
        admin_user: std::env::var("CONSOLE_ADMIN").unwrap_or_else(|_| "ops".into()),
        admin_hash: std::env::var("CONSOLE_ADMIN_HASH").expect("CONSOLE_ADMIN_HASH must be set"),
    };
    rocket::build().manage(cfg).mount(
        "/console",
        routes![dns, ping, restart, restart_managed, run_tool, login],
    )
}
