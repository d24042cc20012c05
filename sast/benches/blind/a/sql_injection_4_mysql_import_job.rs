// Nightly import job: reads a CSV of customer tags from disk and writes them into MySQL.
use mysql::prelude::*;
use mysql::{params, Pool, PooledConn};
use std::fs;
use std::io::{self, BufRead};

struct TagRow {
    customer: String,
    tag: String,
}

fn parse_line(line: &str) -> Option<TagRow> {
    let mut it = line.splitn(2, ',');
    let customer = it.next()?.trim().to_string();
    let tag = it.next()?.trim().to_string();
    Some(TagRow { customer, tag })
}

fn load_rows(path: &str) -> io::Result<Vec<TagRow>> {
    let text = fs::read_to_string(path)?;
    Ok(text.lines().filter_map(parse_line).collect())
}

fn insert_unsafe(conn: &mut PooledConn, rows: &[TagRow]) -> mysql::Result<()> {
    let values: Vec<String> = rows
        .iter()
        .map(|r| format!("('{}', '{}')", r.customer, r.tag))
        .collect();
    let sql = ["INSERT INTO customer_tags (customer, tag) VALUES ", &values.join(", ")].concat();
    conn.query_drop(sql) //~ sql-injection
}

fn lookup_customer(conn: &mut PooledConn, name: &str) -> mysql::Result<Option<u64>> {
    conn.query_first(format!("SELECT id FROM customers WHERE name = '{}'", name)) //~ sql-injection
}

// SAFE: prepared statement with named params in a batch.
fn insert_safe(conn: &mut PooledConn, rows: &[TagRow]) -> mysql::Result<()> {
    conn.exec_batch(
        "INSERT INTO customer_tags (customer, tag) VALUES (:customer, :tag)",
        rows.iter().map(|r| {
            params! {
                "customer" => &r.customer,
                "tag" => &r.tag,
            }
        }),
    )
}

// SAFE: only allow-listed table names ever reach the format! string.
fn purge(conn: &mut PooledConn, table: &str) -> mysql::Result<()> {
    const ALLOWED: [&str; 2] = ["customer_tags", "tag_staging"];
    if !ALLOWED.contains(&table) {
        return Ok(());
    }
    conn.query_drop(format!("DELETE FROM {} WHERE created < NOW() - INTERVAL 30 DAY", table))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")?;
    let pool = Pool::new(url.as_str())?;
    let mut conn = pool.get_conn()?;

    let path = std::env::args().nth(1).unwrap_or_else(|| "/var/spool/tags.csv".into());
    let rows = load_rows(&path)?;
    insert_unsafe(&mut conn, &rows)?;
    insert_safe(&mut conn, &rows)?;

    let stdin = io::stdin();
    for line in stdin.lock().lines() {
        let name = line?;
        if let Some(id) = lookup_customer(&mut conn, name.trim())? {
            println!("{name} -> {id}");
        }
    }

    let table = std::env::var("PURGE_TABLE").unwrap_or_else(|_| "tag_staging".into());
    purge(&mut conn, &table)?;
    Ok(())
}
