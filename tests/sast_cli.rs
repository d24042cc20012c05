//! End to end: the `tollgate sast` binary on the shipped demo, on this
//! repository itself, and on bad input. Exit codes are part of the
//! interface: 0 clean, 1 findings at or above --fail-on, 2 usage/config/input error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use crate::support::{repo_root, tollgate};
use std::process::Output;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `tollgate sast demo` (the SAST stage of the README's first command) finds the demo's bugs.
#[test]
fn demo_is_reported_with_exit_1() {
    let out = tollgate(&["sast", "demo"], &repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    for rule in [
        "sql-injection",
        "command-injection",
        "path-traversal",
        "ssrf",
        "xss",
        "tls-verification-disabled",
        "hardcoded-secret",
    ] {
        assert!(
            text.contains(&format!("[{rule}]")),
            "missing {rule} in:\n{text}"
        );
    }
    assert!(text.contains("--> demo/src/main.rs:"), "{text}");
    assert!(text.contains("tollgate sast: 8 findings"), "{text}");
}

#[test]
fn this_repository_scans_clean() {
    let out = tollgate(&["sast", "."], &repo_root());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("tollgate sast: 0 findings"));
}

#[test]
fn fail_on_threshold_and_never() {
    let root = repo_root();
    assert_eq!(
        tollgate(&["sast", "demo", "--fail-on", "critical"], &root)
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        tollgate(&["sast", "demo", "--fail-on", "never"], &root)
            .status
            .code(),
        Some(0)
    );
    let clean = tempfile::tempdir().unwrap();
    std::fs::write(
        clean.path().join("lib.rs"),
        "fn add(a: u32, b: u32) -> u32 { a + b }\n",
    )
    .unwrap();
    assert_eq!(
        tollgate(&["sast", "."], clean.path()).status.code(),
        Some(0)
    );
}

#[test]
fn sarif_and_json_to_files() {
    let dir = tempfile::tempdir().unwrap();
    let sarif_path = dir.path().join("out.sarif");
    let out = tollgate(
        &[
            "sast",
            "demo",
            "--format",
            "sarif",
            "-o",
            sarif_path.to_str().unwrap(),
        ],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("tollgate sast: 8 findings"));
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 8);

    let out = tollgate(&["sast", "demo", "--format", "json"], &repo_root());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["path"], "demo/src/main.rs");
    assert_eq!(json["stats"]["files"], 1);
}

#[test]
fn baseline_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let root = repo_root();
    let out = tollgate(
        &[
            "sast",
            "demo",
            "--write-baseline",
            baseline.to_str().unwrap(),
        ],
        &root,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = tollgate(
        &["sast", "demo", "--baseline", baseline.to_str().unwrap()],
        &root,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("8 suppressed by baseline"),
        "{}",
        stdout(&out)
    );

    std::fs::write(&baseline, "{\"version\": 1, \"findings\": [{\"rule\": 3}]}").unwrap();
    let out = tollgate(
        &["sast", "demo", "--baseline", baseline.to_str().unwrap()],
        &root,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("baseline.json: not a valid baseline"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_errors_name_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(
        dir.path().join("tollgate.toml"),
        "[sast]\ndisabled = [\"weak-hash\"]\n",
    )
    .unwrap();
    let out = tollgate(&["sast", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("tollgate.toml") && err.contains("unknown field `disabled`"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("tollgate.toml"),
        "[sast]\ndisable = [\"weak-hashes\"]\n",
    )
    .unwrap();
    let err = stderr(&tollgate(&["sast", "."], dir.path()));
    assert!(err.contains("unknown rule `weak-hashes`"), "{err}");

    std::fs::write(dir.path().join("tollgate.toml"), "[scan]\n").unwrap();
    let err = stderr(&tollgate(&["sast", "."], dir.path()));
    assert!(err.contains("unknown field `scan`"), "{err}");
}

#[test]
fn input_errors_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = tollgate(&["sast", "no-such-dir"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no-such-dir: no such file or directory"),
        "{}",
        stderr(&out)
    );

    let target = dir.path().join("missing-dir/out.sarif");
    let out = tollgate(
        &[
            "sast",
            "demo",
            "--format",
            "sarif",
            "-o",
            target.to_str().unwrap(),
        ],
        &repo_root(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("out.sarif: cannot write"),
        "{}",
        stderr(&out)
    );
    assert!(!target.exists());

    let out = tollgate(&["sast", "--format", "yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rules_are_listed_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let out = tollgate(&["sast", "--list-rules"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).lines().count() >= 30);
    let out = tollgate(&["sast", "--explain", "command-injection"], dir.path());
    assert!(stdout(&out).contains("CWE-78"));
    let out = tollgate(&["sast", "--explain", "nope"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}
