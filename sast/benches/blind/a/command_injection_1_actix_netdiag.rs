// actix-web network diagnostics endpoint: host/count from the query string reach a shell.
use actix_web::{get, post, web, App, HttpResponse, HttpServer, Responder};
use serde::Deserialize;
use std::process::Command;

#[derive(Deserialize)]
struct PingQuery {
    host: String,
    count: Option<u32>,
}

#[derive(Deserialize)]
struct TraceForm {
    target: String,
    max_hops: String,
}

#[get("/diag/ping")]
async fn ping(q: web::Query<PingQuery>) -> impl Responder {
    let count = q.count.unwrap_or(3);
    let out = Command::new("sh").arg("-c").arg(format!("ping -c {} {}", count, q.host)).output(); //~ command-injection
    match out {
        Ok(o) => HttpResponse::Ok().body(String::from_utf8_lossy(&o.stdout).into_owned()),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

#[post("/diag/trace")]
async fn trace(form: web::Form<TraceForm>) -> impl Responder {
    let cmdline = "traceroute -m ".to_owned() + &form.max_hops + " " + &form.target;
    let out = Command::new("/bin/bash")
        .args(["-c", &cmdline]) //~ command-injection
        .output()
        .expect("spawn failed");
    HttpResponse::Ok().body(out.stdout)
}

// SAFE: fixed program, user input is a single argv element, never parsed by a shell.
#[get("/diag/lookup")]
async fn lookup(q: web::Query<PingQuery>) -> impl Responder {
    let out = Command::new("dig")
        .arg("+short")
        .arg(&q.host)
        .output()
        .expect("dig missing");
    HttpResponse::Ok().body(out.stdout)
}

// SAFE: host must match a strict character allow-list before use.
#[get("/diag/ping6")]
async fn ping6(q: web::Query<PingQuery>) -> impl Responder {
    let ok = !q.host.is_empty()
        && q.host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':');
    if !ok {
        return HttpResponse::BadRequest().body("invalid host");
    }
    let out = Command::new("ping6").args(["-c", "1"]).arg(&q.host).output().expect("ping6");
    HttpResponse::Ok().body(out.stdout)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    HttpServer::new(|| App::new().service(ping).service(trace).service(lookup).service(ping6))
        .bind(("0.0.0.0", 8080))?
        .run()
        .await
}
