// Scenario: `login` subcommand of a CLI client for a hosted registry. It asks
// for credentials on stdin, obtains a token and caches it under ~/.config.
use serde::Serialize;
use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, Write};
use std::path::PathBuf;

#[derive(Serialize)]
struct Profile<'a> {
    registry: &'a str,
    username: &'a str,
}

#[derive(Serialize)]
struct SavedLogin {
    username: String,
    password: String,
}

fn config_dir() -> PathBuf {
    dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("regctl")
}

fn prompt(label: &str) -> io::Result<String> {
    print!("{}: ", label);
    io::stdout().flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end().to_string())
}

fn save_profile(registry: &str, username: &str) -> io::Result<()> {
    let p = Profile { registry, username };
    let body = toml::to_string(&p).expect("toml");
    fs::write(config_dir().join("profile.toml"), body)
}

fn cache_token(token: &str) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(config_dir().join("token"))?;
    writeln!(f, "{}", token) //~ cleartext-storage
}

fn remember(username: String, password: String) -> io::Result<()> {
    let saved = SavedLogin { username, password };
    let json = serde_json::to_string_pretty(&saved).expect("json");
    fs::write(config_dir().join("login.json"), json) //~ cleartext-storage
}

fn exchange(username: &str, password: &str) -> Option<String> {
    let resp = ureq::post("https://registry.example.com/v2/token")
        .send_json(serde_json::json!({ "user": username, "pass": password }))
        .ok()?;
    resp.into_string().ok()
}

fn main() -> io::Result<()> {
    fs::create_dir_all(config_dir())?;
    let registry = "registry.example.com";
    let username = prompt("Username")?;
    let password = rpassword::prompt_password("Password: ")?;

    save_profile(registry, &username)?;
    match exchange(&username, &password) {
        Some(token) => cache_token(&token)?,
        None => {
            eprintln!("login failed");
            std::process::exit(1);
        }
    }
    if prompt("Remember password? [y/N]")?.eq_ignore_ascii_case("y") {
        remember(username.clone(), password)?;
    }
    let mut history = OpenOptions::new()
        .create(true)
        .append(true)
        .open(config_dir().join("history.log"))?;
    writeln!(history, "login {} @ {}", username, registry)?;
    Ok(())
}
