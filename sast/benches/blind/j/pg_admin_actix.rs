//! Internal database admin console (actix-web + tokio-postgres).

use actix_web::{delete, get, post, web, App, HttpResponse, HttpServer};
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use native_tls::TlsConnector;
use postgres_native_tls::MakeTlsConnector;
use serde::Deserialize;
use tokio_postgres::{Client, NoTls, Row};
use tracing::{error, info};

const BROWSABLE: &[&str] = &["customers", "invoices", "audit_log"];

#[derive(Deserialize)]
struct TableFilter {
    table: String,
    column: String,
    value: String,
}

#[derive(Deserialize)]
struct ScratchParams {
    suffix: String,
}

#[derive(Deserialize)]
struct NewUser {
    login: String,
    password: String,
}

struct DbConfig {
    host: String,
    user: String,
    password: String,
    dbname: String,
}

impl DbConfig {
    fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        Self {
            host: var("PGHOST"),
            user: var("PGUSER"),
            password: var("PGPASSWORD"),
            dbname: var("PGDATABASE"),
        }
    }
}

fn conn_string(cfg: &DbConfig) -> String {
    format!(
        "host={} user={} password={} dbname={}",
        cfg.host, cfg.user, cfg.password, cfg.dbname
    )
}

fn tls_connector() -> MakeTlsConnector {
    let connector = TlsConnector::builder()
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()
        .expect("tls");
    MakeTlsConnector::new(connector)
}

async fn connect(cfg: &DbConfig) -> Result<Client, tokio_postgres::Error> {
    let dsn = conn_string(cfg);
    info!("connecting to database with {}", dsn); //~ cleartext-logging
    info!(host = %cfg.host, db = %cfg.dbname, "database target");
    let (client, conn) = tokio_postgres::connect(&dsn, tls_connector()).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            error!(error = %e, "connection task ended");
        }
    });
    Ok(client)
}

fn json_rows(rows: &[Row]) -> HttpResponse {
    let docs: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    HttpResponse::Ok().json(docs)
}

fn where_clause(f: &TableFilter) -> String {
    format!("{} = '{}'", f.column, f.value)
}

#[get("/browse")]
async fn browse(db: web::Data<Client>, q: web::Query<TableFilter>) -> HttpResponse {
    if !BROWSABLE.contains(&q.table.as_str()) {
        return HttpResponse::Forbidden().finish();
    }
    let sql = format!(
        "SELECT row_to_json(t)::text FROM {} t WHERE {}",
        q.table,
        where_clause(&q)
    );
    let result = db.query(sql.as_str(), &[]).await; //~ sql-injection
    result.map_or_else(|_| HttpResponse::BadRequest().finish(), |r| json_rows(&r))
}

#[get("/customers/{id}")]
async fn customer(db: web::Data<Client>, id: web::Path<i64>) -> HttpResponse {
    let id = id.into_inner();
    let rows = db.query(
        "SELECT row_to_json(c)::text FROM customers c WHERE id = $1",
        &[&id],
    );
    match rows.await {
        Ok(rows) => json_rows(&rows),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[delete("/scratch")]
async fn drop_scratch(db: web::Data<Client>, q: web::Query<ScratchParams>) -> HttpResponse {
    let stmt = format!("DROP TABLE IF EXISTS scratch_{}", q.suffix);
    let outcome = db.batch_execute(&stmt).await; //~ sql-injection
    match outcome {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

async fn create_user(db: &Client, u: &NewUser) -> Result<u64, tokio_postgres::Error> {
    let sql = "INSERT INTO app_users (login, password) VALUES ($1, $2)";
    db.execute(sql, &[&u.login, &u.password]).await //~ cleartext-storage
}

async fn reset_password(db: &Client, u: &NewUser) -> Result<u64, tokio_postgres::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(u.password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default();
    let sql = "UPDATE app_users SET password_hash = $2 WHERE login = $1";
    db.execute(sql, &[&u.login, &hash]).await
}

#[post("/users")]
async fn add_user(db: web::Data<Client>, body: web::Json<NewUser>) -> HttpResponse {
    info!(login = %body.login, "creating console user");
    match create_user(&db, &body).await {
        Ok(_) => HttpResponse::Created().finish(),
        Err(_) => HttpResponse::Conflict().finish(),
    }
}

#[post("/users/reset")]
async fn reset_user(db: web::Data<Client>, body: web::Json<NewUser>) -> HttpResponse {
    match reset_password(&db, &body).await {
        Ok(1) => HttpResponse::NoContent().finish(),
        _ => HttpResponse::NotFound().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let cfg = DbConfig::from_env();
    let client = connect(&cfg).await.expect("database");
    let metrics = tokio_postgres::connect("host=/run/postgresql dbname=metrics", NoTls).await;
    if metrics.is_err() {
        error!("metrics database unavailable");
    }
    let data = web::Data::new(client);
    HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .service(browse)
            .service(customer)
            .service(drop_scratch)
            .service(add_user)
            .service(reset_user)
    })
    .bind(("127.0.0.1", 8700))?
    .run()
    .await
}
