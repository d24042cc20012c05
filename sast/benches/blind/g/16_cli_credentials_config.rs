use clap::{Args, Parser, Subcommand};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(name = "appctl")]
struct Cli {
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Subcommand)]
enum Command {
    Login(LoginArgs),
    SetToken { token: String },
    Whoami,
}

#[derive(Args)]
struct LoginArgs {
    #[arg(long)]
    user: String,
    #[arg(long, env = "APPCTL_PASSWORD", hide_env_values = true)]
    password: String,
    #[arg(long, default_value = "https://auth.example.com")]
    endpoint: String,
    #[arg(long)]
    legacy: bool,
    #[arg(long)]
    save_password: bool,
}

struct Profile {
    user: String,
    endpoint: String,
    token: Option<String>,
}

fn config_dir() -> PathBuf {
    dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("appctl")
}

impl Profile {
    fn save(&self, dir: &Path) -> io::Result<()> {
        let mut f = fs::File::create(dir.join("profile.toml"))?;
        writeln!(f, "user = \"{}\"", self.user)?;
        writeln!(f, "endpoint = \"{}\"", self.endpoint)?;
        if let Some(t) = &self.token {
            writeln!(f, "token = \"{}\"", t)?; //~ cleartext-storage
        }
        Ok(())
    }

    fn save_token_keyring(&self) -> Result<(), keyring::Error> {
        if let Some(t) = &self.token {
            keyring::Entry::new("appctl", &self.user)?.set_password(t)?;
        }
        Ok(())
    }
}

fn authenticate(args: &LoginArgs) -> Result<String, Box<dyn std::error::Error>> {
    let form = [("user", args.user.as_str()), ("password", args.password.as_str())];
    let resp = if args.legacy {
        ureq::post("http://auth.example.com/legacy/login").send_form(&form)? //~ cleartext-url
    } else {
        ureq::post(&format!("{}/api/v1/login", args.endpoint.trim_end_matches('/'))).send_form(&form)?
    };
    Ok(resp.into_string()?.trim().to_string())
}

fn remember(args: &LoginArgs) -> io::Result<()> {
    let dir = config_dir();
    let mut hist = OpenOptions::new().create(true).append(true).open(dir.join("history"))?;
    hist.write_all(format!("{} {}\n", args.user, args.endpoint).as_bytes())?;
    if args.save_password {
        fs::write(dir.join(".password"), &args.password)?; //~ cleartext-storage
    }
    Ok(())
}

fn store_token(token: &str) -> io::Result<()> {
    let path = config_dir().join("token");
    fs::write(&path, token.as_bytes()) //~ cleartext-storage
}

fn report_login(args: &LoginArgs, token: &str) {
    log::info!("logged in as {} via {}", args.user, args.endpoint);
    log::debug!("login used password {}", args.password); //~ cleartext-logging
    tracing::trace!(token_len = token.len(), "received session token");
    tracing::trace!(token = %token, user = %args.user, "session token issued"); //~ cleartext-logging
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    let cli = Cli::parse();
    let dir = config_dir();
    fs::create_dir_all(&dir)?;
    match cli.cmd {
        Command::Login(args) => {
            let token = authenticate(&args)?;
            report_login(&args, &token);
            remember(&args)?;
            let profile = Profile { user: args.user.clone(), endpoint: args.endpoint.clone(), token: Some(token) };
            if profile.save_token_keyring().is_err() {
                profile.save(&dir)?;
            } else {
                Profile { token: None, ..profile }.save(&dir)?;
            }
        }
        Command::SetToken { token } => store_token(&token)?,
        Command::Whoami => {
            let text = fs::read_to_string(dir.join("profile.toml"))?;
            for line in text.lines().filter(|l| l.starts_with("user")) {
                println!("{}", line);
            }
        }
    }
    Ok(())
}
