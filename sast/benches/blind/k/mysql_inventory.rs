//! Warehouse inventory repository (MySQL) and supplier portal sync.

use std::collections::HashMap;

use log::{error, info};
use mysql::prelude::Queryable;
use mysql::{params, Opts, Pool, PooledConn};
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct StockLine {
    pub sku: String,
    pub location: String,
    pub qty: i64,
}

#[derive(Deserialize)]
pub struct SupplierForm {
    pub supplier_id: u64,
    pub portal_login: String,
    pub portal_password: String,
    pub api_key: String,
}

pub struct SupplierCredentials {
    pub supplier_id: u64,
    pub login: String,
    pub password: String,
    pub api_key: String,
}

impl SupplierCredentials {
    pub fn from_form(form: SupplierForm) -> Self {
        SupplierCredentials {
            supplier_id: form.supplier_id,
            login: form.portal_login.trim().to_string(),
            password: form.portal_password,
            api_key: form.api_key,
        }
    }
}

const SAVE_SUPPLIER_SQL: &str =
    "REPLACE INTO supplier_accounts (supplier_id, login, password, api_key) VALUES (?, ?, ?, ?)";

pub struct InventoryRepo {
    pool: Pool,
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("'{}'", s))
        .collect::<Vec<_>>()
        .join(",")
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

impl InventoryRepo {
    pub fn connect(url: &str) -> mysql::Result<Self> {
        let pool = Pool::new(Opts::from_url(url)?)?;
        Ok(InventoryRepo { pool })
    }

    fn conn(&self) -> mysql::Result<PooledConn> {
        self.pool.get_conn()
    }

    pub fn adjust(&self, sku: &str, location: &str, delta: i64) -> mysql::Result<()> {
        self.conn()?.exec_drop(
            "UPDATE stock SET qty = qty + :delta WHERE sku = :sku AND location = :loc",
            params! { "delta" => delta, "sku" => sku, "loc" => location },
        )
    }

    pub fn lines_for(&self, skus: &[String]) -> mysql::Result<Vec<StockLine>> {
        let sql = format!(
            "SELECT sku, location, qty FROM stock WHERE sku IN ({})",
            quoted_list(skus)
        );
        let mut conn = self.conn()?;
        let to_line = |(sku, location, qty)| StockLine { sku, location, qty };
        conn.query_map(sql, to_line) //~ sql-injection
    }

    pub fn lines_for_checked(&self, skus: &[String]) -> mysql::Result<Vec<StockLine>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT sku, location, qty FROM stock WHERE sku IN ({})",
            placeholders(skus.len())
        );
        let mut conn = self.conn()?;
        conn.exec_map(sql, skus.to_vec(), |(sku, location, qty)| StockLine {
            sku,
            location,
            qty,
        })
    }

    pub fn totals_by_location(&self) -> mysql::Result<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = self
            .conn()?
            .query("SELECT location, SUM(qty) FROM stock GROUP BY location")?;
        Ok(rows.into_iter().collect())
    }

    pub fn save_supplier(&self, creds: &SupplierCredentials) -> mysql::Result<()> {
        let mut conn = self.conn()?;
        let row = (
            creds.supplier_id,
            &creds.login,
            &creds.password,
            &creds.api_key,
        );
        conn.exec_drop(SAVE_SUPPLIER_SQL, row) //~ cleartext-storage
    }
}

pub async fn rename_location(url: &str, location_id: u32, label: &str) -> mysql_async::Result<()> {
    use mysql_async::prelude::Queryable as _;
    let pool = mysql_async::Pool::new(url);
    let mut conn = pool.get_conn().await?;
    let sql = format!(
        "UPDATE locations SET label = '{}' WHERE id = {}",
        label, location_id
    );
    conn.query_drop(sql).await?; //~ sql-injection
    drop(conn);
    pool.disconnect().await
}

pub async fn archive_location(url: &str, location_id: u32) -> mysql_async::Result<()> {
    use mysql_async::prelude::Queryable as _;
    let pool = mysql_async::Pool::new(url);
    let mut conn = pool.get_conn().await?;
    conn.exec_drop(
        "UPDATE locations SET archived = 1 WHERE id = ?",
        (location_id,),
    )
    .await?;
    drop(conn);
    pool.disconnect().await
}

pub fn sync_supplier(creds: &SupplierCredentials) -> Result<usize, ureq::Error> {
    let resp = ureq::get("https://portal.supplier-hub.example/api/v2/catalog")
        .set("authorization", &format!("Token {}", creds.api_key))
        .call();
    match resp {
        Ok(r) => {
            let body: Vec<serde_json::Value> = r.into_json()?;
            info!(
                "supplier {} catalog entries: {}",
                creds.supplier_id,
                body.len()
            );
            Ok(body.len())
        }
        Err(e) => {
            let id = creds.supplier_id;
            error!("sync failed supplier={} key={}", id, creds.api_key); //~ cleartext-logging
            Err(e)
        }
    }
}

pub fn register_supplier(repo: &InventoryRepo, form: SupplierForm) -> mysql::Result<usize> {
    let creds = SupplierCredentials::from_form(form);
    repo.save_supplier(&creds)?;
    Ok(sync_supplier(&creds).unwrap_or(0))
}

pub fn restock_report(repo: &InventoryRepo, raw_skus: &str) -> mysql::Result<String> {
    let skus: Vec<String> = raw_skus.split(',').map(|s| s.trim().to_string()).collect();
    let mut out = String::new();
    for line in repo.lines_for(&skus)? {
        out.push_str(&format!("{}\t{}\t{}\n", line.sku, line.location, line.qty));
    }
    let checked = repo.lines_for_checked(&skus)?;
    out.push_str(&format!("# {} lines verified\n", checked.len()));
    Ok(out)
}
