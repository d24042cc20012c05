//! The decision log: one JSON line per decision, each carrying the SHA-256
//! of the previous line (`prev`) and a sequence number, flushed to disk
//! before the decision is returned. A `<log>.head` file holds the hash and
//! sequence number of the last record, so removing or editing the last
//! record is detected too (a chain alone cannot show that).
//!
//! Rotation keeps the chain: the first record of the next file carries the
//! hash of the last record of the previous one, and `verify` checks files
//! given in order as one chain.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path}:{line}: {message}")]
    Broken {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

fn io(path: &Path, e: impl std::fmt::Display) -> LogError {
    LogError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn head_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".head");
    PathBuf::from(p)
}

fn hash(line: &str) -> String {
    hex::encode(Sha256::digest(line.as_bytes()))
}

/// The chain state after the last record: (hash, seq).
fn head(path: &Path) -> Result<(String, u64), LogError> {
    match std::fs::read_to_string(head_path(path)) {
        Ok(text) => {
            let v: Value = serde_json::from_str(&text).map_err(|e| io(&head_path(path), e))?;
            Ok((
                v["hash"].as_str().unwrap_or(GENESIS).to_string(),
                v["seq"].as_u64().unwrap_or(0),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((GENESIS.to_string(), 0)),
        Err(e) => Err(io(&head_path(path), e)),
    }
}

fn write_head(path: &Path, hash: &str, seq: u64) -> Result<(), LogError> {
    let head = head_path(path);
    let tmp = head.with_extension("head.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
    f.write_all(json!({ "hash": hash, "seq": seq }).to_string().as_bytes())
        .map_err(|e| io(&tmp, e))?;
    f.sync_all().map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, &head).map_err(|e| io(&head, e))
}

/// Append a decision; returns the new record's hash. Durable on return.
pub fn append(path: &Path, decision: &Value, time: &str) -> Result<String, LogError> {
    let (prev, seq) = head(path)?;
    let mut record = json!({ "seq": seq + 1, "time": time, "prev": prev, "decision": decision });
    if let Some(obj) = record.as_object_mut() {
        obj.retain(|_, v| !v.is_null());
    }
    let line = serde_json::to_string(&record).map_err(|e| io(path, e))?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io(path, e))?;
    file.write_all(line.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|e| io(path, e))?;
    file.sync_all().map_err(|e| io(path, e))?;
    let h = hash(&line);
    write_head(path, &h, seq + 1)?;
    Ok(h)
}

/// Start a new file after `path`: the chain continues into `next`.
pub fn rotate(path: &Path, next: &Path) -> Result<(), LogError> {
    let (hash, seq) = head(path)?;
    write_head(next, &hash, seq)
}

/// Verify one chain spread over `paths` (in order). Returns the number of
/// records; names the first bad line otherwise.
pub fn verify(paths: &[PathBuf]) -> Result<u64, LogError> {
    let mut prev = GENESIS.to_string();
    let mut seq = 0u64;
    let mut count = 0u64;
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
        if !text.is_empty() && !text.ends_with('\n') {
            let line = text.lines().count();
            return Err(LogError::Broken {
                path: path.clone(),
                line,
                message: "truncated record (no line end)".into(),
            });
        }
        let mut previous_line = 0;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let broken = |message: String| LogError::Broken {
                path: path.clone(),
                line: n,
                message,
            };
            let record: Value = serde_json::from_str(line)
                .map_err(|e| broken(format!("not a JSON record: {e}")))?;
            let this_seq = record["seq"]
                .as_u64()
                .ok_or_else(|| broken("no sequence number".into()))?;
            if this_seq != seq + 1 {
                return Err(broken(format!(
                    "sequence {this_seq} follows {seq}: a record was removed or reordered"
                )));
            }
            if record["prev"].as_str() != Some(prev.as_str()) {
                // The chain breaks here, and the sequence is intact: the
                // record before was changed.
                let line = if previous_line > 0 { previous_line } else { n };
                return Err(LogError::Broken {
                    path: path.clone(),
                    line,
                    message: "record does not match the hash the next record holds: it was edited"
                        .into(),
                });
            }
            prev = hash(line);
            seq = this_seq;
            previous_line = n;
            count += 1;
        }
    }
    // The last file's head pins the last record.
    if let Some(last) = paths.last() {
        let (head_hash, head_seq) = head(last)?;
        if head_seq != seq || head_hash != prev {
            let line = std::fs::read_to_string(last)
                .map(|t| t.lines().count())
                .unwrap_or(0);
            return Err(LogError::Broken { path: last.clone(), line, message: format!("the log ends at record {seq} but its head says {head_seq}: the last record was edited or removed") });
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(n: usize) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("decisions.jsonl");
        for i in 0..n {
            append(
                &path,
                &json!({"subject": format!("app-{i}"), "allowed": i % 2 == 0}),
                "2026-11-23T00:00:00Z",
            )
            .unwrap();
        }
        (dir, path)
    }

    fn rewrite(path: &Path, f: impl Fn(&mut Vec<String>)) {
        let mut lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        f(&mut lines);
        std::fs::write(
            path,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
    }

    fn bad_line(path: &Path) -> usize {
        match verify(&[path.to_path_buf()]) {
            Err(LogError::Broken { line, .. }) => line,
            other => panic!("expected a broken chain, got {other:?}"),
        }
    }

    #[test]
    fn intact_log_verifies() {
        let (_d, path) = log_with(5);
        assert_eq!(verify(&[path]), Ok(5));
    }

    #[test]
    fn tampering_names_the_first_bad_line() {
        let (_d, path) = log_with(5);
        rewrite(&path, |l| {
            l[2] = l[2].replace("\"allowed\":true", "\"allowed\":false")
        });
        assert_eq!(bad_line(&path), 3, "edited record");

        let (_d, path) = log_with(5);
        rewrite(&path, |l| {
            l.remove(1);
        });
        assert_eq!(bad_line(&path), 2, "removed record");

        let (_d, path) = log_with(5);
        rewrite(&path, |l| l.swap(1, 2));
        assert_eq!(bad_line(&path), 2, "reordered records");

        let (_d, path) = log_with(5);
        rewrite(&path, |l| l[4] = l[4].replace("app-4", "app-x"));
        assert_eq!(
            bad_line(&path),
            5,
            "edited last record (caught by the head)"
        );

        let (_d, path) = log_with(5);
        rewrite(&path, |l| {
            l.pop();
        });
        assert_eq!(
            bad_line(&path),
            4,
            "removed last record (caught by the head)"
        );

        let (_d, path) = log_with(3);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() - 10]).unwrap();
        assert_eq!(bad_line(&path), 3, "truncated");
    }

    #[test]
    fn rotation_keeps_the_chain() {
        let (dir, first) = log_with(3);
        let second = dir.path().join("decisions.2.jsonl");
        rotate(&first, &second).unwrap();
        append(
            &second,
            &json!({"subject": "after-rotation"}),
            "2026-11-23T01:00:00Z",
        )
        .unwrap();
        assert_eq!(verify(&[first.clone(), second.clone()]), Ok(4));
        assert!(
            verify(&[second]).is_err(),
            "a continuation file alone does not start at genesis"
        );
    }
}
