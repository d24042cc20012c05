// Cross-platform deploy hook runner: hooks are read from a TOML config file and a webhook header.
use hyper::{Body, Request, Response, StatusCode};
use serde::Deserialize;
use std::fs;
use std::process::Command;

#[derive(Deserialize)]
struct HookConfig {
    program: String,
    pre_deploy: Vec<String>,
    notify: Option<String>,
}

struct HookRunner {
    cfg: HookConfig,
}

impl HookRunner {
    fn load(path: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let text = fs::read_to_string(path)?;
        let cfg: HookConfig = toml::from_str(&text)?;
        Ok(HookRunner { cfg })
    }

    fn shell_for(line: &str) -> Command {
        if cfg!(windows) {
            let mut c = Command::new("cmd");
            c.args(["/C", line]); //~ command-injection
            c
        } else {
            let mut c = Command::new("sh");
            c.arg("-c").arg(line); //~ command-injection
            c
        }
    }

    fn pre_deploy(&self) -> std::io::Result<()> {
        let joined = self.cfg.pre_deploy.join(" && ");
        Self::shell_for(&joined).status()?;
        Ok(())
    }

    fn start_program(&self, branch: &str) -> std::io::Result<()> {
        Command::new(&self.cfg.program).arg(branch).status()?; //~ command-injection
        Ok(())
    }

    // SAFE: notify target is only passed as an argument to a fixed binary.
    fn notify(&self) -> std::io::Result<()> {
        let target = self.cfg.notify.as_deref().unwrap_or("ops");
        Command::new("/usr/local/bin/notify-send-team").arg("--channel").arg(target).status()?;
        Ok(())
    }
}

pub async fn webhook(req: Request<Body>) -> Result<Response<Body>, hyper::Error> {
    let runner = match HookRunner::load("/etc/deployd/hooks.toml") {
        Ok(r) => r,
        Err(_) => return Ok(Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR).body(Body::empty()).unwrap()),
    };
    let branch = req
        .headers()
        .get("x-deploy-branch")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.to_string())
        .unwrap_or_else(|| "main".to_string());

    let _ = runner.pre_deploy();
    let _ = runner.start_program(&branch);

    let checkout = format!("git fetch origin && git checkout {}", branch);
    let _ = Command::new("sh").args(["-c", &checkout]).status(); //~ command-injection

    // SAFE: branch validated against a fixed set before reaching git.
    if ["main", "staging", "release"].contains(&branch.as_str()) {
        let _ = Command::new("git").args(["reset", "--hard"]).arg(format!("origin/{}", branch)).status();
    }
    let _ = runner.notify();
    Ok(Response::new(Body::from("ok")))
}
