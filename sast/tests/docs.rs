//! `docs/rules.md` is generated from the rule catalogue; SARIF `helpUri`s
//! point into it, so it must not drift. `UPDATE_DOCS=1` rewrites it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::PathBuf;

#[test]
fn rules_markdown_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md");
    let want = tollgate_sast::rules::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test -p tollgate-sast --test docs`"
    );
}
