use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use poem::web::{Data, Json, Path, Query};
use poem::{handler, http::StatusCode, post, get, Result, Route};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Deserialize;
use std::process::Command;
use std::sync::{Arc, Mutex};

const SERVICES: &[&str] = &["api", "worker", "scheduler"];

#[derive(Clone)]
struct Ctx {
    db: DatabaseConnection,
    pg: Arc<Mutex<PgConnection>>,
    dump_dir: String,
}

#[derive(Deserialize)]
struct RoleFilter {
    role: String,
    team: Option<String>,
}

#[derive(Deserialize)]
struct DumpRequest {
    table: String,
}

#[derive(Deserialize)]
struct WebhookTest {
    url: String,
}

#[derive(QueryableByName)]
struct SessionCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

struct UserAdmin<'a> {
    db: &'a DatabaseConnection,
}

impl UserAdmin<'_> {
    async fn by_role(&self, f: &RoleFilter) -> Result<usize, sea_orm::DbErr> {
        let sql = format!("SELECT id, email FROM users WHERE role = '{}'", f.role);
        let rows = self.db.query_all(Statement::from_string(DbBackend::Postgres, sql)).await?; //~ sql-injection
        Ok(rows.len())
    }

    async fn by_team(&self, team: &str) -> Result<usize, sea_orm::DbErr> {
        let stmt = Statement::from_sql_and_values(DbBackend::Postgres, "SELECT id, email FROM users WHERE team = $1", [team.into()]);
        Ok(self.db.query_all(stmt).await?.len())
    }
}

fn purge_sessions(conn: &mut PgConnection, user_id: &str) -> QueryResult<usize> {
    diesel::sql_query(format!("DELETE FROM sessions WHERE user_id = {}", user_id)).execute(conn) //~ sql-injection
}

fn count_sessions(conn: &mut PgConnection, user_id: i32) -> QueryResult<i64> {
    diesel::sql_query("SELECT count(*) AS n FROM sessions WHERE user_id = $1").bind::<Integer, _>(user_id).get_result::<SessionCount>(conn).map(|r| r.n)
}

fn tag_sessions(conn: &mut PgConnection, user_id: i32, tag: &str) -> QueryResult<usize> {
    diesel::sql_query("UPDATE sessions SET tag = $2 WHERE user_id = $1").bind::<Integer, _>(user_id).bind::<Text, _>(tag).execute(conn)
}

struct Ops {
    dump_dir: String,
}

impl Ops {
    fn dump_table(&self, table: &str) -> std::io::Result<std::process::ExitStatus> {
        let out = format!("{}/{}.sql", self.dump_dir, uuid::Uuid::new_v4());
        Command::new("pg_dump").arg(format!("--table={}", table)).arg("--file").arg(out).status() //~ command-injection
    }

    fn restart(&self, service: &str) -> std::io::Result<std::process::ExitStatus> {
        if !SERVICES.contains(&service) {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "unknown service"));
        }
        Command::new("systemctl").arg("restart").arg(format!("app-{}.service", service)).status()
    }

    fn tail_logs(&self, service: &str, lines: &str) -> std::io::Result<std::process::Output> {
        let script = format!("journalctl -u app-{}.service -n {} --no-pager", service, lines);
        Command::new("sh").arg("-c").arg(script).output() //~ command-injection
    }

    fn run_hook(&self, hook: &str) -> std::io::Result<std::process::Output> {
        let bin = format!("/opt/admin/hooks/{}", hook);
        Command::new(bin).output() //~ command-injection
    }
}

#[handler]
async fn users_by_role(Data(ctx): Data<&Ctx>, Query(f): Query<RoleFilter>) -> Result<String> {
    let admin = UserAdmin { db: &ctx.db };
    let n = match f.team.as_deref() {
        Some(team) => admin.by_team(team).await,
        None => admin.by_role(&f).await,
    }
    .map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::INTERNAL_SERVER_ERROR))?;
    Ok(n.to_string())
}

#[handler]
fn purge(Data(ctx): Data<&Ctx>, Path(user_id): Path<String>) -> Result<String> {
    let mut conn = ctx.pg.lock().unwrap();
    if let Ok(id) = user_id.parse::<i32>() {
        let before = count_sessions(&mut conn, id).unwrap_or(0);
        let _ = tag_sessions(&mut conn, id, "purged");
        return Ok(format!("{} sessions tagged", before));
    }
    let n = purge_sessions(&mut conn, &user_id).map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::BAD_REQUEST))?;
    Ok(format!("{} sessions removed", n))
}

#[handler]
fn dump(Data(ctx): Data<&Ctx>, Json(req): Json<DumpRequest>) -> Result<StatusCode> {
    let ops = Ops { dump_dir: ctx.dump_dir.clone() };
    ops.dump_table(&req.table).map(|_| StatusCode::ACCEPTED).map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::INTERNAL_SERVER_ERROR))
}

#[handler]
fn service_action(Data(ctx): Data<&Ctx>, Path((service, action)): Path<(String, String)>, Query(q): Query<std::collections::HashMap<String, String>>) -> Result<String> {
    let ops = Ops { dump_dir: ctx.dump_dir.clone() };
    let out = match action.as_str() {
        "restart" => ops.restart(&service).map(|s| s.to_string()),
        "logs" => ops.tail_logs(&service, q.get("lines").map(String::as_str).unwrap_or("100")).map(|o| String::from_utf8_lossy(&o.stdout).into_owned()),
        "hook" => ops.run_hook(q.get("name").map(String::as_str).unwrap_or("noop")).map(|o| String::from_utf8_lossy(&o.stdout).into_owned()),
        _ => return Err(poem::Error::from_status(StatusCode::NOT_FOUND)),
    };
    out.map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::BAD_REQUEST))
}

struct WebhookTester {
    client: reqwest::Client,
}

impl WebhookTester {
    async fn ping(&self, target: &str) -> reqwest::Result<reqwest::StatusCode> {
        let resp = self.client.post(target).json(&serde_json::json!({"event": "ping"})).send().await?; //~ ssrf
        Ok(resp.status())
    }
}

#[handler]
async fn test_webhook(Json(body): Json<WebhookTest>) -> Result<String> {
    let tester = WebhookTester { client: reqwest::Client::new() };
    let resp = tester.ping(&body.url).await;
    Ok(match resp {
        Ok(status) => format!("webhook responded {}", status),
        Err(e) => format!("webhook failed: {}", e),
    })
}

pub fn routes(ctx: Ctx) -> impl poem::Endpoint {
    Route::new()
        .at("/admin/users", get(users_by_role))
        .at("/admin/sessions/:user_id/purge", post(purge))
        .at("/admin/dump", post(dump))
        .at("/admin/services/:service/:action", post(service_action))
        .at("/admin/webhooks/test", post(test_webhook))
        .data(ctx)
}
