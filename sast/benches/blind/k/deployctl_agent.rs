//! `deployctl chatops`: executes deploy commands relayed from the team chat bot.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use clap::Parser;
use serde::Deserialize;
use tokio::fs;
use tokio::process::Command;

const HOOK_DIR: &str = "/opt/deployctl/hooks";

#[derive(Parser, Debug)]
#[command(name = "deployctl", about = "ChatOps deploy runner")]
struct Cli {
    /// Path to the chat command JSON written by the bot relay.
    #[arg(long)]
    event: PathBuf,
    /// Working copy to deploy from.
    #[arg(long, default_value = "/srv/deploy/checkout")]
    workdir: PathBuf,
    #[arg(long)]
    verbose: bool,
}

#[derive(Deserialize)]
struct ChatCommand {
    user: String,
    channel: String,
    text: String,
}

/// `deploy <service> <env> [ref] [hook]`
struct DeployRequest {
    service: String,
    env: String,
    git_ref: String,
    hook: Option<String>,
}

#[derive(Deserialize)]
struct RegistryLogin {
    registry: String,
    username: String,
    password: String,
}

fn parse_request(cmd: &ChatCommand) -> anyhow::Result<DeployRequest> {
    let mut words = cmd.text.split_whitespace();
    anyhow::ensure!(words.next() == Some("deploy"), "not a deploy command");
    let service = words
        .next()
        .ok_or_else(|| anyhow::anyhow!("missing service"))?;
    let env = words.next().unwrap_or("staging");
    Ok(DeployRequest {
        service: service.to_string(),
        env: env.to_string(),
        git_ref: words.next().unwrap_or("main").to_string(),
        hook: words.next().map(str::to_string),
    })
}

fn namespace_for(env: &str) -> Option<&'static str> {
    match env {
        "staging" => Some("apps-staging"),
        "production" | "prod" => Some("apps-prod"),
        _ => None,
    }
}

fn is_plain_ref(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
}

async fn load_json<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<T> {
    Ok(serde_json::from_slice(&fs::read(path).await?)?)
}

async fn registry_login() -> anyhow::Result<RegistryLogin> {
    let home = std::env::var("HOME")?;
    load_json(&Path::new(&home).join(".deployctl/registry.json")).await
}

async fn checkout(workdir: &Path, git_ref: &str) -> anyhow::Result<()> {
    let script = format!(
        "git fetch origin {0} && git checkout -f FETCH_HEAD",
        git_ref
    );
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(&script).current_dir(workdir); //~ command-injection
    let status = sh.status().await?;
    anyhow::ensure!(status.success(), "checkout failed");
    Ok(())
}

async fn checkout_validated(workdir: &Path, git_ref: &str) -> anyhow::Result<()> {
    anyhow::ensure!(is_plain_ref(git_ref), "refusing suspicious ref {git_ref:?}");
    let status = Command::new("git")
        .args(["fetch", "origin"])
        .arg(git_ref)
        .current_dir(workdir)
        .status()
        .await?;
    anyhow::ensure!(status.success(), "fetch failed");
    Ok(())
}

async fn run_hook(workdir: &Path, hook: &str) -> anyhow::Result<()> {
    let program = format!("{}/{}", HOOK_DIR, hook);
    let mut cmd = Command::new(program); //~ command-injection
    cmd.current_dir(workdir).stdin(Stdio::null());
    anyhow::ensure!(cmd.status().await?.success(), "hook failed");
    Ok(())
}

async fn rollout(service: &str, env: &str) -> anyhow::Result<()> {
    let ns = namespace_for(env).ok_or_else(|| anyhow::anyhow!("unknown env {env}"))?;
    anyhow::ensure!(is_plain_ref(service), "bad service name");
    let status = Command::new("kubectl")
        .args(["rollout", "restart", "-n", ns])
        .arg(format!("deployment/{}", service))
        .status()
        .await?;
    anyhow::ensure!(status.success(), "rollout failed");
    Ok(())
}

async fn compose_up(workdir: &Path, project: &str) -> anyhow::Result<()> {
    let line = format!("docker compose -p {} up -d --remove-orphans", project);
    let mut sh = Command::new("/bin/sh");
    let out = sh.args(["-c", &line]).current_dir(workdir).output().await?; //~ command-injection
    anyhow::ensure!(out.status.success(), "compose failed");
    Ok(())
}

async fn docker_login(login: &RegistryLogin, verbose: bool) -> anyhow::Result<()> {
    if verbose {
        let (user, pass) = (&login.username, &login.password);
        log::debug!("docker login user={} pass={}", user, pass); //~ cleartext-logging
    }
    let mut child = Command::new("docker")
        .args([
            "login",
            "--username",
            &login.username,
            "--password-stdin",
            &login.registry,
        ])
        .stdin(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        stdin.write_all(login.password.as_bytes()).await?;
    }
    anyhow::ensure!(child.wait().await?.success(), "docker login failed");
    Ok(())
}

async fn remember_login(login: &RegistryLogin) -> anyhow::Result<()> {
    let cache = Path::new("/var/cache/deployctl/last-login.env");
    let body = format!(
        "REGISTRY={}\nUSER={}\nPASSWORD={}\n",
        login.registry, login.username, login.password
    );
    fs::write(cache, body).await?; //~ cleartext-storage
    Ok(())
}

async fn record_deploy(
    workdir: &Path,
    cmd: &ChatCommand,
    req: &DeployRequest,
) -> anyhow::Result<()> {
    let line = format!(
        "{} #{} {} {}\n",
        cmd.user, cmd.channel, req.service, req.env
    );
    fs::write(workdir.join(".deployctl-last"), line).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    env_logger::init();
    let chat: ChatCommand = load_json(&cli.event).await?;
    let req = parse_request(&chat)?;
    if req.env == "production" {
        checkout_validated(&cli.workdir, &req.git_ref).await?;
    } else {
        checkout(&cli.workdir, &req.git_ref).await?;
    }
    if let Some(hook) = &req.hook {
        run_hook(&cli.workdir, hook).await?;
    }
    let login = registry_login().await?;
    docker_login(&login, cli.verbose).await?;
    remember_login(&login).await?;
    if req.env == "local" {
        compose_up(&cli.workdir, &req.service).await?;
    } else {
        rollout(&req.service, &req.env).await?;
    }
    record_deploy(&cli.workdir, &chat, &req).await?;
    println!("{} deployed {} to {}", chat.user, req.service, req.env);
    Ok(())
}
