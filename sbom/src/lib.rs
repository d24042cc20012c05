//! `tollgate-sbom`: what a cargo project depends on, and whether that is
//! acceptable.
//!
//! * [`graph`]: the dependency graph from `cargo metadata` and `Cargo.lock`
//!   (or a bare lockfile), built once and shared by every check;
//! * [`advisory_db`]: the RustSec advisory database on disk, and fetching it;
//! * [`audit`]: vulnerabilities and informational advisories, ignores, and
//!   [`reachability`] of affected functions from the workspace's own code;
//! * [`policy`]: licence, source and ban checks (cargo-deny's other three);
//! * [`report`]: text, JSON (cargo-audit's shape for vulnerabilities) and SARIF.
//!
//! It does not fetch anything except in [`advisory_db::fetch`] (and what
//! `cargo metadata` itself needs); every check works offline with a local
//! database.

#![forbid(unsafe_code)]

pub mod advisory_db;
pub mod audit;
pub mod auditable;
pub mod config;
pub mod cyclonedx;
pub mod diag;
pub mod diff;
pub mod graph;
pub mod policy;
pub mod reachability;
pub mod report;
pub mod spdx_json;
pub mod yanked;

use std::path::PathBuf;

/// `$CARGO_HOME`, else `~/.cargo`.
pub fn cargo_home() -> Option<PathBuf> {
    // An empty variable counts as unset, as cargo treats it.
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// The `license` a crates.io package declares, read from cargo's local
/// source cache (`$CARGO_HOME/registry/src/*/NAME-VERSION/Cargo.toml`)
/// when cargo has unpacked it there; `None` when it has not, or the
/// manifest declares none. Offline, like everything here.
pub fn cached_license(name: &str, version: &str) -> Option<String> {
    let src = cargo_home()?.join("registry").join("src");
    let mut registries: Vec<PathBuf> = std::fs::read_dir(src)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    registries.sort();
    registries.into_iter().find_map(|registry| {
        let text = std::fs::read_to_string(
            registry
                .join(format!("{name}-{version}"))
                .join("Cargo.toml"),
        )
        .ok()?;
        let manifest: toml::Table = toml::from_str(&text).ok()?;
        manifest
            .get("package")?
            .get("license")?
            .as_str()
            .map(str::to_string)
    })
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },
    #[error("{path}: not a cargo project (no Cargo.toml or Cargo.lock)")]
    NotCargoProject { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a valid Cargo.lock: {message}")]
    Lockfile { path: PathBuf, message: String },
    #[error("{path}: cargo metadata failed: {message}")]
    Metadata { path: PathBuf, message: String },
    #[error("advisory database not found at {path}: run `tollgate db fetch`, or pass --advisory-db PATH")]
    DbMissing { path: PathBuf },
    #[error("{path}: not a RustSec advisory database (no crates/ directory)")]
    NotADb { path: PathBuf },
    #[error("{path}: invalid advisory: {message}")]
    Advisory { path: PathBuf, message: String },
    #[error("fetching the advisory database from {url} failed: {message}")]
    Fetch { url: String, message: String },
    #[error("{0}")]
    Config(String),
    #[error("reading workspace sources: {0}")]
    Source(String),
    #[error("{0}")]
    Sbom(String),
    #[error("{path}: {message}")]
    Auditable { path: PathBuf, message: String },
}
