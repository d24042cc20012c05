use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes128Gcm, Nonce};
use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

const CACHE_KEY: &[u8; 16] = b"cli-cache-key-01"; //~ hardcoded-crypto-key

#[derive(Parser)]
#[command(name = "acmectl")]
struct Cli {
    #[arg(long, env = "ACME_API", default_value = "https://api.acme.example")]
    api: String,
    #[arg(long)]
    verbose: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Login { user: String, #[arg(long)] save_password: bool },
    Token,
}

#[derive(Deserialize)]
struct AuthResponse {
    access_token: String,
    refresh_token: String,
    expires_in: u64,
}

#[derive(Serialize, Deserialize, Default)]
struct Profile {
    user: String,
    api: String,
    password: Option<String>,
}

fn config_dir() -> PathBuf {
    dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("acmectl")
}

struct CredentialCache {
    dir: PathBuf,
}

impl CredentialCache {
    fn save_access_token(&self, token: &str) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let line = format!("access_token={}\n", token);
        fs::write(self.dir.join("credentials"), line) //~ cleartext-storage
    }

    fn save_refresh_token(&self, token: &str) -> std::io::Result<()> {
        let cipher = Aes128Gcm::new(CACHE_KEY.into());
        let nonce = Aes128Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher.encrypt(&nonce, token.as_bytes()).map_err(|_| std::io::Error::other("encrypt"))?;
        let mut f = OpenOptions::new().create(true).write(true).truncate(true).mode(0o600).open(self.dir.join("refresh.bin"))?;
        f.write_all(&nonce)?;
        f.write_all(&sealed)
    }

    fn load_refresh_token(&self) -> Option<String> {
        let raw = fs::read(self.dir.join("refresh.bin")).ok()?;
        let (nonce, ct) = raw.split_at(12);
        let pt = Aes128Gcm::new(CACHE_KEY.into()).decrypt(Nonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(pt).ok()
    }

    fn save_profile(&self, profile: &Profile) -> std::io::Result<()> {
        let f = File::create(self.dir.join("profile.json"))?;
        serde_json::to_writer_pretty(f, profile).map_err(std::io::Error::other) //~ cleartext-storage
    }

    fn save_password_keyring(&self, user: &str, password: &str) -> keyring::Result<()> {
        keyring::Entry::new("acmectl", user)?.set_password(password)
    }
}

fn prompt_password(verbose: bool) -> String {
    let pw = rpassword::prompt_password("Password: ").unwrap_or_default();
    if verbose {
        log::trace!("read password from prompt: {}", pw); //~ cleartext-logging
    }
    pw
}

fn authenticate(api: &str, user: &str, password: &str, verbose: bool) -> Result<AuthResponse, Box<dyn std::error::Error>> {
    let resp: AuthResponse = ureq::post(&format!("{}/oauth/token", api))
        .send_form(&[("grant_type", "password"), ("username", user), ("password", password)])?
        .into_json()?;
    if verbose {
        eprintln!("auth ok: expires_in={} access_token={}", resp.expires_in, resp.access_token); //~ cleartext-logging
        eprintln!("refresh token length {}", resp.refresh_token.len());
    }
    Ok(resp)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let cache = CredentialCache { dir: config_dir() };
    match cli.cmd {
        Cmd::Login { user, save_password } => {
            let password = prompt_password(cli.verbose);
            let auth = authenticate(&cli.api, &user, &password, cli.verbose)?;
            cache.save_access_token(&auth.access_token)?;
            cache.save_refresh_token(&auth.refresh_token)?;
            let mut profile = Profile { user: user.clone(), api: cli.api.clone(), password: None };
            if save_password {
                if cache.save_password_keyring(&user, &password).is_err() {
                    profile.password = Some(password.clone());
                }
            }
            cache.save_profile(&profile)?;
            println!("logged in as {}", user);
        }
        Cmd::Token => match cache.load_refresh_token() {
            Some(t) => println!("refresh token cached ({} chars)", t.len()),
            None => println!("no cached token"),
        },
    }
    Ok(())
}
