//! Analytics reporting API backed by PostgreSQL.

use md5::{Digest, Md5};
use poem::http::StatusCode;
use poem::web::{Data, Json, Query};
use poem::{get, handler, EndpointExt, Error, Request, Result, Route};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio_postgres::{Client, Row};
use tracing::debug;

const MAX_PAGE: usize = 500;

#[derive(Deserialize)]
pub struct DailyParams {
    metric: String,
    group_by: Option<String>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    page_size: Option<usize>,
}

#[derive(Deserialize)]
pub struct SearchParams {
    term: String,
    exact: Option<bool>,
    limit: Option<usize>,
}

#[derive(Serialize)]
pub struct Point {
    bucket: String,
    value: f64,
}

pub struct Reports {
    db: Client,
}

fn metric_column(metric: &str) -> Option<&'static str> {
    match metric {
        "revenue" => Some("revenue_cents"),
        "orders" => Some("order_count"),
        "visitors" => Some("unique_visitors"),
        _ => None,
    }
}

fn api_key_digest(key: &str) -> String {
    hex::encode(Md5::digest(key.as_bytes())) //~ weak-hash
}

fn response_cache_key(path: &str, query: &str) -> String {
    hex::encode(Md5::digest(format!("{path}?{query}").as_bytes()))
}

impl Reports {
    async fn authenticate(&self, key: &str) -> Result<String> {
        debug!(
            key_prefix = &key[..key.len().min(4)],
            "authenticating report client"
        );
        let rows = self
            .db
            .query(
                "SELECT tenant FROM api_keys WHERE key_md5 = $1 AND revoked = false",
                &[&api_key_digest(key)],
            )
            .await
            .map_err(|_| Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
        match rows.first() {
            Some(row) => Ok(row.get(0)),
            None => {
                debug!(api_key = key, "unknown api key"); //~ cleartext-logging
                Err(Error::from_status(StatusCode::UNAUTHORIZED))
            }
        }
    }

    fn daily_sql(column: &str, group_by: Option<&str>) -> String {
        let bucket = group_by.unwrap_or("day");
        format!(
            "SELECT date_trunc('{bucket}', ts)::text AS bucket, sum({column})::float8 \
             FROM tenant_metrics WHERE tenant = $1 AND ts BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1"
        )
    }

    async fn daily(&self, tenant: &str, p: &DailyParams) -> Result<Vec<Point>> {
        let column =
            metric_column(&p.metric).ok_or_else(|| Error::from_status(StatusCode::BAD_REQUEST))?;
        let sql = Self::daily_sql(column, p.group_by.as_deref());
        let rows = self.db.query(&sql, &[&tenant, &p.from, &p.to]).await; //~ sql-injection
        let rows = rows.map_err(|_| Error::from_status(StatusCode::BAD_REQUEST))?;
        let mut points = Vec::with_capacity(p.page_size.unwrap_or(50)); //~ unbounded-allocation
        points.extend(rows.iter().map(to_point));
        Ok(points)
    }

    async fn search(&self, tenant: &str, p: &SearchParams) -> Result<Vec<String>> {
        let mut names = Vec::with_capacity(p.limit.unwrap_or(20).min(MAX_PAGE));
        if p.exact.unwrap_or(false) {
            let rows = self
                .db
                .query(
                    "SELECT name FROM reports WHERE tenant = $1 AND name = $2",
                    &[&tenant, &p.term],
                )
                .await
                .map_err(|_| Error::from_status(StatusCode::BAD_REQUEST))?;
            names.extend(rows.iter().map(|r| r.get::<_, String>(0)));
            return Ok(names);
        }
        let sql = format!(
            "SELECT name FROM reports WHERE tenant = '{}' AND name ILIKE '%{}%'",
            tenant.replace('\'', "''"),
            p.term
        );
        let messages = self.db.simple_query(&sql).await; //~ sql-injection
        let messages = messages.map_err(|_| Error::from_status(StatusCode::BAD_REQUEST))?;
        for msg in messages {
            if let tokio_postgres::SimpleQueryMessage::Row(row) = msg {
                names.push(row.get(0).unwrap_or_default().to_owned());
            }
        }
        Ok(names)
    }
}

fn to_point(row: &Row) -> Point {
    Point {
        bucket: row.get(0),
        value: row.get(1),
    }
}

fn api_key(req: &Request) -> Result<String> {
    req.headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| Error::from_status(StatusCode::UNAUTHORIZED))
}

#[handler]
async fn daily(
    req: &Request,
    Query(params): Query<DailyParams>,
    reports: Data<&Arc<Reports>>,
) -> Result<Json<Vec<Point>>> {
    let tenant = reports.authenticate(&api_key(req)?).await?;
    let _cache = response_cache_key(req.uri().path(), req.uri().query().unwrap_or(""));
    Ok(Json(reports.daily(&tenant, &params).await?))
}

#[handler]
async fn search(
    req: &Request,
    Query(params): Query<SearchParams>,
    reports: Data<&Arc<Reports>>,
) -> Result<Json<Vec<String>>> {
    let tenant = reports.authenticate(&api_key(req)?).await?;
    Ok(Json(reports.search(&tenant, &params).await?))
}

pub fn app(db: Client) -> impl poem::Endpoint {
    let reports = Arc::new(Reports { db });
    Route::new()
        .at("/reports/daily", get(daily))
        .at("/reports/search", get(search))
        .data(reports)
}
