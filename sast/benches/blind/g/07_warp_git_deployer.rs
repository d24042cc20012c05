use serde::Deserialize;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use warp::{http::StatusCode, Filter, Rejection, Reply};

const REPO_ROOT: &str = "/srv/git";

#[derive(Deserialize)]
struct DeployRequest {
    git_ref: String,
    hook: Option<HookSpec>,
}

#[derive(Deserialize)]
struct HookSpec {
    interpreter: Option<String>,
    lang: Option<String>,
}

fn valid_repo_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    fn open(repo: &str) -> Option<Self> {
        if valid_repo_name(repo) {
            Some(Workspace { dir: Path::new(REPO_ROOT).join(repo) })
        } else {
            None
        }
    }

    fn fetch(&self, git_ref: &str) -> io::Result<Output> {
        Command::new("git").arg("-C").arg(&self.dir).args(["fetch", "--prune", "--", "origin", git_ref]).output()
    }

    fn checkout(&self, git_ref: &str) -> io::Result<Output> {
        let line = "git -C ".to_owned() + &self.dir.display().to_string() + " checkout -f " + git_ref;
        Command::new("sh")
            .arg("-c")
            .arg(&line) //~ command-injection
            .output()
    }

    fn hook_script(&self) -> PathBuf {
        self.dir.join(".deploy").join("post-checkout")
    }

    fn run_hook(&self, hook: &HookSpec) -> io::Result<Output> {
        let interpreter = hook.interpreter.clone().unwrap_or_else(|| "/bin/sh".to_string());
        Command::new(&interpreter) //~ command-injection
            .arg(self.hook_script())
            .current_dir(&self.dir)
            .output()
    }

    fn run_hook_pinned(&self, hook: &HookSpec) -> io::Result<Output> {
        let interpreter = match hook.lang.as_deref() {
            Some("python") => "/usr/bin/python3",
            Some("node") => "/usr/bin/node",
            _ => "/bin/sh",
        };
        Command::new(interpreter).arg(self.hook_script()).current_dir(&self.dir).output()
    }
}

fn log_path(repo: &str, file: &str) -> String {
    format!("{}/{}/logs/{}", REPO_ROOT, repo, file)
}

async fn deploy(repo: String, req: DeployRequest) -> Result<impl Reply, Rejection> {
    let ws = Workspace::open(&repo).ok_or_else(warp::reject::not_found)?;
    let fetched = ws.fetch(&req.git_ref).map_err(|_| warp::reject::reject())?;
    if !fetched.status.success() {
        return Ok(warp::reply::with_status("fetch failed".to_string(), StatusCode::BAD_GATEWAY));
    }
    ws.checkout(&req.git_ref).map_err(|_| warp::reject::reject())?;
    if let Some(hook) = &req.hook {
        let out = if hook.lang.is_some() { ws.run_hook_pinned(hook) } else { ws.run_hook(hook) };
        let out = out.map_err(|_| warp::reject::reject())?;
        return Ok(warp::reply::with_status(String::from_utf8_lossy(&out.stdout).into_owned(), StatusCode::OK));
    }
    Ok(warp::reply::with_status("deployed".to_string(), StatusCode::OK))
}

async fn read_log(repo: String, file: String) -> Result<impl Reply, Rejection> {
    match tokio::fs::read_to_string(log_path(&repo, &file)).await { //~ path-traversal
        Ok(text) => Ok(warp::reply::with_status(text, StatusCode::OK)),
        Err(_) => Ok(warp::reply::with_status(String::new(), StatusCode::NOT_FOUND)),
    }
}

async fn read_status(repo: String) -> Result<impl Reply, Rejection> {
    let ws = Workspace::open(&repo).ok_or_else(warp::reject::not_found)?;
    let text = tokio::fs::read_to_string(ws.dir.join("STATUS")).await.unwrap_or_default();
    Ok(warp::reply::with_status(text, StatusCode::OK))
}

#[tokio::main]
async fn main() {
    let deploy_route = warp::path!("repos" / String / "deploy")
        .and(warp::post())
        .and(warp::body::json())
        .and_then(deploy);
    let log_route = warp::path!("repos" / String / "logs" / String).and(warp::get()).and_then(read_log);
    let status_route = warp::path!("repos" / String / "status").and(warp::get()).and_then(read_status);
    warp::serve(deploy_route.or(log_route).or(status_route)).run(([0, 0, 0, 0], 8088)).await;
}
