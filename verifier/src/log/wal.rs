//! `LOG.wal`: the write-ahead file of a busy writer (the webhook).
//!
//! Appending to a file and `fdatasync`ing it makes the file system commit
//! its journal (the file's size changed) on every batch: about a
//! millisecond on a loaded disk, and the webhook answers no review before
//! its record is durable. Databases avoid that cost the same way as here:
//! a file of fixed size, written full of zeros once, into which each batch
//! goes with one positional write and one `fdatasync` that only has data
//! blocks to flush (no size change, no block allocation: measured
//! 45–74 µs against about 850 µs for append + `fdatasync` on this
//! machine's disk under load).
//!
//! Each frame is written with direct I/O (`O_DIRECT`, and `pwritev2` with
//! `RWF_DSYNC`: one system call that returns once the blocks are on stable
//! storage, no page
//! cache, no write-back) in whole 4 KiB blocks: the block a frame starts in
//! is rewritten with the bytes already there (kept from the last write) and
//! the block it ends in is padded with zeros. A torn rewrite cannot damage
//! an earlier frame: every sector of it holds the same bytes before and
//! after. Where direct I/O is refused (a file system without it, no
//! `/proc` to reopen the file), frames are written through the page cache
//! and `fdatasync`ed. `benches/wal-write.py` on this machine's disk
//! (virtio, no FUA), 4.5 KB batches: 17 µs of CPU and 44–46 µs per batch,
//! against 22–28 µs and 50–74 µs for `pwrite` + `fdatasync` (0.78× the
//! CPU). In the webhook's load bench the gain is within the noise: each
//! record's SHA-256 and the hand-offs between threads cost more.
//!
//! The log file itself is still written at once (to the page cache) and
//! made durable lazily: before every checkpoint names its size, before the
//! write-ahead file wraps around over entries it would lose, and at close.
//! After a crash the writer replays, at open, every entry the log file
//! lost ([`Wal::entries`], then `LogWriter::open`), so an acknowledged
//! record is never lost and a checkpoint never names a record that the
//! log file does not hold durably.
//!
//! Layout: a 64-byte file header (a magic line, then zeros), then
//! one frame per batch from offset 64:
//!
//! ```text
//! "TGWF" | records (u32 LE) | log offset of the first (u64 LE)
//!        | bytes of lines (u32 LE) | tag (32 bytes) | the lines, each with its newline
//! ```
//!
//! The tag is HMAC-SHA256 over the frame's header fields and its records'
//! leaf hashes, keyed by a secret derived from the log's signing key and
//! its origin ([`Tagger`]): whoever can write files beside the log but has
//! not the key cannot make a frame the writer replays, so cannot get a
//! record into the log that the writer's next checkpoint would sign, and
//! a frame of another replica's log (same key, another origin) does not
//! fit either. (An unsigned log's frames are keyed by its origin only: a
//! checksum, as an unsigned log promises nothing against a rewrite.)
//!
//! A frame is read only if its tag is right and, after the first, if it
//! continues the one before (next index, `prev` the previous leaf, log
//! offset right after it). Frames left from an earlier lap have smaller
//! indices and end the scan, as do zeros and a torn write. The run belongs
//! to the log by its content: its first record must continue the log's
//! record before it (the writer checks that before replaying anything).
//! Opening (after any replay) and closing the writer reset the file, so a
//! clean shutdown leaves nothing to replay. A `LOG.wal` that is not a
//! regular file of this layout (a symlink, a directory's worth of trouble,
//! another size) is never written through: it is replaced by a new file
//! (a rename) or removed.

use super::merkle::{self, Hash};
use super::store::{self, io};
use super::LogError;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

const FILE_MAGIC: &[u8; 16] = b"TOLLGATE-WAL-v1\n";
/// Bytes before the first entry.
pub const FILE_HEADER: u64 = 64;
const FRAME_MAGIC: &[u8; 4] = b"TGWF";
/// Bytes of a frame before its lines.
pub const FRAME_HEADER: u64 = 4 + 4 + 8 + 4 + 32;
/// The smallest write-ahead file worth having (one header and a few
/// records).
pub const MIN_SIZE: u64 = 4096;
/// The largest (`--log-wal-mib` at most 256).
pub const MAX_SIZE: u64 = 256 << 20;

/// `LOG.wal`: the write-ahead file.
pub fn path(log: &Path) -> PathBuf {
    store::sidecar(log, "wal")
}

/// One record found in the write-ahead file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Where the record starts in the log file.
    pub log_offset: u64,
    /// The record line, newline included.
    pub line: Vec<u8>,
}

/// The open write-ahead file of one log.
#[derive(Debug)]
pub struct Wal {
    path: PathBuf,
    file: File,
    size: u64,
    /// Where the next entry goes.
    pos: u64,
    /// Where the last write started.
    last: u64,
    /// The same file opened for direct I/O, if it could be.
    direct: Option<Direct>,
}

/// Direct I/O's unit: offsets and lengths are multiples of it (4 KiB
/// covers every logical block size up to a page).
const BLOCK: u64 = 4096;

/// The write-ahead file reopened with `O_DIRECT` (each write `RWF_DSYNC`), and what a
/// write needs: an aligned buffer and the bytes of the block the next
/// frame starts in.
#[derive(Debug)]
struct Direct {
    file: File,
    buf: Vec<u8>,
    /// `(start, bytes)`: the file's bytes from `start` (a block boundary)
    /// to the next frame's position, as last written; `None` after the
    /// position moved another way (then read back from the file).
    tail: Option<(u64, Vec<u8>)>,
}

impl Direct {
    /// The file behind `file`, opened again (a new open file description,
    /// through `/proc/self/fd`) for direct, synchronous writes; `None`
    /// where the file system or the system refuses.
    fn open(file: &File) -> Option<Direct> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        // Only through the real procfs (a bind mount over /proc could
        // point the link at a FIFO or a device); non-blocking, so that a
        // FIFO cannot hang the open. Synchronous per write (`RWF_DSYNC`,
        // see `write`): rustix's `OFlags::DSYNC` is `O_SYNC` on Linux,
        // which would also sync timestamps (a journal commit per batch).
        let proc = rustix::fs::statfs("/proc/self/fd").ok()?;
        if proc.f_type != rustix::fs::PROC_SUPER_MAGIC {
            return None;
        }
        let flags = rustix::fs::OFlags::DIRECT | rustix::fs::OFlags::NONBLOCK;
        let direct = OpenOptions::new()
            .write(true)
            .custom_flags(flags.bits() as i32)
            .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .ok()?;
        // The same file, not whatever the link resolved to.
        let (a, b) = (file.metadata().ok()?, direct.metadata().ok()?);
        (a.dev() == b.dev() && a.ino() == b.ino() && b.file_type().is_file()).then_some(Direct {
            file: direct,
            buf: Vec::new(),
            tail: None,
        })
    }

    /// Write `entries` at `pos` of `file` (read back through `file` only
    /// when the block's start is not known), in whole blocks, durably.
    fn write(&mut self, file: &File, pos: u64, entries: &[u8]) -> std::io::Result<()> {
        let start = pos - pos % BLOCK;
        let end = (pos + entries.len() as u64).div_ceil(BLOCK) * BLOCK;
        let head = (pos - start) as usize;
        let len = (end - start) as usize;
        self.buf.clear();
        self.buf.resize(len + BLOCK as usize, 0);
        let at = self.buf.as_ptr().align_offset(BLOCK as usize);
        let out = self
            .buf
            .get_mut(at..at + len)
            .ok_or_else(|| std::io::Error::other("no aligned buffer"))?;
        match self.tail.take() {
            Some((s, bytes)) if s == start && bytes.len() == head => {
                out[..head].copy_from_slice(&bytes)
            }
            _ => file.read_exact_at(&mut out[..head], start)?,
        }
        out[head..head + entries.len()].copy_from_slice(entries);
        let written = rustix::io::pwritev2(
            &self.file,
            &[std::io::IoSlice::new(out)],
            start,
            rustix::io::ReadWriteFlags::DSYNC,
        )
        .map_err(std::io::Error::from)?;
        if written != len {
            return Err(std::io::Error::other(format!(
                "short direct write: {written} of {len} bytes"
            )));
        }
        let next = pos + entries.len() as u64;
        let last = next - next % BLOCK;
        self.tail = Some((
            last,
            out[(last - start) as usize..(next - start) as usize].to_vec(),
        ));
        Ok(())
    }
}

/// `size` rounded up to a whole number of 4 KiB pages, within
/// [`MIN_SIZE`] and [`MAX_SIZE`].
pub fn rounded(size: u64) -> u64 {
    size.clamp(MIN_SIZE, MAX_SIZE).div_ceil(4096) * 4096
}

/// Computes and checks frame tags for one log (its key and origin).
pub struct Tagger(aws_lc_rs::hmac::Key);

impl std::fmt::Debug for Tagger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tagger")
    }
}

impl Tagger {
    /// The tagger of the log signed by `key` (if any) under `origin`.
    pub fn new(key: Option<&super::NoteSigner>, origin: &str) -> Tagger {
        let mut purpose = b"tollgate decision log write-ahead frames v1\n".to_vec();
        purpose.extend_from_slice(origin.as_bytes());
        let secret = match key {
            Some(k) => k.derive_secret(&purpose),
            None => {
                let mut out = [0u8; 32];
                out.copy_from_slice(
                    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &purpose).as_ref(),
                );
                out
            }
        };
        Tagger(aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            &secret,
        ))
    }

    fn context(&self, head: &[u8], leaves: &[Hash]) -> aws_lc_rs::hmac::Context {
        let mut ctx = aws_lc_rs::hmac::Context::with_key(&self.0);
        ctx.update(head);
        for leaf in leaves {
            ctx.update(leaf);
        }
        ctx
    }
}

/// The file header.
fn file_header() -> [u8; FILE_HEADER as usize] {
    let mut h = [0u8; FILE_HEADER as usize];
    h[..16].copy_from_slice(FILE_MAGIC);
    h
}

/// Whether the write-ahead file beside `log_path` holds a frame: a writer
/// is running, or one stopped without closing the log and the next writer
/// will replay what the log file lost. Read only, never through a symlink;
/// the frames are not authenticated here (their tags need the log's
/// private key).
pub fn has_frames(log_path: &Path) -> bool {
    let path = path(log_path);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return false;
    };
    if !meta.file_type().is_file() {
        return false;
    }
    let Ok(file) = File::open(&path) else {
        return false;
    };
    let mut head = [0u8; FILE_HEADER as usize + 4];
    file.read_exact_at(&mut head, 0).is_ok()
        && head[..FILE_HEADER as usize] == file_header()
        && &head[FILE_HEADER as usize..] == FRAME_MAGIC
}

/// What [`Wal::existing`] found at `LOG.wal`.
#[derive(Debug)]
pub enum Existing {
    /// Nothing.
    Missing,
    /// Something that is not a write-ahead file of this layout (a symlink,
    /// a directory, another size, another header): never written through.
    Foreign,
    /// A write-ahead file, opened.
    Found(Wal),
}

impl Wal {
    /// Open the write-ahead file beside `log_path` as it is, if it is a
    /// regular file (not a symlink) of this layout.
    pub fn existing(log_path: &Path) -> Result<Existing, LogError> {
        let path = path(log_path);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Missing),
            Err(e) => return Err(LogError::Io { path, source: e }),
        };
        let size = meta.len();
        if !meta.file_type().is_file() || !(MIN_SIZE..=MAX_SIZE).contains(&size) {
            return Ok(Existing::Foreign);
        }
        let Ok(file) = OpenOptions::new().read(true).write(true).open(&path) else {
            return Ok(Existing::Foreign);
        };
        // The file opened is the one looked at (no symlink swapped in).
        let opened = file.metadata().map_err(io(&path))?;
        let mut found = [0u8; FILE_HEADER as usize];
        if opened.dev() != meta.dev()
            || opened.ino() != meta.ino()
            || !opened.file_type().is_file()
            || file.read_exact_at(&mut found, 0).is_err()
            || found != file_header()
        {
            return Ok(Existing::Foreign);
        }
        // Whole blocks only inside the file (one of another size keeps
        // the page-cache path).
        let direct = (size % BLOCK == 0).then(|| Direct::open(&file)).flatten();
        Ok(Existing::Found(Wal {
            path,
            file,
            size,
            pos: FILE_HEADER,
            last: FILE_HEADER,
            direct,
        }))
    }

    /// Create the write-ahead file beside `log_path`: `size` bytes
    /// (rounded up to a 4 KiB multiple) of zeros, written and synced in a
    /// temporary file and moved into place (replacing whatever was there,
    /// a symlink included, never writing through it), so that every block
    /// is allocated and written before the first frame.
    pub fn create(log_path: &Path, size: u64) -> Result<Wal, LogError> {
        let size = rounded(size);
        let path = path(log_path);
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new()
            .prefix(".tollgate-wal")
            .tempfile_in(dir)
            .map_err(io(&path))?;
        tmp.write_all(&file_header()).map_err(io(&path))?;
        let zeros = vec![0u8; 1 << 20];
        let mut left = size - FILE_HEADER;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            tmp.write_all(&zeros[..n]).map_err(io(&path))?;
            left -= n as u64;
        }
        tmp.as_file().sync_all().map_err(io(&path))?;
        let file = tmp.persist(&path).map_err(|e| LogError::Io {
            path: path.clone(),
            source: e.error,
        })?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        let direct = Direct::open(&file);
        Ok(Wal {
            path,
            file,
            size,
            pos: FILE_HEADER,
            last: FILE_HEADER,
            direct,
        })
    }

    /// The file's size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Every record a crash may have left, in order (see the module
    /// documentation for what is read). Frames are read one at a time:
    /// only frames with a right tag are kept in memory.
    pub fn entries(&self, tagger: &Tagger) -> Result<Vec<Entry>, LogError> {
        let mut reader = FrameReader {
            file: &self.file,
            size: self.size,
        };
        Ok(parse_frames(&mut reader, tagger))
    }

    /// Forget every frame (the log file holds them durably, under a
    /// signed checkpoint when the log has a key).
    pub fn reset(&mut self) -> Result<(), LogError> {
        let mut head = [0u8; (FILE_HEADER + FRAME_HEADER) as usize];
        head[..FILE_HEADER as usize].copy_from_slice(&file_header());
        self.file
            .write_all_at(&head, 0)
            .and_then(|()| self.file.sync_data())
            .map_err(io(&self.path))?;
        self.pos = FILE_HEADER;
        self.last = FILE_HEADER;
        self.forget_tail();
        Ok(())
    }

    /// A batch starts: until it writes a frame, [`Wal::invalidate`] has
    /// nothing of it to undo (and must not touch the frame before it,
    /// whose records were answered).
    pub fn begin(&mut self) {
        self.last = self.pos;
    }

    /// Whether frames are written with direct I/O.
    pub fn is_direct(&self) -> bool {
        self.direct.is_some()
    }

    /// The position moved other than by a write: the next write reads its
    /// first block back.
    fn forget_tail(&mut self) {
        if let Some(d) = self.direct.as_mut() {
            d.tail = None;
        }
    }

    /// Whether `n` more bytes of entries fit before the end.
    pub fn fits(&self, n: u64) -> bool {
        self.pos.saturating_add(n) <= self.size
    }

    /// Whether `n` bytes of entries fit in the file at all.
    pub fn can_hold(&self, n: u64) -> bool {
        FILE_HEADER.saturating_add(n) <= self.size
    }

    /// Start again at the first entry (the caller has made the log file
    /// durable through every entry written so far).
    pub fn rewind(&mut self) {
        self.pos = FILE_HEADER;
        self.last = FILE_HEADER;
        self.forget_tail();
    }

    /// Write encoded entries at the current position, durably: direct and
    /// synchronous, or else through the page cache and `fdatasync`.
    pub fn write(&mut self, entries: &[u8]) -> std::io::Result<()> {
        self.last = self.pos;
        if self.pos.saturating_add(entries.len() as u64) > self.size {
            return Err(std::io::Error::other(
                "a frame past the write-ahead file's end",
            ));
        }
        if let Some(d) = self.direct.as_mut() {
            match d.write(&self.file, self.pos, entries) {
                Ok(()) => {
                    self.pos += entries.len() as u64;
                    return Ok(());
                }
                // Refused before anything was written (alignment the
                // device does not take): the page cache from now on.
                Err(e)
                    if [rustix::io::Errno::INVAL, rustix::io::Errno::OPNOTSUPP]
                        .iter()
                        .any(|n| e.raw_os_error() == Some(n.raw_os_error())) =>
                {
                    self.direct = None;
                }
                Err(e) => {
                    d.tail = None;
                    return Err(e);
                }
            }
        }
        self.file.write_all_at(entries, self.pos)?;
        self.file.sync_data()?;
        self.pos += entries.len() as u64;
        Ok(())
    }

    /// After a batch failed (its write here, or its checkpoint after a
    /// successful write): make sure its frame can never be read back (its
    /// records were answered with an error), and write the next one there.
    pub fn invalidate(&mut self) -> std::io::Result<()> {
        self.pos = self.last;
        self.forget_tail();
        let n = (self.size.saturating_sub(self.pos)).min(FRAME_HEADER) as usize;
        self.file
            .write_all_at(&[0u8; FRAME_HEADER as usize][..n], self.pos)?;
        self.file.sync_data()
    }
}

/// Append one frame: `lines` (each with its newline) of the records whose
/// leaf hashes are `leaves`, the first at `log_offset` in the log file.
pub fn encode(out: &mut Vec<u8>, tagger: &Tagger, log_offset: u64, lines: &[u8], leaves: &[Hash]) {
    let mut head = [0u8; (FRAME_HEADER - 32) as usize];
    head[..4].copy_from_slice(FRAME_MAGIC);
    head[4..8].copy_from_slice(&(leaves.len() as u32).to_le_bytes());
    head[8..16].copy_from_slice(&log_offset.to_le_bytes());
    head[16..20].copy_from_slice(&(lines.len() as u32).to_le_bytes());
    let tag = tagger.context(&head, leaves).sign();
    out.extend_from_slice(&head);
    out.extend_from_slice(tag.as_ref());
    out.extend_from_slice(lines);
}

/// Where frames are read from: the file, or bytes (tests).
trait Source {
    fn read_at(&mut self, buf: &mut [u8], at: u64) -> bool;
    /// Whether `len` bytes from `at` are inside (checked before any
    /// allocation of that size).
    fn holds(&self, at: u64, len: u64) -> bool;
}

struct FrameReader<'a> {
    file: &'a File,
    size: u64,
}

impl Source for FrameReader<'_> {
    fn read_at(&mut self, buf: &mut [u8], at: u64) -> bool {
        at.checked_add(buf.len() as u64)
            .is_some_and(|end| end <= self.size)
            && self.file.read_exact_at(buf, at).is_ok()
    }
    fn holds(&self, at: u64, len: u64) -> bool {
        at.checked_add(len).is_some_and(|end| end <= self.size)
    }
}

impl Source for &[u8] {
    fn read_at(&mut self, buf: &mut [u8], at: u64) -> bool {
        let Some(src) = usize::try_from(at)
            .ok()
            .and_then(|at| self.get(at..at.checked_add(buf.len())?))
        else {
            return false;
        };
        buf.copy_from_slice(src);
        true
    }
    fn holds(&self, at: u64, len: u64) -> bool {
        at.checked_add(len)
            .is_some_and(|end| end <= self.len() as u64)
    }
}

/// The records of the run of frames from the first one.
fn parse_frames(src: &mut impl Source, tagger: &Tagger) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut at = FILE_HEADER;
    // (next index, previous leaf, next log offset) of the run so far.
    let mut expect: Option<(u64, Hash, u64)> = None;
    let mut head = [0u8; FRAME_HEADER as usize];
    'frames: while src.read_at(&mut head, at) {
        if &head[..4] != FRAME_MAGIC {
            break;
        }
        let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        let count = word(4) as usize;
        let mut offset = [0u8; 8];
        offset.copy_from_slice(&head[8..16]);
        let mut log_offset = u64::from_le_bytes(offset);
        let len = word(16) as usize;
        if count == 0 || len == 0 || count > len {
            break;
        }
        let start = at + FRAME_HEADER;
        if !src.holds(start, len as u64) {
            break;
        }
        // tollgate:allow(unbounded-allocation): `src.holds` above bounds len by the source's size
        let mut lines = vec![0u8; len];
        if !src.read_at(&mut lines, start) || lines.last() != Some(&b'\n') {
            break;
        }
        let split: Vec<&[u8]> = lines.split_inclusive(|b| *b == b'\n').collect();
        if split.len() != count {
            break;
        }
        let leaves: Vec<Hash> = split
            .iter()
            .map(|l| merkle::leaf_hash(&l[..l.len() - 1]))
            .collect();
        let tag = &head[(FRAME_HEADER - 32) as usize..];
        let ctx = tagger.context(&head[..(FRAME_HEADER - 32) as usize], &leaves);
        if aws_lc_rs::constant_time::verify_slices_are_equal(ctx.sign().as_ref(), tag).is_err() {
            break;
        }
        let mut records = Vec::with_capacity(count);
        for (line, leaf) in split.iter().zip(&leaves) {
            let Some((index, prev)) = store::record_header(&line[..line.len() - 1]) else {
                break 'frames;
            };
            if let Some((next, last, next_offset)) = expect {
                if index != next || prev != last || log_offset != next_offset {
                    break 'frames;
                }
            }
            let Some(end) = log_offset.checked_add(line.len() as u64) else {
                break 'frames;
            };
            let Some(next) = index.checked_add(1) else {
                break 'frames;
            };
            expect = Some((next, *leaf, end));
            records.push(Entry {
                log_offset,
                line: line.to_vec(),
            });
            log_offset = end;
        }
        out.extend(records);
        at = start + len as u64;
    }
    out
}

/// The records of a whole write-ahead file's bytes (tests).
#[cfg(test)]
fn parse_entries(data: &[u8], tagger: &Tagger) -> Vec<Entry> {
    parse_frames(&mut &data[..], tagger)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::note::{NoteSigner, TYPE_ED25519};

    /// Records `from..to` chained from `prev`, as one frame's lines.
    fn records(from: u64, to: u64, prev: &mut Hash) -> (Vec<u8>, Vec<Hash>) {
        let mut lines = Vec::new();
        let mut leaves = Vec::new();
        for i in from..to {
            let line = store::format_record(i, prev, "2026-01-01T00:00:00Z", "{\"a\":1}");
            *prev = merkle::leaf_hash(line.as_bytes());
            leaves.push(*prev);
            lines.extend_from_slice(line.as_bytes());
            lines.push(b'\n');
        }
        (lines, leaves)
    }

    fn file_of(frames: &[u8]) -> Vec<u8> {
        let mut data = vec![0u8; FILE_HEADER as usize];
        data.extend_from_slice(frames);
        data.resize(data.len() + 256, 0);
        data
    }

    #[test]
    fn a_run_of_chained_frames_is_read_and_stops_at_anything_else() {
        let key = NoteSigner::generate("t/log", TYPE_ED25519).unwrap();
        let tagger = Tagger::new(Some(&key), "t/log");
        let mut buf = Vec::new();
        let mut prev = store::ZERO;
        let (a, la) = records(0, 2, &mut prev);
        encode(&mut buf, &tagger, 0, &a, &la);
        let (b, lb) = records(2, 5, &mut prev);
        encode(&mut buf, &tagger, a.len() as u64, &b, &lb);
        let entries = parse_entries(&file_of(&buf), &tagger);
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[2].log_offset, a.len() as u64);
        // A frame from an earlier lap (smaller indices) ends the run.
        let mut stale = buf.clone();
        let mut old_prev = store::ZERO;
        let (c, lc) = records(0, 1, &mut old_prev);
        encode(&mut stale, &tagger, (a.len() + b.len()) as u64, &c, &lc);
        assert_eq!(parse_entries(&file_of(&stale), &tagger).len(), 5);
        // A torn or altered second frame drops that frame.
        for cut in [1, 10, FRAME_HEADER as usize + 5] {
            let torn = &buf[..buf.len() - cut];
            assert_eq!(parse_entries(&file_of(torn), &tagger).len(), 2, "cut {cut}");
        }
        let mut flipped = buf.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 1;
        assert_eq!(parse_entries(&file_of(&flipped), &tagger).len(), 2);
        // Frames made without the key, or for another origin, are not read.
        for other in [
            Tagger::new(None, "t/log"),
            Tagger::new(Some(&key), "t/log-2"),
            Tagger::new(
                Some(&NoteSigner::generate("t/log", TYPE_ED25519).unwrap()),
                "t/log",
            ),
        ] {
            let mut forged = Vec::new();
            encode(&mut forged, &other, 0, &a, &la);
            assert!(parse_entries(&file_of(&forged), &tagger).is_empty());
        }
        // A frame at the wrong offset does not continue the run.
        let mut moved = Vec::new();
        encode(&mut moved, &tagger, 0, &a, &la);
        encode(&mut moved, &tagger, 9999, &b, &lb);
        assert_eq!(parse_entries(&file_of(&moved), &tagger).len(), 2);
        // Zeros: nothing.
        assert!(parse_entries(&vec![0u8; 4096], &tagger).is_empty());
    }

    /// Frames of many sizes (within a block, across blocks, ending on a
    /// boundary), a failed batch overwritten, a rewind and a reset: the
    /// file written with direct I/O holds what the page-cache path writes
    /// (direct I/O pads a frame's last block with zeros), and the frames
    /// read back are the same.
    #[test]
    fn direct_writes_hold_what_page_cache_writes_hold() {
        let tagger = Tagger::new(None, "t/log");
        let dir = tempfile::tempdir().unwrap();
        let mut wals = Vec::new();
        for name in ["direct", "cached"] {
            let log = dir.path().join(name);
            let mut w = Wal::create(&log, 64 << 10).unwrap();
            if name == "cached" {
                w.direct = None;
            }
            wals.push(w);
        }
        let direct = wals[0].is_direct();
        if !direct {
            eprintln!("no direct I/O on this file system: only the page-cache path is compared");
        }
        let mut prev = store::ZERO;
        let (mut index, mut offset) = (0u64, 0u64);
        let mut frames = Vec::new();
        for n in [1u64, 3, 0, 7, 1, 20, 2, 9] {
            let (lines, leaves) = records(index, index + n.max(1), &mut prev);
            let mut frame = Vec::new();
            encode(&mut frame, &tagger, offset, &lines, &leaves);
            index += n.max(1);
            offset += lines.len() as u64;
            frames.push(frame);
        }
        // A frame that ends on a block boundary.
        let used: u64 = FILE_HEADER + frames.iter().map(|f| f.len() as u64).sum::<u64>();
        let pad = BLOCK - used % BLOCK;
        let mut filler = vec![b' '; pad as usize];
        filler[0] = b'#';
        for w in wals.iter_mut() {
            for f in &frames {
                w.write(f).unwrap();
            }
            w.write(&filler).unwrap();
            assert_eq!(w.pos % BLOCK, 0);
            // A failed batch: its frame is invalidated and the next one
            // is written in its place.
            w.write(&frames[0]).unwrap();
            w.invalidate().unwrap();
            w.write(&frames[1]).unwrap();
        }
        let read = |w: &Wal| std::fs::read(&w.path).unwrap();
        assert_eq!(read(&wals[0]), read(&wals[1]));
        let entries = wals[0].entries(&tagger).unwrap();
        assert_eq!(entries, wals[1].entries(&tagger).unwrap());
        assert_eq!(entries.len() as u64, index);
        // Around again from the start: the first block (the file header)
        // is read back, not remembered. The earlier lap's frames have
        // smaller indices and end the run.
        let (lines, leaves) = records(index, index + 2, &mut prev);
        let mut next = Vec::new();
        encode(&mut next, &tagger, offset, &lines, &leaves);
        let (lines, leaves) = records(index + 2, index + 3, &mut prev);
        let mut after = Vec::new();
        encode(
            &mut after,
            &tagger,
            offset + next.len() as u64,
            &lines,
            &leaves,
        );
        for w in wals.iter_mut() {
            w.rewind();
            w.write(&next).unwrap();
            assert_eq!(&read(w)[..16], FILE_MAGIC);
            assert_eq!(w.entries(&tagger).unwrap().len(), 2);
            w.reset().unwrap();
            w.write(&after).unwrap();
            assert_eq!(&read(w)[..16], FILE_MAGIC);
            assert_eq!(w.entries(&tagger).unwrap().len(), 1);
        }
        // Direct I/O was used throughout (no silent fallback).
        assert_eq!(wals[0].is_direct(), direct);
        // A batch that fails before its frame is written undoes nothing
        // of the batch before (answered): its frame is still read.
        for w in wals.iter_mut() {
            w.begin();
            w.invalidate().unwrap();
            assert_eq!(w.entries(&tagger).unwrap().len(), 1);
        }
        // Nothing past the end.
        let end = wals[0].size - wals[0].pos + 1;
        assert!(wals[0].write(&vec![0u8; end as usize]).is_err());
    }
}
