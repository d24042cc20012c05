//! The one writer of a log: an exclusive lock on the file, group commit on
//! a background thread, checkpoints on a schedule and at shutdown.
//!
//! ```no_run
//! # use tollgate_verifier::log::{LogWriter, WriterOptions};
//! # fn main() -> Result<(), tollgate_verifier::log::LogError> {
//! let writer = LogWriter::open(std::path::Path::new("decisions.jsonl"), WriterOptions::default())?;
//! let receipt = writer.append(serde_json::json!({"allowed": true}))?; // durable on return
//! println!("{} {}", receipt.index, receipt.leaf_hex());
//! writer.close()?; // signs a final checkpoint
//! # Ok(()) }
//! ```
//!
//! `append` (blocking) and `append_async` queue the record; the writer
//! thread takes everything queued (up to `max_batch`), writes it with one
//! `write` and one `fdatasync`, and only then answers each caller with its
//! record's index and leaf hash. A failed write or sync is cut back
//! (`set_len`) to the last durable length and every record of the batch
//! gets the error, so a full disk never leaves a torn record behind.

use super::merkle::{self, CompactRange, Hash};
use super::note::{Checkpoint, NoteSigner, SignedCheckpoint};
use super::store::{self, io, TreeCache, ZERO};
use super::wal::{self, Tagger, Wal};
use super::LogError;
use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Why a writer whose file was moved away stops.
const MOVED: &str = "the log file was moved, replaced, truncated or deleted while this writer held it: the writer stopped (rotate a log by starting a new file: restart the writer on it)";

/// Where a decision went: its index in the log and its Merkle leaf hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The record's 0-based index.
    pub index: u64,
    /// The record's Merkle leaf hash.
    pub leaf_hash: Hash,
}

impl Receipt {
    /// The leaf hash in lower-case hex.
    pub fn leaf_hex(&self) -> String {
        let mut out = [0u8; 64];
        // 64 bytes for 32: cannot fail, and hex is ASCII.
        let _ = hex::encode_to_slice(self.leaf_hash, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// How [`LogWriter::open`] writes a log: its key, origin, checkpoint
/// schedule and batch size.
pub struct WriterOptions {
    /// Signs checkpoints. Without it the log is written unsigned (the tree
    /// and chain still hold, but a rewrite of the whole file goes unseen).
    pub key: Option<NoteSigner>,
    /// The checkpoint origin line; by default the key's name. A webhook
    /// replica puts its own name in it (one log per replica).
    pub origin: Option<String>,
    /// How often a new checkpoint is signed while records arrive; zero
    /// signs one after every batch. One is always signed at close.
    pub checkpoint_interval: Duration,
    /// Most records per write and sync.
    pub max_batch: usize,
    /// The size of the write-ahead file `LOG.wal` (see `log::wal`); zero
    /// for none, when every batch appends to the log file and syncs it.
    /// A busy writer (the webhook) wants one: a sync of a pre-written file
    /// costs a fraction of an append's. If it cannot be created (a full
    /// disk), the writer goes on without it ([`LogWriter::wal_error`]).
    pub wal_size: u64,
    /// Sign records found past the latest checkpoint that the write-ahead
    /// file does not vouch for, instead of setting them aside: only for
    /// the key holder's explicit `tollgate log checkpoint`.
    pub adopt_unvouched: bool,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            key: None,
            origin: None,
            checkpoint_interval: Duration::from_secs(1),
            max_batch: 4096,
            wal_size: 0,
            adopt_unvouched: false,
        }
    }
}

type CheckpointReply = mpsc::Sender<Result<Option<SignedCheckpoint>, LogError>>;

/// What callers hand the writer thread: a list under a lock that the
/// writer swaps for its own empty one, so that queueing a record allocates
/// nothing (a channel allocates blocks on the caller's thread that the
/// writer frees) and the writer takes everything queued at once. The
/// writer is woken only when it waits.
#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

#[derive(Default)]
struct QueueState {
    msgs: Vec<Msg>,
    /// The writer is waiting for messages (a push must wake it).
    idle: bool,
    /// The writer has stopped: nothing more is taken.
    stopped: bool,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // A panic while holding the lock leaves a plain list behind.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue a message; gives it back if the writer has stopped.
    fn push(&self, msg: Msg) -> Result<(), Box<Msg>> {
        let mut state = self.lock();
        if state.stopped {
            return Err(Box::new(msg));
        }
        state.msgs.push(msg);
        let wake = state.idle;
        drop(state);
        if wake {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Swap everything queued into `into` (empty), waiting up to `timeout`
    /// if nothing is.
    fn take(&self, into: &mut Vec<Msg>, timeout: Duration) {
        let mut state = self.lock();
        if state.msgs.is_empty() {
            state.idle = true;
            state = match self.ready.wait_timeout(state, timeout) {
                Ok((s, _)) => s,
                Err(e) => e.into_inner().0,
            };
            state.idle = false;
        }
        std::mem::swap(&mut state.msgs, into);
    }

    /// The writer stops: later pushes fail, and whatever is queued is
    /// dropped (its callers get [`LogError::Stopped`]).
    fn stop(&self) {
        let left = {
            let mut state = self.lock();
            state.stopped = true;
            std::mem::take(&mut state.msgs)
        };
        drop(left);
    }
}

/// Stops the queue when the writer's thread ends, however it ends.
struct StopOnExit(Arc<Queue>);

impl Drop for StopOnExit {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// An async caller's answer carries its record's text back, so that the
/// caller's thread frees what it allocated (a free from the writer's
/// thread goes to another malloc arena, under its lock).
type AsyncReply = tokio::sync::oneshot::Sender<(Result<Receipt, LogError>, String)>;

enum Reply {
    Blocking(mpsc::Sender<Result<Receipt, LogError>>),
    Async(AsyncReply),
}

impl Reply {
    fn send(self, r: Result<Receipt, LogError>, event: String) {
        match self {
            Reply::Blocking(tx) => {
                let _ = tx.send(r);
            }
            Reply::Async(tx) => {
                let _ = tx.send((r, event));
            }
        }
    }
}

struct Pending {
    /// RFC 3339 text; `None`: stamped by the writer when it commits the
    /// record (formatted once per second, not once per record).
    time: Option<String>,
    event: String,
    reply: Reply,
}

enum Msg {
    Append(Pending),
    Checkpoint(CheckpointReply),
    Close(CheckpointReply),
    /// Tests: stop as a killed process would, with no checkpoint, no sync
    /// and the write-ahead file left as it is.
    #[cfg(test)]
    Crash(mpsc::Sender<()>),
}

/// The one writer of a log file: holds its exclusive lock and a background
/// thread that commits queued records in batches and signs checkpoints.
/// Dropping it closes it (a final checkpoint).
pub struct LogWriter {
    path: PathBuf,
    origin: String,
    queue: Arc<Queue>,
    thread: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<Counters>,
    wal_error: Option<String>,
    notice: Option<String>,
}

/// What group commit has done so far (for metrics and benchmarks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Write-and-sync rounds (one `fdatasync` each).
    pub batches: u64,
    /// Records made durable.
    pub records: u64,
    /// Time spent in `write` + `fdatasync`, in microseconds.
    pub sync_micros: u64,
    /// The largest batch.
    pub max_batch: u64,
    /// Scheduled checkpoints that could not be written (retried after an
    /// interval).
    pub checkpoint_failures: u64,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    records: AtomicU64,
    sync_micros: AtomicU64,
    max_batch: AtomicU64,
    checkpoint_failures: AtomicU64,
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogWriter({})", self.path.display())
    }
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // Formatted once per second per thread: every record of a busy second
    // carries the same text.
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != secs {
            *last = (secs, tollgate_sbom::report::rfc3339(secs));
        }
        last.1.clone()
    })
}

impl LogWriter {
    /// Open (or create) the log for appending. Fails if another writer
    /// holds it, if it does not match its own latest checkpoint, or if it
    /// has signed checkpoints and no key (or another origin) is given.
    pub fn open(path: &Path, options: WriterOptions) -> Result<LogWriter, LogError> {
        let inner = Inner::open(path, options)?;
        let stats = inner.stats.clone();
        let origin = inner.origin.clone();
        let wal_error = inner.wal_error.clone();
        let notice = inner.notice.clone();
        let queue = Arc::new(Queue::default());
        let taken = queue.clone();
        let thread = std::thread::Builder::new()
            .name("tollgate-log".into())
            .spawn(move || inner.run(taken))
            .map_err(io(path))?;
        Ok(LogWriter {
            path: path.to_path_buf(),
            origin,
            queue,
            thread: Mutex::new(Some(thread)),
            stats,
            wal_error,
            notice,
        })
    }

    /// What opening the log found and set aside, if anything: records past
    /// the latest signed checkpoint that the writer could not vouch for
    /// (moved to `LOG.unvouched`, never signed).
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Why the write-ahead file that [`WriterOptions::wal_size`] asked for
    /// could not be created (the writer then syncs the log file itself).
    pub fn wal_error(&self) -> Option<&str> {
        self.wal_error.as_deref()
    }

    /// Batches, records and sync time so far.
    pub fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.stats.batches.load(Ordering::Relaxed),
            records: self.stats.records.load(Ordering::Relaxed),
            sync_micros: self.stats.sync_micros.load(Ordering::Relaxed),
            max_batch: self.stats.max_batch.load(Ordering::Relaxed),
            checkpoint_failures: self.stats.checkpoint_failures.load(Ordering::Relaxed),
        }
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The origin line of the log's checkpoints.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn stopped(&self) -> LogError {
        LogError::Stopped {
            path: self.path.clone(),
        }
    }

    fn send(&self, msg: Msg) -> Result<(), LogError> {
        self.queue.push(msg).map_err(|_| self.stopped())
    }

    fn queue(&self, event: &Value, time: Option<String>, reply: Reply) -> Result<(), LogError> {
        let event = serde_json::to_string(event).map_err(|e| LogError::Record {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        self.send(Msg::Append(Pending { time, event, reply }))
    }

    /// Append a record stamped with the time it is written; returns once
    /// it is on disk.
    pub fn append(&self, event: Value) -> Result<Receipt, LogError> {
        let (tx, rx) = mpsc::channel();
        self.queue(&event, None, Reply::Blocking(tx))?;
        rx.recv().map_err(|_| self.stopped())?
    }

    /// Append a record stamped with `time` (RFC 3339 text, written as
    /// given); returns once it is on disk.
    pub fn append_at(&self, event: &Value, time: &str) -> Result<Receipt, LogError> {
        let (tx, rx) = mpsc::channel();
        self.queue(event, Some(time.to_string()), Reply::Blocking(tx))?;
        rx.recv().map_err(|_| self.stopped())?
    }

    /// Append many records at once (they share write and sync calls);
    /// returns their receipts in order, once all are durable.
    pub fn append_many(&self, events: &[Value]) -> Result<Vec<Receipt>, LogError> {
        let time = now_rfc3339();
        let mut waits = Vec::with_capacity(events.len());
        for e in events {
            let (tx, rx) = mpsc::channel();
            self.queue(e, Some(time.clone()), Reply::Blocking(tx))?;
            waits.push(rx);
        }
        waits
            .into_iter()
            .map(|rx| rx.recv().map_err(|_| self.stopped())?)
            .collect()
    }

    /// `append` for async callers: the wait does not block a runtime thread.
    pub async fn append_async(&self, event: Value) -> Result<Receipt, LogError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.queue(&event, None, Reply::Async(tx))?;
        rx.await.map_err(|_| self.stopped())?.0
    }

    /// `append_async` for an event already serialised as one JSON value
    /// (the webhook builds its records from pieces serialised once).
    pub(crate) async fn append_json_async(&self, event: String) -> Result<Receipt, LogError> {
        debug_assert!(serde_json::from_str::<serde::de::IgnoredAny>(&event).is_ok());
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Msg::Append(Pending {
            time: None,
            event,
            reply: Reply::Async(tx),
        }))?;
        // The record's text comes back to be freed here.
        rx.await.map_err(|_| self.stopped())?.0
    }

    /// Sign a checkpoint of everything written so far (unsigned logs: `None`).
    pub fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, LogError> {
        let (tx, rx) = mpsc::channel();
        self.send(Msg::Checkpoint(tx))?;
        rx.recv().map_err(|_| self.stopped())?
    }

    /// Tests: stop the writer as a crash would (see `Msg::Crash`).
    #[cfg(test)]
    pub(crate) fn crash(&self) {
        let Some(handle) = self.thread.lock().ok().and_then(|mut t| t.take()) else {
            return;
        };
        let (tx, rx) = mpsc::channel();
        if self.send(Msg::Crash(tx)).is_ok() {
            let _ = rx.recv();
        }
        let _ = handle.join();
    }

    /// Sign a final checkpoint, stop the writer and release the lock.
    pub fn close(&self) -> Result<Option<SignedCheckpoint>, LogError> {
        let Some(handle) = self.thread.lock().ok().and_then(|mut t| t.take()) else {
            return Err(self.stopped());
        };
        let (tx, rx) = mpsc::channel();
        let result = match self.send(Msg::Close(tx)) {
            Ok(()) => rx.recv().map_err(|_| self.stopped()).and_then(|r| r),
            Err(_) => Err(self.stopped()),
        };
        let _ = handle.join();
        result
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

struct Inner {
    path: PathBuf,
    file: File,
    /// The log file was moved, replaced or deleted under the writer: it
    /// writes nothing more.
    moved: bool,
    /// Length of the log file: every record written and acknowledged.
    len: u64,
    /// How much of the log file is known to be on disk (with a
    /// write-ahead file, the rest is durable in it).
    log_synced: u64,
    wal: Option<Wal>,
    wal_error: Option<String>,
    tagger: Tagger,
    /// A batch went to the log file past the write-ahead file: sign it.
    checkpoint_due: bool,
    /// What opening the log set aside (see [`LogWriter::notice`]).
    notice: Option<String>,
    /// Syncs the log file as it grows (with a write-ahead file only).
    background: Option<BackgroundSync>,
    /// An `fdatasync` failed: Linux may have dropped the pages it could
    /// not write and will not report it again, so nothing after it can be
    /// trusted to be durable. Every later batch fails; a restart recovers
    /// from what is on disk.
    poisoned: bool,
    range: CompactRange,
    prev: Hash,
    tree: Option<BufWriter<File>>,
    idx: Option<BufWriter<File>>,
    key: Option<NoteSigner>,
    origin: String,
    interval: Duration,
    max_batch: usize,
    checkpoints: Option<File>,
    last: Option<SignedCheckpoint>,
    /// A scheduled checkpoint that could not be written, reported later.
    deferred_error: Option<LogError>,
    stats: Arc<Counters>,
    /// When the caches were last pushed to their files.
    flushed: Instant,
    /// A batch's buffers, kept for the next one.
    scratch: Scratch,
}

/// What a batch is built in: its lines, each record's offset and leaf
/// hash, the tree nodes it adds, and its write-ahead frame.
#[derive(Default)]
struct Scratch {
    buf: Vec<u8>,
    offsets: Vec<u64>,
    leaves: Vec<Hash>,
    nodes: Vec<u8>,
    frame: Vec<u8>,
}

/// With a write-ahead file, the log file is synced in the background as it
/// grows, so that the sync before a checkpoint (on the writer's thread,
/// holding up every batch behind it) has little left to flush.
struct BackgroundSync {
    /// Bytes of the log file written (published after each batch).
    written: Arc<AtomicU64>,
    /// Bytes known synced by the background thread.
    synced: Arc<AtomicU64>,
    /// A background `fdatasync` failed (the writer then stops).
    failed: Arc<std::sync::atomic::AtomicBool>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// Held across a sync and the publication of its outcome, by the
    /// background thread and by the writer's own sync: the thread shares
    /// the writer's open file description, and Linux reports a writeback
    /// error once per description, so the writer must never sync while a
    /// background sync may be taking its error.
    lock: Arc<Mutex<()>>,
    thread: Option<JoinHandle<()>>,
}

/// How often the background thread syncs a growing log file.
const BACKGROUND_SYNC_EVERY: Duration = Duration::from_millis(50);

impl BackgroundSync {
    /// Start syncing `file`, of which `len` bytes are written and
    /// `synced` known durable.
    fn start(path: &Path, file: &File, len: u64, synced: u64) -> Result<BackgroundSync, LogError> {
        let file = file.try_clone().map_err(io(path))?;
        let written = Arc::new(AtomicU64::new(len));
        let synced = Arc::new(AtomicU64::new(synced.min(len)));
        let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let lock = Arc::new(Mutex::new(()));
        let (w, s, f, st, l) = (
            written.clone(),
            synced.clone(),
            failed.clone(),
            stop.clone(),
            lock.clone(),
        );
        let thread = std::thread::Builder::new()
            .name("tollgate-log-sync".into())
            .spawn(move || {
                while !st.load(Ordering::Acquire) {
                    std::thread::park_timeout(BACKGROUND_SYNC_EVERY);
                    let target = w.load(Ordering::Acquire);
                    if target > s.load(Ordering::Acquire) {
                        let Ok(_held) = l.lock() else {
                            f.store(true, Ordering::Release);
                            return;
                        };
                        if file.sync_data().is_err() {
                            f.store(true, Ordering::Release);
                            return;
                        }
                        s.fetch_max(target, Ordering::AcqRel);
                    }
                }
            })
            .map_err(io(path))?;
        Ok(BackgroundSync {
            written,
            synced,
            failed,
            stop,
            lock,
            thread: Some(thread),
        })
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// Open (creating it) a file beside the log for appending, never through a
/// symlink: a symlink in its place is removed first, and the file opened
/// must be the regular file at that name. `truncate` empties it.
fn open_sidecar(path: &Path, truncate: bool) -> Result<File, LogError> {
    use std::os::unix::fs::MetadataExt;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(path).map_err(io(path))?;
    }
    let f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(io(path))?;
    let opened = f.metadata().map_err(io(path))?;
    let named = std::fs::symlink_metadata(path).map_err(io(path))?;
    if !opened.file_type().is_file() || opened.ino() != named.ino() || opened.dev() != named.dev() {
        return Err(LogError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("not a regular file"),
        });
    }
    if truncate {
        f.set_len(0).map_err(io(path))?;
    }
    Ok(f)
}

/// How stale the cache files may get under a steady load (between
/// checkpoints): a crash loses at most this much of them to rebuild.
const CACHE_FLUSH_EVERY: Duration = Duration::from_secs(1);

impl Inner {
    fn open(path: &Path, options: WriterOptions) -> Result<Inner, LogError> {
        let cp_path = store::checkpoints_path(path);
        // Only the latest checkpoint matters here (read from the file's end:
        // a CLI gate's log has one per decision).
        let last = super::proof::latest_checkpoint(path)?;
        if !path.exists() && last.as_ref().is_some_and(|c| c.checkpoint.size > 0) {
            return Err(LogError::Broken {
                path: path.to_path_buf(),
                line: 1,
                record: 0,
                message:
                    "the log file is missing but its checkpoints cover records: it was deleted"
                        .into(),
            });
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io(path))?;
        match fs4::fs_std::FileExt::try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) => {
                return Err(LogError::Locked {
                    path: path.to_path_buf(),
                })
            }
            Err(e) => {
                return Err(LogError::Io {
                    path: path.to_path_buf(),
                    source: e,
                })
            }
        }
        let origin = match (&options.origin, &options.key) {
            (Some(o), _) => o.clone(),
            (None, Some(k)) => k.name.clone(),
            (None, None) => "tollgate/decisions".to_string(),
        };
        if let Some(last) = &last {
            let Some(key) = &options.key else {
                return Err(LogError::Usage(format!(
                    "{}: the log has signed checkpoints; give its key to append",
                    path.display()
                )));
            };
            if key.verifier().verify(&last.note).is_none() {
                return Err(LogError::Checkpoint {
                    path: cp_path,
                    line: 0,
                    message: format!(
                        "the latest checkpoint is not signed by `{}`: refusing to continue this log",
                        key.name
                    ),
                });
            }
            if last.checkpoint.origin != origin {
                return Err(LogError::Usage(format!(
                    "{}: the log's origin is `{}`, not `{origin}`",
                    path.display(),
                    last.checkpoint.origin
                )));
            }
        }
        // Records a crash took from the log file come back from the
        // write-ahead file first; then the caches are checked against it.
        let tagger = Tagger::new(options.key.as_ref(), &origin);
        let mut wal = None;
        let mut frames = Vec::new();
        if let wal::Existing::Found(w) = Wal::existing(path)? {
            let signed = last.as_ref().map_or(0, |c| c.checkpoint.size);
            frames = w.entries(&tagger)?;
            if !replay(path, &file, &frames, signed)? {
                // Frames that do not continue this log's records are not
                // its own (an older log of the same name and key).
                frames.clear();
            }
            wal = Some(w);
        }
        let mut inner = Inner {
            moved: false,
            path: path.to_path_buf(),
            file,
            len: 0,
            log_synced: 0,
            wal: None,
            wal_error: None,
            tagger,
            checkpoint_due: false,
            notice: None,
            background: None,
            poisoned: false,
            range: CompactRange::new(),
            prev: ZERO,
            tree: None,
            idx: None,
            key: options.key,
            origin,
            interval: options.checkpoint_interval,
            max_batch: options.max_batch.max(1),
            checkpoints: None,
            last,
            deferred_error: None,
            stats: Arc::default(),
            flushed: Instant::now(),
            scratch: Scratch::default(),
        };
        if !inner.recover_from_cache()? {
            inner.rebuild()?;
        }
        if let Some(last) = &inner.last {
            let size = inner.range.size();
            let matches = size >= last.checkpoint.size
                && TreeCache::open(path)
                    .map(|(cache, _)| merkle::root_at(&cache, last.checkpoint.size))
                    .and_then(Result::ok)
                    == Some(last.checkpoint.root);
            if !matches {
                return Err(LogError::Broken {
                    path: path.to_path_buf(),
                    line: size.min(last.checkpoint.size) + 1,
                    record: size.min(last.checkpoint.size),
                    message: format!(
                        "the log does not match its latest checkpoint (size {}): refusing to append; run `tollgate log verify`",
                        last.checkpoint.size
                    ),
                });
            }
        }
        // The writer signs only records it can vouch for: those past the
        // latest signed checkpoint must be in the write-ahead file (its
        // frames are tagged with a secret of the key). Others (appended by
        // someone else, or left by a writer that stopped before signing
        // and had no write-ahead file) are set aside, not signed.
        if inner.key.is_some() {
            inner.checkpoints = Some(open_sidecar(&cp_path, false)?);
            let signed = inner.last.as_ref().map_or(0, |c| c.checkpoint.size);
            let n = inner.range.size();
            let index = |e: &wal::Entry| store::record_header(&e.line).map(|(i, _)| i);
            let vouched = match (
                frames.first().and_then(index),
                frames.last().and_then(index),
            ) {
                (Some(first), Some(last)) if first <= signed && last >= signed => last + 1,
                _ => signed,
            };
            if n > vouched && options.adopt_unvouched {
                inner.notice = Some(format!(
                    "records {vouched}..{} were covered neither by a signed checkpoint nor by the write-ahead file: this checkpoint signs them (check them first with `tollgate log verify`)",
                    n - 1
                ));
            } else if n > vouched && inner.last.is_none() && frames.is_empty() {
                // Never signed: an unsigned log given a key for the first
                // time, not a forged append to a signed one.
                return Err(LogError::Usage(format!(
                    "{}: the log has {n} records and no signed checkpoint: sign it as it is first with `tollgate log checkpoint` (after `tollgate log verify`)",
                    path.display()
                )));
            } else if n > vouched {
                inner.set_aside(vouched)?;
            }
        }
        // Everything in the log file is made durable before the write-ahead
        // file forgets its entries, and what its frames vouched for is
        // signed first (the next writer could not vouch for it otherwise).
        inner.file.sync_data().map_err(io(path))?;
        inner.log_synced = inner.len;
        if inner.key.is_some()
            && inner.range.size() > inner.last.as_ref().map_or(0, |c| c.checkpoint.size)
        {
            inner.checkpoint()?;
        }
        let wanted = (options.wal_size > 0).then(|| wal::rounded(options.wal_size));
        match (wal, wanted) {
            (Some(mut w), Some(size)) if w.size() == size => {
                w.reset()?;
                inner.wal = Some(w);
            }
            (old, Some(size)) => match Wal::create(path, size) {
                Ok(w) => inner.wal = Some(w),
                Err(e) => {
                    if let Some(mut w) = old {
                        w.reset()?;
                    }
                    inner.wal_error = Some(e.to_string());
                }
            },
            (Some(_), None) => {
                let p = wal::path(path);
                std::fs::remove_file(&p).map_err(io(&p))?;
            }
            (None, None) => {}
        }
        if inner.wal.is_some() {
            inner.background = Some(BackgroundSync::start(
                path,
                &inner.file,
                inner.len,
                inner.log_synced,
            )?);
        }
        Ok(inner)
    }

    /// Move records `from..` out of the log file into `LOG.unvouched`.
    fn set_aside(&mut self, from: u64) -> Result<(), LogError> {
        let n = self.range.size();
        // Rare: read the offset from the records, not the caches.
        let mut offset = None;
        let mut reader = File::open(&self.path).map_err(io(&self.path))?;
        store::scan_lines(&self.path, &mut reader, |line_no, at, _| {
            if line_no == from + 1 {
                offset = Some(at);
            }
            Ok(())
        })?;
        let Some(offset) = offset else {
            return Ok(());
        };
        let mut f = File::open(&self.path).map_err(io(&self.path))?;
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(offset)).map_err(io(&self.path))?;
        let aside = store::sidecar(&self.path, "unvouched");
        let mut out = open_sidecar(&aside, false)?;
        std::io::copy(&mut f, &mut out)
            .and_then(|_| out.sync_all())
            .map_err(io(&aside))?;
        self.file.set_len(offset).map_err(io(&self.path))?;
        self.file.sync_data().map_err(io(&self.path))?;
        self.rebuild()?;
        self.notice = Some(format!(
            "records {from}..{} were covered neither by a signed checkpoint nor by the write-ahead file (appended by someone else, or by a writer that stopped before signing them): moved to {} and not signed",
            n - 1,
            aside.display()
        ));
        Ok(())
    }

    /// Take the state from the caches if they agree with the log's end.
    fn recover_from_cache(&mut self) -> Result<bool, LogError> {
        let len = self.file.metadata().map_err(io(&self.path))?.len();
        let Some((cache, idx)) = TreeCache::open(&self.path) else {
            return Ok(false);
        };
        let leaves = cache.leaves;
        let ok = if leaves == 0 {
            len == 0
        } else {
            let idx_path = store::idx_path(&self.path);
            let check = || -> Result<bool, LogError> {
                let offset = store::record_offset(&idx, &idx_path, leaves - 1)?;
                let line = store::read_line_at(&self.path, offset)?;
                let leaf = merkle::leaf_hash(&line);
                Ok(offset + line.len() as u64 + 1 == len
                    && store::record_header(&line).map(|(i, _)| i) == Some(leaves - 1)
                    && cache.leaf(leaves - 1)? == leaf)
            };
            check().unwrap_or(false)
        };
        if !ok {
            return Ok(false);
        }
        self.range = cache.compact_range(leaves)?;
        self.prev = if leaves == 0 {
            ZERO
        } else {
            cache.leaf(leaves - 1)?
        };
        self.len = len;
        let tree_path = store::tree_path(&self.path);
        let tree = OpenOptions::new()
            .write(true)
            .open(&tree_path)
            .map_err(io(&tree_path))?;
        tree.set_len(store::node_count(leaves) * 32)
            .map_err(io(&tree_path))?;
        drop(tree);
        self.open_caches(false)?;
        Ok(true)
    }

    fn open_caches(&mut self, truncate: bool) -> Result<(), LogError> {
        let open = |p: PathBuf| -> Result<BufWriter<File>, LogError> {
            Ok(BufWriter::with_capacity(
                1 << 16,
                open_sidecar(&p, truncate)?,
            ))
        };
        self.tree = Some(open(store::tree_path(&self.path))?);
        self.idx = Some(open(store::idx_path(&self.path))?);
        Ok(())
    }

    /// Read the whole log, checking its chain, and rewrite the caches. A
    /// torn last line (a write that never completed, so was never
    /// acknowledged) is cut off.
    fn rebuild(&mut self) -> Result<(), LogError> {
        self.open_caches(true)?;
        let mut range = CompactRange::new();
        let mut prev = ZERO;
        let path = self.path.clone();
        let mut tree = self.tree.take();
        let mut idx = self.idx.take();
        let mut reader = File::open(&path).map_err(io(&path))?;
        let (_, torn) = store::scan_lines(&path, &mut reader, |line_no, offset, line| {
            let n = range.size();
            let header = store::record_header(line);
            if header.map(|(i, _)| i) != Some(n) || header.map(|(_, p)| p) != Some(prev) {
                return Err(LogError::Broken {
                    path: path.clone(),
                    line: line_no,
                    record: n,
                    message: "the record's index or chain is broken: refusing to append; run `tollgate log verify`".into(),
                });
            }
            let leaf = merkle::leaf_hash(line);
            let mut buf = Vec::with_capacity(64);
            range.push_with(leaf, |_, _, h| buf.extend_from_slice(h));
            if let Some(t) = tree.as_mut() {
                t.write_all(&buf).map_err(io(&path))?;
            }
            if let Some(i) = idx.as_mut() {
                i.write_all(&offset.to_le_bytes()).map_err(io(&path))?;
            }
            prev = leaf;
            Ok(())
        })?;
        if let Some(offset) = torn {
            self.file.set_len(offset).map_err(io(&path))?;
            self.file.sync_all().map_err(io(&path))?;
        }
        for w in [tree.as_mut(), idx.as_mut()].into_iter().flatten() {
            w.flush().map_err(io(&path))?;
        }
        self.tree = tree;
        self.idx = idx;
        self.len = self.file.metadata().map_err(io(&path))?.len();
        self.range = range;
        self.prev = prev;
        Ok(())
    }

    fn run(mut self, queue: Arc<Queue>) {
        // However this thread ends, later appends fail at once and queued
        // ones are answered with an error, never left waiting.
        let _stop = StopOnExit(queue.clone());
        let mut dirty_since: Option<Instant> = None;
        let mut taken: Vec<Msg> = Vec::new();
        let mut batch: Vec<Pending> = Vec::new();
        loop {
            let timeout = match dirty_since {
                Some(t) if self.key.is_some() => self.interval.saturating_sub(t.elapsed()),
                _ => Duration::from_secs(3600),
            };
            queue.take(&mut taken, timeout);
            let mut msgs = taken.drain(..);
            loop {
                // The appends up to the next control message, at most
                // `max_batch` at a time, in the order they were queued.
                let mut control = None;
                let mut rest = false;
                for m in msgs.by_ref() {
                    match m {
                        Msg::Append(p) => {
                            batch.push(p);
                            if batch.len() >= self.max_batch {
                                rest = true;
                                break;
                            }
                        }
                        other => {
                            control = Some(other);
                            rest = true;
                            break;
                        }
                    }
                }
                if !batch.is_empty() && self.commit(&mut batch) && dirty_since.is_none() {
                    dirty_since = Some(Instant::now());
                }
                match control {
                    Some(Msg::Checkpoint(reply)) => {
                        let r = self.checkpoint();
                        if r.is_ok() {
                            dirty_since = None;
                        }
                        let _ = reply.send(r);
                    }
                    Some(Msg::Close(reply)) => {
                        let _ = reply.send(self.finish());
                        return;
                    }
                    #[cfg(test)]
                    Some(Msg::Crash(done)) => {
                        drop(self);
                        let _ = done.send(());
                        return;
                    }
                    Some(Msg::Append(_)) | None => {}
                }
                if !rest {
                    break;
                }
            }
            drop(msgs);
            if let Some(t) = dirty_since {
                if t.elapsed() >= self.interval {
                    match self.checkpoint() {
                        Ok(_) => dirty_since = None,
                        Err(e) => {
                            // Retried after another interval, not at once.
                            self.stats
                                .checkpoint_failures
                                .fetch_add(1, Ordering::Relaxed);
                            self.deferred_error = Some(e);
                            dirty_since = Some(Instant::now());
                        }
                    }
                }
            }
        }
    }

    /// Write one batch durably, then answer each record. Returns whether
    /// anything was written.
    fn commit(&mut self, batch: &mut Vec<Pending>) -> bool {
        let mut scratch = std::mem::take(&mut self.scratch);
        let Scratch {
            buf,
            offsets,
            leaves,
            nodes,
            frame,
        } = &mut scratch;
        buf.clear();
        offsets.clear();
        leaves.clear();
        nodes.clear();
        let now = batch
            .iter()
            .any(|p| p.time.is_none())
            .then(now_rfc3339)
            .unwrap_or_default();
        let mut prev = self.prev;
        let first = self.range.size();
        for (i, p) in batch.iter().enumerate() {
            let start = buf.len();
            let time = p.time.as_deref().unwrap_or(&now);
            store::write_record(buf, first + i as u64, &prev, time, &p.event);
            prev = merkle::leaf_hash(&buf[start..]);
            offsets.push(self.len + start as u64);
            leaves.push(prev);
            buf.push(b'\n');
        }
        let started = Instant::now();
        // Whatever fails from here undoes this batch's frame only.
        if let Some(w) = self.wal.as_mut() {
            w.begin();
        }
        // Cut shorter under the writer since the last batch (logrotate's
        // `copytruncate`): nothing more is written or acknowledged (one
        // `fstat` per batch; a rename is seen at the next checkpoint).
        if !self.moved && self.file.metadata().is_ok_and(|m| m.len() < self.len) {
            self.moved = true;
        }
        let written = if self.moved {
            Err(std::io::Error::other(MOVED))
        } else if self.poisoned {
            Err(std::io::Error::other(
                "an earlier fdatasync of the log failed: the writer stopped (restart it to recover)",
            ))
        } else {
            self.write_durably(buf, offsets, leaves, frame)
        };
        let stats = &self.stats;
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats
            .sync_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        stats
            .max_batch
            .fetch_max(batch.len() as u64, Ordering::Relaxed);
        let fail = |me: &mut Inner, batch: &mut Vec<Pending>, e: LogError| {
            // Cut back to the last acknowledged record: nothing half-written.
            // The background syncer saw a longer file: it is stopped (and
            // waited for), its failure kept, and started again after the
            // cut, knowing only what is known durable.
            let restart = match me.background.take() {
                Some(bg) => {
                    if bg.failed.load(Ordering::Acquire) {
                        me.poisoned = true;
                    }
                    true
                }
                None => false,
            };
            let _ = me.file.set_len(me.len);
            let synced = me.file.sync_data();
            let _ = me.poison_on(synced);
            me.log_synced = me.log_synced.min(me.len);
            if restart && !me.poisoned {
                me.background =
                    BackgroundSync::start(&me.path, &me.file, me.len, me.log_synced).ok();
            }
            if let Some(w) = me.wal.as_mut() {
                let _ = w.invalidate();
            }
            for p in batch.drain(..) {
                let e = match &e {
                    LogError::Io { path, source } => LogError::Io {
                        path: path.clone(),
                        source: std::io::Error::new(source.kind(), source.to_string()),
                    },
                    other => LogError::Usage(other.to_string()),
                };
                p.reply.send(Err(e), p.event);
            }
            false
        };
        if let Err(e) = written {
            let e = LogError::Io {
                path: self.path.clone(),
                source: e,
            };
            return fail(self, batch, e);
        }
        let saved = (self.len, self.prev, self.range.clone());
        self.len += buf.len() as u64;
        if let Some(bg) = &self.background {
            bg.written.store(self.len, Ordering::Release);
        }
        self.prev = prev;
        for leaf in leaves.iter() {
            self.range
                .push_with(*leaf, |_, _, h| nodes.extend_from_slice(h));
        }
        self.write_caches(nodes, offsets);
        // Every acknowledged record is under a signed checkpoint or in a
        // tagged write-ahead frame: without a frame (no write-ahead file,
        // or a batch that went past it) the batch is signed before it is
        // answered, and a failed signature undoes it.
        let direct = std::mem::take(&mut self.checkpoint_due);
        if self.key.is_some() && (self.wal.is_none() || direct || self.interval.is_zero()) {
            if let Err(e) = self.checkpoint() {
                let (len, prev, range) = saved;
                self.len = len;
                self.prev = prev;
                self.range = range;
                self.drop_caches();
                return fail(self, batch, e);
            }
        }
        if direct {
            // The write-ahead file starts again after the signed batch
            // (its older frames would not chain with the next one).
            if let Some(w) = self.wal.as_mut() {
                if w.reset().is_err() {
                    self.wal = None;
                }
            }
        }
        self.stats
            .records
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        if self.flushed.elapsed() >= CACHE_FLUSH_EVERY {
            self.flush_caches();
        }
        for ((p, leaf), i) in batch.drain(..).zip(leaves.iter()).zip(0u64..) {
            let receipt = Receipt {
                index: first + i,
                leaf_hash: *leaf,
            };
            p.reply.send(Ok(receipt), p.event);
        }
        self.scratch = scratch;
        true
    }

    /// Write a batch (`buf`: its lines; `offsets`, `leaves`: each record's
    /// place in the log file and leaf hash) so that it survives a crash:
    /// appended to the log file and synced, or, with a write-ahead file,
    /// appended to the log file (page cache) and written to the
    /// write-ahead file, which is synced.
    fn write_durably(
        &mut self,
        buf: &[u8],
        offsets: &[u64],
        leaves: &[Hash],
        entries: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        let Some(wal) = self.wal.as_ref() else {
            self.file.write_all(buf)?;
            let synced = self.file.sync_data();
            self.poison_on(synced)?;
            self.log_synced = self.len + buf.len() as u64;
            return Ok(());
        };
        entries.clear();
        let first = offsets.first().copied().unwrap_or(self.len);
        wal::encode(entries, &self.tagger, first, buf, leaves);
        if !wal.can_hold(entries.len() as u64) || buf.len() > u32::MAX as usize {
            // A batch larger than the whole file: straight to the log, and
            // signed right after (records past the latest checkpoint are
            // vouched for only by the write-ahead file).
            self.file.write_all(buf)?;
            let synced = self.file.sync_data();
            self.poison_on(synced)?;
            self.log_synced = self.len + buf.len() as u64;
            self.checkpoint_due = true;
            return Ok(());
        }
        if !wal.fits(entries.len() as u64) {
            // Wrapping around overwrites frames: the log file must hold
            // their records durably first, under a signed checkpoint (what
            // is past the latest one must stay in the write-ahead file).
            self.sync_log().map_err(std::io::Error::other)?;
            if self.key.is_some() {
                self.checkpoint().map_err(std::io::Error::other)?;
            }
            if let Some(w) = self.wal.as_mut() {
                w.rewind();
            }
        }
        self.file.write_all(buf)?;
        let written = match self.wal.as_mut() {
            Some(w) => w.write(entries),
            None => Ok(()),
        };
        self.poison_on(written)
    }

    fn poison_on(&mut self, r: std::io::Result<()>) -> std::io::Result<()> {
        if r.is_err() {
            self.poisoned = true;
        }
        r
    }

    /// Make every record written so far durable in the log file itself
    /// (before a checkpoint names them, and at close).
    fn sync_log(&mut self) -> Result<(), LogError> {
        if self.poisoned {
            return Err(LogError::Io {
                path: self.path.clone(),
                source: std::io::Error::other("an earlier fdatasync of the log failed"),
            });
        }
        // No background sync runs from here to the end (see
        // `BackgroundSync::lock`).
        let lock = self.background.as_ref().map(|bg| bg.lock.clone());
        let _held = match &lock {
            Some(l) => Some(l.lock().map_err(|_| LogError::Io {
                path: self.path.clone(),
                source: std::io::Error::other("the background sync stopped"),
            })?),
            None => None,
        };
        if let Some(bg) = &self.background {
            if bg.failed.load(Ordering::Acquire) {
                self.poisoned = true;
                return Err(LogError::Io {
                    path: self.path.clone(),
                    source: std::io::Error::other("a background fdatasync of the log failed"),
                });
            }
            let synced = bg.synced.load(Ordering::Acquire).min(self.len);
            self.log_synced = self.log_synced.max(synced);
        }
        if self.log_synced < self.len {
            let synced = self.file.sync_data();
            self.poison_on(synced).map_err(io(&self.path))?;
            self.log_synced = self.len;
        }
        Ok(())
    }

    /// The last checkpoint, then the write-ahead file emptied: a clean
    /// shutdown leaves nothing to replay.
    fn finish(&mut self) -> Result<Option<SignedCheckpoint>, LogError> {
        let signed = self.checkpoint()?;
        self.sync_log()?;
        if let Some(mut w) = self.wal.take() {
            w.reset()?;
        }
        Ok(signed)
    }

    /// The caches are best effort: on any error they are removed, and the
    /// next open rebuilds them from the records.
    fn write_caches(&mut self, nodes: &[u8], offsets: &[u64]) {
        let (Some(tree), Some(idx)) = (self.tree.as_mut(), self.idx.as_mut()) else {
            return;
        };
        // Buffered, not flushed per batch: a reader trusts the caches only
        // as far as they agree with a signed root, and they are flushed
        // before every checkpoint, at close and at least every
        // CACHE_FLUSH_EVERY under load (a crash leaves them short; the next
        // open rebuilds them).
        let mut ok = tree.write_all(nodes).is_ok();
        for o in offsets {
            ok = ok && idx.write_all(&o.to_le_bytes()).is_ok();
        }
        if !ok {
            self.drop_caches();
        }
    }

    /// Push the buffered caches to their files (before a checkpoint names a
    /// size, so that a proof of that size can be read from them).
    fn flush_caches(&mut self) {
        self.flushed = Instant::now();
        let (Some(tree), Some(idx)) = (self.tree.as_mut(), self.idx.as_mut()) else {
            return;
        };
        if tree.flush().and_then(|()| idx.flush()).is_err() {
            self.drop_caches();
        }
    }

    fn drop_caches(&mut self) {
        self.tree = None;
        self.idx = None;
        let _ = std::fs::remove_file(store::tree_path(&self.path));
        let _ = std::fs::remove_file(store::idx_path(&self.path));
    }

    fn checkpoint(&mut self) -> Result<Option<SignedCheckpoint>, LogError> {
        // A log file renamed away (logrotate's `create`), replaced or
        // deleted under the writer: its records would go on into a file
        // no reader finds, and its checkpoints beside another one.
        if !self.moved {
            use std::os::unix::fs::MetadataExt;
            // Or cut shorter than what it acknowledged (logrotate's
            // `copytruncate`).
            self.moved = match (std::fs::metadata(&self.path), self.file.metadata()) {
                (Ok(at_path), Ok(held)) => {
                    at_path.dev() != held.dev()
                        || at_path.ino() != held.ino()
                        || held.len() < self.len
                }
                _ => true,
            };
        }
        if self.moved {
            return Err(LogError::Io {
                path: self.path.clone(),
                source: std::io::Error::other(MOVED),
            });
        }
        self.flush_caches();
        // A checkpoint never names a record the log file does not hold
        // durably (a reader of the log file does not read `LOG.wal`).
        self.sync_log()?;
        let Some(key) = &self.key else {
            return Ok(None);
        };
        let size = self.range.size();
        if let Some(last) = &self.last {
            if last.checkpoint.size == size {
                return Ok(Some(last.clone()));
            }
        }
        let signed = SignedCheckpoint::sign(
            Checkpoint {
                origin: self.origin.clone(),
                size,
                root: self.range.root(),
            },
            key,
        );
        let cp_path = store::checkpoints_path(&self.path);
        let Some(file) = self.checkpoints.as_mut() else {
            return Ok(None);
        };
        let text = format!("{}\n", signed.note.text());
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(io(&cp_path))?;
        self.last = Some(signed.clone());
        self.deferred_error = None;
        Ok(Some(signed))
    }
}

/// The size and root the caches give for a tree of `size` (for callers
/// that want a root without a writer).
pub fn cached_root(log: &Path, size: u64) -> Option<Hash> {
    let (cache, _) = TreeCache::open(log)?;
    merkle::root_at(&cache, size).ok()
}

/// Put back into the log file the records of the write-ahead file's
/// frames that it lost in a crash (a missing or torn tail, or pages never
/// written back, which read as zeros). Returns whether the frames belong
/// to this log (their first record continues the log's record before it);
/// frames that do not are left alone. A log file that holds other bytes
/// where a frame says a record was is not repaired (that is a change, not
/// a crash), nor is anything below the latest signed checkpoint's size
/// (the log file is synced before a checkpoint is signed, so a loss there
/// is a removal): both are errors.
fn replay(path: &Path, file: &File, entries: &[wal::Entry], signed: u64) -> Result<bool, LogError> {
    let Some(first) = entries.first() else {
        return Ok(true);
    };
    let len = file.metadata().map_err(io(path))?.len();
    let record = |e: &wal::Entry| store::record_header(&e.line[..e.line.len() - 1]);
    let index = |e: &wal::Entry| record(e).map_or(0, |(i, _)| i);
    if first.log_offset > len {
        return Err(LogError::Broken {
            path: path.to_path_buf(),
            line: index(first) + 1,
            record: index(first),
            message: format!(
                "the log file ends at byte {len}, before record {} (byte {}) that its write-ahead file holds: records were removed; run `tollgate log verify`",
                index(first),
                first.log_offset
            ),
        });
    }
    // The run must continue the log's record that ends where it starts.
    let before = previous_record(path, file, first.log_offset)?;
    let continues = match (record(first), before) {
        (Some((0, prev)), None) => prev == ZERO,
        (Some((i, prev)), Some((j, leaf))) => i == j + 1 && prev == leaf,
        _ => false,
    };
    if !continues {
        return Ok(false);
    }
    for (i, e) in entries.iter().enumerate() {
        let Some(end) = e.log_offset.checked_add(e.line.len() as u64) else {
            return Ok(true);
        };
        // At most the frame's line (already in memory), whatever the
        // offsets say.
        let n = (end.min(len).saturating_sub(e.log_offset) as usize).min(e.line.len());
        let mut have = vec![0u8; n];
        file.read_exact_at(&mut have, e.log_offset)
            .map_err(io(path))?;
        if have == e.line {
            continue;
        }
        let broken = |e: &wal::Entry, message: &str| LogError::Broken {
            path: path.to_path_buf(),
            line: index(e) + 1,
            record: index(e),
            message: message.to_string(),
        };
        if index(e) < signed {
            return Err(broken(e, "the record, under a signed checkpoint, is not what its write-ahead file holds: it was removed or changed; run `tollgate log verify`"));
        }
        // From here on the log file may only be short of the records or
        // hold zeros where they should be.
        let mut at = e.log_offset;
        for later in &entries[i..] {
            if at >= len {
                break;
            }
            let n = (later.line.len() as u64).min(len - at) as usize;
            let mut have = vec![0u8; n];
            file.read_exact_at(&mut have, at).map_err(io(path))?;
            if have.iter().zip(&later.line).any(|(h, w)| *h != 0 && h != w) {
                return Err(broken(later, "the record differs from the one its write-ahead file holds: the log file was changed; run `tollgate log verify`"));
            }
            at += later.line.len() as u64;
        }
        file.set_len(e.log_offset).map_err(io(path))?;
        let mut out = file;
        for later in &entries[i..] {
            out.write_all(&later.line).map_err(io(path))?;
        }
        file.sync_data().map_err(io(path))?;
        return Ok(true);
    }
    // Past the last frame only unacknowledged bytes can follow; a crash
    // may leave them with a hole of zeros, which would make the log
    // unreadable: cut them off (a torn line is cut later anyway).
    if let Some(last) = entries.last() {
        let end = last.log_offset.saturating_add(last.line.len() as u64);
        if len > end && has_zeros(path, file, end, len)? {
            file.set_len(end).map_err(io(path))?;
            file.sync_data().map_err(io(path))?;
        }
    }
    Ok(true)
}

/// Whether bytes `from..to` of the file hold a zero byte.
fn has_zeros(path: &Path, file: &File, from: u64, to: u64) -> Result<bool, LogError> {
    let mut buf = vec![0u8; 1 << 16];
    let mut at = from;
    while at < to {
        let n = ((to - at) as usize).min(buf.len());
        file.read_exact_at(&mut buf[..n], at).map_err(io(path))?;
        if memchr::memchr(0, &buf[..n]).is_some() {
            return Ok(true);
        }
        at += n as u64;
    }
    Ok(false)
}

/// The index and leaf hash of the log's record that ends (with its
/// newline) at byte `end`; `None` at the start of the file or if no
/// record ends there.
fn previous_record(path: &Path, file: &File, end: u64) -> Result<Option<(u64, Hash)>, LogError> {
    if end == 0 {
        return Ok(None);
    }
    let mut window = 4096u64;
    loop {
        let start = end.saturating_sub(window);
        let mut buf = vec![0u8; (end - start) as usize];
        file.read_exact_at(&mut buf, start).map_err(io(path))?;
        if buf.last() != Some(&b'\n') {
            return Ok(None);
        }
        let body = &buf[..buf.len() - 1];
        match memchr::memrchr(b'\n', body) {
            Some(p) => {
                let line = &body[p + 1..];
                return Ok(store::record_header(line).map(|(i, _)| (i, merkle::leaf_hash(line))));
            }
            None if start == 0 => {
                return Ok(store::record_header(body).map(|(i, _)| (i, merkle::leaf_hash(body))));
            }
            None => window = window.saturating_mul(4),
        }
    }
}
