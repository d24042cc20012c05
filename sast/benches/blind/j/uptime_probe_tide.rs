//! Uptime probe agent (tide): on-demand HTTP checks, traces and licence activation.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;
use std::process::Command;
use std::time::Duration;
use tide::{Request, Response, StatusCode};

const ACTIVATION_URL: &str = "http://licensing.probeworks.io/v1/activate";
const HEARTBEAT_URL: &str = "https://licensing.probeworks.io/v1/heartbeat";

#[derive(Clone)]
struct Agent {
    named_targets: HashMap<String, String>,
}

#[derive(Deserialize)]
struct CheckRequest {
    endpoint: String,
    internal: Option<bool>,
}

#[derive(Deserialize)]
struct HostRequest {
    host: String,
}

#[derive(Serialize)]
struct CheckResult {
    status: u16,
}

fn probe_session(skip_verify: bool) -> attohttpc::Session {
    let mut session = attohttpc::Session::new();
    session.timeout(Duration::from_secs(5));
    session.danger_accept_invalid_certs(skip_verify); //~ tls-verification-disabled
    session
}

fn probe(session: &attohttpc::Session, endpoint: &str) -> attohttpc::Result<u16> {
    let resp = session.get(endpoint).send()?; //~ ssrf
    Ok(resp.status().as_u16())
}

fn probe_named(agent: &Agent, name: &str) -> Option<u16> {
    let url = agent.named_targets.get(name)?;
    let resp = attohttpc::get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .ok()?;
    Some(resp.status().as_u16())
}

fn trace(host: &str) -> std::io::Result<String> {
    let script = format!("traceroute -m 8 {} 2>&1", host);
    let out = Command::new("sh").arg("-c").arg(&script).output()?; //~ command-injection
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn ping(host: &str) -> std::io::Result<bool> {
    let addr: IpAddr = host
        .parse()
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not an IP"))?;
    let status = Command::new("ping")
        .args(["-c", "1", "-W", "2"])
        .arg(addr.to_string())
        .status()?;
    Ok(status.success())
}

fn licence_key() -> String {
    std::env::var("PROBE_LICENCE_KEY").unwrap_or_default()
}

fn activate(key: &str) -> attohttpc::Result<bool> {
    let request = attohttpc::post(ACTIVATION_URL).param("licence", key);
    let resp = request.send()?; //~ cleartext-url
    Ok(resp.is_success())
}

fn heartbeat(key: &str) -> attohttpc::Result<bool> {
    let resp = attohttpc::post(HEARTBEAT_URL).bearer_auth(key).send()?;
    Ok(resp.is_success())
}

async fn check(mut req: Request<Agent>) -> tide::Result {
    let body: CheckRequest = req.body_json().await?;
    let session = probe_session(body.internal.unwrap_or(false));
    let status = probe(&session, &body.endpoint).map_err(|e| tide::Error::new(502, e))?;
    Ok(Response::builder(StatusCode::Ok)
        .body(tide::Body::from_json(&CheckResult { status })?)
        .build())
}

async fn check_named(req: Request<Agent>) -> tide::Result {
    let name = req.param("name")?.to_owned();
    match probe_named(req.state(), &name) {
        Some(status) => Ok(tide::Body::from_json(&CheckResult { status })?.into()),
        None => Ok(Response::new(StatusCode::NotFound)),
    }
}

async fn health_via_surf(mut req: Request<Agent>) -> tide::Result {
    let body: HostRequest = req.body_json().await?;
    let res = surf::get(format!("https://{}/healthz", body.host)).await?; //~ ssrf
    Ok(Response::new(res.status()))
}

async fn trace_route(mut req: Request<Agent>) -> tide::Result {
    let body: HostRequest = req.body_json().await?;
    let reachable = ping(&body.host).unwrap_or(false);
    let hops = trace(&body.host)?;
    Ok(format!("reachable={reachable}\n{hops}").into())
}

#[async_std::main]
async fn main() -> tide::Result<()> {
    let key = licence_key();
    if !heartbeat(&key).unwrap_or(false) {
        activate(&key)?;
    }
    let mut named = HashMap::new();
    named.insert(
        "api".to_owned(),
        "https://api.probeworks.io/health".to_owned(),
    );
    named.insert("web".to_owned(), "https://www.probeworks.io/".to_owned());
    let mut app = tide::with_state(Agent {
        named_targets: named,
    });
    app.at("/check").post(check);
    app.at("/check/:name").get(check_named);
    app.at("/health").post(health_via_surf);
    app.at("/trace").post(trace_route);
    app.listen("0.0.0.0:7070").await?;
    Ok(())
}
