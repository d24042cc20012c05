//! End to end: `tollgate sbom`, `sbom diff` and `sbom from-binary`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{repo_root, tollgate, Tollgate, EPOCH};
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CALLED: &str = "sbom/tests/fixtures/projects/called";

#[test]
fn sbom_to_file_is_reproducible_and_honours_source_date_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    for out in [&a, &b] {
        let o = Tollgate::new(&repo_root())
            .epoch(EPOCH)
            .args([
                "sbom",
                CALLED,
                "--spec-version",
                "1.6",
                "-o",
                out.to_str().unwrap(),
            ])
            .run();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&a).unwrap()).unwrap();
    assert_eq!(doc["specVersion"], "1.6");
    assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");

    let xml = tollgate(&["sbom", CALLED, "--format", "xml"], &repo_root());
    assert_eq!(xml.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&xml.stdout)
        .contains("<component type=\"library\" bom-ref=\"pkg:cargo/smallvec@0.6.9\">"));
}

#[test]
fn diff_between_two_projects() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    tollgate(&["sbom", CALLED, "-o", old.to_str().unwrap()], &repo_root());
    tollgate(
        &[
            "sbom",
            "sbom/tests/fixtures/projects/hyper-old",
            "-o",
            new.to_str().unwrap(),
        ],
        &repo_root(),
    );
    let o = tollgate(
        &["sbom", "diff", old.to_str().unwrap(), new.to_str().unwrap()],
        &repo_root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("+ added    hyper 0.14.9 (MIT; crates.io)"),
        "{text}"
    );
    assert!(text.contains("- removed  smallvec 0.6.9"), "{text}");
    let json = tollgate(
        &[
            "sbom",
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "json",
        ],
        &repo_root(),
    );
    let diff: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(diff["added"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "hyper"));
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = tollgate(&["sbom", dir.path().to_str().unwrap()], &repo_root());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a cargo project"), "{}", stderr(&o));

    let o = tollgate(
        &["sbom", CALLED, "--format", "xml", "--spec-version", "1.6"],
        &repo_root(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("JSON only"));

    let o = Tollgate::new(&repo_root())
        .epoch("yesterday")
        .args(["sbom", CALLED])
        .run();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("SOURCE_DATE_EPOCH `yesterday`"),
        "{}",
        stderr(&o)
    );

    let plain = dir.path().join("plain-binary");
    std::fs::copy("/bin/true", &plain).unwrap();
    let out = dir.path().join("never.json");
    let o = tollgate(
        &[
            "sbom",
            "from-binary",
            plain.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &repo_root(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("plain-binary: no dependency data"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing written on error");
}
