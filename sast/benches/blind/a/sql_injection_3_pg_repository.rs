// Tokio-postgres audit repository: table name from env config and a JSON body filter reach SQL.
use serde::Deserialize;
use std::env;
use tokio_postgres::{Client, Error, NoTls};

#[derive(Deserialize)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since: Option<String>,
}

pub struct AuditRepo {
    client: Client,
    table: String,
}

impl AuditRepo {
    pub async fn connect() -> Result<Self, Error> {
        let dsn = env::var("AUDIT_DSN").unwrap_or_else(|_| "host=localhost user=audit".into());
        let (client, conn) = tokio_postgres::connect(&dsn, NoTls).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let table = env::var("AUDIT_TABLE").unwrap_or_else(|_| "audit_log".to_string());
        Ok(AuditRepo { client, table })
    }

    fn where_clause(filter: &AuditFilter) -> String {
        let parts: Vec<String> = [
            filter.actor.as_ref().map(|a| format!("actor = '{}'", a)),
            filter.action.as_ref().map(|a| format!("action = '{}'", a)),
            filter.since.as_ref().map(|s| format!("ts >= '{}'", s)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            "TRUE".to_string()
        } else {
            parts.join(" AND ")
        }
    }

    pub async fn search(&self, body: &str) -> Result<u64, Error> {
        let filter: AuditFilter = serde_json::from_str(body).expect("bad filter");
        let sql = format!("SELECT count(*) FROM audit_log WHERE {}", Self::where_clause(&filter));
        let msgs = self.client.simple_query(&sql).await?; //~ sql-injection
        Ok(msgs.len() as u64)
    }

    pub async fn truncate(&self) -> Result<(), Error> {
        let sql = format!("TRUNCATE TABLE {}; VACUUM {};", self.table, self.table);
        self.client.batch_execute(&sql).await //~ sql-injection
    }

    // SAFE: values are bound as $1/$2 parameters.
    pub async fn record(&self, actor: &str, action: &str) -> Result<u64, Error> {
        self.client
            .execute(
                "INSERT INTO audit_log (actor, action, ts) VALUES ($1, $2, now())",
                &[&actor, &action],
            )
            .await
    }

    // SAFE: parameterised lookup even though the value comes from the request.
    pub async fn by_actor(&self, filter: &AuditFilter) -> Result<usize, Error> {
        let actor = filter.actor.clone().unwrap_or_default();
        let rows = self
            .client
            .query("SELECT id FROM audit_log WHERE actor = $1", &[&actor])
            .await?;
        Ok(rows.len())
    }
}
