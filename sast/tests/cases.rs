//! The attacker's inputs of issue 17 (`benches/cases/`): each vulnerable
//! sample must be found and each near-miss safe sample must not be, on the
//! exact lines its `//~` markers name. The `corpus` bench prints the same
//! score next to the real-vulnerability corpus.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

#[path = "../benches/support/annotated.rs"]
mod annotated;

use std::path::PathBuf;

fn dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join(name)
}

/// `known-misses.txt` of a corpus: `file:line: rule  # why`, one per line.
/// Those lines may stay unfound (the bench still counts them against
/// recall); each must still be a miss, so a fix updates the list.
fn known_misses(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dir(name).join("known-misses.txt")).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn assert_exact(name: &str) {
    let score = annotated::score(&dir(name)).unwrap();
    let known = known_misses(name);
    let mut still_missed = Vec::new();
    let mut problems = Vec::new();
    for f in &score.files {
        for (line, rule) in &f.missed {
            let key = format!("{}:{line}: {rule}", f.path);
            if known.contains(&key) {
                still_missed.push(key);
                continue;
            }
            problems.push(format!("{}:{line}: expected {rule}, not reported", f.path));
        }
        for (line, rule, message) in &f.extra {
            problems.push(format!("{}:{line}: unexpected {rule}: {message}", f.path));
        }
    }
    assert!(
        score.tp >= 10,
        "{name}: only {} annotated lines found",
        score.tp
    );
    for key in &known {
        if !still_missed.contains(key) {
            problems.push(format!(
                "{key}: found now (or gone): remove it from known-misses.txt"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{name}: {} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn attacker_cases_are_found_and_near_misses_are_not() {
    assert_exact("cases");
}

#[test]
fn real_vulnerability_corpus_is_found_exactly() {
    assert_exact("vulns");
}
