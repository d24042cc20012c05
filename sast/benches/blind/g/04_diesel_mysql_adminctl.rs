use clap::{Parser, Subcommand};
use diesel::mysql::MysqlConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use mysql::prelude::Queryable;
use mysql::{Pool, PooledConn};
use rand::{distributions::Alphanumeric, Rng};
use sha2::{Digest, Sha256};

#[derive(Parser)]
#[command(name = "adminctl", about = "Account administration")]
struct Cli {
    #[arg(long, env = "ADMIN_DB_URL")]
    db: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Ban {
        user: String,
        #[arg(long)]
        reason: String,
    },
    Unban {
        user: String,
    },
    Audit {
        actor: String,
    },
    AuditStrict {
        actor: String,
    },
    Find {
        email: String,
    },
    IssueKey {
        service: String,
    },
    IssueLegacyKey {
        service: String,
    },
}

mod queries {
    pub const UNBAN: &str = "UPDATE users SET banned = 0, ban_reason = NULL WHERE username = ?";

    pub fn ban(user: &str, reason: &str) -> String {
        "UPDATE users SET banned = 1, ban_reason = '".to_string() + reason + "' WHERE username = '" + user + "'"
    }

    pub fn find_by_email(email: &str) -> String {
        let mut q = String::from("SELECT id, username FROM users WHERE email = '");
        q.push_str(email);
        q.push('\'');
        q
    }
}

#[derive(QueryableByName, Debug)]
struct AuditEntry {
    #[diesel(sql_type = Text)]
    action: String,
}

fn audit_for(conn: &mut MysqlConnection, actor: &str) -> QueryResult<Vec<AuditEntry>> {
    diesel::sql_query(format!("SELECT action FROM audit_log WHERE actor = '{}' ORDER BY ts DESC", actor)).load::<AuditEntry>(conn) //~ sql-injection
}

fn audit_for_bound(conn: &mut MysqlConnection, actor: &str) -> QueryResult<Vec<AuditEntry>> {
    diesel::sql_query("SELECT action FROM audit_log WHERE actor = ? ORDER BY ts DESC")
        .bind::<Text, _>(actor)
        .load::<AuditEntry>(conn)
}

fn random_key() -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect()
}

fn issue_key(conn: &mut PooledConn, service: &str) -> mysql::Result<String> {
    let key = random_key();
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    conn.exec_drop("INSERT INTO service_keys (service, key_sha256) VALUES (?, ?)", (service, &digest))?;
    Ok(key)
}

fn issue_legacy_key(conn: &mut PooledConn, service: &str) -> mysql::Result<String> {
    let key = random_key();
    conn.exec_drop("INSERT INTO legacy_service_keys (service, api_key) VALUES (?, ?)", (service, &key))?; //~ cleartext-storage
    Ok(key)
}

fn deliver_key(service: &str, key: &str) -> std::io::Result<()> {
    let entry = keyring::Entry::new("adminctl", service).map_err(std::io::Error::other)?;
    entry.set_password(key).map_err(std::io::Error::other)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let pool = Pool::new(cli.db.as_str())?;
    let mut conn = pool.get_conn()?;
    match cli.cmd {
        Cmd::Ban { user, reason } => {
            conn.query_drop(queries::ban(&user, &reason))?; //~ sql-injection
            println!("banned {}", user);
        }
        Cmd::Unban { user } => {
            conn.exec_drop(queries::UNBAN, (user.as_str(),))?;
            println!("unbanned {}", user);
        }
        Cmd::Audit { actor } => {
            let mut dc = MysqlConnection::establish(&cli.db)?;
            for e in audit_for(&mut dc, &actor)? {
                println!("{}", e.action);
            }
        }
        Cmd::AuditStrict { actor } => {
            let mut dc = MysqlConnection::establish(&cli.db)?;
            for e in audit_for_bound(&mut dc, &actor)? {
                println!("{}", e.action);
            }
        }
        Cmd::Find { email } => {
            let rows: Vec<(u64, String)> = conn.query(queries::find_by_email(&email))?; //~ sql-injection
            for (id, name) in rows {
                println!("{}\t{}", id, name);
            }
        }
        Cmd::IssueKey { service } => {
            let key = issue_key(&mut conn, &service)?;
            deliver_key(&service, &key)?;
            println!("issued key for {}", service);
        }
        Cmd::IssueLegacyKey { service } => {
            let key = issue_legacy_key(&mut conn, &service)?;
            deliver_key(&service, &key)?;
            println!("issued legacy key for {}", service);
        }
    }
    Ok(())
}
