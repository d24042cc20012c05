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
//! The log file itself is still written at once (to the page cache) and
//! made durable lazily: before every checkpoint names its size, before the
//! write-ahead file wraps around over entries it would lose, and at close.
//! After a crash the writer replays, at open, every entry the log file
//! lost ([`Wal::entries`], then `LogWriter::open`), so an acknowledged
//! record is never lost and a checkpoint never names a record that the
//! log file does not hold durably.
//!
//! Layout: a 64-byte file header (magic, then the log file's device, inode
//! and birth time: the entries belong to that file and no other, so a log
//! that was deleted and started again never gets old records back), then
//! entries from offset 64:
//!
//! ```text
//! "TGWE" | line length (u32 LE, newline included) | log offset (u64 LE)
//!        | leaf hash (32 bytes) | the record line and its newline
//! ```
//!
//! An entry is read only if its leaf hash is the hash of its line, and,
//! after the first, if it continues the one before (next index, `prev` the
//! previous leaf, log offset right after it). Entries left from an earlier
//! lap have smaller indices and end the scan, as do zeros and a torn write.
//! Opening (after any replay) and closing the writer reset the file, so a
//! clean shutdown leaves nothing to replay.

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
const ENTRY_MAGIC: &[u8; 4] = b"TGWE";
/// Bytes of an entry before its line.
pub const ENTRY_HEADER: u64 = 4 + 4 + 8 + 32;
/// The smallest write-ahead file worth having (one header and a few
/// records).
pub const MIN_SIZE: u64 = 4096;
/// The largest (read whole at open).
pub const MAX_SIZE: u64 = 1 << 30;

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
}

/// `size` rounded up to a whole number of 4 KiB pages, within
/// [`MIN_SIZE`] and [`MAX_SIZE`].
pub fn rounded(size: u64) -> u64 {
    size.clamp(MIN_SIZE, MAX_SIZE).div_ceil(4096) * 4096
}

/// The file header binding the entries to one log file.
fn file_header(log: &File, log_path: &Path) -> Result<[u8; FILE_HEADER as usize], LogError> {
    let meta = log.metadata().map_err(io(log_path))?;
    let mut h = [0u8; FILE_HEADER as usize];
    h[..16].copy_from_slice(FILE_MAGIC);
    h[16..24].copy_from_slice(&meta.dev().to_le_bytes());
    h[24..32].copy_from_slice(&meta.ino().to_le_bytes());
    // The birth time tells a new file from an old one whose inode number
    // it reuses (where the file system records it).
    let born = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    h[32..40].copy_from_slice(&born.to_le_bytes());
    Ok(h)
}

impl Wal {
    /// Open the write-ahead file the log open as `log` already has, as it
    /// is, and tell whether its entries belong to this log file (one
    /// written for another file, e.g. before the log was deleted and
    /// started again, has none to replay).
    pub fn existing(log_path: &Path, log: &File) -> Result<Option<(Wal, bool)>, LogError> {
        let path = path(log_path);
        let size = match std::fs::metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(LogError::Io { path, source: e }),
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        let mut found = [0u8; FILE_HEADER as usize];
        let ours = (MIN_SIZE..=MAX_SIZE).contains(&size)
            && file.read_exact_at(&mut found, 0).is_ok()
            && found == file_header(log, log_path)?;
        Ok(Some((
            Wal {
                path,
                file,
                size,
                pos: FILE_HEADER,
            },
            ours,
        )))
    }

    /// Create the write-ahead file of the log open as `log`: `size` bytes
    /// (rounded up to a 4 KiB multiple) of zeros, written and synced in a
    /// temporary file and moved into place, so that every block is
    /// allocated and written before the first entry; then [`Wal::reset`].
    pub fn create(log_path: &Path, log: &File, size: u64) -> Result<Wal, LogError> {
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
        let zeros = vec![0u8; 1 << 20];
        let mut left = size;
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
        let mut wal = Wal {
            path,
            file,
            size,
            pos: FILE_HEADER,
        };
        wal.reset(log_path, log)?;
        Ok(wal)
    }

    /// The file's size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Every entry a crash may have left, in order (see the module
    /// documentation for what is read).
    pub fn entries(&self) -> Result<Vec<Entry>, LogError> {
        let mut data = vec![0u8; self.size.min(MAX_SIZE) as usize];
        self.file
            .read_exact_at(&mut data, 0)
            .map_err(io(&self.path))?;
        Ok(parse_entries(&data))
    }

    /// Forget every entry (the log file holds them durably) and bind the
    /// file to the log file open as `log`.
    pub fn reset(&mut self, log_path: &Path, log: &File) -> Result<(), LogError> {
        let mut head = [0u8; (FILE_HEADER + ENTRY_HEADER) as usize];
        head[..FILE_HEADER as usize].copy_from_slice(&file_header(log, log_path)?);
        self.file
            .write_all_at(&head, 0)
            .and_then(|()| self.file.sync_data())
            .map_err(io(&self.path))?;
        self.pos = FILE_HEADER;
        Ok(())
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
    }

    /// Write encoded entries at the current position and `fdatasync`.
    pub fn write(&mut self, entries: &[u8]) -> std::io::Result<()> {
        self.file.write_all_at(entries, self.pos)?;
        self.file.sync_data()?;
        self.pos += entries.len() as u64;
        Ok(())
    }

    /// After a failed [`Wal::write`]: make sure nothing written at the
    /// current position can be read back as an entry (its records were
    /// answered with an error).
    pub fn invalidate(&mut self) -> std::io::Result<()> {
        self.file
            .write_all_at(&[0u8; ENTRY_HEADER as usize], self.pos)?;
        self.file.sync_data()
    }
}

/// Append one entry for `line` (newline included) at `log_offset`.
pub fn encode(out: &mut Vec<u8>, log_offset: u64, line: &[u8], leaf: &Hash) {
    out.extend_from_slice(ENTRY_MAGIC);
    out.extend_from_slice(&(line.len() as u32).to_le_bytes());
    out.extend_from_slice(&log_offset.to_le_bytes());
    out.extend_from_slice(leaf);
    out.extend_from_slice(line);
}

/// The entries of a whole write-ahead file's bytes.
fn parse_entries(data: &[u8]) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut at = FILE_HEADER as usize;
    // (next index, previous leaf, next log offset) of the run so far.
    let mut expect: Option<(u64, Hash, u64)> = None;
    while let Some(head) = data.get(at..at + ENTRY_HEADER as usize) {
        if &head[..4] != ENTRY_MAGIC {
            break;
        }
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let mut offset = [0u8; 8];
        offset.copy_from_slice(&head[8..16]);
        let log_offset = u64::from_le_bytes(offset);
        let mut leaf = [0u8; 32];
        leaf.copy_from_slice(&head[16..48]);
        let start = at + ENTRY_HEADER as usize;
        let Some(line) = data.get(start..start.saturating_add(len)) else {
            break;
        };
        let Some((b'\n', body)) = line.split_last() else {
            break;
        };
        if merkle::leaf_hash(body) != leaf {
            break;
        }
        let Some((index, prev)) = store::record_header(body) else {
            break;
        };
        if let Some((next, last, next_offset)) = expect {
            if index != next || prev != last || log_offset != next_offset {
                break;
            }
        }
        expect = Some((
            index.saturating_add(1),
            leaf,
            log_offset.saturating_add(len as u64),
        ));
        out.push(Entry {
            log_offset,
            line: line.to_vec(),
        });
        at = start + len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(index: u64, prev: &Hash) -> (Vec<u8>, Hash) {
        let line = store::format_record(index, prev, "2026-01-01T00:00:00Z", "{\"a\":1}");
        let leaf = merkle::leaf_hash(line.as_bytes());
        (format!("{line}\n").into_bytes(), leaf)
    }

    fn file_of(entries: &[u8]) -> Vec<u8> {
        let mut data = vec![0u8; FILE_HEADER as usize];
        data.extend_from_slice(entries);
        data.resize(data.len() + 256, 0);
        data
    }

    #[test]
    fn a_run_of_chained_entries_is_read_and_stops_at_anything_else() {
        let mut buf = Vec::new();
        let mut prev = store::ZERO;
        let mut offset = 0u64;
        let mut lines = Vec::new();
        for i in 0..3 {
            let (line, leaf) = record(i, &prev);
            encode(&mut buf, offset, &line, &leaf);
            offset += line.len() as u64;
            prev = leaf;
            lines.push(line);
        }
        let entries = parse_entries(&file_of(&buf));
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2].line, lines[2]);
        // A stale entry from an earlier lap (a smaller index) ends the run.
        let mut stale = buf.clone();
        let (old, old_leaf) = record(1, &store::ZERO);
        encode(&mut stale, offset, &old, &old_leaf);
        assert_eq!(parse_entries(&file_of(&stale)).len(), 3);
        // A torn last entry, a flipped byte or a wrong offset ends it too.
        for cut in [1, 10, ENTRY_HEADER as usize + 5] {
            let torn = &buf[..buf.len() - cut];
            assert_eq!(parse_entries(&file_of(torn)).len(), 2, "cut {cut}");
        }
        let mut flipped = buf.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 1;
        assert_eq!(parse_entries(&file_of(&flipped)).len(), 2);
        let mut moved = Vec::new();
        let mut prev = store::ZERO;
        for (i, off) in [(0u64, 0u64), (1, 9999)] {
            let (line, leaf) = record(i, &prev);
            encode(&mut moved, off, &line, &leaf);
            prev = leaf;
        }
        assert_eq!(parse_entries(&file_of(&moved)).len(), 1);
        // Zeros: nothing.
        assert!(parse_entries(&vec![0u8; 4096]).is_empty());
    }
}
