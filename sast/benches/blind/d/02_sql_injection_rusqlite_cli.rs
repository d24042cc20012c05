// Scenario: a small CLI inventory tool over SQLite (rusqlite).
// Usage: inventory <command> <arg>; the table prefix comes from INVENTORY_PREFIX.
use rusqlite::{params, Connection, Result};
use std::env;
use std::io::{self, BufRead};

struct Inventory {
    conn: Connection,
    table: String,
}

impl Inventory {
    fn open(path: &str) -> Result<Self> {
        let prefix = env::var("INVENTORY_PREFIX").unwrap_or_else(|_| "inv".to_string());
        let conn = Connection::open(path)?;
        Ok(Inventory { conn, table: format!("{}_items", prefix) })
    }

    fn count_in_bin(&self, bin: &str) -> Result<i64> {
        self.conn.query_row(
            "SELECT COUNT(*) FROM items WHERE bin = ?1",
            params![bin],
            |r| r.get(0),
        )
    }

    fn total_rows(&self) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {}", self.table);
        self.conn.query_row(&sql, [], |r| r.get(0)) //~ sql-injection
    }

    fn find_by_sku(&self, sku: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT name FROM items WHERE sku = ?1")?;
        let names = stmt
            .query_map(params![sku], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>>>()?;
        Ok(names)
    }

    fn rename(&self, sku: &str, new_name: &str) -> Result<usize> {
        let update = ["UPDATE items SET name = '", new_name, "' WHERE sku = '", sku, "'"].concat();
        self.conn.execute(&update, []) //~ sql-injection
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = env::args().collect();
    let inv = Inventory::open("inventory.db")?;
    let cmd = args.get(1).map(String::as_str).unwrap_or("help");
    match cmd {
        "bin" => {
            let bin = args.get(2).cloned().unwrap_or_default();
            println!("{}", inv.count_in_bin(&bin)?);
        }
        "sku" => {
            for n in inv.find_by_sku(args.get(2).map(String::as_str).unwrap_or(""))? {
                println!("{}", n);
            }
        }
        "total" => println!("{}", inv.total_rows()?),
        "rename" => {
            let sku = &args[2];
            let mut line = String::new();
            io::stdin().lock().read_line(&mut line).ok();
            inv.rename(sku, line.trim())?;
        }
        "purge" => {
            let older_than = args.get(2).cloned().unwrap_or_else(|| "30".into());
            let q = format!("DELETE FROM items WHERE age_days > {}", older_than);
            inv.conn.execute_batch(&q)?; //~ sql-injection
        }
        "vacuum" => {
            inv.conn.execute_batch("VACUUM;")?;
        }
        _ => eprintln!("usage: inventory <bin|sku|total|rename|purge|vacuum> [arg]"),
    }
    Ok(())
}
