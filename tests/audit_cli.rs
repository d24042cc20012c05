//! End to end: `tollgate audit` and `tollgate db fetch` as a user runs
//! them, against the RustSec snapshot in `../shared/advisory-db`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{repo_root, tollgate};
use std::path::PathBuf;
use std::process::Output;

fn shared(rel: &str) -> PathBuf {
    let path = repo_root().join("../shared").join(rel);
    assert!(
        path.exists(),
        "{}: reference data from ../shared is required",
        path.display()
    );
    path
}

fn fixture(name: &str) -> String {
    format!("sbom/tests/fixtures/projects/{name}")
}

fn audit(extra: &[&str]) -> Output {
    let db = shared("advisory-db");
    let mut args = vec!["audit", "--advisory-db", db.to_str().unwrap()];
    args.extend_from_slice(extra);
    tollgate(&args, &repo_root())
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn vulnerable_project_fails_with_reachability_in_the_report() {
    let out = audit(&[&fixture("called")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("RUSTSEC-2020-0071 time 0.1.43 [vulnerability, medium 6.2]"),
        "{t}"
    );
    assert!(
        t.contains("reachable: called from src/main.rs:6:19 (time::now, by path)"),
        "{t}"
    );
    assert!(
        t.contains("path:      fixture-called@0.1.0 -> smallvec@0.6.9"),
        "{t}"
    );
    assert!(t.contains("warning[advisory-db-stale]"), "{t}");
}

#[test]
fn thresholds_and_denied_kinds() {
    // time's advisory is medium; ignoring smallvec's leaves it alone.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tollgate.toml");
    std::fs::write(
        &config,
        "[audit]\nignore = [\n  { id = \"RUSTSEC-2019-0009\", reason = \"test\" },\n  { id = \"RUSTSEC-2019-0012\", reason = \"test\" },\n  { id = \"RUSTSEC-2021-0003\", reason = \"test\" },\n]\n",
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let lock = format!("{}/Cargo.lock", fixture("called"));
    assert_eq!(
        audit(&[&lock, "--config", c, "--fail-on", "high"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        audit(&[&lock, "--config", c, "--fail-on", "medium"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        audit(&[
            &lock,
            "--config",
            c,
            "--fail-on",
            "high",
            "--deny",
            "unsound"
        ])
        .status
        .code(),
        Some(1)
    );
    let out = audit(&[&lock, "--deny", "sparkly"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("unknown kind `sparkly`"));
}

#[test]
fn sarif_points_at_cargo_lock_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("audit.sarif");
    let out = audit(&[
        &fixture("hyper-old"),
        "--format",
        "sarif",
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shared("schemas/sarif-schema-2.1.0.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let smuggling = results
        .iter()
        .find(|r| r["ruleId"] == "RUSTSEC-2021-0078")
        .unwrap();
    let location = &smuggling["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "sbom/tests/fixtures/projects/hyper-old/Cargo.lock"
    );
    let lock =
        std::fs::read_to_string(repo_root().join(fixture("hyper-old")).join("Cargo.lock")).unwrap();
    let line = location["region"]["startLine"].as_u64().unwrap() as usize;
    assert_eq!(lock.lines().nth(line - 1), Some("name = \"hyper\""));
}

#[test]
fn json_is_deterministic_and_cargo_audit_shaped() {
    let lock = format!("{}/Cargo.lock", fixture("not-called"));
    let a = audit(&[&lock, "--format", "json"]);
    let b = audit(&[&lock, "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
    let json: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(json["vulnerabilities"]["count"], 4);
    assert_eq!(json["database"]["advisory-count"], 1225);
}

#[test]
fn missing_or_broken_inputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-db");
    let out = tollgate(
        &[
            "audit",
            &fixture("called"),
            "--advisory-db",
            missing.to_str().unwrap(),
        ],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("advisory database not found")
            && text(&out).contains("tollgate db fetch"),
        "{}",
        text(&out)
    );

    let lock = dir.path().join("Cargo.lock");
    std::fs::write(&lock, "this is = not [a lockfile").unwrap();
    let out = audit(&[lock.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("Cargo.lock: not a valid Cargo.lock"),
        "{}",
        text(&out)
    );

    let out = audit(&[dir.path().join("empty").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));

    std::fs::write(dir.path().join("tollgate.toml"), "[audit]\nignores = []\n").unwrap();
    let out = audit(&[
        &fixture("called"),
        "--config",
        dir.path().join("tollgate.toml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("unknown field `ignores`"),
        "{}",
        text(&out)
    );
}
