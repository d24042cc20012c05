//! Back-office order endpoints: search, annotate, cancel and staff login.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{get, post, web, HttpResponse, Responder};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};

const PAGE_LIMIT: i64 = 200;
const SESSION_COOKIE: &str = "bo_session";

pub struct AppState {
    pub pool: PgPool,
}

#[derive(Deserialize)]
pub struct OrderFilter {
    status: Option<String>,
    customer: Option<String>,
    sort: Option<String>,
}

#[derive(Deserialize)]
pub struct NoteBody {
    note: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct OrderRow {
    id: i64,
    customer_email: String,
    total_cents: i64,
}

struct OrderRepo<'a> {
    pool: &'a PgPool,
}

impl<'a> OrderRepo<'a> {
    fn new(pool: &'a PgPool) -> Self {
        OrderRepo { pool }
    }

    async fn search(&self, sql: &str) -> Result<Vec<OrderRow>, sqlx::Error> {
        let rows = sqlx::query(sql).fetch_all(self.pool).await?; //~ sql-injection
        Ok(rows
            .iter()
            .map(|r| OrderRow {
                id: r.get("id"),
                customer_email: r.get("customer_email"),
                total_cents: r.get("total_cents"),
            })
            .collect())
    }

    async fn by_status(&self, status: &str) -> Result<Vec<i64>, sqlx::Error> {
        let rows = sqlx::query("SELECT id FROM orders WHERE status = $1 LIMIT $2")
            .bind(status)
            .bind(PAGE_LIMIT)
            .fetch_all(self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get::<i64, _>("id")).collect())
    }

    async fn annotate(&self, id: i64, note: &str) -> Result<u64, sqlx::Error> {
        let sql = format!("UPDATE orders SET staff_note = '{}' WHERE id = $1", note);
        let res = sqlx::query(&sql).bind(id).execute(self.pool).await?; //~ sql-injection
        Ok(res.rows_affected())
    }

    async fn cancel(&self, reference: &str) -> Result<u64, sqlx::Error> {
        let sql = format!("UPDATE orders SET status = 'cancelled' WHERE ref = '{reference}'");
        let res = sqlx::query(&sql).execute(self.pool).await?; //~ sql-injection
        Ok(res.rows_affected())
    }

    async fn total_for(&self, id: i64) -> Result<i64, sqlx::Error> {
        let sql = format!("SELECT total_cents FROM orders WHERE id = {}", id);
        let row = sqlx::query(&sql).fetch_one(self.pool).await?;
        Ok(row.get("total_cents"))
    }
}

fn sort_column(raw: Option<&str>) -> &'static str {
    match raw {
        Some("created") => "created_at",
        Some("total") => "total_cents",
        _ => "id",
    }
}

fn build_search_sql(filter: &OrderFilter) -> String {
    let mut sql = String::from("SELECT id, customer_email, total_cents FROM orders WHERE 1=1");
    if let Some(customer) = filter.customer.as_deref() {
        sql.push_str(&format!(" AND customer_email LIKE '%{}%'", customer));
    }
    sql.push_str(" ORDER BY ");
    sql.push_str(sort_column(filter.sort.as_deref()));
    sql.push_str(&format!(" LIMIT {}", PAGE_LIMIT));
    sql
}

fn issue_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn session_cookie(token: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::hours(8))
        .finish() //~ insecure-cookie
}

fn remember_cookie(token: String) -> Cookie<'static> {
    Cookie::build("bo_remember", token)
        .path("/")
        .secure(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(30))
        .finish() //~ cookie-without-httponly
}

fn device_cookie(device_id: String) -> Cookie<'static> {
    Cookie::build("bo_device", device_id)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::days(90))
        .finish()
}

#[get("/orders/search")]
async fn search_orders(state: web::Data<AppState>, q: web::Query<OrderFilter>) -> impl Responder {
    let repo = OrderRepo::new(&state.pool);
    let sql = build_search_sql(&q);
    match repo.search(&sql).await {
        Ok(rows) => HttpResponse::Ok().json(rows),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[get("/orders/by-status")]
async fn by_status(state: web::Data<AppState>, q: web::Query<OrderFilter>) -> impl Responder {
    let status = q.status.clone().unwrap_or_else(|| "open".to_string());
    match OrderRepo::new(&state.pool).by_status(&status).await {
        Ok(ids) => HttpResponse::Ok().json(ids),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[post("/orders/{id}/note")]
async fn annotate(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<NoteBody>,
) -> impl Responder {
    let repo = OrderRepo::new(&state.pool);
    match repo.annotate(path.into_inner(), &body.note).await {
        Ok(n) => HttpResponse::Ok().json(n),
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

#[post("/orders/{reference}/cancel")]
async fn cancel(state: web::Data<AppState>, path: web::Path<String>) -> impl Responder {
    let reference = path.into_inner();
    match OrderRepo::new(&state.pool).cancel(&reference).await {
        Ok(0) => HttpResponse::NotFound().finish(),
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[get("/orders/{id}/total")]
async fn total(state: web::Data<AppState>, path: web::Path<i64>) -> impl Responder {
    match OrderRepo::new(&state.pool).total_for(*path).await {
        Ok(t) => HttpResponse::Ok().json(t),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[post("/login")]
async fn login(state: web::Data<AppState>, form: web::Form<LoginForm>) -> impl Responder {
    let row = sqlx::query("SELECT password_hash FROM staff WHERE username = $1")
        .bind(&form.username)
        .fetch_optional(&state.pool)
        .await;
    let hash: String = match row {
        Ok(Some(r)) => r.get("password_hash"),
        _ => return HttpResponse::Unauthorized().finish(),
    };
    if !bcrypt::verify(&form.password, &hash).unwrap_or(false) {
        return HttpResponse::Unauthorized().finish();
    }
    HttpResponse::Ok()
        .cookie(session_cookie(issue_token(48)))
        .cookie(remember_cookie(issue_token(64)))
        .cookie(device_cookie(issue_token(24)))
        .finish()
}
