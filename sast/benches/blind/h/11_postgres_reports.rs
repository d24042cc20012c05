use serde::Deserialize;
use sqlx::{PgPool, Row};
use std::fmt::Write as _;
use tokio_postgres::Client as AsyncClient;

#[derive(Deserialize)]
pub struct ReportRequest {
    pub region: String,
    pub table: String,
    pub from: String,
    pub to: String,
    pub group_by: Option<String>,
    pub max_rows: Option<i64>,
}

pub struct ReportFilter {
    clauses: Vec<String>,
}

impl ReportFilter {
    pub fn from_request(req: &ReportRequest) -> Self {
        let mut clauses = Vec::new();
        clauses.push(format!("region = '{}'", req.region));
        clauses.push(format!("created_at BETWEEN '{}' AND '{}'", req.from, req.to));
        ReportFilter { clauses }
    }

    pub fn to_sql(&self) -> String {
        self.clauses.join(" AND ")
    }
}

fn table_for(name: &str) -> Option<&'static str> {
    match name {
        "orders" => Some("orders"),
        "refunds" => Some("refunds"),
        "shipments" => Some("shipments"),
        _ => None,
    }
}

pub async fn run_report(client: &AsyncClient, req: &ReportRequest) -> Result<u64, tokio_postgres::Error> {
    let table = table_for(&req.table).unwrap_or("orders");
    let filter = ReportFilter::from_request(req);
    let sql = format!("SELECT count(*) FROM {} WHERE {}", table, filter.to_sql());
    let rows = client.query(sql.as_str(), &[]).await?; //~ sql-injection
    Ok(rows.first().map(|r| r.get::<_, i64>(0) as u64).unwrap_or(0))
}

pub async fn run_report_bound(client: &AsyncClient, req: &ReportRequest) -> Result<u64, tokio_postgres::Error> {
    let table = table_for(&req.table).unwrap_or("orders");
    let limit = req.max_rows.unwrap_or(1000).clamp(1, 10_000);
    let sql = format!(
        "SELECT count(*) FROM (SELECT 1 FROM {} WHERE region = $1 AND created_at BETWEEN $2::date AND $3::date LIMIT {}) t",
        table, limit
    );
    let rows = client.query(sql.as_str(), &[&req.region, &req.from, &req.to]).await?;
    Ok(rows.first().map(|r| r.get::<_, i64>(0) as u64).unwrap_or(0))
}

pub async fn grouped(pool: &PgPool, req: &ReportRequest) -> sqlx::Result<Vec<(String, i64)>> {
    let mut sql = String::from("SELECT ");
    let col = req.group_by.clone().unwrap_or_else(|| "status".into());
    write!(sql, "{col}, count(*) FROM orders GROUP BY {col}").unwrap();
    let rows = sqlx::query(&sql).fetch_all(pool).await?; //~ sql-injection
    Ok(rows.iter().map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1))).collect())
}

pub async fn grouped_by_region(pool: &PgPool, req: &ReportRequest) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT status, count(*) FROM orders WHERE region = $1 GROUP BY status")
        .bind(&req.region)
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1))).collect())
}

pub mod maintenance {
    use postgres::Client;

    pub fn archive_region(client: &mut Client, region: &str) -> Result<u64, postgres::Error> {
        let q = "DELETE FROM orders_staging WHERE region = '".to_string() + region + "'";
        client.execute(q.as_str(), &[]) //~ sql-injection
    }

    pub fn archive_region_bound(client: &mut Client, region: &str) -> Result<u64, postgres::Error> {
        client.execute("DELETE FROM orders_staging WHERE region = $1", &[&region])
    }

    pub fn tag_batch(client: &mut Client, batch_ids: &[String], tag: &str) -> Result<(), postgres::Error> {
        let ids: Vec<String> = batch_ids.iter().filter(|s| !s.is_empty()).map(|s| format!("'{}'", s)).collect();
        let stmt = format!("UPDATE batches SET tag = '{}' WHERE id IN ({});", tag, ids.join(","));
        client.batch_execute(&stmt) //~ sql-injection
    }

    pub fn tag_batch_numeric(client: &mut Client, batch_ids: &[i64], tag: &str) -> Result<u64, postgres::Error> {
        let ids: Vec<String> = batch_ids.iter().map(|id| id.to_string()).collect();
        let stmt = format!("UPDATE batches SET tag = $1 WHERE id IN ({})", ids.join(","));
        client.execute(stmt.as_str(), &[&tag])
    }
}

pub async fn handle(
    client: &AsyncClient,
    pool: &PgPool,
    body: &str,
    pg: &mut postgres::Client,
) -> Result<u64, Box<dyn std::error::Error>> {
    let req: ReportRequest = serde_json::from_str(body)?;
    let groups = grouped(pool, &req).await?;
    tracing::debug!(groups = groups.len(), "grouped report");
    maintenance::archive_region(pg, &req.region)?;
    let ids: Vec<String> = req.table.split(',').map(str::to_owned).collect();
    maintenance::tag_batch(pg, &ids, &req.region)?;
    Ok(run_report(client, &req).await?)
}
