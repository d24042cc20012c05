//! The files of one log, and reading them.
//!
//! For a log `LOG`:
//! * `LOG`: the records, one JSON line each, in the fixed layout
//!   `{"index":N,"prev":"<hex>","time":"…","event":{…}}`. `prev` is the
//!   leaf hash of the record before (zeros for the first). The Merkle leaf
//!   is the line's bytes without its newline.
//! * `LOG.checkpoints`: signed checkpoints (notes), each followed by a blank
//!   line, oldest first. Authoritative, like the records.
//! * `LOG.witnessed`: checkpoints with witness cosignatures.
//! * `LOG.tree`, `LOG.idx`: caches the writer keeps and can rebuild: every
//!   perfect subtree's hash in post-order (32 bytes each), and each record's
//!   byte offset (u64 little-endian). Never trusted: a proof read from the
//!   cache is checked against a signed root before it is shown, and
//!   `verify` recomputes everything from the records.

use super::merkle::{self, CompactRange, Hash, Nodes};
use super::LogError;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The `prev` of the first record: 32 zero bytes.
pub const ZERO: Hash = [0u8; 32];

/// The path of a file beside the log: `LOG.<suffix>`.
pub fn sidecar(log: &Path, suffix: &str) -> PathBuf {
    let mut p = log.as_os_str().to_owned();
    p.push(".");
    p.push(suffix);
    PathBuf::from(p)
}

/// `LOG.checkpoints`: the signed checkpoints.
pub fn checkpoints_path(log: &Path) -> PathBuf {
    sidecar(log, "checkpoints")
}
/// `LOG.witnessed`: checkpoints with witness cosignatures.
pub fn witnessed_path(log: &Path) -> PathBuf {
    sidecar(log, "witnessed")
}
/// `LOG.tree`: the perfect-subtree hash cache.
pub fn tree_path(log: &Path) -> PathBuf {
    sidecar(log, "tree")
}
/// `LOG.idx`: the record offset cache.
pub fn idx_path(log: &Path) -> PathBuf {
    sidecar(log, "idx")
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One record line in the fixed layout.
pub fn format_record(index: u64, prev: &Hash, time: &str, event: &str) -> String {
    let mut out = Vec::with_capacity(event.len() + 128);
    write_record(&mut out, index, prev, time, event);
    String::from_utf8(out).unwrap_or_default()
}

/// Append one record line (no newline) to `out`: `format_record` without
/// the intermediate strings (the writer's hot path).
pub fn write_record(out: &mut Vec<u8>, index: u64, prev: &Hash, time: &str, event: &str) {
    let mut hex = [0u8; 64];
    // 64 bytes for 32: cannot fail.
    let _ = hex::encode_to_slice(prev, &mut hex);
    out.extend_from_slice(b"{\"index\":");
    out.extend_from_slice(index.to_string().as_bytes());
    out.extend_from_slice(b",\"prev\":\"");
    out.extend_from_slice(&hex);
    out.extend_from_slice(b"\",\"time\":");
    if serde_json::to_writer(&mut *out, time).is_err() {
        out.extend_from_slice(b"\"\"");
    }
    out.extend_from_slice(b",\"event\":");
    out.extend_from_slice(event.as_bytes());
    out.push(b'}');
}

/// The `index` and `prev` fields at the start of a record line.
pub fn record_header(line: &[u8]) -> Option<(u64, Hash)> {
    let rest = line.strip_prefix(b"{\"index\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 || (digits > 1 && rest[0] == b'0') {
        return None;
    }
    let index: u64 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let rest = rest[digits..].strip_prefix(b",\"prev\":\"")?;
    if rest.len() < 65 || rest[64] != b'"' {
        return None;
    }
    let mut prev = [0u8; 32];
    hex::decode_to_slice(&rest[..64], &mut prev).ok()?;
    Some((index, prev))
}

/// Read a file line by line in large chunks: `f(line_number (1-based),
/// offset, line without newline)`. Returns the total length and, if the
/// file does not end with a newline, the offset of the unterminated tail.
pub fn scan_lines(
    path: &Path,
    file: &mut File,
    mut f: impl FnMut(u64, u64, &[u8]) -> Result<(), LogError>,
) -> Result<(u64, Option<u64>), LogError> {
    const CHUNK: usize = 4 << 20;
    let mut buf: Vec<u8> = vec![0; CHUNK];
    let mut filled = 0usize; // bytes of buf in use
    let mut base = 0u64; // file offset of buf[0]
    let mut line_no = 0u64;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = file.read(&mut buf[filled..]).map_err(io(path))?;
        if n == 0 {
            break;
        }
        let start_scan = filled;
        filled += n;
        let mut line_start = 0usize;
        let mut search_from = start_scan;
        while let Some(pos) = memchr::memchr(b'\n', &buf[search_from..filled]) {
            let end = search_from + pos;
            line_no += 1;
            f(line_no, base + line_start as u64, &buf[line_start..end])?;
            line_start = end + 1;
            search_from = line_start;
        }
        // Keep the partial line at the front.
        buf.copy_within(line_start..filled, 0);
        filled -= line_start;
        base += line_start as u64;
    }
    let total = base + filled as u64;
    Ok((total, (filled > 0).then_some(base)))
}

/// The perfect-subtree cache: node (level, index) lives at a fixed place
/// in post-order, so appending never moves anything.
pub fn node_position(level: u32, index: u64) -> u64 {
    let m = (index + 1) << level;
    2 * m - u64::from(m.count_ones()) - 1 - u64::from(m.trailing_zeros() - level)
}

/// How many nodes the cache holds for `n` leaves.
pub fn node_count(n: u64) -> u64 {
    2 * n - u64::from(n.count_ones())
}

/// The tree cache (`LOG.tree`) opened for reading: the hash of every
/// perfect subtree of the first `leaves` records. Untrusted: its roots are
/// compared with a signed root before a proof built from it is used.
pub struct TreeCache {
    path: PathBuf,
    file: File,
    /// Leaves the cache covers.
    pub leaves: u64,
}

impl TreeCache {
    /// Open the caches read-only; `None` if they are missing or their
    /// lengths disagree.
    pub fn open(log: &Path) -> Option<(TreeCache, File)> {
        let tree = File::open(tree_path(log)).ok()?;
        let idx = File::open(idx_path(log)).ok()?;
        let idx_len = idx.metadata().ok()?.len();
        let tree_len = tree.metadata().ok()?.len();
        let leaves = idx_len / 8;
        if tree_len < node_count(leaves) * 32 {
            return None;
        }
        Some((
            TreeCache {
                path: tree_path(log),
                file: tree,
                leaves,
            },
            idx,
        ))
    }

    /// The leaf hash of record `index`, as the cache holds it.
    pub fn leaf(&self, index: u64) -> Result<Hash, LogError> {
        self.perfect(0, index)
    }

    /// The compact range (right edge) of the first `size` leaves.
    pub fn compact_range(&self, size: u64) -> Result<CompactRange, LogError> {
        let mut range = CompactRange::new();
        // Rebuilding by pushing leaves would re-hash everything; instead
        // seed the stack with the perfect subtrees of each set bit.
        let mut stack = Vec::new();
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            if size & (1u64 << level) != 0 {
                stack.push(self.perfect(level, start >> level)?);
                start += 1u64 << level;
            }
        }
        range.seed(size, stack);
        Ok(range)
    }
}

impl Nodes for TreeCache {
    type Error = LogError;
    fn perfect(&self, level: u32, index: u64) -> Result<Hash, LogError> {
        if (index + 1) << level > self.leaves {
            return Err(LogError::Cache {
                path: self.path.clone(),
                message: format!("no node at level {level}, index {index}"),
            });
        }
        let mut f = &self.file;
        let mut h = [0u8; 32];
        f.seek(SeekFrom::Start(node_position(level, index) * 32))
            .and_then(|_| f.read_exact(&mut h))
            .map_err(io(&self.path))?;
        Ok(h)
    }
}

/// The byte offset of record `index` from the index cache.
pub fn record_offset(idx: &File, idx_path: &Path, index: u64) -> Result<u64, LogError> {
    let mut f = idx;
    let mut b = [0u8; 8];
    f.seek(SeekFrom::Start(index * 8))
        .and_then(|_| f.read_exact(&mut b))
        .map_err(io(idx_path))?;
    Ok(u64::from_le_bytes(b))
}

/// Read the line starting at `offset`.
pub fn read_line_at(log: &Path, offset: u64) -> Result<Vec<u8>, LogError> {
    let mut f = File::open(log).map_err(io(log))?;
    f.seek(SeekFrom::Start(offset)).map_err(io(log))?;
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = f.read(&mut chunk).map_err(io(log))?;
        if n == 0 {
            break;
        }
        if let Some(p) = memchr::memchr(b'\n', &chunk[..n]) {
            out.extend_from_slice(&chunk[..p]);
            return Ok(out);
        }
        out.extend_from_slice(&chunk[..n]);
    }
    Err(LogError::Cache {
        path: log.to_path_buf(),
        message: format!("no complete record at offset {offset}"),
    })
}

/// A record read back, for proofs and export.
pub struct Record {
    /// Its position in the file, counting from 0 (not the `index` field
    /// the line holds).
    pub index: u64,
    /// Its Merkle leaf hash, `SHA-256(0x00 || line)`.
    pub leaf: Hash,
    /// The line's bytes, without its newline.
    pub line: Vec<u8>,
}

/// Every record with its leaf hash, in order (no chain checks: use
/// `verify` for that).
pub fn read_records(
    log: &Path,
    mut f: impl FnMut(Record) -> Result<(), LogError>,
) -> Result<u64, LogError> {
    let mut file = File::open(log).map_err(io(log))?;
    let mut n = 0u64;
    scan_lines(log, &mut file, |_, _, line| {
        let leaf = merkle::leaf_hash(line);
        let r = Record {
            index: n,
            leaf,
            line: line.to_vec(),
        };
        n += 1;
        f(r)
    })?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_positions_are_post_order() {
        let mut range = CompactRange::new();
        let mut seen = Vec::new();
        for i in 0..100u64 {
            range.push_with(merkle::leaf_hash(&i.to_le_bytes()), |level, index, _| {
                seen.push(node_position(level, index));
            });
            assert_eq!(seen.len() as u64, node_count(i + 1));
        }
        let expected: Vec<u64> = (0..seen.len() as u64).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn record_headers() {
        let line = format_record(12, &[0xab; 32], "2026-01-01T00:00:00Z", "{\"a\":1}");
        assert_eq!(record_header(line.as_bytes()), Some((12, [0xab; 32])));
        assert_eq!(record_header(b"{\"index\":012,"), None);
        assert_eq!(record_header(b"garbage"), None);
    }
}
