// clap backup tool: paths and a compressor name from CLI/env are assembled into shell commands.
use clap::Parser;
use std::env;
use std::path::Path;
use std::process::{Command, ExitStatus};

#[derive(Parser, Debug)]
#[command(version, about = "Archive a directory and ship it somewhere")]
struct Args {
    /// directory to archive
    #[arg(short, long)]
    source: String,
    /// destination, e.g. user@host:/backups
    #[arg(short, long)]
    dest: String,
    /// optional extra tar flags
    #[arg(long, default_value = "")]
    tar_flags: String,
}

fn compressor() -> String {
    env::var("BACKUP_COMPRESSOR").unwrap_or_else(|_| "gzip".to_string())
}

fn build_pipeline(args: &Args) -> String {
    let mut cmd = String::new();
    cmd.push_str("tar ");
    cmd.push_str(&args.tar_flags);
    cmd.push_str(" -cf - ");
    cmd.push_str(&args.source);
    cmd.push_str(" | ");
    cmd.push_str(&compressor());
    cmd.push_str(" > /tmp/backup.tar.gz");
    cmd
}

fn run_shell(script: &str) -> std::io::Result<ExitStatus> {
    Command::new("sh").args(["-c", script]).status() //~ command-injection
}

fn run_hook() -> std::io::Result<()> {
    if let Ok(hook) = env::var("BACKUP_POST_HOOK") {
        Command::new(hook).status()?; //~ command-injection
    }
    Ok(())
}

// SAFE: fixed binary, every user value is its own argument.
fn upload(dest: &str) -> std::io::Result<ExitStatus> {
    Command::new("scp")
        .arg("-q")
        .arg("--")
        .arg("/tmp/backup.tar.gz")
        .arg(dest)
        .status()
}

// SAFE: compressor checked against an allow-list, then used as program name directly.
fn verify_archive() -> std::io::Result<ExitStatus> {
    let c = compressor();
    let prog = match c.as_str() {
        "gzip" => "gzip",
        "xz" => "xz",
        "zstd" => "zstd",
        _ => return Err(std::io::Error::new(std::io::ErrorKind::Other, "bad compressor")),
    };
    Command::new(prog).args(["-t", "/tmp/backup.tar.gz"]).status()
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    if !Path::new(&args.source).is_dir() {
        eprintln!("source must be a directory");
        std::process::exit(2);
    }
    let pipeline = build_pipeline(&args);
    let st = run_shell(&pipeline)?;
    if !st.success() {
        std::process::exit(st.code().unwrap_or(1));
    }
    verify_archive()?;
    upload(&args.dest)?;
    run_hook()?;
    Ok(())
}
