//! Credential-rotation worker with audit trail (sea-orm). Reads JSON commands on stdin.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::Aes256Gcm;
use rand::distributions::{Alphanumeric, DistString};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryResult, Set, Statement,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};

mod audit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub actor: String,
        pub action: String,
        pub details: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Command {
    Rotate { service: String, actor: String },
    ResetPassword { user: String, actor: String },
    History { actor: String },
    Export { actor: String },
}

#[derive(Serialize)]
struct IssuedCredential<'a> {
    service: &'a str,
    secret: &'a str,
}

struct Settings {
    host: String,
    user: String,
    password: String,
}

impl Settings {
    fn from_env() -> Self {
        let get = |k: &str| std::env::var(k).unwrap_or_default();
        Self {
            host: get("PGHOST"),
            user: get("PGUSER"),
            password: get("PGPASSWORD"),
        }
    }

    fn database_url(&self) -> String {
        format!(
            "postgres://{}:{}@{}/audit",
            self.user, self.password, self.host
        )
    }
}

fn generate_secret(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}

struct AuditRepo {
    db: DatabaseConnection,
}

impl AuditRepo {
    async fn record(&self, actor: &str, action: &str, details: String) -> Result<(), DbErr> {
        let row = audit::ActiveModel {
            actor: Set(actor.to_owned()),
            action: Set(action.to_owned()),
            details: Set(details),
            ..Default::default()
        };
        row.insert(&self.db).await.map(|_| ())
    }

    async fn record_reset(&self, actor: &str, user: &str, temp: &str) -> Result<(), DbErr> {
        let row = audit::ActiveModel {
            actor: Set(actor.to_owned()),
            action: Set("reset_password".to_owned()),
            details: Set(format!("user={} temporary_password={}", user, temp)),
            ..Default::default()
        };
        row.insert(&self.db).await.map(|_| ()) //~ cleartext-storage
    }

    async fn by_actor_raw(&self, actor: &str) -> Result<Vec<QueryResult>, DbErr> {
        let sql = format!(
            "SELECT id, action, details FROM audit_log WHERE actor = '{}' ORDER BY id DESC",
            actor
        );
        let stmt = Statement::from_string(DbBackend::Postgres, sql);
        self.db.query_all(stmt).await //~ sql-injection
    }

    async fn count_for(&self, actor: &str) -> Result<Option<QueryResult>, DbErr> {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM audit_log WHERE actor = $1",
            [actor.into()],
        );
        self.db.query_one(stmt).await
    }

    async fn by_actor(&self, actor: &str) -> Result<Vec<audit::Model>, DbErr> {
        audit::Entity::find()
            .filter(audit::Column::Actor.eq(actor))
            .all(&self.db)
            .await
    }
}

struct AuditExporter {
    export_key: [u8; 32],
}

impl AuditExporter {
    fn new() -> Self {
        Self {
            export_key: *b"audit-export-aes256-key-2023-q4!",
        }
    }

    fn seal(&self, rows: &[audit::Model]) -> Option<Vec<u8>> {
        let cipher = Aes256Gcm::new_from_slice(&self.export_key).ok()?; //~ hardcoded-crypto-key
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let plain = serde_json::to_vec(&rows.iter().map(|r| &r.action).collect::<Vec<_>>()).ok()?;
        let mut out = nonce.to_vec();
        out.extend(cipher.encrypt(&nonce, plain.as_ref()).ok()?);
        Some(out)
    }
}

async fn rotate(repo: &AuditRepo, service: &str, actor: &str) -> Result<(), DbErr> {
    let new_secret = generate_secret(40);
    tracing::info!("rotated credential for {}: {}", service, new_secret); //~ cleartext-logging
    repo.record(actor, "rotate", format!("service={}", service))
        .await?;
    let issued = IssuedCredential {
        service,
        secret: &new_secret,
    };
    let path = format!("/var/lib/rotator/{}.json", service.replace('/', "_"));
    let json = serde_json::to_vec(&issued).unwrap_or_default();
    std::fs::write(&path, json).map_err(|e| DbErr::Custom(e.to_string())) //~ cleartext-storage
}

async fn reset_password(repo: &AuditRepo, user: &str, actor: &str) -> Result<(), DbErr> {
    let temp = generate_secret(12);
    repo.record_reset(actor, user, &temp).await?;
    println!("temporary password issued for {}", user);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), DbErr> {
    tracing_subscriber::fmt::init();
    let settings = Settings::from_env();
    let url = settings.database_url();
    tracing::debug!("connecting to audit database at {}", url); //~ cleartext-logging
    tracing::info!("audit database host {}", settings.host);
    let repo = AuditRepo {
        db: Database::connect(&url).await?,
    };
    let exporter = AuditExporter::new();

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(cmd) = serde_json::from_str::<Command>(&line) else {
            eprintln!("ignoring malformed command");
            continue;
        };
        match cmd {
            Command::Rotate { service, actor } => rotate(&repo, &service, &actor).await?,
            Command::ResetPassword { user, actor } => reset_password(&repo, &user, &actor).await?,
            Command::History { actor } => {
                let rows = repo.by_actor_raw(&actor).await?;
                let total = repo.count_for(&actor).await?;
                println!(
                    "{} rows (count row present: {})",
                    rows.len(),
                    total.is_some()
                );
            }
            Command::Export { actor } => {
                let rows = repo.by_actor(&actor).await?;
                let sealed = exporter.seal(&rows).unwrap_or_default();
                println!("exported {} bytes", sealed.len());
            }
        }
    }
    Ok(())
}
