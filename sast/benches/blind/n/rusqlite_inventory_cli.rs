//! `stockctl`: command-line tool for the warehouse inventory database.

use clap::{Parser, Subcommand};
use rusqlite::{params, Connection, OptionalExtension};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Parser)]
#[command(name = "stockctl", version)]
struct Cli {
    #[arg(long, default_value = "inventory.db")]
    db: PathBuf,
    #[arg(long, default_value = "/var/lib/stockctl/reports")]
    reports: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Count { category: String },
    Find { sku: String },
    Adjust { sku: String, delta: i64 },
    Rename { sku: String, label: String },
    Report { name: String, category: String },
    Snapshot { name: String },
    Sync { supplier: String },
}

struct Inventory {
    conn: Connection,
    reports_dir: PathBuf,
}

impl Inventory {
    fn open(db: &Path, reports_dir: PathBuf) -> rusqlite::Result<Self> {
        let conn = Connection::open(db)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS items (sku TEXT PRIMARY KEY, label TEXT, category TEXT, qty INTEGER)",
        )?;
        Ok(Self { conn, reports_dir })
    }

    fn count_in(&self, category: &str) -> rusqlite::Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM items WHERE category = '{category}'");
        self.conn.query_row(&sql, [], |row| row.get(0)) //~ sql-injection
    }

    fn find(&self, sku: &str) -> rusqlite::Result<Option<(String, i64)>> {
        self.conn
            .query_row(
                "SELECT label, qty FROM items WHERE sku = ?1",
                params![sku],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
    }

    fn adjust(&self, sku: &str, delta: i64) -> rusqlite::Result<usize> {
        let sql = format!("UPDATE items SET qty = qty + {delta} WHERE sku = ?1");
        self.conn.execute(&sql, params![sku])
    }

    fn rename(&self, sku: &str, label: &str) -> rusqlite::Result<usize> {
        let sql = rename_statement(sku, label);
        self.conn.execute(&sql, []) //~ sql-injection
    }

    fn rows_for(&self, category: &str) -> rusqlite::Result<Vec<(String, String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT sku, label, qty FROM items WHERE category = ?1 ORDER BY sku")?;
        let rows = stmt.query_map(params![category], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }

    fn write_report(&self, name: &str, csv: &str) -> std::io::Result<PathBuf> {
        let target = self.reports_dir.join(format!("{name}.csv"));
        fs::write(&target, csv)?; //~ path-traversal
        Ok(target)
    }

    fn write_snapshot(&self, name: &str, body: &str) -> std::io::Result<PathBuf> {
        let file = Path::new(name)
            .file_name()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        let target = self.reports_dir.join(file).with_extension("snap");
        fs::write(&target, body)?;
        Ok(target)
    }
}

fn rename_statement(sku: &str, label: &str) -> String {
    let mut sql = String::from("UPDATE items SET label = '");
    sql.push_str(label);
    sql.push_str("' WHERE sku = '");
    sql.push_str(sku);
    sql.push('\'');
    sql
}

fn to_csv(rows: &[(String, String, i64)]) -> String {
    rows.iter()
        .map(|(sku, label, qty)| format!("{sku},{label},{qty}\n"))
        .collect()
}

fn run_supplier_sync(supplier: &str) -> std::io::Result<bool> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("supplier-sync --id {supplier} --since yesterday")) //~ command-injection
        .status()?;
    Ok(status.success())
}

fn run_supplier_sync_direct(supplier: &str) -> std::io::Result<bool> {
    let status = Command::new("supplier-sync")
        .args(["--id", supplier, "--since", "yesterday"])
        .status()?;
    Ok(status.success())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let inv = Inventory::open(&cli.db, cli.reports.clone())?;
    match cli.cmd {
        Cmd::Count { category } => println!("{}", inv.count_in(&category)?),
        Cmd::Find { sku } => match inv.find(&sku)? {
            Some((label, qty)) => println!("{sku}\t{label}\t{qty}"),
            None => eprintln!("no such sku: {sku}"),
        },
        Cmd::Adjust { sku, delta } => println!("{} row(s)", inv.adjust(&sku, delta)?),
        Cmd::Rename { sku, label } => println!("{} row(s)", inv.rename(&sku, &label)?),
        Cmd::Report { name, category } => {
            let csv = to_csv(&inv.rows_for(&category)?);
            println!("wrote {}", inv.write_report(&name, &csv)?.display());
        }
        Cmd::Snapshot { name } => {
            let csv = to_csv(&inv.rows_for("%")?);
            println!("wrote {}", inv.write_snapshot(&name, &csv)?.display());
        }
        Cmd::Sync { supplier } => {
            let ok = if supplier.chars().all(|c| c.is_ascii_alphanumeric()) {
                run_supplier_sync_direct(&supplier)?
            } else {
                run_supplier_sync(&supplier)?
            };
            println!("sync {}", if ok { "ok" } else { "failed" });
        }
    }
    Ok(())
}
