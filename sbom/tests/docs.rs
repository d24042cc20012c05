//! The "Diagnostic codes" section of `docs/audit.md` is generated from
//! `tollgate_sbom::diag::Code`; SARIF `helpUri`s point into it, so it must
//! list every code. `UPDATE_DOCS=1` rewrites the section.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::PathBuf;
use tollgate_sbom::diag::{markdown, Code};

const START: &str = "## Diagnostic codes\n";
const END: &str = "\n## Output\n";

#[test]
fn audit_md_lists_every_diagnostic_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/audit.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(START)
        .expect("docs/audit.md has a `## Diagnostic codes` section");
    let end = start + text[start..].find(END).expect("followed by `## Output`");
    let want = markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!("{}{}{}", &text[..start], want, &text[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        text[start..end] == want,
        "docs/audit.md's diagnostic codes are stale: run `UPDATE_DOCS=1 cargo test -p tollgate-sbom --test docs`"
    );
}

#[test]
fn codes_are_unique_and_kebab_case() {
    let mut seen = std::collections::BTreeSet::new();
    for code in Code::ALL {
        let id = code.as_str();
        assert!(seen.insert(id), "{id} twice");
        assert!(
            id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{id}"
        );
        assert_eq!(serde_json::to_value(code).unwrap(), id);
    }
}
