// Scenario: an actix-web order-history service on MySQL (sqlx). Filters, sort
// keys and bulk-archive id lists arrive in the query string and path.
use actix_web::{get, post, web, HttpResponse, Responder};
use serde::Deserialize;
use sqlx::{MySqlPool, Row};

#[derive(Deserialize)]
pub struct OrderFilter {
    status: Option<String>,
    sort: Option<String>,
    limit: Option<String>,
}

#[derive(Deserialize)]
pub struct BulkIds {
    ids: String,
}

pub struct OrderRepo {
    pool: MySqlPool,
    table: &'static str,
}

const SORTABLE: &[&str] = &["created_at", "total", "status"];

impl OrderRepo {
    fn where_clause(&self, f: &OrderFilter) -> String {
        let mut clauses = vec!["deleted = 0".to_string()];
        if let Some(status) = f.status.as_deref() {
            clauses.push(format!("status = '{}'", status));
        }
        clauses.join(" AND ")
    }

    fn order_by(&self, f: &OrderFilter) -> &'static str {
        f.sort
            .as_deref()
            .and_then(|s| SORTABLE.iter().find(|c| **c == s).copied())
            .unwrap_or("id")
    }

    async fn list(&self, f: &OrderFilter) -> sqlx::Result<Vec<(i64, String)>> {
        let limit: u32 = f
            .limit
            .as_deref()
            .and_then(|l| l.parse().ok())
            .unwrap_or(50)
            .min(500);
        let sql = format!(
            "SELECT id, status FROM {} WHERE {} ORDER BY {} LIMIT {}",
            self.table,
            self.where_clause(f),
            self.order_by(f),
            limit
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?; //~ sql-injection
        Ok(rows
            .iter()
            .map(|r| (r.get("id"), r.get("status")))
            .collect())
    }

    async fn by_customer(&self, customer: &str) -> sqlx::Result<Vec<i64>> {
        sqlx::query_scalar::<_, i64>("SELECT id FROM orders WHERE customer_ref = ?")
            .bind(customer)
            .fetch_all(&self.pool)
            .await
    }

    async fn count_for(&self, customer: &str) -> sqlx::Result<i64> {
        let q = [
            "SELECT COUNT(*) FROM ",
            self.table,
            " WHERE customer_ref = '",
            customer,
            "'",
        ]
        .concat();
        sqlx::query_scalar(&q).fetch_one(&self.pool).await //~ sql-injection
    }

    async fn archive(&self, ids: &str) -> sqlx::Result<u64> {
        let list = ids.split(',').map(str::trim).collect::<Vec<_>>().join(",");
        let sql = format!(
            "UPDATE {} SET archived = 1 WHERE id IN ({})",
            self.table, list
        );
        let done = sqlx::query(&sql).execute(&self.pool).await?; //~ sql-injection
        Ok(done.rows_affected())
    }

    async fn restore(&self, ids: &str) -> sqlx::Result<u64> {
        let list: Vec<String> = ids
            .split(',')
            .filter_map(|s| s.trim().parse::<i64>().ok())
            .map(|n| n.to_string())
            .collect();
        let sql = format!(
            "UPDATE {} SET archived = 0 WHERE id IN ({})",
            self.table,
            list.join(",")
        );
        Ok(sqlx::query(&sql).execute(&self.pool).await?.rows_affected())
    }
}

#[get("/orders")]
async fn list_orders(repo: web::Data<OrderRepo>, q: web::Query<OrderFilter>) -> impl Responder {
    match repo.list(&q).await {
        Ok(rows) => HttpResponse::Ok().json(rows),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[get("/customers/{customer}/orders")]
async fn customer_orders(repo: web::Data<OrderRepo>, path: web::Path<String>) -> impl Responder {
    let customer = path.into_inner();
    let ids = repo.by_customer(&customer).await.unwrap_or_default();
    let total = repo.count_for(&customer).await.unwrap_or(0);
    HttpResponse::Ok().json(serde_json::json!({ "ids": ids, "total": total }))
}

#[post("/orders/archive")]
async fn archive_orders(repo: web::Data<OrderRepo>, q: web::Query<BulkIds>) -> impl Responder {
    let archived = repo.archive(&q.ids).await.unwrap_or(0);
    let restored = repo.restore(&q.ids).await.unwrap_or(0);
    HttpResponse::Ok().json((archived, restored))
}
