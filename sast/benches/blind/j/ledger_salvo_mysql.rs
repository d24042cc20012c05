//! Ledger API (salvo + mysql_async).

use mysql_async::prelude::*;
use mysql_async::{Conn, OptsBuilder, Pool, SslOpts};
use salvo::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const MAX_PAGE: usize = 500;

static POOL: OnceLock<Pool> = OnceLock::new();
static REPLICA: OnceLock<Pool> = OnceLock::new();

#[derive(Serialize)]
struct Entry {
    id: u64,
    amount: i64,
    memo: String,
}

#[derive(Deserialize)]
struct ApiCredential {
    owner: String,
    key_id: String,
    secret: String,
}

struct LedgerQuery {
    account: String,
    order: String,
    limit: usize,
}

impl LedgerQuery {
    fn from_request(req: &Request) -> Self {
        Self {
            account: req.query::<String>("account").unwrap_or_default(),
            order: req.query::<String>("order").unwrap_or_else(|| "id".into()),
            limit: req.query::<usize>("limit").unwrap_or(50).min(MAX_PAGE),
        }
    }

    fn sql(&self) -> String {
        format!(
            "SELECT id, amount, memo FROM entries WHERE account = '{}' ORDER BY {} LIMIT {}",
            self.account, self.order, self.limit
        )
    }

    async fn run(&self, conn: &mut Conn) -> mysql_async::Result<Vec<Entry>> {
        let rows: Vec<(u64, i64, String)> = conn.query(self.sql()).await?; //~ sql-injection
        Ok(rows
            .into_iter()
            .map(|(id, amount, memo)| Entry { id, amount, memo })
            .collect())
    }
}

fn pool_from_env() -> Pool {
    let ssl = SslOpts::default().with_danger_accept_invalid_certs(true); //~ tls-verification-disabled
    let opts = OptsBuilder::default()
        .ip_or_hostname(std::env::var("LEDGER_DB_HOST").unwrap_or_default())
        .user(std::env::var("LEDGER_DB_USER").ok())
        .pass(std::env::var("LEDGER_DB_PASS").ok())
        .db_name(Some("ledger"))
        .ssl_opts(ssl);
    Pool::new(opts)
}

fn replica_from_env() -> Pool {
    let ca = std::path::PathBuf::from("/etc/ledger/replica-ca.pem");
    let ssl = SslOpts::default()
        .with_root_certs(vec![ca.into()])
        .with_danger_accept_invalid_certs(false);
    let url = std::env::var("LEDGER_REPLICA_URL").unwrap_or_default();
    let opts = mysql_async::Opts::from_url(&url).expect("replica url");
    Pool::new(OptsBuilder::from_opts(opts).ssl_opts(ssl))
}

fn page_buffer(size: usize) -> Vec<Entry> {
    Vec::with_capacity(size) //~ unbounded-allocation
}

async fn recent_for(
    conn: &mut Conn,
    account: &str,
    limit: usize,
) -> mysql_async::Result<Vec<Entry>> {
    let limit = limit.min(MAX_PAGE) as u64;
    let sql = "SELECT id, amount, memo FROM entries WHERE account = ? ORDER BY id DESC LIMIT ?";
    let rows: Vec<(u64, i64, String)> = conn.exec(sql, (account, limit)).await?;
    let mut out = Vec::with_capacity(rows.len());
    out.extend(
        rows.into_iter()
            .map(|(id, amount, memo)| Entry { id, amount, memo }),
    );
    Ok(out)
}

async fn delete_entries(conn: &mut Conn, ids: &[String]) -> mysql_async::Result<()> {
    let list = ids.join(",");
    let sql = format!("DELETE FROM entries WHERE id IN ({list})");
    conn.query_drop(sql).await //~ sql-injection
}

async fn store_credential(conn: &mut Conn, cred: &ApiCredential) -> mysql_async::Result<()> {
    let sql = "INSERT INTO api_credentials (owner, key_id, secret) VALUES (?, ?, ?)";
    let row = (&cred.owner, &cred.key_id, &cred.secret);
    conn.exec_drop(sql, row).await //~ cleartext-storage
}

async fn rotate_credential(conn: &mut Conn, cred: &ApiCredential) -> mysql_async::Result<()> {
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        cred.secret.as_bytes(),
    ));
    let sql = "UPDATE api_credentials SET secret_sha256 = ? WHERE owner = ? AND key_id = ?";
    conn.exec_drop(sql, (digest, &cred.owner, &cred.key_id))
        .await
}

async fn conn() -> Result<Conn, StatusError> {
    let pool = POOL.get_or_init(pool_from_env);
    pool.get_conn()
        .await
        .map_err(|_| StatusError::service_unavailable())
}

#[handler]
async fn list_entries(req: &mut Request, res: &mut Response) -> Result<(), StatusError> {
    let query = LedgerQuery::from_request(req);
    let mut c = conn().await?;
    let rows = query
        .run(&mut c)
        .await
        .map_err(|_| StatusError::bad_request())?;
    res.render(Json(rows));
    Ok(())
}

#[handler]
async fn export_page(req: &mut Request, res: &mut Response) -> Result<(), StatusError> {
    let size = req.query::<usize>("page_size").unwrap_or(100);
    let account = req.query::<String>("account").unwrap_or_default();
    let mut page = page_buffer(size);
    let replica = REPLICA.get_or_init(replica_from_env);
    let mut c = replica
        .get_conn()
        .await
        .map_err(|_| StatusError::service_unavailable())?;
    page.extend(
        recent_for(&mut c, &account, size)
            .await
            .map_err(|_| StatusError::bad_request())?,
    );
    res.render(Json(page));
    Ok(())
}

#[handler]
async fn purge(req: &mut Request) -> Result<StatusCode, StatusError> {
    let ids: Vec<String> = req
        .parse_json()
        .await
        .map_err(|_| StatusError::bad_request())?;
    let mut c = conn().await?;
    delete_entries(&mut c, &ids)
        .await
        .map_err(|_| StatusError::internal_server_error())?;
    Ok(StatusCode::NO_CONTENT)
}

#[handler]
async fn register_credential(req: &mut Request) -> Result<StatusCode, StatusError> {
    let cred: ApiCredential = req
        .parse_json()
        .await
        .map_err(|_| StatusError::bad_request())?;
    let mut c = conn().await?;
    let rotate = req.query::<bool>("rotate").unwrap_or(false);
    let res = if rotate {
        rotate_credential(&mut c, &cred).await
    } else {
        store_credential(&mut c, &cred).await
    };
    res.map_err(|_| StatusError::internal_server_error())?;
    Ok(StatusCode::CREATED)
}

#[tokio::main]
async fn main() {
    let router = Router::with_path("ledger")
        .push(Router::with_path("entries").get(list_entries).delete(purge))
        .push(Router::with_path("export").get(export_page))
        .push(Router::with_path("credentials").post(register_credential));
    let acceptor = TcpListener::new("0.0.0.0:5800").bind().await;
    Server::new(acceptor).serve(router).await;
}
