//! Audit trail for the admin API. Events are written through Diesel to
//! PostgreSQL and mirrored into the legacy MySQL reporting database.

use axum::extract::{Query, State};
use axum::Json;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Text};
use mysql::prelude::Queryable;
use mysql::PooledConn;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        actor -> Text,
        action -> Text,
        target -> Text,
        credential_fp -> Text,
        body_sha256 -> Text,
    }
}

diesel::table! {
    failed_logins (id) {
        id -> BigInt,
        username -> Text,
        attempted -> Text,
        source_ip -> Text,
    }
}

#[derive(QueryableByName, serde::Serialize)]
pub struct AuditRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    target: String,
}

pub struct AuditRequest<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub api_key: &'a str,
    pub detail: &'a str,
    pub body: &'a [u8],
}

pub struct AuditLog {
    pg: PgConnection,
    mirror: Option<PooledConn>,
}

fn key_fingerprint(api_key: &str) -> String {
    hex::encode(openssl::sha::sha1(api_key.as_bytes())) //~ weak-hash
}

fn body_digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn mirror_event(conn: &mut PooledConn, req: &AuditRequest<'_>) -> mysql::Result<()> {
    conn.exec_drop(
        "INSERT INTO audit_mirror (actor, action, target) VALUES (?, ?, ?)",
        (req.actor, req.action, req.target),
    )?;
    let note = format!(
        "INSERT INTO audit_notes (actor, detail) VALUES ('{}', '{}')",
        req.actor, req.detail
    );
    conn.query_drop(note) //~ sql-injection
}

impl AuditLog {
    pub fn record(&mut self, req: &AuditRequest<'_>) -> anyhow::Result<()> {
        use audit_events::dsl as ae;
        diesel::insert_into(ae::audit_events)
            .values((
                ae::actor.eq(req.actor),
                ae::action.eq(req.action),
                ae::target.eq(req.target),
                ae::credential_fp.eq(key_fingerprint(req.api_key)),
                ae::body_sha256.eq(body_digest(req.body)),
            ))
            .execute(&mut self.pg)?;
        if let Some(conn) = self.mirror.as_mut() {
            mirror_event(conn, req)?;
        }
        Ok(())
    }

    pub fn record_failed_login(
        &mut self,
        user: &str,
        password: &str,
        ip: &str,
    ) -> QueryResult<usize> {
        use failed_logins::dsl as fl;
        diesel::insert_into(fl::failed_logins)
            .values((
                fl::username.eq(user),
                fl::attempted.eq(password), //~ cleartext-storage
                fl::source_ip.eq(ip),
            ))
            .execute(&mut self.pg)
    }

    pub fn by_actor(&mut self, actor: &str, action_prefix: &str) -> QueryResult<Vec<AuditRow>> {
        let sql = format!(
            "SELECT id, actor, action, target FROM audit_events \
             WHERE actor = $1 AND action LIKE '{action_prefix}%' ORDER BY id DESC LIMIT 200"
        );
        sql_query(sql).bind::<Text, _>(actor).load(&mut self.pg) //~ sql-injection
    }

    pub fn by_target(&mut self, target: &str) -> QueryResult<Vec<AuditRow>> {
        sql_query("SELECT id, actor, action, target FROM audit_events WHERE target = $1 LIMIT 200")
            .bind::<Text, _>(target)
            .load(&mut self.pg)
    }
}

#[derive(Deserialize)]
pub struct SearchParams {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
}

pub async fn search(
    State(log): State<Arc<Mutex<AuditLog>>>,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<AuditRow>>, axum::http::StatusCode> {
    let mut log = log
        .lock()
        .map_err(|_| axum::http::StatusCode::INTERNAL_SERVER_ERROR)?;
    let rows = match (&p.actor, &p.target) {
        (Some(actor), _) => log.by_actor(actor, p.action.as_deref().unwrap_or("")),
        (None, Some(target)) => log.by_target(target),
        (None, None) => Ok(Vec::new()),
    };
    rows.map(Json)
        .map_err(|_| axum::http::StatusCode::INTERNAL_SERVER_ERROR)
}

#[derive(Deserialize)]
pub struct AdminAction {
    action: String,
    target: String,
    detail: String,
}

pub async fn admin_action(
    State(log): State<Arc<Mutex<AuditLog>>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    use axum::http::StatusCode;
    let Ok(act) = serde_json::from_slice::<AdminAction>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let req = AuditRequest {
        actor: header("x-actor"),
        action: &act.action,
        target: &act.target,
        api_key: header("x-api-key"),
        detail: &act.detail,
        body: &body,
    };
    match log.lock().map(|mut l| l.record(&req).is_ok()) {
        Ok(true) => StatusCode::NO_CONTENT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
