//! Scoring an annotated directory: every `.rs` file under it is scanned
//! together (so cross-file summaries and `#[cfg(test)] mod x;` exclusions
//! apply, as in a real scan); a line ending in `//~ rule-id[, rule-id]` is
//! a vulnerability that must be found, and any other security finding is a
//! false positive. Shared by the `corpus` bench and `tests/cases.rs`
//! (each uses part of it).

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One file's result: what was expected and found, by (line, rule).
pub struct FileScore {
    pub path: String,
    pub want: usize,
    pub hit: usize,
    pub missed: Vec<(usize, String)>,
    /// False positives, with their messages.
    pub extra: Vec<(usize, String, String)>,
}

pub struct Score {
    pub files: Vec<FileScore>,
    pub tp: usize,
    pub fp: usize,
    pub fneg: usize,
}

impl Score {
    pub fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fneg).max(1) as f64
    }

    pub fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(line, rule)` pairs a file's `//~` markers ask for.
pub fn markers(source: &str) -> BTreeSet<(usize, String)> {
    let mut want = BTreeSet::new();
    for (i, line) in source.lines().enumerate() {
        if let Some((_, rules)) = line.split_once("//~") {
            for rule in rules.split(',') {
                want.insert((i + 1, rule.trim().to_string()));
            }
        }
    }
    want
}

/// Scan `dir` and compare with its markers (security rules only:
/// `undocumented-unsafe` hygiene and meta findings are not counted).
pub fn score(dir: &Path) -> Result<Score, String> {
    let mut paths = Vec::new();
    rust_files(dir, &mut paths);
    paths.sort();
    if paths.is_empty() {
        return Err(format!("no annotated files under {}", dir.display()));
    }
    let options = tollgate_sast::Options {
        root: dir.to_path_buf(),
        ..Default::default()
    };
    let report = tollgate_sast::scan(&[dir.to_path_buf()], &options)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut score = Score {
        files: Vec::new(),
        tp: 0,
        fp: 0,
        fneg: 0,
    };
    for path in &paths {
        let source =
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let want = markers(&source);
        let found: Vec<&tollgate_sast::Finding> = report
            .findings
            .iter()
            .filter(|f| f.path == rel)
            .filter(|f| !tollgate_sast::rules::is_meta(f.rule) && f.rule != "undocumented-unsafe")
            .collect();
        let got: BTreeSet<(usize, String)> =
            found.iter().map(|f| (f.line, f.rule.to_string())).collect();
        let hit = want.intersection(&got).count();
        let missed: Vec<(usize, String)> = want.difference(&got).cloned().collect();
        let extra: Vec<(usize, String, String)> = got
            .difference(&want)
            .map(|(line, rule)| {
                let message = found
                    .iter()
                    .find(|f| f.line == *line && f.rule == rule)
                    .map(|f| f.message.clone())
                    .unwrap_or_default();
                (*line, rule.clone(), message)
            })
            .collect();
        score.tp += hit;
        score.fneg += missed.len();
        score.fp += extra.len();
        score.files.push(FileScore {
            path: rel,
            want: want.len(),
            hit,
            missed,
            extra,
        });
    }
    Ok(score)
}

/// Print a score, one line per file, then the totals.
pub fn print(name: &str, score: &Score) {
    for f in &score.files {
        let missed: Vec<String> = f.missed.iter().map(|(l, r)| format!("{l}:{r}")).collect();
        let extra: Vec<String> = f.extra.iter().map(|(l, r, _)| format!("{l}:{r}")).collect();
        println!(
            "  {:<36} {}/{} found, missed [{}], false [{}]",
            f.path,
            f.hit,
            f.want,
            missed.join(" "),
            extra.join(" ")
        );
    }
    println!(
        "{name}: {} files, {} vulnerable lines: recall {:.2}, precision {:.2} (tp {}, fp {}, fn {})",
        score.files.len(),
        score.tp + score.fneg,
        score.recall(),
        score.precision(),
        score.tp,
        score.fp,
        score.fneg
    );
}
