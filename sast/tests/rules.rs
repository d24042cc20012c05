//! Every rule against its fixture in `tests/fixtures/rules/<rule-id>.rs`.
//!
//! A line that must be flagged ends in `//~ rule-id[, rule-id]`; every other
//! line must not be. Each fixture has at least three positives for its rule
//! and at least two negative functions (`fn neg_*`), written against the
//! real APIs of the crates involved. The fixtures are parsed, not compiled.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::BTreeSet;
use std::path::PathBuf;
use tollgate_sast::rules::{self, RULES};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn expected(source: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for (index, line) in source.lines().enumerate() {
        if let Some((_, markers)) = line.split_once("//~") {
            for rule in markers.split(',') {
                out.insert((index + 1, rule.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn every_rule_matches_its_fixture_exactly() {
    let mut failures = Vec::new();
    for rule in RULES.iter().filter(|r| !rules::is_meta(r.id)) {
        let path = fixture_dir().join(format!("{}.rs", rule.id));
        let Ok(source) = std::fs::read_to_string(&path) else {
            failures.push(format!("{}: missing fixture {}", rule.id, path.display()));
            continue;
        };
        let want = expected(&source);
        let positives = want.iter().filter(|(_, r)| r == rule.id).count();
        let negatives = source.matches("fn neg_").count() + source.matches("mod neg_").count();
        if positives < 3 || negatives < 2 {
            failures.push(format!(
                "{}: {positives} positives and {negatives} negatives (need 3 and 2)",
                rule.id
            ));
        }
        let findings = tollgate_sast::analyze_source(&format!("{}.rs", rule.id), &source, false);
        let got: BTreeSet<(usize, String)> = findings
            .iter()
            .map(|f| (f.line, f.rule.to_string()))
            .collect();
        for (line, r) in want.difference(&got) {
            failures.push(format!("{}.rs:{line}: expected {r}, not reported", rule.id));
        }
        for (line, r) in got.difference(&want) {
            let message = findings
                .iter()
                .find(|f| f.line == *line && f.rule == r)
                .map(|f| f.message.as_str())
                .unwrap_or("");
            failures.push(format!("{}.rs:{line}: unexpected {r}: {message}", rule.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
