//! `snapvault`: compressed directory snapshots stored in a local vault.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Deserialize;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitStatus};

const VAULT_ROOT: &str = "/var/lib/snapvault";

#[derive(Parser)]
#[command(name = "snapvault", version, about = "Directory snapshots")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Backup(BackupArgs),
    Restore { snapshot: String, dest: PathBuf },
    Login(LoginArgs),
}

#[derive(clap::Args)]
struct BackupArgs {
    source: PathBuf,
    #[arg(long)]
    label: String,
    #[arg(long = "exclude")]
    excludes: Vec<String>,
    #[arg(long, value_enum, default_value_t = Compressor::Zstd)]
    compress: Compressor,
}

#[derive(clap::Args)]
struct LoginArgs {
    endpoint: String,
    user: String,
    #[arg(long)]
    no_keyring: bool,
}

#[derive(Clone, Copy, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Compressor {
    Zstd,
    Gzip,
    None,
}

impl Compressor {
    fn program(self) -> &'static str {
        match self {
            Compressor::Zstd => "zstd",
            Compressor::Gzip => "gzip",
            Compressor::None => "cat",
        }
    }
}

#[derive(Deserialize)]
struct Manifest {
    codec: Option<Compressor>,
    /// Snapshots written by snapvault < 0.4 record the full decompressor command.
    decompressor: Option<String>,
    files: Vec<FileEntry>,
}

#[derive(Deserialize)]
struct FileEntry {
    path: String,
    mode: u32,
}

struct BackupJob {
    args: BackupArgs,
    out: PathBuf,
}

impl BackupJob {
    fn pipeline(&self) -> String {
        let excludes: Vec<String> = self
            .args
            .excludes
            .iter()
            .map(|e| format!(" --exclude={e}"))
            .collect();
        format!(
            "tar -C {} -cf -{} . | {} > {}",
            self.args.source.display(),
            excludes.concat(),
            self.args.compress.program(),
            self.out.display()
        )
    }

    fn run_uncompressed(&self) -> std::io::Result<ExitStatus> {
        Command::new("tar")
            .arg("-C")
            .arg(&self.args.source)
            .arg("-cf")
            .arg(&self.out)
            .args(self.args.excludes.iter().map(|e| format!("--exclude={e}")))
            .arg(".")
            .status()
    }
}

fn run_shell(script: &str) -> std::io::Result<ExitStatus> {
    Command::new("sh").arg("-c").arg(script).status() //~ command-injection
}

fn snapshot_dir(label: &str) -> Result<PathBuf> {
    if label.is_empty() || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        bail!("snapshot labels may only contain letters, digits and '-'");
    }
    Ok(Path::new(VAULT_ROOT).join(label))
}

fn safe_join(base: &Path, rel: &str) -> Result<PathBuf> {
    let rel = Path::new(rel);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("refusing to restore {}", rel.display());
    }
    Ok(base.join(rel))
}

fn decompress_codec(codec: Compressor, archive: &Path, staging: &Path) -> Result<ExitStatus> {
    let out = fs::File::create(staging.join("data.tar"))?;
    let mut cmd = Command::new(codec.program());
    cmd.arg("-dc").arg(archive).stdout(out);
    Ok(cmd.status()?)
}

fn decompress_legacy(command: &str, archive: &Path, staging: &Path) -> Result<ExitStatus> {
    let out = fs::File::create(staging.join("data.tar"))?;
    Ok(Command::new(command).arg(archive).stdout(out).status()?) //~ command-injection
}

fn restore(snapshot: &str, dest: &Path) -> Result<()> {
    let dir = snapshot_dir(snapshot)?;
    let manifest: Manifest = serde_json::from_slice(&fs::read(dir.join("manifest.json"))?)?;
    let staging = tempfile::tempdir()?;
    match (&manifest.codec, &manifest.decompressor) {
        (Some(codec), _) => decompress_codec(*codec, &dir.join("data"), staging.path())?,
        (None, Some(cmd)) => decompress_legacy(cmd, &dir.join("data"), staging.path())?,
        (None, None) => bail!("manifest has no codec"),
    };
    let mut untar = Command::new("tar");
    untar.args(["-xf", "data.tar"]).current_dir(&staging);
    untar.status()?;
    for entry in &manifest.files {
        let target = dest.join(&entry.path);
        fs::copy(staging.path().join(&entry.path), &target)?; //~ path-traversal
        let meta_target = safe_join(dest, &entry.path)?;
        fs::set_permissions(&meta_target, fs::Permissions::from_mode(entry.mode))?;
    }
    Ok(())
}

fn login(args: &LoginArgs) -> Result<()> {
    let password = rpassword::prompt_password("Vault password: ")?;
    let base = dirs::config_dir().context("no config dir")?;
    let dir = base.join("snapvault");
    fs::create_dir_all(&dir)?;
    let mut profile = format!("endpoint = {:?}\nuser = {:?}\n", args.endpoint, args.user);
    if args.no_keyring {
        profile.push_str(&format!("password = {password:?}\n"));
        fs::write(dir.join("profile.toml"), profile)?; //~ cleartext-storage
    } else {
        keyring::Entry::new("snapvault", &args.user)?.set_password(&password)?;
        fs::write(dir.join("profile.toml"), profile)?;
    }
    Ok(())
}

fn backup(args: BackupArgs) -> Result<()> {
    let out = snapshot_dir(&args.label)?.join("data");
    let compress = args.compress;
    let job = BackupJob { args, out };
    let status = match compress {
        Compressor::None => job.run_uncompressed()?,
        _ => run_shell(&job.pipeline())?,
    };
    if !status.success() {
        bail!("backup failed: {status}");
    }
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Backup(args) => backup(args),
        Cmd::Restore { snapshot, dest } => restore(&snapshot, &dest),
        Cmd::Login(args) => login(&args),
    }
}
