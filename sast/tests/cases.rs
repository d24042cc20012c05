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

fn assert_exact(name: &str) {
    let score = annotated::score(&dir(name)).unwrap();
    let mut problems = Vec::new();
    for f in &score.files {
        for (line, rule) in &f.missed {
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
