use actix_web::{get, post, web, App, HttpResponse, HttpServer, Responder};
use mysql_async::prelude::*;
use mysql_async::{Opts, OptsBuilder, Pool};
use serde::{Deserialize, Serialize};

#[derive(Clone)]
struct AuditLog {
    pool: Pool,
    table: &'static str,
}

#[derive(Deserialize)]
struct AuditEvent {
    actor: String,
    action: String,
    target: Option<String>,
}

#[derive(Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    limit: Option<u32>,
    since: Option<String>,
}

#[derive(Serialize)]
struct AuditRow {
    id: u64,
    actor: String,
    action: String,
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

impl AuditLog {
    async fn record(&self, ev: &AuditEvent) -> mysql_async::Result<()> {
        let mut conn = self.pool.get_conn().await?;
        conn.exec_drop(
            format!("INSERT INTO {} (actor, action, target) VALUES (?, ?, ?)", self.table),
            (&ev.actor, &ev.action, ev.target.as_deref().unwrap_or("")),
        )
        .await
    }

    async fn record_fast(&self, ev: &AuditEvent) -> mysql_async::Result<()> {
        let mut conn = self.pool.get_conn().await?;
        let stmt = format!("INSERT INTO {} (actor, action) VALUES ('{}', '{}')", self.table, ev.actor, ev.action);
        conn.query_drop(stmt).await //~ sql-injection
    }

    async fn search(&self, q: &AuditQuery) -> mysql_async::Result<Vec<AuditRow>> {
        let mut conn = self.pool.get_conn().await?;
        let limit = q.limit.unwrap_or(100).min(1000);
        let mut sql = format!("SELECT id, actor, action FROM {} WHERE 1=1", self.table);
        if let Some(actor) = &q.actor {
            sql.push_str(&format!(" AND actor = '{}'", actor));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit));
        conn.query_map(sql, |(id, actor, action)| AuditRow { id, actor, action }).await //~ sql-injection
    }

    async fn since(&self, ts: &str) -> mysql_async::Result<Vec<AuditRow>> {
        let mut conn = self.pool.get_conn().await?;
        let sql = format!("SELECT id, actor, action FROM {} WHERE created_at >= ? ORDER BY id", self.table);
        conn.exec_map(sql, (ts,), |(id, actor, action)| AuditRow { id, actor, action }).await
    }

    async fn check_login(&self, form: &LoginForm) -> mysql_async::Result<bool> {
        let mut conn = self.pool.get_conn().await?;
        log::debug!("login attempt user={} password={}", form.username, form.password); //~ cleartext-logging
        let hash: Option<String> = conn.exec_first("SELECT pw_hash FROM operators WHERE username = ?", (&form.username,)).await?;
        Ok(hash.map(|h| bcrypt::verify(&form.password, &h).unwrap_or(false)).unwrap_or(false))
    }
}

#[post("/audit")]
async fn post_event(log: web::Data<AuditLog>, ev: web::Json<AuditEvent>) -> impl Responder {
    let res = if ev.target.is_some() { log.record(&ev).await } else { log.record_fast(&ev).await };
    match res {
        Ok(()) => HttpResponse::Created().finish(),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

#[get("/audit")]
async fn get_events(log: web::Data<AuditLog>, q: web::Query<AuditQuery>) -> impl Responder {
    let rows = match &q.since {
        Some(ts) => log.since(ts).await,
        None => log.search(&q).await,
    };
    rows.map(|r| HttpResponse::Ok().json(r)).unwrap_or_else(|_| HttpResponse::BadRequest().finish())
}

#[post("/operators/login")]
async fn operator_login(log: web::Data<AuditLog>, form: web::Form<LoginForm>) -> impl Responder {
    match log.check_login(&form).await {
        Ok(true) => {
            log::info!("operator {} logged in", form.username);
            HttpResponse::Ok().finish()
        }
        _ => HttpResponse::Unauthorized().finish(),
    }
}

fn database_opts() -> Opts {
    let url = std::env::var("AUDIT_DATABASE_URL").unwrap_or_else(|_| "mysql://audit:audit@localhost:3306/audit".into());
    match Opts::from_url(&url) {
        Ok(opts) => {
            log::info!("audit database at {}:{}", opts.ip_or_hostname(), opts.tcp_port());
            opts
        }
        Err(e) => {
            eprintln!("invalid AUDIT_DATABASE_URL {}: {}", url, e); //~ cleartext-logging
            OptsBuilder::default().ip_or_hostname("localhost").db_name(Some("audit")).into()
        }
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::init();
    let audit = AuditLog { pool: Pool::new(database_opts()), table: "audit_events" };
    HttpServer::new(move || App::new().app_data(web::Data::new(audit.clone())).service(post_event).service(get_events).service(operator_login))
        .bind(("0.0.0.0", 8081))?
        .run()
        .await
}
