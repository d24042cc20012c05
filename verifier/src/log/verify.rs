//! `tollgate log verify`: recompute the tree from the records, check every
//! signed checkpoint against it, and name the first bad record.
//!
//! What is checked, in record order (the first failure is reported):
//! * each record's `index` is its position (a removed, inserted or
//!   reordered record breaks it) and its `prev` is the leaf hash of the
//!   record before (an edited record breaks the next one's);
//! * at each checkpoint's size, the recomputed root equals the signed root
//!   (an edit with the rest re-chained breaks this). Successive checkpoints
//!   are therefore consistent: each is a prefix of one recomputed tree;
//! * the log is not shorter than its latest checkpoint (truncated, emptied
//!   or deleted), and, with the key, nothing follows the latest checkpoint
//!   (a forged append) and there is at least one checkpoint;
//! * each checkpoint's signature (with the key), the origin, sizes that
//!   never shrink;
//! * witnessed checkpoints: the log's signature, the same root as the
//!   records at that size, and at least k cosignatures by known witnesses.
//!
//! When a root does not match, the tree cache (if it still matches the
//! signed root, so it holds the authentic leaves) names the exact record;
//! otherwise the first record after the previous checkpoint is named.

use super::merkle::{self, CompactRange, Hash, Nodes};
use super::note::{parse_notes, NoteVerifier, SignedCheckpoint};
use super::store::{self, TreeCache, ZERO};
use super::LogError;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The checkpoints sidecar, parsed (not yet verified), with line numbers.
pub fn load_checkpoints(log: &Path) -> Result<Vec<(usize, SignedCheckpoint)>, LogError> {
    load_notes(&store::checkpoints_path(log))
}

/// A file of signed checkpoints, each followed by a blank line, parsed
/// (not verified), with the 1-based line each starts on. A missing file
/// holds none.
pub fn load_notes(path: &Path) -> Result<Vec<(usize, SignedCheckpoint)>, LogError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(LogError::Io {
                path: path.to_path_buf(),
                source: e,
            })
        }
    };
    parse_notes(&text).map_err(|(line, e)| LogError::Checkpoint {
        path: path.to_path_buf(),
        line,
        message: e.to_string(),
    })
}

/// What [`verify`] checks besides the records and the tree.
#[derive(Default)]
pub struct VerifyOptions {
    /// The log's public key; without it signatures are not checked and an
    /// unsigned log passes (reported as unsigned).
    pub key: Option<NoteVerifier>,
    /// Known witnesses (cosigner keys).
    pub witnesses: Vec<NoteVerifier>,
    /// Cosignatures required on some checkpoint.
    pub min_witnesses: usize,
    /// Files of cosigned checkpoints besides `LOG.witnessed`.
    pub cosigned: Vec<PathBuf>,
    /// The origin every checkpoint must name (`tollgate log verify
    /// --origin`): with one key for several replicas, the log of another
    /// replica, or a new log under another origin, is not this one.
    pub origin: Option<String>,
}

/// What a passing [`verify`] found.
#[derive(Debug)]
pub struct VerifyReport {
    /// How many records the log holds.
    pub records: u64,
    /// How many checkpoints `LOG.checkpoints` holds.
    pub checkpoints: usize,
    /// The latest checkpoint, if any.
    pub latest: Option<SignedCheckpoint>,
    /// Whether signatures were checked (a key was given).
    pub signed: bool,
    /// The largest witnessed size and how many witnesses cosigned it.
    pub witnessed: Option<(u64, usize)>,
}

struct Expect<'a> {
    file: &'a Path,
    line: usize,
    cp: &'a SignedCheckpoint,
    witnessed: bool,
}

/// Check the log, its checkpoints and its cosigned checkpoints (see the
/// module documentation for what is checked); the error names the first
/// bad record or checkpoint.
pub fn verify(log: &Path, opts: &VerifyOptions) -> Result<VerifyReport, LogError> {
    let cp_path = store::checkpoints_path(log);
    let checkpoints = load_checkpoints(log)?;
    let mut origin: Option<&str> = None;
    let mut last_size = 0u64;
    for (line, cp) in &checkpoints {
        let bad = |message: String| LogError::Checkpoint {
            path: cp_path.clone(),
            line: *line,
            message,
        };
        if let Some(key) = &opts.key {
            if key.verify(&cp.note).is_none() {
                return Err(bad(format!(
                    "checkpoint of size {} is not signed by `{}`: it was replaced or edited",
                    cp.checkpoint.size, key.name
                )));
            }
        }
        if let Some(want) = &opts.origin {
            if cp.checkpoint.origin != *want {
                return Err(bad(format!(
                    "origin `{}` is not `{want}`: checkpoints of another log",
                    cp.checkpoint.origin
                )));
            }
        }
        match origin {
            None => origin = Some(&cp.checkpoint.origin),
            Some(o) if o != cp.checkpoint.origin => {
                return Err(bad(format!(
                    "origin `{}` after `{o}`: checkpoints of another log",
                    cp.checkpoint.origin
                )))
            }
            Some(_) => {}
        }
        if cp.checkpoint.size < last_size {
            return Err(bad(format!(
                "size {} after {last_size}: checkpoints reordered or replaced",
                cp.checkpoint.size
            )));
        }
        last_size = cp.checkpoint.size;
    }
    if opts.key.is_some() && checkpoints.is_empty() {
        return Err(LogError::Checkpoint {
            path: cp_path,
            line: 0,
            message:
                "no signed checkpoint: the checkpoints were removed, or the log was never signed"
                    .into(),
        });
    }

    // Cosigned checkpoints.
    let mut witness_files = vec![store::witnessed_path(log)];
    witness_files.extend(opts.cosigned.iter().cloned());
    let mut witnessed: Vec<(PathBuf, usize, SignedCheckpoint)> = Vec::new();
    for f in &witness_files {
        for (line, cp) in load_notes(f)? {
            if let Some(key) = &opts.key {
                if key.verify(&cp.note).is_none() {
                    return Err(LogError::Checkpoint {
                        path: f.clone(),
                        line,
                        message: "witnessed checkpoint not signed by the log's key".into(),
                    });
                }
            }
            if origin.is_some_and(|o| o != cp.checkpoint.origin) {
                return Err(LogError::Checkpoint {
                    path: f.clone(),
                    line,
                    message: format!("origin `{}` is another log's", cp.checkpoint.origin),
                });
            }
            witnessed.push((f.clone(), line, cp));
        }
    }

    let mut expect: BTreeMap<u64, Vec<Expect>> = BTreeMap::new();
    for (line, cp) in &checkpoints {
        expect.entry(cp.checkpoint.size).or_default().push(Expect {
            file: &cp_path,
            line: *line,
            cp,
            witnessed: false,
        });
    }
    for (f, line, cp) in &witnessed {
        expect.entry(cp.checkpoint.size).or_default().push(Expect {
            file: f,
            line: *line,
            cp,
            witnessed: true,
        });
    }

    let latest = checkpoints.last().map(|(_, c)| c.clone());
    let latest_size = latest.as_ref().map_or(0, |c| c.checkpoint.size);
    let mut file = match File::open(log) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && latest_size > 0 => None,
        Err(e) => {
            return Err(LogError::Io {
                path: log.to_path_buf(),
                source: e,
            })
        }
    };
    let mut range = CompactRange::new();
    let mut prev = ZERO;
    let mut prev_cp_size = 0u64;
    let mut pending = expect.iter().peekable();
    // Size 0 checkpoints.
    let check_at = |range: &CompactRange,
                    pending: &mut std::iter::Peekable<
        std::collections::btree_map::Iter<u64, Vec<Expect>>,
    >,
                    prev_cp_size: &mut u64|
     -> Result<(), LogError> {
        while let Some((size, list)) = pending.peek() {
            if **size != range.size() {
                break;
            }
            let root = range.root();
            for e in list.iter() {
                if e.cp.checkpoint.root != root {
                    let (record, how) = locate(log, *prev_cp_size, e.cp);
                    return Err(LogError::Broken {
                        path: log.to_path_buf(),
                        line: record + 1,
                        record,
                        message: format!(
                            "the records no longer match the {} checkpoint of size {} ({}:{}): {how}",
                            if e.witnessed { "witnessed" } else { "signed" },
                            e.cp.checkpoint.size,
                            e.file.display(),
                            e.line
                        ),
                    });
                }
            }
            *prev_cp_size = **size;
            pending.next();
        }
        Ok(())
    };
    check_at(&range, &mut pending, &mut prev_cp_size)?;
    let mut torn = None;
    if let Some(f) = file.as_mut() {
        let (_, t) = store::scan_lines(log, f, |line_no, _, line| {
            let n = range.size();
            let broken = |line: u64, record: u64, message: &str| LogError::Broken {
                path: log.to_path_buf(),
                line,
                record,
                message: message.to_string(),
            };
            let Some((index, chained)) = store::record_header(line) else {
                return Err(broken(
                    line_no,
                    n,
                    "not a record of this log (no index and prev at its start)",
                ));
            };
            if index != n {
                return Err(broken(
                    line_no,
                    n,
                    &format!("holds index {index} where record {n} belongs: a record was removed, inserted or reordered"),
                ));
            }
            if chained != prev && n == 0 {
                return Err(broken(
                    line_no,
                    0,
                    "the first record's `prev` is not zeros: records before it were removed",
                ));
            }
            if chained != prev {
                return Err(broken(
                    line_no - 1,
                    n - 1,
                    "edited: its hash no longer matches the `prev` of the record after it",
                ));
            }
            prev = merkle::leaf_hash(line);
            range.push(prev);
            check_at(&range, &mut pending, &mut prev_cp_size)
        })?;
        torn = t;
    }
    let n = range.size();
    if torn.is_some() {
        return Err(LogError::Broken {
            path: log.to_path_buf(),
            line: n + 1,
            record: n,
            message: "truncated record (no line end)".into(),
        });
    }
    if let Some((size, list)) = pending.peek() {
        let e = &list[0];
        let what = if n == 0 {
            if file.is_none() {
                "the log file is missing"
            } else {
                "the log is empty"
            }
            .to_string()
        } else {
            format!("the log ends after {n} records")
        };
        return Err(LogError::Broken {
            path: log.to_path_buf(),
            line: n + 1,
            record: n,
            message: format!(
                "{what} but the checkpoint at {}:{} covers {size}: records were removed (truncated or emptied)",
                e.file.display(),
                e.line
            ),
        });
    }
    if opts.key.is_some() && n > latest_size {
        return Err(LogError::Broken {
            path: log.to_path_buf(),
            line: latest_size + 1,
            record: latest_size,
            message: format!(
                "not covered by any signed checkpoint (the latest covers {latest_size}): appended after it (forged), or the writer stopped before signing"
            ),
        });
    }

    // Witness quorum.
    let mut best: Option<(u64, usize)> = None;
    for (_, _, cp) in &witnessed {
        let mut names: Vec<&str> = Vec::new();
        for w in &opts.witnesses {
            if w.verify(&cp.note).is_some() && !names.contains(&w.name.as_str()) {
                names.push(&w.name);
            }
        }
        let candidate = (cp.checkpoint.size, names.len());
        if names.len() >= opts.min_witnesses.max(1)
            && best.is_none_or(|(s, c)| (candidate.0, candidate.1) > (s, c))
        {
            best = Some(candidate);
        }
    }
    if opts.min_witnesses > 0 && best.is_none() {
        return Err(LogError::Witness(format!(
            "{}: no checkpoint carries {} cosignature(s) by the given witnesses",
            log.display(),
            opts.min_witnesses
        )));
    }
    Ok(VerifyReport {
        records: n,
        checkpoints: checkpoints.len(),
        latest,
        signed: opts.key.is_some(),
        witnessed: best,
    })
}

/// Which record makes the tree differ from a checkpoint: the tree cache
/// names it when it still matches the signed root.
fn locate(log: &Path, from: u64, cp: &SignedCheckpoint) -> (u64, String) {
    let size = cp.checkpoint.size;
    let fallback = (
        from,
        format!(
            "a record from {from} to {} was changed and the chain rewritten (the tree cache that would name it is gone or rewritten too)",
            size.saturating_sub(1)
        ),
    );
    let Some((cache, _)) = TreeCache::open(log) else {
        return fallback;
    };
    if cache.leaves < size || merkle::root_at(&cache, size).ok() != Some(cp.checkpoint.root) {
        return fallback;
    }
    let mut found = None;
    let _ = store::read_records(log, |r| {
        if r.index >= from && r.index < size && found.is_none() {
            if let Ok(authentic) = cache.leaf(r.index) {
                if authentic != r.leaf {
                    found = Some(r.index);
                }
            }
        }
        Ok(())
    });
    match found {
        Some(i) => (
            i,
            "edited, with the records after it re-chained (its leaf differs from the signed tree's)"
                .into(),
        ),
        None => fallback,
    }
}

/// The recomputed leaves' tree, in memory (for proofs when the cache is
/// unusable).
pub fn memory_tree(log: &Path) -> Result<merkle::MemoryTree, LogError> {
    let mut tree = merkle::MemoryTree::new();
    store::read_records(log, |r| {
        tree.push(r.leaf);
        Ok(())
    })?;
    Ok(tree)
}

/// A node source for proofs: the cache if it covers `size` and matches
/// `root`, else a tree recomputed from the records.
pub enum Source {
    /// The on-disk tree cache.
    Cache(TreeCache),
    /// The tree recomputed from the records.
    Memory(merkle::MemoryTree),
}

impl Nodes for Source {
    type Error = LogError;
    fn perfect(&self, level: u32, index: u64) -> Result<Hash, LogError> {
        match self {
            Source::Cache(c) => c.perfect(level, index),
            Source::Memory(m) => m.perfect(level, index).map_err(|e| LogError::Cache {
                path: PathBuf::new(),
                message: e.to_string(),
            }),
        }
    }
}

/// The node source for proofs up to `size`: the tree cache if its root at
/// `size` is `root`, else the tree recomputed from the records, which must
/// then have that root (the records do not match the checkpoint otherwise).
pub fn source_for(log: &Path, size: u64, root: &Hash) -> Result<Source, LogError> {
    if let Some((cache, _)) = TreeCache::open(log) {
        if cache.leaves >= size && merkle::root_at(&cache, size).ok().as_ref() == Some(root) {
            return Ok(Source::Cache(cache));
        }
    }
    let tree = memory_tree(log)?;
    if tree.size() < size || merkle::root_at(&tree, size).ok().as_ref() != Some(root) {
        return Err(LogError::Broken {
            path: log.to_path_buf(),
            line: 0,
            record: 0,
            message: format!(
                "the records do not match the checkpoint of size {size}: run `tollgate log verify`"
            ),
        });
    }
    Ok(Source::Memory(tree))
}
