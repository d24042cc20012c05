// Issue 17, item 5: rejection checks and early returns clean a value.
// Each `pos_*` has a check that does not protect the value that reaches
// the sink; each `neg_*` is guarded and must not be reported.
use axum::extract::{Path, Query};
use std::collections::HashMap;

const ALLOWED_HOSTS: &[&str] = &["api.example.com", "cdn.example.com"];

async fn pos_ssrf(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    let _ = reqwest::get(format!("https://{host}/status")).await; //~ ssrf
}

async fn neg_host_allow_list(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    if !ALLOWED_HOSTS.contains(&host.as_str()) {
        return;
    }
    let _ = reqwest::get(format!("https://{host}/status")).await;
}

async fn neg_host_matches(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    if !matches!(host.as_str(), "api.example.com" | "cdn.example.com") {
        return;
    }
    let _ = reqwest::get(format!("https://{host}/status")).await;
}

async fn neg_host_match_arm(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    let base = match host.as_str() {
        "eu" => "https://eu.example.com",
        _ => "https://us.example.com",
    };
    let _ = reqwest::get(base).await;
}

async fn pos_allow_list_other_var(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    let path = q.get("path").cloned().unwrap_or_default();
    if !ALLOWED_HOSTS.contains(&host.as_str()) {
        return;
    }
    let _ = reqwest::get(format!("https://{path}/status")).await; //~ ssrf
}

async fn pos_traversal(Path(name): Path<String>) -> Vec<u8> {
    std::fs::read(format!("/srv/files/{name}")).unwrap_or_default() //~ path-traversal
}

async fn neg_dotdot(Path(name): Path<String>) -> Vec<u8> {
    if name.contains("..") || name.starts_with('/') {
        return Vec::new();
    }
    std::fs::read(format!("/srv/files/{name}")).unwrap_or_default()
}

async fn neg_canonical(Path(name): Path<String>) -> Vec<u8> {
    let base = std::path::Path::new("/srv/files");
    let full = base.join(&name).canonicalize().unwrap();
    if !full.starts_with(base) {
        return Vec::new();
    }
    std::fs::read(&full).unwrap_or_default()
}

async fn neg_canonical_inside(Path(name): Path<String>) -> Vec<u8> {
    let base = std::path::Path::new("/srv/files");
    let full = std::fs::canonicalize(base.join(&name)).unwrap();
    if full.starts_with(base) {
        std::fs::read(&full).unwrap_or_default()
    } else {
        Vec::new()
    }
}

async fn pos_unchecked_join(Path(name): Path<String>) -> Vec<u8> {
    let base = std::path::Path::new("/srv/files");
    let full = base.join(&name);
    if !full.starts_with(base) {
        return Vec::new();
    }
    // `join` without `canonicalize`: `a/../../etc` still starts with the base.
    std::fs::read(&full).unwrap_or_default() //~ path-traversal
}

async fn neg_dotdot_early_return(Query(q): Query<HashMap<String, String>>) -> std::io::Result<()> {
    let file = q.get("file").cloned().unwrap_or_default();
    if file.contains("..") {
        return Err(std::io::Error::other("bad path"));
    }
    std::fs::remove_file(format!("uploads/{file}"))
}

fn pos_guard_no_return(conn: &rusqlite::Connection, Path(t): Path<String>) {
    if !ALLOWED_HOSTS.contains(&t.as_str()) {
        eprintln!("unknown table");
    }
    let _ = conn.execute(&format!("DROP TABLE {t}"), []); //~ sql-injection
}

fn neg_table_allow_list(conn: &rusqlite::Connection, Path(t): Path<String>) {
    if !["users", "posts"].contains(&t.as_str()) {
        return;
    }
    let _ = conn.execute(&format!("DELETE FROM {t}"), []);
}
