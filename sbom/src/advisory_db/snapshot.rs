//! The advisory database snapshot built into tollgate: a gzip'd ustar of
//! the whole RustSec database (about 420 KB), written by
//! `scripts/advisory-snapshot` from a dated upstream commit. It is used only
//! when no database is given or found, so that the demo and an offline first
//! run work; callers warn with [`date`] since it is necessarily out of date.

use crate::Error;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

const ARCHIVE: &[u8] = include_bytes!("../../snapshot/advisory-db.tar.gz");
const SOURCE: &str = include_str!("../../snapshot/SOURCE");

fn field(key: &str) -> &'static str {
    SOURCE
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
        .unwrap_or("unknown")
}

/// Upstream rustsec/advisory-db commit the snapshot was taken from.
pub fn commit() -> &'static str {
    field("commit")
}

/// Date of that commit (YYYY-MM-DD).
pub fn date() -> &'static str {
    field("date")
}

/// Number of advisories in the snapshot.
pub fn advisory_count() -> usize {
    field("advisories").parse().unwrap_or(0)
}

/// Size of the compressed archive in the binary.
pub fn archive_len() -> usize {
    ARCHIVE.len()
}

/// A one-line description for warnings.
pub fn describe() -> String {
    let commit = commit();
    format!(
        "the advisory database snapshot built into tollgate (RustSec advisory-db {}, {}, {} advisories)",
        &commit[..12.min(commit.len())],
        date(),
        advisory_count()
    )
}

/// Unpack the snapshot into `dir`, which must not exist yet (it is created
/// private to this user). Returns the number of files written.
pub fn extract(dir: &Path) -> Result<usize, Error> {
    let bad = |message: String| Error::Advisory {
        path: PathBuf::from("<built-in advisory snapshot>"),
        message,
    };
    let digest = hex::encode(Sha256::digest(ARCHIVE));
    if digest != field("sha256") {
        return Err(bad(format!(
            "archive SHA-256 {digest} does not match SOURCE ({}); rebuild with scripts/advisory-snapshot",
            field("sha256")
        )));
    }
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(ARCHIVE)
        .read_to_end(&mut tar)
        .map_err(|e| bad(format!("cannot decompress: {e}")))?;
    create_private_dir(dir)?;
    let mut written = 0;
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let text = |range: std::ops::Range<usize>| {
            let raw = &header[range];
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[..end]).into_owned()
        };
        let name = match text(345..500) {
            prefix if prefix.is_empty() => text(0..100),
            prefix => format!("{prefix}/{}", text(0..100)),
        };
        let size = usize::from_str_radix(text(124..136).trim(), 8)
            .map_err(|_| bad(format!("{name}: bad size field")))?;
        let start = at + 512;
        let end = start
            .checked_add(size)
            .filter(|&e| e <= tar.len())
            .ok_or_else(|| bad(format!("{name}: truncated")))?;
        let relative = Path::new(&name);
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(bad(format!("{name}: not a plain relative path")));
        }
        match header[156] {
            b'0' | 0 => {
                let path = dir.join(relative);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                }
                std::fs::write(&path, &tar[start..end])
                    .map_err(|source| Error::Io { path, source })?;
                written += 1;
            }
            b'5' => {}
            other => {
                return Err(bad(format!(
                    "{name}: unexpected entry type {:?}",
                    char::from(other)
                )))
            }
        }
        at = start + size.div_ceil(512) * 512;
    }
    Ok(written)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// The snapshot unpacked into a fresh private directory under the system
/// temporary directory, removed again when dropped.
pub struct Unpacked {
    /// The unpacked database's directory.
    pub path: PathBuf,
}

impl Unpacked {
    /// Unpack the built-in snapshot (after checking its SHA-256).
    pub fn new() -> Result<Unpacked, Error> {
        let base = std::env::temp_dir();
        let mut attempt = 0u32;
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let path = base.join(format!(
                "tollgate-advisory-db-{}-{nanos:08x}{attempt}",
                std::process::id()
            ));
            match extract(&path) {
                Ok(_) => return Ok(Unpacked { path }),
                Err(Error::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 =>
                {
                    attempt += 1;
                }
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&path);
                    return Err(e);
                }
            }
        }
    }
}

impl Drop for Unpacked {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory_db::AdvisoryDb;

    #[test]
    fn snapshot_unpacks_into_a_database_that_opens() {
        let unpacked = Unpacked::new().unwrap();
        let db = AdvisoryDb::open(&unpacked.path).unwrap();
        assert_eq!(db.advisory_count, advisory_count());
        assert!(db.advisory_count > 1000, "{}", db.advisory_count);
        assert_eq!(commit().len(), 40);
        assert_eq!(date().len(), 10);
        // No git checkout: the age comes from the newest advisory, so a
        // stale snapshot is reported as such.
        assert!(db.commit.is_none());
        assert!(db.updated_at.is_some());
        // The CC-BY attributions travel with the advisories.
        assert!(unpacked.path.join("LICENSES/CC-BY-4.0.txt").is_file());
        let path = unpacked.path.clone();
        drop(unpacked);
        assert!(!path.exists(), "removed when dropped");
    }

    #[test]
    fn extract_refuses_an_existing_directory() {
        let dir = std::env::temp_dir();
        assert!(matches!(extract(&dir), Err(Error::Io { .. })));
    }
}
