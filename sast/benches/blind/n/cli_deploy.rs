//! `shipit`: deploy services to the self-hosted platform.

use clap::{Args, Parser, Subcommand};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "shipit")]
struct Cli {
    #[arg(
        long,
        env = "SHIPIT_SERVER",
        default_value = "https://deploy.example.net"
    )]
    server: String,
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    Login(LoginArgs),
    Deploy(DeployArgs),
    Restart { service: String },
}

#[derive(Args)]
struct LoginArgs {
    #[arg(long)]
    username: String,
    #[arg(long)]
    legacy: bool,
}

#[derive(Args, Debug)]
struct DeployArgs {
    service: String,
    #[arg(long)]
    image: String,
    #[arg(long, env = "SHIPIT_REGISTRY_PASSWORD")]
    registry_password: String,
}

#[derive(Serialize, Deserialize, Default)]
struct StoredProfile {
    server: String,
    username: String,
    password: String,
}

struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

fn config_dir() -> PathBuf {
    dirs::home_dir().unwrap_or_default().join(".shipit")
}

fn read_password() -> io::Result<String> {
    eprint!("password: ");
    io::stderr().flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end().to_owned())
}

fn http_agent() -> ureq::Agent {
    let tls = native_tls::TlsConnector::builder()
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()
        .expect("tls connector");
    ureq::AgentBuilder::new()
        .tls_connector(Arc::new(tls))
        .build()
}

fn challenge_response(password: &str, nonce: &str) -> String {
    hex::encode(Md5::digest(format!("{nonce}:{password}").as_bytes())) //~ weak-hash
}

fn save_profile(profile: &StoredProfile) -> io::Result<()> {
    std::fs::create_dir_all(config_dir())?;
    let text = toml::to_string(profile).map_err(|e| io::Error::new(io::ErrorKind::Other, e))?;
    std::fs::write(config_dir().join("profile.toml"), text) //~ cleartext-storage
}

fn save_token(username: &str, token: &Token) -> io::Result<()> {
    let entry = keyring::Entry::new("shipit", username)
        .map_err(|e| io::Error::new(io::ErrorKind::Other, e))?;
    entry
        .set_password(&token.0)
        .map_err(|e| io::Error::new(io::ErrorKind::Other, e))
}

fn cache_token(token: &Token) -> io::Result<()> {
    let mut f = std::fs::File::create(config_dir().join("token.cache"))?;
    writeln!(f, "{}", token.0) //~ cleartext-storage
}

fn login(server: &str, args: &LoginArgs) -> Result<(), Box<dyn std::error::Error>> {
    let password = read_password()?;
    let agent = http_agent();
    let token = if args.legacy {
        let nonce = agent
            .get(&format!("{server}/legacy/nonce"))
            .call()?
            .into_string()?;
        let proof = challenge_response(&password, &nonce);
        let body = agent
            .post(&format!("{server}/legacy/login"))
            .send_form(&[("user", &args.username), ("proof", &proof)])?;
        save_profile(&StoredProfile {
            server: server.into(),
            username: args.username.clone(),
            password: password.clone(),
        })?;
        Token(body.into_string()?)
    } else {
        let body = agent
            .post(&format!("{server}/v2/login"))
            .send_json(ureq::json!({ "user": args.username, "password": password }))?;
        Token(body.into_string()?)
    };
    println!("logged in as {} ({:?})", args.username, token);
    save_token(&args.username, &token)?;
    if std::env::var_os("SHIPIT_CI").is_some() {
        cache_token(&token)?;
        announce_ci_token(&token);
    }
    Ok(())
}

fn announce_ci_token(token: &Token) {
    println!("CI mode: token {}", token.0); //~ cleartext-logging
}

fn run_pre_deploy_hook(service: &str) -> io::Result<()> {
    if let Ok(hook) = std::env::var("SHIPIT_PRE_DEPLOY") {
        let line = format!("{hook} {service}");
        let status = Command::new("sh").arg("-c").arg(&line).status()?; //~ command-injection
        if !status.success() {
            return Err(io::Error::new(
                io::ErrorKind::Other,
                "pre-deploy hook failed",
            ));
        }
    }
    Ok(())
}

fn deploy(server: &str, args: &DeployArgs) -> Result<(), Box<dyn std::error::Error>> {
    log::debug!("deploy request: {:?}", args); //~ cleartext-logging
    log::info!("deploying {} with image {}", args.service, args.image);
    run_pre_deploy_hook(&args.service)?;
    http_agent()
        .post(&format!(
            "{server}/v2/services/{}/deploy",
            urlencoding::encode(&args.service)
        ))
        .send_json(
            ureq::json!({ "image": args.image, "registry_password": args.registry_password }),
        )?;
    Ok(())
}

fn restart(service: &str) -> io::Result<bool> {
    let valid = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let status = if valid {
        Command::new("kubectl")
            .args(["rollout", "restart", &format!("deployment/{service}")])
            .status()?
    } else {
        let script = format!("kubectl rollout restart deployment/{service} && kubectl rollout status deployment/{service}");
        Command::new("bash").arg("-lc").arg(&script).status()? //~ command-injection
    };
    Ok(status.success())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    let cli = Cli::parse();
    match &cli.command {
        Commands::Login(args) => login(&cli.server, args)?,
        Commands::Deploy(args) => deploy(&cli.server, args)?,
        Commands::Restart { service } => {
            if !restart(service)? {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
