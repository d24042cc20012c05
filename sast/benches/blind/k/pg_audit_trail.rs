//! Tamper-evident audit trail stored in Postgres via tokio-postgres.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio_postgres::{Client, NoTls, Row};
use tracing::{error, info};

#[derive(Deserialize, Clone)]
pub struct DbConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub dbname: String,
}

#[derive(Deserialize)]
pub struct EventFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Deserialize)]
pub struct ConnectorRegistration {
    pub name: String,
    pub endpoint: String,
    pub username: String,
    pub password: String,
}

pub struct AuditEvent {
    pub actor: String,
    pub action: String,
    pub detail: String,
}

fn connection_string(cfg: &DbConfig) -> String {
    format!(
        "host={} port={} user={} password={} dbname={}",
        cfg.host, cfg.port, cfg.user, cfg.password, cfg.dbname
    )
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

mod chain {
    use super::*;

    pub fn link_v1(prev: &str, ev: &AuditEvent) -> String {
        let material = format!("{}|{}|{}|{}", prev, ev.actor, ev.action, ev.detail);
        hex::encode(Sha1::digest(material.as_bytes())) //~ weak-hash
    }

    pub fn link_v2(prev: &str, ev: &AuditEvent) -> String {
        let mut h = Sha256::new();
        for part in [prev, &ev.actor, &ev.action, &ev.detail] {
            h.update(part.as_bytes());
            h.update(b"\x1f");
        }
        hex::encode(h.finalize())
    }
}

pub struct AuditTrail {
    client: Client,
    chain_version: u8,
}

impl AuditTrail {
    pub async fn connect(cfg: &DbConfig) -> Result<Self, tokio_postgres::Error> {
        let dsn = connection_string(cfg);
        info!(
            "opening audit store {}:{}/{}",
            cfg.host, cfg.port, cfg.dbname
        );
        info!("audit dsn: {}", dsn); //~ cleartext-logging
        let (client, connection) = tokio_postgres::connect(&dsn, NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                error!("audit connection closed: {}", e);
            }
        });
        Ok(AuditTrail {
            client,
            chain_version: 2,
        })
    }

    async fn last_link(&self) -> Result<String, tokio_postgres::Error> {
        let row = self
            .client
            .query_opt(
                "SELECT link FROM audit_events ORDER BY id DESC LIMIT 1",
                &[],
            )
            .await?;
        Ok(row.map(|r| r.get(0)).unwrap_or_default())
    }

    pub async fn record(&self, ev: &AuditEvent) -> Result<(), tokio_postgres::Error> {
        let prev = self.last_link().await?;
        let link = match self.chain_version {
            1 => chain::link_v1(&prev, ev),
            _ => chain::link_v2(&prev, ev),
        };
        self.client
            .execute(
                "INSERT INTO audit_events (ts, actor, action, detail, link) VALUES ($1, $2, $3, $4, $5)",
                &[&now_secs(), &ev.actor, &ev.action, &ev.detail, &link],
            )
            .await?;
        Ok(())
    }

    pub async fn events(&self, f: &EventFilter) -> Result<Vec<Row>, tokio_postgres::Error> {
        let sql = filter_sql(f);
        self.client.query(sql.as_str(), &[]).await //~ sql-injection
    }

    pub async fn events_by_action(&self, action: &str) -> Result<Vec<Row>, tokio_postgres::Error> {
        let stmt = self
            .client
            .prepare("SELECT id, ts, actor, detail FROM audit_events WHERE action = $1")
            .await?;
        self.client.query(&stmt, &[&action]).await
    }

    pub async fn create_partition(&self, tenant: &str) -> Result<(), tokio_postgres::Error> {
        if tenant.is_empty()
            || !tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Ok(());
        }
        let ddl = format!("CREATE TABLE IF NOT EXISTS audit_{tenant} (LIKE audit_events)");
        self.client.batch_execute(&ddl).await
    }

    pub async fn purge_tenant(
        &self,
        tenant: &str,
        before: i64,
    ) -> Result<u64, tokio_postgres::Error> {
        let sql = format!("DELETE FROM audit_{} WHERE ts < $1", tenant);
        self.client.execute(&sql, &[&before]).await //~ sql-injection
    }

    pub async fn register_connector(
        &self,
        reg: &ConnectorRegistration,
    ) -> Result<(), tokio_postgres::Error> {
        let sql =
            "INSERT INTO connectors (name, endpoint, username, password) VALUES ($1, $2, $3, $4)";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&reg.name, &reg.endpoint, &reg.username, &reg.password];
        self.client.execute(sql, &params).await?; //~ cleartext-storage
        info!("registered connector {} at {}", reg.name, reg.endpoint);
        Ok(())
    }
}

fn filter_sql(f: &EventFilter) -> String {
    let mut sql = String::from("SELECT id, ts, actor, action, detail FROM audit_events WHERE true");
    if let Some(actor) = &f.actor {
        sql += &format!(" AND actor = '{}'", actor);
    }
    if let Some(action) = &f.action {
        sql.push_str(" AND action = '");
        sql.push_str(action);
        sql.push('\'');
    }
    let limit = f.limit.unwrap_or(100).clamp(1, 1000);
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit));
    sql
}
