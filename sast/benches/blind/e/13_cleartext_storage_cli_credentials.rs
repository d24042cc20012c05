// Scenario: `deployctl`, a clap CLI for a PaaS. `login` exchanges a password
// for an API token and persists profile data under ~/.config/deployctl.
use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

#[derive(Parser)]
struct Cli {
    #[arg(
        long,
        env = "DEPLOYCTL_API",
        default_value = "https://api.deploy.example.com"
    )]
    api: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Login {
        #[arg(long)]
        user: String,
        #[arg(long)]
        pin: Option<String>,
    },
    SetKey {
        key: String,
    },
}

#[derive(Serialize, Deserialize, Default)]
struct Profile {
    api: String,
    user: String,
    password: Option<String>,
    pin_check: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    token: String,
    expires_in: u64,
}

fn config_dir() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("deployctl")
}

fn save_profile(p: &Profile) -> std::io::Result<()> {
    fs::create_dir_all(config_dir())?;
    let text = toml::to_string(p).expect("profile serialises");
    fs::write(config_dir().join("profile.toml"), text) //~ cleartext-storage
}

fn store_token(token: &str, ttl: u64) -> std::io::Result<()> {
    if let Ok(entry) = keyring::Entry::new("deployctl", "api-token") {
        if entry.set_password(token).is_ok() {
            return Ok(());
        }
    }
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(config_dir().join("token"))?;
    writeln!(f, "ttl={}", ttl)?;
    writeln!(f, "token={}", token) //~ cleartext-storage
}

fn login(api: &str, user: &str, pin: Option<String>) -> Result<(), Box<dyn std::error::Error>> {
    let password = rpassword::prompt_password(format!("password for {}: ", user))?;
    let resp: TokenResponse = reqwest::blocking::Client::new()
        .post(format!("{}/v1/sessions", api))
        .json(&serde_json::json!({ "user": user, "password": password }))
        .send()?
        .error_for_status()?
        .json()?;
    let pin_check = pin.map(|p| hex::encode(Sha1::digest(p.as_bytes()))); //~ weak-hash
    let profile = Profile {
        api: api.to_string(),
        user: user.to_string(),
        password: Some(password),
        pin_check,
    };
    save_profile(&profile)?;
    store_token(&resp.token, resp.expires_in)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Login { user, pin } => login(&cli.api, &user, pin)?,
        Cmd::SetKey { key } => {
            let path = config_dir().join("api_key");
            fs::create_dir_all(config_dir())?;
            let mut f = OpenOptions::new()
                .create(true)
                .append(false)
                .write(true)
                .open(&path)?;
            f.write_all(key.trim().as_bytes())?; //~ cleartext-storage
            let public = Profile {
                api: cli.api.clone(),
                user: String::new(),
                ..Default::default()
            };
            fs::write(
                config_dir().join("defaults.toml"),
                toml::to_string(&public)?,
            )?;
        }
    }
    Ok(())
}
