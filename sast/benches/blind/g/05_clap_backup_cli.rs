use clap::Parser;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitStatus};

#[derive(Parser, Debug)]
#[command(name = "snapback", version, about = "Directory snapshot tool")]
struct Args {
    #[arg(long)]
    source: String,
    #[arg(long)]
    dest: String,
    #[arg(long)]
    post_hook: Option<String>,
    #[arg(long, default_value = "gzip")]
    compressor: String,
    #[arg(long)]
    restore_from: Option<PathBuf>,
    #[arg(long)]
    pipe: bool,
}

struct BackupJob {
    source: String,
    dest: String,
    post_hook: Option<String>,
}

fn check(status: ExitStatus, what: &str) -> io::Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::Other, format!("{} failed: {}", what, status)))
    }
}

impl BackupJob {
    fn from_args(a: &Args) -> Self {
        BackupJob { source: a.source.clone(), dest: a.dest.clone(), post_hook: a.post_hook.clone() }
    }

    fn archive_piped(&self) -> io::Result<()> {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("tar cf - {} | gzip -c > {}", self.source, self.dest)) //~ command-injection
            .status()?;
        check(status, "tar pipeline")
    }

    fn archive(&self) -> io::Result<()> {
        let status = Command::new("tar").arg("czf").arg(&self.dest).arg("--").arg(&self.source).status()?;
        check(status, "tar")
    }

    fn run_hook(&self) -> io::Result<()> {
        match &self.post_hook {
            Some(hook) => {
                let status = Command::new("bash").args(["-c", hook.as_str()]).env("SNAP_DEST", &self.dest).status()?; //~ command-injection
                check(status, "post hook")
            }
            None => Ok(()),
        }
    }
}

fn compressor_from_env() -> String {
    std::env::var("SNAPBACK_COMPRESSOR").unwrap_or_else(|_| "gzip".to_string())
}

fn recompress(path: &str) -> io::Result<()> {
    let program = compressor_from_env();
    let status = Command::new(program).arg("-9").arg(path).status()?; //~ command-injection
    check(status, "compressor")
}

fn recompress_with(path: &str, requested: &str) -> io::Result<()> {
    let program = match requested {
        "gzip" | "xz" | "zstd" => requested,
        other => return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("unsupported: {}", other))),
    };
    let status = Command::new(program).arg("-9").arg(path).status()?;
    check(status, program)
}

fn confined(root: &Path, name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.is_absolute() || p.components().any(|c| matches!(c, Component::ParentDir)) {
        return None;
    }
    Some(root.join(p))
}

fn restore_checked(manifest: &Path, dest_root: &Path) -> io::Result<usize> {
    let mut restored = 0;
    for line in BufReader::new(File::open(manifest)?).lines() {
        let line = line?;
        let (name, contents) = line.split_once('\t').unwrap_or((line.as_str(), ""));
        if let Some(target) = confined(dest_root, name) {
            fs::write(target, contents)?;
            restored += 1;
        }
    }
    Ok(restored)
}

fn restore_fast(manifest: &Path, dest_root: &Path) -> io::Result<usize> {
    let reader = BufReader::new(File::open(manifest)?);
    let mut restored = 0;
    for line in reader.lines().map_while(Result::ok) {
        let (name, contents) = line.split_once('\t').unwrap_or((line.as_str(), ""));
        fs::write(dest_root.join(name), contents)?; //~ path-traversal
        restored += 1;
    }
    Ok(restored)
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let job = BackupJob::from_args(&args);
    if let Some(manifest) = &args.restore_from {
        let root = Path::new(&args.dest);
        let n = if args.pipe { restore_fast(manifest, root)? } else { restore_checked(manifest, root)? };
        println!("restored {} entries", n);
        return Ok(());
    }
    if args.pipe {
        job.archive_piped()?;
        recompress(&job.dest)?;
    } else {
        job.archive()?;
        recompress_with(&job.dest, &args.compressor)?;
    }
    job.run_hook()
}
