// Scenario: `stockctl`, a clap-based warehouse inventory CLI over a local
// SQLite file (rusqlite). Sub-commands look up, search, adjust and purge stock.
use clap::{Parser, Subcommand};
use rusqlite::{params, Connection};

#[derive(Parser)]
#[command(name = "stockctl", version)]
struct Cli {
    #[arg(long, default_value = "inventory.db")]
    db: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Show {
        sku: String,
    },
    Find {
        location: String,
        #[arg(long)]
        column: Option<String>,
    },
    Adjust {
        sku: String,
        delta: i64,
    },
    Purge {
        prefix: String,
    },
}

trait StockStore {
    fn quantity(&self, sku: &str) -> rusqlite::Result<i64>;
    fn find_in(&self, location: &str, column: Option<&str>) -> rusqlite::Result<Vec<String>>;
    fn adjust(&self, sku: &str, delta: i64) -> rusqlite::Result<usize>;
    fn purge(&self, prefix: &str) -> rusqlite::Result<usize>;
}

struct SqliteStore {
    conn: Connection,
}

fn projected(column: Option<&str>) -> &'static str {
    match column {
        Some("name") => "name",
        Some("bin") => "bin",
        _ => "sku",
    }
}

fn location_pattern(location: &str) -> String {
    let mut pat = String::from("'");
    pat.push_str(location);
    pat.push_str("%'");
    pat
}

impl StockStore for SqliteStore {
    fn quantity(&self, sku: &str) -> rusqlite::Result<i64> {
        self.conn
            .query_row("SELECT qty FROM stock WHERE sku = ?1", params![sku], |r| {
                r.get(0)
            })
    }

    fn find_in(&self, location: &str, column: Option<&str>) -> rusqlite::Result<Vec<String>> {
        let sql = format!(
            "SELECT {} FROM stock WHERE location LIKE {} ORDER BY sku",
            projected(column),
            location_pattern(location)
        );
        let mut stmt = self.conn.prepare(&sql)?; //~ sql-injection
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect()
    }

    fn adjust(&self, sku: &str, delta: i64) -> rusqlite::Result<usize> {
        let sql = format!(
            "UPDATE stock SET qty = qty + ?1 WHERE {} = ?2",
            projected(None)
        );
        self.conn.execute(&sql, params![delta, sku])
    }

    fn purge(&self, prefix: &str) -> rusqlite::Result<usize> {
        let stmt = format!("DELETE FROM stock WHERE sku LIKE '{}%' AND qty = 0", prefix);
        self.conn.execute(&stmt, []) //~ sql-injection
    }
}

fn open_store(path: &str) -> rusqlite::Result<Box<dyn StockStore>> {
    let conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;")?;
    Ok(Box::new(SqliteStore { conn }))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let store = open_store(&cli.db)?;
    match cli.cmd {
        Cmd::Show { sku } => println!("{}: {}", sku, store.quantity(&sku)?),
        Cmd::Find { location, column } => {
            for item in store.find_in(&location, column.as_deref())? {
                println!("{}", item);
            }
        }
        Cmd::Adjust { sku, delta } => {
            let n = store.adjust(&sku, delta)?;
            eprintln!("updated {} row(s)", n);
        }
        Cmd::Purge { prefix } => {
            let removed = store.purge(prefix.trim())?;
            eprintln!("purged {} empty SKU(s)", removed);
        }
    }
    Ok(())
}
