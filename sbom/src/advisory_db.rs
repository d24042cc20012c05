//! The RustSec advisory database on disk: where it lives (the same default
//! as cargo-audit, so both share one copy), opening it with errors that name
//! the bad file, how old it is, and fetching it over git.

use crate::Error;
use std::path::{Path, PathBuf};

/// Upstream repository of the RustSec advisory database.
pub const DEFAULT_URL: &str = "https://github.com/rustsec/advisory-db.git";

/// `$CARGO_HOME/advisory-db`, the location cargo-audit uses.
pub fn default_path() -> PathBuf {
    crate::cargo_home()
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("advisory-db")
}

/// An opened database.
pub struct AdvisoryDb {
    pub db: rustsec::Database,
    pub path: PathBuf,
    pub advisory_count: usize,
    /// Commit of a git checkout, if it is one.
    pub commit: Option<String>,
    /// When the database was last updated (Unix seconds): the commit time of
    /// a git checkout, else the date of its newest advisory.
    pub updated_at: Option<i64>,
}

impl AdvisoryDb {
    pub fn open(path: &Path) -> Result<AdvisoryDb, Error> {
        if !path.exists() {
            return Err(Error::DbMissing {
                path: path.to_path_buf(),
            });
        }
        if !path.join("crates").is_dir() {
            return Err(Error::NotADb {
                path: path.to_path_buf(),
            });
        }
        let db = rustsec::Database::open(path).map_err(|e| locate_bad_advisory(path, e))?;
        let advisory_count = db.iter().count();
        let (commit, commit_time) = match git2::Repository::open(path) {
            Ok(repo) => match repo.head().and_then(|h| h.peel_to_commit()) {
                Ok(c) => (Some(c.id().to_string()), Some(c.time().seconds())),
                Err(_) => (None, None),
            },
            Err(_) => (None, None),
        };
        let newest_advisory = db
            .iter()
            .map(|a| {
                let d = &a.metadata.date;
                days_from_civil(i64::from(d.year()), d.month(), d.day()) * 86_400
            })
            .max();
        Ok(AdvisoryDb {
            db,
            path: path.to_path_buf(),
            advisory_count,
            commit,
            updated_at: commit_time.or(newest_advisory),
        })
    }

    /// Age in whole days at `now` (Unix seconds).
    pub fn age_days(&self, now: i64) -> Option<i64> {
        self.updated_at.map(|t| (now - t).max(0) / 86_400)
    }
}

/// rustsec reports a parse failure without the file; find and name it.
fn locate_bad_advisory(root: &Path, original: rustsec::Error) -> Error {
    let mut files: Vec<PathBuf> = Vec::new();
    for collection in ["crates", "rust"] {
        let Ok(dirs) = std::fs::read_dir(root.join(collection)) else {
            continue;
        };
        for dir in dirs.flatten() {
            if let Ok(entries) = std::fs::read_dir(dir.path()) {
                files.extend(entries.flatten().map(|e| e.path()).filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                }));
            }
        }
    }
    files.sort();
    for file in files {
        if let Err(e) = rustsec::Advisory::load_file(&file) {
            return Error::Advisory {
                path: file,
                message: e.to_string(),
            };
        }
    }
    Error::Advisory {
        path: root.to_path_buf(),
        message: original.to_string(),
    }
}

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Result of `fetch`.
#[derive(Debug)]
pub struct Fetched {
    pub commit: String,
    /// The database was cloned (not updated in place).
    pub cloned: bool,
}

/// Clone the database to `path`, or update an existing checkout to the
/// remote's `main` branch. A fresh clone goes to a temporary directory
/// beside `path` and is renamed into place, so a failed fetch never leaves
/// a half-written database. `progress(received, total)` reports objects.
pub fn fetch(
    url: &str,
    path: &Path,
    mut progress: impl FnMut(usize, usize),
) -> Result<Fetched, Error> {
    let git_err = |e: git2::Error| Error::Fetch {
        url: url.to_string(),
        message: e.message().to_string(),
    };
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.transfer_progress(|stats| {
        progress(stats.received_objects(), stats.total_objects());
        true
    });
    let mut fetch_options = git2::FetchOptions::new();
    fetch_options.remote_callbacks(callbacks);

    if path.join(".git").exists() {
        let repo = git2::Repository::open(path).map_err(git_err)?;
        let mut remote = repo.remote_anonymous(url).map_err(git_err)?;
        remote
            .fetch(
                &["+refs/heads/main:refs/remotes/tollgate/main"],
                Some(&mut fetch_options),
                None,
            )
            .map_err(git_err)?;
        let target = repo
            .find_reference("refs/remotes/tollgate/main")
            .and_then(|r| r.peel_to_commit())
            .map_err(git_err)?;
        repo.reset(target.as_object(), git2::ResetType::Hard, None)
            .map_err(git_err)?;
        return Ok(Fetched {
            commit: target.id().to_string(),
            cloned: false,
        });
    }
    if path.exists() {
        return Err(Error::Fetch {
            url: url.to_string(),
            message: format!(
                "{} exists and is not a git checkout; remove it or choose another --advisory-db",
                path.display()
            ),
        });
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| Error::Io {
        path: parent.to_path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "advisory-db".into());
    let staging = parent.join(format!(".{name}.fetch-{}", std::process::id()));
    let result = git2::build::RepoBuilder::new()
        .branch("main")
        .fetch_options(fetch_options)
        .clone(url, &staging)
        .map_err(git_err)
        .and_then(|repo| {
            let commit = repo
                .head()
                .and_then(|h| h.peel_to_commit())
                .map_err(git_err)?
                .id()
                .to_string();
            std::fs::rename(&staging, path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            Ok(commit)
        });
    match result {
        Ok(commit) => Ok(Fetched {
            commit,
            cloned: true,
        }),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 8, 21), 20_686);
    }
}
