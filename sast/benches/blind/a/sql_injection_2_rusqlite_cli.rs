// clap-based inventory CLI over a local SQLite file; command-line args are spliced into SQL.
use clap::{Parser, Subcommand};
use rusqlite::{params, Connection, Result};

#[derive(Parser)]
#[command(name = "inv", about = "Tiny inventory manager")]
struct Cli {
    #[arg(long, default_value = "inventory.db")]
    db: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Add { sku: String, qty: i64 },
    Remove { sku: String },
    Find { pattern: String, category: Option<String> },
    Rename { old: String, new: String },
    Count { category: String },
}

fn build_find_sql(pattern: &str, category: Option<&str>) -> String {
    let mut sql = String::from("SELECT sku, qty FROM items WHERE sku LIKE '");
    sql.push_str(pattern);
    sql.push_str("%'");
    if let Some(cat) = category {
        sql.push_str(" AND category = '");
        sql.push_str(cat);
        sql.push('\'');
    }
    sql
}

fn remove_item(conn: &Connection, sku: &str) -> Result<usize> {
    let stmt = format!("DELETE FROM items WHERE sku = '{}'", sku);
    conn.execute(&stmt, []) //~ sql-injection
}

// SAFE: positional parameters.
fn add_item(conn: &Connection, sku: &str, qty: i64) -> Result<usize> {
    conn.execute(
        "INSERT INTO items (sku, qty) VALUES (?1, ?2) ON CONFLICT(sku) DO UPDATE SET qty = qty + ?2",
        params![sku, qty],
    )
}

// SAFE: named parameters via prepare.
fn rename_item(conn: &Connection, old: &str, new: &str) -> Result<usize> {
    let mut stmt = conn.prepare("UPDATE items SET sku = :new WHERE sku = :old")?;
    stmt.execute(&[(":new", new), (":old", old)])
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let conn = Connection::open(&cli.db)?;
    match cli.cmd {
        Cmd::Add { sku, qty } => {
            add_item(&conn, &sku, qty)?;
        }
        Cmd::Remove { sku } => {
            let n = remove_item(&conn, &sku)?;
            println!("removed {n} rows");
        }
        Cmd::Find { pattern, category } => {
            let sql = build_find_sql(&pattern, category.as_deref());
            let mut stmt = conn.prepare(&sql)?; //~ sql-injection
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (sku, qty) = row?;
                println!("{sku}\t{qty}");
            }
        }
        Cmd::Count { category } => {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM items WHERE category = '{category}'"), [], |r| r.get(0))?; //~ sql-injection
            println!("{n}");
        }
        Cmd::Rename { old, new } => {
            rename_item(&conn, &old, &new)?;
        }
    }
    Ok(())
}
