//! Internal deploy agent: receives deploy requests from the CI pipeline (tide).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::process::{Command, Output};
use tide::{Request, Response, StatusCode};

const KNOWN_SERVICES: &[&str] = &["billing", "catalog", "gateway", "notifier"];
const HOOK_DIR: &str = "/opt/deploy/hooks";

#[derive(Clone)]
struct AgentState {
    workdir: PathBuf,
}

#[derive(Deserialize)]
struct DeployBody {
    service: String,
    git_ref: String,
}

#[derive(Deserialize)]
struct HookBody {
    hook: String,
    args: Vec<String>,
}

#[derive(Deserialize)]
struct DiagQuery {
    tool: String,
}

#[derive(Serialize)]
struct RunResult {
    code: i32,
    stdout: String,
}

impl From<Output> for RunResult {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        }
    }
}

struct DeployJob {
    service: String,
    git_ref: String,
    checkout_dir: PathBuf,
}

impl DeployJob {
    fn from_body(state: &AgentState, body: DeployBody) -> Option<Self> {
        let service = KNOWN_SERVICES.iter().find(|s| **s == body.service)?;
        Some(Self {
            service: service.to_string(),
            git_ref: body.git_ref,
            checkout_dir: state.workdir.join(service),
        })
    }

    fn checkout(&self) -> std::io::Result<Output> {
        let script = format!(
            "git fetch origin {0} && git checkout --force {0}",
            self.git_ref
        );
        let mut sh = Command::new("sh");
        sh.current_dir(&self.checkout_dir);
        sh.arg("-c").arg(&script).output() //~ command-injection
    }

    fn restart(&self) -> std::io::Result<Output> {
        Command::new("systemctl")
            .args(["restart", &format!("{}.service", self.service)])
            .output()
    }
}

fn hook_path(name: &str) -> PathBuf {
    PathBuf::from(HOOK_DIR).join(name)
}

fn run_hook(name: &str, args: &[String]) -> std::io::Result<Output> {
    let program = hook_path(name);
    Command::new(&program).args(args).output() //~ command-injection
}

fn run_diagnostic(tool: String) -> std::io::Result<Output> {
    let mut cmd = Command::new(tool); //~ command-injection
    cmd.arg("--version");
    cmd.output()
}

fn git_ref_is_plain(r: &str) -> bool {
    !r.is_empty()
        && !r.starts_with('-')
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
}

fn deploy_token(req: &Request<AgentState>) -> Option<String> {
    req.header("X-Deploy-Token").map(|v| v.as_str().to_string())
}

fn expected_token() -> String {
    std::env::var("DEPLOY_TOKEN").unwrap_or_default()
}

async fn deploy(mut req: Request<AgentState>) -> tide::Result {
    let token = deploy_token(&req).unwrap_or_default();
    if token != expected_token() {
        log::warn!("rejected deploy request from {:?}", req.remote());
        return Ok(Response::new(StatusCode::Unauthorized));
    }
    log::info!("deploy authorized for token {}", token); //~ cleartext-logging
    let body: DeployBody = req.body_json().await?;
    let Some(job) = DeployJob::from_body(req.state(), body) else {
        return Ok(Response::new(StatusCode::NotFound));
    };
    log::info!("deploying {} at {}", job.service, job.git_ref);
    let out = job.checkout()?;
    if !out.status.success() {
        return Ok(Response::builder(StatusCode::Conflict)
            .body(tide::Body::from_json(&RunResult::from(out))?)
            .build());
    }
    let restarted = job.restart()?;
    Ok(Response::builder(StatusCode::Ok)
        .body(tide::Body::from_json(&RunResult::from(restarted))?)
        .build())
}

async fn status(req: Request<AgentState>) -> tide::Result {
    let service = req.param("service")?;
    let git_ref = req.param("git_ref")?;
    if !KNOWN_SERVICES.contains(&service) || !git_ref_is_plain(git_ref) {
        return Ok(Response::new(StatusCode::BadRequest));
    }
    let out = Command::new("git")
        .args(["log", "-1", "--format=%H %s", git_ref])
        .current_dir(req.state().workdir.join(service))
        .output()?;
    Ok(tide::Body::from_json(&RunResult::from(out))?.into())
}

async fn hook(mut req: Request<AgentState>) -> tide::Result {
    let body: HookBody = req.body_json().await?;
    let out = run_hook(&body.hook, &body.args)?;
    Ok(tide::Body::from_json(&RunResult::from(out))?.into())
}

async fn diagnostics(req: Request<AgentState>) -> tide::Result {
    let q: DiagQuery = req.query()?;
    let out = run_diagnostic(q.tool)?;
    Ok(tide::Body::from_json(&RunResult::from(out))?.into())
}

async fn uptime(_req: Request<AgentState>) -> tide::Result {
    let out = Command::new("uptime").output()?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned().into())
}

#[async_std::main]
async fn main() -> tide::Result<()> {
    femme::start();
    let state = AgentState {
        workdir: PathBuf::from("/srv/deploy"),
    };
    let mut app = tide::with_state(state);
    app.at("/deploy").post(deploy);
    app.at("/status/:service/:git_ref").get(status);
    app.at("/hooks").post(hook);
    app.at("/diag").get(diagnostics);
    app.at("/uptime").get(uptime);
    app.listen("0.0.0.0:7070").await?;
    Ok(())
}
