//! The decision log: a verifiable transparency log, built as Certificate
//! Transparency and Sigstore build theirs.
//!
//! * Records are JSON lines (`store`), each carrying its index and the leaf
//!   hash of the record before; the leaves of an RFC 6962 / RFC 9162 Merkle
//!   tree (`merkle`) are `SHA-256(0x00 || line)`.
//! * Checkpoints (C2SP `tlog-checkpoint`: origin, size, root) are signed
//!   with the log's Ed25519 key as C2SP signed notes (`note`) and appended
//!   to `LOG.checkpoints` on a schedule and at shutdown.
//! * One `LogWriter` per file (an exclusive `flock`), group commit: many
//!   records per `fdatasync`, each caller answered with its [`Receipt`]
//!   (index and leaf hash) only once its record is durable (`writer`).
//! * `verify` recomputes everything and names the first bad record;
//!   `proof` gives inclusion and consistency proofs and the witness, which
//!   cosigns (C2SP `cosignature/v1`) only checkpoints that extend the last
//!   one it saw; `export` writes CloudTrail-like JSON lines for a SIEM.
//!
//! Rotation: a log is one file and is never rotated in place (a rotated
//! segment would change no proof, but would make "the log" ambiguous to a
//! verifier). To bound a file, close the log and start a new one under a
//! new origin (`…/2026-11`), as CT logs shard by time; every proof of the
//! old log stays valid against its final checkpoint.
//!
//! Keys come from files (a mounted Kubernetes Secret is a file), never from
//! the environment.

pub mod export;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod store;
pub mod verify;
pub mod wal;
pub mod writer;

pub use note::{NoteSigner, NoteVerifier, SignedCheckpoint};
pub use verify::{verify, VerifyOptions, VerifyReport};
pub use writer::{LogWriter, Receipt, WriterOptions, WriterStats};

use std::path::{Path, PathBuf};

/// Everything that can go wrong reading, writing, proving or witnessing a
/// log. [`LogError::is_tampering`] tells evidence of tampering apart from
/// unreadable input and misuse.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A file of the log (or a key, request or state file) could not be
    /// opened, read, written, synced or locked.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file the operation was on.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the log's exclusive lock (it has a writer).
    #[error("{}: another process is writing this log (one writer per log file: give each webhook replica its own log)", path.display())]
    Locked {
        /// The log file.
        path: PathBuf,
    },
    /// A key could not be generated or parsed, a witness state file is not
    /// a signed checkpoint, or a cosignature line could not be added.
    #[error("{}: {source}", path.display())]
    Key {
        /// The key file (or the witness state file).
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: note::NoteError,
    },
    /// The records are not what was signed: names the first bad record
    /// (0-based index) and its line.
    #[error("{}:{line}: record {record}: {message}", path.display())]
    Broken {
        /// The log file.
        path: PathBuf,
        /// The record's 1-based line in the log file (0 when the whole log
        /// fails to match a checkpoint and no record can be named).
        line: u64,
        /// The record's 0-based index.
        record: u64,
        /// What is wrong with it, and how it came to be so.
        message: String,
    },
    /// A signed checkpoint is malformed, not signed by the given key, from
    /// another origin, out of order, or missing where one is required.
    #[error("{}:{line}: {message}", path.display())]
    Checkpoint {
        /// The checkpoints file (`LOG.checkpoints`, `LOG.witnessed` or a
        /// file of cosigned checkpoints).
        path: PathBuf,
        /// The 1-based line where the checkpoint's note starts (0 when no
        /// one checkpoint is at fault).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The tree or index cache (`LOG.tree`, `LOG.idx`) cannot answer: a
    /// node beyond its end, an offset with no complete record after it.
    #[error("{}: {message}", path.display())]
    Cache {
        /// The cache file (or the log file the cache pointed into).
        path: PathBuf,
        /// What could not be read.
        message: String,
    },
    /// An event could not be serialised as JSON for its record.
    #[error("{}: a record could not be serialised: {message}", path.display())]
    Record {
        /// The log file the record was for.
        path: PathBuf,
        /// The serialiser's error.
        message: String,
    },
    /// The log's writer thread has stopped (closed, or gone), so it can
    /// take no more records or checkpoint requests.
    #[error("{}: the log writer has stopped", path.display())]
    Stopped {
        /// The log file.
        path: PathBuf,
    },
    /// The log does not extend a checkpoint it signed earlier: it was
    /// truncated, rewritten or rolled back.
    #[error("fork: {0}")]
    Fork(String),
    /// No checkpoint carries the required number of cosignatures by the
    /// given witnesses.
    #[error("witnesses: {0}")]
    Witness(String),
    /// A Merkle proof did not verify.
    #[error(transparent)]
    Proof(#[from] merkle::ProofError),
    /// A request that cannot be carried out as given: no checkpoint to
    /// prove against, a record beyond it, a key of the wrong log, a key
    /// file that already exists, and the like.
    #[error("{0}")]
    Usage(String),
}

impl LogError {
    /// Evidence of tampering (as opposed to an unreadable file or a usage
    /// error): the CLI exits 1 for these, 2 for the rest.
    pub fn is_tampering(&self) -> bool {
        matches!(
            self,
            LogError::Broken { .. }
                | LogError::Checkpoint { .. }
                | LogError::Fork(_)
                | LogError::Witness(_)
                | LogError::Proof(_)
        )
    }
}

/// Read a signing key (a file, e.g. a mounted Secret's key).
pub fn read_signer(path: &Path) -> Result<NoteSigner, LogError> {
    let text = std::fs::read_to_string(path).map_err(store::io(path))?;
    NoteSigner::parse(&text).map_err(|source| LogError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Read a public note verifier key (`name+id+key`).
pub fn read_verifier(path: &Path) -> Result<NoteVerifier, LogError> {
    let text = std::fs::read_to_string(path).map_err(store::io(path))?;
    NoteVerifier::parse(&text).map_err(|source| LogError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Write a file atomically (temporary file, fsync, rename), with `mode`
/// on Unix when creating a secret.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), LogError> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        if let Some(m) = mode {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(m);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(LogError::Io {
            path: path.to_path_buf(),
            source,
        });
    }
    Ok(())
}

/// Write a file atomically (temporary file in the same directory, fsync,
/// rename), with the default permissions: [`write_atomic_mode`] without a
/// mode.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), LogError> {
    write_atomic_mode(path, bytes, None)
}

/// Generate a key pair: the private key file (mode 0600, refusing to
/// overwrite) and the public note verifier key.
pub fn generate_key(
    name: &str,
    kind: u8,
    private: &Path,
    public: &Path,
) -> Result<NoteVerifier, LogError> {
    let signer = NoteSigner::generate(name, kind).map_err(|source| LogError::Key {
        path: private.to_path_buf(),
        source,
    })?;
    if private.exists() {
        return Err(LogError::Usage(format!(
            "{}: exists; not overwriting a key",
            private.display()
        )));
    }
    write_atomic_mode(private, signer.private_text().as_bytes(), Some(0o600))?;
    let verifier = signer.verifier();
    write_atomic(public, format!("{}\n", verifier.text()).as_bytes())?;
    Ok(verifier)
}

/// Append one record, unsigned, and return its leaf hash (hex). Kept for
/// callers of the first decision log; new code holds a [`LogWriter`].
pub fn append(path: &Path, record: &serde_json::Value, time: &str) -> Result<String, LogError> {
    let writer = LogWriter::open(path, WriterOptions::default())?;
    let receipt = writer.append_at(record, time)?;
    writer.close()?;
    Ok(receipt.leaf_hex())
}

/// Writers shared by a process (the webhook): installed at start-up with
/// their key, closed (final checkpoint) at shutdown.
pub mod shared {
    use super::{LogError, LogWriter, WriterOptions};
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex, OnceLock};

    fn writers() -> &'static Mutex<HashMap<PathBuf, Arc<LogWriter>>> {
        static W: OnceLock<Mutex<HashMap<PathBuf, Arc<LogWriter>>>> = OnceLock::new();
        W.get_or_init(|| Mutex::new(HashMap::new()))
    }

    /// Open `path` with `options` and keep the writer for [`writer`].
    pub fn install(path: &Path, options: WriterOptions) -> Result<Arc<LogWriter>, LogError> {
        let w = Arc::new(LogWriter::open(path, options)?);
        if let Ok(mut map) = writers().lock() {
            map.insert(path.to_path_buf(), w.clone());
        }
        Ok(w)
    }

    /// The installed writer for `path`, or a new unsigned one.
    pub fn writer(path: &Path) -> Result<Arc<LogWriter>, LogError> {
        let mut map = writers().lock().map_err(|_| LogError::Stopped {
            path: path.to_path_buf(),
        })?;
        if let Some(w) = map.get(path) {
            return Ok(w.clone());
        }
        let w = Arc::new(LogWriter::open(path, WriterOptions::default())?);
        map.insert(path.to_path_buf(), w.clone());
        Ok(w)
    }

    /// The installed writer for `path`, if any (never opens one).
    pub fn installed(path: &Path) -> Option<Arc<LogWriter>> {
        writers().lock().ok()?.get(path).cloned()
    }

    /// Close every writer (each signs a final checkpoint).
    pub fn close_all() -> Vec<(PathBuf, Result<(), LogError>)> {
        let drained: Vec<(PathBuf, Arc<LogWriter>)> = match writers().lock() {
            Ok(mut map) => map.drain().collect(),
            Err(_) => Vec::new(),
        };
        drained
            .into_iter()
            .map(|(p, w)| {
                let r = w.close().map(|_| ());
                (p, r)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
