//! The RustSec advisory database on disk: where it lives (the same default
//! as cargo-audit, so both share one copy), opening it with errors that name
//! the bad file, how old it is, and fetching it over git.

pub mod snapshot;

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
    /// The RustSec database as `rustsec` reads it.
    pub db: rustsec::Database,
    /// The checkout it was read from.
    pub path: PathBuf,
    /// How many advisories it holds.
    pub advisory_count: usize,
    /// Commit of a git checkout, if it is one.
    pub commit: Option<String>,
    /// When the database was last updated (Unix seconds): the commit time of
    /// a git checkout, else the date of its newest advisory.
    pub updated_at: Option<i64>,
}

impl AdvisoryDb {
    /// Open the database at `path`; errors name the advisory file that does not parse.
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
    /// The commit now checked out.
    pub commit: String,
    /// The database was cloned (not updated in place).
    pub cloned: bool,
    /// The local copy was damaged (the reason) and has been replaced by a
    /// fresh clone.
    pub repaired: Option<String>,
}

/// Where certificate authorities for HTTPS come from, for error messages:
/// OpenSSL (through libgit2) reads `SSL_CERT_FILE` and `SSL_CERT_DIR` once,
/// when libgit2 is first initialised, else the system store.
pub fn trust_source() -> String {
    let mut parts = Vec::new();
    for var in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
        if let Some(value) = std::env::var_os(var) {
            parts.push(format!("{var}={}", Path::new(&value).display()));
        }
    }
    if parts.is_empty() {
        "the system certificate store".into()
    } else {
        parts.join(", ")
    }
}

/// Clone the database to `path`, or update an existing checkout to the
/// remote's `main` branch.
///
/// * A fresh clone goes to a temporary directory beside `path` and is
///   renamed into place, so a failed fetch never leaves a half-written
///   database.
/// * An update fetches into the existing checkout and moves its files only
///   once the whole pack has arrived and been verified, so an interrupted
///   transfer leaves the old database as it was.
/// * A checkout whose git data is damaged (unreadable HEAD, missing or
///   corrupt objects) is replaced by a fresh clone; the damaged copy is
///   removed only after the new one is in place.
///
/// HTTPS goes through libgit2 with OpenSSL, which trusts `SSL_CERT_FILE` /
/// `SSL_CERT_DIR` when set (read when libgit2 initialises), else the system
/// store. `progress(received, total)` reports objects.
pub fn fetch(
    url: &str,
    path: &Path,
    mut progress: impl FnMut(usize, usize),
) -> Result<Fetched, Error> {
    if url.starts_with("https://") {
        if let Some(file) = std::env::var_os("SSL_CERT_FILE") {
            let file = PathBuf::from(file);
            if !file.is_file() {
                return Err(Error::Fetch {
                    url: url.to_string(),
                    message: format!(
                        "SSL_CERT_FILE={}: no such file (it must name a PEM bundle of trusted CA certificates)",
                        file.display()
                    ),
                });
            }
        }
    }
    // The server's certificate, kept to explain a rejection.
    let peer: std::cell::RefCell<Option<Vec<u8>>> = std::cell::RefCell::new(None);
    let git_err = |e: git2::Error| Error::Fetch {
        url: url.to_string(),
        message: describe_git_error(&e, peer.borrow().as_deref()),
    };
    let mut fetch_options = {
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.transfer_progress(|stats| {
            progress(stats.received_objects(), stats.total_objects());
            true
        });
        callbacks.certificate_check(|cert, _host| {
            if let Some(x509) = cert.as_x509() {
                *peer.borrow_mut() = Some(x509.data().to_vec());
            }
            // libgit2's own verification decides.
            Ok(git2::CertificateCheckStatus::CertificatePassthrough)
        });
        let mut options = git2::FetchOptions::new();
        options.remote_callbacks(callbacks);
        options
    };

    let mut repaired = None;
    if path.join(".git").exists() {
        match check_checkout(path) {
            Ok(repo) => {
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
                // Exactly the fetched tree: stray files (which the advisory
                // parser would trip on) removed too.
                let mut checkout = git2::build::CheckoutBuilder::new();
                checkout
                    .force()
                    .remove_untracked(true)
                    .recreate_missing(true);
                repo.checkout_head(Some(&mut checkout)).map_err(git_err)?;
                return Ok(Fetched {
                    commit: target.id().to_string(),
                    cloned: false,
                    repaired: None,
                });
            }
            Err(reason) => repaired = Some(reason.to_string()),
        }
    } else if path.exists() {
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
    let damaged = parent.join(format!(".{name}.damaged-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
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
            drop(repo);
            let io = |path: &Path| {
                let path = path.to_path_buf();
                move |source| Error::Io { path, source }
            };
            if repaired.is_some() {
                // Swap: the damaged copy aside, the new one in, then drop the old.
                std::fs::rename(path, &damaged).map_err(io(path))?;
                if let Err(e) = std::fs::rename(&staging, path) {
                    let _ = std::fs::rename(&damaged, path);
                    return Err(io(path)(e));
                }
                let _ = std::fs::remove_dir_all(&damaged);
            } else {
                std::fs::rename(&staging, path).map_err(io(path))?;
            }
            Ok(commit)
        });
    match result {
        Ok(commit) => Ok(Fetched {
            commit,
            cloned: true,
            repaired,
        }),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            match (e, repaired) {
                (Error::Fetch { url, message }, Some(reason)) => Err(Error::Fetch {
                    url,
                    message: format!(
                        "{message} (the local copy at {} is damaged and was left as it was: {reason})",
                        path.display()
                    ),
                }),
                (e, _) => Err(e),
            }
        }
    }
}

/// Open a checkout and read every object its HEAD needs: a damaged copy
/// (garbage HEAD, missing or corrupt objects) gives the reason.
/// Why a checkout of the database is damaged.
#[derive(Debug, thiserror::Error)]
enum Damage {
    #[error("{}", .0.message())]
    Open(git2::Error),
    #[error("HEAD: {}", .0.message())]
    Head(git2::Error),
    #[error("object {id} ({path}) is missing or corrupt")]
    Object { id: git2::Oid, path: String },
    #[error("{}", .0.message())]
    Walk(git2::Error),
}

fn check_checkout(path: &Path) -> Result<git2::Repository, Damage> {
    let repo = git2::Repository::open(path).map_err(Damage::Open)?;
    check_objects(&repo)?;
    Ok(repo)
}

fn check_objects(repo: &git2::Repository) -> Result<(), Damage> {
    let tree = repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .map_err(Damage::Head)?;
    let mut broken = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let ok = match entry.kind() {
            Some(git2::ObjectType::Blob) => repo.find_blob(entry.id()).is_ok(),
            Some(git2::ObjectType::Tree) => repo.find_tree(entry.id()).is_ok(),
            _ => true,
        };
        if ok {
            git2::TreeWalkResult::Ok
        } else {
            broken = Some((entry.id(), format!("{dir}{}", entry.name().unwrap_or("?"))));
            git2::TreeWalkResult::Abort
        }
    })
    .map_err(|e| match broken.clone() {
        Some((id, path)) => Damage::Object { id, path },
        None => Damage::Walk(e),
    })?;
    match broken {
        Some((id, path)) => Err(Damage::Object { id, path }),
        None => Ok(()),
    }
}

/// libgit2's message, plus what was wrong with the server's certificate
/// when it was rejected ("the SSL certificate is invalid" says no more).
fn describe_git_error(e: &git2::Error, peer: Option<&[u8]>) -> String {
    let message = e.message().to_string();
    if e.code() != git2::ErrorCode::Certificate && e.class() != git2::ErrorClass::Ssl {
        return message;
    }
    let trust = trust_source();
    let Some(der) = peer else {
        return format!("TLS certificate rejected: {message} (trusted CAs: {trust})");
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return format!(
            "TLS certificate rejected: {message}; the server's certificate is not valid X.509 (trusted CAs: {trust})"
        );
    };
    let validity = cert.validity();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (subject, issuer) = (cert.subject(), cert.issuer());
    let problem = if message.contains("hostname") {
        format!("the server's certificate \"{subject}\" is not issued for this host")
    } else if validity.not_after.timestamp() < now {
        format!(
            "the server's certificate \"{subject}\" expired on {}",
            validity.not_after
        )
    } else if validity.not_before.timestamp() > now {
        format!(
            "the server's certificate \"{subject}\" is not valid before {}",
            validity.not_before
        )
    } else if subject == issuer {
        format!("the server's certificate \"{subject}\" is self-signed and not among the trusted CAs ({trust})")
    } else {
        format!("the server's certificate \"{subject}\" was issued by \"{issuer}\", which is not among the trusted CAs ({trust})")
    };
    format!(
        "TLS certificate rejected ({message}): {problem}; give the issuing CA with --ca-file or SSL_CERT_FILE"
    )
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
