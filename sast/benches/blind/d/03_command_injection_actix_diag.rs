// Scenario: an actix-web network diagnostics endpoint for an internal admin panel.
use actix_web::{get, post, web, HttpResponse, Responder};
use serde::Deserialize;
use std::process::Command;

#[derive(Deserialize)]
struct PingQuery {
    host: String,
    count: Option<u8>,
}

#[derive(Deserialize)]
struct TraceForm {
    target: String,
}

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 254
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !s.starts_with('-')
}

#[get("/diag/ping")]
async fn ping(q: web::Query<PingQuery>) -> impl Responder {
    let count = q.count.unwrap_or(3).min(10).to_string();
    if !is_hostname(&q.host) {
        return HttpResponse::BadRequest().body("bad host");
    }
    let out = Command::new("ping")
        .args(["-c", &count, "--", &q.host])
        .output();
    match out {
        Ok(o) => HttpResponse::Ok().body(o.stdout),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

#[get("/diag/dig")]
async fn dig(q: web::Query<PingQuery>) -> impl Responder {
    let cmdline = format!("dig +short {} | head -n 5", q.host);
    let out = Command::new("sh").arg("-c").arg(&cmdline).output(); //~ command-injection
    match out {
        Ok(o) => HttpResponse::Ok().body(o.stdout),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[post("/diag/trace")]
async fn trace(form: web::Form<TraceForm>) -> impl Responder {
    let target = form.into_inner().target;
    let script = build_trace_script(&target);
    let child = Command::new("/bin/bash").args(["-c", script.as_str()]).spawn(); //~ command-injection
    match child.and_then(|c| c.wait_with_output()) {
        Ok(o) => HttpResponse::Ok().body(o.stdout),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn build_trace_script(target: &str) -> String {
    format!("traceroute -m 15 {} 2>&1", target)
}

#[get("/diag/uptime")]
async fn uptime() -> impl Responder {
    let out = Command::new("sh").arg("-c").arg("uptime && free -m").output();
    match out {
        Ok(o) => HttpResponse::Ok().body(o.stdout),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(ping).service(dig).service(trace).service(uptime);
}
