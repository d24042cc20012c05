// Red team rt44: local input (argv, environment, stdin, files) chooses no
// file path and no URL, but network input mixed with it still does, in a
// helper's result too; an e-mail address before a password in stored text
// does not hide the password; a key finding that is suppressed leaves the
// constant's own `hardcoded-secret`.
use actix_web::HttpRequest;
use axum::extract::{Path, Query};
use std::collections::HashMap;

fn upload_path(req: &HttpRequest) -> String {
    let root = std::env::var("UPLOAD_ROOT").unwrap_or_default();
    format!("{}/{}", root, req.match_info().query("name"))
}

async fn pos_helper_mixes_env_and_request(req: HttpRequest) -> Vec<u8> {
    std::fs::read(upload_path(&req)).unwrap_or_default() //~ path-traversal
}

fn backend_url(req: &HttpRequest) -> String {
    let base = std::env::var("BACKEND").unwrap_or_default();
    format!("{}{}", base, req.match_info().query("target"))
}

async fn pos_helper_url_mixes_env_and_request(req: HttpRequest) {
    let _ = reqwest::get(backend_url(&req)).await; //~ ssrf
}

async fn pos_env_root_then_request_name(Path(name): Path<String>) -> Vec<u8> {
    let root = std::env::var("FILES").unwrap_or_default();
    std::fs::read(format!("{root}/{name}")).unwrap_or_default() //~ path-traversal
}

fn neg_operator_names_the_file() -> Vec<u8> {
    let path = std::env::args().nth(1).unwrap_or_default();
    std::fs::read(path).unwrap_or_default()
}

fn neg_operator_names_the_url() {
    let url = std::env::var("METRICS_URL").unwrap_or_default();
    let _ = ureq::get(&url).call();
}

async fn pos_email_before_password(
    pool: &sqlx::PgPool,
    Query(q): Query<HashMap<String, String>>,
    email: &str,
    password: &str,
) {
    let _ = q;
    let sql = format!("INSERT INTO users(email, pw) VALUES ('{email}', '{password}')");
    let _ = sqlx::query(&sql).execute(pool).await; //~ cleartext-storage
}

async fn neg_email_alone(pool: &sqlx::PgPool, email: &str) {
    let _ = sqlx::query("INSERT INTO subscribers(address) VALUES ($1)")
        .bind(email)
        .execute(pool)
        .await;
}

// tollgate:allow(hardcoded-crypto-key): fixture for rt44, the constant itself stays reported
const PARTNER_API_SECRET: &str = "pk-9c1e-77aa-41f0-b2d3"; //~ hardcoded-secret

fn neg_key_finding_suppressed(body: &[u8]) {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(PARTNER_API_SECRET.as_bytes()).unwrap();
    mac.update(body);
}
