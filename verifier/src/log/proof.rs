//! Inclusion and consistency proofs against signed checkpoints, and the
//! witness: a second party that cosigns a checkpoint only if it extends the
//! last one it saw (C2SP `tlog-witness` request format, `cosignature/v1`).

use super::merkle::{self, Hash};
use super::note::{NoteError, NoteSigner, NoteVerifier, SignedCheckpoint};
use super::store::{self, io, TreeCache};
use super::verify::{source_for, Source};
use super::LogError;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::path::Path;

/// The latest checkpoint, read from the end of the sidecar (the file can
/// hold one checkpoint per CLI decision; proofs should not parse it all).
pub fn latest_checkpoint(log: &Path) -> Result<Option<SignedCheckpoint>, LogError> {
    use std::io::{Read, Seek, SeekFrom};
    let path = store::checkpoints_path(log);
    let mut f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LogError::Io { path, source: e }),
    };
    let len = f.metadata().map_err(io(&path))?.len();
    let mut tail_len = 4096u64;
    loop {
        let start = len.saturating_sub(tail_len);
        let mut buf = Vec::new();
        f.seek(SeekFrom::Start(start))
            .and_then(|_| f.read_to_end(&mut buf))
            .map_err(io(&path))?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        // A note starts at the file's start or after a blank line that is
        // not followed by a signature line.
        let mut starts: Vec<usize> = text
            .match_indices("\n\n")
            .map(|(i, _)| i + 2)
            .filter(|&i| i < text.len() && !text[i..].starts_with('\u{2014}'))
            .collect();
        if start == 0 {
            starts.insert(0, 0);
        }
        if let Some(&s) = starts.last() {
            let notes =
                super::note::parse_notes(&text[s..]).map_err(|(line, e)| LogError::Checkpoint {
                    path: path.clone(),
                    line,
                    message: format!("the latest checkpoint: {e}"),
                })?;
            return Ok(notes.into_iter().last().map(|(_, c)| c));
        }
        if start == 0 {
            return Ok(None);
        }
        tail_len *= 4;
    }
}

fn require_checkpoint(
    log: &Path,
    key: Option<&NoteVerifier>,
) -> Result<SignedCheckpoint, LogError> {
    let cp = latest_checkpoint(log)?.ok_or_else(|| {
        LogError::Usage(format!(
            "{}: no signed checkpoint to prove against (write the log with a key)",
            log.display()
        ))
    })?;
    if let Some(k) = key {
        if k.verify(&cp.note).is_none() {
            return Err(LogError::Checkpoint {
                path: store::checkpoints_path(log),
                line: 0,
                message: format!("the latest checkpoint is not signed by `{}`", k.name),
            });
        }
    }
    Ok(cp)
}

/// An inclusion proof of one record against the latest signed checkpoint,
/// as `tollgate log prove` prints it (JSON, camelCase).
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// The record's 0-based index (its leaf index).
    pub index: u64,
    /// The record's leaf hash, hex.
    pub leaf_hash: String,
    /// The record's exact bytes (the leaf is SHA-256(0x00 || these)).
    pub record_line: String,
    /// The size of the tree proved into: the checkpoint's size.
    pub tree_size: u64,
    /// Base64, as in the checkpoint.
    pub root_hash: String,
    /// Base64 hashes, leaf to root (RFC 9162 §2.1.3.1).
    pub proof: Vec<String>,
    /// The signed checkpoint (note text) whose root the proof leads to.
    pub checkpoint: String,
}

/// Prove record `index` is in the tree of the latest checkpoint. The proof
/// is verified before it is returned.
pub fn prove(
    log: &Path,
    index: u64,
    key: Option<&NoteVerifier>,
) -> Result<InclusionProof, LogError> {
    let cp = require_checkpoint(log, key)?;
    let size = cp.checkpoint.size;
    if index >= size {
        return Err(LogError::Usage(format!(
            "{}: record {index} is not in the latest checkpoint (size {size})",
            log.display()
        )));
    }
    let source = source_for(log, size, &cp.checkpoint.root)?;
    let line = match &source {
        Source::Cache(_) => {
            let (_, idx) = TreeCache::open(log).ok_or_else(|| LogError::Cache {
                path: store::idx_path(log),
                message: "index cache vanished".into(),
            })?;
            let offset = store::record_offset(&idx, &store::idx_path(log), index)?;
            store::read_line_at(log, offset)?
        }
        Source::Memory(_) => {
            let mut found = None;
            store::read_records(log, |r| {
                if r.index == index {
                    found = Some(r.line);
                }
                Ok(())
            })?;
            found.unwrap_or_default()
        }
    };
    let leaf = merkle::leaf_hash(&line);
    let proof = merkle::inclusion_proof(&source, index, size)?;
    merkle::verify_inclusion(index, size, &leaf, &proof, &cp.checkpoint.root).map_err(|e| {
        LogError::Broken {
            path: log.to_path_buf(),
            line: index + 1,
            record: index,
            message: format!(
                "the record does not prove into the signed tree ({e}): run `tollgate log verify`"
            ),
        }
    })?;
    Ok(InclusionProof {
        index,
        leaf_hash: hex::encode(leaf),
        record_line: String::from_utf8_lossy(&line).into_owned(),
        tree_size: size,
        root_hash: B64.encode(cp.checkpoint.root),
        proof: proof.iter().map(|h| B64.encode(h)).collect(),
        checkpoint: cp.note.text(),
    })
}

/// A consistency proof from an older checkpoint to the latest one, in
/// the C2SP `tlog-witness` add-checkpoint request format:
///
/// ```text
/// old <size>
/// <base64 hash>…
///
/// <the latest checkpoint>
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyRequest {
    /// The size of the older tree the proof starts from.
    pub old_size: u64,
    /// The RFC 9162 §2.1.4.1 consistency proof from `old_size` to the
    /// checkpoint's size.
    pub proof: Vec<Hash>,
    /// The latest signed checkpoint, which the proof leads to.
    pub checkpoint: SignedCheckpoint,
}

/// Why a text is not a [`ConsistencyRequest`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    /// The proof is not followed by a blank line and a checkpoint.
    #[error("no blank line before the checkpoint")]
    NoBlankLine,
    /// The first line is not `old <size>` with a decimal size.
    #[error("the first line is not `old <size>`")]
    OldSize,
    /// A line of the proof does not decode as a 32-byte base64 hash.
    #[error("a proof line is not a base64 hash")]
    ProofLine,
    /// The text after the blank line is not a signed checkpoint.
    #[error(transparent)]
    Checkpoint(#[from] NoteError),
}

impl ConsistencyRequest {
    /// The request as text: `old <size>`, one base64 hash a line, a blank
    /// line and the checkpoint note ([`ConsistencyRequest::parse`] reads it
    /// back).
    pub fn text(&self) -> String {
        let mut out = format!("old {}\n", self.old_size);
        for h in &self.proof {
            out.push_str(&B64.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint.note.text());
        out
    }

    /// Parse a request in the format [`ConsistencyRequest::text`] writes.
    /// The checkpoint's signatures are parsed, not verified.
    pub fn parse(text: &str) -> Result<ConsistencyRequest, RequestError> {
        let (head, note) = text.split_once("\n\n").ok_or(RequestError::NoBlankLine)?;
        let mut lines = head.lines();
        let old_size = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(|n| n.parse().ok())
            .ok_or(RequestError::OldSize)?;
        let mut proof = Vec::new();
        for l in lines {
            let h: Hash = B64
                .decode(l)
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or(RequestError::ProofLine)?;
            proof.push(h);
        }
        let checkpoint = SignedCheckpoint::parse(note)?;
        Ok(ConsistencyRequest {
            old_size,
            proof,
            checkpoint,
        })
    }
}

/// Prove that the latest checkpoint extends `old` (verified before it is
/// returned: a log rewritten since `old` is reported as a fork).
pub fn consistency(
    log: &Path,
    old: &SignedCheckpoint,
    key: Option<&NoteVerifier>,
) -> Result<ConsistencyRequest, LogError> {
    let cp = require_checkpoint(log, key)?;
    if let Some(k) = key {
        if k.verify(&old.note).is_none() {
            return Err(LogError::Fork(format!(
                "the old checkpoint is not signed by `{}`",
                k.name
            )));
        }
    }
    if old.checkpoint.origin != cp.checkpoint.origin {
        return Err(LogError::Fork(format!(
            "the old checkpoint is for `{}`, this log is `{}`",
            old.checkpoint.origin, cp.checkpoint.origin
        )));
    }
    if old.checkpoint.size > cp.checkpoint.size {
        return Err(LogError::Fork(format!(
            "the old checkpoint covers {} records, the log's latest only {}: the log was truncated",
            old.checkpoint.size, cp.checkpoint.size
        )));
    }
    let source = source_for(log, cp.checkpoint.size, &cp.checkpoint.root)?;
    let proof = merkle::consistency_proof(&source, old.checkpoint.size, cp.checkpoint.size)?;
    merkle::verify_consistency(
        old.checkpoint.size,
        cp.checkpoint.size,
        &old.checkpoint.root,
        &cp.checkpoint.root,
        &proof,
    )
    .map_err(|e| {
        LogError::Fork(format!(
            "the log does not extend the old checkpoint of size {} ({e}): it was rewritten",
            old.checkpoint.size
        ))
    })?;
    Ok(ConsistencyRequest {
        old_size: old.checkpoint.size,
        proof,
        checkpoint: cp,
    })
}

/// The witness: check `request` against the last checkpoint it cosigned
/// (kept in `state`), and cosign. Refuses a checkpoint not signed by the
/// log, a smaller tree, and any fork; the state moves only forward.
pub fn witness(
    request: &ConsistencyRequest,
    log_key: &NoteVerifier,
    witness_key: &NoteSigner,
    state: &Path,
    now: u64,
) -> Result<super::note::Note, LogError> {
    let cp = &request.checkpoint;
    if log_key.verify(&cp.note).is_none() {
        return Err(LogError::Fork(format!(
            "refusing to cosign: the checkpoint is not signed by the log key `{}`",
            log_key.name
        )));
    }
    let seen = match std::fs::read_to_string(state) {
        Ok(text) => Some(SignedCheckpoint::parse(&text).map_err(|e| LogError::Key {
            path: state.to_path_buf(),
            source: e,
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(LogError::Io {
                path: state.to_path_buf(),
                source: e,
            })
        }
    };
    let (old_size, old_root) = match &seen {
        Some(s) => {
            if s.checkpoint.origin != cp.checkpoint.origin {
                return Err(LogError::Fork(format!(
                    "refusing to cosign: {}: this witness state is for `{}`, not `{}`",
                    state.display(),
                    s.checkpoint.origin,
                    cp.checkpoint.origin
                )));
            }
            (s.checkpoint.size, s.checkpoint.root)
        }
        None => (0, merkle::empty_root()),
    };
    if cp.checkpoint.size < old_size {
        return Err(LogError::Fork(format!(
            "refusing to cosign: size {} is smaller than the {old_size} this witness already saw (rollback)",
            cp.checkpoint.size
        )));
    }
    if request.old_size != old_size {
        return Err(LogError::Fork(format!(
            "refusing to cosign: the proof starts at size {}, but this witness last saw {old_size}: prove from that checkpoint ({})",
            request.old_size,
            state.display()
        )));
    }
    merkle::verify_consistency(
        old_size,
        cp.checkpoint.size,
        &old_root,
        &cp.checkpoint.root,
        &request.proof,
    )
    .map_err(|e| {
        LogError::Fork(format!(
            "refusing to cosign: size {} root {} does not extend the size {old_size} this witness saw ({e}): the log forked",
            cp.checkpoint.size,
            B64.encode(cp.checkpoint.root)
        ))
    })?;
    let mut note = cp.note.clone();
    note.add_signature_line(&witness_key.cosign(&note.body, now))
        .map_err(|e| LogError::Key {
            path: state.to_path_buf(),
            source: e,
        })?;
    // The state keeps the log's checkpoint as seen (with its signature).
    super::write_atomic(state, cp.note.text().as_bytes())?;
    Ok(note)
}
