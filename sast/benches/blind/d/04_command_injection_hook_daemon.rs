// Scenario: a deploy-hook daemon that reads JSON job descriptions from stdin
// (one per line, written by a CI webhook relay) and runs post-deploy tools.
use serde::Deserialize;
use std::io::{self, BufRead};
use std::process::{Command, ExitStatus};

#[derive(Deserialize, Debug)]
struct Job {
    tool: String,
    branch: String,
    notify: Option<String>,
}

struct Runner {
    workdir: String,
}

impl Runner {
    fn tool_path(name: &str) -> Option<&'static str> {
        match name {
            "migrate" => Some("/usr/local/bin/migrate"),
            "warm-cache" => Some("/usr/local/bin/warm-cache"),
            _ => None,
        }
    }

    fn run_known(&self, job: &Job) -> io::Result<ExitStatus> {
        let bin = Self::tool_path(&job.tool)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "unknown tool"))?;
        Command::new(bin)
            .current_dir(&self.workdir)
            .arg("--branch")
            .arg(&job.branch)
            .status()
    }

    fn run_custom(&self, job: &Job) -> io::Result<ExitStatus> {
        Command::new(&job.tool).current_dir(&self.workdir).status() //~ command-injection
    }

    fn checkout(&self, branch: &str) -> io::Result<ExitStatus> {
        let line = format!("cd {} && git fetch && git checkout {}", self.workdir, branch);
        Command::new("sh").args(&["-c", &line]).status() //~ command-injection
    }

    fn notify(&self, job: &Job) {
        if let Some(cmd) = job.notify.as_ref().map(|n| format!("notify-send 'deploy' '{}'", n)) {
            let _ = Command::new("sh").arg("-c").arg(cmd).status(); //~ command-injection
        }
    }

    fn log_rotate(&self) -> io::Result<ExitStatus> {
        Command::new("sh")
            .arg("-c")
            .arg("logrotate /etc/deployd/logrotate.conf")
            .status()
    }
}

fn main() -> io::Result<()> {
    let runner = Runner { workdir: "/srv/app".to_string() };
    let stdin = io::stdin();
    for line in stdin.lock().lines() {
        let line = line?;
        let job: Job = match serde_json::from_str(&line) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("bad job: {}", e);
                continue;
            }
        };
        runner.checkout(&job.branch)?;
        let status = if Runner::tool_path(&job.tool).is_some() {
            runner.run_known(&job)?
        } else {
            runner.run_custom(&job)?
        };
        runner.notify(&job);
        if !status.success() {
            runner.log_rotate()?;
        }
    }
    Ok(())
}
