//! Minimal CI runner: receives push webhooks, checks out the pushed commit,
//! runs `make ci` and reports the result to the build dashboard (tide).

use serde::Deserialize;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tide::{Request, Response, StatusCode};

const DASHBOARD: &str = "ci-dash.corp.example.net:8111";
const ARTIFACTS: &str = "https://artifacts.corp.example.net/api/upload";

#[derive(Deserialize, Clone)]
struct PushEvent {
    after: String,
    #[serde(rename = "ref")]
    git_ref: String,
    repository: Repository,
    pusher: Pusher,
}

#[derive(Deserialize, Clone)]
struct Repository {
    full_name: String,
    clone_url: String,
}

#[derive(Deserialize, Clone)]
struct Pusher {
    name: String,
}

fn is_commit_id(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}

#[derive(Clone)]
struct Runner {
    work_root: PathBuf,
    deploy_token: String,
    dash_user: String,
    dash_password: String,
}

impl Runner {
    fn from_env() -> Result<Runner, std::env::VarError> {
        Ok(Runner {
            work_root: PathBuf::from("/var/lib/ci-runner/work"),
            deploy_token: std::env::var("CI_DEPLOY_TOKEN")?,
            dash_user: std::env::var("CI_DASHBOARD_USER")?,
            dash_password: std::env::var("CI_DASHBOARD_PASSWORD")?,
        })
    }

    fn authed_remote(&self, clone_url: &str) -> String {
        let prefix = format!("https://x-access-token:{}@", self.deploy_token);
        clone_url.replacen("https://", &prefix, 1)
    }

    fn clone(&self, ev: &PushEvent, dir: &Path) -> io::Result<bool> {
        log::info!(
            "build for {} pushed by {}",
            ev.repository.clone_url,
            ev.pusher.name
        );
        let remote = self.authed_remote(&ev.repository.clone_url);
        log::debug!("git clone {} {}", remote, dir.display()); //~ cleartext-logging
        let mut git = Command::new("git");
        git.args(["clone", "--quiet", "--no-checkout", "--", &remote])
            .arg(dir);
        Ok(git.status()?.success())
    }

    fn checkout(&self, ev: &PushEvent, dir: &Path) -> io::Result<bool> {
        if cfg!(windows) {
            let script = format!(
                "git fetch origin {}; git checkout -q FETCH_HEAD",
                ev.git_ref
            );
            let mut ps = Command::new("powershell");
            ps.current_dir(dir).arg("-NoProfile");
            ps.args(["-Command", &script]); //~ command-injection
            return Ok(ps.status()?.success());
        }
        let mut git = Command::new("git");
        git.args(["checkout", "-q", "--detach", &ev.after])
            .current_dir(dir);
        Ok(git.status()?.success())
    }

    fn run(&self, dir: &Path, log_path: &Path) -> io::Result<bool> {
        let log = File::create(log_path)?;
        let mut make = Command::new("make");
        make.arg("ci")
            .current_dir(dir)
            .stdout(log.try_clone()?)
            .stderr(log);
        Ok(make.status()?.success())
    }

    fn mail_failure(&self, ev: &PushEvent, log_path: &Path) -> io::Result<()> {
        let script = format!(
            "mail -s 'CI failed: {}' ci-alerts@example.com < {}",
            ev.repository.full_name,
            log_path.display()
        );
        let mut sh = Command::new("sh");
        sh.stdin(Stdio::null());
        sh.arg("-c").arg(&script).status()?; //~ command-injection
        Ok(())
    }

    fn mail_success(&self, ev: &PushEvent, log_path: &Path) -> io::Result<()> {
        let subject = format!("CI passed: {}", ev.repository.full_name);
        let mut mail = Command::new("mail");
        mail.arg("-s")
            .arg(&subject)
            .arg("ci-builds@example.com")
            .stdin(File::open(log_path)?);
        mail.status()?;
        Ok(())
    }

    fn report(&self, ev: &PushEvent, ok: bool) -> Result<(), ureq::Error> {
        let url = format!("http://{DASHBOARD}/app/rest/builds");
        let body =
            serde_json::json!({ "repo": ev.repository.full_name, "sha": ev.after, "ok": ok });
        let req = ureq::post(&url).set("X-Dashboard-User", &self.dash_user);
        let req = req.set("X-Dashboard-Password", &self.dash_password);
        req.send_json(body)?; //~ cleartext-url
        Ok(())
    }

    fn upload_log(&self, log_path: &Path) -> Result<(), ureq::Error> {
        let bearer = format!("Bearer {}", self.deploy_token);
        let req = ureq::post(ARTIFACTS).set("Authorization", &bearer);
        req.send(File::open(log_path).map_err(ureq::Error::from)?)?;
        Ok(())
    }

    fn build(&self, ev: PushEvent) -> io::Result<()> {
        if !is_commit_id(&ev.after) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad commit id"));
        }
        let dir = self.work_root.join(&ev.after[..12]);
        let log_path = dir.with_extension("log");
        let ok =
            self.clone(&ev, &dir)? && self.checkout(&ev, &dir)? && self.run(&dir, &log_path)?;
        if ok {
            self.mail_success(&ev, &log_path)?;
        } else {
            self.mail_failure(&ev, &log_path)?;
        }
        let reported = self
            .report(&ev, ok)
            .and_then(|_| self.upload_log(&log_path));
        reported.map_err(io::Error::other)
    }
}

async fn on_push(mut req: Request<Runner>) -> tide::Result {
    let ev: PushEvent = req.body_json().await?;
    let runner = req.state().clone();
    async_std::task::spawn_blocking(move || {
        if let Err(e) = runner.build(ev) {
            log::error!("build failed: {e}");
        }
    });
    Ok(Response::new(StatusCode::Accepted))
}

#[async_std::main]
async fn main() -> tide::Result<()> {
    env_logger::init();
    let mut app = tide::with_state(Runner::from_env()?);
    app.at("/hooks/push").post(on_push);
    app.listen("0.0.0.0:8088").await?;
    Ok(())
}
