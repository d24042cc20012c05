// `pgvault` operator CLI: dumps tenant databases, compresses and ships archives, and
// prunes the backup catalogue kept in the ops Postgres instance.
use clap::{Parser, Subcommand};
use postgres::Client;
use postgres_native_tls::MakeTlsConnector;
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[derive(Parser)]
#[command(name = "pgvault", version)]
struct Cli {
    #[arg(
        long,
        env = "PGVAULT_CATALOG",
        default_value = "postgres://ops@localhost/vault"
    )]
    catalog: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Backup {
        #[arg(long)]
        database: String,
        #[arg(long, default_value = "/srv/backups")]
        dest: PathBuf,
        #[arg(long, default_value = "gzip")]
        compressor: String,
    },
    Ship {
        #[arg(long)]
        archive: String,
        #[arg(long)]
        remote: String,
    },
    Prune {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value_t = 30)]
        keep_days: i32,
    },
}

struct BackupJob<'a> {
    database: &'a str,
    target: String,
}

impl<'a> BackupJob<'a> {
    fn shell_pipeline(&self) -> String {
        format!(
            "pg_dump --format=custom {} | gzip -9 > {}",
            self.database, self.target
        )
    }
}

fn backup(database: &str, dest: &PathBuf, compressor: &str) -> std::io::Result<()> {
    let job = BackupJob {
        database,
        target: dest
            .join(format!("{database}.dump.gz"))
            .display()
            .to_string(),
    };
    if compressor == "gzip" {
        let script = job.shell_pipeline();
        let status = Command::new("sh").arg("-c").arg(&script).status()?; //~ command-injection
        println!("backup finished: {status}");
        return Ok(());
    }
    let mut dump = Command::new("pg_dump")
        .args(["--format=custom", "--dbname"])
        .arg(database)
        .stdout(Stdio::piped())
        .spawn()?;
    let out = std::fs::File::create(&job.target)?;
    let mut comp = Command::new(compressor) //~ command-injection
        .stdin(dump.stdout.take().unwrap())
        .stdout(out)
        .spawn()?;
    comp.wait()?;
    dump.wait()?;
    Ok(())
}

fn ship(archive: &str, remote: &str) -> std::io::Result<()> {
    let tool = match remote.split_once("://").map(|(scheme, _)| scheme) {
        Some("s3") => "aws",
        Some("gs") => "gsutil",
        _ => return Err(std::io::Error::other("unsupported remote")),
    };
    let mut cmd = Command::new(tool);
    if tool == "aws" {
        cmd.arg("s3");
    }
    let status = cmd.arg("cp").arg("--").arg(archive).arg(remote).status()?;
    println!("ship finished: {status}");
    Ok(())
}

fn prune(catalog: &str, tenant: &str, keep_days: i32) -> Result<(), Box<dyn std::error::Error>> {
    let tls = MakeTlsConnector::new(native_tls::TlsConnector::new()?);
    let mut client = Client::connect(catalog, tls)?;
    let rows = client.query(
        "SELECT id FROM backups WHERE tenant = $1 AND created_at < now() - make_interval(days => $2)",
        &[&tenant, &keep_days],
    )?;
    println!("{} archives eligible for pruning", rows.len());
    let stmt = format!(
        "DELETE FROM backups WHERE tenant = '{}' AND pinned = false",
        tenant
    );
    let deleted = client.execute(stmt.as_str(), &[])?; //~ sql-injection
    println!("removed {deleted} catalogue rows");
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    let result: Result<(), Box<dyn std::error::Error>> = match cli.cmd {
        Cmd::Backup {
            database,
            dest,
            compressor,
        } => backup(&database, &dest, &compressor).map_err(Into::into),
        Cmd::Ship { archive, remote } => ship(&archive, &remote).map_err(Into::into),
        Cmd::Prune { tenant, keep_days } => {
            prune(&cli.catalog, &tenant, keep_days).map_err(Into::into)
        }
    };
    if let Err(e) = result {
        eprintln!("pgvault: {e}");
        std::process::exit(1);
    }
}
