use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};
use sqlx::{postgres::PgRow, PgPool, Row};

#[derive(Deserialize)]
pub struct ReportParams {
    region: String,
    product: Option<String>,
    since: String,
    order: Option<String>,
}

#[derive(Serialize)]
pub struct ReportOut {
    revenue: Vec<f64>,
    total: f64,
    share: String,
    cache_key: String,
}

pub struct ReportQuery {
    table: &'static str,
    filters: Vec<String>,
    order: &'static str,
}

impl ReportQuery {
    pub fn new(table: &'static str) -> Self {
        ReportQuery { table, filters: Vec::new(), order: "day ASC" }
    }

    pub fn eq(mut self, column: &str, value: &str) -> Self {
        self.filters.push(format!("{} = '{}'", column, value));
        self
    }

    pub fn order_by(mut self, requested: Option<&str>) -> Self {
        self.order = match requested {
            Some("revenue") => "revenue DESC",
            Some("units") => "units DESC",
            _ => "day ASC",
        };
        self
    }

    pub fn sql(&self) -> String {
        let mut s = format!("SELECT day, revenue, units FROM {}", self.table);
        if !self.filters.is_empty() {
            s += " WHERE ";
            s += &self.filters.join(" AND ");
        }
        s + " ORDER BY " + self.order
    }
}

async fn run(pool: &PgPool, q: &ReportQuery) -> sqlx::Result<Vec<PgRow>> {
    let sql = q.sql();
    sqlx::query(&sql).fetch_all(pool).await //~ sql-injection
}

async fn totals_since(pool: &PgPool, since: &str) -> sqlx::Result<(i64, f64)> {
    let sql = format!("SELECT count(*), coalesce(sum(revenue), 0) FROM daily_sales WHERE day >= '{}'", since);
    sqlx::query_as::<_, (i64, f64)>(&sql).fetch_one(pool).await //~ sql-injection
}

fn share_token(report: &str, user_id: i64) -> String {
    format!("{:x}", md5::compute(format!("{}:{}", report, user_id))) //~ weak-hash
}

fn cache_key(sql: &str) -> String {
    format!("{:x}", md5::compute(sql.as_bytes()))
}

fn quote_list(items: &[String]) -> String {
    items.iter().map(|s| format!("'{}'", s)).collect::<Vec<_>>().join(",")
}

pub async fn sales_report(
    State(pool): State<PgPool>,
    Path(user_id): Path<i64>,
    Query(p): Query<ReportParams>,
) -> Result<Json<ReportOut>, StatusCode> {
    let mut q = ReportQuery::new("daily_sales").eq("region", &p.region);
    if let Some(prod) = p.product.as_deref() {
        q = q.eq("product", prod);
    }
    let q = q.order_by(p.order.as_deref());
    let rows = run(&pool, &q).await.map_err(|_| StatusCode::BAD_REQUEST)?;
    let (_, total) = totals_since(&pool, &p.since).await.map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok(Json(ReportOut {
        revenue: rows.iter().map(|r| r.get::<f64, _>("revenue")).collect(),
        total,
        share: share_token(&p.region, user_id),
        cache_key: cache_key(&q.sql()),
    }))
}

pub async fn sales_report_bound(
    State(pool): State<PgPool>,
    Query(p): Query<ReportParams>,
) -> Result<Json<Vec<f64>>, StatusCode> {
    let rows = sqlx::query("SELECT day, revenue, units FROM daily_sales WHERE region = $1 AND day >= $2::date ORDER BY day")
        .bind(&p.region)
        .bind(&p.since)
        .fetch_all(&pool)
        .await
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok(Json(rows.iter().map(|r| r.get::<f64, _>("revenue")).collect()))
}

pub async fn purge(State(pool): State<PgPool>, Json(ids): Json<Vec<String>>) -> StatusCode {
    let numeric: Vec<String> = ids
        .iter()
        .filter_map(|s| s.trim().parse::<i64>().ok())
        .map(|n| n.to_string())
        .collect();
    if !numeric.is_empty() {
        let sql = format!("DELETE FROM report_cache WHERE id IN ({})", numeric.join(","));
        if sqlx::query(&sql).execute(&pool).await.is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    let sql = format!("DELETE FROM report_shares WHERE token IN ({})", quote_list(&ids));
    match sqlx::query(&sql).execute(&pool).await { //~ sql-injection
        Ok(r) if r.rows_affected() > 0 => StatusCode::NO_CONTENT,
        Ok(_) => StatusCode::NOT_FOUND,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
