//! gRPC user directory backed by PostgreSQL (tonic + tokio-postgres).

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Error as PgError, Row};
use tonic::{Request, Response, Status};

pub mod pb {
    tonic::include_proto!("directory.v1");
}

use pb::user_directory_server::UserDirectory;
use pb::{CreateUserReply, CreateUserRequest, ListUsersRequest, PurgeReply, PurgeRequest};
use pb::{ResetReply, ResetRequest, SetPasswordRequest, User, UserList};

const INSERT_USER: &str = "INSERT INTO users (org_id, email, role, initial_password) \
                           VALUES ($1, $2, $3, $4) RETURNING id";
const SET_PASSWORD: &str = "UPDATE users SET password_hash = $2, initial_password = NULL \
                            WHERE id = $1";
const STORE_RESET: &str = "INSERT INTO password_resets (user_id, token_sha256) VALUES ($1, $2)";

fn db_err(e: PgError) -> Status {
    tracing::error!(error = %e, "database error");
    Status::internal("database error")
}

struct ListFilter {
    org_id: i64,
    email_domain: Option<String>,
    role: Option<String>,
}

impl ListFilter {
    fn from_request(r: &ListUsersRequest) -> Self {
        let non_empty = |s: &String| (!s.is_empty()).then(|| s.clone());
        ListFilter {
            org_id: r.org_id,
            email_domain: non_empty(&r.email_domain),
            role: non_empty(&r.role),
        }
    }

    fn where_clause(&self) -> String {
        let mut parts = vec![
            "org_id = $1".to_string(),
            "($2::text IS NULL OR role = $2)".into(),
        ];
        if let Some(domain) = &self.email_domain {
            parts.push(format!("email LIKE '%@{domain}'"));
        }
        parts.join(" AND ")
    }
}

pub struct UserStore {
    db: Arc<Client>,
}

impl UserStore {
    async fn list(&self, f: &ListFilter) -> Result<Vec<Row>, PgError> {
        let sql = format!(
            "SELECT id, email, role FROM users WHERE {} ORDER BY id",
            f.where_clause()
        );
        self.db.query(&sql, &[&f.org_id, &f.role]).await //~ sql-injection
    }

    async fn purge(&self, org: i64, external_ids: &[String]) -> Result<u64, PgError> {
        let quoted: Vec<String> = external_ids.iter().map(|id| format!("'{id}'")).collect();
        let sql = format!(
            "DELETE FROM users WHERE org_id = $1 AND external_id IN ({})",
            quoted.join(",")
        );
        self.db.execute(sql.as_str(), &[&org]).await //~ sql-injection
    }

    async fn archive(&self, org: i64, ids: &[i64]) -> Result<u64, PgError> {
        let sql = "UPDATE users SET archived = true WHERE org_id = $1 AND id = ANY($2)";
        self.db.execute(sql, &[&org, &ids]).await
    }

    async fn insert(
        &self,
        org: i64,
        email: &str,
        role: &str,
        initial: &str,
    ) -> Result<i64, PgError> {
        let values: [&(dyn ToSql + Sync); 4] = [&org, &email, &role, &initial];
        let row = self.db.query_one(INSERT_USER, &values).await?; //~ cleartext-storage
        Ok(row.get(0))
    }

    async fn set_password(&self, user_id: i64, password: &str) -> Result<(), Status> {
        let salt = SaltString::generate(&mut OsRng);
        let phc = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|_| Status::internal("hashing failed"))?
            .to_string();
        self.db
            .execute(SET_PASSWORD, &[&user_id, &phc])
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

fn reset_token(user_id: i64, email: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    hex::encode(Sha1::digest(format!("{user_id}:{email}:{now}"))) //~ weak-hash
}

pub struct Directory {
    store: UserStore,
}

#[tonic::async_trait]
impl UserDirectory for Directory {
    async fn list_users(
        &self,
        req: Request<ListUsersRequest>,
    ) -> Result<Response<UserList>, Status> {
        let filter = ListFilter::from_request(req.get_ref());
        let rows = self.store.list(&filter).await.map_err(db_err)?;
        let users = rows
            .iter()
            .map(|r| User {
                id: r.get(0),
                email: r.get(1),
                role: r.get(2),
            })
            .collect();
        Ok(Response::new(UserList { users }))
    }

    async fn purge_users(
        &self,
        req: Request<PurgeRequest>,
    ) -> Result<Response<PurgeReply>, Status> {
        let req = req.into_inner();
        let removed = self
            .store
            .purge(req.org_id, &req.external_ids)
            .await
            .map_err(db_err)?;
        let archived = self
            .store
            .archive(req.org_id, &req.archive_ids)
            .await
            .map_err(db_err)?;
        Ok(Response::new(PurgeReply { removed, archived }))
    }

    async fn create_user(
        &self,
        req: Request<CreateUserRequest>,
    ) -> Result<Response<CreateUserReply>, Status> {
        let r = req.into_inner();
        let id = self
            .store
            .insert(r.org_id, &r.email, &r.role, &r.initial_password)
            .await;
        let id = id.map_err(db_err)?;
        tracing::info!(user_id = id, email = %r.email, "user created");
        Ok(Response::new(CreateUserReply { id }))
    }

    async fn set_password(&self, req: Request<SetPasswordRequest>) -> Result<Response<()>, Status> {
        let r = req.into_inner();
        self.store.set_password(r.user_id, &r.password).await?;
        tracing::info!(user_id = r.user_id, "password changed");
        Ok(Response::new(()))
    }

    async fn request_reset(
        &self,
        req: Request<ResetRequest>,
    ) -> Result<Response<ResetReply>, Status> {
        let r = req.into_inner();
        let token = reset_token(r.user_id, &r.email);
        let digest = hex::encode(Sha256::digest(token.as_bytes()));
        self.store
            .db
            .execute(STORE_RESET, &[&r.user_id, &digest])
            .await
            .map_err(db_err)?;
        tracing::info!(user_id = r.user_id, "password reset requested");
        tracing::debug!(user_id = r.user_id, %token, "reset link issued"); //~ cleartext-logging
        Ok(Response::new(ResetReply { sent: true }))
    }
}
