// More rejection checks: membership through `any`, comparisons of a URL's
// host, allow-list `match`es, `ensure!`/`assert!`, `!=` chains, parent
// components. Each positive has a check that does not cover the value
// reaching the sink.
use axum::extract::{Path, Query};
use std::collections::HashMap;

const ALLOWED: [&str; 2] = ["a.example.com", "b.example.com"];

async fn neg_any(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    if !ALLOWED.iter().any(|h| *h == host) {
        return;
    }
    let _ = reqwest::get(format!("https://{host}/")).await;
}

async fn pos_any_other(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    let port = q.get("port").cloned().unwrap_or_default();
    if !ALLOWED.iter().any(|h| *h == host) {
        return;
    }
    let _ = reqwest::get(format!("https://{port}/")).await; //~ ssrf
}

async fn neg_url_host(Query(q): Query<HashMap<String, String>>) {
    let raw = q.get("url").cloned().unwrap_or_default();
    let Ok(url) = url::Url::parse(&raw) else { return };
    if url.host_str() != Some("api.example.com") {
        return;
    }
    let _ = reqwest::get(url).await;
}

async fn pos_url_host_logged(Query(q): Query<HashMap<String, String>>) {
    let raw = q.get("url").cloned().unwrap_or_default();
    let Ok(url) = url::Url::parse(&raw) else { return };
    if url.host_str() != Some("api.example.com") {
        log::warn!("unexpected host");
    }
    let _ = reqwest::get(url).await; //~ ssrf
}

async fn neg_match_allow_list(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    match host.as_str() {
        "a.example.com" | "b.example.com" => {}
        _ => return,
    }
    let _ = reqwest::get(format!("https://{host}/")).await;
}

async fn pos_match_falls_through(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    match host.as_str() {
        "a.example.com" => log::info!("a"),
        _ => log::info!("other"),
    }
    let _ = reqwest::get(format!("https://{host}/")).await; //~ ssrf
}

async fn neg_ensure(Path(p): Path<String>) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(!p.contains(".."), "bad path");
    Ok(std::fs::read(format!("/srv/{p}"))?)
}

async fn neg_bail(Path(p): Path<String>) -> anyhow::Result<Vec<u8>> {
    if p.contains("..") {
        anyhow::bail!("bad path");
    }
    Ok(std::fs::read(format!("/srv/{p}"))?)
}

async fn pos_ensure_other(Path(p): Path<String>) -> anyhow::Result<Vec<u8>> {
    let name = p.clone();
    anyhow::ensure!(!p.is_empty(), "empty");
    Ok(std::fs::read(format!("/srv/{name}"))?) //~ path-traversal
}

async fn neg_ne_chain(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    if host != "a.example.com" && host != "b.example.com" {
        return;
    }
    let _ = reqwest::get(format!("https://{host}/")).await;
}

async fn neg_canonical_match(Path(p): Path<String>) -> Vec<u8> {
    let base = std::path::PathBuf::from("/srv");
    let full = match base.join(&p).canonicalize() {
        Ok(f) => f,
        Err(_) => return vec![],
    };
    if !full.starts_with(&base) {
        return vec![];
    }
    std::fs::read(full).unwrap_or_default()
}

async fn neg_parent_components(Path(name): Path<String>) -> Vec<u8> {
    let path = std::path::Path::new(&name);
    if path.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        return vec![];
    }
    std::fs::read(std::path::Path::new("/srv").join(path)).unwrap_or_default()
}

async fn pos_not_dotdot_kept(Path(name): Path<String>) -> Vec<u8> {
    // The check is inverted: only names with `..` get through.
    if !name.contains("..") {
        return vec![];
    }
    std::fs::read(format!("/srv/{name}")).unwrap_or_default() //~ path-traversal
}
