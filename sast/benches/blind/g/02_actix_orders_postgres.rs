use actix_web::{get, post, web, HttpResponse, Responder};
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use serde::Deserialize;
use std::fmt::Write as _;
use tokio_postgres::{Client, Error, Row};

pub struct OrderRepo {
    client: Client,
    table: &'static str,
}

#[derive(Deserialize)]
pub struct OrderFilter {
    status: String,
    customer: Option<String>,
}

#[derive(Deserialize)]
pub struct NoteUpdate {
    order_id: i64,
    note: String,
}

#[derive(Deserialize)]
pub struct Signup {
    email: String,
    password: String,
}

impl OrderRepo {
    pub fn new(client: Client) -> Self {
        Self { client, table: "orders" }
    }

    pub async fn by_status(&self, status: &str) -> Result<Vec<Row>, Error> {
        let sql = format!("SELECT id, total, status FROM {} WHERE status = '{}'", self.table, status);
        self.client.query(sql.as_str(), &[]).await //~ sql-injection
    }

    pub async fn by_status_bound(&self, status: &str) -> Result<Vec<Row>, Error> {
        let sql = format!("SELECT id, total, status FROM {} WHERE status = $1", self.table);
        self.client.query(sql.as_str(), &[&status]).await
    }

    pub async fn count_for_customer(&self, customer: &str) -> Result<i64, Error> {
        let text = ["SELECT count(*) FROM orders WHERE customer_email = '", customer, "'"].concat();
        let stmt = self.client.prepare(&text).await?; //~ sql-injection
        let row = self.client.query_one(&stmt, &[]).await?;
        Ok(row.get(0))
    }

    pub async fn set_note(&self, upd: &NoteUpdate) -> Result<(), Error> {
        let mut sql = String::with_capacity(128);
        let _ = write!(sql, "UPDATE orders SET note = '{}' WHERE id = {};", upd.note, upd.order_id);
        self.client.batch_execute(&sql).await //~ sql-injection
    }

    pub async fn set_note_bound(&self, upd: &NoteUpdate) -> Result<u64, Error> {
        self.client
            .execute("UPDATE orders SET note = $1 WHERE id = $2", &[&upd.note, &upd.order_id])
            .await
    }

    pub async fn create_customer_legacy(&self, s: &Signup) -> Result<u64, Error> {
        self.client.execute("INSERT INTO customers (email, password) VALUES ($1, $2)", &[&s.email, &s.password]).await //~ cleartext-storage
    }

    pub async fn create_customer(&self, s: &Signup) -> Result<u64, Error> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(s.password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default();
        self.client
            .execute("INSERT INTO customers (email, password_hash) VALUES ($1, $2)", &[&s.email, &hash])
            .await
    }
}

#[get("/orders")]
async fn list_orders(repo: web::Data<OrderRepo>, q: web::Query<OrderFilter>) -> impl Responder {
    let rows = match repo.by_status(&q.status).await {
        Ok(rows) => rows,
        Err(_) => return HttpResponse::InternalServerError().finish(),
    };
    let mut body = serde_json::json!({ "count": rows.len() });
    if let Some(c) = q.customer.as_deref() {
        if let Ok(n) = repo.count_for_customer(c).await {
            body["customer_total"] = n.into();
        }
    }
    HttpResponse::Ok().json(body)
}

#[get("/orders/open")]
async fn open_orders(repo: web::Data<OrderRepo>, q: web::Query<OrderFilter>) -> impl Responder {
    match repo.by_status_bound(&q.status).await {
        Ok(rows) => HttpResponse::Ok().json(rows.len()),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[post("/orders/note")]
async fn add_note(repo: web::Data<OrderRepo>, upd: web::Json<NoteUpdate>) -> impl Responder {
    match repo.set_note_bound(&upd).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

#[post("/orders/notes/batch")]
async fn add_notes(repo: web::Data<OrderRepo>, batch: web::Json<Vec<NoteUpdate>>) -> impl Responder {
    for upd in batch.iter() {
        if repo.set_note(upd).await.is_err() {
            return HttpResponse::BadRequest().finish();
        }
    }
    HttpResponse::NoContent().finish()
}

#[post("/signup")]
async fn signup(repo: web::Data<OrderRepo>, s: web::Json<Signup>) -> impl Responder {
    match repo.create_customer(&s).await {
        Ok(_) => HttpResponse::Created().finish(),
        Err(_) => HttpResponse::Conflict().finish(),
    }
}

#[post("/v1/signup")]
async fn signup_v1(repo: web::Data<OrderRepo>, s: web::Json<Signup>) -> impl Responder {
    match repo.create_customer_legacy(&s).await {
        Ok(_) => HttpResponse::Created().finish(),
        Err(_) => HttpResponse::Conflict().finish(),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_orders).service(open_orders).service(add_note).service(add_notes).service(signup).service(signup_v1);
}
