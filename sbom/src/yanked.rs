//! Yanked-version checks against cargo's local sparse-index cache
//! (`$CARGO_HOME/registry/index/index.crates.io-*/.cache`), so they work
//! offline whenever cargo has fetched the index entries before.

use std::path::{Path, PathBuf};

/// Cargo's local registry index cache, for yanked versions.
pub struct LocalIndex {
    cache: PathBuf,
}

impl LocalIndex {
    /// The crates.io cache under `$CARGO_HOME`, if cargo has created one.
    pub fn find_default() -> Option<LocalIndex> {
        let cargo_home = crate::cargo_home()?;
        let mut candidates: Vec<PathBuf> = std::fs::read_dir(cargo_home.join("registry/index"))
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("index.crates.io-"))
            })
            .map(|p| p.join(".cache"))
            .filter(|p| p.is_dir())
            .collect();
        candidates.sort();
        candidates
            .into_iter()
            .next()
            .map(|cache| LocalIndex { cache })
    }

    /// The index cache at `cache` (`$CARGO_HOME/registry/index`).
    pub fn at(cache: &Path) -> LocalIndex {
        LocalIndex {
            cache: cache.to_path_buf(),
        }
    }

    /// Whether `name@version` is yanked; `None` when the cache has no entry.
    pub fn is_yanked(&self, name: &str, version: &str) -> Option<bool> {
        let bytes = std::fs::read(self.cache.join(index_path(name))).ok()?;
        // Layout: a small header, then `version \0 json \0` records: find
        // the version, then parse only the record that follows it.
        let mut parts = bytes.split(|b| *b == 0);
        while let Some(part) = parts.next() {
            if part != version.as_bytes() {
                continue;
            }
            let record = parts.next()?;
            let entry: serde_json::Value = serde_json::from_slice(record).ok()?;
            if entry.get("vers").and_then(|v| v.as_str()) == Some(version) {
                return Some(
                    entry
                        .get("yanked")
                        .and_then(|y| y.as_bool())
                        .unwrap_or(false),
                );
            }
        }
        None
    }
}

/// The index's file layout: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd..`.
pub fn index_path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cache_records() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(index_path("smallvec"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let mut bytes = vec![3, 2, 0, 0, 0];
        bytes.extend_from_slice(b"etag\x000.6.9\x00{\"name\":\"smallvec\",\"vers\":\"0.6.9\",\"yanked\":true}\x000.6.10\x00{\"name\":\"smallvec\",\"vers\":\"0.6.10\",\"yanked\":false}\x00");
        std::fs::write(&file, bytes).unwrap();
        let index = LocalIndex::at(dir.path());
        assert_eq!(index.is_yanked("smallvec", "0.6.9"), Some(true));
        assert_eq!(index.is_yanked("smallvec", "0.6.10"), Some(false));
        assert_eq!(index.is_yanked("smallvec", "1.0.0"), None);
        assert_eq!(index_path("Abc"), "3/a/abc");
    }
}
