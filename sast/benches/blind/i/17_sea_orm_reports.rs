//! Reporting endpoints over the orders database (actix-web + SeaORM).

use actix_web::{get, post, web, HttpResponse, Responder};
use sea_orm::FromQueryResult;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, JsonValue, Statement, Value};
use serde::Deserialize;

const BACKEND: DbBackend = DbBackend::Postgres;

const DIMENSIONS: &[(&str, &str)] = &[
    ("day", "date_trunc('day', created_at)"),
    ("country", "ship_country"),
    ("channel", "sales_channel"),
];

const VIEWS: &[&str] = &["mv_daily_revenue", "mv_channel_mix", "mv_cohorts"];

#[derive(Deserialize)]
pub struct RevenueQuery {
    dimension: String,
    region: Option<String>,
    since: Option<String>,
}

#[derive(Deserialize)]
pub struct TopQuery {
    limit: Option<u32>,
    region: String,
}

#[derive(Deserialize)]
pub struct RefreshQuery {
    concurrently: Option<bool>,
}

pub struct Reports {
    db: DatabaseConnection,
}

impl Reports {
    fn dimension_expr(name: &str) -> &'static str {
        DIMENSIONS
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .unwrap_or("ship_country")
    }

    pub async fn revenue(&self, q: &RevenueQuery) -> Result<Vec<JsonValue>, DbErr> {
        let expr = Self::dimension_expr(&q.dimension);
        let mut sql = format!(
            "SELECT {expr} AS bucket, sum(amount_cents) AS total FROM orders WHERE status = 'paid'"
        );
        let mut values: Vec<Value> = Vec::new();
        if let Some(region) = &q.region {
            values.push(region.clone().into());
            sql.push_str(&format!(" AND region = ${}", values.len()));
        }
        if let Some(since) = q.since.as_deref() {
            sql.push_str(&format!(" AND created_at >= '{since}'"));
        }
        sql.push_str(" GROUP BY 1 ORDER BY 1");
        let stmt = Statement::from_sql_and_values(BACKEND, sql, values); //~ sql-injection
        JsonValue::find_by_statement(stmt).all(&self.db).await
    }

    pub async fn top_customers(&self, q: &TopQuery) -> Result<Vec<JsonValue>, DbErr> {
        let limit = i64::from(q.limit.unwrap_or(10).min(100));
        let sql = "SELECT customer_id, sum(amount_cents) AS total FROM orders \
                   WHERE region = $1 GROUP BY 1 ORDER BY 2 DESC LIMIT $2";
        let stmt =
            Statement::from_sql_and_values(BACKEND, sql, [q.region.clone().into(), limit.into()]);
        JsonValue::find_by_statement(stmt).all(&self.db).await
    }

    pub async fn refresh(&self, view: &str, concurrently: bool) -> Result<(), DbErr> {
        let kw = if concurrently { " CONCURRENTLY" } else { "" };
        let sql = format!("REFRESH MATERIALIZED VIEW{kw} {view}");
        self.db.execute_unprepared(&sql).await?; //~ sql-injection
        Ok(())
    }

    pub async fn refresh_all(&self) -> Result<usize, DbErr> {
        for view in VIEWS {
            self.db
                .execute_unprepared(&format!("REFRESH MATERIALIZED VIEW {view}"))
                .await?;
        }
        Ok(VIEWS.len())
    }
}

fn db_error(e: DbErr) -> HttpResponse {
    log::error!("report query failed: {e}");
    HttpResponse::InternalServerError().finish()
}

#[get("/reports/revenue")]
async fn revenue(reports: web::Data<Reports>, q: web::Query<RevenueQuery>) -> impl Responder {
    match reports.revenue(&q).await {
        Ok(rows) => HttpResponse::Ok().json(rows),
        Err(e) => db_error(e),
    }
}

#[get("/reports/top-customers")]
async fn top_customers(reports: web::Data<Reports>, q: web::Query<TopQuery>) -> impl Responder {
    match reports.top_customers(&q).await {
        Ok(rows) => HttpResponse::Ok().json(rows),
        Err(e) => db_error(e),
    }
}

#[post("/reports/views/{view}/refresh")]
async fn refresh_view(
    reports: web::Data<Reports>,
    view: web::Path<String>,
    q: web::Query<RefreshQuery>,
) -> impl Responder {
    let view = view.into_inner();
    match reports
        .refresh(&view, q.concurrently.unwrap_or(false))
        .await
    {
        Ok(()) => HttpResponse::Accepted().finish(),
        Err(e) => db_error(e),
    }
}

#[post("/reports/views/refresh")]
async fn refresh_all(reports: web::Data<Reports>) -> impl Responder {
    match reports.refresh_all().await {
        Ok(n) => HttpResponse::Accepted().json(serde_json::json!({ "refreshed": n })),
        Err(e) => db_error(e),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(revenue)
        .service(top_customers)
        .service(refresh_view)
        .service(refresh_all);
}
