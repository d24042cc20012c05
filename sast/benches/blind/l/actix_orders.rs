//! Order history and refund endpoints for the storefront back office.

use actix_web::{get, post, web, App, HttpRequest, HttpResponse, HttpServer, Responder};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

const ALLOWED_SORT_COLUMNS: &[&str] = &["created_at", "total_cents", "status"];
const KNOWN_REGIONS: &[&str] = &["eu_west", "us_east", "ap_south"];
const PAGE_SIZE: i64 = 50;

#[derive(Debug, Deserialize)]
pub struct OrderFilter {
    customer: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct OrderSummary {
    id: i64,
    customer: String,
    status: String,
    total_cents: i64,
}

#[derive(Debug, Deserialize)]
pub struct RefundRequest {
    order_id: i64,
    reason: String,
    operator_token: String,
}

pub struct OrderRepo {
    pool: PgPool,
}

fn row_to_summary(row: &PgRow) -> OrderSummary {
    OrderSummary {
        id: row.get("id"),
        customer: row.get("customer"),
        status: row.get("status"),
        total_cents: row.get("total_cents"),
    }
}

fn sort_clause(requested: Option<&str>) -> &'static str {
    requested
        .and_then(|col| ALLOWED_SORT_COLUMNS.iter().find(|c| **c == col).copied())
        .unwrap_or("created_at")
}

fn status_predicate(status: &str) -> String {
    format!(" AND o.status = '{}'", status)
}

fn build_refund_note(req: &RefundRequest) -> String {
    format!("refund requested: {}", req.reason.trim())
}

impl OrderRepo {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Paged listing; the sort column is looked up in the allow-list above.
    pub async fn list(&self, filter: &OrderFilter) -> Result<Vec<OrderSummary>, sqlx::Error> {
        let order_by = sort_clause(filter.sort.as_deref());
        let offset = i64::from(filter.page.unwrap_or(0)) * PAGE_SIZE;
        let sql = format!(
            "SELECT o.id, o.customer, o.status, o.total_cents FROM orders o \
             WHERE o.customer = $1 ORDER BY {} DESC LIMIT {} OFFSET $2",
            order_by, PAGE_SIZE
        );
        let rows = sqlx::query(&sql)
            .bind(filter.customer.clone().unwrap_or_default())
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(row_to_summary).collect())
    }

    /// Search used by the CSV exporter (kept for the old reporting UI).
    pub async fn search_legacy(
        &self,
        customer: &str,
        status: Option<&str>,
    ) -> Result<Vec<OrderSummary>, sqlx::Error> {
        let mut sql = String::from(
            "SELECT o.id, o.customer, o.status, o.total_cents FROM orders o WHERE o.customer ILIKE '%",
        );
        sql.push_str(customer);
        sql.push_str("%'");
        if let Some(s) = status {
            sql.push_str(&status_predicate(s));
        }
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?; //~ sql-injection
        Ok(rows.iter().map(row_to_summary).collect())
    }

    pub async fn order_total(&self, order_id: i64) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT total_cents FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    pub async fn record_refund(&self, req: &RefundRequest) -> Result<u64, sqlx::Error> {
        let note = build_refund_note(req);
        let stmt = format!(
            "INSERT INTO refunds (order_id, note) VALUES ({}, '{}')",
            req.order_id, note
        );
        let done = sqlx::query(&stmt).execute(&self.pool).await?; //~ sql-injection
        Ok(done.rows_affected())
    }

    pub async fn use_tenant(&self, schema: &str) -> Result<(), sqlx::Error> {
        let stmt = format!("SET search_path TO {}, public", schema);
        sqlx::query(&stmt).execute(&self.pool).await?; //~ sql-injection
        Ok(())
    }

    pub async fn use_region(&self, region: &str) -> Result<(), sqlx::Error> {
        let Some(known) = KNOWN_REGIONS.iter().find(|r| **r == region) else {
            return Err(sqlx::Error::RowNotFound);
        };
        let stmt = format!("SET search_path TO {}, public", known);
        sqlx::query(&stmt).execute(&self.pool).await?;
        Ok(())
    }
}

fn tenant_schema(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("X-Tenant-Schema")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn audit_refund(req: &RefundRequest) {
    log::info!("refund order={} reason={:?}", req.order_id, req.reason);
    log::debug!("refund authorised by operator token {}", req.operator_token); //~ cleartext-logging
}

#[get("/orders")]
async fn list_orders(repo: web::Data<OrderRepo>, q: web::Query<OrderFilter>) -> impl Responder {
    match repo.list(&q).await {
        Ok(rows) => HttpResponse::Ok().json(rows),
        Err(e) => {
            log::error!("list failed: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[get("/orders/export/{customer}")]
async fn export_orders(
    repo: web::Data<OrderRepo>,
    path: web::Path<String>,
    q: web::Query<OrderFilter>,
) -> HttpResponse {
    let customer = path.into_inner();
    match repo.search_legacy(&customer, q.status.as_deref()).await {
        Ok(rows) => HttpResponse::Ok().json(rows),
        Err(_) => HttpResponse::BadRequest().body("export failed"),
    }
}

#[post("/orders/refund")]
async fn refund(
    repo: web::Data<OrderRepo>,
    req: HttpRequest,
    body: web::Json<RefundRequest>,
) -> HttpResponse {
    if let Some(schema) = tenant_schema(&req) {
        if repo.use_tenant(&schema).await.is_err() {
            return HttpResponse::BadRequest().body("unknown tenant");
        }
    }
    if let Some(region) = req.headers().get("X-Region").and_then(|v| v.to_str().ok()) {
        let _ = repo.use_region(region).await;
    }
    audit_refund(&body);
    let total = repo.order_total(body.order_id).await.unwrap_or(0);
    match repo.record_refund(&body).await {
        Ok(n) => HttpResponse::Ok().json(serde_json::json!({ "rows": n, "total": total })),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::init();
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect(&url)
        .await
        .expect("db connect");
    let repo = web::Data::new(OrderRepo::new(pool));
    HttpServer::new(move || {
        App::new()
            .app_data(repo.clone())
            .service(list_orders)
            .service(export_orders)
            .service(refund)
    })
    .bind(("0.0.0.0", 8080))?
    .run()
    .await
}
