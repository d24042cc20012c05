//! The trusted root through TUF: Sigstore publishes `trusted_root.json`
//! as a target of a TUF repository, and this fetches it with the TUF
//! client the Sigstore Rust crates use (`sigstore-tuf`: root rotation,
//! signature thresholds, expiry, rollback and freeze protection, hashes
//! and lengths of everything fetched).
//!
//! Trust starts from a TUF `root.json` given to it (the public-good
//! instance's is compiled in). Verified metadata and targets are cached
//! per repository URL under `$XDG_CACHE_HOME/sigstore-rust/tuf/` (the
//! default of the `sigstore-trust-root` crate, so Rust Sigstore clients
//! share it); the cached versions are the floor a later refresh must meet,
//! so rollback protection spans runs.
//!
//! Offline, no request is made: the cache is verified as it stands (an
//! expired timestamp is an error, as online), and with no cache at all the
//! public-good instance falls back to the trusted root compiled into this
//! binary. Any other instance has no offline fallback: unknown means deny.

use crate::Error;
use sigstore_trust_root::SigstoreInstance;
use sigstore_tuf::{FileStore, HttpRepository, StoreRepository, Updater};
use std::path::{Path, PathBuf};

/// The TUF target holding the trusted root.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";

/// Which TUF repository, from which root, cached where.
#[derive(Debug, Clone)]
pub struct TufSource {
    /// The TUF repository's URL.
    pub url: String,
    /// The TUF root trust begins with.
    pub root: Vec<u8>,
    /// Where verified metadata is cached.
    pub cache_dir: PathBuf,
}

/// Where the trusted root came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Refreshed from the repository now.
    Repository,
    /// The verified cache (offline).
    Cache,
    /// Compiled into this binary (offline, public-good, nothing cached).
    Embedded,
}

fn err(url: &str, message: impl std::fmt::Display) -> Error {
    Error::Service {
        url: url.to_string(),
        message: format!("TUF: {message}"),
    }
}

impl TufSource {
    /// Sigstore's public-good TUF repository with its compiled-in root.
    pub fn public_good(cache_base: &Path) -> TufSource {
        let url = SigstoreInstance::PublicGood.tuf_url().to_string();
        TufSource {
            cache_dir: cache_base.join(url_to_dirname(&url)),
            root: SigstoreInstance::PublicGood.tuf_root().to_vec(),
            url,
        }
    }

    /// A private repository at `url`, trusting `root` (a TUF root.json).
    pub fn custom(url: &str, root: Vec<u8>, cache_base: &Path) -> TufSource {
        TufSource {
            url: url.to_string(),
            root,
            cache_dir: cache_base.join(url_to_dirname(url)),
        }
    }

    fn is_public_good(&self) -> bool {
        self.url.trim_end_matches('/')
            == SigstoreInstance::PublicGood.tuf_url().trim_end_matches('/')
            && self.root == SigstoreInstance::PublicGood.tuf_root()
    }
}

/// `$XDG_CACHE_HOME/sigstore-rust/tuf`, else `~/.cache/sigstore-rust/tuf`.
pub fn default_cache_base() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("sigstore-rust").join("tuf"))
}

/// The per-repository directory name (`sigstore-trust-root`'s encoding).
fn url_to_dirname(url: &str) -> String {
    let mut out = String::new();
    for &b in url.trim_end_matches('/').as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The `trusted_root.json` bytes: refreshed from the repository, or
/// offline from the verified cache (or the compiled-in root, public-good
/// only). Every failure of the TUF workflow is an error, never a fallback.
pub fn trusted_root(source: &TufSource, offline: bool) -> Result<(Vec<u8>, Origin), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| err(&source.url, e))?;
    let now = jiff::Timestamp::now();
    if offline {
        let cached = source.cache_dir.join("timestamp.json").exists();
        // A cache that holds some metadata but no timestamp has been
        // tampered with or half-written: falling back to the compiled-in
        // root there would roll the trusted root back past every refresh.
        let partial = !cached
            && std::fs::read_dir(&source.cache_dir).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "json"))
            });
        if partial {
            return Err(err(
                &source.url,
                format!(
                    "--offline: the cache in {} has metadata but no timestamp.json (incomplete or tampered); refresh online",
                    source.cache_dir.display()
                ),
            ));
        }
        if !cached {
            if source.is_public_good() {
                return Ok((
                    sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT
                        .as_bytes()
                        .to_vec(),
                    Origin::Embedded,
                ));
            }
            return Err(err(
                &source.url,
                format!(
                    "--offline and nothing cached in {} (refresh once online first)",
                    source.cache_dir.display()
                ),
            ));
        }
        let store = FileStore::new(&source.cache_dir);
        let bytes = runtime.block_on(async {
            let mut updater =
                Updater::new(StoreRepository::new(store.clone()), &source.root)?.with_store(store);
            updater.refresh(now).await?;
            updater.get_target(TRUSTED_ROOT_TARGET, now).await
        });
        return bytes
            .map(|b| (b, Origin::Cache))
            .map_err(|e| err(&source.url, format!("cached metadata: {}", chain(&e))));
    }
    crate::keyless::check_url(&source.url)?;
    std::fs::create_dir_all(&source.cache_dir).map_err(|e| Error::Io {
        path: source.cache_dir.clone(),
        source: e,
    })?;
    let bytes = runtime.block_on(async {
        let repo = HttpRepository::new(&source.url)?;
        let mut updater =
            Updater::new(repo, &source.root)?.with_store(FileStore::new(&source.cache_dir));
        updater.refresh(now).await?;
        updater.get_target(TRUSTED_ROOT_TARGET, now).await
    });
    bytes
        .map(|b| (b, Origin::Repository))
        .map_err(|e| err(&source.url, chain(&e)))
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn offline_without_a_cache() {
        let dir = tempfile::tempdir().unwrap();
        // Public good: the compiled-in root, no request.
        let (bytes, origin) = trusted_root(&TufSource::public_good(dir.path()), true).unwrap();
        assert_eq!(origin, Origin::Embedded);
        assert!(String::from_utf8(bytes).unwrap().contains("trustedroot"));
        // A private repository has no fallback.
        let custom = TufSource::custom(
            "http://127.0.0.1:9/tuf",
            SigstoreInstance::PublicGood.tuf_root().to_vec(),
            dir.path(),
        );
        let e = trusted_root(&custom, true).unwrap_err().to_string();
        assert!(e.contains("nothing cached"), "{e}");
        // The public-good URL with another root is not the public good.
        let mut other = TufSource::public_good(dir.path());
        other.root = b"{}".to_vec();
        assert!(trusted_root(&other, true).is_err());
    }

    #[test]
    fn cache_directory_names_match_sigstore_trust_root() {
        assert_eq!(
            url_to_dirname("https://tuf-repo-cdn.sigstore.dev/"),
            "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
        );
    }
}
