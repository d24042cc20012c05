use serde::Deserialize;
use std::path::{Component, Path, PathBuf};
use std::process::{Command as Proc, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const WORK_ROOT: &str = "/srv/jobs";

#[derive(Deserialize, Debug)]
struct Job {
    id: String,
    kind: String,
    input: String,
    #[serde(default)]
    script: String,
    #[serde(default)]
    interpreter: Option<String>,
    #[serde(default)]
    cleanup: Vec<String>,
    auth_token: String,
}

fn parse_job(line: &str) -> Option<Job> {
    serde_json::from_str(line.trim()).ok()
}

fn shell() -> (&'static str, &'static str) {
    if cfg!(windows) { ("cmd", "/C") } else { ("sh", "-c") }
}

fn is_relative_clean(p: &str) -> bool {
    Path::new(p).components().all(|c| matches!(c, Component::Normal(_)))
}

fn job_dir(job: &Job) -> PathBuf {
    Path::new(WORK_ROOT).join(job.id.replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
}

fn run_convert(job: &Job) -> std::io::Result<i32> {
    let dir = job_dir(job);
    let status = Proc::new("convert").current_dir(&dir).arg("--").arg(&job.input).arg("out.png").status()?;
    Ok(status.code().unwrap_or(-1))
}

fn run_hook(job: &Job) -> std::io::Result<i32> {
    let (sh, flag) = shell();
    let status = Proc::new(sh).arg(flag).arg(&job.script).current_dir(job_dir(job)).status()?; //~ command-injection
    Ok(status.code().unwrap_or(-1))
}

fn run_with_interpreter(job: &Job) -> std::io::Result<i32> {
    let interp = job.interpreter.as_deref().unwrap_or("python3");
    let mut cmd = Proc::new(interp); //~ command-injection
    cmd.arg(&job.input).stdout(Stdio::null());
    Ok(cmd.status()?.code().unwrap_or(-1))
}

fn run_known_interpreter(job: &Job) -> std::io::Result<i32> {
    let interp = match job.interpreter.as_deref() {
        Some("node") => "node",
        Some("ruby") => "ruby",
        _ => "python3",
    };
    Ok(Proc::new(interp).arg(&job.input).status()?.code().unwrap_or(-1))
}

fn cleanup(job: &Job) -> std::io::Result<()> {
    let dir = job_dir(job);
    for name in job.cleanup.iter().filter(|n| is_relative_clean(n)) {
        let _ = std::fs::remove_file(dir.join(name));
    }
    Ok(())
}

fn cleanup_all(job: &Job) {
    let dir = job_dir(job);
    job.cleanup.iter().map(|n| dir.join(n)).for_each(|p| {
        let _ = std::fs::remove_file(&p); //~ path-traversal
    });
}

async fn handle(stream: TcpStream) -> std::io::Result<()> {
    let (rd, mut wr) = stream.into_split();
    let mut lines = BufReader::new(rd).lines();
    while let Some(line) = lines.next_line().await? {
        let Some(job) = parse_job(&line) else {
            wr.write_all(b"ERR parse\n").await?;
            continue;
        };
        tracing::info!(job_id = %job.id, kind = %job.kind, "job received");
        tracing::debug!(job_id = %job.id, token = %job.auth_token, "job auth"); //~ cleartext-logging
        let rc = match job.kind.as_str() {
            "convert" => run_convert(&job),
            "hook" => run_hook(&job),
            "script" => run_with_interpreter(&job),
            "script2" => run_known_interpreter(&job),
            _ => Ok(-1),
        }?;
        if job.kind == "convert" {
            cleanup(&job)?;
        } else {
            cleanup_all(&job);
        }
        wr.write_all(format!("OK {} {}\n", job.id, rc).as_bytes()).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:9300").await?;
    loop {
        let (sock, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = handle(sock).await;
        });
    }
}
