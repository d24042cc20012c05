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
#![deny(missing_docs)]

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

/// What can stop a dependency check, an SBOM or a database fetch.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The given path does not exist.
    #[error("{path}: no such file or directory")]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// Neither a `Cargo.toml` nor a `Cargo.lock` at the path.
    #[error("{path}: not a cargo project (no Cargo.toml or Cargo.lock)")]
    NotCargoProject {
        /// The path.
        path: PathBuf,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A `Cargo.lock` that does not parse.
    #[error("{path}: not a valid Cargo.lock: {message}")]
    Lockfile {
        /// The lockfile.
        path: PathBuf,
        /// The parser's complaint.
        message: String,
    },
    /// `cargo metadata` failed.
    #[error("{path}: cargo metadata failed: {message}")]
    Metadata {
        /// The manifest.
        path: PathBuf,
        /// What cargo said.
        message: String,
    },
    /// No advisory database where one was expected.
    #[error("advisory database not found at {path}: run `tollgate db fetch`, or pass --advisory-db PATH")]
    DbMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A directory that is not a RustSec database.
    #[error("{path}: not a RustSec advisory database (no crates/ directory)")]
    NotADb {
        /// The directory.
        path: PathBuf,
    },
    /// An advisory file of the database that does not parse.
    #[error("{path}: invalid advisory: {message}")]
    Advisory {
        /// The advisory file.
        path: PathBuf,
        /// The parser's complaint.
        message: String,
    },
    /// Cloning or updating the database failed.
    #[error("fetching the advisory database from {url} failed: {message}")]
    Fetch {
        /// The repository URL.
        url: String,
        /// Why (for certificate failures, the server's certificate explained).
        message: String,
    },
    /// An option or `[audit]` setting that cannot be honoured.
    #[error("{0}")]
    Config(String),
    /// The workspace's sources could not be scanned for call sites.
    #[error("reading workspace sources: {0}")]
    Source(String),
    /// An SBOM could not be written or read.
    #[error("{0}")]
    Sbom(String),
    /// A binary's `cargo auditable` data could not be read.
    #[error("{path}: {message}")]
    Auditable {
        /// The binary.
        path: PathBuf,
        /// Why.
        message: String,
    },
}
